"""A won deal changed after its activation: new quantities or lines become the Stripe
subscription's items (one job per activation, an idempotency key per change); a deal lost,
reopened or deleted never cancels billing — the activation is flagged and a person gets a
to-do. The Stripe call is proven against localstripe in tests/e2e/test_crm_activation.py;
here a recorder stands in for the Stripe API."""

import json
from unittest.mock import patch

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from .common import (
    PRICE_PRO,
    PRICE_SEATS,
    create_hubspot_backend,
    deliver_hubspot,
    hubspot_event,
    start_hubspot,
    won_hubspot_deal,
)


class StripeRecorder:
    """The two calls the item update makes, answered as Stripe would for a subscription
    with one item of ``PRICE_PRO``."""

    def __init__(self, quantity):
        self.quantity = quantity
        self.updates = []

    def retrieve(self, service, external_id):
        return {
            "id": external_id,
            "items": {
                "data": [{"id": "si_pro", "price": {"id": PRICE_PRO}, "quantity": self.quantity}]
            },
        }

    def update_object(self, service, external_id, params, idempotency_key):
        self.updates.append((service, external_id, params, idempotency_key))
        return {"id": external_id}


@tagged("post_install", "-at_install")
class TestHubspotDealChanges(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_hubspot(cls)
        cls.backend = create_hubspot_backend(cls.env, cls.peer)

    def activated_deal(self, lines=(("PRO", 1),)):
        """A won deal whose activation went through Stripe; returns it and the deal id."""
        deal_id = won_hubspot_deal(self.peer, lines=lines)
        deliver_hubspot(self.env, self.backend, hubspot_event(deal_id, propertyName="dealstage"))
        run_jobs(self.env)
        activation = self.env["saas.crm.activation"].search(
            [("backend_id", "=", self.backend.id), ("deal_external_id", "=", f"deal/{deal_id}")]
        )
        activation.write(
            {"state": "done", "stripe_customer_id": "cus_1", "stripe_subscription_id": "sub_1"}
        )
        return activation, deal_id

    def line_items(self, deal_id):
        return list(self.peer.associations[("deals", str(deal_id), "line_items")])

    def change(self, deal_id, event_id, **extra):
        deliver_hubspot(
            self.env,
            self.backend,
            hubspot_event(
                deal_id, event_id=event_id, occurredAt=2_000_000_000_000 + event_id, **extra
            ),
        )
        run_jobs(self.env)

    def test_a_quantity_change_updates_the_stripe_items_once(self):
        activation, deal_id = self.activated_deal()
        self.peer.crm_update("line_items", self.line_items(deal_id)[0], {"quantity": "4"})
        self.change(deal_id, 10, propertyName="amount")
        self.assertEqual(json.loads(activation.stripe_items), [{"plan": PRICE_PRO, "quantity": 4}])
        self.assertEqual(activation.items_revision, 1)
        job = self.env["queue.job"].search(
            [("identity_key", "=", f"saas.crm.activation:{activation.id}:items")]
        )
        self.assertEqual(len(job), 1)
        stripe = StripeRecorder(quantity=1)
        with patch.object(type(activation.stripe_backend_id), "_stripe_api", lambda self: stripe):
            activation._update_stripe_items()
            # Run again (a retry after a lost answer): the same key, so Stripe applies it once.
            activation._update_stripe_items()
        self.assertEqual(
            stripe.updates[0],
            (
                "subscriptions",
                "sub_1",
                {"items": [{"id": "si_pro", "quantity": 4}]},
                f"saas-crm-{activation.activation_key}-items-1-0",
            ),
        )
        self.assertEqual(stripe.updates[0], stripe.updates[1])
        # The same lines delivered again change nothing.
        self.change(deal_id, 11, propertyName="amount")
        self.assertEqual(activation.items_revision, 1)

    def test_a_new_line_is_added_and_a_removed_one_deleted(self):
        activation, _deal_id = self.activated_deal()
        activation.stripe_items = json.dumps([{"plan": PRICE_SEATS, "quantity": 3}])
        activation.items_revision = 1
        stripe = StripeRecorder(quantity=1)
        with patch.object(type(activation.stripe_backend_id), "_stripe_api", lambda self: stripe):
            activation._update_stripe_items()
        self.assertEqual(
            stripe.updates[0][2],
            {
                "items": [
                    {"plan": PRICE_SEATS, "quantity": 3},
                    {"id": "si_pro", "deleted": True},
                ]
            },
        )

    def test_a_lost_deal_is_flagged_and_billing_goes_on(self):
        activation, deal_id = self.activated_deal()
        self.peer.crm_update("deals", deal_id, {"dealstage": "closedlost"})
        self.change(deal_id, 20, propertyName="dealstage")
        self.assertEqual(activation.deal_state, "not_won")
        self.assertEqual(activation.state, "done")
        self.assertEqual(len(activation.activity_ids), 1)
        self.assertIn("never cancels", activation.activity_ids.note)
        # Won again: no longer flagged.
        self.peer.crm_update("deals", deal_id, {"dealstage": "closedwon"})
        self.change(deal_id, 21, propertyName="dealstage")
        self.assertEqual(activation.deal_state, "won")

    def test_a_deleted_deal_is_flagged(self):
        activation, deal_id = self.activated_deal()
        self.peer.crm_delete("deals", deal_id)
        self.change(deal_id, 30, subscriptionType="deal.deletion")
        self.assertEqual(activation.deal_state, "deleted")
        self.assertEqual(activation.state, "done")
        self.assertTrue(activation.activity_ids)

    def test_a_deal_lost_before_its_subscription_holds_the_activation(self):
        deal_id = won_hubspot_deal(self.peer)
        self.change(deal_id, 40, propertyName="dealstage")
        activation = self.env["saas.crm.activation"].search(
            [("backend_id", "=", self.backend.id), ("deal_external_id", "=", f"deal/{deal_id}")]
        )
        self.peer.crm_update("deals", deal_id, {"dealstage": "closedlost"})
        self.change(deal_id, 41, propertyName="dealstage")
        self.assertEqual(activation.deal_state, "not_won")
        self.assertIn("held", activation.activity_ids.note)
        # The Stripe call is not made: no API is even asked for.
        with patch.object(
            type(activation.stripe_backend_id), "_stripe_api", side_effect=AssertionError
        ):
            self.assertIn("Held", activation._run_step())
        self.assertEqual(activation.state, "pending")
