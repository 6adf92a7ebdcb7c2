from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.saas_connector_base.lib.money import from_minor_units, to_minor_units
from odoo.exceptions import UserError
from odoo.tools import date_utils

from ..lib.schedule import build_schedule
from .res_company import REVENUE_BASIS_SELECTION


class SaasRevenueSchedule(models.Model):
    """The revenue of one invoice line, deferred on posting and recognized month by month.

    Amounts are fixed when the invoice posts: in company currency at the invoice's rate (what
    the deferred revenue account received) and in the invoice currency. Each line of
    ``line_ids`` is one month's share; recognition posts them and never changes them.
    """

    _name = "saas.revenue.schedule"
    _description = "Revenue Schedule"
    _inherit = ["analytic.mixin"]
    _order = "start_date desc, id desc"
    _check_company_auto = True

    move_line_id = fields.Many2one(
        "account.move.line",
        string="Invoice Line",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    move_id = fields.Many2one(
        related="move_line_id.move_id", string="Invoice", store=True, index=True
    )
    name = fields.Char(related="move_line_id.name", string="Description")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index=True)
    product_id = fields.Many2one("product.product", readonly=True, index=True)
    income_account_id = fields.Many2one(
        "account.account",
        required=True,
        readonly=True,
        check_company=True,
        help="Where recognized revenue goes: the account the invoice line had before deferral.",
    )
    deferred_account_id = fields.Many2one(
        "account.account", required=True, readonly=True, check_company=True
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    amount = fields.Monetary(
        currency_field="company_currency_id",
        readonly=True,
        help="Revenue of the line in company currency at the invoice's rate; negative for a "
        "credit note.",
    )
    amount_currency = fields.Monetary(
        string="Amount in Currency", currency_field="currency_id", readonly=True
    )
    start_date = fields.Date(string="Service Start", required=True, readonly=True)
    end_date = fields.Date(string="Service End", required=True, readonly=True)
    basis = fields.Selection(REVENUE_BASIS_SELECTION, required=True, readonly=True)
    line_ids = fields.One2many("saas.revenue.schedule.line", "schedule_id", readonly=True)
    recognized_amount = fields.Monetary(
        currency_field="company_currency_id", compute="_compute_recognized_amount"
    )
    deferred_amount = fields.Monetary(
        string="Remaining Deferred",
        currency_field="company_currency_id",
        compute="_compute_recognized_amount",
    )

    @api.depends("amount", "line_ids.state", "line_ids.amount")
    def _compute_recognized_amount(self):
        for schedule in self:
            code = schedule.company_currency_id.name
            recognized = sum(
                to_minor_units(line.amount, code)
                for line in schedule.line_ids
                if line.state == "posted"
            )
            schedule.recognized_amount = from_minor_units(recognized, code)
            schedule.deferred_amount = from_minor_units(
                to_minor_units(schedule.amount, code) - recognized, code
            )

    @api.depends("move_id.name", "product_id")
    def _compute_display_name(self):
        for schedule in self:
            schedule.display_name = " - ".join(
                filter(None, (schedule.move_id.name, schedule.product_id.display_name))
            )

    @api.model
    def _create_for_invoice_lines(self, lines):
        """One schedule per posted invoice line already moved to the deferred account, with its
        monthly rows. Revenue is the credit side of the line, so a credit note line (a debit)
        gets a negative schedule."""
        schedules_vals, splits = [], []
        for line in lines:
            company = line.company_id
            amount = -to_minor_units(line.balance, company.currency_id.name)
            amount_currency = -to_minor_units(line.amount_currency, line.currency_id.name)
            schedules_vals.append(
                {
                    "move_line_id": line.id,
                    "company_id": company.id,
                    "partner_id": line.partner_id.id,
                    "product_id": line.product_id.id,
                    "income_account_id": line.saas_deferred_income_account_id.id,
                    "deferred_account_id": line.account_id.id,
                    "analytic_distribution": line.analytic_distribution,
                    "currency_id": line.currency_id.id,
                    "amount": from_minor_units(amount, company.currency_id.name),
                    "amount_currency": from_minor_units(amount_currency, line.currency_id.name),
                    "start_date": line.saas_service_start,
                    "end_date": line.saas_service_end,
                    "basis": company.saas_revenue_basis,
                }
            )
            splits.append((amount, amount_currency))
        schedules = self.create(schedules_vals)

        rows_vals = []
        for schedule, (amount, amount_currency) in zip(schedules, splits, strict=True):
            period = (schedule.start_date, schedule.end_date, schedule.basis)
            company_code = schedule.company_currency_id.name
            code = schedule.currency_id.name
            # Both splits use the same weights: every month converts at the invoice's rate, to
            # the rounding.
            for row, row_currency in zip(
                build_schedule(amount, *period),
                build_schedule(amount_currency, *period),
                strict=True,
            ):
                rows_vals.append(
                    {
                        "schedule_id": schedule.id,
                        "date": row.period_end,
                        "amount": from_minor_units(row.amount, company_code),
                        "amount_currency": from_minor_units(row_currency.amount, code),
                    }
                )
        self.env["saas.revenue.schedule.line"].create(rows_vals)
        return schedules

    @api.model
    def recognize_until(self, until, company=None):
        """Post the revenue of every planned schedule line due by ``until`` (a line falls due
        on the last service day of its month): one entry per company, journal, month and
        currency, moving the amounts from the deferred revenue account to the income account.
        Posted lines are skipped, so a second run posts nothing. Returns the entries posted.
        """
        until = fields.Date.to_date(until)
        if until > fields.Date.context_today(self):
            raise UserError(self.env._("Revenue cannot be recognized before it is earned."))
        domain = [("state", "=", "planned"), ("date", "<=", until)]
        if company:
            domain.append(("company_id", "in", company.ids))
        # A concurrent run posts the rows it holds; this one takes the rest.
        lines = (
            self.env["saas.revenue.schedule.line"]
            .search(domain, order="date, id")
            .try_lock_for_update(allow_referencing=True)
        )
        groups = lines.grouped(
            lambda line: (
                line.company_id,
                line.currency_id,
                date_utils.end_of(line.date, "month"),
            )
        )
        moves = self.env["account.move"]
        for (line_company, currency, period_end), period_lines in groups.items():
            moves |= self._post_recognition(line_company, currency, period_end, period_lines)
        return moves

    @api.model
    def _post_recognition(self, company, currency, period_end, lines):
        journal = company.saas_revenue_journal_id
        if not journal:
            raise UserError(
                self.env._(
                    "Set a revenue recognition journal in the accounting settings of %s.",
                    company.display_name,
                )
            )
        # A closed period stays closed: its revenue goes to the first day still open.
        lock_dates = company._get_violated_lock_dates(period_end, False, journal)
        entry_date = lock_dates[-1][0] + timedelta(days=1) if lock_dates else period_end
        note = lock_dates and self.env._(
            "Period ending %(period)s is locked: recognized on %(date)s.",
            period=period_end,
            date=entry_date,
        )

        company_code, code = company.currency_id.name, currency.name
        totals = defaultdict(lambda: [0, 0])
        for line in lines:
            schedule = line.schedule_id
            key = (
                schedule.deferred_account_id,
                schedule.income_account_id,
                tuple(sorted((schedule.analytic_distribution or {}).items())),
            )
            totals[key][0] += to_minor_units(line.amount, company_code)
            totals[key][1] += to_minor_units(line.amount_currency, code)

        label = self.env._("Revenue recognition %s", period_end.strftime("%Y-%m"))
        move_lines = []
        for (deferred_account, income_account, analytic), (amount, amount_currency) in sorted(
            totals.items(), key=lambda item: (item[0][0].id, item[0][1].id, item[0][2])
        ):
            if not amount and not amount_currency:
                continue
            balance = from_minor_units(amount, company_code)
            balance_currency = from_minor_units(amount_currency, code)
            common = {"name": label, "currency_id": currency.id}
            move_lines += [
                {
                    **common,
                    "account_id": deferred_account.id,
                    "balance": balance,
                    "amount_currency": balance_currency,
                },
                {
                    **common,
                    "account_id": income_account.id,
                    "balance": -balance,
                    "amount_currency": -balance_currency,
                    "analytic_distribution": dict(analytic) or False,
                },
            ]

        move = self.env["account.move"]
        if move_lines:
            move = move.create(
                {
                    "move_type": "entry",
                    "company_id": company.id,
                    "journal_id": journal.id,
                    "date": entry_date,
                    "ref": label,
                    "currency_id": currency.id,
                    "line_ids": [fields.Command.create(vals) for vals in move_lines],
                }
            )
            move._post(soft=False)
        # Rows that net to nothing (an invoice and its full credit note) are recognized without
        # an entry.
        lines.write(
            {
                "state": "posted",
                "move_id": move.id,
                "posted_date": entry_date,
                "note": note or False,
            }
        )
        return move

    @api.model
    def _cron_recognize(self):
        """Month-end closing for every company, whatever companies the cron user can access."""
        self.sudo().recognize_until(fields.Date.context_today(self))
