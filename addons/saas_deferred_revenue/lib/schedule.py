"""Ratable revenue schedules (ASC 606 / IFRS 15): an amount spread over a service period, one
row per calendar period, exact to the minor unit.

Amounts are integers in the currency's minor unit (convert with
``odoo.addons.saas_connector_base.lib.money``). The split does not depend on the currency: a
schedule of 10000 is the same whether that means 100.00 USD or 10000 JPY. Amounts may be
negative (credit notes, downgrade prorations); a negative schedule mirrors the positive one.

Bases — how much of the total each calendar month weighs:

* ``days``: the number of service days in the month (start and end dates both count), so every
  day earns the same revenue.
* ``months``: 1 for a fully covered month, ``service days / days in that month`` for a partial
  first or last month, so every full month earns the same revenue whatever its length.
* ``full_months``: 1 for every month the service touches, however few days.

Rounding rule (cumulative rounding): with ``W_i`` the share of the total weight in periods
``1..i``, period ``i`` gets ``R(total * W_i) - R(total * W_(i-1))``, where ``R`` rounds half
away from zero. Hence:

* the rows sum to the total exactly — ``W`` of the last period is 1, so the last row takes
  whatever the earlier rows left;
* every row, the last one included, is less than one minor unit away from its exact share
  ``total * weight / total weight``, because each of the two roundings moves at most half a unit
  and the two cannot both be a half in opposite directions;
* ``R`` is symmetric around zero, so the schedule of ``-total`` is the row-by-row negation of the
  schedule of ``total`` and a full credit note cancels its invoice in every period.
"""

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from itertools import groupby

BASIS_DAYS = "days"
BASIS_MONTHS = "months"
BASIS_FULL_MONTHS = "full_months"
BASES = (BASIS_DAYS, BASIS_MONTHS, BASIS_FULL_MONTHS)

PERIOD_MONTH = "month"
PERIOD_QUARTER = "quarter"
PERIOD_YEAR = "year"
# Recognition periods are calendar-aligned: quarters end in March, June, September, December.
_MONTHS_PER_PERIOD = {PERIOD_MONTH: 1, PERIOD_QUARTER: 3, PERIOD_YEAR: 12}
PERIODS = tuple(_MONTHS_PER_PERIOD)

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ScheduleRow:
    """Revenue to recognise for one period: ``amount`` minor units for the ``days`` consecutive
    service days ending on ``period_end`` (the period's last day, or the service end if earlier).
    """

    period_end: date
    amount: int
    days: int

    @property
    def period_start(self):
        """First service day the row covers."""
        return self.period_end - timedelta(days=self.days - 1)


def build_schedule(total, start, end, basis=BASIS_DAYS, period=PERIOD_MONTH):
    """Split ``total`` minor units over the service from ``start`` to ``end`` (both inclusive).

    Returns a tuple of :class:`ScheduleRow`, one per calendar ``period`` (``month``, ``quarter``
    or ``year``) the service touches, in date order; see the module docstring for the ``basis``
    weights and the rounding rule. Some rows are 0 when the total, in absolute value, is smaller
    than the number of periods.
    """
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError(f"schedule totals are integer minor units, got {total!r}")
    for name, value in (("start", start), ("end", end)):
        # ``datetime`` is a ``date`` subclass; a time of day would make "days covered" ambiguous.
        if not isinstance(value, date) or isinstance(value, datetime):
            raise TypeError(f"service {name} must be a date, got {value!r}")
    if end < start:
        raise ValueError(f"service end {end} is before service start {start}")
    if basis not in BASES:
        raise ValueError(f"unknown schedule basis {basis!r}; expected one of {', '.join(BASES)}")
    if period not in _MONTHS_PER_PERIOD:
        raise ValueError(
            f"unknown recognition period {period!r}; expected one of {', '.join(PERIODS)}"
        )

    months_per_period = _MONTHS_PER_PERIOD[period]
    # The service's month slices, grouped by (year, number of the period within the year).
    # itertools.groupby on purpose: the slices come sorted, and lib/ does not import odoo.
    periods = [
        list(month_slices)
        for _period, month_slices in groupby(  # pylint: disable=bad-builtin-groupby
            _month_slices(start, end),
            key=lambda month: (month[1].year, (month[1].month - 1) // months_per_period),
        )
    ]
    weights = [sum(_month_weight(basis, *month) for month in months) for months in periods]
    return tuple(
        ScheduleRow(
            period_end=months[-1][1],
            amount=amount,
            days=sum(_days(*month) for month in months),
        )
        for months, amount in zip(periods, _allocate(total, weights), strict=True)
    )


def split_from(rows, from_date):
    """Split ``rows`` into the part for service days before ``from_date`` and the part from
    ``from_date`` on; returns ``(before, after)``, two tuples of :class:`ScheduleRow`.

    An amendment effective on ``from_date`` uses it: a credit schedule that negates ``after``
    nets the original to exactly ``before``. The row straddling ``from_date`` is divided by
    days: its later part gets ``R(amount * later days / days)`` (``R`` as in the module
    docstring) and ends on the row's period end; its earlier part gets the rest and ends the day
    before ``from_date``. Both parts therefore always sum to the row, and ``before`` and
    ``after`` to the schedule.
    """
    before, after = [], []
    for row in rows:
        if row.period_end < from_date:
            before.append(row)
        elif row.period_start >= from_date:
            after.append(row)
        else:
            later_days = _days(from_date, row.period_end)
            later_amount = _round_half_away_from_zero(Fraction(row.amount * later_days, row.days))
            before.append(
                ScheduleRow(
                    period_end=from_date - _ONE_DAY,
                    amount=row.amount - later_amount,
                    days=row.days - later_days,
                )
            )
            after.append(
                ScheduleRow(period_end=row.period_end, amount=later_amount, days=later_days)
            )
    return tuple(before), tuple(after)


def remaining_from(rows, from_date):
    """Amount of ``rows`` for service days on or after ``from_date`` (see :func:`split_from`):
    what a cancellation or downgrade effective on ``from_date`` has to credit or settle."""
    return sum(row.amount for row in split_from(rows, from_date)[1])


def rows_due(rows, as_of):
    """Rows whose recognition is due by ``as_of``: a row falls due on its period end, so
    ``rows_due(rows, month_end)`` is what recognition up to that month end has to have posted."""
    return tuple(row for row in rows if row.period_end <= as_of)


def _month_slices(start, end):
    """``(first day, last day)`` of the service within each calendar month it touches."""
    first = start
    while first <= end:
        month_end = first.replace(day=monthrange(first.year, first.month)[1])
        last = min(month_end, end)
        yield first, last
        first = last + _ONE_DAY


def _days(first, last):
    return (last - first).days + 1


def _month_weight(basis, first, last):
    """Weight of the service days ``first..last`` of one calendar month (module docstring)."""
    if basis == BASIS_DAYS:
        return Fraction(_days(first, last))
    if basis == BASIS_MONTHS:
        return Fraction(_days(first, last), monthrange(last.year, last.month)[1])
    return Fraction(1)


def _allocate(total, weights):
    """Cumulative rounding of ``total`` over ``weights`` (module docstring)."""
    total_weight = sum(weights)
    amounts = []
    cumulative_weight = Fraction(0)
    allocated = 0
    for weight in weights:
        cumulative_weight += weight
        target = _round_half_away_from_zero(total * cumulative_weight / total_weight)
        amounts.append(target - allocated)
        allocated = target
    return amounts


def _round_half_away_from_zero(value):
    whole, rest = divmod(abs(value.numerator), value.denominator)
    if 2 * rest >= value.denominator:
        whole += 1
    return whole if value >= 0 else -whole
