"""Subscriptions and their items."""

from dataclasses import dataclass, field
from datetime import datetime

from .catalog import Price, _price
from .common import _currency, _id, _list_data, _required, _timestamp


@dataclass(frozen=True)
class SubscriptionItem:
    id: str
    price: Price | None
    quantity: int | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    metadata: dict = field(default_factory=dict)

    @property
    def price_id(self):
        return self.price and self.price.id

    @property
    def product_id(self):
        return self.price and self.price.product_id


@dataclass(frozen=True)
class PauseCollection:
    behavior: str
    resumes_at: datetime | None


@dataclass(frozen=True)
class Subscription:
    """``current_period_start``/``end`` moved from the subscription to its items in
    2025-03-31.basil. Each item gets its own period, or the subscription's on older versions;
    the subscription gets its own, or on newer versions the span of its items' periods (one and
    the same period unless items of a flexible billing mode renew at different dates)."""

    id: str
    customer_id: str | None
    status: str
    items: tuple[SubscriptionItem, ...]
    current_period_start: datetime | None
    current_period_end: datetime | None
    trial_start: datetime | None
    trial_end: datetime | None
    cancel_at_period_end: bool
    cancel_at: datetime | None
    canceled_at: datetime | None
    ended_at: datetime | None
    pause_collection: PauseCollection | None
    currency: str | None
    latest_invoice_id: str | None
    created: datetime | None
    metadata: dict = field(default_factory=dict)


def _subscription(obj):
    subscription_id = _required(obj, "id", "subscription")
    start = _timestamp(obj.get("current_period_start"), "current_period_start")
    end = _timestamp(obj.get("current_period_end"), "current_period_end")
    items = tuple(_subscription_item(item, start, end) for item in _list_data(obj.get("items")))
    if start is None:  # 2025-03-31.basil: periods only on items
        start = min(filter(None, (item.current_period_start for item in items)), default=None)
        end = max(filter(None, (item.current_period_end for item in items)), default=None)
    pause = obj.get("pause_collection")
    currency = _currency(obj) or next(
        (item.price.currency for item in items if item.price and item.price.currency), None
    )
    return Subscription(
        id=subscription_id,
        customer_id=_id(obj.get("customer")),
        status=_required(obj, "status", f"subscription {subscription_id}"),
        items=items,
        current_period_start=start,
        current_period_end=end,
        trial_start=_timestamp(obj.get("trial_start"), "trial_start"),
        trial_end=_timestamp(obj.get("trial_end"), "trial_end"),
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
        cancel_at=_timestamp(obj.get("cancel_at"), "cancel_at"),
        canceled_at=_timestamp(obj.get("canceled_at"), "canceled_at"),
        ended_at=_timestamp(obj.get("ended_at"), "ended_at"),
        pause_collection=PauseCollection(
            behavior=pause.get("behavior"),
            resumes_at=_timestamp(pause.get("resumes_at"), "pause_collection.resumes_at"),
        )
        if pause
        else None,
        currency=currency,
        latest_invoice_id=_id(obj.get("latest_invoice")),
        created=_timestamp(obj.get("created"), "created"),
        metadata=dict(obj.get("metadata") or {}),
    )


def _subscription_item(obj, subscription_start, subscription_end):
    price = obj.get("price") or obj.get("plan")
    start = _timestamp(obj.get("current_period_start"), "item current_period_start")
    end = _timestamp(obj.get("current_period_end"), "item current_period_end")
    return SubscriptionItem(
        id=_required(obj, "id", "subscription item"),
        price=_price(price) if price else None,
        quantity=obj.get("quantity"),
        current_period_start=start or subscription_start,
        current_period_end=end or subscription_end,
        metadata=dict(obj.get("metadata") or {}),
    )
