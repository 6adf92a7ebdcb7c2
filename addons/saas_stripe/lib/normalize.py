"""Stripe payloads of any API version → canonical, frozen dataclasses.

A webhook endpoint receives objects shaped by its own API version, and several versions meet
in one database (old endpoints, backfills, replays). Handlers never read Stripe JSON: they get
the types below. Where a field moved between versions it is read from its newer place first,
then from the older one, and the comment names the version that moved it. Read so far:
2017-08-15 (as localstripe renders it), 2020-03-02, 2020-08-27, 2023-10-16, 2024-09-30.acacia,
2025-03-31.basil and later, 2025-11-17.clover.

Conventions:

- Amounts are ``Decimal`` in the currency's major unit, converted from Stripe's integer minor
  units by the currency's exponent (``lib.money``): JPY 500 → 500, USD 500 → 5.00,
  KWD 500 → 0.500. Never a float. Currency codes are upper-case ISO 4217.
- Every timestamp is an aware UTC ``datetime``, service periods included. A Stripe period is an
  instant to the second (a proration starts at the second of the change), and its calendar
  dates depend on the company's time zone, which only the caller knows.
- Related objects are given by id, whether Stripe sent the id or the expanded object.
- ``Event.previous_attributes`` stays as Stripe sent it: a partial object is not normalizable.
- An object type without a canonical class: ``normalize_object`` raises ``NormalizeError``,
  while ``normalize_event`` keeps the raw dict as ``Event.object``, so that every event can be
  stored and routed even when no handler will ever read its object.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from odoo.addons.saas_connector_base.lib.money import currency_exponent, from_minor_units

# ISO 4217 gives the Icelandic krona no decimals (and lib.money follows ISO), but Stripe's API
# still counts it in hundredths: amounts must be multiples of 100, and 100 is one krona.
_HUNDREDTHS_IN_STRIPE_ONLY = frozenset({"ISK"})

PAYMENT_SUCCEEDED = "succeeded"
PAYMENT_PENDING = "pending"
PAYMENT_FAILED = "failed"
PAYMENT_CANCELED = "canceled"

# Stripe's dispute statuses: warning_* ones are inquiries, which move no money;
# charge_refunded closed disputes of refunded charges until 2017; prevented ones never opened.
DISPUTE_NEEDS_RESPONSE = frozenset({"warning_needs_response", "needs_response"})
DISPUTE_CLOSED = frozenset({"warning_closed", "won", "lost", "charge_refunded", "prevented"})
DISPUTE_STATUSES = (
    DISPUTE_NEEDS_RESPONSE | DISPUTE_CLOSED | {"warning_under_review", "under_review"}
)


class NormalizeError(ValueError):
    """The payload cannot be read as a supported Stripe object; the message names the object and
    the field at fault."""


# Canonical objects ------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxId:
    value: str
    type: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Customer:
    id: str
    deleted: bool = False
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: dict | None = None
    currency: str | None = None
    tax_ids: tuple[TaxId, ...] = ()
    metadata: dict = field(default_factory=dict)


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


@dataclass(frozen=True)
class Payment:
    """Money received (or attempted) from a charge, a payment intent, an invoice_payment or a
    paid invoice. The same payment is usually reported by several of them: ``id`` is the id of
    the object it was read from, so match payments on ``payment_intent_id``, then
    ``charge_id``. ``status`` is one of the PAYMENT_* values, ``provider_status`` Stripe's own
    word; ``amount`` is what was received once succeeded, what is requested before."""

    id: str
    object_type: str
    status: str
    provider_status: str | None
    amount: Decimal
    amount_refunded: Decimal | None
    currency: str
    created: datetime | None
    invoice_id: str | None
    customer_id: str | None
    charge_id: str | None
    payment_intent_id: str | None
    balance_transaction_id: str | None
    # Why the card or bank declined a failed payment, as Stripe words it.
    failure_reason: str | None = None


@dataclass(frozen=True)
class CreditNoteLine:
    """``amount`` is before discounts and exclusive taxes, like an invoice line's;
    ``invoice_line_id`` names the credited invoice line (None for a custom line)."""

    id: str
    description: str | None
    amount: Decimal
    quantity: Decimal | None
    invoice_line_id: str | None
    discount_amounts: tuple[DiscountAmount, ...]
    tax_amounts: tuple[TaxAmount, ...]


@dataclass(frozen=True)
class CreditNote:
    """A credit note of an invoice. Where its credit goes: ``refund_ids`` (money back on the
    payment), ``customer_balance_transaction_id`` (credit kept for the next invoices),
    ``out_of_band_amount`` (settled outside Stripe); a ``pre_payment`` one lowers what the
    invoice still asks. ``tax`` is the total of all its taxes, inclusive ones too."""

    id: str
    number: str | None
    invoice_id: str
    customer_id: str | None
    status: str
    type: str | None
    currency: str
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    created: datetime | None
    voided_at: datetime | None
    reason: str | None
    memo: str | None
    refund_ids: tuple[str, ...]
    customer_balance_transaction_id: str | None
    out_of_band_amount: Decimal | None
    lines: tuple[CreditNoteLine, ...]
    lines_has_more: bool


@dataclass(frozen=True)
class Refund:
    """Money sent back on a charge. ``status`` is Stripe's (``pending``, ``succeeded``,
    ``failed``, ``canceled``, ``requires_action``)."""

    id: str
    status: str | None
    amount: Decimal
    currency: str
    created: datetime | None
    charge_id: str | None
    payment_intent_id: str | None
    reason: str | None
    failure_reason: str | None


@dataclass(frozen=True)
class Dispute:
    """A chargeback or an inquiry (``warning_*`` statuses) on a charge. ``status`` is one of
    DISPUTE_STATUSES. ``balance_transactions`` lists every movement of the disputed money on
    the Stripe balance so far — withdrawn (negative) or reinstated (positive) — so that the
    dispute's state alone says what the books must hold. ``customer_id`` and ``invoice_id``
    are known only when the payload expands the charge."""

    id: str
    status: str
    reason: str | None
    amount: Decimal
    currency: str
    created: datetime | None
    charge_id: str | None
    payment_intent_id: str | None
    customer_id: str | None
    invoice_id: str | None
    evidence_due_by: datetime | None
    is_charge_refundable: bool
    balance_transactions: tuple["BalanceTransaction", ...]


@dataclass(frozen=True)
class Payout:
    """Money sent from the Stripe balance to a bank account. ``status`` is Stripe's
    (``pending``, ``in_transit``, ``paid``, ``failed``, ``canceled``); only an ``automatic``
    payout can list the balance transactions it settles."""

    id: str
    status: str
    amount: Decimal
    currency: str
    automatic: bool
    created: datetime | None
    arrival_date: datetime | None
    description: str | None
    balance_transaction_id: str | None
    failure_balance_transaction_id: str | None
    failure_code: str | None
    failure_message: str | None


@dataclass(frozen=True)
class BalanceTransaction:
    """One movement of the Stripe balance: ``amount`` is what the movement brings (negative
    for money leaving it), ``fee`` what Stripe took on it, ``net`` = amount - fee. ``source_id``
    is the charge, refund, dispute, payout… it comes from; ``source_payment_intent_id`` is the
    source charge's payment intent when the source was expanded."""

    id: str
    type: str
    reporting_category: str | None
    amount: Decimal
    fee: Decimal
    net: Decimal
    currency: str
    created: datetime | None
    description: str | None
    source_id: str | None
    source_payment_intent_id: str | None


@dataclass(frozen=True)
class Event:
    """A webhook event. ``object`` is the canonical object, or the raw dict when its type has no
    canonical class; ``previous_attributes`` is raw (see the module docstring)."""

    id: str
    type: str
    api_version: str | None
    created: datetime
    livemode: bool
    object_type: str | None
    object_id: str | None
    object: object
    previous_attributes: dict | None


# Entry points -----------------------------------------------------------------------------


def normalize_event(payload):
    """The canonical Event of a webhook body (already parsed from JSON)."""
    if not isinstance(payload, dict) or payload.get("object", "event") != "event":
        raise NormalizeError("not a Stripe event")
    data = payload.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise NormalizeError(f"event {payload.get('id')!r} has no data.object")
    obj = data["object"]
    livemode = payload.get("livemode")
    if not isinstance(livemode, bool):
        raise NormalizeError(f"event {payload.get('id')!r} has no boolean livemode")
    object_type = obj.get("object")
    return Event(
        id=_required(payload, "id", "event"),
        type=_required(payload, "type", "event"),
        api_version=payload.get("api_version"),
        created=_timestamp(_required(payload, "created", "event"), "event.created"),
        livemode=livemode,
        object_type=object_type,
        object_id=obj.get("id"),
        object=normalize_object(obj) if object_type in _NORMALIZERS else obj,
        previous_attributes=data.get("previous_attributes"),
    )


def normalize_object(obj):
    """The canonical object of a Stripe API object, dispatched on its ``object`` field."""
    if not isinstance(obj, dict):
        raise NormalizeError("not a Stripe object")
    object_type = obj.get("object")
    normalizer = _NORMALIZERS.get(object_type)
    if normalizer is None:
        raise NormalizeError(f"unsupported Stripe object type {object_type!r}")
    return normalizer(obj)


def payment_from_invoice(invoice):
    """The payment a paid invoice reports (``invoice.paid``), from its canonical Invoice. From
    2025-03-31.basil on, charges and payment intents no longer name their invoice: this and the
    ``invoice_payment`` object are what tie money to an invoice."""
    if invoice.id is None:
        raise NormalizeError("an upcoming invoice reports no payment")
    return Payment(
        id=invoice.id,
        object_type="invoice",
        status=PAYMENT_SUCCEEDED if invoice.status == "paid" else PAYMENT_PENDING,
        provider_status=invoice.status,
        amount=invoice.amount_paid,
        amount_refunded=None,
        currency=invoice.currency,
        created=invoice.paid_at or invoice.created,
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        charge_id=invoice.charge_id,
        payment_intent_id=invoice.payment_intent_id,
        balance_transaction_id=None,
    )


def charge_refunds(payload):
    """The refunds a ``charge.refunded`` event embeds. 2022-11-15 stopped embedding them: the
    ``refund.*`` events (``charge.refund.updated`` before them) carry each refund then."""
    charge = normalize_event(payload).object
    refunds = (payload["data"]["object"].get("refunds")) or {}
    return tuple(_refund({"currency": charge.currency, **entry}) for entry in _list_data(refunds))


# Objects ----------------------------------------------------------------------------------


def _customer(obj):
    customer_id = _required(obj, "id", "customer")
    if obj.get("deleted"):
        return Customer(id=customer_id, deleted=True)
    tax_ids = tuple(
        TaxId(
            value=_required(entry, "value", f"tax id of customer {customer_id}"),
            type=entry.get("type"),
            country=entry.get("country"),
        )
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
        address=dict(obj["address"]) if obj.get("address") else None,
        currency=_currency(obj),
        tax_ids=tax_ids,
        metadata=dict(obj.get("metadata") or {}),
    )


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
    )


def _invoice_failure_reason(obj):
    """The decline reason of the invoice's last payment attempt, where the payload expands it:
    the charge (``charge``, until 2025-03-31.basil) or the payment intent."""
    if isinstance(obj.get("charge"), dict):
        return _charge_failure_reason(obj["charge"])
    if isinstance(obj.get("payment_intent"), dict):
        return _intent_failure_reason(obj["payment_intent"])
    return None


def _charge_failure_reason(obj):
    """A charge's decline as finance reads it: Stripe's message, then the bank's decline code
    (``outcome.reason``) or the failure code."""
    outcome = obj.get("outcome") or {}
    message = obj.get("failure_message") or outcome.get("seller_message")
    return _reason(message, outcome.get("reason") or obj.get("failure_code"))


def _intent_failure_reason(obj):
    error = obj.get("last_payment_error") or {}
    if error:
        return _reason(error.get("message"), error.get("decline_code") or error.get("code"))
    charge = _latest_charge(obj)
    return _charge_failure_reason(charge) if charge else None


def _reason(message, code):
    if message and code:
        return f"{message} ({code})"
    return message or code or None


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


def _quantity(obj):
    # quantity_decimal (newer versions) carries fractional quantities; quantity is an integer.
    if obj.get("quantity_decimal") is not None:
        return _decimal(obj["quantity_decimal"], "quantity_decimal")
    if obj.get("quantity") is not None:
        return _decimal(obj["quantity"], "quantity")
    return None


def _credit_note(obj):
    credit_note_id = _required(obj, "id", "credit_note")
    currency = _required_currency(obj, credit_note_id)
    lines = obj.get("lines") or {}
    # 2025-03-31.basil replaced refund by the refunds list and tax_amounts by total_taxes.
    refund_ids = tuple(_id(entry.get("refund")) for entry in obj.get("refunds") or ()) or (
        (_id(obj["refund"]),) if obj.get("refund") else ()
    )
    return CreditNote(
        id=credit_note_id,
        number=obj.get("number"),
        invoice_id=_id(_required(obj, "invoice", credit_note_id)),
        customer_id=_id(obj.get("customer")),
        status=_required(obj, "status", credit_note_id),
        type=obj.get("type"),
        currency=currency,
        subtotal=_amount(_required(obj, "subtotal", credit_note_id), currency),
        discount=_amount(obj.get("discount_amount") or 0, currency),
        tax=_sum(_first(obj.get("total_taxes"), obj.get("tax_amounts")) or (), currency),
        total=_amount(_required(obj, "total", credit_note_id), currency),
        created=_timestamp(obj.get("created"), f"{credit_note_id} created"),
        voided_at=_timestamp(obj.get("voided_at"), f"{credit_note_id} voided_at"),
        reason=obj.get("reason"),
        memo=obj.get("memo"),
        refund_ids=refund_ids,
        customer_balance_transaction_id=_id(obj.get("customer_balance_transaction")),
        out_of_band_amount=_amount(obj.get("out_of_band_amount"), currency),
        lines=tuple(_credit_note_line(line, currency) for line in _list_data(lines)),
        lines_has_more=bool(lines.get("has_more")),
    )


def _credit_note_line(obj, currency):
    line_id = _required(obj, "id", "credit_note_line_item")
    label = f"credit_note_line_item {line_id}"
    return CreditNoteLine(
        id=line_id,
        description=obj.get("description"),
        amount=_amount(_required(obj, "amount", label), currency),
        quantity=_quantity(obj),
        invoice_line_id=_id(obj.get("invoice_line_item")),
        discount_amounts=_discount_amounts(obj, currency, label),
        tax_amounts=_line_taxes(obj, currency, label),
    )


def _refund(obj):
    refund_id = _required(obj, "id", "refund")
    currency = _required_currency(obj, refund_id)
    return Refund(
        id=refund_id,
        status=obj.get("status"),
        amount=_amount(_required(obj, "amount", refund_id), currency),
        currency=currency,
        created=_timestamp(obj.get("created"), f"{refund_id} created"),
        charge_id=_id(obj.get("charge")),
        payment_intent_id=_id(obj.get("payment_intent")),
        reason=obj.get("reason"),
        failure_reason=obj.get("failure_reason"),
    )


def _dispute(obj):
    dispute_id = _required(obj, "id", "dispute")
    currency = _required_currency(obj, dispute_id)
    status = obj.get("status")
    if status not in DISPUTE_STATUSES:
        raise NormalizeError(f"dispute {dispute_id} has an unknown status {status!r}")
    charge = obj.get("charge")
    charge = charge if isinstance(charge, dict) else {}
    evidence = obj.get("evidence_details") or {}
    return Dispute(
        id=dispute_id,
        status=status,
        reason=obj.get("reason"),
        amount=_amount(_required(obj, "amount", dispute_id), currency),
        currency=currency,
        created=_timestamp(obj.get("created"), f"{dispute_id} created"),
        charge_id=_id(obj.get("charge")),
        payment_intent_id=_id(obj.get("payment_intent")) or _id(charge.get("payment_intent")),
        customer_id=_id(charge.get("customer")),
        invoice_id=_id(charge.get("invoice")),
        evidence_due_by=_timestamp(
            _first(evidence.get("due_by"), obj.get("evidence_due_by")),
            f"{dispute_id} evidence due date",
        ),
        is_charge_refundable=bool(obj.get("is_charge_refundable")),
        balance_transactions=tuple(
            _dispute_balance_transaction(entry, dispute_id)
            for entry in _list_data(obj.get("balance_transactions"))
        ),
    )


def _dispute_balance_transaction(obj, dispute_id):
    if not isinstance(obj, dict):
        # Stripe always expands them: an id alone says nothing of the amount.
        raise NormalizeError(f"dispute {dispute_id} lists balance transaction {obj!r} unexpanded")
    return _balance_transaction(obj)


def _payout(obj):
    payout_id = _required(obj, "id", "payout")
    currency = _required_currency(obj, payout_id)
    return Payout(
        id=payout_id,
        status=_required(obj, "status", payout_id),
        amount=_amount(_required(obj, "amount", payout_id), currency),
        currency=currency,
        automatic=bool(obj.get("automatic")),
        created=_timestamp(obj.get("created"), f"{payout_id} created"),
        arrival_date=_timestamp(obj.get("arrival_date"), f"{payout_id} arrival_date"),
        description=obj.get("description") or None,
        balance_transaction_id=_id(obj.get("balance_transaction")),
        # localstripe sends an empty string for a failed payout's transaction.
        failure_balance_transaction_id=_id(obj.get("failure_balance_transaction")) or None,
        failure_code=obj.get("failure_code"),
        failure_message=obj.get("failure_message"),
    )


def _balance_transaction(obj):
    transaction_id = _required(obj, "id", "balance_transaction")
    currency = _required_currency(obj, transaction_id)
    amount = _amount(_required(obj, "amount", transaction_id), currency)
    fee = _amount(obj.get("fee") or 0, currency)
    source = obj.get("source")
    return BalanceTransaction(
        id=transaction_id,
        type=_required(obj, "type", transaction_id),
        reporting_category=obj.get("reporting_category"),
        amount=amount,
        fee=fee,
        net=amount - fee if obj.get("net") is None else _amount(obj["net"], currency),
        currency=currency,
        created=_timestamp(obj.get("created"), f"{transaction_id} created"),
        description=obj.get("description"),
        source_id=_id(source),
        # Only a charge's payment intent names the payment: a refund's names the refunded one.
        source_payment_intent_id=(
            _id(source.get("payment_intent"))
            if isinstance(source, dict) and source.get("object") == "charge"
            else None
        ),
    )


# Payments ---------------------------------------------------------------------------------

_CHARGE_STATUSES = {
    "succeeded": PAYMENT_SUCCEEDED,
    "pending": PAYMENT_PENDING,
    "failed": PAYMENT_FAILED,
}
_INVOICE_PAYMENT_STATUSES = {
    "paid": PAYMENT_SUCCEEDED,
    "open": PAYMENT_PENDING,
    "canceled": PAYMENT_CANCELED,
}


def _payment_from_charge(obj):
    charge_id = _required(obj, "id", "charge")
    currency = _required_currency(obj, charge_id)
    return Payment(
        id=charge_id,
        object_type="charge",
        status=_mapped_status(_CHARGE_STATUSES, obj, charge_id),
        provider_status=obj.get("status"),
        amount=_amount(_required(obj, "amount", charge_id), currency),
        amount_refunded=_amount(obj.get("amount_refunded"), currency),
        currency=currency,
        created=_timestamp(obj.get("created"), f"{charge_id} created"),
        # 2025-03-31.basil removed charge.invoice: the invoice_payment links them since.
        invoice_id=_id(obj.get("invoice")),
        customer_id=_id(obj.get("customer")),
        charge_id=charge_id,
        payment_intent_id=_id(obj.get("payment_intent")),
        balance_transaction_id=_id(obj.get("balance_transaction")),
        failure_reason=_charge_failure_reason(obj) if obj.get("status") == "failed" else None,
    )


def _payment_from_payment_intent(obj):
    intent_id = _required(obj, "id", "payment_intent")
    currency = _required_currency(obj, intent_id)
    status = obj.get("status")
    if status == "succeeded":
        payment_status = PAYMENT_SUCCEEDED
    elif status == "canceled":
        payment_status = PAYMENT_CANCELED
    elif status == "requires_payment_method" and obj.get("last_payment_error"):
        payment_status = PAYMENT_FAILED  # what payment_intent.payment_failed carries
    else:
        payment_status = PAYMENT_PENDING
    charge = _latest_charge(obj)
    received = obj.get("amount_received") if payment_status == PAYMENT_SUCCEEDED else None
    return Payment(
        id=intent_id,
        object_type="payment_intent",
        status=payment_status,
        provider_status=status,
        amount=_amount(_first(received, _required(obj, "amount", intent_id)), currency),
        amount_refunded=_amount(charge.get("amount_refunded"), currency),
        currency=currency,
        created=_timestamp(obj.get("created"), f"{intent_id} created"),
        # 2025-03-31.basil removed payment_intent.invoice, like charge.invoice.
        invoice_id=_id(obj.get("invoice")),
        customer_id=_id(obj.get("customer")),
        charge_id=_id(obj.get("latest_charge")) or charge.get("id"),
        payment_intent_id=intent_id,
        balance_transaction_id=_id(charge.get("balance_transaction")),
        failure_reason=(_intent_failure_reason(obj) if payment_status == PAYMENT_FAILED else None),
    )


def _latest_charge(obj):
    """The intent's latest charge as a dict (empty when only its id is known): expanded in
    ``latest_charge``, or found in the ``charges`` list that 2022-11-15 removed."""
    if isinstance(obj.get("latest_charge"), dict):
        return obj["latest_charge"]
    charges = _list_data(obj.get("charges"))
    latest_id = obj.get("latest_charge")
    for charge in charges:
        if charge.get("id") == latest_id:
            return charge
    # Without latest_charge, the list's first entry is the most recent charge.
    return charges[0] if charges and latest_id is None else {}


def _payment_from_invoice_payment(obj):
    payment_id = _required(obj, "id", "invoice_payment")
    currency = _required_currency(obj, payment_id)
    status = _mapped_status(_INVOICE_PAYMENT_STATUSES, obj, payment_id)
    payment = obj.get("payment") or {}
    paid = obj.get("amount_paid") if status == PAYMENT_SUCCEEDED else None
    return Payment(
        id=payment_id,
        object_type="invoice_payment",
        status=status,
        provider_status=obj.get("status"),
        amount=_amount(_first(paid, _required(obj, "amount_requested", payment_id)), currency),
        amount_refunded=None,
        currency=currency,
        created=_timestamp(obj.get("created"), f"{payment_id} created"),
        invoice_id=_id(obj.get("invoice")),
        customer_id=None,
        charge_id=_id(payment.get("charge")),
        payment_intent_id=_id(payment.get("payment_intent")),
        balance_transaction_id=None,
    )


def _mapped_status(mapping, obj, label):
    status = obj.get("status")
    if status not in mapping:
        raise NormalizeError(f"{label} has an unknown status {status!r}")
    return mapping[status]


_NORMALIZERS = {
    "customer": _customer,
    "product": _product,
    "price": _price,
    "plan": _price,
    "subscription": _subscription,
    "invoice": _invoice,
    "line_item": _invoice_line,
    "charge": _payment_from_charge,
    "payment_intent": _payment_from_payment_intent,
    "invoice_payment": _payment_from_invoice_payment,
    "credit_note": _credit_note,
    "credit_note_line_item": lambda obj: _credit_note_line(
        obj, _required_currency(obj, obj["id"])
    ),
    "refund": _refund,
    "payout": _payout,
    "balance_transaction": _balance_transaction,
    "dispute": _dispute,
}


# Field readers ----------------------------------------------------------------------------


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
