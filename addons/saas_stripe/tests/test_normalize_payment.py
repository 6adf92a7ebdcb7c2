"""Stripe charges, payment intents, invoice payments, paid invoices and refunds of each API
version, read into canonical payments and refunds."""

from decimal import Decimal

import pytest

from odoo.addons.saas_stripe.lib.normalize import (
    PAYMENT_CANCELED,
    PAYMENT_FAILED,
    PAYMENT_PENDING,
    PAYMENT_SUCCEEDED,
    NormalizeError,
    Payment,
    Refund,
    normalize_event,
    normalize_object,
    payment_from_invoice,
)

from .common_normalize import (
    LAGO_2020,
    LAGO_ACACIA,
    LAGO_BASIL,
    LOCALSTRIPE,
    SYNC_ENGINE,
    ZULIP_INVOICE,
    ZULIP_INVOICE_PAYMENT,
    at,
    event_payload,
    load,
    stripe_object,
)

# The refund the charge of stripe-sync-engine's charge.refunded embeds.
CHARGE_REFUNDED_REFUNDS = (
    Refund(
        id="re_3Kl36gJDPojXS6LN0eP4yPDz",
        status="succeeded",
        amount=Decimal("25.00"),
        currency="USD",
        created=at(2022, 4, 7, 8, 55, 38),
        charge_id="ch_3Kl36gJDPojXS6LN0DCM4A8l",
        payment_intent_id="pi_3Kl36gJDPojXS6LN02fQVtKR",
        reason=None,
        failure_reason=None,
    ),
)


@pytest.mark.parametrize(
    ("fixture", "index", "expected"),
    [
        (
            f"{LOCALSTRIPE}/charge_succeeded.json",
            0,
            Payment(
                id="ch_LsPay0002",
                object_type="charge",
                status=PAYMENT_SUCCEEDED,
                provider_status="succeeded",
                amount=Decimal("77.35"),
                amount_refunded=Decimal("0.00"),
                currency="EUR",
                created=at(2017, 9, 29, 9, 46, 41),
                invoice_id="in_LsInv0002",
                customer_id="cus_LsAda0001",
                charge_id="ch_LsPay0002",
                payment_intent_id="pi_LsPay0002",
                balance_transaction_id="txn_LsPay0002",
            ),
        ),
        (
            f"{SYNC_ENGINE}/charge_succeeded.json",
            0,
            Payment(
                id="ch_3KtQThJDPojXS6LN0YmgbxGj",
                object_type="charge",
                status=PAYMENT_SUCCEEDED,
                provider_status="succeeded",
                amount=Decimal("30.00"),
                amount_refunded=Decimal("0.00"),
                currency="USD",
                created=at(2022, 4, 28, 6, 5, 26),
                invoice_id="in_1KJdKkJDPojXS6LNSwSWkZSN",
                customer_id="cus_J7Mkgr8mvbl1eK",
                charge_id="ch_3KtQThJDPojXS6LN0YmgbxGj",
                payment_intent_id="pi_3KtQThJDPojXS6LN0H9EfsjV",
                balance_transaction_id="txn_3KtQThJDPojXS6LN0ClROjTy",
            ),
        ),
        (
            f"{SYNC_ENGINE}/charge_refunded.json",
            0,
            Payment(
                id="ch_3Kl36gJDPojXS6LN0DCM4A8l",
                object_type="charge",
                status=PAYMENT_SUCCEEDED,
                provider_status="succeeded",
                amount=Decimal("25.00"),
                amount_refunded=Decimal("25.00"),
                currency="USD",
                created=at(2022, 4, 5, 3, 31, 3),
                invoice_id="in_1KJdKkJDPojXS6LNSwSWkZSN",
                customer_id="cus_J7Mkgr8mvbl1eK",
                charge_id="ch_3Kl36gJDPojXS6LN0DCM4A8l",
                payment_intent_id="pi_3Kl36gJDPojXS6LN02fQVtKR",
                balance_transaction_id="txn_3Kl36gJDPojXS6LN0BbaNIHm",
                refunds=CHARGE_REFUNDED_REFUNDS,
            ),
        ),
        (
            f"{SYNC_ENGINE}/charge_failed.json",
            0,
            Payment(
                id="ch_3KtoMeJDPojXS6LN0igeffJ6",
                object_type="charge",
                status=PAYMENT_FAILED,
                provider_status="failed",
                amount=Decimal("25.00"),
                amount_refunded=Decimal("0.00"),
                currency="USD",
                created=at(2022, 4, 29, 7, 35, 44),
                invoice_id="in_1KJdKkJDPojXS6LNSwSWkZSN",
                customer_id="cus_J7Mkgr8mvbl1eK",
                charge_id="ch_3KtoMeJDPojXS6LN0igeffJ6",
                payment_intent_id="pi_3KtoMeJDPojXS6LN0XnGDnI3",
                balance_transaction_id=None,
                failure_reason="Your card does not support this type of purchase. "
                "(transaction_not_allowed)",
            ),
        ),
        (
            # An intent still waiting for a payment method is pending, not failed.
            f"{SYNC_ENGINE}/payment_intent_succeeded.json",
            0,
            Payment(
                id="pi_1IqxJOJDPojXS6LN9uOebAea",
                object_type="payment_intent",
                status=PAYMENT_PENDING,
                provider_status="requires_payment_method",
                amount=Decimal("10.00"),
                amount_refunded=None,
                currency="USD",
                created=at(2021, 5, 14, 9, 28, 2),
                invoice_id=None,
                customer_id=None,
                charge_id=None,
                payment_intent_id="pi_1IqxJOJDPojXS6LN9uOebAea",
                balance_transaction_id=None,
            ),
        ),
        (
            # 2020-08-27 still embeds the charges: the balance transaction is known.
            f"{LAGO_2020}/payment_intent_succeeded.json",
            0,
            Payment(
                id="pi_3R3dvoQ8iJWBZFaM0uu1G1rx",
                object_type="payment_intent",
                status=PAYMENT_SUCCEEDED,
                provider_status="succeeded",
                amount=Decimal("38.97"),
                amount_refunded=Decimal("0.00"),
                currency="USD",
                created=at(2025, 3, 17, 13, 42, 16),
                invoice_id=None,
                customer_id="cus_Rw5Qso78STEap3",
                charge_id="ch_3R3dvoQ8iJWBZFaM0NhAbztB",
                payment_intent_id="pi_3R3dvoQ8iJWBZFaM0uu1G1rx",
                balance_transaction_id="txn_3R3dvoQ8iJWBZFaM0vIgoQgO",
            ),
        ),
        (
            # The same intent at acacia: only the latest charge's id.
            f"{LAGO_ACACIA}/payment_intent_succeeded.json",
            0,
            Payment(
                id="pi_3R3dvoQ8iJWBZFaM0uu1G1rx",
                object_type="payment_intent",
                status=PAYMENT_SUCCEEDED,
                provider_status="succeeded",
                amount=Decimal("38.97"),
                amount_refunded=None,
                currency="USD",
                created=at(2025, 3, 17, 13, 42, 16),
                invoice_id=None,
                customer_id="cus_Rw5Qso78STEap3",
                charge_id="ch_3R3dvoQ8iJWBZFaM0NhAbztB",
                payment_intent_id="pi_3R3dvoQ8iJWBZFaM0uu1G1rx",
                balance_transaction_id=None,
            ),
        ),
        (
            f"{LAGO_ACACIA}/payment_intent_payment_failed.json",
            0,
            Payment(
                id="pi_3SVvxMQ8iJWBZFaM1Lao8ehu",
                object_type="payment_intent",
                status=PAYMENT_FAILED,
                provider_status="requires_payment_method",
                amount=Decimal("118.80"),
                amount_refunded=None,
                currency="USD",
                created=at(2025, 11, 21, 15, 9, 4),
                invoice_id=None,
                customer_id="cus_TSOWyTkxXlWiTc",
                charge_id="ch_3SVvxMQ8iJWBZFaM1YEcxCs2",
                payment_intent_id="pi_3SVvxMQ8iJWBZFaM1Lao8ehu",
                balance_transaction_id=None,
                failure_reason="This payment required an authentication action to complete, "
                "but `error_on_requires_action` was set. When you're ready, you can upgrade your "
                "integration to handle actions at "
                "https://stripe.com/docs/payments/payment-intents/upgrade-to-handle-actions. "
                "(authentication_not_handled)",
            ),
        ),
        (
            f"{LAGO_BASIL}/payment_intent_succeeded.json",
            0,
            Payment(
                id="pi_3RTkpYQ8iJWBZFaM1LBHNo0J",
                object_type="payment_intent",
                status=PAYMENT_SUCCEEDED,
                provider_status="succeeded",
                amount=Decimal("46.20"),
                amount_refunded=None,
                currency="EUR",
                created=at(2025, 5, 28, 14, 19, 44),
                invoice_id=None,
                customer_id="cus_SOXv8CncjHqSEv",
                charge_id="ch_3RTkpYQ8iJWBZFaM1WnB7qvm",
                payment_intent_id="pi_3RTkpYQ8iJWBZFaM1LBHNo0J",
                balance_transaction_id=None,
            ),
        ),
        (
            f"{LAGO_BASIL}/payment_intent_canceled.json",
            0,
            Payment(
                id="pi_3SVCroQ8iJWBZFaM22iaIuU3",
                object_type="payment_intent",
                status=PAYMENT_CANCELED,
                provider_status="canceled",
                amount=Decimal("230.40"),
                amount_refunded=None,
                currency="USD",
                created=at(2025, 11, 19, 15, 0, 20),
                invoice_id=None,
                customer_id="cus_TOlZpKcK7V4tSl",
                charge_id=None,
                payment_intent_id="pi_3SVCroQ8iJWBZFaM22iaIuU3",
                balance_transaction_id=None,
            ),
        ),
        (
            f"{SYNC_ENGINE}/invoice_payment_paid.json",
            0,
            Payment(
                id="inpay_1M3USa2eZvKYlo2CBjuwbq0N",
                object_type="invoice_payment",
                status=PAYMENT_SUCCEEDED,
                provider_status="paid",
                amount=Decimal("20.00"),
                amount_refunded=None,
                currency="USD",
                created=at(2014, 2, 1, 21, 2, 34),
                invoice_id="in_103Q0w2eZvKYlo2C5PYwf6Wf",
                customer_id=None,
                charge_id=None,
                payment_intent_id="pi_103Q0w2eZvKYlo2C364X582Z",
                balance_transaction_id=None,
            ),
        ),
        (
            ZULIP_INVOICE_PAYMENT,
            0,
            Payment(
                id="stripe_billing_portal_urls_for_remote_server--Event.list.1.json",
                object_type="invoice_payment",
                status=PAYMENT_SUCCEEDED,
                provider_status="paid",
                amount=Decimal("1760.00"),
                amount_refunded=None,
                currency="USD",
                created=at(2001, 9, 9, 1, 46, 40),
                invoice_id="in_NORMALIZED",
                customer_id=None,
                charge_id=None,
                payment_intent_id="pi_NORMALIZED",
                balance_transaction_id=None,
            ),
        ),
    ],
)
def test_payment_of_each_version(fixture, index, expected):
    assert normalize_event(event_payload(fixture, index)).object == expected


@pytest.mark.parametrize(
    ("fixture", "index", "expected"),
    [
        (
            f"{LOCALSTRIPE}/invoice_payment_succeeded.json",
            0,
            Payment(
                id="in_LsInv0002",
                object_type="invoice",
                status=PAYMENT_SUCCEEDED,
                provider_status="paid",
                amount=Decimal("77.35"),
                amount_refunded=None,
                currency="EUR",
                created=at(2017, 9, 29, 9, 46, 42),
                invoice_id="in_LsInv0002",
                customer_id="cus_LsAda0001",
                charge_id="ch_LsPay0002",
                payment_intent_id="pi_LsPay0002",
                balance_transaction_id=None,
            ),
        ),
        (
            # Clover: no charge or payment intent on the invoice; invoice_payment.paid has them.
            ZULIP_INVOICE,
            1,
            Payment(
                id="upgrade_by_card--Event.list.3.json",
                object_type="invoice",
                status=PAYMENT_SUCCEEDED,
                provider_status="paid",
                amount=Decimal("480.00"),
                amount_refunded=None,
                currency="USD",
                created=at(2001, 9, 9, 1, 46, 40),
                invoice_id="upgrade_by_card--Event.list.3.json",
                customer_id="upgrade_by_card--Customer.create.1.json",
                charge_id=None,
                payment_intent_id=None,
                balance_transaction_id=None,
            ),
        ),
        (
            "pay/invoice.payment_failed.json",
            0,
            Payment(
                id="in_1234",
                object_type="invoice",
                status=PAYMENT_PENDING,
                provider_status="open",
                amount=Decimal("0.00"),
                amount_refunded=None,
                currency="USD",
                created=at(2025, 4, 23, 18, 46, 2),
                invoice_id="in_1234",
                customer_id="cus_1234",
                charge_id=None,
                payment_intent_id=None,
                balance_transaction_id=None,
            ),
        ),
    ],
)
def test_payment_reported_by_an_invoice(fixture, index, expected):
    assert payment_from_invoice(normalize_object(stripe_object(fixture, index))) == expected


def test_payment_of_an_expanded_basil_invoice_payments_list():
    payload = stripe_object(ZULIP_INVOICE, 1)
    payload["payments"] = {
        "object": "list",
        "data": [stripe_object(ZULIP_INVOICE_PAYMENT)],
        "has_more": False,
    }
    payment = payment_from_invoice(normalize_object(payload))
    assert (payment.charge_id, payment.payment_intent_id) == (None, "pi_NORMALIZED")


def test_partly_captured_intent_counts_what_was_received():
    payload = stripe_object(f"{LAGO_ACACIA}/payment_intent_succeeded.json")
    payload["amount_received"] = 3000
    assert normalize_object(payload).amount == Decimal("30.00")


def test_intent_without_latest_charge_reads_its_newest_charge():
    # Before latest_charge existed the embedded charges list, newest first, was all there was.
    payload = stripe_object(f"{LAGO_2020}/payment_intent_succeeded.json")
    del payload["latest_charge"]
    payment = normalize_object(payload)
    assert (payment.charge_id, payment.balance_transaction_id) == (
        "ch_3R3dvoQ8iJWBZFaM0NhAbztB",
        "txn_3R3dvoQ8iJWBZFaM0vIgoQgO",
    )


def test_upcoming_invoice_reports_no_payment():
    payload = stripe_object("pay/invoice.payment_failed.json")
    del payload["id"]
    invoice = normalize_object(payload)
    assert invoice.id is None
    with pytest.raises(NormalizeError, match="upcoming"):
        payment_from_invoice(invoice)


def test_unknown_payment_status_is_refused():
    charge = stripe_object(f"{SYNC_ENGINE}/charge_succeeded.json")
    charge["status"] = "paid"
    with pytest.raises(NormalizeError, match="unknown status 'paid'"):
        normalize_object(charge)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            f"{SYNC_ENGINE}/refund_created.json",
            Refund(
                id="re_1Nispe2eZvKYlo2Cd31jOCgZ",
                status="succeeded",
                amount=Decimal("10.00"),
                currency="USD",
                created=at(2023, 8, 25, 5, 45, 18),
                charge_id="ch_1NirD82eZvKYlo2CIvbtLWuY",
                payment_intent_id="pi_1GszsK2eZvKYlo2CfhZyoZLp",
                reason=None,
                failure_reason=None,
            ),
        ),
        (
            f"{LAGO_2020}/charge_refund_updated.json",
            Refund(
                id="re_3M01Us2eZvKYlo2C1J36vhMv",
                status="succeeded",
                amount=Decimal("1.00"),
                currency="USD",
                created=at(2022, 11, 3, 11, 22, 12),
                charge_id="ch_3M01Us2eZvKYlo2C1O9xQHEB",
                payment_intent_id=None,
                reason=None,
                failure_reason=None,
            ),
        ),
        (
            f"{LAGO_BASIL}/charge_refund_updated.json",
            Refund(
                id="re_3RWYCFQ8iJWBZFaM191ZqGD9",
                status="succeeded",
                amount=Decimal("1.00"),
                currency="USD",
                created=at(2025, 6, 5, 7, 26, 44),
                charge_id="ch_3RWYCFQ8iJWBZFaM1R8YF07I",
                payment_intent_id="pi_3RWYCFQ8iJWBZFaM1p1gEVdI",
                reason=None,
                failure_reason=None,
            ),
        ),
    ],
)
def test_refund_of_each_version(fixture, expected):
    assert normalize_event(load(fixture)).object == expected


def test_charge_refunded_embeds_its_refunds():
    charge = normalize_event(load(f"{SYNC_ENGINE}/charge_refunded.json")).object
    assert charge.refunds == CHARGE_REFUNDED_REFUNDS


def test_charge_refunded_without_embedded_refunds_has_none():
    # Derived: from 2022-11-15 a charge no longer embeds its refunds.
    payload = load(f"{SYNC_ENGINE}/charge_refunded.json")
    del payload["data"]["object"]["refunds"]
    assert normalize_event(payload).object.refunds == ()
