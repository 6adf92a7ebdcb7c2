from decimal import Decimal

import pytest

from odoo.addons.saas_connector_base.lib.money import (
    allocate,
    currency_exponent,
    from_minor_units,
    odoo_decimal,
    to_minor_units,
)


@pytest.mark.parametrize(
    ("minor", "currency", "expected"),
    [
        (1999, "usd", Decimal("19.99")),
        (1999, "USD", Decimal("19.99")),
        (5, "eur", Decimal("0.05")),
        (-250, "eur", Decimal("-2.50")),
        (500, "jpy", Decimal("500")),
        (12000, "krw", Decimal("12000")),
        (1500, "bhd", Decimal("1.500")),
        (1, "kwd", Decimal("0.001")),
        (0, "usd", Decimal("0.00")),
    ],
)
def test_minor_units_follow_the_currency_exponent(minor, currency, expected):
    amount = from_minor_units(minor, currency)
    assert amount == expected
    assert str(amount) == str(expected)
    assert to_minor_units(amount, currency) == minor


def test_no_amount_stays_no_amount():
    assert from_minor_units(None, "usd") is None


@pytest.mark.parametrize("bad", [19.99, "1999", True])
def test_float_or_text_minor_units_are_refused(bad):
    with pytest.raises(TypeError):
        from_minor_units(bad, "usd")


def test_amount_finer_than_the_currency_is_refused():
    with pytest.raises(ValueError, match="more than 0 decimal places"):
        to_minor_units(Decimal("100.5"), "jpy")


def test_currency_is_required():
    with pytest.raises(ValueError):
        currency_exponent("")


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (1000, [5000, -1000, 2500], [769, -154, 385]),
        (-1000, [5000, -1000, 2500], [-769, 154, -385]),
        (100, [1, 1, 1], [33, 34, 33]),
        (7735, [7735], [7735]),
        (0, [3, 4], [0, 0]),
    ],
)
def test_allocation_is_proportional_and_sums_to_the_total(total, weights, expected):
    parts = allocate(total, weights)
    assert parts == expected
    assert sum(parts) == total


def test_weights_summing_to_zero_are_refused():
    with pytest.raises(ValueError):
        allocate(100, [1, -1])


class _Currency:
    def __init__(self, decimal_places):
        self.decimal_places = decimal_places


@pytest.mark.parametrize(
    ("amount", "decimal_places", "expected"),
    [
        (0.1 + 0.2, 2, "0.30"),
        (19.99, 2, "19.99"),
        (123456789.12, 2, "123456789.12"),
        (1500.0, 0, "1500"),
        (1.5, 3, "1.500"),
        (-0.001, 2, "0.00"),
        (-12.5, 2, "-12.50"),
    ],
)
def test_odoo_amount_is_the_decimal_it_stands_for(amount, decimal_places, expected):
    decimal = odoo_decimal(amount, _Currency(decimal_places))
    assert str(decimal) == expected
