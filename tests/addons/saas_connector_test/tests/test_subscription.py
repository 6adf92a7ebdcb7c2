"""The provider-agnostic subscription: snapshots keep items in step by their external id, MRR
is rounded once on the sum, and only changes are recorded; each company sees its own."""

from datetime import datetime
from decimal import Decimal

from odoo.tests import TransactionCase, new_test_user, tagged

from .common import create_backend

AT = datetime(2024, 3, 1, 12, 0)


def item(external_id, unit_amount, quantity=1, interval="month", interval_count=1):
    return {
        "external_id": external_id,
        "price_ref": f"price_{external_id}",
        "unit_amount": Decimal(unit_amount),
        "unit_amount_exact": unit_amount,
        "quantity": quantity,
        "interval": interval,
        "interval_count": interval_count,
    }


@tagged("post_install", "-at_install")
class TestSubscription(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_backend(cls.env)
        cls.partner = cls.env["res.partner"].create({"name": "Customer"})
        cls.currency = cls.backend.company_id.currency_id

    def new_subscription(self, backend=None):
        return self.env["saas.subscription"].create(
            {
                "name": "sub_1",
                "backend_id": (backend or self.backend).id,
                "partner_id": self.partner.id,
                "currency_id": self.currency.id,
            }
        )

    def test_intervals_are_normalized_and_rounded_once(self):
        subscription = self.new_subscription()
        row = subscription._apply_snapshot(
            {"state": "active"},
            [
                item("a", "100.00", interval="year"),
                item("b", "100.00", interval="year"),
                item("c", "100.00", interval="year"),
                item("d", "12.00", interval="week", interval_count=2),
                item("e", "1.00", quantity=2, interval="day"),
            ],
            AT,
        )
        # 3 x 8.333… + 12 x 52/12 / 2 + 2 x 365/12 = 25.00 + 26.00 + 60.83
        self.assertEqual(subscription.item_ids.mapped("mrr"), [8.33, 8.33, 8.33, 26.0, 60.83])
        self.assertRecordValues(
            subscription,
            [{"mrr_in_currency": 111.83, "mrr": 111.83, "arr": 1341.96, "mrr_date": AT.date()}],
        )
        self.assertRecordValues(
            row, [{"state_before": False, "mrr_delta": 111.83, "movement": "new"}]
        )

    def test_snapshot_updates_matching_items_and_removes_the_others(self):
        subscription = self.new_subscription()
        subscription._apply_snapshot(
            {"state": "active"}, [item("a", "10.00"), item("b", "5.00")], AT
        )
        kept = subscription.item_ids[0]
        row = subscription._apply_snapshot(
            {"state": "active"}, [item("c", "1.00"), item("a", "10.00", quantity=3)], AT
        )
        self.assertEqual(subscription.item_ids.mapped("external_id"), ["c", "a"])
        self.assertIn(kept, subscription.item_ids)
        self.assertEqual(kept.quantity, 3)
        self.assertRecordValues(
            row, [{"mrr_before": 15.0, "mrr_after": 31.0, "movement": "expansion"}]
        )
        # The same snapshot again changes nothing and records nothing.
        again = subscription._apply_snapshot(
            {"state": "active"}, [item("c", "1.00"), item("a", "10.00", quantity=3)], AT
        )
        self.assertFalse(again)
        self.assertEqual(len(subscription.history_ids), 2)

    def test_each_company_sees_its_own_subscriptions(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        backend_b = create_backend(self.env, name="B account", company_id=company_b.id)
        own = self.new_subscription()
        other = self.new_subscription(backend_b)
        for subscription in own | other:
            subscription._apply_snapshot({"state": "active"}, [item("a", "10.00")], AT)
        user = new_test_user(
            self.env, "saas_sub_user", groups="base.group_user,saas_connector_base.group_saas_user"
        )
        self.assertEqual(self.env["saas.subscription"].with_user(user).search([]), own)
        self.assertEqual(
            self.env["saas.subscription.history"].with_user(user).search([]), own.history_ids
        )
        self.assertEqual(
            self.env["saas.subscription.item"].with_user(user).search([]), own.item_ids
        )
