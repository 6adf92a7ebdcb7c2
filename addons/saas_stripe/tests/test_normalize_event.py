"""Stripe event envelopes of each API version, read into canonical events; what is refused."""

import dataclasses
from datetime import UTC
from decimal import Decimal

import pytest

from odoo.addons.saas_stripe.lib.normalize import (
    Customer,
    Invoice,
    NormalizeError,
    Payment,
    normalize_event,
    normalize_object,
)

from .common_normalize import (
    LAGO_2020,
    LAGO_ACACIA,
    LAGO_BASIL,
    LOCALSTRIPE,
    SYNC_ENGINE,
    ZULIP_INVOICE,
    ZULIP_INVOICE_PAYMENT,
    at,
    event_payload,
    stripe_object,
)


@pytest.mark.parametrize(
    ("fixture", "index", "expected", "canonical"),
    [
        (
            f"{LOCALSTRIPE}/customer_created.json",
            0,
            (
                "evt_LsCustomerCreated",
                "customer.created",
                "2017-08-15",
                at(2017, 8, 29, 9, 46, 40),
                False,
                "customer",
                "cus_LsAda0001",
            ),
            Customer,
        ),
        (
            f"{SYNC_ENGINE}/invoice_paid.json",
            0,
            (
                "evt_1KJrGtJDPojXS6LN15fcthM3",
                "invoice.paid",
                "2020-03-02",
                at(2022, 1, 20, 3, 25, 11),
                False,
                "invoice",
                "in_1KJqKBJDPojXS6LNJbvLUgEy",
            ),
            Invoice,
        ),
        (
            f"{LAGO_2020}/customer_updated.json",
            0,
            (
                "evt_123456789",
                "customer.updated",
                "2020-08-27",
                at(2023, 7, 8, 11, 34, 18),
                False,
                "customer",
                "cus_123456789",
            ),
            Customer,
        ),
        (
            f"{SYNC_ENGINE}/invoice_payment_paid.json",
            0,
            (
                "evt_test_invoice_payment_paid",
                "invoice_payment.paid",
                "2023-10-16",
                at(2022, 1, 20, 3, 25, 11),
                False,
                "invoice_payment",
                "inpay_1M3USa2eZvKYlo2CBjuwbq0N",
            ),
            Payment,
        ),
        (
            f"{LAGO_ACACIA}/payment_intent_succeeded.json",
            0,
            (
                "evt_3R3dvoQ8iJWBZFaM0Wh4E44o",
                "payment_intent.succeeded",
                "2024-09-30.acacia",
                at(2025, 3, 17, 13, 42, 17),
                False,
                "payment_intent",
                "pi_3R3dvoQ8iJWBZFaM0uu1G1rx",
            ),
            Payment,
        ),
        (
            f"{LAGO_BASIL}/customer_updated.json",
            0,
            (
                "evt_1RWGXCQ8iJWBZFaMVlV0UVdh",
                "customer.updated",
                "2025-04-30.basil",
                at(2025, 6, 4, 12, 35, 10),
                False,
                "customer",
                "cus_SR8o2vcGRkVb6v",
            ),
            Customer,
        ),
        (
            ZULIP_INVOICE,
            1,
            (
                "upgrade_by_card--Event.list.4.json",
                "invoice.paid",
                "2025-11-17.clover",
                at(2001, 9, 9, 1, 46, 40),
                False,
                "invoice",
                "upgrade_by_card--Event.list.3.json",
            ),
            Invoice,
        ),
        (
            ZULIP_INVOICE_PAYMENT,
            0,
            (
                "stripe_billing_portal_urls_for_remote_server--Event.list.1.json",
                "invoice_payment.paid",
                "2025-11-17.clover",
                at(2001, 9, 9, 1, 46, 40),
                False,
                "invoice_payment",
                "stripe_billing_portal_urls_for_remote_server--Event.list.1.json",
            ),
            Payment,
        ),
    ],
)
def test_event_envelope_of_each_version(fixture, index, expected, canonical):
    event = normalize_event(event_payload(fixture, index))
    assert (
        event.id,
        event.type,
        event.api_version,
        event.created,
        event.livemode,
        event.object_type,
        event.object_id,
    ) == expected
    assert isinstance(event.object, canonical)
    assert event.created.tzinfo is UTC


@pytest.mark.parametrize(
    ("fixture", "index", "previous"),
    [
        (
            ZULIP_INVOICE,
            2,
            {
                "amount_paid": 0,
                "amount_remaining": 48000,
                "attempt_count": 0,
                "attempted": False,
                "status": "open",
                "status_transitions": {"paid_at": None},
            },
        ),
        (f"{SYNC_ENGINE}/subscription_updated.json", 0, {"metadata": {"test": None}}),
        (ZULIP_INVOICE, 0, None),
    ],
)
def test_previous_attributes_are_kept_as_sent(fixture, index, previous):
    assert normalize_event(event_payload(fixture, index)).previous_attributes == previous


def test_event_about_an_object_without_canonical_type_keeps_the_raw_object():
    # No fixture holds an object without canonical class: a dispute event stands for one,
    # its object re-typed as a Radar early fraud warning.
    payload = event_payload(f"{LAGO_BASIL}/charge_dispute_closed.json")
    payload["data"]["object"]["object"] = "radar.early_fraud_warning"
    event = normalize_event(payload)
    assert (event.id, event.type, event.object_type, event.object_id) == (
        "evt_3RWXidQ8iJWBZFaM0N9UpCe2",
        "charge.dispute.closed",
        "radar.early_fraud_warning",
        "dp_1RWXieQ8iJWBZFaM572opwWo",
    )
    assert event.object == payload["data"]["object"]
    assert event.previous_attributes == {"status": "warning_needs_response"}


def test_object_without_canonical_type_is_refused_alone():
    obj = stripe_object(f"{LAGO_BASIL}/charge_dispute_closed.json")
    obj["object"] = "radar.early_fraud_warning"
    with pytest.raises(NormalizeError, match=r"unsupported Stripe object type 'radar\.early"):
        normalize_object(obj)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.update(object="list"), "not a Stripe event"),
        (lambda p: p.pop("data"), "has no data.object"),
        (lambda p: p["data"].update(object="in_1"), "has no data.object"),
        (lambda p: p.pop("livemode"), "has no boolean livemode"),
        (lambda p: p.pop("id"), "event has no id"),
        (lambda p: p.pop("type"), "event has no type"),
        (lambda p: p.update(created="2022-01-20"), "event.created is not a Unix timestamp"),
        (lambda p: p["data"]["object"].pop("currency"), "invoice in_1KJqKBJDPojXS6LNJbvLUgEy"),
    ],
)
def test_malformed_event_is_refused(change, message):
    payload = event_payload(f"{SYNC_ENGINE}/invoice_paid.json")
    change(payload)
    with pytest.raises(NormalizeError, match=message):
        normalize_event(payload)


def test_not_a_payload_is_refused():
    with pytest.raises(NormalizeError):
        normalize_event(["evt_1"])
    with pytest.raises(NormalizeError):
        normalize_object("cus_1")


def test_canonical_objects_are_frozen():
    event = normalize_event(event_payload(f"{SYNC_ENGINE}/invoice_paid.json"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.object.total = Decimal(1)
