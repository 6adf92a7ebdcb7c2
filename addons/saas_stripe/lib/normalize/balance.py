"""Movements of the Stripe balance, and payouts from it to a bank account."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .common import _amount, _id, _required, _required_currency, _timestamp


@dataclass(frozen=True)
class Payout:
    """Money sent from the Stripe balance to a bank account. ``status`` is Stripe's
    (``pending``, ``in_transit``, ``paid``, ``failed``, ``canceled``); only an ``automatic``
    payout can list the balance transactions it settles."""

    id: str
    status: str
    amount: Decimal
    currency: str
    automatic: bool
    created: datetime | None
    arrival_date: datetime | None
    description: str | None
    balance_transaction_id: str | None
    failure_balance_transaction_id: str | None
    failure_code: str | None
    failure_message: str | None


@dataclass(frozen=True)
class BalanceTransaction:
    """One movement of the Stripe balance: ``amount`` is what the movement brings (negative
    for money leaving it), ``fee`` what Stripe took on it, ``net`` = amount - fee. ``source_id``
    is the charge, refund, dispute, payout… it comes from; ``source_payment_intent_id`` is the
    source charge's payment intent when the source was expanded."""

    id: str
    type: str
    reporting_category: str | None
    amount: Decimal
    fee: Decimal
    net: Decimal
    currency: str
    created: datetime | None
    description: str | None
    source_id: str | None
    source_payment_intent_id: str | None


def _payout(obj):
    payout_id = _required(obj, "id", "payout")
    currency = _required_currency(obj, payout_id)
    return Payout(
        id=payout_id,
        status=_required(obj, "status", payout_id),
        amount=_amount(_required(obj, "amount", payout_id), currency),
        currency=currency,
        automatic=bool(obj.get("automatic")),
        created=_timestamp(obj.get("created"), f"{payout_id} created"),
        arrival_date=_timestamp(obj.get("arrival_date"), f"{payout_id} arrival_date"),
        description=obj.get("description") or None,
        balance_transaction_id=_id(obj.get("balance_transaction")),
        # localstripe sends an empty string for a failed payout's transaction.
        failure_balance_transaction_id=_id(obj.get("failure_balance_transaction")) or None,
        failure_code=obj.get("failure_code"),
        failure_message=obj.get("failure_message"),
    )


def _balance_transaction(obj):
    transaction_id = _required(obj, "id", "balance_transaction")
    currency = _required_currency(obj, transaction_id)
    amount = _amount(_required(obj, "amount", transaction_id), currency)
    fee = _amount(obj.get("fee") or 0, currency)
    source = obj.get("source")
    return BalanceTransaction(
        id=transaction_id,
        type=_required(obj, "type", transaction_id),
        reporting_category=obj.get("reporting_category"),
        amount=amount,
        fee=fee,
        net=amount - fee if obj.get("net") is None else _amount(obj["net"], currency),
        currency=currency,
        created=_timestamp(obj.get("created"), f"{transaction_id} created"),
        description=obj.get("description"),
        source_id=_id(source),
        # Only a charge's payment intent names the payment: a refund's names the refunded one.
        source_payment_intent_id=(
            _id(source.get("payment_intent"))
            if isinstance(source, dict) and source.get("object") == "charge"
            else None
        ),
    )
