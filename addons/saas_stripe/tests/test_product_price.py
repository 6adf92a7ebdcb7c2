"""Stripe products become service products; prices and legacy plans become Stripe prices with
exact amounts in every currency exponent."""

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from .common import create_stripe_backend, deliver, fixture, variant

PRODUCT_UPDATED = "stripe-sync-engine/product_updated.json"
PRICE_UPDATED = "stripe-sync-engine/price_updated.json"
PLAN_CREATED = "stripe-sync-engine/plan_created.json"
PLAN_DELETED = "stripe-sync-engine/plan_deleted.json"


@tagged("post_install", "-at_install")
class TestStripeProductPrice(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_stripe_backend(cls.env)
        cls.bindings = cls.env["saas.binding"]
        cls.env["res.currency"].with_context(active_test=False).search(
            [("name", "in", ("JPY", "BHD"))]
        ).active = True

    def apply(self, *payloads):
        events = deliver(self.env, self.backend, *payloads)
        run_jobs(self.env)
        return events

    def product_of(self, product_id):
        return self.bindings.lookup(self.backend, "product.template", product_id)

    def price_of(self, price_id):
        return self.bindings.lookup(self.backend, "saas.stripe.price", price_id)

    def stored_amount(self, price):
        """The unit amount as the database holds it, without a float in between."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT unit_amount::text FROM saas_stripe_price WHERE id = %s", (price.id,)
        )
        return self.env.cr.fetchone()[0]

    def test_product_becomes_a_service_product(self):
        event = self.apply(fixture(PRODUCT_UPDATED))
        product = self.product_of("prod_IsRLOp58Z7V4XN")
        self.assertEqual(event.state, "done")
        self.assertRecordValues(
            product,
            [
                {
                    "name": "Pro tier",
                    "description_sale": "Test",
                    "type": "service",
                    "active": True,
                    "company_id": self.backend.company_id.id,
                }
            ],
        )
        self.assertEqual(event.record_ids.mapped("res_id"), product.ids)

    def test_price_of_a_known_product(self):
        self.apply(fixture(PRODUCT_UPDATED))
        event = self.apply(fixture(PRICE_UPDATED))
        price = self.price_of("price_1IDQm5JDPojXS6LNM31hxKzp")
        self.assertEqual(event.state, "done")
        self.assertRecordValues(
            price,
            [
                {
                    "backend_id": self.backend.id,
                    "product_tmpl_id": self.product_of("prod_IsRLOp58Z7V4XN").id,
                    "currency_id": self.env.ref("base.USD").id,
                    "unit_amount": 25.0,
                    "unit_amount_exact": "25.00",
                    "recurring_interval": "month",
                    "recurring_interval_count": 1,
                    "usage_type": "licensed",
                    "billing_scheme": "per_unit",
                    "nickname": False,
                    "active": True,
                }
            ],
        )
        self.assertEqual(self.stored_amount(price), "25.00")
        self.assertEqual(price.display_name, "Pro tier")

    def test_plan_before_its_product_gets_a_stand_in_the_product_fills_later(self):
        plan = self.apply(fixture(PLAN_CREATED))
        price = self.price_of("price_1MKL7PJDPojXS6LNpNepgHsK")
        self.assertEqual(plan.state, "done")
        self.assertEqual(self.stored_amount(price), "599.00")
        self.assertEqual(price.unit_amount_exact, "599.00")
        stand_in = price.product_tmpl_id
        self.assertEqual((stand_in.name, stand_in.type), ("prod_MeUrsWN6pj0oXM", "service"))
        # Variant: the recorded product event, about the plan's product and older than the plan.
        product = variant(
            fixture(PRODUCT_UPDATED),
            event_id="evt_product_of_plan",
            event_type="product.created",
            id="prod_MeUrsWN6pj0oXM",
            name="Enterprise",
        )
        self.assertEqual(self.apply(product).state, "done")
        self.assertEqual(self.product_of("prod_MeUrsWN6pj0oXM"), stand_in)
        self.assertEqual(stand_in.name, "Enterprise")
        self.assertEqual(
            self.env["product.template"].search_count([("name", "=", "Enterprise")]), 1
        )

    def test_plan_and_price_events_of_one_id_update_one_record(self):
        # Variant: the price.created Stripe sends beside plan.created, same object id.
        as_price = variant(
            fixture(PLAN_CREATED), event_id="evt_price_twin", event_type="price.created"
        )
        self.apply(fixture(PLAN_CREATED), as_price)
        prices = self.env["saas.stripe.price"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(prices), 1)

    def test_zero_and_three_decimal_currencies_are_exact(self):
        self.apply(fixture(PRODUCT_UPDATED))
        # Variants of the recorded price in yen (no minor unit) and in Bahraini dinar (three
        # decimals): the same integers mean 500 yen and 1.500 dinar.
        yen = variant(
            fixture(PRICE_UPDATED),
            event_id="evt_jpy",
            id="price_jpy",
            currency="jpy",
            unit_amount=500,
            unit_amount_decimal="500",
        )
        dinar = variant(
            fixture(PRICE_UPDATED),
            event_id="evt_bhd",
            id="price_bhd",
            currency="bhd",
            unit_amount=1500,
            unit_amount_decimal="1500",
        )
        self.apply(yen, dinar)
        yen_price, dinar_price = self.price_of("price_jpy"), self.price_of("price_bhd")
        self.assertEqual(yen_price.currency_id, self.env.ref("base.JPY"))
        self.assertEqual(yen_price.unit_amount, 500.0)
        self.assertEqual(yen_price.unit_amount_exact, "500")
        self.assertEqual(self.stored_amount(yen_price), "500")
        self.assertEqual(dinar_price.currency_id, self.env.ref("base.BHD"))
        self.assertEqual(dinar_price.unit_amount, 1.5)
        self.assertEqual(dinar_price.unit_amount_exact, "1.500")
        self.assertEqual(self.stored_amount(dinar_price), "1.500")

    def test_price_finer_than_a_cent_keeps_its_exact_amount(self):
        # Variant: a metered price of 0.15 cents per unit, as unit_amount_decimal carries it.
        metered = variant(
            fixture(PRICE_UPDATED),
            unit_amount=None,
            unit_amount_decimal="0.15",
            recurring={"interval": "month", "interval_count": 1, "usage_type": "metered"},
        )
        self.apply(metered)
        price = self.price_of("price_1IDQm5JDPojXS6LNM31hxKzp")
        self.assertEqual(price.unit_amount_exact, "0.0015")
        self.assertEqual(price.usage_type, "metered")

    def test_tiered_price_has_no_unit_amount(self):
        # Variant: a graduated tiered price, whose amounts are in its tiers.
        tiered = variant(
            fixture(PRICE_UPDATED),
            unit_amount=None,
            unit_amount_decimal=None,
            billing_scheme="tiered",
            tiers_mode="graduated",
        )
        self.apply(tiered)
        self.assertRecordValues(
            self.price_of("price_1IDQm5JDPojXS6LNM31hxKzp"),
            [{"billing_scheme": "tiered", "tiers_mode": "graduated", "unit_amount_exact": False}],
        )

    def test_deleted_plan_and_product_are_archived_and_stay_readable(self):
        self.apply(fixture(PLAN_CREATED))
        price = self.price_of("price_1MKL7PJDPojXS6LNpNepgHsK")
        # Variant: the recorded deletion reuses the creation's event id; a distinct id and a
        # later time make it the next event of that plan.
        deleted = variant(fixture(PLAN_DELETED), event_id="evt_plan_deleted", created=1623149400)
        event = self.apply(deleted)
        self.assertEqual(event.state, "done")
        self.assertFalse(price.active)
        self.assertEqual(price.unit_amount_exact, "599.00")
        self.assertEqual(self.price_of("price_1MKL7PJDPojXS6LNpNepgHsK"), price)
        product_deleted = {
            "id": "evt_product_deleted",
            "object": "event",
            "type": "product.deleted",
            "created": 1623149500,
            "livemode": False,
            "data": {
                "object": {"id": "prod_MeUrsWN6pj0oXM", "object": "product", "deleted": True}
            },
        }
        self.assertEqual(self.apply(product_deleted).state, "done")
        self.assertFalse(price.product_tmpl_id.active)
        self.assertEqual(self.product_of("prod_MeUrsWN6pj0oXM"), price.product_tmpl_id)

    def test_price_archived_in_stripe_is_archived(self):
        # Variant: the recorded price, archived a minute later.
        self.apply(fixture(PRICE_UPDATED))
        archived = variant(
            fixture(PRICE_UPDATED), event_id="evt_archived", created=1619703718, active=False
        )
        self.apply(archived)
        self.assertFalse(self.price_of("price_1IDQm5JDPojXS6LNM31hxKzp").active)
