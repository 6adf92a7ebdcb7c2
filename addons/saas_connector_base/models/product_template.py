from odoo import models


class ProductTemplate(models.Model):
    _name = "product.template"
    _inherit = ["product.template", "saas.binding.mixin"]

    def _saas_recurring_price_added(self):
        """Providers call this when a recurring price (a subscription plan) of these products
        arrives, so that the modules reading subscriptions set such products up for them."""
