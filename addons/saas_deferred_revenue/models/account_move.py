from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    saas_revenue_schedule_count = fields.Integer(
        string="Revenue Schedules", compute="_compute_saas_revenue_schedule_count"
    )

    @api.depends("line_ids.saas_revenue_schedule_ids")
    def _compute_saas_revenue_schedule_count(self):
        for move in self:
            move.saas_revenue_schedule_count = len(move.line_ids.saas_revenue_schedule_ids)

    def action_view_saas_revenue_schedules(self):
        self.ensure_one()
        return self.env["saas.revenue.schedule"]._action_open_schedules(
            [("move_id", "=", self.id)]
        )

    def _post(self, soft=True):
        self._saas_move_to_deferred_revenue()
        posted = super()._post(soft=soft)
        # Schedules follow the amounts as posted (the invoice date and rate are final only
        # now); a future-dated invoice left for auto-posting gets its schedule when it posts.
        lines = posted.line_ids.filtered(
            lambda line: (
                line.saas_deferred_income_account_id and not line.saas_revenue_schedule_ids
            )
        )
        if lines:
            # Billing users post invoices; the schedule is bookkeeping they may only read.
            self.env["saas.revenue.schedule"].sudo()._create_for_invoice_lines(lines)
        return posted

    def _saas_move_to_deferred_revenue(self):
        """Put deferrable customer invoice lines on the deferred revenue account, remembering
        their income account, before the entry is posted: the ledger then shows receivable
        against deferred revenue, never revenue billed in advance."""
        # A line someone put on the deferred account by hand has no income account to
        # recognize into; it is left as it is.
        lines = self.filtered(lambda move: move.is_sale_document()).invoice_line_ids.filtered(
            lambda line: (
                not line.saas_deferred_income_account_id
                and line.account_id != line.company_id.saas_deferred_revenue_account_id
                and line._saas_defers_revenue()
            )
        )
        for company, company_lines in lines.grouped("company_id").items():
            deferred_account = company._saas_deferred_account()
            for income_account, account_lines in company_lines.grouped("account_id").items():
                account_lines._saas_switch_account(deferred_account, income_account)

    def _saas_defer_posted_revenue(self):
        """Defer the revenue of these posted customer documents as posting them now would:
        for those posted before their products deferred revenue (or before the company
        deferred recurring products by default). Per document, one entry in the revenue
        recognition journal moves its deferrable lines from their income account to the
        deferred revenue account, on the document's accounting date or, if that is locked,
        on the first day still open; each of those lines gets its schedule, whose months due
        the next recognition posts. Lines that have a schedule are left alone, so a second
        run does nothing. Returns the schedules made."""
        schedules = self.env["saas.revenue.schedule"]
        moves = self.filtered(lambda move: move.state == "posted" and move.is_sale_document())
        # A concurrent run waits here, then finds the schedules this one made.
        moves.lock_for_update()
        moves.invalidate_recordset()
        # In date order: a credit note settles the schedule of the invoice it reverses.
        for move in moves.sorted(lambda move: (move.date, move.id)):
            lines = move.invoice_line_ids.filtered(
                lambda line: (
                    not line.saas_revenue_schedule_ids
                    and not line.saas_deferred_income_account_id
                    and line.account_id != line.company_id.saas_deferred_revenue_account_id
                    and line._saas_defers_revenue()
                )
            )
            if lines:
                deferral = lines._saas_post_deferral()
                made = schedules.sudo()._create_for_invoice_lines(lines)
                made.deferral_move_id = deferral
                schedules |= made
        return schedules

    def button_draft(self):
        schedules = self.line_ids.saas_revenue_schedule_ids
        deferrals = schedules.deferral_move_id
        if deferrals:
            raise UserError(
                self.env._(
                    "Revenue of this invoice was deferred after it was posted, by %s. Issue a "
                    "credit note instead of resetting it to draft.",
                    ", ".join(deferrals.mapped("display_name")),
                )
            )
        if "posted" in schedules.line_ids.mapped("state"):
            raise UserError(
                self.env._(
                    "Revenue of this invoice has been recognized already. Issue a credit note "
                    "instead of resetting it to draft."
                )
            )
        amendments = schedules.amendment_ids
        if amendments:
            raise UserError(
                self.env._(
                    "Revenue of this invoice is amended by %s: reset those first.",
                    ", ".join(amendments.move_id.mapped("display_name")),
                )
            )
        res = super().button_draft()
        # The invoice may change before it posts again: it gets a new schedule then.
        for income_account, lines in schedules.move_line_id.grouped(
            "saas_deferred_income_account_id"
        ).items():
            lines._saas_switch_account(income_account, self.env["account.account"])
        schedules.sudo().unlink()
        return res
