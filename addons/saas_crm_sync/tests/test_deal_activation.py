"""A won deal becomes one activation, whatever the deliveries: HubSpot deals and Salesforce
opportunities read again from the fake CRMs, partners made of their company and contacts, the
Stripe items taken from the product mapping. The Stripe calls themselves run in the
activation's jobs, proven end to end against localstripe (tests/e2e/test_crm_activation.py)."""

import json

from odoo.addons.queue_job.job import Job
from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from .common import (
    PRICE_PRO,
    PRICE_SEATS,
    create_hubspot_backend,
    create_salesforce_backend,
    deliver_hubspot,
    deliver_salesforce,
    hubspot_event,
    outbound_message,
    salesforce_opportunity,
    salesforce_peer,
    start_hubspot,
    start_salesforce,
    won_hubspot_deal,
)


def activation_jobs(env, activation):
    return (
        env["queue.job"]
        .search([("model_name", "=", "saas.crm.activation"), ("records", "!=", False)])
        .filtered(lambda job: job.records == activation)
    )


@tagged("post_install", "-at_install")
class TestHubspotDealActivation(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_hubspot(cls)
        cls.backend = create_hubspot_backend(cls.env, cls.peer)
        # A custom pipeline whose won stage is a GUID, as HubSpot makes them.
        cls.peer.add_pipeline(
            "p-enterprise",
            "Enterprise",
            [
                ("4a1f6a3e-0c47-4f59-9d38-2c6a7d3f1b10", "Signed", True, "1.0"),
                ("closedwon", "Negotiation (misleadingly named)", False, "0.8"),
            ],
        )

    def activations(self):
        return self.env["saas.crm.activation"].search([("backend_id", "=", self.backend.id)])

    def test_a_won_deal_becomes_one_activation_with_its_partner_and_items(self):
        deal_id = won_hubspot_deal(self.peer, lines=(("PRO", 1), ("SEATS", 5), ("SEATS", 2)))
        events = deliver_hubspot(
            self.env, self.backend, hubspot_event(deal_id, propertyName="dealstage")
        )
        run_jobs(self.env)
        self.assertEqual(events.state, "done", events.last_error)
        activation = self.activations()
        self.assertEqual(len(activation), 1)
        self.assertEqual(activation.deal_external_id, f"deal/{deal_id}")
        self.assertEqual(activation.state, "pending")
        self.assertEqual(activation.correlation_id, events.correlation_id)
        self.assertEqual(
            json.loads(activation.stripe_items),
            [{"plan": PRICE_PRO, "quantity": 1}, {"plan": PRICE_SEATS, "quantity": 7}],
        )
        partner = activation.partner_id
        self.assertEqual(partner.name, "Acme Rockets")
        self.assertTrue(partner.is_company)
        self.assertEqual(partner.company_id, self.backend.company_id)
        self.assertEqual(sorted(partner.child_ids.mapped("name")), ["Road Coyote", "Wile Coyote"])
        self.assertTrue(all(partner.child_ids.mapped("email")))
        # The event's trace shows what it made; the Stripe call waits in its own job.
        self.assertEqual(
            events.record_ids.mapped("res_model"), ["res.partner", "saas.crm.activation"]
        )
        self.assertEqual(len(activation_jobs(self.env, activation)), 1)

    def test_won_comes_from_the_stage_metadata_not_its_name(self):
        won = won_hubspot_deal(
            self.peer, stage="4a1f6a3e-0c47-4f59-9d38-2c6a7d3f1b10", pipeline="p-enterprise"
        )
        named_closedwon = won_hubspot_deal(self.peer, stage="closedwon", pipeline="p-enterprise")
        deliver_hubspot(
            self.env,
            self.backend,
            hubspot_event(won, event_id=1),
            hubspot_event(named_closedwon, event_id=2),
        )
        run_jobs(self.env)
        self.assertEqual(self.activations().mapped("deal_external_id"), [f"deal/{won}"])

    def test_a_deal_not_won_activates_nothing(self):
        deal_id = won_hubspot_deal(self.peer, stage="contractsent")
        events = deliver_hubspot(self.env, self.backend, hubspot_event(deal_id))
        run_jobs(self.env)
        self.assertEqual(events.state, "done")
        self.assertFalse(self.activations())

    def test_redeliveries_and_later_won_events_give_one_activation(self):
        deal_id = won_hubspot_deal(self.peer)
        first = hubspot_event(deal_id, event_id=1, propertyName="dealstage")
        deliver_hubspot(self.env, self.backend, first)
        run_jobs(self.env)
        # HubSpot's retry of the same batch, then another change of the won deal.
        self.assertFalse(deliver_hubspot(self.env, self.backend, {**first, "attemptNumber": 1}))
        self.peer.crm_update("deals", deal_id, {"amount": "600"})
        later = hubspot_event(
            deal_id, event_id=2, occurredAt=first["occurredAt"] + 1000, propertyName="amount"
        )
        self.assertTrue(deliver_hubspot(self.env, self.backend, later))
        run_jobs(self.env)
        activation = self.activations()
        self.assertEqual(len(activation), 1)
        self.assertEqual(len(activation_jobs(self.env, activation)), 1)
        # One partner for the company and one per contact, each bound once.
        bound = self.env["saas.binding"].search(
            [("backend_id", "=", self.backend.id), ("res_model", "=", "res.partner")]
        )
        self.assertEqual(len(bound), 3)
        self.assertEqual(len(set(bound.mapped("res_id"))), 3)

    def test_an_activation_through_with_stripe_is_not_run_again(self):
        deal_id = won_hubspot_deal(self.peer)
        deliver_hubspot(self.env, self.backend, hubspot_event(deal_id))
        run_jobs(self.env)
        activation = self.activations()
        activation.write(
            {"stripe_customer_id": "cus_1", "stripe_subscription_id": "sub_1", "state": "done"}
        )
        # Run again (a job left over, a retry): it reads the record and calls nothing.
        self.assertIn("Nothing to do", activation._run_step())
        self.assertEqual(activation.stripe_subscription_id, "sub_1")

    def test_a_retry_after_a_refusal_resumes_with_new_idempotency_keys(self):
        deal_id = won_hubspot_deal(self.peer)
        deliver_hubspot(self.env, self.backend, hubspot_event(deal_id))
        run_jobs(self.env)
        activation = self.activations()
        keys = activation._idempotency_key("subscription")
        activation.write(
            {"stripe_customer_id": "cus_1", "state": "failed", "error": "Stripe said no"}
        )
        # The button answers what XML-RPC can carry (scripts retry activations too).
        self.assertIs(activation.action_retry(), True)
        self.assertEqual(activation.state, "customer", "the customer is not made again")
        self.assertFalse(activation.error)
        # Stripe answers a key it refused with the same refusal: the retry asks anew.
        self.assertNotEqual(activation._idempotency_key("subscription"), keys)
        self.assertEqual(len(activation_jobs(self.env, activation)), 2)

    def give_up(self, activation, exc_name, exc_message):
        """What queue_job does with the activation's waiting Stripe call when it gives up."""
        [record] = activation_jobs(self.env, activation).filtered(
            lambda job: job.state == "pending"
        )
        job = Job.load(self.env, record.uuid)
        failure = {"exc_name": exc_name, "exc_message": exc_message, "exc_info": exc_message}
        job.set_failed(**failure)
        job.store()
        job.on_fail(failure)

    def test_a_stripe_call_queue_job_gives_up_on_fails_the_activation(self):
        deal_id = won_hubspot_deal(self.peer)
        deliver_hubspot(self.env, self.backend, hubspot_event(deal_id))
        run_jobs(self.env)
        activation = self.activations()
        self.assertEqual(activation.state, "pending")
        self.give_up(
            activation,
            "odoo.addons.queue_job.exception.FailedJobError",
            "Max. retries (5) reached: Stripe is unreachable",
        )
        self.assertEqual(activation.state, "failed")
        self.assertEqual(
            activation.error,
            "The Stripe call was given up: Max. retries (5) reached: Stripe is unreachable",
        )
        self.assertTrue(self.backend.activity_ids, "someone is told")

    def test_a_stripe_call_that_lost_the_database_is_made_again(self):
        deal_id = won_hubspot_deal(self.peer)
        deliver_hubspot(self.env, self.backend, hubspot_event(deal_id))
        run_jobs(self.env)
        activation = self.activations()
        self.give_up(activation, "psycopg2.OperationalError", "server closed the connection")
        self.assertEqual(activation.state, "pending")
        self.assertEqual(
            activation_jobs(self.env, activation).mapped("state"), ["pending", "failed"]
        )

    def test_an_unmapped_product_fails_the_event_naming_it(self):
        deal_id = won_hubspot_deal(self.peer, lines=(("PRO", 1), ("ENTERPRISE-SSO", 1)))
        events = deliver_hubspot(self.env, self.backend, hubspot_event(deal_id))
        run_jobs(self.env)
        self.assertEqual(events.state, "failed")
        self.assertIn("ENTERPRISE-SSO", events.last_error)
        self.assertIn("not mapped to a Stripe price", events.last_error)
        self.assertFalse(self.activations())

    def test_a_partner_found_by_vat_is_reused(self):
        self.peer.properties["companies"]["vat_number"] = self.peer._property(
            "companies", "vat_number", "string"
        )
        self.backend.crm_company_vat_field = "vat_number"
        existing = self.env["res.partner"].create(
            {"name": "Acme (accounting)", "is_company": True, "vat": "BE0477472701"}
        )
        deal_id = won_hubspot_deal(self.peer)
        company_id = self.peer.objects["companies"][max(self.peer.objects["companies"])]["id"]
        self.peer.crm_update("companies", company_id, {"vat_number": "BE0477472701"})
        deliver_hubspot(self.env, self.backend, hubspot_event(deal_id))
        run_jobs(self.env)
        self.assertEqual(self.activations().partner_id, existing)


@tagged("post_install", "-at_install")
class TestSalesforceOpportunityActivation(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_salesforce(cls)
        cls.backend = create_salesforce_backend(cls.env, cls.peer)

    def opportunity(self, stage):
        return salesforce_opportunity(self.peer, stage)

    def message(self, opportunity, notification_id, **fields):
        return outbound_message(opportunity, notification_id, **fields)

    def deliver(self, body):
        return deliver_salesforce(self.env, self.backend, body)

    def activations(self):
        return self.env["saas.crm.activation"].search([("backend_id", "=", self.backend.id)])

    def test_a_won_opportunity_becomes_one_activation(self):
        opportunity = self.opportunity("Closed Won")
        events = self.deliver(
            self.message(opportunity, "04l000000000001AAA", StageName="Closed Won", IsWon="true")
        )
        events |= self.deliver(
            self.message(opportunity, "04l000000000002AAA", StageName="Closed Won")
        )
        run_jobs(self.env)
        self.assertEqual(set(events.mapped("state")), {"done"}, events.mapped("last_error"))
        activation = self.activations()
        self.assertEqual(len(activation), 1)
        self.assertEqual(activation.deal_external_id, f"Opportunity/{opportunity}")
        self.assertEqual(activation.partner_id.name, "Globex")
        self.assertEqual(activation.partner_id.child_ids.email, "hank@globex.example")
        self.assertEqual(activation.stripe_items, f'[{{"plan": "{PRICE_PRO}", "quantity": 3}}]')

    def test_a_won_opportunity_of_a_single_currency_org_activates_in_its_currency(self):
        # Such an org has no CurrencyIsoCode field at all: a query naming it is refused.
        org = salesforce_peer.SalesforcePeer(multi_currency=False, currency="EUR")
        org.start()
        self.addCleanup(org.stop)
        self.backend.salesforce_my_domain_url = org.url
        opportunity = salesforce_opportunity(org, "Closed Won")
        events = self.deliver(self.message(opportunity, "04l000000000005AAA", IsWon="true"))
        run_jobs(self.env)
        self.assertEqual(events.state, "done", events.last_error)
        self.assertEqual(len(self.activations()), 1)
        self.assertEqual(self.backend._crm_api().opportunity(opportunity).currency, "EUR")

    def test_a_change_made_by_the_integration_user_is_ignored(self):
        self.backend.salesforce_integration_user_id = "0055g00000INTEGAAA"
        opportunity = self.opportunity("Closed Won")
        message = self.message(
            opportunity,
            "04l000000000004AAA",
            IsWon="true",
            LastModifiedById="0055g00000INTEGAAA",
        )
        events = self.deliver(message)
        run_jobs(self.env)
        self.assertEqual(events.state, "done")
        self.assertIn("Odoo's own write", events.note)
        self.assertFalse(self.activations())

    def test_a_message_claiming_won_is_checked_against_the_org(self):
        opportunity = self.opportunity("Prospecting")
        events = self.deliver(self.message(opportunity, "04l000000000003AAA", IsWon="true"))
        run_jobs(self.env)
        self.assertEqual(events.state, "done")
        self.assertFalse(self.activations())
