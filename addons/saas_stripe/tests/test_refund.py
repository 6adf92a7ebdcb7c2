"""Money Stripe sends back becomes one posted outbound payment per refund in the backend's
Stripe journal, settling the credit note of the refund, however many events report it: after
any refund the customer owes in Odoo what Stripe shows open, whatever order the refund and its
credit note come in."""

import copy
from contextlib import closing
from datetime import date

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
# The refund of stripe-sync-engine's refund.created and the credit note of its
# credit_note.created; Stripe issues a refund with its credit note in the same second
# (2023-04-17 17:42:38 UTC).
REFUND = "re_1Nispe2eZvKYlo2Cd31jOCgZ"
CREDIT_NOTE = "cn_1MxvRqLkdIwHu7ixY0xbUcxk"
CREDIT_NOTE_CREATED = 1681750958


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

    def credit_notes(self):
        """The credit notes of the refunded invoice, canceled ones included."""
        return self.env["account.move"].search(
            [("move_type", "=", "out_refund"), ("reversed_entry_id", "=", self.invoice.id)],
            order="id",
        )

    def customer_owes(self):
        """The customer's open receivable in the invoice's currency: what Stripe shows open
        (the amount remaining of the customer's open invoices) when the books agree."""
        lines = self.env["account.move.line"].search(
            [
                ("partner_id", "=", self.invoice.commercial_partner_id.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
            ]
        )
        return sum(lines.mapped("amount_residual_currency"))

    def ledger(self):
        """The credit notes, refunds and bindings of the refunded invoice as finance and the
        connector see them."""
        return {
            "credit_notes": [
                (
                    move.name,
                    move.state,
                    move.invoice_date,
                    move.amount_untaxed,
                    move.amount_tax,
                    move.amount_total,
                    move.amount_residual,
                    [
                        (
                            line.product_id.id,
                            line.price_subtotal,
                            line.saas_service_start,
                            line.saas_service_end,
                        )
                        for line in move.invoice_line_ids
                    ],
                )
                for move in self.credit_notes()
            ],
            # Not the payment's state: Community shows a payment reconciled with a paid credit
            # note as paid, or in process until the payout, depending on which was computed
            # first.
            "refunds": [
                (
                    payment.amount,
                    payment.move_id.state,
                    payment.reconciled_invoice_ids.mapped("name"),
                )
                for payment in self.refunds()
            ],
            "bindings": sorted(
                (external_id, record.name)
                for external_id, record in self.bindings.lookup_many(
                    self.backend, "account.move", [REFUND, CREDIT_NOTE]
                ).items()
            ),
            "customer_owes": self.customer_owes(),
        }

    def ledger_after(self, *payloads):
        """The ledger once ``payloads`` are applied one after the other; undone after."""
        with closing(self.env.cr.savepoint()):
            for payload in payloads:
                event = self.apply(payload)
                self.assertEqual(event.state, "done", event.last_error)
            return self.ledger()

    def test_full_refund_then_its_credit_note_make_one_credit_note(self):
        refund = self.apply(refund_event(amount=7735, created=CREDIT_NOTE_CREATED))
        self.assertEqual(refund.state, "done", refund.last_error)
        reversal = self.credit_notes()
        self.assertEqual(self.customer_owes(), 0.0)
        credit_note = self.apply(
            credit_note_event(
                [PLATINUM, UNUSED_GOLD, REMAINING_PLATINUM], type="post_payment", refund=REFUND
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
                    "payment_reference": REFUND,
                }
            ],
        )
        self.assertEqual(payment.move_id.state, "posted")
        self.assertEqual(self.bound("account.payment", REFUND), payment)
        # The reversal the refund made while no credit note was known became Stripe's: one
        # credit note, under its number, bound to both.
        self.assertEqual(self.credit_notes(), reversal)
        self.assertEqual(self.bound("account.move", CREDIT_NOTE), reversal)
        self.assertEqual(self.bound("account.move", REFUND), reversal)
        self.assertRecordValues(
            reversal,
            [
                {
                    "state": "posted",
                    "ref": "C9E0C52C-0036-CN-01",
                    "amount_total": 77.35,
                    "amount_residual": 0.0,
                }
            ],
        )
        self.assertEqual(payment.reconciled_invoice_ids, reversal)
        self.assertEqual(self.invoice.amount_residual, 0.0)
        self.assertEqual(self.customer_owes(), 0.0)

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

    def test_two_partial_refunds_are_two_payments_and_two_credit_notes(self):
        event = self.apply(charge_refunded(("re_LsPart0001", 2000), ("re_LsPart0002", 1535)))
        self.assertEqual(event.state, "done", event.last_error)
        payments = self.refunds()
        self.assertEqual(payments.mapped("amount"), [20.0, 15.35])
        self.assertEqual(payments.mapped("payment_reference"), ["re_LsPart0001", "re_LsPart0002"])
        self.assertEqual(self.bound("account.payment", "re_LsPart0002"), payments[1])
        credit_notes = self.credit_notes()
        self.assertEqual(credit_notes.mapped("amount_total"), [20.0, 15.35])
        self.assertEqual(payments[0].reconciled_invoice_ids, credit_notes[0])
        self.assertEqual(payments[1].reconciled_invoice_ids, credit_notes[1])
        self.assertEqual(self.customer_owes(), 0.0)

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

    def test_partial_refund_without_credit_note_is_credited_line_by_line(self):
        event = self.apply(refund_event(amount=1000))
        self.assertEqual(event.state, "done", event.last_error)
        payment = self.refunds()
        credit_note = self.bound("account.move", REFUND)
        self.assertRecordValues(
            credit_note,
            [
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "reversed_entry_id": self.invoice.id,
                    "partner_id": self.invoice.partner_id.id,
                    "currency_id": self.env.ref("base.EUR").id,
                    "ref": f"Refunded in Stripe: {REFUND}",
                    # Created 2023-08-25 05:45:18 UTC.
                    "invoice_date": date(2023, 8, 25),
                    # 10.00 of 77.35 on each line (50.00, -10.00 and 25.00 plus 19 % VAT):
                    # 6.46, -1.29 and 3.24 before VAT, which line by line comes to 1.60, one
                    # cent over the refund.
                    "amount_untaxed": 8.41,
                    "amount_tax": 1.59,
                    "amount_total": 10.0,
                    "amount_residual": 0.0,
                }
            ],
        )
        self.assertRecordValues(
            credit_note.invoice_line_ids,
            [
                {
                    "product_id": line.product_id.id,
                    "name": line.name,
                    "price_subtotal": subtotal,
                    "tax_ids": self.vat_19.ids,
                    "saas_service_start": line.saas_service_start,
                    "saas_service_end": line.saas_service_end,
                    "saas_is_proration": line.saas_is_proration,
                }
                for line, subtotal in zip(
                    self.invoice.invoice_line_ids, [6.46, -1.29, 3.24], strict=True
                )
            ],
        )
        self.assertEqual(payment.reconciled_invoice_ids, credit_note)
        # Stripe shows the invoice paid and nothing open on the customer: so does Odoo.
        self.assertEqual(self.invoice.amount_residual, 0.0)
        self.assertEqual(self.customer_owes(), 0.0)

    def test_partial_refund_and_its_credit_note_end_the_same_in_either_order(self):
        refund = refund_event(amount=5950, created=CREDIT_NOTE_CREATED)
        credit_note = credit_note_event([PLATINUM], type="post_payment", refund=REFUND)
        refund_first = self.ledger_after(refund, credit_note)
        self.assertEqual(self.ledger_after(credit_note, refund), refund_first)
        # One credit note of 59.50, Stripe's line, paid out by the refund; the customer owes
        # nothing, as in Stripe.
        ((name, *_values, total, residual, lines),) = refund_first["credit_notes"]
        self.assertEqual((total, residual, len(lines)), (59.5, 0.0, 1))
        self.assertEqual(refund_first["refunds"], [(59.5, "posted", [name])])
        self.assertEqual(refund_first["bindings"], [(CREDIT_NOTE, name), (REFUND, name)])
        self.assertEqual(refund_first["customer_owes"], 0.0)

        # Before Stripe's credit note comes, the refund is settled by a credit note of its
        # own, which then becomes Stripe's.
        self.apply(refund)
        alone = self.ledger()
        self.assertEqual(alone["customer_owes"], 0.0)
        self.assertEqual(alone["refunds"], [(59.5, "posted", [name])])
        self.apply(credit_note)
        self.assertEqual(self.ledger(), refund_first)

    def test_redelivered_refund_and_credit_note_change_nothing(self):
        self.apply(
            refund_event(amount=5950, created=CREDIT_NOTE_CREATED),
            credit_note_event([PLATINUM], type="post_payment", refund=REFUND),
        )
        settled = self.ledger()
        self.apply(
            refund_event(event_id="evt_refund_again", amount=5950, created=CREDIT_NOTE_CREATED),
            charge_refunded((REFUND, 5950)),
            credit_note_event(
                [PLATINUM], event_id="evt_cn_again", type="post_payment", refund=REFUND
            ),
            variant(
                credit_note_event([PLATINUM], type="post_payment", refund=REFUND),
                event_id="evt_cn_updated",
                event_type="credit_note.updated",
            ),
        )
        self.assertEqual(self.ledger(), settled)
        self.assertEqual(len(self.credit_notes()), 1)

    def test_partial_refund_under_contra_revenue_is_an_entry(self):
        contra = self.copy_account(self.company_data["default_account_revenue"])
        self.backend.write(
            {
                "stripe_refund_without_credit_note": "contra_revenue",
                "stripe_refund_contra_revenue_account_id": contra.id,
            }
        )
        event = self.apply(refund_event(amount=1000))
        self.assertEqual(event.state, "done", event.last_error)
        payment = self.refunds()
        entry = self.bound("account.move", REFUND)
        self.assertRecordValues(
            entry,
            [
                {
                    "move_type": "entry",
                    "state": "posted",
                    "date": payment.date,
                    "ref": f"Refunded in Stripe: {REFUND}",
                }
            ],
        )
        # Contra revenue / receivable for the refunded 10.00 EUR; invoice and VAT untouched.
        self.assertRecordValues(
            entry.line_ids.sorted("balance"),
            [
                {
                    "account_id": payment.destination_account_id.id,
                    "partner_id": self.invoice.commercial_partner_id.id,
                    "amount_currency": -10.0,
                    "reconciled": True,
                },
                {
                    "account_id": contra.id,
                    "partner_id": self.invoice.commercial_partner_id.id,
                    "amount_currency": 10.0,
                    "reconciled": False,
                },
            ],
        )
        self.assertFalse(self.credit_notes())
        self.assertEqual(self.invoice.amount_residual, 0.0)
        self.assertEqual(self.customer_owes(), 0.0)

        # Stripe's credit note for the refund takes the entry's place.
        event = self.apply(credit_note_event([PLATINUM], type="post_payment", refund=REFUND))
        self.assertEqual(event.state, "done", event.last_error)
        credit_note = self.bound("account.move", CREDIT_NOTE)
        self.assertEqual(entry.state, "cancel")
        self.assertEqual(self.bound("account.move", REFUND), credit_note)
        self.assertEqual(payment.reconciled_invoice_ids, credit_note)
        # 59.50 credited, 10.00 paid out: the customer has the rest as credit, as in Stripe.
        self.assertEqual(self.customer_owes(), -49.5)

    def test_contra_revenue_without_its_account_fails_saying_so(self):
        self.backend.stripe_refund_without_credit_note = "contra_revenue"
        event = self.apply(refund_event(amount=1000))
        self.assertEqual(event.state, "failed")
        self.assertIn("no Refunds Contra-Revenue Account", event.last_error)
        self.assertFalse(self.bound("account.move", REFUND))

    def test_failed_refund_cancels_its_payment_and_credit_and_asks_finance(self):
        self.apply(refund_event(amount=1000))
        payment = self.refunds()
        credit_note = self.bound("account.move", REFUND)
        # Posted, and cleared by the payout that will carry it.
        self.assertIn(payment.state, ("in_process", "paid"))
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
        # The credit the refund made goes with it: Stripe shows nothing refunded, nothing open.
        self.assertEqual(credit_note.state, "cancel")
        self.assertEqual(self.customer_owes(), 0.0)
        self.assertEqual(payment.activity_ids.summary, "Stripe refund failed")
        self.assertIn("expired_or_canceled_card", payment.activity_ids.note)

    def test_refund_before_its_payment_is_retried(self):
        event = self.apply(refund_event(charge="ch_LsUnknown", payment_intent="pi_LsUnknown"))
        self.assertEqual(event.state, "queued")
        self.assertEqual(
            event.last_error,
            "Payment pi_LsUnknown refunded by re_1Nispe2eZvKYlo2Cd31jOCgZ is not imported yet.",
        )


@tagged("post_install", "-at_install")
class TestStripeRefundRevenue(StripeAccountingCase):
    """With deferred revenue installed, the credit a refund makes credits the revenue schedules
    of the invoice too."""

    def setUp(self):
        super().setUp()
        if "saas.revenue.schedule" not in self.env:
            self.skipTest("saas_deferred_revenue is not installed")
        self.company.write(
            {
                "saas_deferred_revenue_account_id": self.env["account.account"]
                .create(
                    {
                        "name": "Deferred Revenue",
                        "code": "289100",
                        "account_type": "liability_current",
                    }
                )
                .id,
                "saas_revenue_journal_id": self.company_data["default_journal_misc"].id,
            }
        )
        # The plans of the 2017-08-15 invoice, deferrable.
        for product_id in ("prod_LsPlatinum0001", "prod_LsGold0001"):
            template = self.env["product.template"].create(
                {"name": product_id, "type": "service", "saas_defer_revenue": True}
            )
            self.bindings.bind(self.backend, template, product_id)
        self.apply(fixture(LOCALSTRIPE_CUSTOMER), fixture(LOCALSTRIPE_INVOICE_PAID))
        self.invoice = self.bound("account.move", "in_LsInv0002")

    def assertBilledIsDeferredPlusRecognized(self, move):
        """Each line's schedules sum to what it billed (a credit negative), each split into
        deferred and recognized; returns the deferred total in the invoice's currency."""
        self.assertTrue(move.invoice_line_ids.saas_revenue_schedule_ids)
        for line in move.invoice_line_ids:
            schedules = line.saas_revenue_schedule_ids
            self.assertEqual(sum(schedules.mapped("amount_currency")), -line.amount_currency)
            self.assertEqual(sum(schedules.mapped("amount")), -line.balance)
            for schedule in schedules:
                self.assertEqual(
                    schedule.deferred_amount + schedule.recognized_amount, schedule.amount
                )
        return sum(move.invoice_line_ids.saas_revenue_schedule_ids.mapped("amount_currency"))

    def test_partial_refund_credits_the_schedules_of_each_line(self):
        event = self.apply(refund_event(amount=1000))
        self.assertEqual(event.state, "done", event.last_error)
        credit_note = self.bound("account.move", REFUND)
        billed = self.assertBilledIsDeferredPlusRecognized(self.invoice)
        credited = self.assertBilledIsDeferredPlusRecognized(credit_note)
        # 65.00 billed before VAT, 8.41 of it credited: 56.59 left to recognize.
        self.assertEqual((billed, credited), (65.0, -8.41))
        self.assertEqual(
            credit_note.invoice_line_ids.mapped("account_id"),
            self.company.saas_deferred_revenue_account_id,
        )

    def test_refund_then_its_credit_note_leave_one_credit_of_revenue(self):
        self.apply(refund_event(amount=7735, created=CREDIT_NOTE_CREATED))
        stand_in = self.bound("account.move", REFUND)
        self.assertEqual(self.assertBilledIsDeferredPlusRecognized(stand_in), -65.0)
        self.apply(
            credit_note_event(
                [PLATINUM, UNUSED_GOLD, REMAINING_PLATINUM], type="post_payment", refund=REFUND
            )
        )
        credit_note = self.bound("account.move", CREDIT_NOTE)
        self.assertEqual(credit_note, stand_in)
        # One credit note, one credit of the invoice's revenue: the schedules of the lines the
        # refund made are gone with them.
        self.assertEqual(
            self.env["account.move"].search([("reversed_entry_id", "=", self.invoice.id)]),
            credit_note,
        )
        self.assertEqual(self.assertBilledIsDeferredPlusRecognized(credit_note), -65.0)
        self.assertEqual(
            self.env["saas.revenue.schedule"].search([("move_id", "=", credit_note.id)]),
            credit_note.invoice_line_ids.saas_revenue_schedule_ids,
        )

    def test_credit_note_after_its_refund_was_recognized_keeps_the_refund_credit(self):
        self.apply(refund_event(amount=7735, created=CREDIT_NOTE_CREATED))
        stand_in = self.bound("account.move", REFUND)
        schedules = stand_in.invoice_line_ids.saas_revenue_schedule_ids
        schedules.recognize_until(min(schedules.line_ids.mapped("date")))
        self.assertIn("posted", schedules.line_ids.mapped("state"))
        (event,) = self.apply(
            credit_note_event(
                [PLATINUM, UNUSED_GOLD, REMAINING_PLATINUM], type="post_payment", refund=REFUND
            )
        )
        self.assertEqual(event.state, "done", event.last_error)
        # Its revenue recognized, the refund's credit note stays as it is and stands for
        # Stripe's, which credits the same total: still one credit of the invoice.
        self.assertEqual(self.bound("account.move", CREDIT_NOTE), stand_in)
        self.assertEqual(stand_in.state, "posted")
        self.assertEqual(stand_in.ref, credit_note_event([PLATINUM])["data"]["object"]["number"])
        self.assertEqual(
            self.env["account.move"].search([("reversed_entry_id", "=", self.invoice.id)]),
            stand_in,
        )
        self.assertIn("Stands for credit note", " ".join(stand_in.message_ids.mapped("body")))

    def test_credit_note_of_another_total_after_its_refund_was_recognized_fails_clearly(self):
        self.apply(refund_event(amount=7735, created=CREDIT_NOTE_CREATED))
        stand_in = self.bound("account.move", REFUND)
        schedules = stand_in.invoice_line_ids.saas_revenue_schedule_ids
        schedules.recognize_until(min(schedules.line_ids.mapped("date")))
        (event,) = self.apply(credit_note_event([PLATINUM], type="post_payment", refund=REFUND))
        self.assertEqual(event.state, "failed")
        self.assertIn("can no longer change", event.last_error)
        self.assertIn("Revenue of this invoice has been recognized already", event.last_error)
        self.assertFalse(self.bound("account.move", CREDIT_NOTE))
        self.assertEqual(stand_in.state, "posted")
