from odoo import api, fields, models


class SaasStripeBalance(models.Model):
    """The Stripe balance of a Stripe account in one currency, as Odoo books it.

    Stripe keeps one balance per currency: payments land on it, refunds, disputes and fees
    are taken from it, and payouts move it to a bank account. Odoo mirrors it with a clearing
    account that every one of those entries goes through, so that its balance is what Stripe
    holds (or owes) and a payout clears exactly what it paid out.
    """

    _name = "saas.stripe.balance"
    _description = "Stripe Balance"
    _order = "backend_id, currency_id"
    _rec_name = "currency_id"
    _check_company_auto = True

    backend_id = fields.Many2one(
        "saas.backend",
        required=True,
        ondelete="cascade",
        index=True,
        domain=[("provider", "=", "stripe")],
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    currency_id = fields.Many2one("res.currency", required=True, ondelete="restrict")
    # Filled on creation when left empty, so that a currency can be added from the backend's
    # form (to set its payout journal before its first payment) without an account at hand.
    account_id = fields.Many2one(
        "account.account",
        string="Clearing Account",
        ondelete="restrict",
        check_company=True,
        help="Holds the money on the Stripe balance: debited by payments, credited by "
        "refunds, disputes, fees and payouts. A new account is created when left empty.",
    )
    payout_journal_id = fields.Many2one(
        "account.journal",
        string="Payout Bank Journal",
        check_company=True,
        domain="[('type', '=', 'bank')]",
        help="Bank journal of the account Stripe pays this balance out to; a payout is booked "
        "as a transfer from the clearing account to this journal's outstanding receipts "
        "account, where the bank statement line of the payout finds it.",
    )

    _currency_unique = models.Constraint(
        "UNIQUE (backend_id, currency_id)",
        "A Stripe account has one balance per currency.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("account_id"):
                backend = self.env["saas.backend"].browse(vals["backend_id"])
                currency = self.env["res.currency"].browse(vals["currency_id"])
                vals["account_id"] = (
                    self.env["saas.stripe.balance.handler"]
                    ._new_balance_account(backend, currency)
                    .id
                )
        return super().create(vals_list)
