from odoo import models


class SaasStripePriceHandler(models.AbstractModel):
    """Stripe prices and legacy plans → ``saas.stripe.price``.

    A plan and the price Stripe derived from it share one id, so both kinds of event update
    one record. Amounts come from ``lib/normalize`` as exact Decimals in the currency's major
    unit (JPY 500 is 500, BHD 1500 is 1.500).
    """

    _name = "saas.stripe.price.handler"
    _inherit = "saas.stripe.handler"
    _description = "Stripe Price Handler"

    _provider = "stripe"
    # A plan and the price Stripe derived from it share one id: both kinds update one record.
    _handles = {
        f"{kind}.{stage}": handler
        for kind in ("price", "plan")
        for stage, handler in (
            ("created", "_price_updated"),
            ("updated", "_price_updated"),
            ("deleted", "_price_deleted"),
        )
    }

    def _price_updated(self, backend, event):
        price = self._event_object(backend, event)
        if not price.product_id:
            # Prices without a product exist only inline in a subscription or invoice item;
            # they never come as price events.
            return self.env["saas.stripe.price"]
        values = {
            "backend_id": backend.id,
            "product_tmpl_id": self.env["saas.stripe.product.handler"]
            ._product_template(backend, price.product_id)
            .id,
            "nickname": price.nickname,
            "currency_id": self._currency(backend, price.currency).id,
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
            backend, "saas.stripe.price", price.id, lambda: values, updated=event.source_created
        )
        record.write(values)
        bindings.bind(backend, record, price.id, updated=event.source_created)
        if price.interval:
            record.product_tmpl_id._saas_recurring_price_added()
        return record

    def _price_deleted(self, backend, event):
        price_id = event.object_external_id
        bindings = self.env["saas.binding"]
        record = bindings.lookup(backend, "saas.stripe.price", price_id)
        if record:
            record.active = False
            bindings.bind(backend, record, price_id, updated=event.source_created)
        return record
