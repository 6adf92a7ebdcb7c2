from odoo import api, fields, models
from odoo.tools import date_utils


class SaasRevenueUndoWizard(models.TransientModel):
    """Undo of a month-end close: the month's recognition, previewed per account and currency
    with the entries it reverses, then reversed."""

    _name = "saas.revenue.undo.wizard"
    _description = "Undo Month-End Close"

    date = fields.Date(
        string="Month",
        required=True,
        default=lambda self: self._default_date(),
        help="Any day of the month whose recognition is undone.",
    )
    preview_line_ids = fields.One2many(
        "saas.revenue.close.line",
        "undo_wizard_id",
        string="To Reverse",
        compute="_compute_preview",
        store=True,
        readonly=True,
    )
    posted_count = fields.Integer(
        string="Schedule Lines Recognized", compute="_compute_preview", store=True, readonly=True
    )
    move_ids = fields.Many2many(
        "account.move", string="Entries to Reverse", compute="_compute_move_ids"
    )
    preview_message = fields.Char(compute="_compute_preview", store=True, readonly=True)

    @api.model
    def _default_date(self):
        """The end of the last month recognized: undoing the last close. The last month end
        when nothing was ever recognized."""
        last = self.env["saas.revenue.schedule.line"].search(
            [("state", "=", "posted"), ("company_id", "in", self.env.companies.ids)],
            order="date desc",
            limit=1,
        )
        if last:
            return date_utils.end_of(last.date, "month")
        return self.env["saas.revenue.recognize.wizard"]._default_date()

    @api.depends("date")
    def _compute_preview(self):
        schedules = self.env["saas.revenue.schedule"]
        for wizard in self:
            rows, lines = [], self.env["saas.revenue.schedule.line"]
            if wizard.date:
                period_end = date_utils.end_of(wizard.date, "month")
                lines = schedules._posted_lines_of_month(period_end, self.env.companies.ids)
                rows = schedules._close_preview(lines, period_end)[0]
            wizard.preview_line_ids = [fields.Command.clear()] + [
                fields.Command.create(row) for row in rows
            ]
            wizard.posted_count = len(lines)
            wizard.preview_message = wizard._preview_message(lines)

    @api.depends("date")
    def _compute_move_ids(self):
        for wizard in self:
            wizard.move_ids = (
                wizard.date
                and self.env["saas.revenue.schedule"]
                ._posted_lines_of_month(wizard.date, self.env.companies.ids)
                .move_id
            )

    def _preview_message(self, lines):
        if not self.date:
            return False
        month = self.date.strftime("%Y-%m")
        if not lines:
            return self.env._("Nothing recognized in %s: nothing to undo.", month)
        return self.env._(
            "Schedule lines recognized in %(month)s: %(count)s. Entries to reverse on their "
            "own date: %(entries)s; the lines are then planned again.",
            month=month,
            count=len(lines),
            entries=len(lines.move_id),
        )

    def action_undo(self):
        self.ensure_one()
        schedules = self.env["saas.revenue.schedule"]
        lines = schedules._posted_lines_of_month(self.date, self.env.companies.ids)
        reversals = schedules.undo_period(self.date, company_ids=self.env.companies.ids)
        if not reversals:
            # Nothing recognized that month, or only rows netting to zero (planned again
            # without an entry): said as such, never an empty list.
            message = (
                self.env._(
                    "The recognition of %(month)s had no entry: its %(count)s schedule lines "
                    "are planned again.",
                    month=self.date.strftime("%Y-%m"),
                    count=len(lines),
                )
                if lines
                else self._preview_message(lines)
            )
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": message,
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        return schedules._action_open_entries(
            reversals | reversals.reversed_entry_id,
            self.env._("Reversed Revenue Recognition"),
        )
