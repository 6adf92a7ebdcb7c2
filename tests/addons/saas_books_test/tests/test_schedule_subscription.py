"""A Stripe invoice of a subscription defers its revenue on schedules that show the
subscription, through the invoice's explicit link to it — whether the subscription reached
Odoo before the invoice or after it, or the invoice was imported before the link existed."""

import importlib.util
from pathlib import Path

from odoo.addons.saas_stripe.tests.common import fixture
from odoo.addons.saas_stripe.tests.common_accounting import (
    LOCALSTRIPE_CUSTOMER,
    StripeAccountingCase,
)
from odoo.addons.saas_stripe.tests.test_invoice import localstripe_invoice
from odoo.modules.module import get_module_path
from odoo.tests import tagged

LOCALSTRIPE_SUBSCRIPTION = "localstripe-2017-08-15/customer_subscription_created.json"


def run_migration(cr, module, version):
    """The post-migration script of ``module`` for ``version``, as an upgrade runs it."""
    path = Path(get_module_path(module), "migrations", version, "post-migrate.py")
    spec = importlib.util.spec_from_file_location(f"{module}_{version}_post_migrate", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.migrate(cr, version)


@tagged("post_install", "-at_install")
class TestScheduleSubscription(StripeAccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        deferred = cls.env["account.account"].create(
            {"name": "Deferred Revenue", "code": "289100", "account_type": "liability_current"}
        )
        cls.company.write(
            {
                "saas_deferred_revenue_account_id": deferred.id,
                "saas_revenue_journal_id": cls.company_data["default_journal_misc"].id,
                # The plan arrives from Stripe: deferred as the company's recurring products.
                "saas_defer_recurring": True,
            }
        )

    def schedules(self):
        move = self.bound("account.move", "in_LsInv0002")
        self.assertTrue(move, "the invoice is imported")
        schedules = move.invoice_line_ids.saas_revenue_schedule_ids
        self.assertTrue(schedules, "the subscription's invoice defers its revenue")
        return move, schedules

    def assertSchedulesShowTheSubscription(self):
        subscription = self.bound("saas.subscription", "sub_LsSub0001")
        move, schedules = self.schedules()
        self.assertEqual(move.saas_subscription_id, subscription)
        self.assertEqual(schedules.subscription_id, subscription)
        self.assertEqual(schedules.line_ids.subscription_id, subscription)
        self.env.flush_all()
        waterfall = self.env["saas.revenue.waterfall"].search([("move_id", "=", move.id)])
        self.assertEqual(waterfall.subscription_id, subscription)

    def test_invoice_after_its_subscription(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER), fixture(LOCALSTRIPE_SUBSCRIPTION))
        self.apply(localstripe_invoice())
        self.assertSchedulesShowTheSubscription()

    def test_invoice_before_its_subscription(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER), localstripe_invoice())
        _move, schedules = self.schedules()
        self.assertFalse(schedules.subscription_id)
        self.apply(fixture(LOCALSTRIPE_SUBSCRIPTION))
        self.assertSchedulesShowTheSubscription()

    def test_invoice_imported_before_the_link_is_linked_by_the_upgrade(self):
        """An invoice imported when only its origin held the subscription's id: the upgrade
        links it, and its schedules show the subscription."""
        self.apply(fixture(LOCALSTRIPE_CUSTOMER), fixture(LOCALSTRIPE_SUBSCRIPTION))
        self.apply(localstripe_invoice())
        move, schedules = self.schedules()
        self.assertEqual(move.invoice_origin, "sub_LsSub0001")
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            "UPDATE account_move SET saas_subscription_ref = NULL, saas_subscription_id = NULL"
            " WHERE id = %s",
            [move.id],
        )
        cr.execute(
            "UPDATE saas_revenue_schedule SET subscription_id = NULL WHERE id IN %s",
            [tuple(schedules.ids)],
        )
        cr.execute(
            "UPDATE saas_revenue_schedule_line SET subscription_id = NULL WHERE schedule_id IN %s",
            [tuple(schedules.ids)],
        )
        self.env.invalidate_all()
        self.assertFalse(schedules.subscription_id)
        run_migration(cr, "saas_connector_base", "19.0.1.3.0")
        run_migration(cr, "saas_deferred_revenue", "19.0.1.1.0")
        self.env.invalidate_all()
        self.assertSchedulesShowTheSubscription()
