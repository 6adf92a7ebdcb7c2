"""Stripe products, prices and legacy plans of each API version, read into canonical objects."""

from decimal import Decimal

import pytest

from odoo.addons.saas_stripe.lib.normalize import (
    Price,
    Product,
    normalize_object,
)

from .common_normalize import (
    LOCALSTRIPE,
    SYNC_ENGINE,
    stripe_object,
)


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
