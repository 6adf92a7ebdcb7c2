from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import date_utils, format_date


class SaasRevenueRecognizeWizard(models.TransientModel):
    """Month-end close: the revenue due by a date, previewed per account and currency, then
    posted as recognition entries."""

    _name = "saas.revenue.recognize.wizard"
    _description = "Month-End Close"

    date = fields.Date(
        string="Recognize Up To",
        required=True,
        default=lambda self: self._default_date(),
        help="Every planned month whose service ended by this date is recognized; no entry "
        "is dated after it. A day within a month recognizes only the services of that month "
        "that ended by then.",
    )
    preview_line_ids = fields.One2many(
        "saas.revenue.close.line",
        "recognize_wizard_id",
        string="To Recognize",
        compute="_compute_preview",
        store=True,
        readonly=True,
    )
    due_count = fields.Integer(
        string="Schedule Lines Due", compute="_compute_preview", store=True, readonly=True
    )
    preview_message = fields.Char(compute="_compute_preview", store=True, readonly=True)

    @api.model
    def _default_date(self):
        """The last month end: closing the month that ended."""
        today = fields.Date.context_today(self)
        return date_utils.start_of(today, "month") - timedelta(days=1)

    @api.depends("date")
    def _compute_preview(self):
        schedules = self.env["saas.revenue.schedule"]
        today = fields.Date.context_today(self)
        for wizard in self:
            rows, periods, lines = [], [], self.env["saas.revenue.schedule.line"]
            if wizard.date and wizard.date <= today:
                lines = schedules._due_lines(wizard.date, self.env.companies.ids)
                rows, periods = schedules._close_preview(lines, wizard.date)
            wizard.preview_line_ids = [fields.Command.clear()] + [
                fields.Command.create(row) for row in rows
            ]
            wizard.due_count = len(lines)
            wizard.preview_message = wizard._preview_message(lines, periods)

    def _preview_message(self, lines, periods):
        if not self.date:
            return False
        when = format_date(self.env, self.date)
        if self.date > fields.Date.context_today(self):
            return self.env._(
                "%s is still to come: revenue is recognized once earned, up to today at the "
                "latest.",
                when,
            )
        if not lines:
            return self.env._(
                "Nothing to recognize up to %s: every revenue schedule line due by then is "
                "posted.",
                when,
            )
        if not periods:
            return self.env._(
                "Schedule lines due by %(date)s: %(count)s. They net to zero: they are "
                "recognized without an entry.",
                count=len(lines),
                date=when,
            )
        try:
            dates = sorted({self._entry_date(*period) for period in periods})
        except UserError as error:
            # A company without a recognition journal: said in the preview, as posting would.
            return error.args[0]
        return self.env._(
            "Schedule lines due by %(date)s: %(count)s. Entries to post: %(entries)s, "
            "dated %(dates)s.",
            count=len(lines),
            date=when,
            entries=len(periods),
            dates=self.env._(
                "%(first)s to %(last)s",
                first=format_date(self.env, dates[0]),
                last=format_date(self.env, dates[-1]),
            )
            if len(dates) > 1
            else format_date(self.env, dates[0]),
        )

    def _entry_date(self, company_id, _currency_id, period_end):
        """The date of the entry of a period: its end, or the first open day after a lock."""
        company = self.env["res.company"].browse(company_id)
        return self.env["saas.revenue.schedule"]._first_open_date(
            company, period_end, company._saas_revenue_journal()
        )

    def action_recognize(self):
        self.ensure_one()
        schedules = self.env["saas.revenue.schedule"]
        due = schedules._due_lines(self.date, self.env.companies.ids)
        moves = schedules.recognize_until(self.date, company_ids=self.env.companies.ids)
        if not moves:
            # Nothing due (any more: a close ran meanwhile) or rows netting to zero: said as
            # such, never an empty list.
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self._preview_message(due, []),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        return schedules._action_open_entries(moves, self.env._("Revenue Recognition Entries"))
