"""Subscription events that Stripe's whole-second timestamps cannot order: a cancellation is
never undone by states of its own second delivered again under other event ids, and events of
one second apply Stripe's current subscription, read through the API (the peer of
``stripe_api_peer``); without the API, only a later stage of the lifecycle (a deletion after an
update) replaces a state of its second."""

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from .common import create_stripe_backend, deliver, fixture, variant
from .stripe_api_peer import start_api_peer
from .test_subscription import (
    SYNC_ENGINE_CREATED,
    SYNC_ENGINE_DELETED,
    SYNC_ENGINE_START,
    SYNC_ENGINE_SUB,
    priced,
)

# When the subscription was canceled (the second of its deletion event).
CANCELED_AT = 1623149102
UPDATED = "customer.subscription.updated"
DELETED = "customer.subscription.deleted"


def active(event_id, created, event_type=UPDATED, quantity=1):
    """The subscription active at 29.00 USD a month per unit."""
    payload = variant(fixture(SYNC_ENGINE_CREATED), event_id, created, event_type)
    return priced(payload, 2900, quantity)


def canceled(event_id, created=CANCELED_AT, event_type=DELETED):
    return priced(variant(fixture(SYNC_ENGINE_DELETED), event_id, created, event_type), 2900)


class SubscriptionEventOrderCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_stripe_backend(cls.env)

    def apply(self, *payloads):
        events = deliver(self.env, self.backend, *payloads)
        run_jobs(self.env)
        return events

    def subscription(self):
        return self.env["saas.binding"].lookup(self.backend, "saas.subscription", SYNC_ENGINE_SUB)

    def cancel_then_redeliver(self, *redelivered):
        """Active, canceled, then ``redelivered`` (states of the cancellation's second under
        new event ids), delivered together. Returns the redelivered events."""
        self.apply(active("evt_created", SYNC_ENGINE_START, "customer.subscription.created"))
        self.apply(canceled("evt_canceled"))
        self.assertEqual(self.subscription().state, "canceled")
        return self.apply(*redelivered)

    def assert_canceled_once(self):
        subscription = self.subscription()
        self.assertRecordValues(subscription, [{"state": "canceled", "mrr": 0.0}])
        history = subscription.history_ids.sorted(lambda row: (row.date, row.id))
        self.assertEqual(
            [(row.state_after, row.movement, row.mrr_after) for row in history],
            [("active", "new", 29.0), ("canceled", "churn", 0.0)],
        )


@tagged("post_install", "-at_install")
class TestSubscriptionEventOrderWithoutApi(SubscriptionEventOrderCase):
    def test_update_then_cancellation_of_its_second_again_keep_it_canceled(self):
        events = self.cancel_then_redeliver(
            active("evt_active_again", CANCELED_AT),
            canceled("evt_canceled_again", event_type=UPDATED),
        )
        self.assert_canceled_once()
        self.assertEqual(events.mapped("state"), ["stale", "stale"])

    def test_cancellation_then_update_of_its_second_again_keep_it_canceled(self):
        events = self.cancel_then_redeliver(
            canceled("evt_canceled_again", event_type=UPDATED),
            active("evt_active_again", CANCELED_AT),
        )
        self.assert_canceled_once()
        self.assertEqual(events.mapped("state"), ["stale", "stale"])


@tagged("post_install", "-at_install")
class TestSubscriptionEventOrderWithApi(SubscriptionEventOrderCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_api_peer(cls, cls.backend)

    def setUp(self):
        super().setUp()
        self.peer.requests.clear()
        self.stripe_has(canceled("evt_unused")["data"]["object"])

    def stripe_has(self, subscription):
        """What ``GET /v1/subscriptions/<id>`` answers: the subscription as it is now."""
        self.peer.answers[f"/v1/subscriptions/{SYNC_ENGINE_SUB}"] = lambda query: (
            200,
            subscription,
        )

    def test_update_then_cancellation_of_its_second_again_keep_it_canceled(self):
        events = self.cancel_then_redeliver(
            active("evt_active_again", CANCELED_AT), canceled("evt_canceled_again")
        )
        self.assert_canceled_once()
        self.assertEqual(events.mapped("state"), ["stale", "stale"])
        self.assertIn(
            f"/v1/subscriptions/{SYNC_ENGINE_SUB}", [path for path, _q in self.peer.requests]
        )

    def test_cancellation_then_update_of_its_second_again_keep_it_canceled(self):
        events = self.cancel_then_redeliver(
            canceled("evt_canceled_again"), active("evt_active_again", CANCELED_AT)
        )
        self.assert_canceled_once()
        self.assertEqual(events.mapped("state"), ["stale", "stale"])

    def test_two_updates_of_one_second_in_reversed_order_apply_the_current_subscription(self):
        self.apply(active("evt_created", SYNC_ENGINE_START, "customer.subscription.created"))
        upgraded_at = SYNC_ENGINE_START + 100
        upgraded = active("evt_upgraded", upgraded_at, quantity=2)
        self.stripe_has(upgraded["data"]["object"])
        # The upgrade arrives before the state it replaced, stamped in the same second.
        events = self.apply(upgraded, active("evt_before_upgrade", upgraded_at))
        subscription = self.subscription()
        self.assertRecordValues(subscription, [{"state": "active", "mrr": 58.0}])
        self.assertEqual(events.mapped("state"), ["stale", "stale"], events.mapped("last_error"))
        self.assertEqual(
            subscription.history_ids.sorted("id").mapped("movement"), ["new", "expansion"]
        )
        read = self.env["saas.event"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=like", "evt_sync_%")]
        )
        self.assertEqual(read.mapped("state"), ["done"])
        self.assertEqual(
            events[0].note,
            "Stamped in the same second as another state of this object, which time cannot "
            f"order; the current state was read from the provider: {read.external_id}.",
        )
