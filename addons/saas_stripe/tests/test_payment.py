"""Money Stripe collected becomes one posted payment in the backend's Stripe journal,
reconciled with the invoice, however many events report it and in whatever order."""

from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import fixture, variant
from .common_accounting import (
    LOCALSTRIPE_CHARGE,
    LOCALSTRIPE_CUSTOMER,
    LOCALSTRIPE_INVOICE_PAID,
    ZULIP_CUSTOMER,
    ZULIP_CUSTOMER_ID,
    ZULIP_INVOICE_EVENTS,
    ZULIP_INVOICE_ID,
    ZULIP_INVOICE_PAYMENT,
    StripeAccountingCase,
    in_currency,
    zulip_event,
)

SYNC_ENGINE_FINALIZED = "stripe-sync-engine/invoice_finalized.json"
SYNC_ENGINE_CHARGE = "stripe-sync-engine/charge_succeeded.json"
SYNC_ENGINE_INVOICE_PAYMENT = "stripe-sync-engine/invoice_payment_paid.json"


def zulip_invoice_payment(event_id="evt_zulip_invoice_payment", **changes):
    """The clover ``invoice_payment.paid`` of Zulip's fixtures, which pays another (normalized)
    invoice: pointed at the invoice of the upgrade fixtures, for its 480.00 USD."""
    event = fixture(ZULIP_INVOICE_PAYMENT)["data"][0]
    return variant(
        event,
        event_id=event_id,
        **{
            "invoice": ZULIP_INVOICE_ID,
            "amount_paid": 48000,
            "amount_requested": 48000,
            **changes,
        },
    )


@tagged("post_install", "-at_install")
class TestStripePayment(StripeAccountingCase):
    def payments(self):
        return self.env["account.payment"].search(
            [("journal_id", "=", self.backend.stripe_payment_journal_id.id)]
        )

    def test_invoice_paid_and_its_charge_make_one_reconciled_payment(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        events = self.apply(fixture(LOCALSTRIPE_INVOICE_PAID))
        events |= self.apply(fixture(LOCALSTRIPE_CHARGE))
        self.assertEqual(events.mapped("state"), ["done", "done"], events.mapped("last_error"))
        move = self.bound("account.move", "in_LsInv0002")
        payment = self.payments()
        journal = self.backend.stripe_payment_journal_id
        self.assertEqual(journal.type, "bank")
        # The money waits for its payout on the clearing account of the EUR Stripe balance.
        self.assertEqual(
            payment.outstanding_account_id.name, f"Stripe Balance {self.backend.name} (EUR)"
        )
        self.assertEqual(
            payment.outstanding_account_id,
            self.env["saas.stripe.balance.handler"]._balance_account(self.backend, "EUR"),
        )
        self.assertRecordValues(
            payment,
            [
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": move.partner_id.id,
                    "amount": 77.35,
                    "currency_id": self.env.ref("base.EUR").id,
                    "date": date(2017, 9, 29),
                    "payment_reference": "pi_LsPay0002",
                    "state": "paid",
                }
            ],
        )
        self.assertEqual(payment.move_id.state, "posted")
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(move.amount_residual, 0.0)
        self.assertEqual(self.bound("account.payment", "pi_LsPay0002"), payment)

    def test_charge_before_its_invoice_is_retried_then_recorded_once(self):
        start = datetime(2026, 1, 5, 9, 0, 0)
        with freeze_time(start):
            self.apply(fixture(LOCALSTRIPE_CUSTOMER))
            charge = self.apply(fixture(LOCALSTRIPE_CHARGE))
            self.assertEqual(charge.state, "queued")
            self.assertEqual(
                charge.last_error,
                "Invoice in_LsInv0002 of payment ch_LsPay0002 is not imported yet.",
            )
            invoice = self.apply(fixture(LOCALSTRIPE_INVOICE_PAID))
            self.assertEqual(invoice.state, "done", invoice.last_error)
        with freeze_time(start + timedelta(minutes=5)):
            self.run_jobs()
        self.assertEqual(charge.state, "done", charge.last_error)
        self.assertEqual(len(self.payments()), 1)
        self.assertEqual(self.bound("account.move", "in_LsInv0002").amount_residual, 0.0)

    def test_charge_waiting_for_its_invoice_is_recorded_as_soon_as_the_invoice_comes(self):
        """No time passes: the charge is not left to the end of its backoff."""
        with freeze_time(datetime(2026, 1, 5, 9, 0, 0)):
            self.apply(fixture(LOCALSTRIPE_CUSTOMER))
            charge = self.apply(fixture(LOCALSTRIPE_CHARGE))
            self.assertEqual(
                (charge.state, charge.awaited_model, charge.awaited_external_id),
                ("queued", "account.move", "in_LsInv0002"),
            )
            self.assertTrue(charge.next_attempt_at)
            self.apply(fixture(LOCALSTRIPE_INVOICE_PAID))
            self.assertEqual(charge.state, "done", charge.last_error)
        self.assertEqual(len(self.payments()), 1)
        self.assertEqual(self.bound("account.move", "in_LsInv0002").amount_residual, 0.0)

    def test_replayed_and_resent_paid_events_make_no_second_payment(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        event = self.apply(fixture(LOCALSTRIPE_INVOICE_PAID))
        event.action_replay()
        self.run_jobs()
        self.apply(variant(fixture(LOCALSTRIPE_INVOICE_PAID), event_id="evt_LsInvoicePaid_bis"))
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(len(self.payments()), 1)
        self.assertEqual(self.payments().amount, 77.35)

    def test_clover_invoice_paid_then_its_invoice_payment_make_one_payment(self):
        # A clover invoice names no payment: invoice.paid pays it, and the invoice_payment
        # that comes after adopts that payment.
        self.apply(fixture(ZULIP_CUSTOMER)["data"][0])
        self.apply(zulip_event(ZULIP_INVOICE_EVENTS, "invoice.paid"))
        event = self.apply(zulip_invoice_payment())
        self.assertEqual(event.state, "done", event.last_error)
        payment = self.payments()
        self.assertRecordValues(
            payment,
            [
                {
                    "amount": 480.00,
                    "partner_id": self.bound("res.partner", ZULIP_CUSTOMER_ID).id,
                    "date": date(2001, 9, 9),
                }
            ],
        )
        self.assertEqual(self.bound("account.payment", "pi_NORMALIZED"), payment)
        self.assertEqual(self.bound("account.move", ZULIP_INVOICE_ID).payment_state, "paid")

    def test_clover_invoice_payment_then_invoice_paid_make_one_payment(self):
        self.apply(fixture(ZULIP_CUSTOMER)["data"][0])
        self.apply(zulip_event(ZULIP_INVOICE_EVENTS, "invoice.updated"))
        self.apply(zulip_invoice_payment())
        self.apply(zulip_event(ZULIP_INVOICE_EVENTS, "invoice.paid"))
        self.assertEqual(self.payments().mapped("amount"), [480.00])

    def test_partial_then_remaining_payment(self):
        self.apply(fixture(ZULIP_CUSTOMER)["data"][0])
        self.apply(zulip_event(ZULIP_INVOICE_EVENTS, "invoice.updated"))
        move = self.bound("account.move", ZULIP_INVOICE_ID)
        self.apply(zulip_invoice_payment(amount_paid=30000))
        self.assertEqual(move.payment_state, "partial")
        self.assertEqual(move.amount_residual, 180.00)
        self.apply(
            zulip_invoice_payment(
                "evt_zulip_invoice_payment_2",
                amount_paid=18000,
                payment={"payment_intent": "pi_second", "type": "payment_intent"},
            )
        )
        self.assertEqual(sorted(self.payments().mapped("amount")), [180.00, 300.00])
        self.assertEqual(move.payment_state, "paid")

    def test_over_payment_stays_as_customer_credit(self):
        # Real pair of stripe-sync-engine fixtures: a 30.00 USD charge for a 0.00 invoice.
        partner = self.customer("cus_J7Mkgr8mvbl1eK")
        self.apply(fixture(SYNC_ENGINE_FINALIZED))
        event = self.apply(fixture(SYNC_ENGINE_CHARGE))
        self.assertEqual(event.state, "done", event.last_error)
        payment = self.bound("account.payment", "pi_3KtQThJDPojXS6LN0H9EfsjV")
        self.assertRecordValues(payment, [{"amount": 30.00, "partner_id": partner.id}])
        receivable = payment.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertEqual(receivable.amount_residual, -30.00)

    def test_payment_for_an_invoice_that_never_comes_fails_after_the_retries(self):
        self.backend.max_attempts = 2
        start = datetime(2026, 1, 5, 9, 0, 0)
        with freeze_time(start):
            event = self.apply(fixture(SYNC_ENGINE_INVOICE_PAYMENT))
            self.assertEqual(event.state, "queued")
        with freeze_time(start + timedelta(hours=1)):
            self.run_jobs()
        self.assertEqual(event.state, "failed")
        self.assertEqual(
            event.last_error,
            "Gave up after 2 attempts: Invoice in_103Q0w2eZvKYlo2C5PYwf6Wf of payment "
            "inpay_1M3USa2eZvKYlo2CBjuwbq0N is not imported yet.",
        )
        self.assertFalse(self.payments())

    def test_jpy_payment_reconciles_to_the_yen(self):
        self.apply(fixture(ZULIP_CUSTOMER)["data"][0])
        self.apply(in_currency(zulip_event(ZULIP_INVOICE_EVENTS, "invoice.paid"), "jpy"))
        self.assertRecordValues(
            self.payments(), [{"amount": 48000, "currency_id": self.env.ref("base.JPY").id}]
        )
        move = self.bound("account.move", ZULIP_INVOICE_ID)
        self.assertEqual(move.amount_residual, 0)
        self.assertEqual(move.payment_state, "paid")

    def test_payment_clears_a_payment_failure(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        failed = variant(
            fixture(LOCALSTRIPE_INVOICE_PAID),
            event_id="evt_Ls_payment_failed",
            created=1506678401,
            event_type="invoice.payment_failed",
            status="open",
            amount_paid=0,
            amount_remaining=7735,
        )
        self.apply(failed)
        move = self.bound("account.move", "in_LsInv0002")
        self.assertTrue(move.stripe_payment_failed)
        self.apply(fixture(LOCALSTRIPE_INVOICE_PAID))
        self.assertFalse(move.stripe_payment_failed)
        self.assertFalse(move.stripe_payment_failure)

    def test_stripe_journal_is_created_once_from_the_backend(self):
        self.backend.action_stripe_create_payment_journal()
        journal = self.backend.stripe_payment_journal_id
        self.backend.action_stripe_create_payment_journal()
        self.assertEqual(self.backend.stripe_payment_journal_id, journal)
        self.assertRecordValues(
            journal, [{"type": "bank", "code": "STR1", "company_id": self.company.id}]
        )
        clearing = self.env["saas.stripe.payment.handler"]._payment_method_line(
            self.backend, "inbound", self.env.ref("base.EUR")
        )
        self.assertEqual(clearing.journal_id, journal)
        self.assertRecordValues(
            clearing.payment_account_id,
            [{"reconcile": True, "currency_id": self.env.ref("base.EUR").id}],
        )
        self.assertNotEqual(clearing.payment_account_id, journal.default_account_id)
