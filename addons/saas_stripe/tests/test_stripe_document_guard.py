"""A Stripe invoice is Stripe's: resetting it to draft, editing its lines or registering a
payment on it by hand asks a connector manager for a reason (kept in the chatter) and is
refused to anyone else; the connector's own processing goes on unaffected."""

from odoo.exceptions import RedirectWarning, UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import fixture
from .common_accounting import LOCALSTRIPE_CUSTOMER, StripeAccountingCase
from .test_invoice import localstripe_invoice


@tagged("post_install", "-at_install")
class TestStripeDocumentGuard(StripeAccountingCase):
    def setUp(self):
        super().setUp()
        self.apply(fixture(LOCALSTRIPE_CUSTOMER), localstripe_invoice())
        self.move = self.bound("account.move", "in_LsInv0002")
        self.assertEqual(self.move.state, "posted")
        # An accountant who is not a connector manager.
        self.clerk = new_test_user(
            self.env,
            login="stripe_guard_clerk",
            groups="account.group_account_manager,saas_connector_base.group_saas_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )

    def override(self, operation, reason):
        return (
            self.env["saas.document.override.wizard"]
            .with_context(active_ids=self.move.ids)
            .create({"operation": operation, "reason": reason})
            .action_confirm()
        )

    def chatter(self):
        return "\n".join(self.move.message_ids.mapped("body"))

    def test_user_who_is_not_a_connector_manager_is_refused(self):
        move = self.move.with_user(self.clerk)
        with self.assertRaisesRegex(UserError, "only a connector manager may reset them to draft"):
            move.button_draft()
        with self.assertRaisesRegex(UserError, "only a connector manager may reset them to draft"):
            move.button_cancel()
        with self.assertRaisesRegex(UserError, "only a connector manager may register a payment"):
            move.action_register_payment()
        wizard = (
            self.env["account.payment.register"]
            .with_user(self.clerk)
            .with_context(active_model="account.move", active_ids=self.move.ids)
            .create({})
        )
        with self.assertRaisesRegex(UserError, "only a connector manager may register a payment"):
            wizard.action_create_payments()
        # Even once a manager unlocked it, its lines are not the clerk's to edit.
        self.override("draft", "Wrong address")
        line = self.move.invoice_line_ids[0]
        with self.assertRaisesRegex(UserError, "only a connector manager may edit their lines"):
            move.write({"invoice_line_ids": [Command.update(line.id, {"name": "Changed"})]})
        self.assertEqual(self.move.state, "draft")
        self.assertNotEqual(line.name, "Changed")

    def test_manager_confirms_a_reset_to_draft_with_a_reason(self):
        with self.assertRaises(RedirectWarning) as caught:
            self.move.button_draft()
        _message, action, _button, context = caught.exception.args
        self.assertEqual(action, "saas_connector_base.action_saas_document_override_wizard")
        self.assertEqual(context["default_operation"], "draft")
        self.assertEqual(self.move.state, "posted", "nothing happens without the reason")
        self.override("draft", "Customer's VAT number was missing")
        self.assertEqual(self.move.state, "draft")
        self.assertIn("Reset to draft by hand", self.chatter())
        self.assertIn("Customer's VAT number was missing", self.chatter())
        # The reason unlocks the draft's lines until it is posted again.
        line = self.move.invoice_line_ids[0]
        self.move.write({"invoice_line_ids": [Command.update(line.id, {"name": "Gold, 5 seats"})]})
        self.assertEqual(line.name, "Gold, 5 seats")
        self.move.action_post()
        self.assertFalse(self.move.saas_unlocked)

    def test_manager_registers_a_payment_by_hand_with_a_reason(self):
        with self.assertRaises(RedirectWarning):
            self.move.action_register_payment()
        action = self.override("payment", "Paid by bank transfer outside Stripe")
        self.assertEqual(action["res_model"], "account.payment.register")
        wizard = (
            self.env["account.payment.register"]
            .with_context(**action["context"])
            .create({"journal_id": self.company_data["default_journal_bank"].id})
        )
        wizard.action_create_payments()
        self.assertIn(self.move.payment_state, ("paid", "in_payment"))
        self.assertIn("Payment registered by hand", self.chatter())
        self.assertIn("Paid by bank transfer outside Stripe", self.chatter())

    def test_the_connector_still_changes_its_invoices(self):
        # Voiding resets to draft, then cancels: the connector needs no reason.
        (event,) = self.apply(
            localstripe_invoice("invoice.voided", status="void", created=1506678500)
        )
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(self.move.state, "cancel")

    def test_documents_of_no_provider_are_not_concerned(self):
        invoice = self.init_invoice("out_invoice", amounts=[100.0], post=True)
        invoice.with_user(self.clerk).button_draft()
        self.assertEqual(invoice.state, "draft")
