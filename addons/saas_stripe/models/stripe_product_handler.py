from odoo import models


class SaasStripeProductHandler(models.AbstractModel):
    """Stripe products → service products.

    Stripe's description is the one its customers read, hence the sales description, which
    Odoo copies onto invoice lines.
    """

    _name = "saas.stripe.product.handler"
    _inherit = "saas.stripe.handler"
    _description = "Stripe Product Handler"

    _provider = "stripe"
    _handles = {
        "product.created": "_product_updated",
        "product.updated": "_product_updated",
        "product.deleted": "_product_deleted",
    }

    def _product_updated(self, backend, event):
        product = self._event_object(backend, event)
        template = self._product_template(backend, product.id)
        values = {"name": product.name or product.id, "description_sale": product.description}
        if product.active is not None:
            values["active"] = product.active
        template.write(values)
        self.env["saas.binding"].bind(backend, template, product.id, updated=event.source_created)
        return template

    def _product_deleted(self, backend, event):
        product_id = event.object_external_id
        bindings = self.env["saas.binding"]
        template = bindings.lookup(backend, "product.template", product_id)
        if template:
            template.active = False
            bindings.bind(backend, template, product_id, updated=event.source_created)
        return template

    def _product_template(self, backend, product_id):
        """The product bound to ``product_id``, created under that id as a stand-in when the
        product's own event has not been applied yet: a price can arrive before its product
        (another job, or a product older than the webhook endpoint) and must not wait for an
        event that may never come. The product's event fills it in when it arrives; the
        stand-in's binding has no source time, so that event is never taken for stale."""
        return self.env["saas.binding"].lookup_or_create(
            backend,
            "product.template",
            product_id,
            lambda: {
                "name": product_id,
                "type": "service",
                "purchase_ok": False,
                "company_id": backend.company_id.id,
            },
        )
