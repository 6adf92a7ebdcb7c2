"""Stripe amounts in minor units read by the exponent of their currency, exactly."""

from decimal import Decimal

import pytest

from odoo.addons.saas_stripe.lib.normalize import (
    NormalizeError,
    normalize_object,
)

from .common_normalize import (
    SYNC_ENGINE,
    ZULIP_INVOICE,
    stripe_object,
)


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
