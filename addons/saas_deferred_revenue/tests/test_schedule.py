from calendar import monthrange
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from odoo.addons.saas_connector_base.lib.money import from_minor_units, to_minor_units
from odoo.addons.saas_deferred_revenue.lib.schedule import (
    BASES,
    PERIODS,
    ScheduleRow,
    build_schedule,
    remaining_from,
    rows_due,
    split_from,
)

# --- Concrete schedules ----------------------------------------------------------------------


def _amounts(rows):
    return [row.amount for row in rows]


def test_annual_contract_on_months_basis_recognises_an_equal_twelfth_each_month():
    total = to_minor_units(Decimal("1200.00"), "USD")
    rows = build_schedule(total, date(2025, 1, 1), date(2025, 12, 31), basis="months")
    assert [from_minor_units(row.amount, "USD") for row in rows] == [Decimal("100.00")] * 12
    assert [row.period_end for row in rows] == [
        date(2025, month, monthrange(2025, month)[1]) for month in range(1, 13)
    ]
    assert rows[1] == ScheduleRow(period_end=date(2025, 2, 28), amount=10000, days=28)


def test_days_basis_over_a_leap_year_gives_every_day_the_same_revenue():
    rows = build_schedule(100000, date(2024, 1, 1), date(2024, 12, 31))
    # Exact shares are 100000 * days / 366: 8469.95 (31 days), 7923.50 (29), 8196.72 (30).
    # Each month is the step between rounded running totals, so the running total never strays more
    # than half a cent from its exact value: 30-day September gets 8196 where April gets 8197.
    assert _amounts(rows) == [
        8470,
        7923,
        8470,
        8197,
        8470,
        8197,
        8470,
        8470,
        8196,
        8470,
        8197,
        8470,
    ]
    assert rows[1] == ScheduleRow(period_end=date(2024, 2, 29), amount=7923, days=29)
    assert sum(row.days for row in rows) == 366


def test_february_weighs_less_in_a_common_year_than_in_a_leap_year():
    common = build_schedule(100000, date(2023, 1, 1), date(2023, 12, 31))
    assert common[1] == ScheduleRow(period_end=date(2023, 2, 28), amount=7671, days=28)


def test_mid_month_start_on_months_basis_prorates_the_first_and_last_month_by_days():
    rows = build_schedule(120000, date(2024, 1, 15), date(2025, 1, 14), basis="months")
    # January 2024 has 17 of its 31 days, January 2025 14 of 31; together one full month.
    assert rows[0] == ScheduleRow(period_end=date(2024, 1, 31), amount=5484, days=17)
    assert _amounts(rows[1:12]) == [10000] * 11
    assert rows[12] == ScheduleRow(period_end=date(2025, 1, 14), amount=4516, days=14)


def test_mid_month_start_on_days_basis_splits_by_days_in_each_month():
    rows = build_schedule(100000, date(2024, 1, 15), date(2024, 2, 14))
    assert rows == (
        ScheduleRow(period_end=date(2024, 1, 31), amount=54839, days=17),
        ScheduleRow(period_end=date(2024, 2, 14), amount=45161, days=14),
    )


def test_full_months_basis_ignores_how_many_days_of_a_month_are_served():
    rows = build_schedule(9000, date(2024, 1, 30), date(2024, 3, 2), basis="full_months")
    assert rows == (
        ScheduleRow(period_end=date(2024, 1, 31), amount=3000, days=2),
        ScheduleRow(period_end=date(2024, 2, 29), amount=3000, days=29),
        ScheduleRow(period_end=date(2024, 3, 2), amount=3000, days=2),
    )


@pytest.mark.parametrize("basis", BASES)
def test_one_day_service_is_one_row(basis):
    rows = build_schedule(999, date(2024, 2, 29), date(2024, 2, 29), basis=basis)
    assert rows == (ScheduleRow(period_end=date(2024, 2, 29), amount=999, days=1),)


def test_zero_decimal_currency_rounds_to_whole_yen_without_dumping_on_the_last_month():
    total = to_minor_units(Decimal("10000"), "JPY")
    rows = build_schedule(total, date(2024, 1, 1), date(2024, 3, 31), basis="full_months")
    # Exact share 3333.33 yen; the cumulative totals 3333, 6667, 10000 give the middle month
    # the extra yen instead of piling both remainders on March.
    assert [from_minor_units(row.amount, "JPY") for row in rows] == [
        Decimal("3333"),
        Decimal("3334"),
        Decimal("3333"),
    ]


def test_negative_amount_mirrors_the_positive_schedule():
    rows = build_schedule(-100, date(2024, 1, 1), date(2024, 3, 31), basis="full_months")
    assert _amounts(rows) == [-33, -34, -33]


def test_half_unit_ties_round_away_from_zero():
    assert _amounts(build_schedule(1, date(2024, 1, 1), date(2024, 2, 29), "full_months")) == [
        1,
        0,
    ]
    assert _amounts(build_schedule(-1, date(2024, 1, 1), date(2024, 2, 29), "full_months")) == [
        -1,
        0,
    ]


def test_quarterly_periods_end_on_calendar_quarter_ends():
    rows = build_schedule(120000, date(2024, 2, 1), date(2025, 1, 31), "months", "quarter")
    assert rows == (
        ScheduleRow(period_end=date(2024, 3, 31), amount=20000, days=60),
        ScheduleRow(period_end=date(2024, 6, 30), amount=30000, days=91),
        ScheduleRow(period_end=date(2024, 9, 30), amount=30000, days=92),
        ScheduleRow(period_end=date(2024, 12, 31), amount=30000, days=92),
        ScheduleRow(period_end=date(2025, 1, 31), amount=10000, days=31),
    )


def test_yearly_periods_end_on_december_31():
    rows = build_schedule(73100, date(2023, 7, 1), date(2025, 6, 30), period="year")
    # 184 + 366 + 181 = 731 service days, 100 each.
    assert rows == (
        ScheduleRow(period_end=date(2023, 12, 31), amount=18400, days=184),
        ScheduleRow(period_end=date(2024, 12, 31), amount=36600, days=366),
        ScheduleRow(period_end=date(2025, 6, 30), amount=18100, days=181),
    )


# --- Amendments and recognition ----------------------------------------------------------------


def test_cancellation_mid_month_splits_that_month_by_days():
    rows = build_schedule(120000, date(2024, 1, 1), date(2024, 12, 31), basis="months")
    before, after = split_from(rows, date(2024, 3, 16))
    # March's 10000 over 31 days: 16 days from the 16th are R(10000 * 16 / 31) = 5161.
    assert before == (
        ScheduleRow(period_end=date(2024, 1, 31), amount=10000, days=31),
        ScheduleRow(period_end=date(2024, 2, 29), amount=10000, days=29),
        ScheduleRow(period_end=date(2024, 3, 15), amount=4839, days=15),
    )
    assert after[0] == ScheduleRow(period_end=date(2024, 3, 31), amount=5161, days=16)
    assert _amounts(after[1:]) == [10000] * 9
    assert remaining_from(rows, date(2024, 3, 16)) == 95161


@pytest.mark.parametrize("sign", [1, -1])
def test_straddling_row_is_split_to_the_nearest_unit(sign):
    rows = build_schedule(sign * 120000, date(2024, 1, 1), date(2024, 12, 31), basis="months")
    before, after = split_from(rows, date(2024, 3, 17))
    # 15 of March's 31 days: 10000 * 15 / 31 = 4838.71, so 4839 from the 17th and 5161 before.
    assert before[-1] == ScheduleRow(period_end=date(2024, 3, 16), amount=sign * 5161, days=16)
    assert after[0] == ScheduleRow(period_end=date(2024, 3, 31), amount=sign * 4839, days=15)


def test_split_on_a_period_boundary_divides_no_row():
    rows = build_schedule(120000, date(2024, 1, 1), date(2024, 12, 31), basis="months")
    before, after = split_from(rows, date(2024, 4, 1))
    assert before == rows[:3]
    assert after == rows[3:]


def test_split_outside_the_service_keeps_the_schedule_whole():
    rows = build_schedule(-5000, date(2024, 1, 10), date(2024, 3, 20))
    assert split_from(rows, date(2024, 1, 1)) == ((), rows)
    assert split_from(rows, date(2024, 3, 21)) == (rows, ())
    assert remaining_from(rows, date(2024, 1, 10)) == -5000
    assert remaining_from(rows, date(2024, 3, 21)) == 0


def test_credit_note_for_the_remainder_nets_the_schedule_to_what_was_served():
    rows = build_schedule(36600, date(2024, 1, 1), date(2024, 12, 31))
    before, after = split_from(rows, date(2024, 7, 1))
    credit = [ScheduleRow(row.period_end, -row.amount, row.days) for row in after]
    net = Counter()
    for row in (*rows, *credit):
        net[row.period_end] += row.amount
    assert {end: amount for end, amount in net.items() if amount} == {
        row.period_end: row.amount for row in before
    }
    assert sum(row.amount for row in before) == 18200  # 182 days, Jan-Jun 2024


def test_rows_due_are_those_whose_period_has_ended():
    rows = build_schedule(120000, date(2024, 1, 15), date(2025, 1, 14), basis="months")
    assert rows_due(rows, date(2024, 1, 30)) == ()
    assert rows_due(rows, date(2024, 1, 31)) == rows[:1]
    assert rows_due(rows, date(2024, 6, 15)) == rows[:5]
    assert rows_due(rows, date(2025, 1, 14)) == rows


# --- Validation --------------------------------------------------------------------------------


def test_end_before_start_is_refused():
    with pytest.raises(ValueError, match="service end 2024-01-31 is before service start"):
        build_schedule(100, date(2024, 2, 1), date(2024, 1, 31))


def test_unknown_basis_or_period_is_refused():
    with pytest.raises(ValueError, match="unknown schedule basis 'weeks'"):
        build_schedule(100, date(2024, 1, 1), date(2024, 1, 31), basis="weeks")
    with pytest.raises(ValueError, match="unknown recognition period 'week'"):
        build_schedule(100, date(2024, 1, 1), date(2024, 1, 31), period="week")


@pytest.mark.parametrize("bad", [12.5, Decimal("12.50"), "1250", True])
def test_total_must_be_integer_minor_units(bad):
    with pytest.raises(TypeError, match="integer minor units"):
        build_schedule(bad, date(2024, 1, 1), date(2024, 1, 31))


def test_service_dates_must_be_dates_not_datetimes():
    with pytest.raises(TypeError, match="service start must be a date"):
        build_schedule(100, datetime(2024, 1, 1, 12), date(2024, 1, 31))


# --- Properties --------------------------------------------------------------------------------
# Service periods between 2019 and 2036 (leap years 2020, 2024, 2028, 2032, 2036) lasting one day
# to a little over three years, totals of either sign.

_starts = st.dates(min_value=date(2019, 1, 1), max_value=date(2032, 12, 31))
_lengths = st.integers(min_value=0, max_value=1200)  # days after the start; 0 = one-day service
_totals = st.integers(min_value=-(10**9), max_value=10**9)

# The first draw of a session with a cold ``.hypothesis`` cache (every fresh CI checkout) spends
# over a second scanning the loaded source modules, Odoo included, for constants to try; the
# too_slow health check would count that against whichever property test runs first.
_properties = settings(suppress_health_check=[HealthCheck.too_slow])


def _service_days(start, end):
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def _month_weight(basis, year, month, days):
    """The basis definition, restated independently of the implementation."""
    if basis == "days":
        return Fraction(days)
    if basis == "months":
        return Fraction(days, monthrange(year, month)[1])
    return Fraction(1)


def _expected_periods(start, end, basis, period):
    """``[(period_end, days, weight)]`` for the calendar periods touched, by walking every day."""
    months_per_period = {"month": 1, "quarter": 3, "year": 12}[period]
    days_by_month = Counter((day.year, day.month) for day in _service_days(start, end))
    periods = {}
    for (year, month), days in sorted(days_by_month.items()):
        last_month = ((month - 1) // months_per_period + 1) * months_per_period
        period_end = min(date(year, last_month, monthrange(year, last_month)[1]), end)
        _end, period_days, weight = periods.get(period_end, (period_end, 0, Fraction(0)))
        periods[period_end] = (
            period_end,
            period_days + days,
            weight + _month_weight(basis, year, month, days),
        )
    return list(periods.values())


@_properties
@given(
    total=_totals,
    start=_starts,
    length=_lengths,
    basis=st.sampled_from(BASES),
    period=st.sampled_from(PERIODS),
)
@example(total=100001, start=date(2024, 2, 29), length=0, basis="days", period="month")
@example(total=-7, start=date(2023, 3, 1), length=365, basis="months", period="month")
@example(total=1, start=date(2019, 12, 31), length=1096, basis="full_months", period="quarter")
def test_schedule_matches_the_calendar_and_sums_exactly(total, start, length, basis, period):
    """Exact share of a period = total * its weight / the total weight, with the weights of the
    basis (module docstring of ``lib/schedule``). Cumulative rounding keeps *every* row, the
    last one included, strictly less than one minor unit from that share, for all bases."""
    end = start + timedelta(days=length)
    rows = build_schedule(total, start, end, basis=basis, period=period)
    expected = _expected_periods(start, end, basis, period)

    assert sum(row.amount for row in rows) == total
    assert [(row.period_end, row.days) for row in rows] == [(e, d) for e, d, _w in expected]
    total_weight = sum(weight for _e, _d, weight in expected)
    for row, (_end, _days, weight) in zip(rows, expected, strict=True):
        assert abs(row.amount - total * weight / total_weight) < 1
        assert row.amount * total >= 0  # no row has the opposite sign of the total


@_properties
@given(total=_totals, start=_starts, length=_lengths)
def test_full_months_of_a_months_schedule_are_equal_within_one_unit(total, start, length):
    end = start + timedelta(days=length)
    rows = build_schedule(total, start, end, basis="months")
    full = [
        row.amount
        for row in rows
        if row.days == monthrange(row.period_end.year, row.period_end.month)[1]
    ]
    assert max(full, default=0) - min(full, default=0) <= 1


@_properties
@given(total=_totals, start=_starts, length=_lengths)
def test_full_months_basis_gives_every_month_the_same_amount_within_one_unit(total, start, length):
    amounts = _amounts(build_schedule(total, start, start + timedelta(days=length), "full_months"))
    assert max(amounts) - min(amounts) <= 1


@_properties
@given(
    total=_totals,
    start=_starts,
    length=_lengths,
    basis=st.sampled_from(BASES),
    period=st.sampled_from(PERIODS),
)
def test_schedule_is_deterministic_and_negation_mirrors_it(total, start, length, basis, period):
    end = start + timedelta(days=length)
    rows = build_schedule(total, start, end, basis, period)
    assert build_schedule(total, start, end, basis, period) == rows
    assert build_schedule(-total, start, end, basis, period) == tuple(
        ScheduleRow(row.period_end, -row.amount, row.days) for row in rows
    )


@_properties
@given(
    total=_totals,
    start=_starts,
    length=_lengths,
    basis=st.sampled_from(BASES),
    offsets=st.tuples(st.integers(-3, 1205), st.integers(-3, 1205)).map(sorted),
)
def test_split_from_partitions_days_and_amount(total, start, length, basis, offsets):
    """``before`` covers the days before the split date and ``after`` the rest, the amounts add
    up to the schedule, and what remains shrinks (towards zero) as the split date moves on."""
    end = start + timedelta(days=length)
    rows = build_schedule(total, start, end, basis)
    earlier, later = (start + timedelta(days=offset) for offset in offsets)

    before, after = split_from(rows, earlier)
    assert sum(row.amount for row in (*before, *after)) == total
    assert all(row.period_end < earlier for row in before)
    assert all(row.period_start >= earlier for row in after)
    covered = [
        day for row in (*before, *after) for day in _service_days(row.period_start, row.period_end)
    ]
    assert covered == _service_days(start, end)
    assert all(row.amount * total >= 0 for row in (*before, *after))

    straddling = [row for row in rows if row.period_start < earlier <= row.period_end]
    for row in straddling:  # its later part is the nearest unit to its share of the days
        assert abs(after[0].amount - Fraction(row.amount * after[0].days, row.days)) <= 0.5

    remaining = remaining_from(rows, earlier)
    assert remaining == sum(row.amount for row in after)
    assert abs(remaining_from(rows, later)) <= abs(remaining)


@_properties
@given(total=_totals, start=_starts, length=_lengths, basis=st.sampled_from(BASES))
def test_recognised_rows_and_remainder_add_up_at_every_period_end(total, start, length, basis):
    rows = build_schedule(total, start, start + timedelta(days=length), basis)
    for index, row in enumerate(rows):
        due = rows_due(rows, row.period_end)
        assert due == rows[: index + 1]
        recognised = sum(due_row.amount for due_row in due)
        assert recognised + remaining_from(rows, row.period_end + timedelta(days=1)) == total
