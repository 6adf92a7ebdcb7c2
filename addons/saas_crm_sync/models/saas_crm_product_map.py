from odoo import api, fields, models


class SaasCrmProductMap(models.Model):
    """Which Stripe price a CRM product is sold at: a won deal's line items become the items
    of its Stripe subscription through this table. A line item whose product is not in it
    fails the deal's event, naming the product, until someone maps it."""

    _name = "saas.crm.product.map"
    _description = "CRM Product to Stripe Price"
    _order = "backend_id, crm_product_ref"
    _rec_name = "crm_product_ref"

    backend_id = fields.Many2one(
        "saas.backend",
        string="CRM Backend",
        required=True,
        ondelete="cascade",
        index=True,
        domain="[('provider', 'in', ('hubspot', 'salesforce'))]",
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    crm_product_ref = fields.Char(
        string="CRM Product ID or SKU",
        required=True,
        help="The product id (HubSpot hs_product_id, Salesforce Product2 id) or the SKU "
        "(HubSpot hs_sku, Salesforce ProductCode) of the line items sold at this price. The "
        "product id is looked up first.",
    )
    stripe_price_id = fields.Char(
        string="Stripe Price ID",
        required=True,
        help="price_… (or the id of a legacy plan) the subscription item is created with.",
    )

    _crm_product_ref_unique = models.Constraint(
        "UNIQUE (backend_id, crm_product_ref)", "This CRM product is already mapped."
    )

    @api.model
    def _price_of(self, backend, line_item):
        """The Stripe price id of a canonical ``LineItem`` on ``backend``, or False."""
        refs = [ref for ref in (line_item.product_id, line_item.sku) if ref]
        maps = self.search([("backend_id", "=", backend.id), ("crm_product_ref", "in", refs)])
        by_ref = {entry.crm_product_ref: entry.stripe_price_id for entry in maps}
        return next((by_ref[ref] for ref in refs if ref in by_ref), False)
