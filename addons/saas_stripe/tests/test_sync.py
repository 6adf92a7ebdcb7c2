"""Objects read from the Stripe API go through the engine exactly like webhooks: same
documents, same bindings, and no duplicates when both report the same state.

The API objects are the ``data.object`` of recorded events: Stripe renders an object the same
way in an API answer and in an event of the same API version."""

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from ..lib.normalize import sync_event_types
from .common import create_stripe_backend, deliver, fixture
from .common_accounting import (
    LOCALSTRIPE_CHARGE,
    LOCALSTRIPE_CUSTOMER,
    LOCALSTRIPE_INVOICE_PAID,
    StripeAccountingCase,
)

PARTNER_FIELDS = ["name", "email", "phone", "street", "zip", "city", "country_id", "vat"]


def api_object(relative_path):
    return fixture(relative_path)["data"]["object"]


@tagged("post_install", "-at_install")
class TestStripeSyncCustomer(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_stripe_backend(cls.env)
        cls.bindings = cls.env["saas.binding"]

    def sync(self, backend, *objects):
        events = backend._sync_objects(list(objects))
        run_jobs(self.env)
        return events

    def test_synced_customer_makes_the_partner_and_binding_a_webhook_makes(self):
        webhook_backend = create_stripe_backend(self.env, name="Stripe (webhooks)")
        deliver(self.env, webhook_backend, fixture(LOCALSTRIPE_CUSTOMER))
        run_jobs(self.env)
        event = self.sync(self.backend, api_object(LOCALSTRIPE_CUSTOMER))

        self.assertRecordValues(
            event,
            [
                {
                    "event_type": "customer.updated",
                    "object_type": "customer",
                    "object_external_id": "cus_LsAda0001",
                    "state": "done",
                }
            ],
        )
        synced = self.bindings.lookup(self.backend, "res.partner", "cus_LsAda0001")
        from_webhook = self.bindings.lookup(webhook_backend, "res.partner", "cus_LsAda0001")
        self.assertTrue(synced)
        self.assertNotEqual(synced, from_webhook)
        self.assertEqual(
            synced.read(PARTNER_FIELDS)[0] | {"id": 0},
            from_webhook.read(PARTNER_FIELDS)[0] | {"id": 0},
        )
        self.assertEqual(synced.vat, "DE123456789")
        self.assertEqual(event.record_ids.mapped("res_id"), synced.ids)

    def test_syncing_an_unchanged_object_twice_stores_one_event(self):
        customer = api_object(LOCALSTRIPE_CUSTOMER)
        first = self.sync(self.backend, customer)
        second = self.sync(self.backend, customer)
        self.assertEqual(len(first), 1)
        self.assertFalse(second)
        self.assertEqual(
            self.env["saas.event"].search_count([("backend_id", "=", self.backend.id)]), 1
        )

    def test_a_changed_object_is_a_new_event_that_updates_the_partner(self):
        customer = api_object(LOCALSTRIPE_CUSTOMER)
        self.sync(self.backend, customer)
        renamed = self.sync(self.backend, {**customer, "name": "Ada King"})
        self.assertEqual(renamed.state, "done")
        partner = self.bindings.lookup(self.backend, "res.partner", "cus_LsAda0001")
        self.assertEqual(partner.name, "Ada King")
        self.assertEqual(
            self.env["res.partner"].search_count([("email", "=", "ada@example.com")]), 1
        )

    def test_sync_after_the_webhook_of_the_same_state_makes_no_second_partner(self):
        deliver(self.env, self.backend, fixture(LOCALSTRIPE_CUSTOMER))
        run_jobs(self.env)
        partner = self.bindings.lookup(self.backend, "res.partner", "cus_LsAda0001")
        event = self.sync(self.backend, api_object(LOCALSTRIPE_CUSTOMER))
        self.assertEqual(event.state, "done")
        self.assertEqual(event.record_ids.mapped("res_id"), partner.ids)
        self.assertEqual(
            self.env["res.partner"].search_count([("email", "=", "ada@example.com")]), 1
        )

    def test_an_object_type_without_handler_is_ignored(self):
        event = self.sync(self.backend, {"id": "txn_1", "object": "balance_transaction"})
        self.assertFalse(event)
        self.assertFalse(sync_event_types({"id": "txn_1", "object": "balance_transaction"}))


@tagged("post_install", "-at_install")
class TestStripeSyncEventTypes(TransactionCase):
    def test_each_state_maps_to_the_webhook_that_applies_it(self):
        cases = [
            ({"object": "invoice", "status": "draft"}, ["invoice.updated"]),
            ({"object": "invoice", "status": "open"}, ["invoice.finalized"]),
            (
                {"object": "invoice", "status": "open", "attempted": True},
                ["invoice.finalized", "invoice.payment_failed"],
            ),
            ({"object": "invoice", "status": "paid", "attempted": True}, ["invoice.paid"]),
            ({"object": "invoice", "status": "paid"}, ["invoice.paid"]),
            ({"object": "invoice", "status": "void"}, ["invoice.voided"]),
            ({"object": "invoice", "status": "uncollectible"}, ["invoice.marked_uncollectible"]),
            ({"object": "subscription", "status": "canceled"}, ["customer.subscription.updated"]),
            ({"object": "plan"}, ["plan.updated"]),
            ({"object": "price"}, ["price.updated"]),
            ({"object": "customer", "deleted": True}, ["customer.deleted"]),
            ({"object": "charge", "status": "succeeded"}, ["charge.succeeded"]),
            (
                {"object": "charge", "status": "succeeded", "amount_refunded": 500},
                ["charge.succeeded", "charge.refunded"],
            ),
            ({"object": "charge", "status": "failed"}, ["charge.failed"]),
            ({"object": "refund", "status": "succeeded"}, ["refund.updated"]),
            ({"object": "credit_note", "status": "issued"}, ["credit_note.created"]),
            ({"object": "credit_note", "status": "void"}, ["credit_note.voided"]),
            ({"object": "dispute", "status": "needs_response"}, ["charge.dispute.updated"]),
            ({"object": "dispute", "status": "lost"}, ["charge.dispute.closed"]),
            ({"object": "payout", "status": "in_transit"}, ["payout.updated"]),
            ({"object": "payout", "status": "paid"}, ["payout.paid"]),
        ]
        for obj, expected in cases:
            with self.subTest(obj=obj):
                self.assertEqual(sync_event_types(obj), expected)


@tagged("post_install", "-at_install")
class TestStripeSyncInvoice(StripeAccountingCase):
    def sync(self, *objects):
        events = self.backend._sync_objects(list(objects))
        self.run_jobs()
        return events

    def test_synced_paid_invoice_after_its_webhooks_makes_no_second_invoice_or_payment(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        self.apply(fixture(LOCALSTRIPE_INVOICE_PAID))
        self.apply(fixture(LOCALSTRIPE_CHARGE))
        move = self.bound("account.move", "in_LsInv0002")
        payment = self.bound("account.payment", "pi_LsPay0002")
        events = self.sync(
            api_object(LOCALSTRIPE_CUSTOMER),
            api_object(LOCALSTRIPE_INVOICE_PAID),
            api_object(LOCALSTRIPE_CHARGE),
        )
        self.assertEqual(events.mapped("state"), ["done"] * 3, events.mapped("last_error"))
        self.assertEqual(
            events.mapped("event_type"), ["customer.updated", "invoice.paid", "charge.succeeded"]
        )
        self.assertEqual(
            self.env["account.move"].search_count(
                [("partner_id", "=", move.partner_id.id), ("move_type", "=", "out_invoice")]
            ),
            1,
        )
        self.assertEqual(
            self.env["account.payment"].search(
                [("journal_id", "=", self.backend.stripe_payment_journal_id.id)]
            ),
            payment,
        )
        self.assertEqual(move.amount_total, 77.35)
        self.assertEqual(move.amount_residual, 0.0)

    def test_synced_paid_invoice_alone_makes_the_invoice_and_its_payment(self):
        events = self.sync(api_object(LOCALSTRIPE_CUSTOMER), api_object(LOCALSTRIPE_INVOICE_PAID))
        self.assertEqual(events.mapped("state"), ["done", "done"], events.mapped("last_error"))
        move = self.bound("account.move", "in_LsInv0002")
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.amount_total, 77.35)
        self.assertIn(move.payment_state, ("paid", "in_payment"))
