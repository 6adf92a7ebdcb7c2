import json

from odoo import models
from odoo.addons.saas_connector_base.lib.sync import ObjectEvent

# Statuses after which a dispute no longer changes: Stripe reports them with
# ``charge.dispute.closed``.
DISPUTE_CLOSED_STATUSES = frozenset({"won", "lost", "warning_closed"})
# A payout's status names its last event (``payout.paid``, ``.failed``, ``.canceled``); while
# it is on its way only ``payout.updated`` describes it.
PAYOUT_STATUS_EVENTS = frozenset({"paid", "failed", "canceled"})
INVOICE_STATUS_EVENTS = {
    "draft": "invoice.updated",
    "open": "invoice.finalized",
    "paid": "invoice.paid",
    "void": "invoice.voided",
    "uncollectible": "invoice.marked_uncollectible",
}


def _charge_event_types(obj):
    # A refunded charge needs two: its payment, then the refunds it embeds.
    types = [f"charge.{obj.get('status') or 'pending'}"]
    if obj.get("amount_refunded"):
        types.append("charge.refunded")
    return types


def _invoice_event_types(obj):
    types = [INVOICE_STATUS_EVENTS.get(obj.get("status"), "invoice.updated")]
    if obj.get("status") == "open" and obj.get("attempted"):
        # Collected and not paid: a failed payment, which the invoice's state alone does not
        # flag. Read as the current state of an invoice whose own invoice.payment_failed came
        # too late to apply, it must flag the invoice all the same.
        types.append("invoice.payment_failed")
    return types


def _payout_event_type(obj):
    status = obj.get("status")
    return f"payout.{status if status in PAYOUT_STATUS_EVENTS else 'updated'}"


EVENT_TYPES_OF = {
    "customer": lambda obj: ["customer.updated"],
    "product": lambda obj: ["product.updated"],
    "plan": lambda obj: ["plan.updated"],
    "price": lambda obj: ["price.updated"],
    "refund": lambda obj: ["refund.updated"],
    "subscription": lambda obj: ["customer.subscription.updated"],
    "invoice": _invoice_event_types,
    "credit_note": lambda obj: [
        "credit_note.voided" if obj.get("status") == "void" else "credit_note.created"
    ],
    "charge": _charge_event_types,
    "dispute": lambda obj: [
        "charge.dispute.closed"
        if obj.get("status") in DISPUTE_CLOSED_STATUSES
        else "charge.dispute.updated"
    ],
    "payout": lambda obj: [_payout_event_type(obj)],
}
# Objects Stripe reports deleted (``"deleted": true``) have an event of their own.
DELETABLE = frozenset({"customer", "product", "plan", "price"})


def sync_event_types(obj):
    """The webhook event types whose handlers apply the current state of the Stripe object
    ``obj`` (a dict as the API returns it), in the order they must be applied. An object type
    the connector has no event for gives none."""
    kind = obj.get("object")
    if obj.get("deleted"):
        return [f"{kind}.deleted"] if kind in DELETABLE else []
    event_types = EVENT_TYPES_OF.get(kind)
    return event_types(obj) if event_types else []


class SaasBackend(models.Model):
    """Stripe objects read from the API, as the events the engine stores and applies (see
    ``saas.backend._sync_objects``): which event types apply an object's current state, and
    the Stripe event around it."""

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    def _provider_object_events(self, obj):
        if self.provider != "stripe":
            return super()._provider_object_events(obj)
        return [
            ObjectEvent(event_type, obj["object"], obj["id"])
            for event_type in sync_event_types(obj)
        ]

    def _provider_object_payload(self, event_id, object_event, obj, created):
        if self.provider != "stripe":
            return super()._provider_object_payload(event_id, object_event, obj, created)
        payload = {
            "id": event_id,
            "object": "event",
            "type": object_event.event_type,
            "api_version": self.stripe_api_version or None,
            "created": created,
            "livemode": bool(obj.get("livemode", self.environment == "live")),
            "data": {"object": obj},
        }
        # The SDK reads Stripe's decimal strings (``unit_amount_decimal``) as Decimal:
        # written back as the strings they were.
        return json.dumps(payload, default=str)

    def _provider_sync_id_prefix(self):
        if self.provider != "stripe":
            return super()._provider_sync_id_prefix()
        return "evt_sync_"
