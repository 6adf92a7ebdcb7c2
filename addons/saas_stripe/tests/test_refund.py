"""Money Stripe sends back becomes one posted outbound payment per refund in the backend's
Stripe journal, settling the credit note of the refund, however many events report it."""

import copy

from odoo.tests import tagged

from .common import fixture, variant
from .common_accounting import LOCALSTRIPE_CUSTOMER, LOCALSTRIPE_INVOICE_PAID, StripeAccountingCase
from .test_credit_note import PLATINUM, REMAINING_PLATINUM, UNUSED_GOLD, credit_note_event

SYNC_ENGINE_CHARGE_REFUNDED = "stripe-sync-engine/charge_refunded.json"
SYNC_ENGINE_REFUND_CREATED = "stripe-sync-engine/refund_created.json"
SYNC_ENGINE_REFUND_FAILED = "stripe-sync-engine/refund_failed.json"
LAGO_BASIL_REFUND_UPDATED = "lago-api/2025-04-30.basil/webhooks/charge_refund_updated.json"
LAGO_2020_REFUND_UPDATED = "lago-api/2020-08-27/webhooks/charge_refund_updated.json"

# The 2017-08-15 invoice's payment, which the refunds below refund.
CHARGE = "ch_LsPay0002"
PAYMENT_INTENT = "pi_LsPay0002"


def refund_event(source=SYNC_ENGINE_REFUND_CREATED, event_id=None, **changes):
    """A recorded refund event pointed at the payment of the 2017-08-15 invoice, in EUR."""
    return variant(
        fixture(source),
        event_id=event_id,
        **{"charge": CHARGE, "payment_intent": PAYMENT_INTENT, "currency": "eur", **changes},
    )


def charge_refunded(*refunds):
    """stripe-sync-engine's 2020-03-02 ``charge.refunded``, as the charge of the 2017-08-15
    invoice refunded by ``refunds`` (``(refund id, cents)``), each shaped as its one refund."""
    event = fixture(SYNC_ENGINE_CHARGE_REFUNDED)
    charge = event["data"]["object"]
    template = charge["refunds"]["data"][0]
    charge["refunds"]["data"] = [
        {
            **copy.deepcopy(template),
            "id": refund_id,
            "amount": amount,
            "charge": CHARGE,
            "payment_intent": PAYMENT_INTENT,
            "currency": "eur",
        }
        for refund_id, amount in refunds
    ]
    charge["refunds"]["total_count"] = len(refunds)
    charge.update(
        id=CHARGE,
        payment_intent=PAYMENT_INTENT,
        invoice="in_LsInv0002",
        currency="eur",
        amount=7735,
        amount_captured=7735,
        amount_refunded=sum(amount for _refund_id, amount in refunds),
        customer="cus_LsAda0001",
    )
    return event


@tagged("post_install", "-at_install")
class TestStripeRefund(StripeAccountingCase):
    def setUp(self):
        super().setUp()
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        self.apply(fixture(LOCALSTRIPE_INVOICE_PAID))
        self.invoice = self.bound("account.move", "in_LsInv0002")
        self.assertEqual(self.invoice.amount_residual, 0.0)

    def refunds(self):
        return self.env["account.payment"].search(
            [
                ("journal_id", "=", self.backend.stripe_payment_journal_id.id),
                ("payment_type", "=", "outbound"),
            ],
            order="id",
        )

    def test_full_refund_then_its_credit_note_settle_each_other(self):
        refund = self.apply(refund_event(amount=7735))
        self.assertEqual(refund.state, "done", refund.last_error)
        credit_note = self.apply(
            credit_note_event(
                [PLATINUM, UNUSED_GOLD, REMAINING_PLATINUM],
                type="post_payment",
                refund="re_1Nispe2eZvKYlo2Cd31jOCgZ",
            )
        )
        self.assertEqual(credit_note.state, "done", credit_note.last_error)
        payment = self.refunds()
        self.assertRecordValues(
            payment,
            [
                {
                    "payment_type": "outbound",
                    "partner_type": "customer",
                    "partner_id": self.invoice.partner_id.id,
                    "amount": 77.35,
                    "currency_id": self.env.ref("base.EUR").id,
                    "payment_reference": "re_1Nispe2eZvKYlo2Cd31jOCgZ",
                }
            ],
        )
        self.assertEqual(payment.move_id.state, "posted")
        self.assertEqual(self.bound("account.payment", "re_1Nispe2eZvKYlo2Cd31jOCgZ"), payment)
        stripe_credit_note = self.bound("account.move", "cn_1MxvRqLkdIwHu7ixY0xbUcxk")
        self.assertRecordValues(
            stripe_credit_note,
            [{"state": "posted", "amount_total": 77.35, "amount_residual": 0.0}],
        )
        # The reversal the refund made while no credit note was known gave way to Stripe's.
        credit_notes = self.env["account.move"].search(
            [("move_type", "=", "out_refund"), ("reversed_entry_id", "=", self.invoice.id)]
        )
        self.assertEqual(sorted(credit_notes.mapped("state")), ["cancel", "posted"], credit_notes)
        self.assertEqual(self.invoice.amount_residual, 0.0)

    def test_credit_note_then_its_charge_refunded_settle_each_other(self):
        self.apply(credit_note_event([PLATINUM], type="post_payment", refund="re_LsRefund0001"))
        credit_note = self.bound("account.move", "cn_1MxvRqLkdIwHu7ixY0xbUcxk")
        self.assertEqual(credit_note.amount_residual, 59.5)
        event = self.apply(charge_refunded(("re_LsRefund0001", 5950)))
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(self.refunds().mapped("amount"), [59.5])
        self.assertEqual(credit_note.amount_residual, 0.0)
        self.assertEqual(
            self.env["account.move"].search_count([("move_type", "=", "out_refund")]), 1
        )

    def test_two_partial_refunds_are_two_payments(self):
        self.backend.stripe_refund_without_credit_note = "payment_only"
        event = self.apply(charge_refunded(("re_LsPart0001", 2000), ("re_LsPart0002", 1535)))
        self.assertEqual(event.state, "done", event.last_error)
        payments = self.refunds()
        self.assertEqual(payments.mapped("amount"), [20.0, 15.35])
        self.assertEqual(payments.mapped("payment_reference"), ["re_LsPart0001", "re_LsPart0002"])
        self.assertEqual(self.bound("account.payment", "re_LsPart0002"), payments[1])

    def test_refund_naming_only_its_charge_finds_the_payment(self):
        # A refund created from a charge (``Refund.create(charge=…)``) may carry no payment
        # intent, while the invoice's payment came with both.
        event = self.apply(refund_event(amount=1000, payment_intent=None))
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(self.refunds().mapped("amount"), [10.0])
        self.assertEqual(
            self.bound("account.payment", CHARGE), self.bound("account.payment", PAYMENT_INTENT)
        )

    def test_redelivered_and_replayed_refund_events_make_one_payment(self):
        created = self.apply(refund_event(amount=1000))
        created.action_replay()
        self.run_jobs()
        self.apply(
            refund_event(event_id="evt_refund_created_again", amount=1000),
            refund_event(
                LAGO_BASIL_REFUND_UPDATED,
                event_id="evt_refund_basil",
                id="re_1Nispe2eZvKYlo2Cd31jOCgZ",
                amount=1000,
            ),
            charge_refunded(("re_1Nispe2eZvKYlo2Cd31jOCgZ", 1000)),
        )
        self.assertEqual(created.state, "done", created.last_error)
        self.assertEqual(self.refunds().mapped("amount"), [10.0])

    def test_full_refund_without_credit_note_reverses_the_invoice(self):
        event = self.apply(refund_event(LAGO_2020_REFUND_UPDATED, amount=7735))
        self.assertEqual(event.state, "done", event.last_error)
        payment = self.refunds()
        credit_note = self.bound("account.move", "re_3M01Us2eZvKYlo2C1J36vhMv")
        self.assertRecordValues(
            credit_note,
            [
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "reversed_entry_id": self.invoice.id,
                    "amount_total": 77.35,
                    "amount_residual": 0.0,
                }
            ],
        )
        self.assertEqual(payment.amount, 77.35)
        self.assertTrue(
            payment.move_id.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            ).reconciled
        )

    def test_partial_refund_without_credit_note_stays_on_the_receivable(self):
        event = self.apply(refund_event(amount=1000))
        self.assertEqual(event.state, "done", event.last_error)
        self.assertFalse(self.env["account.move"].search([("move_type", "=", "out_refund")]))
        receivable = self.refunds().move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertEqual(receivable.amount_residual_currency, 10.0)
        self.assertIn("Stripe refunded 10.00 EUR", self.invoice.message_ids[0].body)

    def test_full_refund_under_payment_only_leaves_the_invoice_alone(self):
        self.backend.stripe_refund_without_credit_note = "payment_only"
        event = self.apply(refund_event(amount=7735))
        self.assertEqual(event.state, "done", event.last_error)
        self.assertFalse(self.env["account.move"].search([("move_type", "=", "out_refund")]))
        receivable = self.refunds().move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertEqual(receivable.amount_residual_currency, 77.35)
        self.assertEqual(self.invoice.amount_residual, 0.0)

    def test_failed_refund_cancels_its_payment_and_asks_finance(self):
        self.backend.stripe_refund_without_credit_note = "payment_only"
        self.apply(refund_event(amount=1000))
        payment = self.refunds()
        # Posted, and cleared by the payout that will carry it.
        self.assertEqual(payment.state, "in_process")
        event = self.apply(
            refund_event(
                SYNC_ENGINE_REFUND_FAILED,
                event_id="evt_refund_failed",
                created=1692942400,
                amount=1000,
                failure_reason="expired_or_canceled_card",
            )
        )
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(payment.state, "canceled")
        self.assertEqual(payment.activity_ids.summary, "Stripe refund failed")
        self.assertIn("expired_or_canceled_card", payment.activity_ids.note)

    def test_refund_before_its_payment_is_retried(self):
        event = self.apply(refund_event(charge="ch_LsUnknown", payment_intent="pi_LsUnknown"))
        self.assertEqual(event.state, "queued")
        self.assertEqual(
            event.last_error,
            "Payment pi_LsUnknown refunded by re_1Nispe2eZvKYlo2Cd31jOCgZ is not imported yet.",
        )
