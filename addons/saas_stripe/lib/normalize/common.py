"""Field readers every area shares: errors, ids, lists, timestamps, currencies, amounts."""

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from odoo.addons.saas_connector_base.lib.money import currency_exponent, from_minor_units

# ISO 4217 gives the Icelandic krona no decimals (and lib.money follows ISO), but Stripe's API
# still counts it in hundredths: amounts must be multiples of 100, and 100 is one krona.
_HUNDREDTHS_IN_STRIPE_ONLY = frozenset({"ISK"})


class NormalizeError(ValueError):
    """The payload cannot be read as a supported Stripe object; the message names the object and
    the field at fault."""


def _required(obj, key, label):
    value = obj.get(key)
    if value is None:
        raise NormalizeError(f"{label} has no {key}")
    return value


def _first(*values):
    """The first value that is not None (False and 0 are values)."""
    return next((value for value in values if value is not None), None)


def _id(value):
    """Id of a related object, which Stripe sends as an id or, when expanded, as the object."""
    return value.get("id") if isinstance(value, dict) else value


def _list_data(value):
    """Entries of a Stripe list object (``{"object": "list", "data": [...]}``) or plain list."""
    if value is None:
        return []
    return (value.get("data") or []) if isinstance(value, dict) else value


def _timestamp(value, label):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise NormalizeError(f"{label} is not a Unix timestamp: {value!r}")
    return datetime.fromtimestamp(value, tz=UTC)


def _currency(obj):
    return obj["currency"].upper() if obj.get("currency") else None


def _required_currency(obj, label):
    currency = _currency(obj)
    if currency is None:
        raise NormalizeError(f"{obj.get('object')} {label} has no currency")
    return currency


def _unit_amount_minor(price):
    """A price's or plan's unit amount in minor units: the exact decimal string when there is
    one (unit prices may be finer than the minor unit), else the integer."""
    return _first(
        price.get("unit_amount_decimal"),
        price.get("unit_amount"),
        price.get("amount_decimal"),
        price.get("amount"),
    )


def _amount(minor, currency):
    """Stripe's integer minor units → Decimal in the currency's major unit."""
    if minor is None:
        return None
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise NormalizeError(f"amount is not an integer of minor units: {minor!r}")
    if currency in _HUNDREDTHS_IN_STRIPE_ONLY:
        return Decimal(minor).scaleb(-2)
    return from_minor_units(minor, currency)


def _unit_amount(minor, currency):
    """A unit price in minor units — an integer, or the decimal string of the ``…_decimal``
    fields (a Decimal when the SDK read it) — → Decimal in the major unit, as exact as Stripe
    sent it."""
    if not isinstance(minor, (str, Decimal)):
        return _amount(minor, currency)
    exponent = 2 if currency in _HUNDREDTHS_IN_STRIPE_ONLY else currency_exponent(currency)
    return _decimal(minor, "unit amount").scaleb(-exponent)


def _sum(entries, currency):
    """Total of a list of ``{"amount": …}`` entries; None when the payload has no such list."""
    if entries is None:
        return None
    total = _amount(0, currency)
    for entry in entries:
        total += _amount(_required(entry, "amount", "total entry"), currency)
    return total


def _decimal(value, label):
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise NormalizeError(f"{label} is not an integer or a decimal string: {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise NormalizeError(f"{label} is not a number: {value!r}") from None
    if not number.is_finite():
        raise NormalizeError(f"{label} is not a finite number: {value!r}")
    return number


def _quantity(obj):
    # quantity_decimal (newer versions) carries fractional quantities; quantity is an integer.
    if obj.get("quantity_decimal") is not None:
        return _decimal(obj["quantity_decimal"], "quantity_decimal")
    if obj.get("quantity") is not None:
        return _decimal(obj["quantity"], "quantity")
    return None
