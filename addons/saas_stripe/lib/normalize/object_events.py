"""Objects read from the API (a Re-sync, a backfill, a stale event's refresh) as the webhook
events whose handlers apply their current state: the event types only, which the handlers
then read through the other modules of this package like any delivered event."""

from .dispute import DISPUTE_CLOSED_EVENT_STATUSES

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
        if obj.get("status") in DISPUTE_CLOSED_EVENT_STATUSES
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
