from odoo import api, fields, models


class SaasStripePrice(models.Model):
    """A Stripe price (or a legacy plan, which Stripe keeps under the same id as its price).

    Prices are immutable in Stripe except for their nickname, active flag and metadata: a new
    amount is a new price, so archived prices stay, readable by the subscriptions and invoices
    that still refer to them. The Stripe id is on the record's binding (External IDs).
    """

    _name = "saas.stripe.price"
    _description = "Stripe Price"
    _order = "product_tmpl_id, currency_id, unit_amount, id"

    backend_id = fields.Many2one("saas.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    product_tmpl_id = fields.Many2one(
        "product.template", string="Product", required=True, ondelete="restrict", index=True
    )
    nickname = fields.Char()
    active = fields.Boolean(default=True)
    currency_id = fields.Many2one("res.currency", required=True)
    unit_amount = fields.Monetary(
        help="Price of one unit; empty for tiered prices, whose amounts are in their tiers."
    )
    unit_amount_exact = fields.Char(
        string="Exact Unit Amount",
        help="The unit amount exactly as Stripe defines it. It can be finer than the "
        "currency's smallest unit (metered prices such as 0.0015 USD), where the Unit Amount "
        "is rounded for display; billing uses this one.",
    )
    recurring_interval = fields.Selection(
        [("day", "Day"), ("week", "Week"), ("month", "Month"), ("year", "Year")],
        help="Billing period; empty for a one-time price.",
    )
    recurring_interval_count = fields.Integer(
        help="Number of intervals between two bills (3 months for a quarterly price)."
    )
    usage_type = fields.Selection(
        [("licensed", "Licensed"), ("metered", "Metered")],
        help="Licensed: billed per quantity in advance; metered: billed on reported usage.",
    )
    billing_scheme = fields.Selection([("per_unit", "Per Unit"), ("tiered", "Tiered")])
    tiers_mode = fields.Selection([("graduated", "Graduated"), ("volume", "Volume")])

    @api.depends("nickname", "product_tmpl_id.name")
    def _compute_display_name(self):
        for price in self:
            price.display_name = price.nickname or price.product_tmpl_id.name
