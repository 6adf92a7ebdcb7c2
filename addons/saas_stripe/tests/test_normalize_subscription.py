"""Stripe subscriptions of each API version, read into canonical objects."""

import copy
from decimal import Decimal

import pytest

from odoo.addons.saas_stripe.lib.normalize import (
    PauseCollection,
    Subscription,
    normalize_event,
    normalize_object,
)

from .common_normalize import (
    LOCALSTRIPE,
    SYNC_ENGINE,
    at,
    event_payload,
    load,
    stripe_object,
)


@pytest.mark.parametrize(
    "fixture",
    [
        f"{LOCALSTRIPE}/customer_subscription_created.json",
        f"{SYNC_ENGINE}/subscription_created.json",
        f"{SYNC_ENGINE}/subscription_updated.json",
        f"{SYNC_ENGINE}/subscription_deleted.json",
        "pay/subscription.updated.json",
        "openapi/fixtures3.2026-08.subscription.json",
    ],
)
def test_every_item_has_a_period_and_the_subscription_spans_them(fixture):
    # From 2017-08-15 to the 2026-08 shape, wherever the version puts the period (2025-03-31.basil
    # moved it to the items), each item has one and the subscription spans them.
    subscription = normalize_object(stripe_object(fixture))
    assert subscription.items
    starts = [item.current_period_start for item in subscription.items]
    ends = [item.current_period_end for item in subscription.items]
    assert None not in starts and None not in ends
    assert (subscription.current_period_start, subscription.current_period_end) == (
        min(starts),
        max(ends),
    )


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
