"""Stripe ↔ Odoo reconciliation: the period's objects read from the Stripe API and compared
with the Odoo documents bound to them; Re-sync fetches an object and processes it again.

Stripe's side of the network is the API peer of ``stripe_api_peer``, answering for the
recorded localstripe objects of fixtures/ the way the API does (``created`` filter, list
envelope, 404 for what it does not have); the SDK talks to it over HTTP."""

import copy
from datetime import date

from odoo.tests import tagged

from .common import fixture, variant
from .common_accounting import (
    LOCALSTRIPE_CHARGE,
    LOCALSTRIPE_CUSTOMER,
    LOCALSTRIPE_INVOICE_PAID,
    StripeAccountingCase,
)
from .stripe_api_peer import error_body, start_api_peer

SEPTEMBER_2017 = {"date_from": date(2017, 9, 1), "date_to": date(2017, 9, 30)}
# The lists a Stripe account offers; localstripe has no credit notes nor disputes (404).
LISTS = ("invoices", "charges", "refunds", "payouts", "balance_transactions", "subscriptions")


def api_object(relative_path):
    return copy.deepcopy(fixture(relative_path)["data"]["object"])


class StripeReconciliationCase(StripeAccountingCase):
    """A Stripe account served by the API peer, the localstripe invoice and charge published
    in it; ``publish`` says what else it holds."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_api_peer(cls, cls.backend)

    def setUp(self):
        super().setUp()
        self.invoice = api_object(LOCALSTRIPE_INVOICE_PAID)
        self.charge = api_object(LOCALSTRIPE_CHARGE)
        # With ``refuse_created``, the peer refuses the filter as localstripe does.
        self.refuse_created = False
        self.publish(
            invoices=[self.invoice],
            charges=[self.charge],
            customers=[api_object(LOCALSTRIPE_CUSTOMER)],
            # No fixture holds it: the charge's payment intent, with the charge's figures.
            payment_intents=[
                {
                    "id": "pi_LsPay0002",
                    "object": "payment_intent",
                    "amount": 7735,
                    "amount_received": 7735,
                    "currency": "eur",
                    "status": "succeeded",
                    "created": self.charge["created"],
                    "latest_charge": "ch_LsPay0002",
                }
            ],
        )

    def publish(self, **objects):
        """What the Stripe account holds, by list name: its lists, and each object by id."""
        self.peer.answers.clear()
        for name in LISTS:
            self.peer.answers[f"/v1/{name}"] = self.list_answer(objects.setdefault(name, []))
        for name, entries in objects.items():
            for obj in entries:
                self.peer.answers[f"/v1/{name}/{obj['id']}"] = lambda query, obj=obj: (200, obj)

    def list_answer(self, entries):
        def answer(query):
            if "created[gte]" in query:
                if self.refuse_created:
                    return 400, error_body("invalid_request_error", "Unexpected created")
                low, high = int(query["created[gte]"]), int(query["created[lt]"])
                listed = [obj for obj in entries if low <= obj["created"] < high]
            else:
                listed = entries
            return 200, {"object": "list", "url": "/v1", "has_more": False, "data": listed}

        return answer

    def reconcile(self):
        run = self.env["saas.reconciliation.run"].create(
            {"backend_id": self.backend.id, **SEPTEMBER_2017}
        )
        run.action_run()
        self.assertEqual(run.state, "done", run.note)
        return run

    def apply_all(self):
        # One by one: a charge processed before its invoice would wait for its retry.
        events = self.env["saas.event"]
        for payload in (LOCALSTRIPE_CUSTOMER, LOCALSTRIPE_INVOICE_PAID, LOCALSTRIPE_CHARGE):
            events |= self.apply(fixture(payload))
        self.assertEqual(set(events.mapped("state")), {"done"}, events.mapped("last_error"))

    def summary(self, run):
        return {
            line.name: (line.provider_count, line.provider_total, line.odoo_count, line.odoo_total)
            for line in run.line_ids
        }

    def drift(self, run):
        return {(d.object_type, d.external_id, d.kind) for d in run.drift_ids}

    def run_again(self, run):
        """*Run Again*: the new run it shows."""
        action = run.action_run()
        again = self.env["saas.reconciliation.run"].browse(action["res_id"])
        self.assertNotEqual(again, run)
        self.assertEqual(again.state, "done", again.note)
        return again


@tagged("post_install", "-at_install")
class TestStripeReconciliation(StripeReconciliationCase):
    def test_period_in_step_with_stripe_has_zero_drift(self):
        self.apply_all()
        run = self.reconcile()
        self.assertFalse(run.drift_ids)
        self.assertEqual(
            self.summary(run),
            {"Invoices (paid)": (1, 77.35, 1, 77.35), "Payments": (1, 77.35, 1, 77.35)},
        )
        self.assertEqual(run.line_ids.currency_id.name, "EUR")
        self.assertIn("Credit Notes: not offered by this Stripe account", run.note)
        self.assertIn("Disputes: not offered by this Stripe account", run.note)
        self.assertFalse(run.activity_ids)

    def test_dropped_invoice_event_is_found_and_fixed_by_resync(self):
        # The invoice's event never arrived; its charge's did, and is still retrying.
        self.apply(fixture(LOCALSTRIPE_CUSTOMER), fixture(LOCALSTRIPE_CHARGE))
        run = self.reconcile()
        self.assertEqual(
            self.drift(run),
            {
                ("invoice", "in_LsInv0002", "missing_in_odoo"),
                ("payment", "ch_LsPay0002", "missing_in_odoo"),
            },
        )
        self.assertEqual(self.summary(run)["Invoices (paid)"], (1, 77.35, 0, 0.0))
        invoice_drift = run.drift_ids.filtered(lambda d: d.object_type == "invoice")
        self.assertEqual(
            (invoice_drift.provider_amount, invoice_drift.provider_status), (77.35, "paid")
        )
        self.assertTrue(run.activity_ids, "drift leaves an activity for the responsible")

        run.drift_ids.action_resync()
        # Applied at once and compared again: the lines say it worked.
        self.assertEqual(
            set(run.drift_ids.mapped("state")), {"fixed"}, run.drift_ids.mapped("message")
        )
        self.assertTrue(all(d.message.startswith("Re-synced on ") for d in run.drift_ids))
        synced = self.env["saas.event"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=like", "evt_sync_%")]
        )
        self.assertEqual(sorted(synced.mapped("event_type")), ["charge.succeeded", "invoice.paid"])
        self.assertEqual(set(synced.mapped("state")), {"done"}, synced.mapped("last_error"))
        retrying = self.env["saas.event"].search(
            [("backend_id", "=", self.backend.id), ("event_type", "=", "charge.succeeded")]
        )
        self.assertEqual(set(retrying.mapped("state")), {"done"}, "the retry is not waited for")
        move = self.bound("account.move", "in_LsInv0002")
        self.assertEqual((move.state, move.amount_total), ("posted", 77.35))
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        payments = self.env["account.payment"].search(
            [("journal_id", "=", self.backend.stripe_payment_journal_id.id)]
        )
        self.assertEqual(payments.mapped("amount"), [77.35], "one payment, not one per report")
        self.assertFalse(self.reconcile().drift_ids)

    def test_resync_brings_the_customer_the_invoice_needs(self):
        run = self.reconcile()
        run.drift_ids.filtered(lambda d: d.object_type == "invoice").action_resync()
        self.run_jobs()
        partner = self.bound("res.partner", "cus_LsAda0001")
        self.assertEqual(self.bound("account.move", "in_LsInv0002").partner_id, partner)
        self.assertFalse(self.reconcile().drift_ids)

    def test_amount_and_status_differences_are_drift(self):
        self.apply_all()
        self.invoice.update(total=7700, status="void")
        self.charge["amount"] = 7700
        run = self.reconcile()
        self.assertEqual(
            self.drift(run),
            {
                ("invoice", "in_LsInv0002", "amount_mismatch"),
                ("payment", "ch_LsPay0002", "amount_mismatch"),
            },
        )
        move = self.bound("account.move", "in_LsInv0002")
        invoice_drift = run.drift_ids.filtered(lambda d: d.object_type == "invoice")
        self.assertEqual(
            invoice_drift.message, f"77.00 EUR in Stripe, 77.35 EUR on {move.display_name}."
        )
        self.assertEqual(invoice_drift.record_name, move.display_name)
        self.invoice["total"] = 7735
        first = run
        run = self.run_again(run)
        self.assertEqual(
            first.drift_ids.filtered(lambda d: d.object_type == "invoice").kind,
            "amount_mismatch",
            "the earlier run keeps what it found",
        )
        invoice_drift = run.drift_ids.filtered(lambda d: d.object_type == "invoice")
        self.assertEqual(invoice_drift.kind, "status_mismatch")
        self.assertEqual(
            (invoice_drift.provider_status, invoice_drift.odoo_status), ("void", "paid")
        )
        self.assertEqual(
            self.summary(run)["Invoices (void)"], (1, 77.35, 0, 0.0), "each side by its status"
        )
        self.assertEqual(self.summary(run)["Invoices (paid)"], (0, 0.0, 1, 77.35))

    def test_odoo_document_stripe_does_not_have_is_missing_there(self):
        self.apply_all()
        self.publish(invoices=[], charges=[])
        run = self.reconcile()
        self.assertEqual(
            self.drift(run),
            {
                ("invoice", "in_LsInv0002", "missing_in_provider"),
                ("payment", "pi_LsPay0002", "missing_in_provider"),
            },
        )
        self.assertEqual(self.summary(run)["Payments"], (0, 0.0, 1, 77.35))
        run.drift_ids.action_resync()
        self.assertEqual(set(run.drift_ids.mapped("state")), {"failed"})
        invoice_drift = run.drift_ids.filtered(lambda d: d.object_type == "invoice")
        self.assertEqual(
            invoice_drift.message,
            "Stripe answers that in_LsInv0002 does not exist: there is nothing to "
            "re-synchronize. Check the Odoo document, then mark the drift resolved.",
        )

    def test_document_created_before_the_period_by_stripes_clock_is_no_drift(self):
        self.apply_all()
        # Stripe created the invoice on 31 August; Odoo dates it by its finalization.
        self.invoice["created"] = 1504137600
        self.charge["created"] = 1504137600
        run = self.reconcile()
        self.assertFalse(run.drift_ids)

    def test_stripe_stand_in_without_created_filter_is_read_whole(self):
        self.apply_all()
        self.refuse_created = True
        july = dict(copy.deepcopy(self.invoice), id="in_LsOld", created=1500000000)
        self.publish(invoices=[self.invoice, july], charges=[self.charge])
        run = self.reconcile()
        self.assertFalse(run.drift_ids, "the invoice of July is not in September's period")
        self.assertIn(
            "Stripe did not filter these lists by creation date; they were read whole and "
            "filtered in Odoo: Invoices, Payments, Refunds, Payouts, Fees.",
            run.note,
        )

    def test_unreachable_stripe_fails_the_run_with_a_message(self):
        self.backend.stripe_api_base = "http://127.0.0.1:9"
        run = self.env["saas.reconciliation.run"].create(
            {"backend_id": self.backend.id, **SEPTEMBER_2017}
        )
        run.action_run()
        self.assertEqual(run.state, "failed")
        self.assertIn("Stripe could not be reached at http://127.0.0.1:9", run.note)

    def test_stale_event_fetches_the_current_state(self):
        self.apply_all()
        older = variant(
            fixture(LOCALSTRIPE_INVOICE_PAID),
            event_id="evt_LsInvoiceUpdated_old",
            created=1506678300,
            event_type="invoice.updated",
        )
        (event,) = self.apply(older)
        self.assertEqual(event.state, "stale")
        synced = self.env["saas.event"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=like", "evt_sync_%")]
        )
        self.assertEqual(synced.mapped("event_type"), ["invoice.paid"])
        self.assertEqual(
            event.note,
            "Older than the state Odoo shows; the current state was read from the provider: "
            f"{synced.external_id}.",
        )
        self.assertEqual(synced.state, "done", synced.last_error)
        self.assertFalse(self.reconcile().drift_ids)
