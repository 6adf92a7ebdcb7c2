"""Money received from a charge, a payment intent, an invoice_payment or a paid invoice,
and refunds of it."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .common import (
    NormalizeError,
    _amount,
    _first,
    _id,
    _list_data,
    _required,
    _required_currency,
    _timestamp,
)

PAYMENT_SUCCEEDED = "succeeded"
PAYMENT_PENDING = "pending"
PAYMENT_FAILED = "failed"
PAYMENT_CANCELED = "canceled"


@dataclass(frozen=True)
class Refund:
    """Money sent back on a charge. ``status`` is Stripe's (``pending``, ``succeeded``,
    ``failed``, ``canceled``, ``requires_action``)."""

    id: str
    status: str | None
    amount: Decimal
    currency: str
    created: datetime | None
    charge_id: str | None
    payment_intent_id: str | None
    reason: str | None
    failure_reason: str | None


@dataclass(frozen=True)
class Payment:
    """Money received (or attempted) from a charge, a payment intent, an invoice_payment or a
    paid invoice. The same payment is usually reported by several of them: ``id`` is the id of
    the object it was read from, so match payments on ``payment_intent_id``, then
    ``charge_id``. ``status`` is one of the PAYMENT_* values, ``provider_status`` Stripe's own
    word; ``amount`` is what was received once succeeded, what is requested before."""

    id: str
    object_type: str
    status: str
    provider_status: str | None
    amount: Decimal
    amount_refunded: Decimal | None
    currency: str
    created: datetime | None
    invoice_id: str | None
    customer_id: str | None
    charge_id: str | None
    payment_intent_id: str | None
    balance_transaction_id: str | None
    # Why the card or bank declined a failed payment, as Stripe words it.
    failure_reason: str | None = None
    # The refunds a charge embeds (what ``charge.refunded`` reports). 2022-11-15 stopped
    # embedding them: the ``refund.*`` events (``charge.refund.updated`` before them) carry each
    # refund then.
    refunds: tuple[Refund, ...] = ()


def payment_from_invoice(invoice):
    """The payment a paid invoice reports (``invoice.paid``), from its canonical Invoice. From
    2025-03-31.basil on, charges and payment intents no longer name their invoice: this and the
    ``invoice_payment`` object are what tie money to an invoice."""
    if invoice.id is None:
        raise NormalizeError("an upcoming invoice reports no payment")
    return Payment(
        id=invoice.id,
        object_type="invoice",
        status=PAYMENT_SUCCEEDED if invoice.status == "paid" else PAYMENT_PENDING,
        provider_status=invoice.status,
        amount=invoice.amount_paid,
        amount_refunded=None,
        currency=invoice.currency,
        created=invoice.paid_at or invoice.created,
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        charge_id=invoice.charge_id,
        payment_intent_id=invoice.payment_intent_id,
        balance_transaction_id=None,
    )


def _charge_failure_reason(obj):
    """A charge's decline as finance reads it: Stripe's message, then the bank's decline code
    (``outcome.reason``) or the failure code."""
    outcome = obj.get("outcome") or {}
    message = obj.get("failure_message") or outcome.get("seller_message")
    return _reason(message, outcome.get("reason") or obj.get("failure_code"))


def _intent_failure_reason(obj):
    error = obj.get("last_payment_error") or {}
    if error:
        return _reason(error.get("message"), error.get("decline_code") or error.get("code"))
    charge = _latest_charge(obj)
    return _charge_failure_reason(charge) if charge else None


def _reason(message, code):
    if message and code:
        return f"{message} ({code})"
    return message or code or None


def _refund(obj):
    refund_id = _required(obj, "id", "refund")
    currency = _required_currency(obj, refund_id)
    return Refund(
        id=refund_id,
        status=obj.get("status"),
        amount=_amount(_required(obj, "amount", refund_id), currency),
        currency=currency,
        created=_timestamp(obj.get("created"), f"{refund_id} created"),
        charge_id=_id(obj.get("charge")),
        payment_intent_id=_id(obj.get("payment_intent")),
        reason=obj.get("reason"),
        failure_reason=obj.get("failure_reason"),
    )


_CHARGE_STATUSES = {
    "succeeded": PAYMENT_SUCCEEDED,
    "pending": PAYMENT_PENDING,
    "failed": PAYMENT_FAILED,
}
_INVOICE_PAYMENT_STATUSES = {
    "paid": PAYMENT_SUCCEEDED,
    "open": PAYMENT_PENDING,
    "canceled": PAYMENT_CANCELED,
}


def _payment_from_charge(obj):
    charge_id = _required(obj, "id", "charge")
    currency = _required_currency(obj, charge_id)
    return Payment(
        id=charge_id,
        object_type="charge",
        status=_mapped_status(_CHARGE_STATUSES, obj, charge_id),
        provider_status=obj.get("status"),
        amount=_amount(_required(obj, "amount", charge_id), currency),
        amount_refunded=_amount(obj.get("amount_refunded"), currency),
        currency=currency,
        created=_timestamp(obj.get("created"), f"{charge_id} created"),
        # 2025-03-31.basil removed charge.invoice: the invoice_payment links them since.
        invoice_id=_id(obj.get("invoice")),
        customer_id=_id(obj.get("customer")),
        charge_id=charge_id,
        payment_intent_id=_id(obj.get("payment_intent")),
        balance_transaction_id=_id(obj.get("balance_transaction")),
        failure_reason=_charge_failure_reason(obj) if obj.get("status") == "failed" else None,
        refunds=tuple(
            _refund({"currency": currency, **entry}) for entry in _list_data(obj.get("refunds"))
        ),
    )


def _payment_from_payment_intent(obj):
    intent_id = _required(obj, "id", "payment_intent")
    currency = _required_currency(obj, intent_id)
    status = obj.get("status")
    if status == "succeeded":
        payment_status = PAYMENT_SUCCEEDED
    elif status == "canceled":
        payment_status = PAYMENT_CANCELED
    elif status == "requires_payment_method" and obj.get("last_payment_error"):
        payment_status = PAYMENT_FAILED  # what payment_intent.payment_failed carries
    else:
        payment_status = PAYMENT_PENDING
    charge = _latest_charge(obj)
    received = obj.get("amount_received") if payment_status == PAYMENT_SUCCEEDED else None
    return Payment(
        id=intent_id,
        object_type="payment_intent",
        status=payment_status,
        provider_status=status,
        amount=_amount(_first(received, _required(obj, "amount", intent_id)), currency),
        amount_refunded=_amount(charge.get("amount_refunded"), currency),
        currency=currency,
        created=_timestamp(obj.get("created"), f"{intent_id} created"),
        # 2025-03-31.basil removed payment_intent.invoice, like charge.invoice.
        invoice_id=_id(obj.get("invoice")),
        customer_id=_id(obj.get("customer")),
        charge_id=_id(obj.get("latest_charge")) or charge.get("id"),
        payment_intent_id=intent_id,
        balance_transaction_id=_id(charge.get("balance_transaction")),
        failure_reason=(_intent_failure_reason(obj) if payment_status == PAYMENT_FAILED else None),
    )


def _latest_charge(obj):
    """The intent's latest charge as a dict (empty when only its id is known): expanded in
    ``latest_charge``, or found in the ``charges`` list that 2022-11-15 removed."""
    if isinstance(obj.get("latest_charge"), dict):
        return obj["latest_charge"]
    charges = _list_data(obj.get("charges"))
    latest_id = obj.get("latest_charge")
    for charge in charges:
        if charge.get("id") == latest_id:
            return charge
    # Without latest_charge, the list's first entry is the most recent charge.
    return charges[0] if charges and latest_id is None else {}


def _payment_from_invoice_payment(obj):
    payment_id = _required(obj, "id", "invoice_payment")
    currency = _required_currency(obj, payment_id)
    status = _mapped_status(_INVOICE_PAYMENT_STATUSES, obj, payment_id)
    payment = obj.get("payment") or {}
    paid = obj.get("amount_paid") if status == PAYMENT_SUCCEEDED else None
    return Payment(
        id=payment_id,
        object_type="invoice_payment",
        status=status,
        provider_status=obj.get("status"),
        amount=_amount(_first(paid, _required(obj, "amount_requested", payment_id)), currency),
        amount_refunded=None,
        currency=currency,
        created=_timestamp(obj.get("created"), f"{payment_id} created"),
        invoice_id=_id(obj.get("invoice")),
        customer_id=None,
        charge_id=_id(payment.get("charge")),
        payment_intent_id=_id(payment.get("payment_intent")),
        balance_transaction_id=None,
    )


def _mapped_status(mapping, obj, label):
    status = obj.get("status")
    if status not in mapping:
        raise NormalizeError(f"{label} has an unknown status {status!r}")
    return mapping[status]
