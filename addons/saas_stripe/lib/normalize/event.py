"""Webhook events, and the dispatch of an object to the reader of its type."""

from dataclasses import dataclass
from datetime import datetime

from .balance import _balance_transaction, _payout
from .catalog import _price, _product
from .common import NormalizeError, _required, _required_currency, _timestamp
from .credit_note import _credit_note, _credit_note_line
from .customer import _customer, _tax_id
from .dispute import _dispute
from .invoice import _invoice, _invoice_line, _tax_rate
from .payment import (
    _payment_from_charge,
    _payment_from_invoice_payment,
    _payment_from_payment_intent,
    _refund,
)
from .subscription import _subscription


@dataclass(frozen=True)
class Event:
    """A webhook event. ``object`` is the canonical object, or the raw dict when its type has no
    canonical class; ``previous_attributes`` is raw (see the package docstring)."""

    id: str
    type: str
    api_version: str | None
    created: datetime
    livemode: bool
    object_type: str | None
    object_id: str | None
    object: object
    previous_attributes: dict | None


def normalize_event(payload):
    """The canonical Event of a webhook body (already parsed from JSON)."""
    if not isinstance(payload, dict) or payload.get("object", "event") != "event":
        raise NormalizeError("not a Stripe event")
    data = payload.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise NormalizeError(f"event {payload.get('id')!r} has no data.object")
    obj = data["object"]
    livemode = payload.get("livemode")
    if not isinstance(livemode, bool):
        raise NormalizeError(f"event {payload.get('id')!r} has no boolean livemode")
    object_type = obj.get("object")
    return Event(
        id=_required(payload, "id", "event"),
        type=_required(payload, "type", "event"),
        api_version=payload.get("api_version"),
        created=_timestamp(_required(payload, "created", "event"), "event.created"),
        livemode=livemode,
        object_type=object_type,
        object_id=obj.get("id"),
        object=normalize_object(obj) if object_type in _NORMALIZERS else obj,
        previous_attributes=data.get("previous_attributes"),
    )


def normalize_object(obj):
    """The canonical object of a Stripe API object, dispatched on its ``object`` field."""
    if not isinstance(obj, dict):
        raise NormalizeError("not a Stripe object")
    object_type = obj.get("object")
    normalizer = _NORMALIZERS.get(object_type)
    if normalizer is None:
        raise NormalizeError(f"unsupported Stripe object type {object_type!r}")
    return normalizer(obj)


_NORMALIZERS = {
    "customer": _customer,
    "tax_id": _tax_id,
    "product": _product,
    "price": _price,
    "plan": _price,
    "subscription": _subscription,
    "invoice": _invoice,
    "line_item": _invoice_line,
    "tax_rate": _tax_rate,
    "charge": _payment_from_charge,
    "payment_intent": _payment_from_payment_intent,
    "invoice_payment": _payment_from_invoice_payment,
    "credit_note": _credit_note,
    "credit_note_line_item": lambda obj: _credit_note_line(
        obj, _required_currency(obj, obj["id"])
    ),
    "refund": _refund,
    "payout": _payout,
    "balance_transaction": _balance_transaction,
    "dispute": _dispute,
}
