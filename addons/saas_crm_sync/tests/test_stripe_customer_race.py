"""The Stripe customer an activation creates has one partner, the deal's, whichever comes
first: the activation's commit of the customer it created, or the customer's own
``customer.created`` webhook. The webhook may well come first — the job that made the call
is still running, or died before its commit and is retried (Stripe then answers the same
idempotency key with the same customer). A recorder stands in for the Stripe API call; the
webhook is the recorded localstripe event of a customer, made the one the call created."""

import contextlib
from unittest.mock import patch

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.addons.saas_stripe.tests.common import deliver, fixture, variant
from odoo.tests import TransactionCase, tagged

from .common import (
    create_hubspot_backend,
    deliver_hubspot,
    hubspot_event,
    start_hubspot,
    won_hubspot_deal,
)

CUSTOMER_CREATED = "localstripe-2017-08-15/customer_created.json"


class StripeCustomers:
    """Stripe's answers to customer creations: one customer per idempotency key, as Stripe
    keeps them."""

    def __init__(self):
        self.by_key = {}

    def create_object(self, service, params, idempotency_key):
        assert service == "customers", service
        number = len(self.by_key) + 1
        return self.by_key.setdefault(
            idempotency_key, {"id": f"cus_Race{number:04d}", "object": "customer", **params}
        )


@tagged("post_install", "-at_install")
class TestStripeCustomerRace(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_hubspot(cls)
        cls.backend = create_hubspot_backend(cls.env, cls.peer)
        cls.stripe_backend = cls.backend.crm_stripe_backend_id
        cls.bindings = cls.env["saas.binding"]

    def setUp(self):
        super().setUp()
        self.stripe = StripeCustomers()
        stripe_backend_class = type(self.stripe_backend)
        patcher = patch.object(stripe_backend_class, "_stripe_api", lambda _self: self.stripe)
        patcher.start()
        self.addCleanup(patcher.stop)

    def won_activation(self):
        deal_id = won_hubspot_deal(self.peer)
        deliver_hubspot(self.env, self.backend, hubspot_event(deal_id, propertyName="dealstage"))
        run_jobs(self.env)
        return self.env["saas.crm.activation"].search(
            [("backend_id", "=", self.backend.id), ("deal_external_id", "=", f"deal/{deal_id}")]
        )

    def create_customer_uncommitted(self, activation):
        """The activation's customer call made in Stripe, its transaction not committed (yet,
        or ever: the job died). Returns the customer Stripe has."""
        with contextlib.closing(self.env.cr.savepoint()):
            activation._run_step()
        self.assertEqual(activation.state, "pending", "nothing of the call was committed")
        return next(iter(self.stripe.by_key.values()))

    def customer_created(self, customer):
        """Stripe's ``customer.created`` event of ``customer``, delivered and processed."""
        payload = variant(
            fixture(CUSTOMER_CREATED),
            event_id=f"evt_created_{customer['id']}",
            id=customer["id"],
            name=customer["name"],
            email=customer.get("email"),
            metadata=customer["metadata"],
            phone=None,
            address=None,
            business_vat_id=None,
            tax_ids={"object": "list", "data": []},
        )
        event = deliver(self.env, self.stripe_backend, payload)
        run_jobs(self.env)
        self.assertEqual(event.state, "done", event.last_error)
        return event

    def assert_both_bindings(self, partner, customer):
        """``partner`` carries the CRM company's id and the Stripe customer's, and no other."""
        keys = (
            self.env["saas.binding"]
            .search([("res_model", "=", "res.partner"), ("res_id", "=", partner.id)])
            .mapped("external_id")
        )
        self.assertEqual(
            sorted(key.partition("/")[0] for key in keys), ["company", customer["id"]]
        )

    def partner_count(self):
        return self.env["res.partner"].with_context(active_test=False).search_count([])

    def test_the_customer_webhook_before_the_activation_commits_finds_the_deal_partner(self):
        activation = self.won_activation()
        partner, partners = activation.partner_id, self.partner_count()
        customer = self.create_customer_uncommitted(activation)

        event = self.customer_created(customer)
        self.assertEqual(event.record_ids.mapped("res_id"), partner.ids)
        self.assertEqual(
            self.bindings.lookup(self.stripe_backend, "res.partner", customer["id"]), partner
        )
        # The job runs again (or commits at last): the same customer, the same partner.
        activation._run_step()
        self.assertEqual(activation.stripe_customer_id, customer["id"])
        self.assertEqual(len(self.stripe.by_key), 1)
        self.assertEqual(
            self.bindings.lookup(self.stripe_backend, "res.partner", customer["id"]), partner
        )
        self.assertEqual(self.partner_count(), partners, "no second partner of the customer")
        self.assert_both_bindings(partner, customer)

    def test_the_customer_webhook_after_the_activation_updates_the_deal_partner(self):
        activation = self.won_activation()
        partner, partners = activation.partner_id, self.partner_count()
        activation._run_step()
        customer = next(iter(self.stripe.by_key.values()))

        event = self.customer_created(customer)
        self.assertEqual(event.record_ids.mapped("res_id"), partner.ids)
        self.assertEqual(
            self.bindings.lookup(self.stripe_backend, "res.partner", customer["id"]), partner
        )
        self.assertEqual(self.partner_count(), partners)
        self.assert_both_bindings(partner, customer)

    def test_metadata_naming_an_activation_that_did_not_make_the_customer_is_not_trusted(self):
        activation = self.won_activation()
        activation._run_step()
        made = next(iter(self.stripe.by_key.values()))
        partners = self.partner_count()
        # Another customer whose metadata was copied from the activation's (in Stripe's
        # dashboard): the activation has its own customer, so this one is a new customer.
        copied = {**made, "id": "cus_CopiedMetadata1", "name": "Copy of Acme"}

        self.customer_created(copied)
        other = self.bindings.lookup(self.stripe_backend, "res.partner", "cus_CopiedMetadata1")
        self.assertEqual(other.name, "Copy of Acme")
        self.assertNotEqual(other, activation.partner_id)
        self.assertEqual(self.partner_count(), partners + 1)
