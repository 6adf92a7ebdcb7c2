from odoo import models


class SaasBackend(models.Model):
    """Stripe products → service products.

    Stripe's description is the one its customers read, hence the sales description, which
    Odoo copies onto invoice lines.
    """

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    def _stripe_event_handlers(self):
        return {
            **super()._stripe_event_handlers(),
            "product.created": self._stripe_product_updated,
            "product.updated": self._stripe_product_updated,
            "product.deleted": self._stripe_product_deleted,
        }

    def _stripe_product_updated(self, event):
        product = self._stripe_object(event)
        template = self._stripe_product_template(product.id)
        values = {"name": product.name or product.id, "description_sale": product.description}
        if product.active is not None:
            values["active"] = product.active
        template.write(values)
        self.env["saas.binding"].bind(self, template, product.id, updated=event.source_created)
        return template

    def _stripe_product_deleted(self, event):
        product_id = event.object_external_id
        bindings = self.env["saas.binding"]
        template = bindings.lookup(self, "product.template", product_id)
        if template:
            template.active = False
            bindings.bind(self, template, product_id, updated=event.source_created)
        return template

    def _stripe_product_template(self, product_id):
        """The product bound to ``product_id``, created under that id as a stand-in when the
        product's own event has not been applied yet: a price can arrive before its product
        (another job, or a product older than the webhook endpoint) and must not wait for an
        event that may never come. The product's event fills it in when it arrives; the
        stand-in's binding has no source time, so that event is never taken for stale."""
        return self.env["saas.binding"].lookup_or_create(
            self,
            "product.template",
            product_id,
            lambda: {
                "name": product_id,
                "type": "service",
                "purchase_ok": False,
                "company_id": self.company_id.id,
            },
        )
