"""Stripe subscriptions of several API versions become subscriptions with their MRR in the
company currency, and every change of state or MRR a classified history row."""

import copy
from datetime import datetime, timedelta

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from .common import create_stripe_backend, deliver, fixture, variant
from .stripe_api_peer import start_api_peer

LOCALSTRIPE_CUSTOMER = "localstripe-2017-08-15/customer_created.json"
LOCALSTRIPE_CREATED = "localstripe-2017-08-15/customer_subscription_created.json"
SYNC_ENGINE_CREATED = "stripe-sync-engine/subscription_created.json"
SYNC_ENGINE_DELETED = "stripe-sync-engine/subscription_deleted.json"
PAY_BASIL_UPDATED = "pay/subscription.updated.json"

SYNC_ENGINE_SUB = "sub_JdIzvfy6o5GZRd"
SYNC_ENGINE_START = 1623148918  # 2021-06-08 10:41:58 UTC


def priced(payload, unit_amount, quantity=1, *, interval="month", interval_count=1, currency=None):
    """A copy of a subscription event whose first item is at ``unit_amount`` minor units per
    ``interval_count`` ``interval`` for ``quantity``: how a test prices the recorded
    subscriptions (their prices are free or fixed). Both the price and the legacy plan of the
    item change, whichever the payload carries."""
    event = copy.deepcopy(payload)
    item = event["data"]["object"]["items"]["data"][0]
    item["quantity"] = quantity
    for price in filter(None, (item.get("price"), item.get("plan"))):
        # A price keeps its interval under ``recurring``; a plan, or a price in the shape of
        # one, at the top, next to ``amount``.
        price["currency"] = currency or price["currency"]
        for key in ("unit_amount", "amount"):
            if key in price:
                price[key] = unit_amount
        for key in ("unit_amount_decimal", "amount_decimal"):
            if key in price:
                price[key] = str(unit_amount)
        (price.get("recurring") or price).update(interval=interval, interval_count=interval_count)
    return event


def envelope(data_section, event_type, event_id, created):
    """An event around a fixture that holds only the event's data section."""
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": created,
        "livemode": False,
        "api_version": "2025-03-31.basil",
        "data": copy.deepcopy(data_section),
    }


@tagged("post_install", "-at_install")
class TestStripeSubscription(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_stripe_backend(cls.env)
        cls.bindings = cls.env["saas.binding"]
        cls.usd = cls.env.ref("base.USD")
        cls.eur = cls.env.ref("base.EUR")
        cls.jpy = cls.env.ref("base.JPY")
        company = cls.backend.company_id
        # The figures below are in USD: the company of a fresh test database.
        assert company.currency_id == cls.usd
        rates = cls.env["res.currency.rate"]
        for currency, rate in ((cls.eur, 0.8), (cls.jpy, 150.0)):
            rates.create(
                {
                    "currency_id": currency.id,
                    "company_id": company.id,
                    "name": "2000-01-01",
                    "rate": rate,
                }
            )

    def apply(self, *payloads):
        events = deliver(self.env, self.backend, *payloads)
        run_jobs(self.env)
        return events

    def subscription_of(self, subscription_id):
        return self.bindings.lookup(self.backend, "saas.subscription", subscription_id)

    def history(self, subscription):
        return subscription.history_ids.sorted(lambda row: (row.date, row.id))

    def sync_engine(
        self, unit_amount, quantity=1, created=SYNC_ENGINE_START, currency=None, **changes
    ):
        """The 2020-03-02 subscription, priced, as an update at ``created``."""
        payload = priced(fixture(SYNC_ENGINE_CREATED), unit_amount, quantity, currency=currency)
        return variant(
            payload,
            event_id=f"evt_sync_{created}",
            created=created,
            event_type="customer.subscription.updated" if created > SYNC_ENGINE_START else None,
            **changes,
        )

    def test_subscription_2017_08_15_with_its_plan_and_customer(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        (event,) = self.apply(fixture(LOCALSTRIPE_CREATED))
        subscription = self.subscription_of("sub_LsSub0001")
        self.assertEqual(event.state, "done")
        self.assertRecordValues(
            subscription,
            [
                {
                    "name": "sub_LsSub0001",
                    "state": "active",
                    "partner_id": self.bindings.lookup(
                        self.backend, "res.partner", "cus_LsAda0001"
                    ).id,
                    "currency_id": self.eur.id,
                    "company_id": self.backend.company_id.id,
                    "started_at": datetime(2017, 8, 29, 9, 46, 40),
                    "current_period_start": datetime(2017, 8, 29, 9, 46, 40),
                    "current_period_end": datetime(2017, 9, 29, 9, 46, 40),
                    "trial_end": False,
                    "cancel_at_period_end": False,
                    "collection_paused": False,
                    # 20.00 EUR a month at 0.80 EUR to the dollar.
                    "mrr_in_currency": 20.0,
                    "mrr": 25.0,
                    "arr": 300.0,
                    "mrr_date": datetime(2017, 8, 29).date(),
                }
            ],
        )
        self.assertRecordValues(
            subscription.item_ids,
            [
                {
                    "external_id": "si_LsItem0001",
                    "price_ref": "gold-monthly",
                    "product_tmpl_id": self.bindings.lookup(
                        self.backend, "product.template", "prod_LsGold0001"
                    ).id,
                    "quantity": 1,
                    "unit_amount": 20.0,
                    "unit_amount_exact": "20.00",
                    "interval": "month",
                    "interval_count": 1,
                    "mrr": 20.0,
                }
            ],
        )
        self.assertRecordValues(
            self.history(subscription),
            [
                {
                    "date": datetime(2017, 8, 29, 9, 46, 40),
                    "state_before": False,
                    "state_after": "active",
                    "mrr_before": 0.0,
                    "mrr_after": 25.0,
                    "mrr_delta": 25.0,
                    "movement": "new",
                    "event_id": event.id,
                }
            ],
        )
        self.assertEqual(
            set(event.record_ids.mapped("res_model")),
            {"saas.subscription", "saas.subscription.history"},
        )

    def test_upgrade_at_mid_period_is_an_expansion(self):
        self.apply(fixture(LOCALSTRIPE_CREATED))
        subscription = self.subscription_of("sub_LsSub0001")
        item = subscription.item_ids
        # Variant: the localstripe scenario's upgrade to Platinum (50.00 EUR a month).
        upgrade = priced(fixture(LOCALSTRIPE_CREATED), 5000, currency="eur")
        upgrade["data"]["object"]["items"]["data"][0]["plan"].update(
            id="platinum-monthly", product="prod_LsPlatinum0001", name="Platinum"
        )
        (event,) = self.apply(
            variant(
                upgrade,
                event_id="evt_LsSubscriptionUpgraded",
                created=1505339200,
                event_type="customer.subscription.updated",
            )
        )
        self.assertEqual(subscription.item_ids, item, "the item is updated, not replaced")
        self.assertRecordValues(
            item, [{"price_ref": "platinum-monthly", "unit_amount": 50.0, "mrr": 50.0}]
        )
        self.assertRecordValues(subscription, [{"mrr": 62.5, "arr": 750.0}])
        self.assertRecordValues(
            self.history(subscription)[-1],
            [
                {
                    "date": datetime(2017, 9, 13, 21, 46, 40),
                    "state_before": "active",
                    "state_after": "active",
                    "mrr_before": 25.0,
                    "mrr_after": 62.5,
                    "mrr_delta": 37.5,
                    "movement": "expansion",
                    "event_id": event.id,
                }
            ],
        )

    def test_2020_03_02_quantity_contraction_and_cancellation(self):
        self.apply(self.sync_engine(2900, quantity=3))
        subscription = self.subscription_of(SYNC_ENGINE_SUB)
        # The second, metered item has no quantity and counts no MRR.
        self.assertEqual(subscription.item_ids.mapped("mrr"), [87.0, 0.0])
        self.assertEqual(subscription.item_ids.mapped("quantity"), [3, 0])
        self.assertRecordValues(subscription, [{"state": "active", "mrr": 87.0, "arr": 1044.0}])
        self.apply(self.sync_engine(2900, quantity=2, created=SYNC_ENGINE_START + 60))
        self.assertEqual(subscription.mrr, 58.0)
        (deleted,) = self.apply(fixture(SYNC_ENGINE_DELETED))
        self.assertEqual(deleted.state, "done")
        self.assertRecordValues(
            subscription,
            [
                {
                    "state": "canceled",
                    "mrr": 0.0,
                    "arr": 0.0,
                    "canceled_at": datetime(2021, 6, 8, 10, 45, 2),
                    "ended_at": datetime(2021, 6, 8, 10, 45, 2),
                }
            ],
        )
        # The deletion lists one item: the other one is gone.
        self.assertEqual(subscription.item_ids.mapped("external_id"), ["si_JdIzi4Tn5jV9PD"])
        self.assertEqual(
            [
                (row.state_before, row.state_after, row.mrr_delta, row.movement)
                for row in self.history(subscription)
            ],
            [
                (False, "active", 87.0, "new"),
                ("active", "active", -29.0, "contraction"),
                ("active", "canceled", -58.0, "churn"),
            ],
        )

    def test_trial_counts_nothing_until_it_converts(self):
        self.apply(self.sync_engine(2900, quantity=3, status="trialing", trial_end=1624358518))
        subscription = self.subscription_of(SYNC_ENGINE_SUB)
        self.assertRecordValues(
            subscription,
            [
                {
                    "state": "trialing",
                    "trial_end": datetime(2021, 6, 22, 10, 41, 58),
                    "mrr_in_currency": 0.0,
                    "mrr": 0.0,
                }
            ],
        )
        # The item shows what it will be worth.
        self.assertEqual(subscription.item_ids[0].mrr, 87.0)
        self.apply(self.sync_engine(2900, quantity=3, created=1624358518))
        self.assertEqual(
            [
                (row.state_before, row.state_after, row.mrr_after, row.movement)
                for row in self.history(subscription)
            ],
            [(False, "trialing", 0.0, False), ("trialing", "active", 87.0, "new")],
        )

    def test_pause_is_churn_and_resume_a_reactivation(self):
        self.apply(self.sync_engine(2900))
        paused = self.sync_engine(2900, created=SYNC_ENGINE_START + 100, status="paused")
        paused["type"] = "customer.subscription.paused"
        resumed = self.sync_engine(2900, created=SYNC_ENGINE_START + 200)
        resumed["type"] = "customer.subscription.resumed"
        self.apply(paused, resumed)
        subscription = self.subscription_of(SYNC_ENGINE_SUB)
        self.assertEqual(
            [(row.state_after, row.mrr_delta, row.movement) for row in self.history(subscription)],
            [
                ("active", 29.0, "new"),
                ("paused", -29.0, "churn"),
                ("active", 29.0, "reactivation"),
            ],
        )

    def test_state_change_without_mrr_change_is_recorded_without_a_movement(self):
        self.apply(self.sync_engine(2900))
        subscription = self.subscription_of(SYNC_ENGINE_SUB)
        # A metadata-only update changes nothing worth a history row.
        self.apply(self.sync_engine(2900, created=SYNC_ENGINE_START + 60, metadata={"a": "b"}))
        self.assertEqual(len(subscription.history_ids), 1)
        self.apply(self.sync_engine(2900, created=SYNC_ENGINE_START + 120, status="past_due"))
        self.assertRecordValues(
            self.history(subscription)[-1],
            [
                {
                    "state_before": "active",
                    "state_after": "past_due",
                    "mrr_delta": 0.0,
                    "movement": False,
                }
            ],
        )
        self.assertEqual(subscription.mrr, 29.0)

    def test_mrr_keeps_the_rate_of_its_last_change(self):
        self.apply(self.sync_engine(10000, created=SYNC_ENGINE_START, currency="eur"))
        subscription = self.subscription_of(SYNC_ENGINE_SUB)
        self.assertEqual(subscription.mrr, 125.0)
        self.env["res.currency.rate"].create(
            {
                "currency_id": self.eur.id,
                "company_id": self.backend.company_id.id,
                "name": "2021-06-09",
                "rate": 1.0,
            }
        )
        # The next day the customer falls behind: the MRR is unchanged in euros and keeps its
        # rate, so no exchange movement appears.
        self.apply(
            self.sync_engine(
                10000, created=SYNC_ENGINE_START + 86400, currency="eur", status="past_due"
            )
        )
        self.assertEqual(subscription.mrr, 125.0)
        # Then doubles: converted at the new rate.
        self.apply(
            self.sync_engine(
                10000, quantity=2, created=SYNC_ENGINE_START + 2 * 86400, currency="eur"
            )
        )
        self.assertRecordValues(
            self.history(subscription)[-1],
            [
                {
                    "mrr_before": 125.0,
                    "mrr_after": 200.0,
                    "mrr_delta": 75.0,
                    "movement": "expansion",
                }
            ],
        )

    def test_basil_periods_come_from_the_items_and_annual_price_counts_a_twelfth(self):
        section = fixture(PAY_BASIL_UPDATED)
        canceled = envelope(
            section, "customer.subscription.deleted", "evt_basil_canceled", 1487872069
        )
        # Variant: the same subscription while it was active, on a yearly price of 1200.00.
        active = envelope(section, "customer.subscription.created", "evt_basil_active", 1486568724)
        active["data"]["object"].update(status="active", canceled_at=None, ended_at=None)
        active = priced(active, 120000, interval="year")
        self.apply(active)
        subscription = self.subscription_of("sub_00000000000000")
        self.assertRecordValues(
            subscription,
            [
                {
                    "state": "active",
                    "currency_id": self.usd.id,
                    "current_period_start": datetime(2017, 2, 8, 15, 45, 24),
                    "current_period_end": datetime(2017, 3, 8, 15, 45, 24),
                    "trial_end": datetime(2016, 7, 8, 15, 45, 24),
                    "mrr": 100.0,
                    "arr": 1200.0,
                }
            ],
        )
        self.assertRecordValues(
            subscription.item_ids,
            [{"interval": "year", "quantity": 1, "unit_amount": 1200.0, "mrr": 100.0}],
        )
        self.apply(canceled)
        self.assertRecordValues(
            subscription,
            [{"state": "canceled", "mrr": 0.0, "ended_at": datetime(2017, 2, 23, 17, 47, 49)}],
        )
        self.assertEqual(self.history(subscription).mapped("movement"), ["new", "churn"])

    def test_zero_decimal_currency(self):
        self.apply(self.sync_engine(1500, quantity=10, currency="jpy"))
        subscription = self.subscription_of(SYNC_ENGINE_SUB)
        self.assertRecordValues(
            subscription,
            [
                {
                    "currency_id": self.jpy.id,
                    "mrr_in_currency": 15000.0,
                    # 150 yen to the dollar.
                    "mrr": 100.0,
                    "arr": 1200.0,
                }
            ],
        )
        self.assertRecordValues(
            subscription.item_ids[0], [{"unit_amount": 1500.0, "unit_amount_exact": "1500"}]
        )

    def test_subscription_before_its_customer_gets_a_stand_in_partner(self):
        self.apply(fixture(LOCALSTRIPE_CREATED))
        subscription = self.subscription_of("sub_LsSub0001")
        partner = subscription.partner_id
        self.assertEqual(partner.name, "cus_LsAda0001")
        (event,) = self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        self.assertEqual(event.state, "done")
        self.assertEqual(subscription.partner_id, partner)
        self.assertEqual(partner.name, "Ada Lovelace")

    def run_jobs_after(self, delay):
        """Run the jobs that are due once ``delay`` has passed."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE queue_job SET eta = eta - %s WHERE state = 'pending' AND eta IS NOT NULL",
            (delay,),
        )
        self.env.invalidate_all()
        return run_jobs(self.env)

    def test_stand_in_whose_customer_event_was_lost_is_read_from_stripe(self):
        peer = start_api_peer(type(self), self.backend)
        customer = fixture(LOCALSTRIPE_CUSTOMER)["data"]["object"]
        peer.answers[f"/v1/customers/{customer['id']}"] = lambda _query: (200, customer)
        self.apply(fixture(LOCALSTRIPE_CREATED))
        partner = self.subscription_of("sub_LsSub0001").partner_id
        # Within the grace period the customer's event may still come: Stripe is not asked.
        self.assertEqual(self.run_jobs_after(timedelta(minutes=5)), 0)
        self.assertEqual(partner.name, "cus_LsAda0001")
        self.run_jobs_after(timedelta(minutes=15))
        self.assertEqual(partner.name, "Ada Lovelace")
        self.assertEqual(partner.email, customer["email"])
        self.assertEqual(
            self.bindings.lookup(self.backend, "res.partner", customer["id"]), partner
        )

    def test_stand_in_filled_in_by_its_event_is_not_read_again(self):
        peer = start_api_peer(type(self), self.backend)
        self.apply(fixture(LOCALSTRIPE_CREATED))
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        self.run_jobs_after(timedelta(minutes=15))
        self.assertEqual(peer.requests, [])
        self.assertEqual(self.subscription_of("sub_LsSub0001").partner_id.name, "Ada Lovelace")

    def test_event_older_than_the_applied_state_is_stale(self):
        self.apply(self.sync_engine(2900, created=SYNC_ENGINE_START + 60))
        (late,) = self.apply(self.sync_engine(9900, created=SYNC_ENGINE_START + 30))
        subscription = self.subscription_of(SYNC_ENGINE_SUB)
        self.assertEqual(late.state, "stale")
        self.assertEqual(subscription.mrr, 29.0)
        self.assertEqual(len(subscription.history_ids), 1)
