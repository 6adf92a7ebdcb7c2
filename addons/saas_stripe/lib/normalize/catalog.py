"""Products, prices, and legacy plans read as prices."""

from dataclasses import dataclass, field
from decimal import Decimal

from .common import _id, _required, _required_currency, _unit_amount, _unit_amount_minor


@dataclass(frozen=True)
class Product:
    id: str
    deleted: bool = False
    name: str | None = None
    description: str | None = None
    active: bool | None = None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Price:
    """A price, or a legacy plan read as one. ``interval`` is None for a one-time price;
    ``unit_amount`` is None for tiered prices, whose amounts live in their tiers."""

    id: str
    deleted: bool = False
    product_id: str | None = None
    currency: str | None = None
    unit_amount: Decimal | None = None
    billing_scheme: str | None = None
    tiers_mode: str | None = None
    interval: str | None = None
    interval_count: int | None = None
    usage_type: str | None = None
    active: bool | None = None
    nickname: str | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def tiered(self):
        return self.billing_scheme == "tiered"


def _product(obj):
    product_id = _required(obj, "id", "product")
    if obj.get("deleted"):
        return Product(id=product_id, deleted=True)
    return Product(
        id=product_id,
        name=obj.get("name"),
        description=obj.get("description"),
        active=obj.get("active"),
        metadata=dict(obj.get("metadata") or {}),
    )


def _price(obj):
    """A price, or a plan (the only kind before prices, still sent next to them until
    2025-03-31.basil): a plan's amount, interval and usage type sit where a price has
    ``unit_amount`` and ``recurring``."""
    price_id = _required(obj, "id", obj.get("object") or "price")
    if obj.get("deleted"):
        return Price(id=price_id, deleted=True)
    currency = _required_currency(obj, price_id)
    recurring = obj.get("recurring") or obj
    return Price(
        id=price_id,
        product_id=_id(obj.get("product")),
        currency=currency,
        unit_amount=_unit_amount(_unit_amount_minor(obj), currency),
        billing_scheme=obj.get("billing_scheme"),
        tiers_mode=obj.get("tiers_mode"),
        interval=recurring.get("interval"),
        interval_count=recurring.get("interval_count"),
        usage_type=recurring.get("usage_type"),
        active=obj.get("active"),
        # Until 2018-02-05 a plan was named by ``name``, which then moved to its product.
        nickname=obj.get("nickname") or obj.get("name"),
        metadata=dict(obj.get("metadata") or {}),
    )
