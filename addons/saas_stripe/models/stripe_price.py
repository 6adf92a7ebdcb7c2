from odoo import models


class SaasBackend(models.Model):
    """Stripe prices and legacy plans → ``saas.stripe.price``.

    A plan and the price Stripe derived from it share one id, so both kinds of event update
    one record. Amounts come from ``lib/normalize`` as exact Decimals in the currency's major
    unit (JPY 500 is 500, BHD 1500 is 1.500).
    """

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    def _stripe_event_handlers(self):
        handlers = {}
        for kind in ("price", "plan"):
            handlers.update(
                {
                    f"{kind}.created": self._stripe_price_updated,
                    f"{kind}.updated": self._stripe_price_updated,
                    f"{kind}.deleted": self._stripe_price_deleted,
                }
            )
        return {**super()._stripe_event_handlers(), **handlers}

    def _stripe_price_updated(self, event):
        price = self._stripe_object(event)
        if not price.product_id:
            # Prices without a product exist only inline in a subscription or invoice item;
            # they never come as price events.
            return self.env["saas.stripe.price"]
        values = {
            "backend_id": self.id,
            "product_tmpl_id": self._stripe_product_template(price.product_id).id,
            "nickname": price.nickname,
            "currency_id": self._stripe_currency(price.currency).id,
            "unit_amount": price.unit_amount,
            "unit_amount_exact": None if price.unit_amount is None else f"{price.unit_amount:f}",
            "recurring_interval": price.interval,
            "recurring_interval_count": price.interval_count,
            "usage_type": price.usage_type,
            "billing_scheme": price.billing_scheme,
            "tiers_mode": price.tiers_mode,
        }
        if price.active is not None:
            values["active"] = price.active
        bindings = self.env["saas.binding"]
        record = bindings.lookup_or_create(
            self, "saas.stripe.price", price.id, lambda: values, updated=event.source_created
        )
        record.write(values)
        bindings.bind(self, record, price.id, updated=event.source_created)
        if price.interval:
            record.product_tmpl_id._saas_recurring_price_added()
        return record

    def _stripe_price_deleted(self, event):
        price_id = event.object_external_id
        bindings = self.env["saas.binding"]
        record = bindings.lookup(self, "saas.stripe.price", price_id)
        if record:
            record.active = False
            bindings.bind(self, record, price_id, updated=event.source_created)
        return record
