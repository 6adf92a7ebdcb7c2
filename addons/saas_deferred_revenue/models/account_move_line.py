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
        """Whether posting should move this customer invoice line to deferred revenue: its
        product defers revenue, or was never set up and the company defers recurring
        products by default (a line with a service period bills a subscription)."""
        self.ensure_one()
        product = self.product_id
        return bool(
            self.display_type == "product"
            and product
            and self.saas_service_start
            and self.saas_service_end
            and (
                product.saas_defer_revenue
                or (
                    not product.saas_defer_revenue_configured
                    and self.company_id.saas_defer_recurring
                )
            )
        )

    def _saas_post_deferral(self):
        """Post the entry that moves these posted lines of one document from their income
        account to the deferred revenue account, with their amounts in both currencies, on
        the document's accounting date or the first day still open after it. The income side
        carries the lines' analytic distribution: their analytic revenue then arrives with
        recognition, as for a line deferred on posting."""
        move = self.move_id
        move.ensure_one()
        company = move.company_id
        deferred_account = company._saas_deferred_account()
        journal = company._saas_revenue_journal()
        label = self.env._("Revenue deferred: %s", move.name)
        line_vals = []
        for line in self:
            common = {
                "name": label,
                "partner_id": line.partner_id.id,
                "currency_id": line.currency_id.id,
            }
            line_vals += [
                {
                    **common,
                    "account_id": line.account_id.id,
                    "balance": -line.balance,
                    "amount_currency": -line.amount_currency,
                    "analytic_distribution": line.analytic_distribution,
                },
                {
                    **common,
                    "account_id": deferred_account.id,
                    "balance": line.balance,
                    "amount_currency": line.amount_currency,
                },
            ]
        deferral = self.env["account.move"].create(
            {
                "move_type": "entry",
                "company_id": company.id,
                "journal_id": journal.id,
                "date": self.env["saas.revenue.schedule"]._first_open_date(
                    company, move.date, journal
                ),
                "ref": label,
                "currency_id": move.currency_id.id,
                "line_ids": [fields.Command.create(vals) for vals in line_vals],
            }
        )
        deferral._post(soft=False)
        return deferral

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
