"""Stripe disputes of each API version, read into canonical Dispute objects. The fixtures are
recorded payloads (see fixtures/PROVENANCE.md); a test that needs a variant derives it in code
and says which field it changes."""

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from odoo.addons.saas_stripe.lib.normalize import (
    DISPUTE_STATUSES,
    Dispute,
    NormalizeError,
    normalize_event,
    normalize_object,
)

from .common_normalize import load

DJ_STRIPE = "dj-stripe/tests__init__.FAKE_EVENT_DISPUTE_{}.json"
SYNC_ENGINE = "stripe-sync-engine/charge_dispute_{}.json"
LAGO_2020_CLOSED = "lago-api/2020-08-27/webhooks/charge_dispute_closed.json"
LAGO_BASIL_CLOSED = "lago-api/2025-04-30.basil/webhooks/charge_dispute_closed.json"


def at(timestamp):
    return datetime.fromtimestamp(timestamp, UTC)


def movements(dispute):
    return [(entry.id, entry.amount, entry.currency) for entry in dispute.balance_transactions]


DJ_WITHDRAWAL = ("txn_1JHRCWJSZQVUcJYgYwW8XpF4", Decimal("-10.00"), "USD")


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            DJ_STRIPE.format("CREATED"),
            {
                "api_version": "2017-08-15",
                "status": "needs_response",
                "reason": "fraudulent",
                "amount": Decimal("10.00"),
                "charge": "ch_fakefakefakefakefake0001",
                "due": 1626566399,
                "moved": [("txn_16g5h62eZvKYlo2CQ2AHA89s", Decimal("-10.00"), "USD")],
            },
        ),
        (
            SYNC_ENGINE.format("created"),
            {
                "api_version": "2020-03-02",
                "status": "warning_needs_response",
                "reason": "general",
                "amount": Decimal("10.00"),
                "charge": "ch_1IqtGAJDPojXS6LNstgEfUji",
                "due": 1674345599,
                "moved": [],
            },
        ),
        (
            DJ_STRIPE.format("FUNDS_WITHDRAWN"),
            {
                "api_version": "2020-08-27",
                "status": "needs_response",
                "reason": "fraudulent",
                "amount": Decimal("10.00"),
                "charge": "ch_1JHRCWJSZQVUcJYgOCavbxio",
                "due": 1626566399,
                "moved": [DJ_WITHDRAWAL],
            },
        ),
        (
            DJ_STRIPE.format("FUNDS_REINSTATED_FULL"),
            {
                "api_version": "2020-08-27",
                "status": "under_review",
                "reason": "fraudulent",
                "amount": Decimal("10.00"),
                "charge": "ch_fakefakefakefakefake0001",
                "due": 1626566399,
                "moved": [
                    ("txn_16g5h62eZvKYlo2CQ2AHA89s", Decimal("-10.00"), "USD"),
                    ("txn_1JHRCWJSZQVUcJYgYwW8XpF4", Decimal("10.00"), "USD"),
                ],
            },
        ),
        (
            DJ_STRIPE.format("CLOSED"),
            {
                "api_version": "2020-08-27",
                "status": "won",
                "reason": "fraudulent",
                "amount": Decimal("10.00"),
                "charge": "ch_1JHRCWJSZQVUcJYgOCavbxio",
                "due": 1626566399,
                "moved": [DJ_WITHDRAWAL],
            },
        ),
        (
            LAGO_2020_CLOSED,
            {
                "api_version": "2020-08-27",
                "status": "lost",
                "reason": "fraudulent",
                "amount": Decimal("45.16"),
                "charge": "ch_3OzgpDH4tiDZlIUa0M7QchGT",
                "due": 1712534399,
                "moved": [("txn_1OzgpEH4tiDZlIUaXu3PFSnM", Decimal("-45.16"), "USD")],
            },
        ),
        (
            LAGO_BASIL_CLOSED,
            {
                "api_version": "2025-04-30.basil",
                "status": "warning_closed",
                "reason": "fraudulent",
                "amount": Decimal("1.00"),
                "charge": "ch_3RWXidQ8iJWBZFaM07eC54Yk",
                "due": 1749945599,
                "moved": [],
            },
        ),
    ],
)
def test_dispute_of_each_api_version(fixture, expected):
    payload = load(fixture)
    event = normalize_event(payload)
    dispute = event.object
    assert event.api_version == expected["api_version"]
    assert isinstance(dispute, Dispute)
    assert (dispute.status, dispute.reason, dispute.amount, dispute.currency) == (
        expected["status"],
        expected["reason"],
        expected["amount"],
        "USD",
    )
    assert dispute.charge_id == expected["charge"]
    assert dispute.payment_intent_id == payload["data"]["object"]["payment_intent"]
    assert dispute.evidence_due_by == at(expected["due"])
    assert movements(dispute) == expected["moved"]
    # The charge is not expanded in any of them: its customer and invoice are unknown.
    assert (dispute.customer_id, dispute.invoice_id) == (None, None)


@pytest.mark.parametrize("kind", ["created", "updated", "funds_withdrawn", "funds_reinstated"])
def test_inquiry_moves_no_money_whatever_the_event(kind):
    dispute = normalize_event(load(SYNC_ENGINE.format(kind))).object
    assert (dispute.id, dispute.status, dispute.is_charge_refundable) == (
        "dp_1MLuxQJDPojXS6LNrukJCBBG",
        "warning_needs_response",
        True,
    )
    assert dispute.balance_transactions == ()
    assert dispute.created == at(1672692608)


def test_withdrawal_keeps_its_fee_apart():
    (withdrawal,) = normalize_event(load(LAGO_2020_CLOSED)).object.balance_transactions
    assert (withdrawal.amount, withdrawal.fee, withdrawal.net) == (
        Decimal("-45.16"),
        Decimal("20.00"),
        Decimal("-65.16"),
    )
    assert withdrawal.reporting_category == "dispute"


def test_expanded_charge_names_customer_and_invoice():
    # The charge expanded (as ``expand[]=charge`` returns it), which no fixture holds.
    obj = copy.deepcopy(load(LAGO_2020_CLOSED)["data"]["object"])
    obj["charge"] = {
        "id": "ch_3OzgpDH4tiDZlIUa0M7QchGT",
        "object": "charge",
        "customer": {"id": "cus_PpUD2ExampleXy", "object": "customer"},
        "invoice": "in_1OzgpBH4tiDZlIUaExample",
        "payment_intent": "pi_3OzgpDH4tiDZlIUa0Ezzggtg",
    }
    obj["payment_intent"] = None
    dispute = normalize_object(obj)
    assert (dispute.charge_id, dispute.payment_intent_id) == (
        "ch_3OzgpDH4tiDZlIUa0M7QchGT",
        "pi_3OzgpDH4tiDZlIUa0Ezzggtg",
    )
    assert (dispute.customer_id, dispute.invoice_id) == (
        "cus_PpUD2ExampleXy",
        "in_1OzgpBH4tiDZlIUaExample",
    )


@pytest.mark.parametrize(
    ("fixture", "closed"),
    [
        (DJ_STRIPE.format("CREATED"), False),  # 2017-08-15, needs_response
        (DJ_STRIPE.format("FUNDS_REINSTATED_FULL"), False),  # 2020-08-27, under_review
        (DJ_STRIPE.format("CLOSED"), True),  # 2020-08-27, won
        (SYNC_ENGINE.format("created"), False),  # 2020-03-02, warning_needs_response
        (LAGO_2020_CLOSED, True),  # lost
        (LAGO_BASIL_CLOSED, True),  # 2025-04-30.basil, warning_closed
    ],
)
def test_a_closed_dispute_of_each_version(fixture, closed):
    assert normalize_event(load(fixture)).object.closed is closed


@pytest.mark.parametrize("status", sorted(DISPUTE_STATUSES))
def test_a_dispute_is_closed_exactly_in_the_closed_statuses(status):
    # Derived: every status Stripe knows, on one recorded dispute.
    obj = copy.deepcopy(load(LAGO_2020_CLOSED)["data"]["object"])
    obj["status"] = status
    assert normalize_object(obj).closed is (
        status in {"warning_closed", "won", "lost", "charge_refunded", "prevented"}
    )


def test_every_stripe_status_is_known():
    assert DISPUTE_STATUSES == {
        "warning_needs_response",
        "warning_under_review",
        "warning_closed",
        "needs_response",
        "under_review",
        "won",
        "lost",
        "charge_refunded",
        "prevented",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda obj: obj.update(status="escalated"), "unknown status 'escalated'"),
        (lambda obj: obj.pop("amount"), "has no amount"),
        (lambda obj: obj.pop("currency"), "has no currency"),
        (
            lambda obj: obj.update(balance_transactions=["txn_1OzgpEH4tiDZlIUaXu3PFSnM"]),
            "lists balance transaction 'txn_1OzgpEH4tiDZlIUaXu3PFSnM' unexpanded",
        ),
    ],
)
def test_unreadable_dispute_is_refused_with_the_field_at_fault(change, message):
    obj = copy.deepcopy(load(LAGO_2020_CLOSED)["data"]["object"])
    change(obj)
    with pytest.raises(NormalizeError, match=message):
        normalize_object(obj)


def test_fractional_minor_units_are_refused():
    # dj-stripe's hand-made partial reinstatement writes its amounts as floats (900.0), which
    # Stripe never sends: read as is, it is refused rather than rounded.
    with pytest.raises(NormalizeError, match=r"not an integer of minor units: 900\.0"):
        normalize_event(load(DJ_STRIPE.format("FUNDS_REINSTATED_PARTIAL")))
