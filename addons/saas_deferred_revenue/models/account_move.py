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
            deferred_account = company.saas_deferred_revenue_account_id
            if not deferred_account:
                raise UserError(
                    self.env._(
                        "Set a deferred revenue account in the accounting settings of %s: "
                        "invoice lines of deferrable products with a service period post there.",
                        company.display_name,
                    )
                )
            for income_account, account_lines in company_lines.grouped("account_id").items():
                account_lines._saas_switch_account(deferred_account, income_account)

    def button_draft(self):
        schedules = self.line_ids.saas_revenue_schedule_ids
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
