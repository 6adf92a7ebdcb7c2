"""Stripe credit notes of each API version, read into canonical objects."""

from decimal import Decimal

from odoo.addons.saas_stripe.lib.normalize import (
    CreditNote,
    CreditNoteLine,
    TaxAmount,
    normalize_event,
    normalize_object,
)

from .common_normalize import (
    SYNC_ENGINE,
    at,
    load,
    stripe_object,
)


def test_2020_03_02_credit_note():
    assert normalize_event(load(f"{SYNC_ENGINE}/credit_note_created.json")).object == CreditNote(
        id="cn_1MxvRqLkdIwHu7ixY0xbUcxk",
        number="C9E0C52C-0036-CN-01",
        invoice_id="in_1MxvRkLkdIwHu7ixABNtI99m",
        customer_id="cus_NjLgPhUokHubJC",
        status="issued",
        type="pre_payment",
        currency="USD",
        subtotal=Decimal("10.99"),
        discount=Decimal("0.00"),
        tax=Decimal("0.00"),
        total=Decimal("10.99"),
        created=at(2023, 4, 17, 17, 2, 38),
        voided_at=None,
        reason=None,
        memo=None,
        refund_ids=(),
        customer_balance_transaction_id=None,
        out_of_band_amount=None,
        lines=(
            CreditNoteLine(
                id="cnli_1MxvRqLkdIwHu7ixFpdhBFQf",
                description="T-shirt",
                amount=Decimal("10.99"),
                quantity=Decimal(1),
                invoice_line_id="il_1MxvRlLkdIwHu7ixnkbntxUV",
                discount_amounts=(),
                tax_amounts=(),
            ),
        ),
        lines_has_more=False,
    )


def test_credit_note_refunds_of_each_version():
    # Derived: the refund field of 2020-03-02, then the refunds list of 2025-03-31.basil.
    credit_note = stripe_object(f"{SYNC_ENGINE}/credit_note_created.json")
    credit_note["refund"] = {"id": "re_Old", "object": "refund"}
    assert normalize_object(credit_note).refund_ids == ("re_Old",)
    del credit_note["refund"]
    credit_note["refunds"] = [
        {"refund": "re_First", "amount_refunded": 500},
        {"refund": "re_Second", "amount_refunded": 599},
    ]
    assert normalize_object(credit_note).refund_ids == ("re_First", "re_Second")


def test_basil_credit_note_taxes():
    # Derived: 2025-03-31.basil's total_taxes and line taxes in place of tax_amounts.
    credit_note = stripe_object(f"{SYNC_ENGINE}/credit_note_created.json")
    del credit_note["tax_amounts"]
    credit_note["total_taxes"] = [{"amount": 209, "tax_behavior": "exclusive"}]
    line = credit_note["lines"]["data"][0]
    del line["tax_amounts"]
    line["taxes"] = [
        {
            "amount": 209,
            "tax_behavior": "exclusive",
            "tax_rate_details": {"tax_rate": "txr_Vat19"},
            "taxable_amount": 1099,
        }
    ]
    normalized = normalize_object(credit_note)
    assert normalized.tax == Decimal("2.09")
    assert normalized.lines[0].tax_amounts == (
        TaxAmount(
            amount=Decimal("2.09"),
            tax_rate_id="txr_Vat19",
            inclusive=False,
            taxable_amount=Decimal("10.99"),
        ),
    )
