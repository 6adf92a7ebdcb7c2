from datetime import date

from odoo import api, fields, models, tools
from odoo.addons.saas_connector_base.lib.xlsx import Sheet
from odoo.tools.misc import format_date

# How a month reads in lists: "Oct 2026", in the user's language.
MONTH_FORMAT = "MMM yyyy"


class SaasRevenueWaterfall(models.Model):
    """Revenue by billed month and recognition month, one row per schedule line: the classic
    waterfall is its pivot, billed months down and recognition months across. Amounts are in
    the company currency, beside the invoice's own currency for schedules billed in another
    one; recognized and planned revenue are also measures of their own."""

    _name = "saas.revenue.waterfall"
    _inherit = ["saas.revenue.report.xlsx"]
    _description = "Deferred Revenue Waterfall"
    _auto = False
    _order = "billed_month, recognition_month"

    schedule_id = fields.Many2one("saas.revenue.schedule", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    company_currency_id = fields.Many2one("res.currency", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    subscription_id = fields.Many2one("saas.subscription", readonly=True)
    income_account_id = fields.Many2one("account.account", readonly=True)
    billed_month = fields.Date(readonly=True)
    recognition_month = fields.Date(readonly=True)
    # Lists show a month as a month: the date widget would show its first day ("Oct 1").
    billed_month_label = fields.Char(string="Billed", compute="_compute_month_labels")
    recognition_month_label = fields.Char(string="Recognition", compute="_compute_month_labels")
    amount = fields.Monetary(currency_field="company_currency_id", readonly=True)
    amount_currency = fields.Monetary(
        string="Amount in Currency",
        currency_field="currency_id",
        readonly=True,
        # Sums across currencies mean nothing: they are shown per row or grouped by currency.
        aggregator=None,
    )
    recognized_amount = fields.Monetary(
        string="Recognized", currency_field="company_currency_id", readonly=True
    )
    planned_amount = fields.Monetary(
        string="Planned", currency_field="company_currency_id", readonly=True
    )
    state = fields.Selection(
        [("planned", "Planned"), ("posted", "Recognized")], string="Status", readonly=True
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # A posted row belongs to the month of its entry, later than planned if the month was
        # locked; a planned row to the month it falls due.
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS (
                SELECT line.id,
                       line.schedule_id,
                       schedule.move_id,
                       schedule.company_id,
                       company.currency_id AS company_currency_id,
                       schedule.currency_id,
                       schedule.partner_id,
                       schedule.product_id,
                       schedule.subscription_id,
                       schedule.income_account_id,
                       date_trunc('month', COALESCE(move.invoice_date, move.date))::date
                           AS billed_month,
                       date_trunc('month', COALESCE(line.posted_date, line.date))::date
                           AS recognition_month,
                       line.amount,
                       line.amount_currency,
                       CASE WHEN line.state = 'posted' THEN line.amount ELSE 0 END
                           AS recognized_amount,
                       CASE WHEN line.state = 'planned' THEN line.amount ELSE 0 END
                           AS planned_amount,
                       line.state
                  FROM saas_revenue_schedule_line line
                  JOIN saas_revenue_schedule schedule ON schedule.id = line.schedule_id
                  JOIN account_move move ON move.id = schedule.move_id
                  JOIN res_company company ON company.id = schedule.company_id
            )
            """
        )

    @api.depends("billed_month", "recognition_month")
    def _compute_month_labels(self):
        for row in self:
            row.billed_month_label = format_date(
                self.env, row.billed_month, date_format=MONTH_FORMAT
            )
            row.recognition_month_label = format_date(
                self.env, row.recognition_month, date_format=MONTH_FORMAT
            )

    def _xlsx_export(self):
        """The waterfall as a spreadsheet, whatever the selection: billed month, customer,
        product and subscription down, recognition month across, for all rows and for the
        recognized and planned ones apart; then every billed month in the currencies it was
        billed in, beside the company currency."""
        recognized, planned = [("state", "=", "posted")], [("state", "=", "planned")]
        today = fields.Date.context_today(self)
        return self.env._("Deferred revenue waterfall %s", today.strftime("%Y-%m")), [
            self._xlsx_sheet(self.env._("By Billed Month"), "billed_month:month", []),
            self._xlsx_sheet(self.env._("Recognized"), "billed_month:month", recognized),
            self._xlsx_sheet(self.env._("Planned"), "billed_month:month", planned),
            self._xlsx_sheet(self.env._("By Customer"), "partner_id", []),
            self._xlsx_sheet(self.env._("By Product"), "product_id", []),
            self._xlsx_sheet(self.env._("By Subscription"), "subscription_id", []),
            self._xlsx_currency_sheet(),
        ]

    def _xlsx_label(self, name):
        return self._fields[name].get_description(self.env)["string"]

    def _xlsx_sheet(self, title, row_groupby, domain):
        company_currency = self.env.company.currency_id
        groups = self._read_group(domain, [row_groupby, "recognition_month:month"], ["amount:sum"])
        columns = sorted({month for _row, month, _amount in groups})
        matrix = {}
        for row, month, amount in groups:
            matrix.setdefault(row, {})[month] = amount
        rows = []
        for row, amounts in matrix.items():
            label = row if isinstance(row, date) else row.display_name or ""
            cells = [amounts.get(month, 0.0) for month in columns]
            rows.append(
                [
                    label,
                    *(self._xlsx_amount(cell, company_currency) for cell in cells),
                    self._xlsx_amount(company_currency.round(sum(cells)), company_currency),
                ]
            )
        headers = [
            self._xlsx_label(row_groupby.split(":")[0]),
            *(month.strftime("%Y-%m") for month in columns),
            self.env._("Total"),
        ]
        return Sheet(title, headers, rows)

    def _xlsx_currency_sheet(self):
        """Billed and recognition months per invoice currency: the amount in that currency
        (with its decimals) and in the company currency."""
        company_currency = self.env.company.currency_id
        groups = self._read_group(
            [],
            ["billed_month:month", "recognition_month:month", "currency_id", "state"],
            ["amount_currency:sum", "amount:sum"],
        )
        states = dict(self._fields["state"]._description_selection(self.env))
        rows = [
            [
                billed,
                recognized,
                states[state],
                currency.name,
                self._xlsx_amount(amount_currency, currency),
                self._xlsx_amount(amount, company_currency),
            ]
            for billed, recognized, currency, state, amount_currency, amount in groups
        ]
        headers = [
            self._xlsx_label("billed_month"),
            self._xlsx_label("recognition_month"),
            self._xlsx_label("state"),
            self._xlsx_label("currency_id"),
            self._xlsx_label("amount_currency"),
            self.env._("Amount in %s", company_currency.name),
        ]
        return Sheet(self.env._("By Currency"), headers, rows)
