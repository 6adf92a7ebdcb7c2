from odoo import models
from odoo.addons.saas_connector_base.lib.errors import PermanentError
from odoo.addons.saas_connector_base.models.saas_subscription import SUBSCRIPTION_STATES

SUBSCRIPTION_EVENT_TYPES = tuple(
    f"customer.subscription.{kind}"
    for kind in ("created", "updated", "deleted", "paused", "resumed", "trial_will_end")
)
KNOWN_STATES = frozenset(state for state, _label in SUBSCRIPTION_STATES)


class SaasStripeSubscriptionHandler(models.AbstractModel):
    """Stripe subscriptions → ``saas.subscription``, with their MRR history.

    Every subscription event carries the whole subscription, so each one is applied as a
    snapshot of it (``saas.subscription._apply_snapshot``), whatever its type. A subscription
    can arrive before its customer (another job, or a customer older than the webhook
    endpoint): like a price's product, the customer is then created as a stand-in partner under
    its id, which the customer's own event fills in. Such a stand-in is already the customer's
    partner, so *Match Customers by Email* no longer applies to it.
    """

    _name = "saas.stripe.subscription.handler"
    _inherit = "saas.stripe.handler"
    _description = "Stripe Subscription Handler"

    _provider = "stripe"
    _handles = dict.fromkeys(SUBSCRIPTION_EVENT_TYPES, "_subscription_updated")

    def _subscription_updated(self, backend, event):
        subscription = self._event_object(backend, event)
        if subscription.status not in KNOWN_STATES:
            raise PermanentError(
                self.env._(
                    "Subscription %(subscription)s has an unknown status %(status)s.",
                    subscription=subscription.id,
                    status=subscription.status,
                )
            )
        if not subscription.customer_id or not subscription.currency:
            raise PermanentError(
                self.env._("Subscription %s has no customer or no currency.", subscription.id)
            )
        partner = self._customer_partner(backend, subscription.customer_id)
        currency = self._currency(backend, subscription.currency)
        bindings = self.env["saas.binding"]
        record = bindings.lookup_or_create(
            backend,
            "saas.subscription",
            subscription.id,
            lambda: {
                "name": subscription.id,
                "backend_id": backend.id,
                "partner_id": partner.id,
                "currency_id": currency.id,
            },
        )
        pause = subscription.pause_collection
        values = {
            "partner_id": partner.id,
            "currency_id": currency.id,
            "state": subscription.status,
            "started_at": _naive(subscription.created),
            "current_period_start": _naive(subscription.current_period_start),
            "current_period_end": _naive(subscription.current_period_end),
            "trial_start": _naive(subscription.trial_start),
            "trial_end": _naive(subscription.trial_end),
            "cancel_at_period_end": subscription.cancel_at_period_end,
            "cancel_at": _naive(subscription.cancel_at),
            "canceled_at": _naive(subscription.canceled_at),
            "ended_at": _naive(subscription.ended_at),
            "collection_paused": bool(pause),
            "collection_resumes_at": _naive(pause and pause.resumes_at),
        }
        items = [self._subscription_item_values(backend, item) for item in subscription.items]
        history = record._apply_snapshot(values, items, event.source_created, event=event)
        bindings.bind(backend, record, subscription.id, updated=event.source_created)
        return [record, history]

    def _customer_partner(self, backend, customer_id):
        """The customer's partner, or a stand-in under its id (see the class docstring); the
        stand-in's binding has no source time, so the customer's event is never stale."""
        bindings = self.env["saas.binding"]
        partner = bindings.lookup(backend, "res.partner", customer_id)
        if not partner:
            partner = bindings.lookup_or_create(
                backend,
                "res.partner",
                customer_id,
                lambda: {
                    "name": customer_id,
                    "is_company": True,
                    "company_id": backend.company_id.id,
                },
            )
            self.env["saas.stripe.customer.handler"]._complete_stand_in_later(backend, customer_id)
        return partner

    def _subscription_item_values(self, backend, item):
        price = item.price
        unit_amount = price and price.unit_amount
        return {
            "external_id": item.id,
            "product_tmpl_id": item.product_id
            and self.env["saas.stripe.product.handler"]
            ._product_template(backend, item.product_id)
            .id,
            "price_ref": item.price_id,
            "stripe_price_id": item.price_id
            and self.env["saas.binding"].lookup(backend, "saas.stripe.price", item.price_id).id,
            # Tiered prices have no unit amount: their bill depends on the quantity's tier,
            # and they count no MRR here.
            "unit_amount": unit_amount,
            "unit_amount_exact": None if unit_amount is None else f"{unit_amount:f}",
            # Metered items have no quantity: usage is billed afterwards, not recurring.
            "quantity": item.quantity or 0,
            "interval": price and price.interval,
            "interval_count": (price and price.interval_count) or 1,
        }


def _naive(moment):
    """A normalized (aware UTC) timestamp as Odoo stores it."""
    return moment.replace(tzinfo=None) if moment else False
