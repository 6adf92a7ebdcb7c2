from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    stripe_currency_id = fields.Many2one(
        "res.currency",
        string="Stripe Billing Currency",
        readonly=True,
        help="The currency Stripe bills this customer in, fixed by Stripe with the customer's "
        "first invoice or subscription.",
    )
