import hashlib
import json
import time
from datetime import UTC, datetime

from odoo import models
from odoo.addons.saas_connector_base.lib.inbound import InboundEvent

# Statuses after which a dispute no longer changes: Stripe reports them with
# ``charge.dispute.closed``.
DISPUTE_CLOSED_STATUSES = frozenset({"won", "lost", "warning_closed"})
# A payout's status names its last event (``payout.paid``, ``.failed``, ``.canceled``); while
# it is on its way only ``payout.updated`` describes it.
PAYOUT_STATUS_EVENTS = frozenset({"paid", "failed", "canceled"})
# Stored in place of a delivery's headers: says where the event came from.
SYNC_HEADERS = json.dumps({"Origin": "Stripe API (synchronization)"})
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


def sync_event_id(event_type, obj, salt=""):
    """A synthetic event id that depends only on the event type and the object's content
    (and ``salt``): syncing an unchanged object again gives the same id (a duplicate the
    intake ignores), a changed one a new id. A re-sync salts it, so that the state is applied
    again even when the object did not change (Odoo's side did)."""
    content = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    salted = f"{event_type}\n{salt}" if salt else event_type
    digest = hashlib.sha256(f"{salted}\n{content}".encode()).hexdigest()
    return f"evt_sync_{obj['id']}_{digest[:24]}"


class SaasBackend(models.Model):
    """Objects read from the Stripe API, applied exactly as webhooks would apply them."""

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    def _stripe_sync_objects(self, objects, dispatch=True, salt=""):
        """Feed Stripe API objects (dicts, e.g. ``obj.to_dict()`` of the SDK) through the
        event engine as if Stripe had sent a webhook describing each one's current state.

        Each object becomes an event of the type whose handler applies that state (see
        :func:`sync_event_types`), dated now — it is the state as of now, so webhooks created
        before it are recognized as older — with a synthetic id derived from the object's
        content: an unchanged object synced twice is a duplicate and changes nothing, a
        changed one is a new event. The events are stored with the engine's intake and
        processed by its jobs, one object at a time in order, with the same bindings as
        webhooks: an object already imported by a webhook is not imported again.

        Objects whose type has no event (or no handler) are stored and then ignored by the
        engine. With ``dispatch=False`` the caller processes the events (see
        ``saas.event._receive``); ``salt`` makes the ids of a re-sync new (see
        :func:`sync_event_id`). Returns the ``saas.event`` records stored now (duplicates
        excluded).
        """
        self.ensure_one()
        now = int(time.time())
        inbound_events = []
        for obj in objects:
            for event_type in sync_event_types(obj):
                payload = {
                    "id": sync_event_id(event_type, obj, salt),
                    "object": "event",
                    "type": event_type,
                    "api_version": self.stripe_api_version or None,
                    "created": now,
                    "livemode": bool(obj.get("livemode", self.environment == "live")),
                    "data": {"object": obj},
                }
                inbound_events.append(
                    InboundEvent(
                        external_id=payload["id"],
                        event_type=event_type,
                        object_type=obj["object"],
                        object_external_id=obj["id"],
                        source_created=datetime.fromtimestamp(now, UTC),
                        # The SDK reads Stripe's decimal strings (``unit_amount_decimal``) as
                        # Decimal: written back as the strings they were.
                        payload=json.dumps(payload, default=str),
                    )
                )
        new = self.env["saas.event"]._receive(self, inbound_events, SYNC_HEADERS, dispatch)
        return self.env["saas.event"].browse([event_id for event_id, _object_id in new])

    def _stripe_current_events(self, obj):
        """The events that apply ``obj``, a Stripe object just read, in their order: stored
        now, or earlier by a read of exactly the same state. ``None`` when no event applies
        an object of its type."""
        event_ids = [sync_event_id(event_type, obj) for event_type in sync_event_types(obj)]
        if not event_ids:
            return None
        self._stripe_sync_objects([obj], dispatch=False)
        events = self.env["saas.event"].search(
            [("backend_id", "=", self.id), ("external_id", "in", event_ids)]
        )
        return events.sorted(lambda event: event_ids.index(event.external_id))

    def _provider_event_is_read(self, event):
        if self.provider != "stripe":
            return super()._provider_event_is_read(event)
        return event.headers == SYNC_HEADERS
