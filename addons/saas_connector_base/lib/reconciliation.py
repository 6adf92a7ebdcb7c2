"""Reconciliation: one object as the provider and Odoo show it, and what kind of drift their
difference is. Plain data; the engine turns a drift into a drift line, with its message.

Subscriptions are compared by what they are worth, not by a document total: their state, the
quantity of each price they sell, and their MRR in the currency the customer pays (see
``lib/mrr``), computed alike for both sides from the provider's prices.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .mrr import counts, monthly_amount, round_amount

MISSING_IN_ODOO = "missing_in_odoo"
MISSING_IN_PROVIDER = "missing_in_provider"
AMOUNT_MISMATCH = "amount_mismatch"
STATUS_MISMATCH = "status_mismatch"
ITEMS_MISMATCH = "items_mismatch"
MRR_MISMATCH = "mrr_mismatch"


@dataclass
class Comparison:
    """One object of a reconciliation. ``status`` values are in the provider's words;
    ``odoo_status`` is the provider status the Odoo record stands for. ``record`` is the Odoo
    record bound to the object (None when Odoo has none); ``listed`` is False for a record the
    provider does not have. For subscriptions ``amount`` is the MRR, and ``items`` /
    ``odoo_items`` are ``(price, quantity)`` pairs in a canonical order."""

    object_type: str
    external_id: str
    currency: str | None
    amount: Decimal | None = None
    status: str | None = None
    record: object = None
    odoo_currency: str | None = None
    odoo_amount: Decimal | None = None
    odoo_status: str | None = None
    status_matches: bool = True
    listed: bool = True
    items: tuple | None = None
    odoo_items: tuple | None = None


@dataclass(frozen=True)
class ReconciledType:
    """An object type a provider reconciles: ``model`` is the Odoo model its objects are
    bound to; ``by_status`` gives the summary one line per status (e.g. invoices paid,
    open, void) instead of one for the type."""

    key: str
    label: str
    model: str
    by_status: bool = False


@dataclass(frozen=True)
class ProviderRecord:
    """One object as the provider lists it, in its own words. ``keys`` are the ids its Odoo
    document may be bound to, in the order to look them up (the object's own id when empty);
    an ``optional`` object is compared only when Odoo has it (one that makes no document
    unless something else does)."""

    external_id: str
    currency: str | None
    amount: Decimal | None = None
    status: str | None = None
    keys: tuple = ()
    optional: bool = False

    def lookup_keys(self):
        return self.keys or (self.external_id,)


@dataclass(frozen=True)
class OdooRecord:
    """An Odoo document as the provider would describe it: its currency (ISO code), amount
    and the provider status it stands for."""

    currency: str | None
    amount: Decimal | None = None
    status: str | None = None


def summarize(comparisons, by_status=frozenset()):
    """Count and total of each side, per ``(object type, status, currency)``: ``{key:
    [provider count, provider total, Odoo count, Odoo total]}``. The status is None unless the
    object type is in ``by_status``; each side is counted under its own status and currency
    (a provider object the Odoo side does not have counts on the provider's side only)."""
    totals = defaultdict(lambda: [0, Decimal(0), 0, Decimal(0)])
    for c in comparisons:
        split = c.object_type in by_status
        if c.listed:
            figures = totals[(c.object_type, c.status if split else None, c.currency)]
            figures[0] += 1
            figures[1] += c.amount or 0
        if c.record:
            figures = totals[(c.object_type, c.odoo_status if split else None, c.odoo_currency)]
            figures[2] += 1
            figures[3] += c.odoo_amount or 0
    return dict(totals)


def classify(comparison):
    """The kind of drift of ``comparison``, or None when both sides agree.

    Documents differ first by their amount, then by their status; subscriptions by their
    status (which decides whether MRR counts), then by what they sell, then by their MRR
    (the same items at another price)."""
    c = comparison
    if not c.listed:
        return MISSING_IN_PROVIDER
    if not c.record:
        return MISSING_IN_ODOO
    money_differs = c.odoo_currency != c.currency or c.odoo_amount != c.amount
    if c.items is None:
        differences = ((money_differs, AMOUNT_MISMATCH), (not c.status_matches, STATUS_MISMATCH))
    else:
        differences = (
            (not c.status_matches, STATUS_MISMATCH),
            (c.items != c.odoo_items, ITEMS_MISMATCH),
            (money_differs, MRR_MISMATCH),
        )
    return next((kind for differs, kind in differences if differs), None)


@dataclass(frozen=True)
class SubscriptionItemState:
    """One priced line of a subscription: ``unit_amount`` is exact (``Decimal``), None for a
    price billed on usage or by tiers."""

    price: str | None
    quantity: int
    unit_amount: Decimal | None = None
    interval: str | None = None
    interval_count: int = 1

    def monthly(self):
        return monthly_amount(self.unit_amount, self.quantity, self.interval, self.interval_count)


@dataclass(frozen=True)
class SubscriptionState:
    """A subscription as the provider describes it now; ``currency`` is an ISO code."""

    external_id: str
    status: str
    currency: str
    items: tuple[SubscriptionItemState, ...] = ()
    ended_at: datetime | None = None

    def mrr(self, decimal_places):
        """MRR in the subscription's currency: zero unless its state is billed."""
        if not counts(self.status):
            return round_amount(Decimal(0), decimal_places)
        total = sum((item.monthly() for item in self.items), Decimal(0))
        return round_amount(total, decimal_places)

    def item_pairs(self):
        return item_pairs((item.price, item.quantity) for item in self.items)


def item_pairs(pairs):
    """``(price, quantity)`` pairs as compared: a price sold on several items counts its total
    quantity, in the order of the prices."""
    totals = Counter()
    for price, quantity in pairs:
        totals[price or ""] += quantity or 0
    return tuple(sorted(totals.items()))


def describe_items(pairs):
    """``(price, quantity)`` pairs as finance reads them: ``price x quantity, ...``."""
    return ", ".join(f"{price} x {quantity}" for price, quantity in pairs) or "-"
