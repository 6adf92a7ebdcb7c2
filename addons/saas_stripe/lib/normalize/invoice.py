"""Invoices, their lines, and the discounts and taxes of lines."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .common import (
    NormalizeError,
    _amount,
    _currency,
    _decimal,
    _first,
    _id,
    _list_data,
    _quantity,
    _required,
    _required_currency,
    _sum,
    _timestamp,
    _unit_amount,
    _unit_amount_minor,
)
from .payment import _charge_failure_reason, _intent_failure_reason


@dataclass(frozen=True)
class DiscountAmount:
    amount: Decimal
    discount_id: str | None


@dataclass(frozen=True)
class TaxAmount:
    amount: Decimal
    tax_rate_id: str | None
    inclusive: bool
    taxable_amount: Decimal | None


@dataclass(frozen=True)
class TaxRate:
    """A tax rate, which invoice lines name by id. ``percentage`` is in percent (19 for 19 %);
    ``country`` and ``state`` say where it applies, when Stripe knows (older versions may lack
    either, and ``inclusive`` is then False)."""

    id: str
    display_name: str | None
    percentage: Decimal | None
    inclusive: bool
    country: str | None
    state: str | None


@dataclass(frozen=True)
class InvoiceLine:
    """``amount`` is the line's amount before discounts, as Stripe computes it.
    ``unit_amount`` may be finer than the currency's minor unit (metered prices)."""

    id: str
    description: str | None
    currency: str
    amount: Decimal
    quantity: Decimal | None
    unit_amount: Decimal | None
    price_id: str | None
    product_id: str | None
    proration: bool
    period_start: datetime | None
    period_end: datetime | None
    discount_amounts: tuple[DiscountAmount, ...]
    tax_amounts: tuple[TaxAmount, ...]
    subscription_id: str | None
    subscription_item_id: str | None
    invoice_item_id: str | None


@dataclass(frozen=True)
class Invoice:
    """``id`` is None for an upcoming invoice. ``lines`` are the lines embedded in the payload:
    when ``lines_has_more`` is true Stripe truncated them and the rest must be fetched.
    ``discount`` and ``tax`` are the totals of all discounts and all taxes (inclusive ones
    too); ``charge_id``/``payment_intent_id`` name the payment that settled it, when the
    payload says."""

    id: str | None
    number: str | None
    customer_id: str | None
    subscription_id: str | None
    status: str | None
    billing_reason: str | None
    currency: str
    subtotal: Decimal | None
    discount: Decimal | None
    tax: Decimal | None
    total: Decimal | None
    amount_due: Decimal | None
    amount_paid: Decimal | None
    amount_remaining: Decimal | None
    period_start: datetime | None
    period_end: datetime | None
    created: datetime | None
    due_date: datetime | None
    finalized_at: datetime | None
    paid_at: datetime | None
    charge_id: str | None
    payment_intent_id: str | None
    lines: tuple[InvoiceLine, ...]
    lines_has_more: bool
    metadata: dict = field(default_factory=dict)
    # When Stripe tries to collect it next (None: no retry planned) and how many attempts were
    # made; the decline reason is known only when the payload expands the charge or intent.
    next_payment_attempt: datetime | None = None
    attempt_count: int | None = None
    failure_reason: str | None = None
    # The customer's Stripe balance before this invoice (negative: a credit it may draw on).
    starting_balance: Decimal | None = None


def _invoice(obj):
    invoice_id = obj.get("id")  # None for an upcoming invoice
    label = f"invoice {invoice_id}"
    currency = _required_currency(obj, invoice_id)
    # 2025-03-31.basil moved the subscription under parent.subscription_details.
    parent_subscription = ((obj.get("parent") or {}).get("subscription_details") or {}).get(
        "subscription"
    )
    transitions = obj.get("status_transitions") or {}
    lines = obj.get("lines") or {}
    charge_id, payment_intent_id = _invoice_payment_ids(obj)
    return Invoice(
        id=invoice_id,
        number=obj.get("number"),
        customer_id=_id(obj.get("customer")),
        subscription_id=_id(parent_subscription) or _id(obj.get("subscription")),
        status=obj.get("status") or _legacy_invoice_status(obj),
        billing_reason=obj.get("billing_reason"),
        currency=currency,
        subtotal=_amount(obj.get("subtotal"), currency),
        discount=_sum(obj.get("total_discount_amounts"), currency),
        tax=_invoice_tax(obj, currency),
        total=_amount(obj.get("total"), currency),
        amount_due=_amount(obj.get("amount_due"), currency),
        amount_paid=_amount(obj.get("amount_paid"), currency),
        amount_remaining=_amount(obj.get("amount_remaining"), currency),
        period_start=_timestamp(obj.get("period_start"), f"{label} period_start"),
        period_end=_timestamp(obj.get("period_end"), f"{label} period_end"),
        # 2019-03-14 renamed the invoice's ``date`` to ``created``.
        created=_timestamp(obj.get("created", obj.get("date")), f"{label} created"),
        due_date=_timestamp(obj.get("due_date"), f"{label} due_date"),
        finalized_at=_timestamp(transitions.get("finalized_at"), f"{label} finalized_at"),
        paid_at=_timestamp(transitions.get("paid_at"), f"{label} paid_at"),
        charge_id=charge_id,
        payment_intent_id=payment_intent_id,
        lines=tuple(_invoice_line(line, currency) for line in _list_data(lines)),
        lines_has_more=bool(lines.get("has_more")),
        metadata=dict(obj.get("metadata") or {}),
        next_payment_attempt=_timestamp(
            obj.get("next_payment_attempt"), f"{label} next_payment_attempt"
        ),
        attempt_count=obj.get("attempt_count"),
        failure_reason=_invoice_failure_reason(obj),
        starting_balance=_amount(obj.get("starting_balance"), currency),
    )


def _invoice_failure_reason(obj):
    """The decline reason of the invoice's last payment attempt, where the payload expands it:
    the charge (``charge``, until 2025-03-31.basil) or the payment intent."""
    if isinstance(obj.get("charge"), dict):
        return _charge_failure_reason(obj["charge"])
    if isinstance(obj.get("payment_intent"), dict):
        return _intent_failure_reason(obj["payment_intent"])
    return None


def _legacy_invoice_status(obj):
    """Stripe invoices had no ``status`` before 2018-11-08, only flags (localstripe renders a
    status whatever the version)."""
    if "paid" not in obj:
        return None
    if obj["paid"]:
        return "paid"
    return "uncollectible" if obj.get("forgiven") else "open"


def _invoice_tax(obj, currency):
    # ``tax`` is the only figure on invoices older than tax rates (``tax_percent``) and is gone
    # since 2025-03-31.basil; in between it is null when no tax rate applied. The per-rate lists,
    # where present, sum to the same figure.
    if obj.get("tax") is not None:
        return _amount(obj["tax"], currency)
    if obj.get("total_taxes") is not None:
        return _sum(obj["total_taxes"], currency)
    return _sum(obj.get("total_tax_amounts"), currency)


def _invoice_payment_ids(obj):
    """``(charge id, payment intent id)`` that paid the invoice. 2025-03-31.basil removed
    ``charge`` and ``payment_intent`` for the ``payments`` list, present only when expanded."""
    if obj.get("charge") or obj.get("payment_intent"):
        return _id(obj.get("charge")), _id(obj.get("payment_intent"))
    for invoice_payment in _list_data(obj.get("payments")):
        if invoice_payment.get("status") == "paid":
            payment = invoice_payment.get("payment") or {}
            return _id(payment.get("charge")), _id(payment.get("payment_intent"))
    return None, None


def _invoice_line(obj, invoice_currency=None):
    currency = _currency(obj) or invoice_currency
    if currency is None:
        raise NormalizeError(f"line_item {obj.get('id')!r} has no currency")
    # 2025-03-31.basil moved proration, subscription, subscription_item and invoice_item under
    # parent.<parent.type> and replaced price by pricing.price_details.
    parent = obj.get("parent") or {}
    details = parent.get(parent.get("type") or "") or {}
    price_details = (obj.get("pricing") or {}).get("price_details") or {}
    price = obj.get("price") or obj.get("plan") or {}
    period = obj.get("period") or {}
    label = f"line_item {obj.get('id')}"
    return InvoiceLine(
        # Until 2019-12-03 line ids were not unique (sub_…, ii_…); unique_id was.
        id=obj.get("unique_id") or _required(obj, "id", "line_item"),
        description=obj.get("description"),
        currency=currency,
        amount=_amount(_required(obj, "amount", label), currency),
        quantity=_quantity(obj),
        unit_amount=_unit_amount(
            (obj.get("pricing") or {}).get("unit_amount_decimal") or _unit_amount_minor(price),
            currency,
        ),
        price_id=price_details.get("price") or price.get("id"),
        product_id=_id(price_details.get("product") or price.get("product")),
        proration=bool(_first(details.get("proration"), obj.get("proration"))),
        period_start=_timestamp(period.get("start"), f"{label} period.start"),
        period_end=_timestamp(period.get("end"), f"{label} period.end"),
        discount_amounts=_discount_amounts(obj, currency, label),
        tax_amounts=_line_taxes(obj, currency, label),
        subscription_id=_id(_first(details.get("subscription"), obj.get("subscription"))),
        subscription_item_id=_id(
            _first(details.get("subscription_item"), obj.get("subscription_item"))
        ),
        invoice_item_id=_id(_first(details.get("invoice_item"), obj.get("invoice_item")))
        or _legacy_invoice_item_id(obj),
    )


def _legacy_invoice_item_id(obj):
    # Until 2019-12-03 the id of an invoice-item line was the invoice item's own id.
    line_id = obj.get("id") or ""
    return line_id if line_id.startswith("ii_") else None


def _discount_amounts(obj, currency, label):
    return tuple(
        DiscountAmount(
            amount=_amount(_required(entry, "amount", f"{label} discount"), currency),
            discount_id=_id(entry.get("discount")),
        )
        for entry in obj.get("discount_amounts") or ()
    )


def _line_taxes(obj, currency, label):
    # 2025-03-31.basil replaced tax_amounts (inclusive flag) by taxes (tax_behavior).
    if obj.get("taxes") is not None:
        return tuple(
            TaxAmount(
                amount=_amount(_required(entry, "amount", f"{label} tax"), currency),
                tax_rate_id=_id((entry.get("tax_rate_details") or {}).get("tax_rate")),
                inclusive=entry.get("tax_behavior") == "inclusive",
                taxable_amount=_amount(entry.get("taxable_amount"), currency),
            )
            for entry in obj["taxes"]
        )
    return tuple(
        TaxAmount(
            amount=_amount(_required(entry, "amount", f"{label} tax"), currency),
            tax_rate_id=_id(entry.get("tax_rate")),
            inclusive=bool(entry.get("inclusive")),
            taxable_amount=_amount(entry.get("taxable_amount"), currency),
        )
        for entry in obj.get("tax_amounts") or ()
    )


def _tax_rate(obj):
    tax_rate_id = _required(obj, "id", "tax_rate")
    percentage = obj.get("percentage")
    return TaxRate(
        id=tax_rate_id,
        display_name=obj.get("display_name"),
        # A JSON number: the shortest text of a float is the figure Stripe sent.
        percentage=None
        if percentage is None
        else _decimal(
            repr(percentage) if isinstance(percentage, float) else percentage,
            f"{tax_rate_id} percentage",
        ),
        inclusive=bool(obj.get("inclusive")),
        country=obj.get("country") or None,
        state=obj.get("state") or None,
    )
