"""Disputes (chargebacks) and inquiries."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .balance import BalanceTransaction, _balance_transaction
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

# Stripe's dispute statuses: warning_* ones are inquiries, which move no money;
# charge_refunded closed disputes of refunded charges until 2017; prevented ones never opened.
DISPUTE_NEEDS_RESPONSE = frozenset({"warning_needs_response", "needs_response"})
# The closed statuses Stripe reports with ``charge.dispute.closed``: the dispute was decided.
DISPUTE_CLOSED_EVENT_STATUSES = frozenset({"warning_closed", "won", "lost"})
DISPUTE_CLOSED = DISPUTE_CLOSED_EVENT_STATUSES | {"charge_refunded", "prevented"}
DISPUTE_STATUSES = (
    DISPUTE_NEEDS_RESPONSE | DISPUTE_CLOSED | {"warning_under_review", "under_review"}
)


@dataclass(frozen=True)
class Dispute:
    """A chargeback or an inquiry (``warning_*`` statuses) on a charge. ``status`` is one of
    DISPUTE_STATUSES. ``balance_transactions`` lists every movement of the disputed money on
    the Stripe balance so far — withdrawn (negative) or reinstated (positive) — so that the
    dispute's state alone says what the books must hold. ``customer_id`` and ``invoice_id``
    are known only when the payload expands the charge."""

    id: str
    status: str
    reason: str | None
    amount: Decimal
    currency: str
    created: datetime | None
    charge_id: str | None
    payment_intent_id: str | None
    customer_id: str | None
    invoice_id: str | None
    evidence_due_by: datetime | None
    is_charge_refundable: bool
    balance_transactions: tuple[BalanceTransaction, ...]

    @property
    def closed(self):
        """Whether the dispute is over: won, lost, or an inquiry closed; it no longer changes."""
        return self.status in DISPUTE_CLOSED


def _dispute(obj):
    dispute_id = _required(obj, "id", "dispute")
    currency = _required_currency(obj, dispute_id)
    status = obj.get("status")
    if status not in DISPUTE_STATUSES:
        raise NormalizeError(f"dispute {dispute_id} has an unknown status {status!r}")
    charge = obj.get("charge")
    charge = charge if isinstance(charge, dict) else {}
    evidence = obj.get("evidence_details") or {}
    return Dispute(
        id=dispute_id,
        status=status,
        reason=obj.get("reason"),
        amount=_amount(_required(obj, "amount", dispute_id), currency),
        currency=currency,
        created=_timestamp(obj.get("created"), f"{dispute_id} created"),
        charge_id=_id(obj.get("charge")),
        payment_intent_id=_id(obj.get("payment_intent")) or _id(charge.get("payment_intent")),
        customer_id=_id(charge.get("customer")),
        invoice_id=_id(charge.get("invoice")),
        evidence_due_by=_timestamp(
            _first(evidence.get("due_by"), obj.get("evidence_due_by")),
            f"{dispute_id} evidence due date",
        ),
        is_charge_refundable=bool(obj.get("is_charge_refundable")),
        balance_transactions=tuple(
            _dispute_balance_transaction(entry, dispute_id)
            for entry in _list_data(obj.get("balance_transactions"))
        ),
    )


def _dispute_balance_transaction(obj, dispute_id):
    if not isinstance(obj, dict):
        # Stripe always expands them: an id alone says nothing of the amount.
        raise NormalizeError(f"dispute {dispute_id} lists balance transaction {obj!r} unexpanded")
    return _balance_transaction(obj)
