"""The canonical deal: what a won HubSpot deal or Salesforce opportunity says about the
subscription to start, whichever CRM it comes from.

Amounts are Decimal, never float: CRMs send them as text (HubSpot) or JSON numbers
(Salesforce, best parsed with ``json.loads(..., parse_float=Decimal)``); a float that slipped
through is read from its shortest repr, which is the number the CRM wrote.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class LineItem:
    id: str
    name: str | None
    product_id: str | None
    sku: str | None
    quantity: Decimal
    unit_price: Decimal | None


@dataclass(frozen=True)
class Deal:
    """``company`` and ``contacts`` are the CRM's own ids; ``pipeline`` is ``None`` where the
    CRM has none (Salesforce). ``currency`` is ``None`` when the CRM does not say (a
    single-currency Salesforce org, a HubSpot portal without multi-currency): the backend's
    company currency then applies."""

    id: str
    name: str | None
    stage: str | None
    pipeline: str | None
    is_won: bool
    amount: Decimal | None
    currency: str | None
    close_date: datetime.date | None
    company: str | None
    contacts: tuple = ()
    line_items: tuple = ()


def to_decimal(value, what):
    """``value`` (text, int, Decimal or float) as a Decimal; ``None`` or blank as ``None``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{what}: {value!r} is not a number")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{what}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{what}: {value!r} is not a number")
    return number


def to_date(value, what):
    """A date from ``2017-04-03``, an ISO datetime (``2025-02-28T16:35:02.296Z``, taken in
    UTC) or milliseconds since the epoch (HubSpot's older APIs); ``None`` or blank as ``None``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    try:
        if text.isascii() and text.isdigit():
            return datetime.datetime.fromtimestamp(int(text) / 1000, datetime.UTC).date()
        if len(text) == 10:
            return datetime.date.fromisoformat(text)
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise ValueError(f"{what}: {value!r} is not a date") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC)
    return moment.date()


def to_bool(value, what):
    """``True``/``False`` from a JSON boolean or the text ``true``/``false`` the CRMs write;
    ``None`` or blank as ``None``."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text in ("true", "false"):
        return text == "true"
    raise ValueError(f"{what}: {value!r} is not a boolean")
