from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    saas_defer_revenue = fields.Boolean(
        string="Defer Revenue",
        help="Invoice lines of this product that carry a service period post to the deferred "
        "revenue account and are recognized over that period.",
    )
