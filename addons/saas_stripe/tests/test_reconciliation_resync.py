"""Re-sync brings a Stripe invoice changed by hand in Odoo back to Stripe's state, or says why
it cannot; the drift line records what the object looks like afterwards. Stripe's side is the
API peer of ``test_reconciliation``."""

from odoo.exceptions import RedirectWarning
from odoo.fields import Command
from odoo.tests import tagged

from .common import fixture
from .common_accounting import LOCALSTRIPE_CUSTOMER
from .test_invoice import localstripe_invoice
from .test_reconciliation import StripeReconciliationCase


@tagged("post_install", "-at_install")
class TestStripeResync(StripeReconciliationCase):
    def reset_to_draft(self, move, reason="Customer asked for another address"):
        """What a connector manager does: asked for a reason, then the invoice is a draft."""
        with self.assertRaises(RedirectWarning):
            move.button_draft()
        self.env["saas.document.override.wizard"].with_context(active_ids=move.ids).create(
            {"operation": "draft", "reason": reason}
        ).action_confirm()
        self.assertEqual(move.state, "draft")

    def invoice_drift(self, run):
        return run.drift_ids.filtered(lambda d: d.object_type == "invoice")

    def test_invoice_reset_to_draft_is_posted_again_by_resync(self):
        # Stripe: finalized, not paid yet.
        self.apply(fixture(LOCALSTRIPE_CUSTOMER), localstripe_invoice())
        self.invoice.update(status="open", amount_paid=0, amount_remaining=7735)
        self.publish(
            invoices=[self.invoice], customers=[fixture(LOCALSTRIPE_CUSTOMER)["data"]["object"]]
        )
        move = self.bound("account.move", "in_LsInv0002")
        self.assertFalse(self.reconcile().drift_ids)
        self.reset_to_draft(move)

        run = self.reconcile()
        drift = self.invoice_drift(run)
        self.assertRecordValues(
            drift,
            [{"kind": "status_mismatch", "provider_status": "open", "odoo_status": "draft"}],
        )
        drift.action_resync()
        self.assertEqual(drift.state, "fixed", drift.message)
        self.assertEqual(
            (move.state, move.payment_state, move.amount_total), ("posted", "not_paid", 77.35)
        )
        self.assertIn(
            "Posted again: Stripe shows invoice in_LsInv0002 open.",
            move.message_ids.mapped("preview"),
        )
        # Resynced twice, within the same second: the second re-sync applies Stripe's state
        # again, it is no duplicate, and a read made later wins over one of the same second.
        self.reset_to_draft(move, reason="Again")
        again = self.reconcile()
        self.invoice_drift(again).action_resync()
        self.assertEqual(
            self.invoice_drift(again).state, "fixed", self.invoice_drift(again).message
        )
        self.assertEqual(move.state, "posted")
        self.assertFalse(self.reconcile().drift_ids)

    def test_paid_invoice_reset_to_draft_gets_its_payment_back(self):
        self.apply_all()
        move = self.bound("account.move", "in_LsInv0002")
        self.reset_to_draft(move)
        run = self.reconcile()
        self.assertEqual(self.drift(run), {("invoice", "in_LsInv0002", "status_mismatch")})
        self.invoice_drift(run).action_resync()
        self.assertEqual(self.invoice_drift(run).state, "fixed", self.invoice_drift(run).message)
        self.assertEqual(move.state, "posted")
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        payments = self.env["account.payment"].search(
            [("journal_id", "=", self.backend.stripe_payment_journal_id.id)]
        )
        self.assertEqual(payments.mapped("amount"), [77.35], "the same payment, applied again")
        self.assertFalse(self.reconcile().drift_ids)

    def test_resync_that_cannot_bring_stripes_state_fails_with_the_reason(self):
        self.apply_all()
        move = self.bound("account.move", "in_LsInv0002")
        self.reset_to_draft(move, reason="Discount agreed by phone")
        line = move.invoice_line_ids[0]
        # Unlocked by the reason: the manager edits a line.
        move.write(
            {"invoice_line_ids": [Command.update(line.id, {"price_unit": line.price_unit + 10})]}
        )
        run = self.reconcile()
        drift = self.invoice_drift(run)
        drift.action_resync()
        self.assertEqual(drift.state, "failed")
        self.assertIn("but Odoo still differs", drift.message)
        self.assertIn("77.35 EUR in Stripe, 89.25 EUR on", drift.message)
        self.assertIn("does not tie to Stripe", drift.message)
        self.assertEqual(move.state, "draft", "the invoice is left as it was")
        self.assertEqual(run.open_drift_count, 1, "failed drift still needs fixing")

    def test_run_again_keeps_the_earlier_run_and_its_lines(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        run = self.reconcile()
        lines, drift = run.line_ids, run.drift_ids
        self.assertEqual(len(drift), 2)
        again = self.run_again(run)
        self.assertEqual((run.line_ids, run.drift_ids), (lines, drift))
        self.assertEqual(len(again.drift_ids), 2)
        with self.assertRaisesRegex(Exception, "keeps its drift lines"):
            drift.unlink()
        with self.assertRaisesRegex(Exception, "keeps its summary"):
            lines.unlink()
