"""Subscriptions in Stripe ↔ Odoo reconciliation: every subscription of the account as it is
now, compared with Odoo's by status, prices and quantities, and MRR per currency; Re-sync
applies Stripe's subscription through the event path.

Stripe's side is the API peer of ``test_reconciliation``; the subscription is the recorded
localstripe one (gold-monthly, 20.00 EUR a month)."""

import copy

from odoo.tests import tagged

from .common import fixture, variant
from .test_reconciliation import StripeReconciliationCase, api_object

LOCALSTRIPE_SUBSCRIPTION = "localstripe-2017-08-15/customer_subscription_created.json"
SUMMARY = "Subscriptions (live, MRR)"


@tagged("post_install", "-at_install")
class TestStripeSubscriptionReconciliation(StripeReconciliationCase):
    def setUp(self):
        super().setUp()
        self.apply_all()

    def subscribe(self, subscription_id="sub_LsSub0001"):
        """The subscription as Odoo got it from its webhook: quantity 1, 20.00 EUR a month."""
        (event,) = self.apply(
            variant(
                fixture(LOCALSTRIPE_SUBSCRIPTION),
                event_id=f"evt_created_{subscription_id}",
                id=subscription_id,
            )
        )
        self.assertEqual(event.state, "done", event.last_error)
        return self.bound("saas.subscription", subscription_id)

    def stripe_subscription(
        self, subscription_id="sub_LsSub0001", quantity=1, amount=2000, **changes
    ):
        subscription = api_object(LOCALSTRIPE_SUBSCRIPTION)
        subscription.update(id=subscription_id, quantity=quantity, **changes)
        item = subscription["items"]["data"][0]
        item["quantity"] = quantity
        item["plan"]["amount"] = amount
        return subscription

    def serve_subscriptions(self, *subscriptions):
        self.peer.answers["/v1/subscriptions"] = self.list_answer(list(subscriptions))
        for obj in subscriptions:
            self.peer.answers[f"/v1/subscriptions/{obj['id']}"] = lambda query, obj=obj: (
                200,
                copy.deepcopy(obj),
            )

    def subscription_drift(self, run):
        return run.drift_ids.filtered(lambda d: d.object_type == "subscription")

    def test_upgrade_whose_event_never_arrived_is_drift_and_resync_applies_it(self):
        subscription = self.subscribe()
        self.assertEqual(subscription.mrr_in_currency, 20.0)
        # In Stripe the customer went from 1 seat to 5; customer.subscription.updated was lost.
        self.serve_subscriptions(self.stripe_subscription(quantity=5))
        run = self.reconcile()
        drift = self.subscription_drift(run)
        self.assertRecordValues(
            drift,
            [
                {
                    "external_id": "sub_LsSub0001",
                    "kind": "items_mismatch",
                    "provider_status": "active",
                    "odoo_status": "active",
                    "provider_amount": 100.0,
                    "odoo_amount": 20.0,
                    "state": "open",
                }
            ],
        )
        self.assertEqual(drift.currency_id.name, "EUR")
        self.assertEqual(
            drift.message,
            # The subscription is named as everywhere in Odoo: customer, plan (the product,
            # named after its id until its own event comes) and interval.
            "Stripe sells gold-monthly x 5 (MRR 100.00 EUR); Ada Lovelace — prod_LsGold0001 — "
            "monthly has gold-monthly x 1 (MRR 20.00 EUR).",
        )
        self.assertEqual(self.summary(run)[SUMMARY], (1, 100.0, 1, 20.0))
        self.assertEqual(run.open_drift_count, 1, "invoices and payments are in step")

        drift.action_resync()
        self.assertEqual(drift.state, "fixed", drift.message)
        self.assertEqual(subscription.item_ids.quantity, 5)
        self.assertEqual(subscription.mrr_in_currency, 100.0)
        self.assertEqual(subscription.history_ids.sorted("id")[-1].movement, "expansion")
        again = self.reconcile()
        self.assertFalse(again.drift_ids)
        self.assertEqual(self.summary(again)[SUMMARY], (1, 100.0, 1, 100.0))

    def test_each_kind_of_subscription_drift(self):
        self.subscribe("sub_Canceled")
        self.subscribe("sub_OnlyInOdoo")
        self.subscribe("sub_Repriced")
        self.serve_subscriptions(
            # Canceled in Stripe during the period; Odoo never heard of it.
            self.stripe_subscription(
                "sub_Canceled", status="canceled", canceled_at=1505000000, ended_at=1505000000
            ),
            self.stripe_subscription("sub_OnlyInStripe"),
            # Same price and quantity; the price's amount changed.
            self.stripe_subscription("sub_Repriced", amount=2500),
            # Ended before the period and never in Odoo: not this period's business.
            self.stripe_subscription(
                "sub_LongGone", status="canceled", canceled_at=1500000000, ended_at=1500000000
            ),
        )
        run = self.reconcile()
        self.assertEqual(
            self.drift(run),
            {
                ("subscription", "sub_Canceled", "status_mismatch"),
                ("subscription", "sub_OnlyInStripe", "missing_in_odoo"),
                ("subscription", "sub_OnlyInOdoo", "missing_in_provider"),
                ("subscription", "sub_Repriced", "mrr_mismatch"),
            },
        )
        by_id = {d.external_id: d for d in run.drift_ids}
        self.assertEqual(
            by_id["sub_Canceled"].message,
            "canceled in Stripe, active on Ada Lovelace — prod_LsGold0001 — monthly.",
        )
        self.assertEqual(
            by_id["sub_Repriced"].message,
            "MRR 25.00 EUR in Stripe, 20.00 EUR on Ada Lovelace — prod_LsGold0001 — monthly.",
        )
        # Live subscriptions: in Stripe the new one and the repriced one; in Odoo three.
        self.assertEqual(self.summary(run)[SUMMARY], (2, 45.0, 3, 60.0))

        run.drift_ids.action_resync()
        states = {d.external_id: d.state for d in run.drift_ids}
        self.assertEqual(
            states,
            {
                "sub_Canceled": "fixed",
                "sub_OnlyInStripe": "fixed",
                "sub_Repriced": "fixed",
                "sub_OnlyInOdoo": "failed",
            },
        )
        self.assertIn(
            "Stripe answers that sub_OnlyInOdoo does not exist", by_id["sub_OnlyInOdoo"].message
        )
        canceled = self.bound("saas.subscription", "sub_Canceled")
        self.assertEqual((canceled.state, canceled.mrr_in_currency), ("canceled", 0.0))
        self.assertEqual(self.bound("saas.subscription", "sub_Repriced").mrr_in_currency, 25.0)
        self.assertEqual(
            self.drift(self.reconcile()),
            {("subscription", "sub_OnlyInOdoo", "missing_in_provider")},
        )
