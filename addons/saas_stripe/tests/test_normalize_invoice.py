"""Stripe invoices and their lines, discounts and taxes of each API version, read into
canonical objects."""

from decimal import Decimal

import pytest

from odoo.addons.saas_stripe.lib.normalize import (
    DiscountAmount,
    InvoiceLine,
    TaxAmount,
    TaxRate,
    normalize_object,
)

from .common_normalize import (
    LOCALSTRIPE,
    SYNC_ENGINE,
    ZULIP_INVOICE,
    at,
    load,
    stripe_object,
)


@pytest.mark.parametrize(
    ("fixture", "index", "expected"),
    [
        (
            f"{LOCALSTRIPE}/invoice_payment_succeeded.json",
            0,
            {
                "id": "in_LsInv0002",
                "number": None,
                "customer_id": "cus_LsAda0001",
                "subscription_id": "sub_LsSub0001",
                "status": "paid",
                "currency": "EUR",
                "subtotal": Decimal("65.00"),
                "discount": None,
                "tax": Decimal("12.35"),
                "total": Decimal("77.35"),
                "amount_due": Decimal("77.35"),
                "amount_paid": Decimal("77.35"),
                "amount_remaining": None,
                "created": at(2017, 9, 29, 9, 46, 40),
                "finalized_at": at(2017, 9, 29, 9, 46, 40),
                "due_date": None,
                "lines_has_more": False,
                "starting_balance": Decimal("0.00"),
            },
        ),
        (
            f"{SYNC_ENGINE}/invoice_paid.json",
            0,
            {
                "id": "in_1KJqKBJDPojXS6LNJbvLUgEy",
                "number": "60229DE7-0007",
                "customer_id": "cus_JsuO3bmrj0QlAw",
                "subscription_id": "sub_JsuPyCPhXWfZar",
                "status": "paid",
                "currency": "USD",
                "subtotal": Decimal("0.00"),
                "discount": Decimal("0.00"),
                "tax": Decimal("0.00"),
                "total": Decimal("0.00"),
                "amount_due": Decimal("0.00"),
                "amount_paid": Decimal("0.00"),
                "amount_remaining": Decimal("0.00"),
                "created": at(2022, 1, 20, 2, 24, 31),
                "finalized_at": at(2022, 1, 20, 3, 25, 10),
                "due_date": None,
                "lines_has_more": False,
                "starting_balance": Decimal("0.00"),
            },
        ),
        (
            f"{SYNC_ENGINE}/invoice_deleted.json",
            0,
            {
                "id": "in_xyz",
                "number": None,
                "customer_id": "cus_123",
                "subscription_id": None,
                "status": "deleted",
                "currency": "USD",
                "subtotal": Decimal("10.00"),
                "discount": Decimal("0.00"),
                "tax": Decimal("0.00"),
                "total": Decimal("10.00"),
                "amount_due": Decimal("0.00"),
                "amount_paid": Decimal("0.00"),
                "amount_remaining": Decimal("0.00"),
                "created": at(2023, 7, 17, 22, 24, 2),
                "finalized_at": None,
                "due_date": at(2023, 8, 16, 22, 24, 2),
                "lines_has_more": False,
                "starting_balance": Decimal("-513.15"),
            },
        ),
        (
            "pay/invoice.json",
            0,
            {
                "id": "in_1RFFohKXBGcbgpbZk9MxzDMc",
                "number": "228BBE4A-0001",
                "customer_id": "cus_S9YwWMaQEgeJYO",
                "subscription_id": None,
                "status": "paid",
                "currency": "USD",
                "subtotal": Decimal("252.30"),
                "discount": Decimal("33.93"),
                "tax": Decimal("18.05"),
                "total": Decimal("245.12"),
                "amount_due": Decimal("245.12"),
                "amount_paid": Decimal("245.12"),
                "amount_remaining": Decimal("0.00"),
                "created": at(2025, 4, 18, 14, 22, 55),
                "finalized_at": at(2025, 4, 18, 14, 26, 3),
                "due_date": None,
                "lines_has_more": False,
                "starting_balance": Decimal("0.00"),
            },
        ),
        (
            "pay/invoice.payment_action_required.json",
            0,
            {
                "id": "in_1234",
                "number": "62E7977D-0018",
                "customer_id": "cus_1234",
                "subscription_id": "sub_1234",
                "status": "open",
                "currency": "USD",
                "subtotal": Decimal("91.84"),
                "discount": Decimal("0.00"),
                "tax": Decimal("0.00"),
                "total": Decimal("91.84"),
                "amount_due": Decimal("91.84"),
                "amount_paid": Decimal("0.00"),
                "amount_remaining": Decimal("91.84"),
                "created": at(2025, 4, 20, 17, 33, 35),
                "finalized_at": at(2025, 4, 20, 18, 34, 27),
                "due_date": None,
                "lines_has_more": False,
                "starting_balance": Decimal("0.00"),
            },
        ),
        (
            "pay/invoice.payment_failed.json",
            0,
            {
                "id": "in_1234",
                "number": "F612594F-0002",
                "customer_id": "cus_1234",
                "subscription_id": "sub_1234",
                "status": "open",
                "currency": "USD",
                "subtotal": Decimal("249.00"),
                "discount": Decimal("0.00"),
                "tax": Decimal("0.00"),
                "total": Decimal("249.00"),
                "amount_due": Decimal("249.00"),
                "amount_paid": Decimal("0.00"),
                "amount_remaining": Decimal("249.00"),
                "created": at(2025, 4, 23, 18, 46, 2),
                "finalized_at": at(2025, 4, 23, 19, 46, 18),
                "due_date": None,
                "lines_has_more": False,
                "starting_balance": Decimal("0.00"),
            },
        ),
        (
            ZULIP_INVOICE,
            1,
            {
                "id": "upgrade_by_card--Event.list.3.json",
                "number": "NORMALIZED",
                "customer_id": "upgrade_by_card--Customer.create.1.json",
                "subscription_id": None,
                "status": "paid",
                "currency": "USD",
                "subtotal": Decimal("480.00"),
                "discount": Decimal("0.00"),
                "tax": Decimal("0.00"),
                "total": Decimal("480.00"),
                "amount_due": Decimal("480.00"),
                "amount_paid": Decimal("480.00"),
                "amount_remaining": Decimal("0.00"),
                "created": at(2001, 9, 9, 1, 46, 40),
                "finalized_at": at(2001, 9, 9, 1, 46, 40),
                "due_date": None,
                "lines_has_more": False,
                "starting_balance": Decimal("0.00"),
            },
        ),
        (
            "openapi/fixtures3.2026-08.invoice.json",
            0,
            {
                "id": "in_1Pgc6tB7WZ01zgkWu9fdqL6I",
                "number": None,
                "customer_id": "cus_QXg1o8vcGmoR32",
                "subscription_id": "subscription",
                "status": "draft",
                "currency": "USD",
                "subtotal": Decimal("10.00"),
                "discount": Decimal("0.00"),
                "tax": None,
                "total": Decimal("10.00"),
                "amount_due": Decimal("10.00"),
                "amount_paid": Decimal("0.00"),
                "amount_remaining": Decimal("10.00"),
                "created": at(2009, 2, 13, 23, 31, 30),
                "finalized_at": None,
                "due_date": at(2009, 2, 13, 23, 31, 30),
                "lines_has_more": False,
                "starting_balance": Decimal("0.00"),
            },
        ),
    ],
)
def test_invoice_totals_of_each_version(fixture, index, expected):
    invoice = normalize_object(stripe_object(fixture, index))
    assert {name: getattr(invoice, name) for name in expected} == expected
    # Decimal equality ignores the exponent; the text shows the currency's own: "10.00".
    assert str(invoice.total) == str(expected["total"])


def test_invoice_lines_2017_08_15_with_prorations():
    invoice = normalize_object(stripe_object(f"{LOCALSTRIPE}/invoice_payment_succeeded.json"))
    vat = "txr_LsVat19"
    assert invoice.lines == (
        InvoiceLine(
            id="il_LsLine0001",
            description="Platinum",
            currency="EUR",
            amount=Decimal("50.00"),
            quantity=Decimal(1),
            unit_amount=Decimal("50.00"),
            price_id="platinum-monthly",
            product_id="prod_LsPlatinum0001",
            proration=False,
            period_start=at(2017, 9, 29, 9, 46, 40),
            period_end=at(2017, 10, 29, 9, 46, 40),
            discount_amounts=(),
            tax_amounts=(
                TaxAmount(
                    amount=Decimal("9.50"), tax_rate_id=vat, inclusive=False, taxable_amount=None
                ),
            ),
            subscription_id="sub_LsSub0001",
            subscription_item_id="si_LsItem0001",
            invoice_item_id=None,
        ),
        InvoiceLine(
            id="il_LsLine0002",
            description="Unused time on Gold after 13 Sep 2017",
            currency="EUR",
            amount=Decimal("-10.00"),
            quantity=Decimal(1),
            unit_amount=Decimal("20.00"),
            price_id="gold-monthly",
            product_id="prod_LsGold0001",
            proration=True,
            period_start=at(2017, 9, 13, 21, 46, 40),
            period_end=at(2017, 9, 29, 9, 46, 40),
            discount_amounts=(),
            tax_amounts=(
                TaxAmount(
                    amount=Decimal("-1.90"), tax_rate_id=vat, inclusive=False, taxable_amount=None
                ),
            ),
            subscription_id="sub_LsSub0001",
            subscription_item_id=None,
            invoice_item_id="ii_LsProration0001",
        ),
        InvoiceLine(
            id="il_LsLine0003",
            description="Remaining time on Platinum after 13 Sep 2017",
            currency="EUR",
            amount=Decimal("25.00"),
            quantity=Decimal(1),
            unit_amount=Decimal("50.00"),
            price_id="platinum-monthly",
            product_id="prod_LsPlatinum0001",
            proration=True,
            period_start=at(2017, 9, 13, 21, 46, 40),
            period_end=at(2017, 9, 29, 9, 46, 40),
            discount_amounts=(),
            tax_amounts=(
                TaxAmount(
                    amount=Decimal("4.75"), tax_rate_id=vat, inclusive=False, taxable_amount=None
                ),
            ),
            subscription_id="sub_LsSub0001",
            subscription_item_id=None,
            invoice_item_id="ii_LsProration0002",
        ),
    )
    assert sum(line.amount for line in invoice.lines) == invoice.subtotal
    assert sum(t.amount for line in invoice.lines for t in line.tax_amounts) == invoice.tax


@pytest.mark.parametrize(
    ("fixture", "index", "line_index", "expected"),
    [
        (
            f"{SYNC_ENGINE}/invoice_paid.json",
            0,
            0,
            InvoiceLine(
                id="il_1KJqKBJDPojXS6LND42vdxtT",
                description="1 \u00d7 Free tier (at $0.00 / month)",
                currency="USD",
                amount=Decimal("0.00"),
                quantity=Decimal(1),
                unit_amount=Decimal("0.00"),
                price_id="price_1IDQm5JDPojXS6LNM31hxKzp",
                product_id="prod_Ip4vqwv3EJ7Mi0",
                proration=False,
                period_start=at(2022, 1, 20, 2, 21, 20),
                period_end=at(2022, 2, 20, 2, 21, 20),
                discount_amounts=(),
                tax_amounts=(),
                subscription_id="sub_JsuPyCPhXWfZar",
                subscription_item_id="si_JsuPFzrp9vSWxa",
                invoice_item_id=None,
            ),
        ),
        (
            f"{SYNC_ENGINE}/invoice_deleted.json",
            0,
            0,
            InvoiceLine(
                id="il_1",
                description="something",
                currency="USD",
                amount=Decimal("10.00"),
                quantity=Decimal(1),
                unit_amount=Decimal("10.00"),
                price_id="price_1",
                product_id="prod_OHY",
                proration=False,
                period_start=at(2023, 7, 17, 22, 24, 11),
                period_end=at(2023, 7, 17, 22, 24, 11),
                discount_amounts=(),
                tax_amounts=(),
                subscription_id=None,
                subscription_item_id=None,
                invoice_item_id="li_1",
            ),
        ),
        (
            "pay/invoice.json",
            0,
            1,
            InvoiceLine(
                id="il_1RFFq0KXBGcbgpbZPuBYsvfv",
                description="T-Shirt",
                currency="USD",
                amount=Decimal("87.00"),
                quantity=Decimal(3),
                unit_amount=Decimal("29.00"),
                price_id="price_1KOpJJKXBGcbgpbZyDoF66XQ",
                product_id="prod_IxQQWtyij0rvGp",
                proration=False,
                period_start=at(2025, 4, 18, 14, 24, 16),
                period_end=at(2025, 4, 18, 14, 24, 16),
                discount_amounts=(
                    DiscountAmount(
                        amount=Decimal("8.70"), discount_id="di_1RFFqRKXBGcbgpbZChHSAaPV"
                    ),
                    DiscountAmount(
                        amount=Decimal("7.83"), discount_id="di_1RFFqAKXBGcbgpbZj2Dkyfn4"
                    ),
                ),
                tax_amounts=(
                    TaxAmount(
                        amount=Decimal("5.60"),
                        tax_rate_id="txr_1REBcPKXBGcbgpbZad52Yd7V",
                        inclusive=False,
                        taxable_amount=Decimal("70.47"),
                    ),
                ),
                subscription_id=None,
                subscription_item_id=None,
                invoice_item_id="ii_1RFFq0KXBGcbgpbZjImQ5va1",
            ),
        ),
        (
            "pay/invoice.payment_action_required.json",
            0,
            0,
            InvoiceLine(
                id="il_1234",
                description="1 \u00d7 Standard (at $0.00000381 / month)",
                currency="USD",
                amount=Decimal("91.84"),
                quantity=Decimal(24104515),
                # A metered price finer than the cent: kept exact.
                unit_amount=Decimal("0.00000381"),
                price_id="price_1234",
                product_id="prod_1234",
                proration=False,
                period_start=at(2025, 3, 20, 17, 29, 12),
                period_end=at(2025, 4, 20, 17, 28, 35),
                discount_amounts=(),
                tax_amounts=(
                    TaxAmount(
                        amount=Decimal("0.00"),
                        tax_rate_id="txr_1234",
                        inclusive=False,
                        taxable_amount=Decimal("0.00"),
                    ),
                ),
                subscription_id="sub_1234",
                subscription_item_id="si_1234",
                invoice_item_id=None,
            ),
        ),
        (
            # 2025-03-31.basil only: pricing and parent.subscription_item_details, no price.
            "pay/invoice.payment_failed.json",
            0,
            0,
            InvoiceLine(
                id="il_1234",
                description="1 \u00d7 Example (at $249.00 / year)",
                currency="USD",
                amount=Decimal("249.00"),
                quantity=Decimal(1),
                unit_amount=Decimal("249.00"),
                price_id="price_1234",
                product_id="prod_1234",
                proration=False,
                period_start=at(2025, 4, 23, 18, 45, 6),
                period_end=at(2026, 4, 23, 18, 45, 6),
                discount_amounts=(),
                tax_amounts=(),
                subscription_id="sub_1234",
                subscription_item_id="si_1234",
                invoice_item_id=None,
            ),
        ),
        (
            ZULIP_INVOICE,
            1,
            0,
            InvoiceLine(
                id="upgrade_by_card--Event.list.3.json",
                description="Zulip Cloud Standard",
                currency="USD",
                amount=Decimal("480.00"),
                quantity=Decimal(6),
                unit_amount=Decimal("80.00"),
                price_id="price_NORMALIZED",
                product_id="prod_NORMALIZED",
                proration=False,
                period_start=at(2012, 1, 2, 3, 4, 5),
                period_end=at(2013, 1, 2, 3, 4, 5),
                discount_amounts=(),
                tax_amounts=(),
                subscription_id=None,
                subscription_item_id=None,
                invoice_item_id="upgrade_by_card--Event.list.3.json",
            ),
        ),
    ],
)
def test_invoice_line_of_each_version(fixture, index, line_index, expected):
    invoice = normalize_object(stripe_object(fixture, index))
    assert invoice.lines[line_index] == expected


def test_proration_flag_of_basil_lines_is_read_under_parent():
    invoice = normalize_object(load("openapi/fixtures3.2026-08.invoice.json"))
    (line,) = invoice.lines
    assert line.proration is True
    assert (line.invoice_item_id, line.subscription_id) == ("invoice_item", None)
    # The same line with the flag turned off where basil puts it.
    payload = load("openapi/fixtures3.2026-08.invoice.json")
    payload["lines"]["data"][0]["parent"]["invoice_item_details"]["proration"] = False
    assert normalize_object(payload).lines[0].proration is False


def test_proration_on_a_subscription_item_line_of_basil():
    # The clover line of Zulip, re-parented as a subscription item proration.
    payload = stripe_object(ZULIP_INVOICE, 1)
    payload["lines"]["data"][0]["parent"] = {
        "type": "subscription_item_details",
        "invoice_item_details": None,
        "subscription_item_details": {
            "invoice_item": None,
            "proration": True,
            "proration_details": {"credited_items": None},
            "subscription": "sub_1",
            "subscription_item": "si_1",
        },
    }
    line = normalize_object(payload).lines[0]
    assert (line.proration, line.subscription_id, line.subscription_item_id) == (
        True,
        "sub_1",
        "si_1",
    )


def test_truncated_lines_are_flagged_and_a_fetched_line_reads_alone():
    payload = stripe_object(ZULIP_INVOICE, 1)
    payload["lines"]["has_more"] = True
    invoice = normalize_object(payload)
    assert invoice.lines_has_more is True
    # A line fetched from /v1/invoices/<id>/lines reads on its own, in its own currency.
    line = normalize_object(payload["lines"]["data"][0])
    assert line == invoice.lines[0]


def test_invoice_without_status_reads_the_legacy_flags():
    # Stripe itself (unlike localstripe) sent neither status (2018-11-08) nor created
    # (2019-03-14) at 2017-08-15: paid/forgiven flags and a date.
    payload = stripe_object(f"{LOCALSTRIPE}/invoice_payment_succeeded.json")
    del payload["status"], payload["created"]
    payload.update(paid=True, closed=True, forgiven=False)
    invoice = normalize_object(payload)
    assert (invoice.status, invoice.created) == ("paid", at(2017, 9, 29, 9, 46, 40))
    payload.update(paid=False, forgiven=True)
    assert normalize_object(payload).status == "uncollectible"
    payload.update(forgiven=False, closed=False)
    assert normalize_object(payload).status == "open"


def test_invoice_tax_before_tax_rates():
    # Invoices taxed by tax_percent, before tax rates, have a tax figure and no per-rate list.
    payload = stripe_object(f"{LOCALSTRIPE}/invoice_payment_succeeded.json")
    del payload["total_tax_amounts"]
    payload["tax_percent"] = 19.0
    assert normalize_object(payload).tax == Decimal("12.35")


def test_inclusive_tax_of_a_basil_line():
    # The clover line of Zulip, with VAT included in its price as basil's ``taxes`` says it.
    payload = stripe_object(ZULIP_INVOICE, 1)
    payload["lines"]["data"][0]["taxes"] = [
        {
            "amount": 7664,
            "tax_behavior": "inclusive",
            "tax_rate_details": {"tax_rate": "txr_vat19"},
            "taxability_reason": "standard_rated",
            "taxable_amount": 40336,
            "type": "tax_rate_details",
        }
    ]
    assert normalize_object(payload).lines[0].tax_amounts == (
        TaxAmount(
            amount=Decimal("76.64"),
            tax_rate_id="txr_vat19",
            inclusive=True,
            taxable_amount=Decimal("403.36"),
        ),
    )


def test_legacy_line_ids():
    # Before 2019-12-03 line ids were not unique (unique_id was) and an invoice-item line's id
    # was the invoice item's.
    payload = stripe_object(f"{LOCALSTRIPE}/invoice_payment_succeeded.json")
    subscription_line, credit_line, _ = payload["lines"]["data"]
    subscription_line.update(id="sub_LsSub0001", unique_id="il_unique1")
    credit_line.update(id="ii_LsProration0001", unique_id="il_unique2")
    del credit_line["invoice_item"]
    lines = normalize_object(payload).lines
    assert (lines[0].id, lines[0].invoice_item_id) == ("il_unique1", None)
    assert (lines[1].id, lines[1].invoice_item_id) == ("il_unique2", "ii_LsProration0001")


def test_openapi_tax_rate():
    assert normalize_object(load("openapi/fixtures3.2026-08.tax_rate.json")) == TaxRate(
        id="txr_1Pgc7BB7WZ01zgkW4Iwwvf6z",
        display_name="VAT",
        percentage=Decimal(19),
        inclusive=False,
        country="DE",
        state=None,
    )


@pytest.mark.parametrize(
    ("percentage", "expected"),
    [(8.875, "8.875"), (19.6, "19.6"), ("7.25", "7.25"), (None, None)],
)
def test_tax_rate_percentage_is_the_figure_stripe_sent(percentage, expected):
    # Derived: a JSON number reads as a float, whose shortest text is Stripe's figure; a rate
    # of an older API version may have no percentage.
    rate = load("openapi/fixtures3.2026-08.tax_rate.json")
    rate["percentage"] = percentage
    read = normalize_object(rate).percentage
    assert (str(read) if read is not None else None) == expected


def test_tax_rate_of_an_older_version_without_place_or_inclusiveness():
    # Derived: the fields a rate of an older API version may lack.
    rate = load("openapi/fixtures3.2026-08.tax_rate.json")
    for name in ("country", "state", "inclusive", "display_name"):
        del rate[name]
    read = normalize_object(rate)
    assert (read.country, read.state, read.inclusive, read.display_name) == (
        None,
        None,
        False,
        None,
    )
