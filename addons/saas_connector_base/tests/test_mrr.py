from decimal import Decimal

import pytest

from odoo.addons.saas_connector_base.lib.mrr import (
    CHURN,
    CONTRACTION,
    EXPANSION,
    NEW,
    REACTIVATION,
    classify,
    counts,
    monthly_amount,
    round_amount,
)


@pytest.mark.parametrize(
    ("unit_amount", "quantity", "interval", "interval_count", "expected"),
    [
        (Decimal("29.00"), 3, "month", 1, Decimal("87.00")),
        (Decimal("1200.00"), 1, "year", 1, Decimal("100.00")),
        (Decimal("1000.00"), 1, "year", 1, Decimal("83.33")),
        (Decimal("10.00"), 1, "week", 1, Decimal("43.33")),
        (Decimal("1.00"), 1, "day", 1, Decimal("30.42")),
        (Decimal("90.00"), 1, "month", 3, Decimal("30.00")),
        (Decimal("2400.00"), 2, "year", 2, Decimal("200.00")),
        (Decimal("12.00"), 1, "week", 2, Decimal("26.00")),
        (Decimal("1500"), 1, "month", 1, Decimal("1500.00")),
    ],
)
def test_price_is_normalized_to_a_month(unit_amount, quantity, interval, interval_count, expected):
    assert round_amount(monthly_amount(unit_amount, quantity, interval, interval_count), 2) == (
        expected
    )


def test_rounding_happens_once_on_the_sum():
    # Three annual 100.00 items: 8.33 each once rounded, but 25.00 together.
    items = [monthly_amount(Decimal("100.00"), 1, "year") for _ in range(3)]
    assert round_amount(sum(items), 2) == Decimal("25.00")
    assert sum(round_amount(item, 2) for item in items) == Decimal("24.99")


def test_rounding_follows_the_currency_and_rounds_half_up():
    assert round_amount(monthly_amount(Decimal("1000"), 1, "year"), 0) == Decimal("83")
    assert round_amount(Decimal("0.125"), 2) == Decimal("0.13")
    assert round_amount(monthly_amount(Decimal("1.000"), 1, "year"), 3) == Decimal("0.083")


@pytest.mark.parametrize(
    ("unit_amount", "quantity", "interval"),
    [
        (None, 1, "month"),
        (Decimal("10"), None, "month"),
        (Decimal("10"), 0, "month"),
        (Decimal("10"), 1, None),
    ],
)
def test_usage_priced_or_one_time_items_are_worth_nothing_recurring(
    unit_amount, quantity, interval
):
    assert monthly_amount(unit_amount, quantity, interval) == 0


def test_unknown_interval_or_count_is_refused():
    with pytest.raises(ValueError, match="unknown billing interval"):
        monthly_amount(Decimal("10"), 1, "fortnight")
    with pytest.raises(ValueError, match="at least 1"):
        monthly_amount(Decimal("10"), 1, "month", 0)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("active", True),
        ("past_due", True),
        ("unpaid", True),
        ("trialing", False),
        ("incomplete", False),
        ("incomplete_expired", False),
        ("paused", False),
        ("canceled", False),
        (False, False),
    ],
)
def test_only_billed_states_count(state, expected):
    assert counts(state) is expected


@pytest.mark.parametrize(
    ("before", "after", "had_mrr_before", "expected"),
    [
        (Decimal(0), Decimal("87.00"), False, NEW),
        (Decimal(0), Decimal("87.00"), True, REACTIVATION),
        (Decimal("87.00"), Decimal("116.00"), True, EXPANSION),
        (Decimal("116.00"), Decimal("87.00"), True, CONTRACTION),
        (Decimal("87.00"), Decimal(0), True, CHURN),
        (Decimal("87.00"), Decimal("87.00"), True, None),
        (Decimal(0), Decimal(0), False, None),
        (Decimal(0), Decimal(0), True, None),
    ],
)
def test_movement_classification(before, after, had_mrr_before, expected):
    assert classify(before, after, had_mrr_before) == expected
