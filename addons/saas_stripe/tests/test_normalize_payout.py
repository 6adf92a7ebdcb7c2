"""Stripe payouts and balance transactions read into canonical objects: Stripe's own examples
(OpenAPI fixtures, see fixtures/PROVENANCE.md) and the shapes localstripe gives them; a test
that needs a variant derives it in code and says which field it changes."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from odoo.addons.saas_stripe.lib.normalize import (
    BalanceTransaction,
    NormalizeError,
    Payout,
    normalize_object,
)

from .common_normalize import load


def test_openapi_payout():
    payout = normalize_object(load("openapi/fixtures3.2026-08.payout.json"))
    assert payout == Payout(
        id="po_1Pgc79B7WZ01zgkWu1KToYf4",
        status="in_transit",
        amount=Decimal("11.00"),
        currency="USD",
        automatic=True,
        created=datetime.fromtimestamp(1234567890, UTC),
        arrival_date=datetime.fromtimestamp(1234567890, UTC),
        description="STRIPE PAYOUT",
        balance_transaction_id="txn_1PgaxNB7WZ01zgkWEV3TLf40",
        failure_balance_transaction_id=None,
        failure_code=None,
        failure_message=None,
    )


def test_localstripe_failed_payout_has_no_failure_transaction():
    # localstripe (resources.py, Payout) fails a payout with an empty failure transaction id,
    # pays out EUR only and never automatically.
    obj = {
        **load("openapi/fixtures3.2026-08.payout.json"),
        "currency": "eur",
        "automatic": False,
        "status": "failed",
        "failure_balance_transaction": "",
        "failure_code": "could_not_process",
        "failure_message": "The bank could not process this payout.",
    }
    payout = normalize_object(obj)
    assert (payout.status, payout.currency, payout.automatic) == ("failed", "EUR", False)
    assert payout.failure_balance_transaction_id is None
    assert payout.failure_message == "The bank could not process this payout."


def test_openapi_balance_transaction():
    transaction = normalize_object(load("openapi/fixtures3.2026-08.balance_transaction.json"))
    assert transaction == BalanceTransaction(
        id="txn_1PgaxNB7WZ01zgkWEV3TLf40",
        type="charge",
        reporting_category="charge",
        amount=Decimal("1.00"),
        fee=Decimal("0.00"),
        net=Decimal("1.00"),
        currency="USD",
        created=datetime.fromtimestamp(1234567890, UTC),
        description="My First Test Charge (created for API docs)",
        source_id="ch_1PgafuB7WZ01zgkWXYmPNZs8",
        source_payment_intent_id=None,
    )


@pytest.mark.parametrize(
    ("source", "source_id", "payment_intent"),
    [
        ({"id": "ch_1", "object": "charge", "payment_intent": "pi_1"}, "ch_1", "pi_1"),
        # A refund names the refunded payment intent: not the refund's own payment.
        ({"id": "re_1", "object": "refund", "payment_intent": "pi_1"}, "re_1", None),
        ("du_1", "du_1", None),
        (None, None, None),
    ],
)
def test_balance_transaction_source(source, source_id, payment_intent):
    obj = {**load("openapi/fixtures3.2026-08.balance_transaction.json"), "source": source}
    transaction = normalize_object(obj)
    assert (transaction.source_id, transaction.source_payment_intent_id) == (
        source_id,
        payment_intent,
    )


def test_balance_transaction_fee_and_net_in_minor_units_of_the_currency():
    obj = {
        **load("openapi/fixtures3.2026-08.balance_transaction.json"),
        "currency": "jpy",
        "amount": 5000,
        "fee": 180,
    }
    del obj["net"]  # net left out: amount minus fee
    transaction = normalize_object(obj)
    assert (transaction.amount, transaction.fee, transaction.net) == (
        Decimal(5000),
        Decimal(180),
        Decimal(4820),
    )


def test_balance_transaction_without_currency_is_refused():
    obj = {**load("openapi/fixtures3.2026-08.balance_transaction.json"), "currency": None}
    with pytest.raises(NormalizeError, match="has no currency"):
        normalize_object(obj)
