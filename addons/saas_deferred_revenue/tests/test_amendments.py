"""Amendments never rewrite a schedule: prorations and credit notes add schedules that amend
it, and a service ended without refund brings its remaining revenue forward."""

from datetime import date

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SECOND_HALF_2025, YEAR_2025, DeferredRevenueCase


@tagged("post_install", "-at_install")
class TestAmendments(DeferredRevenueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contra_account = cls.copy_account(cls.income_plans)
        cls.contra_account.name = "Refunds of revenue"

    def test_upgrade_with_prorations_leaves_the_billed_schedule_untouched(self):
        invoice = self.bill({"product_id": self.plan, "price_unit": 1200.0, **YEAR_2025})
        original = invoice.invoice_line_ids.saas_revenue_schedule_ids
        self.recognize("2025-06-30")
        # On 1 July the customer moves to the Pro plan (2,400.00 a year): credit for the unused
        # half of the plan, charge for the rest of the year on Pro.
        upgrade = self.bill_upgrade()
        self.assertEqual(upgrade.amount_total, 600.0)
        unused, pro = (
            line.saas_revenue_schedule_ids
            for line in upgrade.invoice_line_ids.sorted(lambda line: line.balance, reverse=True)
        )
        self.assertRecordValues(
            unused,
            [
                {
                    "amount": -600.0,
                    "start_date": date(2025, 7, 1),
                    "origin_schedule_id": original.id,
                }
            ],
        )
        self.assertEqual(unused.line_ids.mapped("amount"), [-100.0] * 6)
        # The Pro plan's schedule is created from the plan's: the History of either shows the
        # change.
        self.assertRecordValues(
            pro,
            [
                {
                    "amount": 1200.0,
                    "start_date": date(2025, 7, 1),
                    "origin_schedule_id": original.id,
                }
            ],
        )
        self.assertEqual(pro.line_ids.mapped("amount"), [200.0] * 6)
        self.assertEqual(original.amendment_ids, unused + pro)
        self.assertEqual(original.amount, 1200.0)
        self.assertEqual(original.line_ids.mapped("amount"), [100.0] * 12)

        self.recognize("2025-12-31")
        # 600.00 of the plan, then 200.00 a month of Pro.
        self.assertEqual(self.gl_balance(self.income_plans), -180000)
        self.assertEqual(self.gl_balance(self.deferred_account), 0)
        self.assertInvariants(invoice + upgrade, "2025-12-31")

    def test_downgrade_credits_the_unused_pro_plan_from_the_change_date(self):
        invoice = self.bill({"product_id": self.pro_plan, "price_unit": 2400.0, **YEAR_2025})
        original = invoice.invoice_line_ids.saas_revenue_schedule_ids
        self.recognize("2025-06-30")
        credit_note = self.bill(
            {
                "product_id": self.pro_plan,
                "price_unit": 1200.0,
                "saas_is_proration": True,
                **SECOND_HALF_2025,
            },
            move_type="out_refund",
            invoice_date="2025-07-01",
        )
        plan_invoice = self.bill(
            {
                "product_id": self.plan,
                "price_unit": 600.0,
                "saas_is_proration": True,
                **SECOND_HALF_2025,
            },
            invoice_date="2025-07-01",
        )
        credit = credit_note.invoice_line_ids.saas_revenue_schedule_ids
        self.assertRecordValues(
            credit,
            [
                {
                    "amount": -1200.0,
                    "start_date": date(2025, 7, 1),
                    "origin_schedule_id": original.id,
                }
            ],
        )
        self.assertEqual(credit.line_ids.mapped("amount"), [-200.0] * 6)
        self.assertEqual(original.line_ids.mapped("amount"), [200.0] * 12)
        # The plan, billed from the day Pro was credited, continues Pro's schedule.
        plan = plan_invoice.invoice_line_ids.saas_revenue_schedule_ids
        self.assertEqual(plan.origin_schedule_id, original)
        self.assertEqual(original.amendment_ids, credit + plan)

        self.recognize("2025-12-31")
        # 1,200.00 of Pro for the first half, 600.00 of the plan for the second.
        self.assertEqual(self.gl_balance(self.income_plans), -180000)
        self.assertEqual(self.gl_balance(self.deferred_account), 0)
        self.assertInvariants(invoice + credit_note + plan_invoice, "2025-12-31")

    def test_proration_of_an_added_product_amends_nothing(self):
        invoice = self.bill({"product_id": self.plan, "price_unit": 1200.0, **YEAR_2025})
        # Support added on 1 July, nothing taken away: a new service, not a plan change.
        support = self.bill(
            {
                "product_id": self.support,
                "price_unit": 300.0,
                "saas_is_proration": True,
                **SECOND_HALF_2025,
            },
            invoice_date="2025-07-01",
        )
        self.assertFalse(support.invoice_line_ids.saas_revenue_schedule_ids.origin_schedule_id)
        self.assertFalse(invoice.invoice_line_ids.saas_revenue_schedule_ids.amendment_ids)

    def credit_after_three_months(self):
        """A 1,200.00 yearly invoice, recognized for January to March, then credited in full
        on 1 April."""
        invoice = self.bill({"product_id": self.plan, "price_unit": 1200.0, **YEAR_2025})
        self.recognize("2025-03-31")
        credit_note = self._reverse_invoice(invoice, post=True, date="2025-04-01")
        original = invoice.invoice_line_ids.saas_revenue_schedule_ids
        netting, earned = credit_note.invoice_line_ids.saas_revenue_schedule_ids.sorted(
            "end_date", reverse=True
        )
        self.assertEqual(original.amendment_ids, netting + earned)
        self.assertRecordValues(
            netting,
            [
                {
                    "amount": -900.0,
                    "start_date": date(2025, 4, 1),
                    "end_date": date(2025, 12, 31),
                    "income_account_id": self.income_plans.id,
                    "origin_schedule_id": original.id,
                }
            ],
        )
        self.assertEqual(netting.line_ids.mapped("amount"), [-100.0] * 9)
        self.assertEqual(netting.line_ids[0].date, date(2025, 4, 30))
        self.assertRecordValues(
            earned,
            [{"amount": -300.0, "start_date": date(2025, 4, 1), "end_date": date(2025, 4, 1)}],
        )
        self.assertEqual(earned.line_ids.mapped("date"), [date(2025, 4, 1)])
        # History stays: the original still plans its twelve months.
        self.assertEqual(original.line_ids.mapped("amount"), [100.0] * 12)
        # The deferred account holds the 300.00 recognized, debited back by the credit note.
        schedules = original + netting + earned
        self.assertEqual(self.unrecognized(schedules), -30000)
        self.assertEqual(self.gl_balance(self.deferred_account), 30000)

        moves = self.recognize("2025-12-31")
        # April takes the earned part back; from May on the invoice and its credit note net out.
        self.assertEqual(moves.mapped("date"), [date(2025, 4, 30)])
        self.assertEqual(self.gl_balance(self.deferred_account), 0)
        self.assertEqual(self.unrecognized(schedules), 0)
        self.assertInvariants(invoice + credit_note, "2025-12-31")
        return earned

    def test_full_credit_note_reduces_revenue(self):
        earned = self.credit_after_three_months()
        self.assertEqual(earned.income_account_id, self.income_plans)
        self.assertEqual(self.gl_balance(self.income_plans), 0)

    def test_full_credit_note_reverses_revenue_to_the_contra_account(self):
        self.company.write(
            {
                "saas_refund_policy": "contra",
                "saas_contra_revenue_account_id": self.contra_account.id,
            }
        )
        earned = self.credit_after_three_months()
        self.assertEqual(earned.income_account_id, self.contra_account)
        self.assertEqual(self.gl_balance(self.income_plans), -30000)
        self.assertEqual(self.gl_balance(self.contra_account), 30000)

    def test_amended_invoice_cannot_be_reset_before_its_amendments(self):
        invoice = self.bill({"product_id": self.plan, "price_unit": 1200.0, **YEAR_2025})
        credit_note = self._reverse_invoice(invoice, post=True, date="2025-04-01")
        with self.assertRaisesRegex(UserError, "amended by"):
            invoice.button_draft()
        credit_note.button_draft()
        self.assertFalse(credit_note.invoice_line_ids.saas_revenue_schedule_ids)
        invoice.button_draft()
        self.assertFalse(invoice.invoice_line_ids.saas_revenue_schedule_ids)

    def test_contra_policy_needs_its_account(self):
        self.company.saas_refund_policy = "contra"
        invoice = self.bill({"product_id": self.plan, "price_unit": 1200.0, **YEAR_2025})
        with self.assertRaisesRegex(UserError, "contra revenue account"):
            self._reverse_invoice(invoice, post=True, date="2025-04-01")

    def test_recognize_remaining_brings_the_rest_to_the_end_of_service(self):
        invoice = self.bill({"product_id": self.plan, "price_unit": 1200.0, **YEAR_2025})
        schedule = invoice.invoice_line_ids.saas_revenue_schedule_ids
        posted = self.recognize("2025-03-31")
        schedule.recognize_remaining(date(2025, 4, 15))
        self.assertEqual(
            [(line.date, line.amount, line.state) for line in schedule.line_ids],
            [
                (date(2025, 1, 31), 100.0, "posted"),
                (date(2025, 2, 28), 100.0, "posted"),
                (date(2025, 3, 31), 100.0, "posted"),
                (date(2025, 4, 15), 900.0, "planned"),
            ],
        )
        self.assertEqual(schedule.line_ids[:3].move_id, posted)

        self.assertEqual(self.recognize("2025-04-30").amount_total, 900.0)
        self.assertEqual(self.gl_balance(self.income_plans), -120000)
        self.assertEqual(self.gl_balance(self.deferred_account), 0)
        self.assertInvariants(invoice, "2025-12-31")

    def test_ending_service_follows_the_cancellation_policy(self):
        invoice = self.bill({"product_id": self.plan, "price_unit": 1200.0, **YEAR_2025})
        schedule = invoice.invoice_line_ids.saas_revenue_schedule_ids
        self.company.saas_cancel_policy = "keep_schedule"
        schedule.end_service(date(2025, 4, 15))
        self.assertEqual(schedule.line_ids.mapped("amount"), [100.0] * 12)

        self.company.saas_cancel_policy = "recognize_remaining"
        schedule.end_service(date(2025, 4, 15))
        self.assertEqual(
            [(line.date, line.amount) for line in schedule.line_ids],
            [
                (date(2025, 1, 31), 100.0),
                (date(2025, 2, 28), 100.0),
                (date(2025, 3, 31), 100.0),
                (date(2025, 4, 15), 900.0),
            ],
        )
