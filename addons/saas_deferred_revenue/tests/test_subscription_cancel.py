"""A subscription cancelled without a refund ends the service of its schedules: its remaining
revenue is recognized when the service ended, or kept on schedule, per the company's policy.
Subscriptions are changed as providers change them, by applying snapshots."""

from datetime import date, datetime

from odoo.tests import tagged

from .common import YEAR_2025, DeferredRevenueCase


@tagged("post_install", "-at_install")
class TestSubscriptionCancel(DeferredRevenueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        providers = cls.env["saas.backend"]._fields["provider"].get_values(cls.env)
        if not providers:
            cls.skipTest(cls, "no provider add-on is installed to make a backend of")
        # Providers apply snapshots as the system, not as an accountant.
        cls.backend = (
            cls.env["saas.backend"]
            .sudo()
            .create({"name": "Billing", "provider": providers[0], "company_id": cls.company.id})
        )

    def subscribe(self, name, partner=None):
        subscription = self.backend.env["saas.subscription"].create(
            {
                "name": name,
                "backend_id": self.backend.id,
                "partner_id": (partner or self.partner_a).id,
                "currency_id": self.company.currency_id.id,
            }
        )
        subscription._apply_snapshot(
            self.snapshot("active", canceled_at=False, ended_at=False), [], datetime(2025, 1, 1)
        )
        return subscription

    def snapshot(self, state, canceled_at, ended_at):
        """Subscription values as a provider hands them over (the Stripe connector maps
        ``customer.subscription.updated`` and ``.deleted`` to these fields)."""
        return {
            "state": state,
            "started_at": datetime(2025, 1, 1),
            "current_period_start": datetime(2025, 1, 1),
            "current_period_end": datetime(2026, 1, 1),
            "cancel_at_period_end": False,
            "canceled_at": canceled_at,
            "ended_at": ended_at,
        }

    def cancel(self, subscription, moment):
        return subscription._apply_snapshot(
            self.snapshot("canceled", canceled_at=moment, ended_at=moment), [], moment
        )

    def yearly_invoice(self, subscription, product=None, price=1200.0):
        return self.bill(
            {"product_id": product or self.plan, "price_unit": price, **YEAR_2025},
            saas_subscription_ref=subscription.name,
            partner_id=subscription.partner_id,
        )

    def test_cancellation_without_refund_recognizes_the_rest_when_service_ends(self):
        subscription = self.subscribe("sub_annual")
        invoice = self.yearly_invoice(subscription)
        schedule = invoice.invoice_line_ids.saas_revenue_schedule_ids
        self.assertEqual(schedule.subscription_id, subscription)
        self.assertEqual(subscription.saas_revenue_schedule_ids, schedule)
        self.assertEqual(subscription.saas_revenue_schedule_count, 1)
        action = subscription.action_view_saas_revenue_schedules()
        self.assertEqual(self.env["saas.revenue.schedule"].search(action["domain"]), schedule)
        self.recognize("2025-03-31")

        history = self.cancel(subscription, datetime(2025, 4, 15, 9, 30))
        self.assertEqual(history.state_after, "canceled")
        self.assertEqual(
            [(line.date, line.amount, line.state) for line in schedule.line_ids],
            [
                (date(2025, 1, 31), 100.0, "posted"),
                (date(2025, 2, 28), 100.0, "posted"),
                (date(2025, 3, 31), 100.0, "posted"),
                (date(2025, 4, 15), 900.0, "planned"),
            ],
        )
        self.assertIn("Service ended on 2025-04-15", schedule.line_ids[-1].note)
        # A later event still describing it as canceled changes nothing.
        self.cancel(subscription, datetime(2025, 4, 15, 9, 30))
        self.assertEqual(len(schedule.line_ids), 4)

        self.assertEqual(self.recognize("2025-04-30").amount_total, 900.0)
        self.assertEqual(self.gl_balance(self.income_plans), -120000)
        self.assertInvariants(invoice, "2025-12-31")

    def test_keep_schedule_policy_goes_on_recognizing_over_the_billed_period(self):
        self.company.saas_cancel_policy = "keep_schedule"
        subscription = self.subscribe("sub_kept")
        invoice = self.yearly_invoice(subscription)
        self.cancel(subscription, datetime(2025, 4, 15))
        schedule = invoice.invoice_line_ids.saas_revenue_schedule_ids
        self.assertEqual(schedule.line_ids.mapped("amount"), [100.0] * 12)
        self.recognize("2025-04-30")
        self.assertEqual(self.gl_balance(self.income_plans), -40000)
        self.recognize("2025-12-31")
        self.assertInvariants(invoice, "2025-12-31")

    def test_cancellation_at_period_end_leaves_nothing_to_bring_forward(self):
        subscription = self.subscribe("sub_period_end")
        invoice = self.yearly_invoice(subscription)
        subscription._apply_snapshot(
            {
                **self.snapshot(
                    "canceled", canceled_at=datetime(2025, 6, 1), ended_at=datetime(2026, 1, 1)
                ),
                "cancel_at_period_end": True,
            },
            [],
            datetime(2026, 1, 1),
        )
        schedule = invoice.invoice_line_ids.saas_revenue_schedule_ids
        self.assertEqual(len(schedule.line_ids), 12)
        self.assertEqual(schedule.line_ids.mapped("amount"), [100.0] * 12)

    def test_invoice_imported_before_its_subscription_still_ends(self):
        invoice = self.bill(
            {"product_id": self.plan, "price_unit": 1200.0, **YEAR_2025},
            saas_subscription_ref="sub_late",
        )
        schedule = invoice.invoice_line_ids.saas_revenue_schedule_ids
        self.assertFalse(schedule.subscription_id)
        subscription = self.subscribe("sub_late")
        self.cancel(subscription, datetime(2025, 10, 31, 23, 0))
        self.assertEqual(schedule.line_ids[-1].date, date(2025, 10, 31))
        # October was served; November and December are brought to its last day.
        self.assertEqual(schedule.line_ids[-1].amount, 200.0)
        self.recognize("2025-12-31")
        self.assertInvariants(invoice, "2025-12-31")

    def test_invoice_processed_after_the_cancellation_ends_as_in_order(self):
        def ledger(invoice):
            schedule = invoice.invoice_line_ids.saas_revenue_schedule_ids
            return [(schedule.start_date, schedule.end_date, schedule.amount)] + [
                (line.date, line.amount, line.state, line.move_id.date, line.note)
                for line in schedule.line_ids.sorted(lambda line: (line.date, line.id))
            ]

        for policy in ("recognize_remaining", "keep_schedule"):
            with self.subTest(policy=policy):
                self.company.saas_cancel_policy = policy
                in_order = self.subscribe(f"sub_in_order_{policy}")
                billed_first = self.yearly_invoice(in_order)
                self.cancel(in_order, datetime(2025, 4, 15, 9, 30))
                # The invoice of the same year waited (for its customer, or behind a backfill
                # of subscriptions) until the cancellation was processed.
                late = self.subscribe(f"sub_invoiced_late_{policy}")
                self.cancel(late, datetime(2025, 4, 15, 9, 30))
                billed_late = self.yearly_invoice(late)
                self.recognize("2025-12-31")
                self.assertEqual(ledger(billed_late), ledger(billed_first))
                self.assertEqual(
                    len(ledger(billed_first)), 5 if policy == "recognize_remaining" else 13
                )
                self.assertInvariants(billed_first + billed_late, "2025-12-31")

    def test_cancellation_with_refund_nets_to_nothing(self):
        subscription = self.subscribe("sub_refunded")
        invoice = self.yearly_invoice(subscription)
        self.recognize("2025-03-31")
        credit_note = self._reverse_invoice(invoice, post=True, date="2025-04-01")
        self.cancel(subscription, datetime(2025, 4, 1))
        schedules = (invoice + credit_note).invoice_line_ids.saas_revenue_schedule_ids
        self.assertEqual(schedules.subscription_id, subscription)
        self.recognize("2025-12-31")
        # Everything recognized is taken back by the refund.
        self.assertEqual(self.gl_balance(self.income_plans), 0)
        self.assertEqual(self.gl_balance(self.deferred_account), 0)
        self.assertInvariants(invoice + credit_note, "2025-12-31")

    def test_plan_change_links_the_schedules_of_the_same_subscription(self):
        # The customer has Pro on another subscription: the upgrade of this one must not
        # amend it.
        other = self.subscribe("sub_other")
        other_pro = self.yearly_invoice(other, self.pro_plan, 2400.0)
        subscription = self.subscribe("sub_upgraded")
        invoice = self.yearly_invoice(subscription)
        upgrade = self.bill_upgrade(saas_subscription_ref=subscription.name)
        original = invoice.invoice_line_ids.saas_revenue_schedule_ids
        amendments = upgrade.invoice_line_ids.saas_revenue_schedule_ids
        self.assertEqual(amendments.origin_schedule_id, original)
        self.assertEqual(original.amendment_ids, amendments)
        self.assertFalse(other_pro.invoice_line_ids.saas_revenue_schedule_ids.amendment_ids)
        self.assertEqual(amendments.subscription_id, subscription)

        self.recognize("2025-12-31")
        self.assertInvariants(other_pro + invoice + upgrade, "2025-12-31")
