"""Stripe payloads of each API version, read into canonical objects. The fixtures are real
payloads (see fixtures/PROVENANCE.md); a test that needs a variant derives it in code and says
which field it changes."""

import copy
import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from odoo.addons.saas_stripe.lib.normalize import (
    PAYMENT_CANCELED,
    PAYMENT_FAILED,
    PAYMENT_PENDING,
    PAYMENT_SUCCEEDED,
    CreditNote,
    CreditNoteLine,
    Customer,
    DiscountAmount,
    Invoice,
    InvoiceLine,
    NormalizeError,
    PauseCollection,
    Payment,
    Price,
    Product,
    Refund,
    Subscription,
    TaxAmount,
    TaxId,
    charge_refunds,
    normalize_event,
    normalize_object,
    payment_from_invoice,
)

FIXTURES = Path(__file__).parent / "fixtures"

LOCALSTRIPE = "localstripe-2017-08-15"
SYNC_ENGINE = "stripe-sync-engine"
LAGO_2020 = "lago-api/2020-08-27/webhooks"
LAGO_ACACIA = "lago-api/2024-09-30.acacia/webhooks"
LAGO_BASIL = "lago-api/2025-04-30.basil/webhooks"
ZULIP_INVOICE = "zulip/upgrade_by_card--Event.list.4.json"  # payment_succeeded, paid, updated
ZULIP_CUSTOMER = "zulip/upgrade_by_card--Event.list.2.json"
ZULIP_INVOICE_PAYMENT = "zulip/stripe_billing_portal_urls_for_remote_server--Event.list.1.json"


def load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def event_payload(name, index=0):
    """An event envelope: the file itself, or entry ``index`` of a Zulip event list page."""
    payload = load(name)
    return payload["data"][index] if payload.get("object") == "list" else payload


def stripe_object(name, index=0):
    """The Stripe object of a fixture: an event's data.object, a data section's object, or the
    bare object."""
    payload = event_payload(name, index)
    if "data" in payload and "type" in payload:
        return payload["data"]["object"]
    return payload.get("object") if isinstance(payload.get("object"), dict) else payload


def at(*args):
    return datetime(*args, tzinfo=UTC)


# Events -------------------------------------------------------------------------------------


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


# Customers, products, prices ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "index", "expected"),
    [
        (
            f"{LOCALSTRIPE}/customer_created.json",
            0,
            Customer(
                id="cus_LsAda0001",
                name="Ada Lovelace",
                email="ada@example.com",
                phone="+49 30 1234567",
                address={
                    "line1": "Unter den Linden 1",
                    "postal_code": "10117",
                    "city": "Berlin",
                    "country": "DE",
                },
                currency="EUR",
                tax_ids=(TaxId(value="DE123456789", type="eu_vat", country="DE"),),
                metadata={"odoo_ref": "42"},
            ),
        ),
        (
            f"{SYNC_ENGINE}/customer_updated.json",
            0,
            Customer(
                id="cus_IhGfebO16cMIGN",
                name="Copple",
                email="billz@supabase.io",
                phone="+6587498462",
                currency="USD",
                metadata={"supabase_org_id": "35"},
            ),
        ),
        (
            f"{SYNC_ENGINE}/customer_deleted.json",
            0,
            Customer(id="cus_IhGfebO16cMIGN", deleted=True),
        ),
        (
            f"{LAGO_2020}/customer_updated.json",
            0,
            Customer(id="cus_123456789", name="Test 5", email="test@getlago.com"),
        ),
        (
            f"{LAGO_BASIL}/customer_updated.json",
            0,
            Customer(
                id="cus_SR8o2vcGRkVb6v",
                name="Integration Test UPDATED 2025-06-04T12:35:09Z",
                address={
                    "city": None,
                    "country": "FR",
                    "line1": None,
                    "line2": None,
                    "postal_code": None,
                    "state": None,
                },
                metadata={
                    "lago_customer_id": "2c0f0f00-c378-4915-8ea4-c26304e1968a",
                    "customer_id": "cust_2025-06-04T12:34:59Z--d2ac6d",
                },
            ),
        ),
        (
            ZULIP_CUSTOMER,
            0,
            Customer(
                id="upgrade_by_card--Customer.create.1.json",
                email="hamlet@zulip.com",
                metadata={"realm_id": "1", "realm_str": "zulip"},
            ),
        ),
    ],
)
def test_customer_of_each_version(fixture, index, expected):
    assert normalize_object(stripe_object(fixture, index)) == expected


def test_legacy_vat_number_is_a_tax_id():
    # Stripe before customer tax ids: the VAT number only in business_vat_id.
    customer = stripe_object(f"{LOCALSTRIPE}/customer_created.json")
    del customer["tax_ids"]
    assert normalize_object(customer).tax_ids == (TaxId(value="DE123456789"),)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            f"{SYNC_ENGINE}/product_updated.json",
            Product(id="prod_IsRLOp58Z7V4XN", name="Pro tier", description="Test", active=True),
        ),
        (
            f"{SYNC_ENGINE}/price_updated.json",
            Price(
                id="price_1IDQm5JDPojXS6LNM31hxKzp",
                product_id="prod_IsRLOp58Z7V4XN",
                currency="USD",
                unit_amount=Decimal("25.00"),
                billing_scheme="per_unit",
                interval="month",
                interval_count=1,
                usage_type="licensed",
                active=True,
                metadata={"meta": "test"},
            ),
        ),
        (
            f"{SYNC_ENGINE}/plan_created.json",
            Price(
                id="price_1MKL7PJDPojXS6LNpNepgHsK",
                product_id="prod_MeUrsWN6pj0oXM",
                currency="USD",
                unit_amount=Decimal("599.00"),
                billing_scheme="per_unit",
                interval="month",
                interval_count=1,
                usage_type="licensed",
                active=True,
            ),
        ),
        (
            f"{SYNC_ENGINE}/plan_deleted.json",
            Price(id="price_1MKL7PJDPojXS6LNpNepgHsK", deleted=True),
        ),
    ],
)
def test_product_price_and_plan(fixture, expected):
    assert normalize_object(stripe_object(fixture)) == expected


def test_legacy_plan_reads_as_a_price_named_by_its_plan_name():
    plan = stripe_object(f"{LOCALSTRIPE}/customer_subscription_created.json")["plan"]
    price = normalize_object(plan)
    assert (price.id, price.nickname, price.unit_amount, price.currency, price.interval) == (
        "gold-monthly",
        "Gold",
        Decimal("20.00"),
        "EUR",
        "month",
    )
    assert not price.tiered


def test_tiered_price_has_no_unit_amount():
    # Same price, made tiered the way Stripe renders one: no unit amount, tiers instead.
    price = stripe_object(f"{SYNC_ENGINE}/price_updated.json")
    price.update(billing_scheme="tiered", tiers_mode="graduated", unit_amount=None)
    price.update(unit_amount_decimal=None)
    normalized = normalize_object(price)
    assert normalized.tiered
    assert (normalized.tiers_mode, normalized.unit_amount) == ("graduated", None)


# Subscriptions ------------------------------------------------------------------------------


def test_subscription_2017_08_15():
    subscription = normalize_event(
        event_payload(f"{LOCALSTRIPE}/customer_subscription_created.json")
    ).object
    assert subscription == Subscription(
        id="sub_LsSub0001",
        customer_id="cus_LsAda0001",
        status="active",
        items=subscription.items,
        current_period_start=at(2017, 8, 29, 9, 46, 40),
        current_period_end=at(2017, 9, 29, 9, 46, 40),
        trial_start=None,
        trial_end=None,
        cancel_at_period_end=False,
        cancel_at=None,
        canceled_at=None,
        ended_at=None,
        pause_collection=None,
        currency="EUR",
        latest_invoice_id="in_LsInv0001",
        created=at(2017, 8, 29, 9, 46, 40),
        metadata={"odoo_order": "S00042"},
    )
    (item,) = subscription.items
    assert (item.id, item.price_id, item.product_id, item.quantity) == (
        "si_LsItem0001",
        "gold-monthly",
        "prod_LsGold0001",
        1,
    )
    # Items had no period of their own before 2025-03-31.basil: they get the subscription's.
    assert (item.current_period_start, item.current_period_end) == (
        at(2017, 8, 29, 9, 46, 40),
        at(2017, 9, 29, 9, 46, 40),
    )


@pytest.mark.parametrize(
    ("fixture", "status", "period", "ends", "items"),
    [
        (
            f"{SYNC_ENGINE}/subscription_updated.json",
            "active",
            (at(2021, 4, 21, 4, 45, 44), at(2021, 5, 21, 4, 45, 44)),
            (None, None),
            [("si_JLEPdb3X81qQ9L", "price_1IDQm5JDPojXS6LNM31hxKzp", "prod_Ip4vqwv3EJ7Mi0", 1)],
        ),
        (
            f"{SYNC_ENGINE}/subscription_created.json",
            "active",
            (at(2021, 6, 8, 10, 41, 58), at(2021, 7, 8, 10, 41, 58)),
            (None, None),
            [
                ("si_JdIzi4Tn5jV9PD", "price_1IDQm5JDPojXS6LNM31hxKzp", "prod_Ip4vqwv3EJ7Mi0", 1),
                # A metered item has no quantity.
                (
                    "si_JdIzi4Tn5jVaaa",
                    "price_1IDQm5JDPojXS6LNM31hxKzp",
                    "prod_Ip4vqwv3EJ7Mi0",
                    None,
                ),
            ],
        ),
        (
            f"{SYNC_ENGINE}/subscription_deleted.json",
            "canceled",
            (at(2021, 6, 8, 10, 41, 58), at(2021, 7, 8, 10, 41, 58)),
            (at(2021, 6, 8, 10, 45, 2), at(2021, 6, 8, 10, 45, 2)),
            [("si_JdIzi4Tn5jV9PD", "price_1IDQm5JDPojXS6LNM31hxKzp", "prod_Ip4vqwv3EJ7Mi0", 1)],
        ),
    ],
)
def test_subscription_2020_03_02(fixture, status, period, ends, items):
    subscription = normalize_event(event_payload(fixture)).object
    assert subscription.status == status
    assert (subscription.current_period_start, subscription.current_period_end) == period
    assert (subscription.canceled_at, subscription.ended_at) == ends
    assert [(i.id, i.price_id, i.product_id, i.quantity) for i in subscription.items] == items
    assert all(
        (i.current_period_start, i.current_period_end) == period for i in subscription.items
    )
    # No currency on the subscription in 2020: it is its prices'.
    assert subscription.currency == "USD"
    assert subscription.customer_id == "cus_IhGfebO16cMIGN"


def test_subscription_basil_reads_periods_from_its_items():
    subscription = normalize_object(stripe_object("pay/subscription.updated.json"))
    assert (subscription.id, subscription.status) == ("sub_00000000000000", "canceled")
    (item,) = subscription.items
    assert (item.current_period_start, item.current_period_end) == (
        at(2017, 2, 8, 15, 45, 24),
        at(2017, 3, 8, 15, 45, 24),
    )
    assert (subscription.current_period_start, subscription.current_period_end) == (
        at(2017, 2, 8, 15, 45, 24),
        at(2017, 3, 8, 15, 45, 24),
    )
    assert (subscription.trial_start, subscription.trial_end) == (
        at(2016, 6, 24, 15, 45, 24),
        at(2016, 7, 8, 15, 45, 24),
    )
    assert (subscription.canceled_at, subscription.ended_at) == (
        at(2017, 2, 23, 17, 47, 49),
        at(2017, 2, 23, 17, 47, 49),
    )
    assert (item.quantity, item.price.unit_amount, subscription.latest_invoice_id) == (
        2,
        Decimal("3.00"),
        "in_1000",
    )


def test_subscription_period_spans_items_renewing_at_different_dates():
    # A second item, as a flexible billing mode allows, renewing a week later.
    payload = stripe_object("pay/subscription.updated.json")
    second = copy.deepcopy(payload["items"]["data"][0])
    second.update(id="si_second", current_period_start=1487173524, current_period_end=1489592724)
    payload["items"]["data"].append(second)
    subscription = normalize_object(payload)
    assert (subscription.current_period_start, subscription.current_period_end) == (
        at(2017, 2, 8, 15, 45, 24),
        at(2017, 3, 15, 15, 45, 24),
    )
    assert subscription.items[1].current_period_start == at(2017, 2, 15, 15, 45, 24)


def test_subscription_openapi_example_with_paused_collection():
    subscription = normalize_object(load("openapi/fixtures3.2026-08.subscription.json"))
    assert subscription.pause_collection == PauseCollection(
        behavior="mark_uncollectible", resumes_at=None
    )
    assert subscription.cancel_at_period_end is True
    assert subscription.cancel_at == at(2009, 2, 13, 23, 31, 30)
    assert subscription.currency == "USD"
    (item,) = subscription.items
    # The item carries both price and plan; the price wins (the plan here is a placeholder).
    assert (item.price_id, item.product_id, item.price.unit_amount) == (
        "price_1PgafmB7WZ01zgkW6dKueIc5",
        "prod_QXg1hqf4jFNsqG",
        Decimal("20.00"),
    )
    assert (item.current_period_start, item.current_period_end) == (
        at(2030, 2, 6, 1, 8, 38),
        at(2000, 12, 8, 15, 2, 53),
    )


# Invoices -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "index", "expected"),
    [
        (
            f"{LOCALSTRIPE}/invoice_payment_succeeded.json",
            0,
            {
                "id": "in_LsInv0002",
                "number": None,
                "customer_id": "cus_LsAda0001",
                "subscription_id": "sub_LsSub0001",
                "status": "paid",
                "currency": "EUR",
                "subtotal": Decimal("65.00"),
                "discount": None,
                "tax": Decimal("12.35"),
                "total": Decimal("77.35"),
                "amount_due": Decimal("77.35"),
                "amount_paid": Decimal("77.35"),
                "amount_remaining": None,
                "created": at(2017, 9, 29, 9, 46, 40),
                "finalized_at": at(2017, 9, 29, 9, 46, 40),
                "due_date": None,
                "lines_has_more": False,
            },
        ),
        (
            f"{SYNC_ENGINE}/invoice_paid.json",
            0,
            {
                "id": "in_1KJqKBJDPojXS6LNJbvLUgEy",
                "number": "60229DE7-0007",
                "customer_id": "cus_JsuO3bmrj0QlAw",
                "subscription_id": "sub_JsuPyCPhXWfZar",
                "status": "paid",
                "currency": "USD",
                "subtotal": Decimal("0.00"),
                "discount": Decimal("0.00"),
                "tax": Decimal("0.00"),
                "total": Decimal("0.00"),
                "amount_due": Decimal("0.00"),
                "amount_paid": Decimal("0.00"),
                "amount_remaining": Decimal("0.00"),
                "created": at(2022, 1, 20, 2, 24, 31),
                "finalized_at": at(2022, 1, 20, 3, 25, 10),
                "due_date": None,
                "lines_has_more": False,
            },
        ),
        (
            f"{SYNC_ENGINE}/invoice_deleted.json",
            0,
            {
                "id": "in_xyz",
                "number": None,
                "customer_id": "cus_123",
                "subscription_id": None,
                "status": "deleted",
                "currency": "USD",
                "subtotal": Decimal("10.00"),
                "discount": Decimal("0.00"),
                "tax": Decimal("0.00"),
                "total": Decimal("10.00"),
                "amount_due": Decimal("0.00"),
                "amount_paid": Decimal("0.00"),
                "amount_remaining": Decimal("0.00"),
                "created": at(2023, 7, 17, 22, 24, 2),
                "finalized_at": None,
                "due_date": at(2023, 8, 16, 22, 24, 2),
                "lines_has_more": False,
            },
        ),
        (
            "pay/invoice.json",
            0,
            {
                "id": "in_1RFFohKXBGcbgpbZk9MxzDMc",
                "number": "228BBE4A-0001",
                "customer_id": "cus_S9YwWMaQEgeJYO",
                "subscription_id": None,
                "status": "paid",
                "currency": "USD",
                "subtotal": Decimal("252.30"),
                "discount": Decimal("33.93"),
                "tax": Decimal("18.05"),
                "total": Decimal("245.12"),
                "amount_due": Decimal("245.12"),
                "amount_paid": Decimal("245.12"),
                "amount_remaining": Decimal("0.00"),
                "created": at(2025, 4, 18, 14, 22, 55),
                "finalized_at": at(2025, 4, 18, 14, 26, 3),
                "due_date": None,
                "lines_has_more": False,
            },
        ),
        (
            "pay/invoice.payment_action_required.json",
            0,
            {
                "id": "in_1234",
                "number": "62E7977D-0018",
                "customer_id": "cus_1234",
                "subscription_id": "sub_1234",
                "status": "open",
                "currency": "USD",
                "subtotal": Decimal("91.84"),
                "discount": Decimal("0.00"),
                "tax": Decimal("0.00"),
                "total": Decimal("91.84"),
                "amount_due": Decimal("91.84"),
                "amount_paid": Decimal("0.00"),
                "amount_remaining": Decimal("91.84"),
                "created": at(2025, 4, 20, 17, 33, 35),
                "finalized_at": at(2025, 4, 20, 18, 34, 27),
                "due_date": None,
                "lines_has_more": False,
            },
        ),
        (
            "pay/invoice.payment_failed.json",
            0,
            {
                "id": "in_1234",
                "number": "F612594F-0002",
                "customer_id": "cus_1234",
                "subscription_id": "sub_1234",
                "status": "open",
                "currency": "USD",
                "subtotal": Decimal("249.00"),
                "discount": Decimal("0.00"),
                "tax": Decimal("0.00"),
                "total": Decimal("249.00"),
                "amount_due": Decimal("249.00"),
                "amount_paid": Decimal("0.00"),
                "amount_remaining": Decimal("249.00"),
                "created": at(2025, 4, 23, 18, 46, 2),
                "finalized_at": at(2025, 4, 23, 19, 46, 18),
                "due_date": None,
                "lines_has_more": False,
            },
        ),
        (
            ZULIP_INVOICE,
            1,
            {
                "id": "upgrade_by_card--Event.list.3.json",
                "number": "NORMALIZED",
                "customer_id": "upgrade_by_card--Customer.create.1.json",
                "subscription_id": None,
                "status": "paid",
                "currency": "USD",
                "subtotal": Decimal("480.00"),
                "discount": Decimal("0.00"),
                "tax": Decimal("0.00"),
                "total": Decimal("480.00"),
                "amount_due": Decimal("480.00"),
                "amount_paid": Decimal("480.00"),
                "amount_remaining": Decimal("0.00"),
                "created": at(2001, 9, 9, 1, 46, 40),
                "finalized_at": at(2001, 9, 9, 1, 46, 40),
                "due_date": None,
                "lines_has_more": False,
            },
        ),
        (
            "openapi/fixtures3.2026-08.invoice.json",
            0,
            {
                "id": "in_1Pgc6tB7WZ01zgkWu9fdqL6I",
                "number": None,
                "customer_id": "cus_QXg1o8vcGmoR32",
                "subscription_id": "subscription",
                "status": "draft",
                "currency": "USD",
                "subtotal": Decimal("10.00"),
                "discount": Decimal("0.00"),
                "tax": None,
                "total": Decimal("10.00"),
                "amount_due": Decimal("10.00"),
                "amount_paid": Decimal("0.00"),
                "amount_remaining": Decimal("10.00"),
                "created": at(2009, 2, 13, 23, 31, 30),
                "finalized_at": None,
                "due_date": at(2009, 2, 13, 23, 31, 30),
                "lines_has_more": False,
            },
        ),
    ],
)
def test_invoice_totals_of_each_version(fixture, index, expected):
    invoice = normalize_object(stripe_object(fixture, index))
    assert {name: getattr(invoice, name) for name in expected} == expected
    # Decimal equality ignores the exponent; the text shows the currency's own: "10.00".
    assert str(invoice.total) == str(expected["total"])


def test_invoice_lines_2017_08_15_with_prorations():
    invoice = normalize_object(stripe_object(f"{LOCALSTRIPE}/invoice_payment_succeeded.json"))
    vat = "txr_LsVat19"
    assert invoice.lines == (
        InvoiceLine(
            id="il_LsLine0001",
            description="Platinum",
            currency="EUR",
            amount=Decimal("50.00"),
            quantity=Decimal(1),
            unit_amount=Decimal("50.00"),
            price_id="platinum-monthly",
            product_id="prod_LsPlatinum0001",
            proration=False,
            period_start=at(2017, 9, 29, 9, 46, 40),
            period_end=at(2017, 10, 29, 9, 46, 40),
            discount_amounts=(),
            tax_amounts=(
                TaxAmount(
                    amount=Decimal("9.50"), tax_rate_id=vat, inclusive=False, taxable_amount=None
                ),
            ),
            subscription_id="sub_LsSub0001",
            subscription_item_id="si_LsItem0001",
            invoice_item_id=None,
        ),
        InvoiceLine(
            id="il_LsLine0002",
            description="Unused time on Gold after 13 Sep 2017",
            currency="EUR",
            amount=Decimal("-10.00"),
            quantity=Decimal(1),
            unit_amount=Decimal("20.00"),
            price_id="gold-monthly",
            product_id="prod_LsGold0001",
            proration=True,
            period_start=at(2017, 9, 13, 21, 46, 40),
            period_end=at(2017, 9, 29, 9, 46, 40),
            discount_amounts=(),
            tax_amounts=(
                TaxAmount(
                    amount=Decimal("-1.90"), tax_rate_id=vat, inclusive=False, taxable_amount=None
                ),
            ),
            subscription_id="sub_LsSub0001",
            subscription_item_id=None,
            invoice_item_id="ii_LsProration0001",
        ),
        InvoiceLine(
            id="il_LsLine0003",
            description="Remaining time on Platinum after 13 Sep 2017",
            currency="EUR",
            amount=Decimal("25.00"),
            quantity=Decimal(1),
            unit_amount=Decimal("50.00"),
            price_id="platinum-monthly",
            product_id="prod_LsPlatinum0001",
            proration=True,
            period_start=at(2017, 9, 13, 21, 46, 40),
            period_end=at(2017, 9, 29, 9, 46, 40),
            discount_amounts=(),
            tax_amounts=(
                TaxAmount(
                    amount=Decimal("4.75"), tax_rate_id=vat, inclusive=False, taxable_amount=None
                ),
            ),
            subscription_id="sub_LsSub0001",
            subscription_item_id=None,
            invoice_item_id="ii_LsProration0002",
        ),
    )
    assert sum(line.amount for line in invoice.lines) == invoice.subtotal
    assert sum(t.amount for line in invoice.lines for t in line.tax_amounts) == invoice.tax


@pytest.mark.parametrize(
    ("fixture", "index", "line_index", "expected"),
    [
        (
            f"{SYNC_ENGINE}/invoice_paid.json",
            0,
            0,
            InvoiceLine(
                id="il_1KJqKBJDPojXS6LND42vdxtT",
                description="1 \u00d7 Free tier (at $0.00 / month)",
                currency="USD",
                amount=Decimal("0.00"),
                quantity=Decimal(1),
                unit_amount=Decimal("0.00"),
                price_id="price_1IDQm5JDPojXS6LNM31hxKzp",
                product_id="prod_Ip4vqwv3EJ7Mi0",
                proration=False,
                period_start=at(2022, 1, 20, 2, 21, 20),
                period_end=at(2022, 2, 20, 2, 21, 20),
                discount_amounts=(),
                tax_amounts=(),
                subscription_id="sub_JsuPyCPhXWfZar",
                subscription_item_id="si_JsuPFzrp9vSWxa",
                invoice_item_id=None,
            ),
        ),
        (
            f"{SYNC_ENGINE}/invoice_deleted.json",
            0,
            0,
            InvoiceLine(
                id="il_1",
                description="something",
                currency="USD",
                amount=Decimal("10.00"),
                quantity=Decimal(1),
                unit_amount=Decimal("10.00"),
                price_id="price_1",
                product_id="prod_OHY",
                proration=False,
                period_start=at(2023, 7, 17, 22, 24, 11),
                period_end=at(2023, 7, 17, 22, 24, 11),
                discount_amounts=(),
                tax_amounts=(),
                subscription_id=None,
                subscription_item_id=None,
                invoice_item_id="li_1",
            ),
        ),
        (
            "pay/invoice.json",
            0,
            1,
            InvoiceLine(
                id="il_1RFFq0KXBGcbgpbZPuBYsvfv",
                description="T-Shirt",
                currency="USD",
                amount=Decimal("87.00"),
                quantity=Decimal(3),
                unit_amount=Decimal("29.00"),
                price_id="price_1KOpJJKXBGcbgpbZyDoF66XQ",
                product_id="prod_IxQQWtyij0rvGp",
                proration=False,
                period_start=at(2025, 4, 18, 14, 24, 16),
                period_end=at(2025, 4, 18, 14, 24, 16),
                discount_amounts=(
                    DiscountAmount(
                        amount=Decimal("8.70"), discount_id="di_1RFFqRKXBGcbgpbZChHSAaPV"
                    ),
                    DiscountAmount(
                        amount=Decimal("7.83"), discount_id="di_1RFFqAKXBGcbgpbZj2Dkyfn4"
                    ),
                ),
                tax_amounts=(
                    TaxAmount(
                        amount=Decimal("5.60"),
                        tax_rate_id="txr_1REBcPKXBGcbgpbZad52Yd7V",
                        inclusive=False,
                        taxable_amount=Decimal("70.47"),
                    ),
                ),
                subscription_id=None,
                subscription_item_id=None,
                invoice_item_id="ii_1RFFq0KXBGcbgpbZjImQ5va1",
            ),
        ),
        (
            "pay/invoice.payment_action_required.json",
            0,
            0,
            InvoiceLine(
                id="il_1234",
                description="1 \u00d7 Standard (at $0.00000381 / month)",
                currency="USD",
                amount=Decimal("91.84"),
                quantity=Decimal(24104515),
                # A metered price finer than the cent: kept exact.
                unit_amount=Decimal("0.00000381"),
                price_id="price_1234",
                product_id="prod_1234",
                proration=False,
                period_start=at(2025, 3, 20, 17, 29, 12),
                period_end=at(2025, 4, 20, 17, 28, 35),
                discount_amounts=(),
                tax_amounts=(
                    TaxAmount(
                        amount=Decimal("0.00"),
                        tax_rate_id="txr_1234",
                        inclusive=False,
                        taxable_amount=Decimal("0.00"),
                    ),
                ),
                subscription_id="sub_1234",
                subscription_item_id="si_1234",
                invoice_item_id=None,
            ),
        ),
        (
            # 2025-03-31.basil only: pricing and parent.subscription_item_details, no price.
            "pay/invoice.payment_failed.json",
            0,
            0,
            InvoiceLine(
                id="il_1234",
                description="1 \u00d7 Example (at $249.00 / year)",
                currency="USD",
                amount=Decimal("249.00"),
                quantity=Decimal(1),
                unit_amount=Decimal("249.00"),
                price_id="price_1234",
                product_id="prod_1234",
                proration=False,
                period_start=at(2025, 4, 23, 18, 45, 6),
                period_end=at(2026, 4, 23, 18, 45, 6),
                discount_amounts=(),
                tax_amounts=(),
                subscription_id="sub_1234",
                subscription_item_id="si_1234",
                invoice_item_id=None,
            ),
        ),
        (
            ZULIP_INVOICE,
            1,
            0,
            InvoiceLine(
                id="upgrade_by_card--Event.list.3.json",
                description="Zulip Cloud Standard",
                currency="USD",
                amount=Decimal("480.00"),
                quantity=Decimal(6),
                unit_amount=Decimal("80.00"),
                price_id="price_NORMALIZED",
                product_id="prod_NORMALIZED",
                proration=False,
                period_start=at(2012, 1, 2, 3, 4, 5),
                period_end=at(2013, 1, 2, 3, 4, 5),
                discount_amounts=(),
                tax_amounts=(),
                subscription_id=None,
                subscription_item_id=None,
                invoice_item_id="upgrade_by_card--Event.list.3.json",
            ),
        ),
    ],
)
def test_invoice_line_of_each_version(fixture, index, line_index, expected):
    invoice = normalize_object(stripe_object(fixture, index))
    assert invoice.lines[line_index] == expected


def test_proration_flag_of_basil_lines_is_read_under_parent():
    invoice = normalize_object(load("openapi/fixtures3.2026-08.invoice.json"))
    (line,) = invoice.lines
    assert line.proration is True
    assert (line.invoice_item_id, line.subscription_id) == ("invoice_item", None)
    # The same line with the flag turned off where basil puts it.
    payload = load("openapi/fixtures3.2026-08.invoice.json")
    payload["lines"]["data"][0]["parent"]["invoice_item_details"]["proration"] = False
    assert normalize_object(payload).lines[0].proration is False


def test_proration_on_a_subscription_item_line_of_basil():
    # The clover line of Zulip, re-parented as a subscription item proration.
    payload = stripe_object(ZULIP_INVOICE, 1)
    payload["lines"]["data"][0]["parent"] = {
        "type": "subscription_item_details",
        "invoice_item_details": None,
        "subscription_item_details": {
            "invoice_item": None,
            "proration": True,
            "proration_details": {"credited_items": None},
            "subscription": "sub_1",
            "subscription_item": "si_1",
        },
    }
    line = normalize_object(payload).lines[0]
    assert (line.proration, line.subscription_id, line.subscription_item_id) == (
        True,
        "sub_1",
        "si_1",
    )


def test_truncated_lines_are_flagged_and_a_fetched_line_reads_alone():
    payload = stripe_object(ZULIP_INVOICE, 1)
    payload["lines"]["has_more"] = True
    invoice = normalize_object(payload)
    assert invoice.lines_has_more is True
    # A line fetched from /v1/invoices/<id>/lines reads on its own, in its own currency.
    line = normalize_object(payload["lines"]["data"][0])
    assert line == invoice.lines[0]


def test_invoice_without_status_reads_the_legacy_flags():
    # Stripe itself (unlike localstripe) sent neither status (2018-11-08) nor created
    # (2019-03-14) at 2017-08-15: paid/forgiven flags and a date.
    payload = stripe_object(f"{LOCALSTRIPE}/invoice_payment_succeeded.json")
    del payload["status"], payload["created"]
    payload.update(paid=True, closed=True, forgiven=False)
    invoice = normalize_object(payload)
    assert (invoice.status, invoice.created) == ("paid", at(2017, 9, 29, 9, 46, 40))
    payload.update(paid=False, forgiven=True)
    assert normalize_object(payload).status == "uncollectible"
    payload.update(forgiven=False, closed=False)
    assert normalize_object(payload).status == "open"


def test_invoice_tax_before_tax_rates():
    # Invoices taxed by tax_percent, before tax rates, have a tax figure and no per-rate list.
    payload = stripe_object(f"{LOCALSTRIPE}/invoice_payment_succeeded.json")
    del payload["total_tax_amounts"]
    payload["tax_percent"] = 19.0
    assert normalize_object(payload).tax == Decimal("12.35")


def test_inclusive_tax_of_a_basil_line():
    # The clover line of Zulip, with VAT included in its price as basil's ``taxes`` says it.
    payload = stripe_object(ZULIP_INVOICE, 1)
    payload["lines"]["data"][0]["taxes"] = [
        {
            "amount": 7664,
            "tax_behavior": "inclusive",
            "tax_rate_details": {"tax_rate": "txr_vat19"},
            "taxability_reason": "standard_rated",
            "taxable_amount": 40336,
            "type": "tax_rate_details",
        }
    ]
    assert normalize_object(payload).lines[0].tax_amounts == (
        TaxAmount(
            amount=Decimal("76.64"),
            tax_rate_id="txr_vat19",
            inclusive=True,
            taxable_amount=Decimal("403.36"),
        ),
    )


def test_legacy_line_ids():
    # Before 2019-12-03 line ids were not unique (unique_id was) and an invoice-item line's id
    # was the invoice item's.
    payload = stripe_object(f"{LOCALSTRIPE}/invoice_payment_succeeded.json")
    subscription_line, credit_line, _ = payload["lines"]["data"]
    subscription_line.update(id="sub_LsSub0001", unique_id="il_unique1")
    credit_line.update(id="ii_LsProration0001", unique_id="il_unique2")
    del credit_line["invoice_item"]
    lines = normalize_object(payload).lines
    assert (lines[0].id, lines[0].invoice_item_id) == ("il_unique1", None)
    assert (lines[1].id, lines[1].invoice_item_id) == ("il_unique2", "ii_LsProration0001")


# Payments -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "index", "expected"),
    [
        (
            f"{LOCALSTRIPE}/charge_succeeded.json",
            0,
            Payment(
                id="ch_LsPay0002",
                object_type="charge",
                status=PAYMENT_SUCCEEDED,
                provider_status="succeeded",
                amount=Decimal("77.35"),
                amount_refunded=Decimal("0.00"),
                currency="EUR",
                created=at(2017, 9, 29, 9, 46, 41),
                invoice_id="in_LsInv0002",
                customer_id="cus_LsAda0001",
                charge_id="ch_LsPay0002",
                payment_intent_id="pi_LsPay0002",
                balance_transaction_id="txn_LsPay0002",
            ),
        ),
        (
            f"{SYNC_ENGINE}/charge_succeeded.json",
            0,
            Payment(
                id="ch_3KtQThJDPojXS6LN0YmgbxGj",
                object_type="charge",
                status=PAYMENT_SUCCEEDED,
                provider_status="succeeded",
                amount=Decimal("30.00"),
                amount_refunded=Decimal("0.00"),
                currency="USD",
                created=at(2022, 4, 28, 6, 5, 26),
                invoice_id="in_1KJdKkJDPojXS6LNSwSWkZSN",
                customer_id="cus_J7Mkgr8mvbl1eK",
                charge_id="ch_3KtQThJDPojXS6LN0YmgbxGj",
                payment_intent_id="pi_3KtQThJDPojXS6LN0H9EfsjV",
                balance_transaction_id="txn_3KtQThJDPojXS6LN0ClROjTy",
            ),
        ),
        (
            f"{SYNC_ENGINE}/charge_refunded.json",
            0,
            Payment(
                id="ch_3Kl36gJDPojXS6LN0DCM4A8l",
                object_type="charge",
                status=PAYMENT_SUCCEEDED,
                provider_status="succeeded",
                amount=Decimal("25.00"),
                amount_refunded=Decimal("25.00"),
                currency="USD",
                created=at(2022, 4, 5, 3, 31, 3),
                invoice_id="in_1KJdKkJDPojXS6LNSwSWkZSN",
                customer_id="cus_J7Mkgr8mvbl1eK",
                charge_id="ch_3Kl36gJDPojXS6LN0DCM4A8l",
                payment_intent_id="pi_3Kl36gJDPojXS6LN02fQVtKR",
                balance_transaction_id="txn_3Kl36gJDPojXS6LN0BbaNIHm",
            ),
        ),
        (
            f"{SYNC_ENGINE}/charge_failed.json",
            0,
            Payment(
                id="ch_3KtoMeJDPojXS6LN0igeffJ6",
                object_type="charge",
                status=PAYMENT_FAILED,
                provider_status="failed",
                amount=Decimal("25.00"),
                amount_refunded=Decimal("0.00"),
                currency="USD",
                created=at(2022, 4, 29, 7, 35, 44),
                invoice_id="in_1KJdKkJDPojXS6LNSwSWkZSN",
                customer_id="cus_J7Mkgr8mvbl1eK",
                charge_id="ch_3KtoMeJDPojXS6LN0igeffJ6",
                payment_intent_id="pi_3KtoMeJDPojXS6LN0XnGDnI3",
                balance_transaction_id=None,
                failure_reason="Your card does not support this type of purchase. "
                "(transaction_not_allowed)",
            ),
        ),
        (
            # An intent still waiting for a payment method is pending, not failed.
            f"{SYNC_ENGINE}/payment_intent_succeeded.json",
            0,
            Payment(
                id="pi_1IqxJOJDPojXS6LN9uOebAea",
                object_type="payment_intent",
                status=PAYMENT_PENDING,
                provider_status="requires_payment_method",
                amount=Decimal("10.00"),
                amount_refunded=None,
                currency="USD",
                created=at(2021, 5, 14, 9, 28, 2),
                invoice_id=None,
                customer_id=None,
                charge_id=None,
                payment_intent_id="pi_1IqxJOJDPojXS6LN9uOebAea",
                balance_transaction_id=None,
            ),
        ),
        (
            # 2020-08-27 still embeds the charges: the balance transaction is known.
            f"{LAGO_2020}/payment_intent_succeeded.json",
            0,
            Payment(
                id="pi_3R3dvoQ8iJWBZFaM0uu1G1rx",
                object_type="payment_intent",
                status=PAYMENT_SUCCEEDED,
                provider_status="succeeded",
                amount=Decimal("38.97"),
                amount_refunded=Decimal("0.00"),
                currency="USD",
                created=at(2025, 3, 17, 13, 42, 16),
                invoice_id=None,
                customer_id="cus_Rw5Qso78STEap3",
                charge_id="ch_3R3dvoQ8iJWBZFaM0NhAbztB",
                payment_intent_id="pi_3R3dvoQ8iJWBZFaM0uu1G1rx",
                balance_transaction_id="txn_3R3dvoQ8iJWBZFaM0vIgoQgO",
            ),
        ),
        (
            # The same intent at acacia: only the latest charge's id.
            f"{LAGO_ACACIA}/payment_intent_succeeded.json",
            0,
            Payment(
                id="pi_3R3dvoQ8iJWBZFaM0uu1G1rx",
                object_type="payment_intent",
                status=PAYMENT_SUCCEEDED,
                provider_status="succeeded",
                amount=Decimal("38.97"),
                amount_refunded=None,
                currency="USD",
                created=at(2025, 3, 17, 13, 42, 16),
                invoice_id=None,
                customer_id="cus_Rw5Qso78STEap3",
                charge_id="ch_3R3dvoQ8iJWBZFaM0NhAbztB",
                payment_intent_id="pi_3R3dvoQ8iJWBZFaM0uu1G1rx",
                balance_transaction_id=None,
            ),
        ),
        (
            f"{LAGO_ACACIA}/payment_intent_payment_failed.json",
            0,
            Payment(
                id="pi_3SVvxMQ8iJWBZFaM1Lao8ehu",
                object_type="payment_intent",
                status=PAYMENT_FAILED,
                provider_status="requires_payment_method",
                amount=Decimal("118.80"),
                amount_refunded=None,
                currency="USD",
                created=at(2025, 11, 21, 15, 9, 4),
                invoice_id=None,
                customer_id="cus_TSOWyTkxXlWiTc",
                charge_id="ch_3SVvxMQ8iJWBZFaM1YEcxCs2",
                payment_intent_id="pi_3SVvxMQ8iJWBZFaM1Lao8ehu",
                balance_transaction_id=None,
                failure_reason="This payment required an authentication action to complete, "
                "but `error_on_requires_action` was set. When you're ready, you can upgrade your "
                "integration to handle actions at "
                "https://stripe.com/docs/payments/payment-intents/upgrade-to-handle-actions. "
                "(authentication_not_handled)",
            ),
        ),
        (
            f"{LAGO_BASIL}/payment_intent_succeeded.json",
            0,
            Payment(
                id="pi_3RTkpYQ8iJWBZFaM1LBHNo0J",
                object_type="payment_intent",
                status=PAYMENT_SUCCEEDED,
                provider_status="succeeded",
                amount=Decimal("46.20"),
                amount_refunded=None,
                currency="EUR",
                created=at(2025, 5, 28, 14, 19, 44),
                invoice_id=None,
                customer_id="cus_SOXv8CncjHqSEv",
                charge_id="ch_3RTkpYQ8iJWBZFaM1WnB7qvm",
                payment_intent_id="pi_3RTkpYQ8iJWBZFaM1LBHNo0J",
                balance_transaction_id=None,
            ),
        ),
        (
            f"{LAGO_BASIL}/payment_intent_canceled.json",
            0,
            Payment(
                id="pi_3SVCroQ8iJWBZFaM22iaIuU3",
                object_type="payment_intent",
                status=PAYMENT_CANCELED,
                provider_status="canceled",
                amount=Decimal("230.40"),
                amount_refunded=None,
                currency="USD",
                created=at(2025, 11, 19, 15, 0, 20),
                invoice_id=None,
                customer_id="cus_TOlZpKcK7V4tSl",
                charge_id=None,
                payment_intent_id="pi_3SVCroQ8iJWBZFaM22iaIuU3",
                balance_transaction_id=None,
            ),
        ),
        (
            f"{SYNC_ENGINE}/invoice_payment_paid.json",
            0,
            Payment(
                id="inpay_1M3USa2eZvKYlo2CBjuwbq0N",
                object_type="invoice_payment",
                status=PAYMENT_SUCCEEDED,
                provider_status="paid",
                amount=Decimal("20.00"),
                amount_refunded=None,
                currency="USD",
                created=at(2014, 2, 1, 21, 2, 34),
                invoice_id="in_103Q0w2eZvKYlo2C5PYwf6Wf",
                customer_id=None,
                charge_id=None,
                payment_intent_id="pi_103Q0w2eZvKYlo2C364X582Z",
                balance_transaction_id=None,
            ),
        ),
        (
            ZULIP_INVOICE_PAYMENT,
            0,
            Payment(
                id="stripe_billing_portal_urls_for_remote_server--Event.list.1.json",
                object_type="invoice_payment",
                status=PAYMENT_SUCCEEDED,
                provider_status="paid",
                amount=Decimal("1760.00"),
                amount_refunded=None,
                currency="USD",
                created=at(2001, 9, 9, 1, 46, 40),
                invoice_id="in_NORMALIZED",
                customer_id=None,
                charge_id=None,
                payment_intent_id="pi_NORMALIZED",
                balance_transaction_id=None,
            ),
        ),
    ],
)
def test_payment_of_each_version(fixture, index, expected):
    assert normalize_event(event_payload(fixture, index)).object == expected


@pytest.mark.parametrize(
    ("fixture", "index", "expected"),
    [
        (
            f"{LOCALSTRIPE}/invoice_payment_succeeded.json",
            0,
            Payment(
                id="in_LsInv0002",
                object_type="invoice",
                status=PAYMENT_SUCCEEDED,
                provider_status="paid",
                amount=Decimal("77.35"),
                amount_refunded=None,
                currency="EUR",
                created=at(2017, 9, 29, 9, 46, 42),
                invoice_id="in_LsInv0002",
                customer_id="cus_LsAda0001",
                charge_id="ch_LsPay0002",
                payment_intent_id="pi_LsPay0002",
                balance_transaction_id=None,
            ),
        ),
        (
            # Clover: no charge or payment intent on the invoice; invoice_payment.paid has them.
            ZULIP_INVOICE,
            1,
            Payment(
                id="upgrade_by_card--Event.list.3.json",
                object_type="invoice",
                status=PAYMENT_SUCCEEDED,
                provider_status="paid",
                amount=Decimal("480.00"),
                amount_refunded=None,
                currency="USD",
                created=at(2001, 9, 9, 1, 46, 40),
                invoice_id="upgrade_by_card--Event.list.3.json",
                customer_id="upgrade_by_card--Customer.create.1.json",
                charge_id=None,
                payment_intent_id=None,
                balance_transaction_id=None,
            ),
        ),
        (
            "pay/invoice.payment_failed.json",
            0,
            Payment(
                id="in_1234",
                object_type="invoice",
                status=PAYMENT_PENDING,
                provider_status="open",
                amount=Decimal("0.00"),
                amount_refunded=None,
                currency="USD",
                created=at(2025, 4, 23, 18, 46, 2),
                invoice_id="in_1234",
                customer_id="cus_1234",
                charge_id=None,
                payment_intent_id=None,
                balance_transaction_id=None,
            ),
        ),
    ],
)
def test_payment_reported_by_an_invoice(fixture, index, expected):
    assert payment_from_invoice(normalize_object(stripe_object(fixture, index))) == expected


def test_payment_of_an_expanded_basil_invoice_payments_list():
    payload = stripe_object(ZULIP_INVOICE, 1)
    payload["payments"] = {
        "object": "list",
        "data": [stripe_object(ZULIP_INVOICE_PAYMENT)],
        "has_more": False,
    }
    payment = payment_from_invoice(normalize_object(payload))
    assert (payment.charge_id, payment.payment_intent_id) == (None, "pi_NORMALIZED")


def test_partly_captured_intent_counts_what_was_received():
    payload = stripe_object(f"{LAGO_ACACIA}/payment_intent_succeeded.json")
    payload["amount_received"] = 3000
    assert normalize_object(payload).amount == Decimal("30.00")


def test_intent_without_latest_charge_reads_its_newest_charge():
    # Before latest_charge existed the embedded charges list, newest first, was all there was.
    payload = stripe_object(f"{LAGO_2020}/payment_intent_succeeded.json")
    del payload["latest_charge"]
    payment = normalize_object(payload)
    assert (payment.charge_id, payment.balance_transaction_id) == (
        "ch_3R3dvoQ8iJWBZFaM0NhAbztB",
        "txn_3R3dvoQ8iJWBZFaM0vIgoQgO",
    )


def test_upcoming_invoice_reports_no_payment():
    payload = stripe_object("pay/invoice.payment_failed.json")
    del payload["id"]
    invoice = normalize_object(payload)
    assert invoice.id is None
    with pytest.raises(NormalizeError, match="upcoming"):
        payment_from_invoice(invoice)


def test_unknown_payment_status_is_refused():
    charge = stripe_object(f"{SYNC_ENGINE}/charge_succeeded.json")
    charge["status"] = "paid"
    with pytest.raises(NormalizeError, match="unknown status 'paid'"):
        normalize_object(charge)


# Currencies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "total", "unit_amount"),
    [
        ("usd", "480.00", "80.00"),
        ("eur", "480.00", "80.00"),
        ("jpy", "48000", "8000"),
        ("krw", "48000", "8000"),
        ("bhd", "48.000", "8.000"),
        ("kwd", "48.000", "8.000"),
        # Stripe counts ISK in hundredths although ISO 4217 gives it no decimals.
        ("isk", "480.00", "80.00"),
    ],
)
def test_amounts_follow_the_currency_exponent(currency, total, unit_amount):
    # The clover invoice of Zulip (total 48000 minor units, unit 8000), in other currencies.
    payload = stripe_object(ZULIP_INVOICE, 1)
    payload["currency"] = currency
    payload["lines"]["data"][0]["currency"] = currency
    invoice = normalize_object(payload)
    assert invoice.currency == currency.upper()
    assert str(invoice.total) == total
    assert str(invoice.amount_paid) == total
    assert str(invoice.lines[0].amount) == total
    assert str(invoice.lines[0].unit_amount) == unit_amount


@pytest.mark.parametrize("amount", [480.0, "480", True, [48000]])
def test_amount_that_is_not_an_integer_is_refused(amount):
    payload = stripe_object(ZULIP_INVOICE, 1)
    payload["total"] = amount
    with pytest.raises(NormalizeError):
        normalize_object(payload)


@pytest.mark.parametrize("unit_amount_decimal", ["abc", "NaN", "Infinity"])
def test_unit_amount_that_is_not_a_finite_decimal_is_refused(unit_amount_decimal):
    price = stripe_object(f"{SYNC_ENGINE}/price_updated.json")
    price["unit_amount_decimal"] = unit_amount_decimal
    with pytest.raises(NormalizeError):
        normalize_object(price)


def test_unit_amount_read_by_the_sdk_as_a_decimal_is_the_string_stripe_sent():
    # The SDK turns ``…_decimal`` strings into Decimal when it reads an object (reconciliation
    # listings, re-reads); the webhook carries the string. Both read alike.
    price = stripe_object(f"{SYNC_ENGINE}/price_updated.json")
    price["unit_amount_decimal"] = "1250.5"
    from_webhook = normalize_object(price)
    price["unit_amount_decimal"] = Decimal("1250.5")
    assert normalize_object(price) == from_webhook
    assert from_webhook.unit_amount == Decimal("1250.5").scaleb(-2)


# Credit notes and refunds ----------------------------------------------------------------


def test_2020_03_02_credit_note():
    assert normalize_event(load(f"{SYNC_ENGINE}/credit_note_created.json")).object == CreditNote(
        id="cn_1MxvRqLkdIwHu7ixY0xbUcxk",
        number="C9E0C52C-0036-CN-01",
        invoice_id="in_1MxvRkLkdIwHu7ixABNtI99m",
        customer_id="cus_NjLgPhUokHubJC",
        status="issued",
        type="pre_payment",
        currency="USD",
        subtotal=Decimal("10.99"),
        discount=Decimal("0.00"),
        tax=Decimal("0.00"),
        total=Decimal("10.99"),
        created=at(2023, 4, 17, 17, 2, 38),
        voided_at=None,
        reason=None,
        memo=None,
        refund_ids=(),
        customer_balance_transaction_id=None,
        out_of_band_amount=None,
        lines=(
            CreditNoteLine(
                id="cnli_1MxvRqLkdIwHu7ixFpdhBFQf",
                description="T-shirt",
                amount=Decimal("10.99"),
                quantity=Decimal(1),
                invoice_line_id="il_1MxvRlLkdIwHu7ixnkbntxUV",
                discount_amounts=(),
                tax_amounts=(),
            ),
        ),
        lines_has_more=False,
    )


def test_credit_note_refunds_of_each_version():
    # Derived: the refund field of 2020-03-02, then the refunds list of 2025-03-31.basil.
    credit_note = stripe_object(f"{SYNC_ENGINE}/credit_note_created.json")
    credit_note["refund"] = {"id": "re_Old", "object": "refund"}
    assert normalize_object(credit_note).refund_ids == ("re_Old",)
    del credit_note["refund"]
    credit_note["refunds"] = [
        {"refund": "re_First", "amount_refunded": 500},
        {"refund": "re_Second", "amount_refunded": 599},
    ]
    assert normalize_object(credit_note).refund_ids == ("re_First", "re_Second")


def test_basil_credit_note_taxes():
    # Derived: 2025-03-31.basil's total_taxes and line taxes in place of tax_amounts.
    credit_note = stripe_object(f"{SYNC_ENGINE}/credit_note_created.json")
    del credit_note["tax_amounts"]
    credit_note["total_taxes"] = [{"amount": 209, "tax_behavior": "exclusive"}]
    line = credit_note["lines"]["data"][0]
    del line["tax_amounts"]
    line["taxes"] = [
        {
            "amount": 209,
            "tax_behavior": "exclusive",
            "tax_rate_details": {"tax_rate": "txr_Vat19"},
            "taxable_amount": 1099,
        }
    ]
    normalized = normalize_object(credit_note)
    assert normalized.tax == Decimal("2.09")
    assert normalized.lines[0].tax_amounts == (
        TaxAmount(
            amount=Decimal("2.09"),
            tax_rate_id="txr_Vat19",
            inclusive=False,
            taxable_amount=Decimal("10.99"),
        ),
    )


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            f"{SYNC_ENGINE}/refund_created.json",
            Refund(
                id="re_1Nispe2eZvKYlo2Cd31jOCgZ",
                status="succeeded",
                amount=Decimal("10.00"),
                currency="USD",
                created=at(2023, 8, 25, 5, 45, 18),
                charge_id="ch_1NirD82eZvKYlo2CIvbtLWuY",
                payment_intent_id="pi_1GszsK2eZvKYlo2CfhZyoZLp",
                reason=None,
                failure_reason=None,
            ),
        ),
        (
            f"{LAGO_2020}/charge_refund_updated.json",
            Refund(
                id="re_3M01Us2eZvKYlo2C1J36vhMv",
                status="succeeded",
                amount=Decimal("1.00"),
                currency="USD",
                created=at(2022, 11, 3, 11, 22, 12),
                charge_id="ch_3M01Us2eZvKYlo2C1O9xQHEB",
                payment_intent_id=None,
                reason=None,
                failure_reason=None,
            ),
        ),
        (
            f"{LAGO_BASIL}/charge_refund_updated.json",
            Refund(
                id="re_3RWYCFQ8iJWBZFaM191ZqGD9",
                status="succeeded",
                amount=Decimal("1.00"),
                currency="USD",
                created=at(2025, 6, 5, 7, 26, 44),
                charge_id="ch_3RWYCFQ8iJWBZFaM1R8YF07I",
                payment_intent_id="pi_3RWYCFQ8iJWBZFaM1p1gEVdI",
                reason=None,
                failure_reason=None,
            ),
        ),
    ],
)
def test_refund_of_each_version(fixture, expected):
    assert normalize_event(load(fixture)).object == expected


def test_charge_refunded_embeds_its_refunds():
    assert charge_refunds(load(f"{SYNC_ENGINE}/charge_refunded.json")) == (
        Refund(
            id="re_3Kl36gJDPojXS6LN0eP4yPDz",
            status="succeeded",
            amount=Decimal("25.00"),
            currency="USD",
            created=at(2022, 4, 7, 8, 55, 38),
            charge_id="ch_3Kl36gJDPojXS6LN0DCM4A8l",
            payment_intent_id="pi_3Kl36gJDPojXS6LN02fQVtKR",
            reason=None,
            failure_reason=None,
        ),
    )


def test_charge_refunded_without_embedded_refunds_has_none():
    # Derived: from 2022-11-15 a charge no longer embeds its refunds.
    payload = load(f"{SYNC_ENGINE}/charge_refunded.json")
    del payload["data"]["object"]["refunds"]
    assert charge_refunds(payload) == ()
