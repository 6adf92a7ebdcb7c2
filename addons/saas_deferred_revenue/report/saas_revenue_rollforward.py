from odoo import api, fields, models, tools
from odoo.addons.saas_connector_base.lib.xlsx import Sheet
from odoo.tools.misc import format_date

from .saas_revenue_waterfall import MONTH_FORMAT

# The amount columns of a roll-forward row, in the order of the report.
ROLLFORWARD_AMOUNTS = (
    "opening",
    "billings",
    "recognized",
    "credits",
    "other",
    "closing",
    "gl_balance",
    "difference",
)


class SaasRevenueRollforward(models.Model):
    """Deferred revenue roll-forward per company, deferred account and month:
    opening + billings - recognized - credits + other = closing, from the schedules, beside the
    general ledger balance of the account at month end. Difference is what the ledger holds
    that the schedules do not explain; it is 0 when the books are right."""

    _name = "saas.revenue.rollforward"
    _inherit = ["saas.revenue.report.xlsx"]
    _description = "Deferred Revenue Roll-forward"
    _auto = False
    _order = "company_id, account_id, date"

    company_id = fields.Many2one("res.company", readonly=True)
    company_currency_id = fields.Many2one("res.currency", readonly=True)
    account_id = fields.Many2one("account.account", string="Deferred Account", readonly=True)
    date = fields.Date(string="Month", readonly=True)
    # Lists show a month as a month: the date widget would show its first day ("Oct 1").
    month_label = fields.Char(string="Period", compute="_compute_month_label")
    opening = fields.Monetary(currency_field="company_currency_id", readonly=True)
    billings = fields.Monetary(currency_field="company_currency_id", readonly=True)
    recognized = fields.Monetary(currency_field="company_currency_id", readonly=True)
    credits = fields.Monetary(currency_field="company_currency_id", readonly=True)
    other = fields.Monetary(
        currency_field="company_currency_id",
        readonly=True,
        help="Entries on the deferred account that are neither a scheduled document nor a "
        "recognition entry, such as manual adjustments.",
    )
    closing = fields.Monetary(currency_field="company_currency_id", readonly=True)
    gl_balance = fields.Monetary(
        string="GL Balance", currency_field="company_currency_id", readonly=True
    )
    difference = fields.Monetary(currency_field="company_currency_id", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # Amounts are liabilities, positive when credited. Billings and credits count on the
        # date the deferred account received them (their document's accounting date, or that
        # of the entry deferring a document posted before it was deferrable), recognition on
        # the date of its entry, so every month compares with the ledger of that month.
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS (
                WITH accounts AS (
                    SELECT DISTINCT company_id, deferred_account_id AS account_id
                      FROM saas_revenue_schedule
                ),
                explained_moves AS (
                    SELECT move_id FROM saas_revenue_schedule
                     UNION
                    SELECT deferral_move_id FROM saas_revenue_schedule
                     WHERE deferral_move_id IS NOT NULL
                     UNION
                    SELECT move_id FROM saas_revenue_schedule_line WHERE move_id IS NOT NULL
                ),
                movements AS (
                    SELECT schedule.company_id,
                           schedule.deferred_account_id AS account_id,
                           date_trunc('month', schedule.billed_date)::date AS month,
                           GREATEST(schedule.amount, 0) AS billings,
                           0 AS recognized,
                           GREATEST(-schedule.amount, 0) AS credits,
                           0 AS other,
                           0 AS gl
                      FROM saas_revenue_schedule schedule
                     UNION ALL
                    SELECT schedule.company_id,
                           schedule.deferred_account_id,
                           date_trunc('month', line.posted_date)::date,
                           0, line.amount, 0, 0, 0
                      FROM saas_revenue_schedule_line line
                      JOIN saas_revenue_schedule schedule ON schedule.id = line.schedule_id
                     WHERE line.state = 'posted'
                     UNION ALL
                    SELECT aml.company_id,
                           aml.account_id,
                           date_trunc('month', aml.date)::date,
                           0, 0, 0,
                           CASE WHEN explained.move_id IS NULL THEN -aml.balance ELSE 0 END,
                           -aml.balance
                      FROM account_move_line aml
                      JOIN accounts ON accounts.company_id = aml.company_id
                                   AND accounts.account_id = aml.account_id
                      LEFT JOIN explained_moves explained ON explained.move_id = aml.move_id
                     WHERE aml.parent_state = 'posted'
                ),
                -- Summed per month first: the months then join a few rows, not every
                -- schedule line.
                monthly_movements AS (
                    SELECT company_id, account_id, month,
                           SUM(billings) AS billings,
                           SUM(recognized) AS recognized,
                           SUM(credits) AS credits,
                           SUM(other) AS other,
                           SUM(gl) AS gl
                      FROM movements
                     GROUP BY company_id, account_id, month
                ),
                months AS (
                    SELECT company_id, account_id,
                           generate_series(
                               MIN(month),
                               GREATEST(MAX(month), date_trunc('month', CURRENT_DATE)::date),
                               interval '1 month'
                           )::date AS month
                      FROM monthly_movements
                     GROUP BY company_id, account_id
                ),
                monthly AS (
                    SELECT months.company_id, months.account_id, months.month,
                           COALESCE(movements.billings, 0) AS billings,
                           COALESCE(movements.recognized, 0) AS recognized,
                           COALESCE(movements.credits, 0) AS credits,
                           COALESCE(movements.other, 0) AS other,
                           COALESCE(movements.gl, 0) AS gl
                      FROM months
                      LEFT JOIN monthly_movements movements
                             ON movements.company_id = months.company_id
                            AND movements.account_id = months.account_id
                            AND movements.month = months.month
                ),
                rolled AS (
                    SELECT monthly.*,
                           SUM(billings - recognized - credits + other) OVER running AS closing,
                           SUM(gl) OVER running AS gl_balance
                      FROM monthly
                    WINDOW running AS (PARTITION BY company_id, account_id ORDER BY month)
                )
                SELECT row_number() OVER (ORDER BY rolled.company_id, account_id, month) AS id,
                       rolled.company_id,
                       company.currency_id AS company_currency_id,
                       account_id,
                       month AS date,
                       closing - (billings - recognized - credits + other) AS opening,
                       billings,
                       recognized,
                       credits,
                       other,
                       closing,
                       gl_balance,
                       closing - gl_balance AS difference
                  FROM rolled
                  JOIN res_company company ON company.id = rolled.company_id
            )
            """
        )

    @api.depends("date")
    def _compute_month_label(self):
        for row in self:
            row.month_label = format_date(self.env, row.date, date_format=MONTH_FORMAT)

    def _xlsx_export(self):
        """The roll-forward as a spreadsheet: every month of every deferred account the user's
        companies hold, whatever the selection, in each company's currency."""
        names = ["company_id", "account_id", "date", *ROLLFORWARD_AMOUNTS]
        rows = [
            [
                row.company_id.display_name,
                row.account_id.display_name,
                row.date,
                *(
                    self._xlsx_amount(row[amount], row.company_currency_id)
                    for amount in ROLLFORWARD_AMOUNTS
                ),
            ]
            for row in self.search([])
        ]
        today = fields.Date.context_today(self)
        return self.env._("Deferred revenue roll-forward %s", today.strftime("%Y-%m")), [
            Sheet(
                self.env._("Roll-forward"),
                [self._fields[name].get_description(self.env)["string"] for name in names],
                rows,
            )
        ]
