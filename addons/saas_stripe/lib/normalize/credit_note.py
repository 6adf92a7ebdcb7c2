"""Credit notes and their lines."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .common import (
    _amount,
    _first,
    _id,
    _list_data,
    _quantity,
    _required,
    _required_currency,
    _sum,
    _timestamp,
)
from .invoice import DiscountAmount, TaxAmount, _discount_amounts, _line_taxes


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
