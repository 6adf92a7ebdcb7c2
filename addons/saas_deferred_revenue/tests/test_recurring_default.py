"""The company's default for recurring products: a product arriving from Stripe with a
recurring price defers its revenue, and so do the lines with a service period of products
never set up; a product on which someone set Defer Revenue keeps its setting."""

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.addons.saas_stripe.tests.common import create_stripe_backend, deliver, fixture, variant
from odoo.tests import TransactionCase, tagged

from .common import YEAR_2025, DeferredRevenueCase

PRODUCT_UPDATED = "stripe-sync-engine/product_updated.json"
PRICE_UPDATED = "stripe-sync-engine/price_updated.json"
STRIPE_PRODUCT = "prod_IsRLOp58Z7V4XN"


@tagged("post_install", "-at_install")
class TestDefaultForProductsNeverSetUp(DeferredRevenueCase):
    def test_line_with_a_service_period_follows_the_company_default(self):
        yearly_fee = {"product_id": self.setup_fee, "price_unit": 1200.0, **YEAR_2025}
        self.assertFalse(self.setup_fee.saas_defer_revenue_configured)
        before = self.bill(yearly_fee)
        self.assertEqual(before.invoice_line_ids.account_id, self.income_plans)

        self.company.saas_defer_recurring = True
        after = self.bill(yearly_fee)
        self.assertEqual(after.invoice_line_ids.account_id, self.deferred_account)
        schedule = after.invoice_line_ids.saas_revenue_schedule_ids
        self.assertEqual(schedule.income_account_id, self.income_plans)
        self.assertEqual(schedule.line_ids.mapped("amount"), [100.0] * 12)
        # A line without a service period is never deferred.
        one_off = self.bill({"product_id": self.setup_fee, "price_unit": 50.0})
        self.assertEqual(one_off.invoice_line_ids.account_id, self.income_plans)
        self.recognize("2025-03-31")
        self.assertEqual(self.gl_balance(self.income_plans), -(120000 + 5000 + 30000))
        self.assertInvariants(after, "2025-03-31")

    def test_product_set_by_hand_keeps_its_setting(self):
        self.company.saas_defer_recurring = True
        self.setup_fee.saas_defer_revenue = False
        self.assertTrue(self.setup_fee.saas_defer_revenue_configured)
        invoice = self.bill({"product_id": self.setup_fee, "price_unit": 1200.0, **YEAR_2025})
        self.assertEqual(invoice.invoice_line_ids.account_id, self.income_plans)
        self.assertFalse(invoice.invoice_line_ids.saas_revenue_schedule_ids)
        # A recurring price arriving later does not override what someone decided.
        self.setup_fee.product_tmpl_id._saas_recurring_price_added()
        self.assertFalse(self.setup_fee.saas_defer_revenue)


@tagged("post_install", "-at_install")
class TestStripeRecurringProduct(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_stripe_backend(cls.env)

    def apply(self, *payloads):
        deliver(self.env, self.backend, *payloads)
        run_jobs(self.env)
        return self.env["saas.binding"].lookup(self.backend, "product.template", STRIPE_PRODUCT)

    def test_recurring_price_defers_the_product_when_the_company_says_so(self):
        self.backend.company_id.saas_defer_recurring = True
        product = self.apply(fixture(PRODUCT_UPDATED))
        # Nothing says yet that it is sold by subscription.
        self.assertFalse(product.saas_defer_revenue)
        self.apply(fixture(PRICE_UPDATED))
        self.assertTrue(product.saas_defer_revenue)
        self.assertTrue(product.saas_defer_revenue_configured)

    def test_without_the_default_the_product_is_left_as_it_came(self):
        product = self.apply(fixture(PRODUCT_UPDATED), fixture(PRICE_UPDATED))
        self.assertFalse(product.saas_defer_revenue)
        self.assertFalse(product.saas_defer_revenue_configured)

    def test_one_time_price_does_not_defer(self):
        self.backend.company_id.saas_defer_recurring = True
        one_time = variant(
            fixture(PRICE_UPDATED), event_id="evt_one_time", recurring=None, type="one_time"
        )
        product = self.apply(fixture(PRODUCT_UPDATED), one_time)
        self.assertFalse(product.saas_defer_revenue)
