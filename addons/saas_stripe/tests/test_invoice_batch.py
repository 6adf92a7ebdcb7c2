"""The invoices of one processing job are imported together — one ``create``, one
``action_post`` — and each still ends as it would alone: its amounts to the cent, its own
failure, no second document when its events come again."""

from unittest.mock import patch

from odoo.addons.saas_connector_base.lib.errors import PermanentError
from odoo.tests import tagged

from .common import deliver, fixture, variant
from .common_accounting import LOCALSTRIPE_CUSTOMER, LOCALSTRIPE_INVOICE_PAID, StripeAccountingCase


def paid_invoice(number, event_id=None, **changes):
    """The recorded ``invoice.payment_succeeded`` (77.35 EUR, three lines at 19 % VAT) as
    invoice ``in_batch<number>``, with lines, charge and payment intent of its own."""
    event = fixture(LOCALSTRIPE_INVOICE_PAID)
    invoice_id = f"in_batch{number}"
    lines = event["data"]["object"]["lines"]["data"]
    for position, line in enumerate(lines):
        line.update(id=f"il_batch{number}_{position}", invoice=invoice_id)
    return variant(
        event,
        event_id=event_id or f"evt_batch{number}",
        id=invoice_id,
        number=f"BATCH-{number}",
        charge=f"ch_batch{number}",
        payment_intent=f"pi_batch{number}",
        **changes,
    )


@tagged("post_install", "-at_install")
class TestStripeInvoiceBatch(StripeAccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Handler = type(cls.env["saas.stripe.invoice.handler"])

    def setUp(self):
        super().setUp()
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))

    def imports(self):
        """Run the jobs; the number of moves of each import, in order."""
        original = self.Handler._import_invoices
        sizes = []

        def counting(handler, backend, moves_values):
            sizes.append(len(moves_values))
            return original(handler, backend, moves_values)

        with patch.object(self.Handler, "_import_invoices", counting):
            self.run_jobs()
        return sizes

    def test_a_jobs_invoices_are_created_and_posted_together_to_the_cent(self):
        events = deliver(self.env, self.backend, *(paid_invoice(number) for number in range(3)))
        self.assertEqual(self.imports(), [3], "one create and one post for the three")
        self.assertEqual(events.mapped("state"), ["done"] * 3, events.mapped("last_error"))
        for number, event in enumerate(events):
            move = self.bound("account.move", f"in_batch{number}")
            self.assertRecordValues(
                move,
                [
                    {
                        "state": "posted",
                        "ref": f"BATCH-{number}",
                        "amount_untaxed": 65.0,
                        "amount_tax": 12.35,
                        "amount_total": 77.35,
                    }
                ],
            )
            self.assertIn(move.payment_state, ("paid", "in_payment"))
            self.assertIn(
                ("account.move", move.id),
                [(record.res_model, record.res_id) for record in event.record_ids],
            )
            self.assertEqual(
                self.bound("account.move.line", f"il_batch{number}_0"),
                move.invoice_line_ids[0],
            )
        self.assertEqual(
            self.env["account.payment"].search_count([("memo", "=like", "BATCH-%")]), 3
        )

    def test_a_bad_invoice_fails_alone_and_the_others_are_imported_together(self):
        bad = paid_invoice(1)
        for line in bad["data"]["object"]["lines"]["data"]:
            line["tax_amounts"][0]["tax_rate"] = "txr_Unmapped"
        events = deliver(self.env, self.backend, paid_invoice(0), bad, paid_invoice(2))
        self.assertEqual(self.imports(), [2], "the two together; the bad one has no values")
        self.assertEqual(events.mapped("state"), ["done", "failed", "done"])
        self.assertIn("txr_Unmapped", events[1].last_error)
        self.assertFalse(self.bound("account.move", "in_batch1"))
        self.assertTrue(self.bound("account.move", "in_batch0"))
        self.assertTrue(self.bound("account.move", "in_batch2"))

    def test_an_invoice_whose_event_fails_after_the_import_is_not_left_behind(self):
        events = deliver(self.env, self.backend, *(paid_invoice(number) for number in range(3)))
        payments = self.env["saas.stripe.payment.handler"]
        original = type(payments)._record_payment

        def refusing(handler, backend, payment, move):
            if move.ref == "BATCH-1":
                raise PermanentError("Payment refused for the test.")
            return original(handler, backend, payment, move)

        with patch.object(type(payments), "_record_payment", refusing):
            sizes = self.imports()
        self.assertEqual(sizes, [3, 1, 1, 1], "prepared, then again one by one")
        self.assertEqual(events.mapped("state"), ["done", "failed", "done"])
        self.assertEqual(events[1].last_error, "Payment refused for the test.")
        self.assertFalse(self.bound("account.move", "in_batch1"), "as if imported alone")
        self.assertFalse(
            self.env["account.move"].search(
                [("ref", "=", "BATCH-1"), ("move_type", "!=", "entry")]
            )
        )

    def test_invoices_redelivered_into_a_job_are_not_imported_twice(self):
        first = deliver(self.env, self.backend, *(paid_invoice(number) for number in range(3)))
        self.run_jobs()
        invoices = [("move_type", "=", "out_invoice"), ("ref", "=like", "BATCH-%")]
        moves = self.env["account.move"].search(invoices)
        self.assertEqual(len(moves), 3)
        # Stripe sends again what it is not sure was taken, under new event ids, and the
        # first events are replayed beside them: one job for all of them.
        again = deliver(
            self.env,
            self.backend,
            *(paid_invoice(number, event_id=f"evt_again{number}") for number in range(3)),
        )
        first.sudo().write({"state": "received"})
        self.assertEqual(self.imports(), [], "nothing to import")
        self.assertEqual(self.env["account.move"].search(invoices), moves)
        self.assertEqual(
            self.env["account.payment"].search_count([("memo", "=like", "BATCH-%")]), 3
        )
        self.assertFalse((first | again).filtered(lambda event: event.state == "failed"))
