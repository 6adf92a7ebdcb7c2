from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    stripe_payment_failed = fields.Boolean(
        readonly=True,
        copy=False,
        help="Stripe's last attempt to collect this invoice failed; cleared once Stripe "
        "reports a payment.",
    )
    stripe_payment_failure = fields.Char(readonly=True, copy=False)
