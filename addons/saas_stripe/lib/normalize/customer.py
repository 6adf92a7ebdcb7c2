"""Customers and their tax ids."""

from dataclasses import dataclass, field

from .common import _currency, _id, _list_data, _required


@dataclass(frozen=True)
class Address:
    """A postal address; a part Stripe has not (null or empty) is None. ``state`` is as the
    customer typed it (a code in most countries, a name in others), ``country`` an upper-case
    ISO 3166 code."""

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    state: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class TaxId:
    """A customer's tax id, embedded in the customer or alone (``customer.tax_id.*`` events).
    ``id`` is None for the VAT number of a customer older than tax ids; ``customer_id`` is None
    for the tax ids of the Stripe account itself."""

    value: str
    type: str | None = None
    country: str | None = None
    id: str | None = None
    customer_id: str | None = None


@dataclass(frozen=True)
class Customer:
    id: str
    deleted: bool = False
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: Address | None = None
    currency: str | None = None
    tax_ids: tuple[TaxId, ...] = ()
    metadata: dict = field(default_factory=dict)


def _customer(obj):
    customer_id = _required(obj, "id", "customer")
    if obj.get("deleted"):
        return Customer(id=customer_id, deleted=True)
    tax_ids = tuple(
        _tax_id(entry, f"tax id of customer {customer_id}")
        for entry in _list_data(obj.get("tax_ids"))
    )
    # Before customer tax ids, one VAT number sat in business_vat_id.
    legacy_vat = obj.get("business_vat_id")
    if legacy_vat and all(tax_id.value != legacy_vat for tax_id in tax_ids):
        tax_ids += (TaxId(value=legacy_vat),)
    return Customer(
        id=customer_id,
        name=obj.get("name"),
        email=obj.get("email"),
        phone=obj.get("phone"),
        address=_address(obj.get("address")),
        currency=_currency(obj),
        tax_ids=tax_ids,
        metadata=dict(obj.get("metadata") or {}),
    )


def _tax_id(obj, label="tax_id"):
    return TaxId(
        value=_required(obj, "value", label),
        type=obj.get("type"),
        country=obj.get("country"),
        id=obj.get("id"),
        customer_id=_id(obj.get("customer")),
    )


def _address(obj):
    if not obj:
        return None
    country = obj.get("country")
    return Address(
        line1=obj.get("line1") or None,
        line2=obj.get("line2") or None,
        city=obj.get("city") or None,
        postal_code=obj.get("postal_code") or None,
        state=obj.get("state") or None,
        country=country.upper() if country else None,
    )
