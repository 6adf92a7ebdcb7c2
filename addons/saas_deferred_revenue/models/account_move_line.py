from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # Copied with the line on purpose: a credit note made by reversal, or a duplicated
    # invoice, starts on the deferred account and still needs the income account to recognize
    # into.
    saas_deferred_income_account_id = fields.Many2one(
        "account.account",
        string="Deferred From",
        readonly=True,
        index="btree_not_null",
        help="Income account this line's revenue is recognized into; the line itself posts to "
        "the deferred revenue account.",
    )
    saas_revenue_schedule_ids = fields.One2many(
        "saas.revenue.schedule", "move_line_id", string="Revenue Schedules", readonly=True
    )

    def _saas_defers_revenue(self):
        """Whether posting should move this customer invoice line to deferred revenue."""
        self.ensure_one()
        return bool(
            self.display_type == "product"
            and self.product_id.saas_defer_revenue
            and self.saas_service_start
            and self.saas_service_end
        )

    def _saas_switch_account(self, account, deferred_income_account):
        """Move draft lines to ``account``, recording ``deferred_income_account`` (empty when
        the lines go back to their income account)."""
        # The account must not change what the customer is billed: the default taxes and
        # analytic models of the new account do not apply.
        protected = [self._fields["tax_ids"], self._fields["analytic_distribution"]]
        with self.env.protecting(protected, self):
            self.write(
                {
                    "account_id": account.id,
                    "saas_deferred_income_account_id": deferred_income_account.id,
                }
            )

    def _prepare_analytic_lines(self):
        # Deferred revenue reaches the analytic accounts when it is recognized, from the
        # schedule; counting it at billing as well would double it.
        if self.saas_deferred_income_account_id:
            return []
        return super()._prepare_analytic_lines()
