from odoo import fields, models


class SaasSubscriptionItem(models.Model):
    _inherit = "saas.subscription.item"

    stripe_price_id = fields.Many2one(
        "saas.stripe.price",
        ondelete="set null",
        help="Set when the price's own event has been applied; the item keeps its price id "
        "and amounts either way.",
    )
