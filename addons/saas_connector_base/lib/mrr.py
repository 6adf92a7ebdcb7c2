"""Monthly recurring revenue: an item's price per month, and what a change of it means.

Exact arithmetic (``Decimal``): an amount is rounded to its currency once, at the end, so
that an annual 1000.00 is worth 83.33 a month whatever the number of items summed before.

Conventions, as in the usual SaaS metrics:

- A month is a twelfth of a year: a weekly price is worth 52/12 of itself a month, a daily
  one 365/12, a yearly one 1/12; a price billed every ``interval_count`` intervals is divided
  by that count.
- Only subscriptions that are billed count: *active*, *past_due* and *unpaid* (the customer
  still owes the money). A trial is worth nothing until it converts, which is then *new*
  MRR; *incomplete* (first payment pending), *paused* and ended subscriptions count zero.
"""

from decimal import ROUND_HALF_UP, Decimal

COUNTED_STATES = frozenset({"active", "past_due", "unpaid"})

MONTHS_PER_INTERVAL = {
    "day": Decimal(365) / Decimal(12),
    "week": Decimal(52) / Decimal(12),
    "month": Decimal(1),
    "year": Decimal(1) / Decimal(12),
}

NEW = "new"
EXPANSION = "expansion"
CONTRACTION = "contraction"
CHURN = "churn"
REACTIVATION = "reactivation"


def monthly_amount(unit_amount, quantity, interval, interval_count=1):
    """What ``quantity`` units at ``unit_amount`` every ``interval_count`` ``interval`` are
    worth per month, unrounded. No interval (a one-time price) or no amount (a tiered or
    metered price, whose bill depends on usage) is worth nothing recurring."""
    if not interval or unit_amount is None or not quantity:
        return Decimal(0)
    if interval not in MONTHS_PER_INTERVAL:
        raise ValueError(f"unknown billing interval {interval!r}")
    if interval_count is not None and interval_count < 1:
        raise ValueError(f"the interval count must be at least 1, not {interval_count!r}")
    per_interval = Decimal(unit_amount) * Decimal(quantity)
    return per_interval * MONTHS_PER_INTERVAL[interval] / Decimal(interval_count or 1)


def counts(state):
    """Whether a subscription in ``state`` contributes its MRR."""
    return state in COUNTED_STATES


def round_amount(amount, decimal_places):
    """``amount`` rounded half up to the currency's ``decimal_places``."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-decimal_places), rounding=ROUND_HALF_UP)


def classify(mrr_before, mrr_after, had_mrr_before):
    """The movement from ``mrr_before`` to ``mrr_after``, or None when MRR did not change.

    ``had_mrr_before`` tells whether the subscription ever counted MRR before this change: a
    subscription that comes back to paying is a reactivation, not new business."""
    if mrr_after == mrr_before:
        return None
    if not mrr_before:
        return REACTIVATION if had_mrr_before else NEW
    if not mrr_after:
        return CHURN
    return EXPANSION if mrr_after > mrr_before else CONTRACTION
