"""Billing status written back to the CRM deal: HubSpot deal properties (created by the
backend's button, in their group) by batch update, Salesforce Opportunity custom fields by
composite update marked with Sforce-Call-Options; one coalesced job per deal that reads the
values when it runs; rate limits retried; our own writes, come back as events, ignored."""

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from ..lib import writeback
from .common import (
    PRICE_PRO,
    create_hubspot_backend,
    create_salesforce_backend,
    deliver_hubspot,
    hubspot_event,
    hubspot_peer,
    salesforce_peer,
    start_hubspot,
    start_salesforce,
    won_hubspot_deal,
)


class WritebackCase(TransactionCase):
    def activation(self, deal_key, subscription_id="sub_wb_1", **values):
        """A deal activated in Stripe, as the activation jobs leave it."""
        partner = self.env["res.partner"].create({"name": f"Customer of {deal_key}"})
        return self.env["saas.crm.activation"].create(
            {
                "name": deal_key,
                "backend_id": self.backend.id,
                "deal_external_id": deal_key,
                "partner_id": partner.id,
                "stripe_backend_id": self.backend.crm_stripe_backend_id.id,
                "stripe_customer_id": "cus_wb",
                "stripe_subscription_id": subscription_id,
                "state": "done",
                "correlation_id": "corr-1",
                **values,
            }
        )

    def subscription(self, activation, quantity=2, state="active", currency=None, unit_amount=49):
        """The activation's subscription as Stripe's webhook brings it: created, then bound."""
        subscription = self.env["saas.subscription"].create(
            {
                "name": activation.stripe_subscription_id,
                "backend_id": activation.stripe_backend_id.id,
                "partner_id": activation.partner_id.id,
                "currency_id": (currency or self.env.ref("base.EUR")).id,
                "state": state,
                "item_ids": [
                    (
                        0,
                        0,
                        {
                            "price_ref": PRICE_PRO,
                            "unit_amount": unit_amount,
                            "quantity": quantity,
                            "interval": "month",
                        },
                    )
                ],
            }
        )
        self.env["saas.binding"].bind(
            activation.stripe_backend_id, subscription, activation.stripe_subscription_id
        )
        return subscription

    def writeback_jobs(self, activation):
        return self.env["queue.job"].search(
            [
                (
                    "identity_key",
                    "=",
                    f"saas.crm.writeback:{self.backend.id}:{activation.deal_external_id}",
                ),
                ("state", "=", "pending"),
            ]
        )


@tagged("post_install", "-at_install")
class TestHubspotWriteback(WritebackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_hubspot(cls)
        cls.backend = create_hubspot_backend(cls.env, cls.peer)
        cls.backend.action_crm_setup_writeback()

    def deal(self, deal_id):
        return self.peer.objects["deals"][str(deal_id)]["properties"]

    def test_setup_creates_the_properties_in_their_group_once(self):
        deal_properties = self.peer.properties["deals"]
        for name in writeback.HUBSPOT_PROPERTIES:
            self.assertEqual(deal_properties[name]["groupName"], writeback.HUBSPOT_GROUP)
        self.assertIn(writeback.HUBSPOT_GROUP, self.peer.property_groups["deals"])
        # Again: HubSpot answers 409 for what exists; nothing is created twice.
        action = self.backend.action_crm_setup_writeback()
        self.assertIn("0 deal properties created", action["params"]["message"])

    def test_status_mrr_and_ids_are_written_to_the_deal(self):
        deal_id = won_hubspot_deal(self.peer)
        activation = self.activation(f"deal/{deal_id}")
        self.subscription(activation, quantity=2)
        self.assertTrue(activation.writeback_pending)
        self.assertEqual(len(self.writeback_jobs(activation)), 1)
        activation._run_writeback()
        properties = self.deal(deal_id)
        self.assertEqual(properties["odoo_subscription_status"], "active")
        self.assertEqual(properties["odoo_mrr"], "98.00")
        self.assertEqual(properties["odoo_arr"], "1176.00")
        self.assertEqual(properties["odoo_currency"], "EUR")
        self.assertEqual(properties["odoo_stripe_subscription_id"], "sub_wb_1")
        self.assertEqual(properties["odoo_partner_id"], str(activation.partner_id.id))
        self.assertEqual(properties["odoo_correlation_id"], "corr-1")
        # Nothing invoiced yet: cleared, not left with stale text.
        self.assertEqual(properties["odoo_last_invoice_status"], "")
        self.assertFalse(activation.writeback_pending)
        self.assertTrue(activation.writeback_date)

    def test_amounts_are_written_at_their_currencys_precision(self):
        for currency, unit_amount, mrr, arr in (
            ("JPY", 500, "1000", "12000"),
            ("BHD", 12.345, "24.690", "296.280"),
        ):
            deal_id = won_hubspot_deal(self.peer)
            activation = self.activation(f"deal/{deal_id}", f"sub_{currency}")
            self.subscription(
                activation, currency=self.env.ref(f"base.{currency}"), unit_amount=unit_amount
            )
            activation._run_writeback()
            properties = self.deal(deal_id)
            self.assertEqual(properties["odoo_currency"], currency)
            self.assertEqual((properties["odoo_mrr"], properties["odoo_arr"]), (mrr, arr))

    def test_changes_coalesce_into_one_job_that_writes_the_values_of_when_it_runs(self):
        deal_id = won_hubspot_deal(self.peer)
        activation = self.activation(f"deal/{deal_id}")
        subscription = self.subscription(activation, quantity=1)
        subscription.item_ids.quantity = 3
        subscription.state = "past_due"
        self.assertEqual(len(self.writeback_jobs(activation)), 1)
        activation._run_writeback()
        self.assertEqual(self.deal(deal_id)["odoo_mrr"], "147.00")
        self.assertEqual(self.deal(deal_id)["odoo_subscription_status"], "past_due")

    def test_pending_deals_go_in_batches_of_100(self):
        activations = self.env["saas.crm.activation"]
        for number in range(101):
            deal = self.peer.crm_create("deals", {"dealname": f"Deal {number}"})
            activations |= self.activation(f"deal/{deal['id']}", f"sub_batch_{number}")
        activations._enqueue_writeback()
        used = self.peer.daily_used
        activations[0]._run_writeback()
        # Two batch updates, nothing else.
        self.assertEqual(self.peer.daily_used - used, 2)
        self.assertFalse(any(activations.mapped("writeback_pending")))
        # The other deals' jobs find nothing left to write.
        self.assertIn("Nothing to write back", activations[-1]._run_writeback())

    def test_a_rate_limit_is_retried_later(self):
        deal_id = won_hubspot_deal(self.peer)
        activation = self.activation(f"deal/{deal_id}")
        activation._enqueue_writeback()
        limit, self.peer.rate_limit = self.peer.rate_limit, 0
        try:
            with self.assertRaises(RetryableJobError):
                activation._run_writeback()
        finally:
            self.peer.rate_limit = limit
        self.assertTrue(activation.writeback_pending)

    def test_a_deleted_deal_is_refused_without_holding_back_the_others(self):
        kept = won_hubspot_deal(self.peer)
        deleted = self.peer.crm_create("deals", {"dealname": "Gone"})["id"]
        first = self.activation(f"deal/{kept}", "sub_kept")
        second = self.activation(f"deal/{deleted}", "sub_gone")
        self.peer.crm_delete("deals", deleted)
        (first | second)._enqueue_writeback()
        first._run_writeback()
        self.assertEqual(self.deal(kept)["odoo_stripe_subscription_id"], "sub_kept")
        self.assertFalse(first.writeback_error)
        self.assertIn(deleted, second.writeback_error)
        self.assertFalse(second.writeback_pending)

    def test_our_own_writes_coming_back_start_no_sync(self):
        deal_id = won_hubspot_deal(self.peer)
        used = self.peer.daily_used
        # What HubSpot sends after our batch update: changes by our app (sourceId is its id),
        # and a person's edit of a property Odoo owns.
        events = deliver_hubspot(
            self.env,
            self.backend,
            hubspot_event(
                deal_id,
                event_id=1,
                changeSource="INTEGRATION",
                sourceId=str(hubspot_peer.APP_ID),
                propertyName="dealstage",
            ),
            hubspot_event(deal_id, event_id=2, propertyName="odoo_mrr", propertyValue="1"),
        )
        run_jobs(self.env)
        self.assertEqual(events.mapped("state"), ["done", "done"], events.mapped("last_error"))
        self.assertIn("Odoo's own write", events[0].note)
        self.assertIn("written back by Odoo", events[1].note)
        self.assertEqual(self.peer.daily_used, used, "no call to HubSpot")
        self.assertFalse(
            self.env["saas.crm.activation"].search([("backend_id", "=", self.backend.id)])
        )

    def test_another_apps_write_is_synced(self):
        deal_id = won_hubspot_deal(self.peer)
        events = deliver_hubspot(
            self.env,
            self.backend,
            hubspot_event(
                deal_id, changeSource="INTEGRATION", sourceId="99", propertyName="dealstage"
            ),
        )
        run_jobs(self.env)
        self.assertEqual(events.state, "done", events.last_error)
        self.assertTrue(
            self.env["saas.crm.activation"].search([("backend_id", "=", self.backend.id)])
        )


@tagged("post_install", "-at_install")
class TestSalesforceWriteback(WritebackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_salesforce(cls)
        for field in writeback.FIELDS:
            cls.peer.add_field("Opportunity", field.salesforce, field.kind)
        cls.backend = create_salesforce_backend(cls.env, cls.peer)

    def opportunity(self):
        return self.peer.user_create(
            "Opportunity",
            {"Name": "Globex Pro", "StageName": "Closed Won", "CloseDate": "2026-12-01"},
        )

    def test_fields_are_written_by_a_composite_update_marked_as_ours(self):
        opportunity = self.opportunity()
        activation = self.activation(f"Opportunity/{opportunity}")
        self.subscription(activation, quantity=2)
        writes = len(self.peer.writes)
        activation._run_writeback()
        record = self.peer.record("Opportunity", opportunity)
        self.assertEqual(record["Odoo_Subscription_Status__c"], "active")
        self.assertEqual(record["Odoo_MRR__c"], 98)
        self.assertEqual(record["Odoo_ARR__c"], 1176)
        self.assertEqual(record["Odoo_Currency__c"], "EUR")
        self.assertEqual(record["Odoo_Stripe_Subscription_Id__c"], "sub_wb_1")
        self.assertEqual(
            self.peer.writes[writes:],
            [
                (
                    "PATCH",
                    f"/services/data/{salesforce_peer.API_VERSION}/composite/sobjects",
                    writeback.SALESFORCE_CLIENT,
                )
            ],
        )
        self.assertFalse(activation.writeback_pending)

    def test_the_request_limit_is_retried_later(self):
        activation = self.activation(f"Opportunity/{self.opportunity()}")
        activation._enqueue_writeback()
        limit, self.peer.api_limit = self.peer.api_limit, 0
        try:
            with self.assertRaises(RetryableJobError):
                activation._run_writeback()
        finally:
            self.peer.api_limit = limit
        self.assertTrue(activation.writeback_pending)

    def test_a_refused_record_is_reported_on_its_activation(self):
        activation = self.activation("Opportunity/0065g00000MISSINGAA")
        activation._enqueue_writeback()
        activation._run_writeback()
        self.assertIn("NOT_FOUND", activation.writeback_error)


@tagged("post_install", "-at_install")
class TestInvoiceAndPaymentWriteback(WritebackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_hubspot(cls)
        cls.backend = create_hubspot_backend(cls.env, cls.peer)
        cls.backend.action_crm_setup_writeback()

    def test_a_posted_invoice_and_its_payment_are_written_back(self):
        deal_id = won_hubspot_deal(self.peer)
        activation = self.activation(f"deal/{deal_id}", "sub_invoiced")
        # Invoiced in the company's currency, the one active in any database.
        subscription = self.subscription(
            activation, quantity=2, currency=self.backend.company_id.currency_id
        )
        activation._run_writeback()
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": activation.partner_id.id,
                "currency_id": subscription.currency_id.id,
                "invoice_line_ids": [(0, 0, {"name": "Pro", "quantity": 2, "price_unit": 49})],
            }
        )
        invoice.saas_subscription_id = subscription
        activation.writeback_pending = False
        invoice.action_post()
        self.assertTrue(activation.writeback_pending, "posting marks the deal")
        activation._run_writeback()
        properties = self.peer.objects["deals"][str(deal_id)]["properties"]
        self.assertEqual(properties["odoo_last_invoice_status"], "not_paid")
        self.assertEqual(properties["odoo_last_invoice_amount"], "98.00")
        self.assertEqual(properties["odoo_last_payment_status"], "")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": "2026-11-30"})._create_payments()
        self.assertTrue(activation.writeback_pending, "reconciling the payment marks the deal")
        activation._run_writeback()
        properties = self.peer.objects["deals"][str(deal_id)]["properties"]
        self.assertIn(properties["odoo_last_invoice_status"], ("paid", "in_payment"))
        self.assertTrue(properties["odoo_last_payment_status"])
        self.assertEqual(properties["odoo_last_payment_date"], "2026-11-30")
