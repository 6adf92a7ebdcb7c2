from odoo import api, fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    saas_defer_revenue = fields.Boolean(
        string="Defer Revenue",
        help="Invoice lines of this product that carry a service period post to the deferred "
        "revenue account and are recognized over that period.",
    )
    saas_defer_revenue_configured = fields.Boolean(
        string="Defer Revenue Configured",
        readonly=True,
        help="Defer Revenue was set on this product, by someone or by the company's default "
        "when a recurring price of it arrived. Until then the company's default for recurring "
        "products decides for its invoice lines with a service period.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "saas_defer_revenue" in vals:
                vals["saas_defer_revenue_configured"] = True
        return super().create(vals_list)

    def write(self, vals):
        if "saas_defer_revenue" in vals:
            vals = {**vals, "saas_defer_revenue_configured": True}
        return super().write(vals)

    def _saas_recurring_price_added(self):
        # A product sold by subscription bills service periods: its revenue is deferred if the
        # company says so by default, unless someone decided otherwise for it.
        self.filtered(
            lambda template: (
                not template.saas_defer_revenue_configured
                # A product shared by every company takes the current company's default.
                and (template.company_id or self.env.company).saas_defer_recurring
            )
        ).saas_defer_revenue = True
        return super()._saas_recurring_price_added()
