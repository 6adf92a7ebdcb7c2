"""Posting a customer invoice defers the lines of deferrable products that have a service
period and gives each a schedule, exact to the cent."""

from datetime import date

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import tagged

from .common import DeferredRevenueCase

YEAR_2025 = {"start": "2025-01-01", "end": "2025-12-31"}


@tagged("post_install", "-at_install")
class TestInvoiceDeferral(DeferredRevenueCase):
    def test_annual_prepaid_invoice_posts_to_deferred_revenue(self):
        invoice = self.bill({"product_id": self.plan, "price_unit": 1200.0, **YEAR_2025})
        line = invoice.invoice_line_ids
        self.assertRecordValues(
            line,
            [
                {
                    "account_id": self.deferred_account.id,
                    "saas_deferred_income_account_id": self.income_plans.id,
                    "credit": 1200.0,
                }
            ],
        )
        self.assertEqual(self.gl_balance(self.deferred_account), -120000)
        self.assertEqual(self.gl_balance(self.income_plans), 0)
        self.assertEqual(self.gl_balance(self.company_data["default_account_receivable"]), 120000)

        schedule = line.saas_revenue_schedule_ids
        self.assertRecordValues(
            schedule,
            [
                {
                    "partner_id": self.partner_a.id,
                    "product_id": self.plan.id,
                    "income_account_id": self.income_plans.id,
                    "deferred_account_id": self.deferred_account.id,
                    "currency_id": self.company_data["currency"].id,
                    "amount": 1200.0,
                    "start_date": date(2025, 1, 1),
                    "end_date": date(2025, 12, 31),
                    "basis": "months",
                    "recognized_amount": 0.0,
                    "deferred_amount": 1200.0,
                }
            ],
        )
        self.assertEqual(schedule.line_ids.mapped("amount"), [100.0] * 12)
        self.assertEqual(schedule.line_ids.mapped("state"), ["planned"] * 12)
        self.assertEqual(
            schedule.line_ids.mapped("date")[:3],
            [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)],
        )

        # Recognized monthly, the whole year reaches the income account.
        self.assertEqual(len(self.recognize("2025-12-31")), 12)
        self.assertEqual(self.gl_balance(self.income_plans), -120000)
        self.assertInvariants(invoice, "2025-12-31")

    def test_days_basis_splits_by_service_days_to_the_cent(self):
        self.company.saas_revenue_basis = "days"
        invoice = self.bill(
            {
                "product_id": self.plan,
                "price_unit": 1000.0,
                "start": "2025-01-01",
                "end": "2025-03-31",
            }
        )
        schedule = invoice.invoice_line_ids.saas_revenue_schedule_ids
        # 31, 28 and 31 of 90 days, cumulatively rounded: 344.44, 655.56 - 344.44, 1000 - 655.56.
        self.assertEqual(schedule.line_ids.mapped("amount"), [344.44, 311.12, 344.44])
        self.assertEqual(schedule.basis, "days")

    def test_taxes_and_total_stay_as_billed(self):
        # Moving a line to an account with default taxes would recompute the taxes of a line
        # whose product has none.
        self.deferred_account.tax_ids = self.tax_sale_b
        invoice = self.bill(
            {
                "product_id": self.plan,
                "price_unit": 1200.0,
                "tax_ids": self.tax_sale_a,
                **YEAR_2025,
            }
        )
        self.assertEqual(invoice.invoice_line_ids.tax_ids, self.tax_sale_a)
        self.assertEqual(self.tax_sale_a.amount, 15.0)
        self.assertEqual(invoice.amount_untaxed, 1200.0)
        self.assertEqual(invoice.amount_total, 1380.0)
        self.assertEqual(invoice.invoice_line_ids.saas_revenue_schedule_ids.amount, 1200.0)

    def test_line_without_service_period_is_not_deferred(self):
        invoice = self.bill(
            {"product_id": self.plan, "price_unit": 500.0},
            {"product_id": self.setup_fee, "price_unit": 300.0, **YEAR_2025},
        )
        self.assertEqual(invoice.invoice_line_ids.account_id, self.income_plans)
        self.assertFalse(invoice.invoice_line_ids.saas_revenue_schedule_ids)
        self.assertEqual(self.gl_balance(self.income_plans), -80000)
        self.assertEqual(self.gl_balance(self.deferred_account), 0)

    def test_credit_note_produces_a_negative_schedule(self):
        invoice = self.bill({"product_id": self.support, "price_unit": 1200.0, **YEAR_2025})
        # Dated on the service start, the credit note nets the whole schedule.
        credit_note = self._reverse_invoice(invoice, post=True, date="2025-01-01")
        schedule = credit_note.invoice_line_ids.saas_revenue_schedule_ids
        self.assertRecordValues(
            schedule,
            [
                {
                    "income_account_id": self.income_support.id,
                    "deferred_account_id": self.deferred_account.id,
                    "amount": -1200.0,
                    "start_date": date(2025, 1, 1),
                    "end_date": date(2025, 12, 31),
                }
            ],
        )
        self.assertEqual(schedule.line_ids.mapped("amount"), [-100.0] * 12)
        self.assertEqual(self.gl_balance(self.deferred_account), 0)

        # Month by month the invoice and its credit note cancel out: nothing to post.
        recognized = self.env["saas.revenue.schedule"].recognize_until(date(2025, 12, 31))
        self.assertFalse(recognized)
        rows = (invoice + credit_note).invoice_line_ids.saas_revenue_schedule_ids.line_ids
        self.assertEqual(len(rows), 24)
        self.assertEqual(set(rows.mapped("state")), {"posted"})
        self.assertFalse(rows.move_id)
        self.assertEqual(self.gl_balance(self.income_support), 0)
        self.assertInvariants(invoice + credit_note, "2025-12-31")

    def test_partial_credit_note_over_its_own_period(self):
        invoice = self.bill({"product_id": self.plan, "price_unit": 1200.0, **YEAR_2025})
        credit_note = self.bill(
            {
                "product_id": self.plan,
                "price_unit": 600.0,
                "start": "2025-07-01",
                "end": "2025-12-31",
            },
            move_type="out_refund",
            invoice_date="2025-07-01",
        )
        schedule = credit_note.invoice_line_ids.saas_revenue_schedule_ids
        self.assertEqual(schedule.line_ids.mapped("amount"), [-100.0] * 6)
        self.assertEqual(schedule.line_ids[0].date, date(2025, 7, 31))
        self.assertEqual(self.gl_balance(self.deferred_account), -60000)
        # Half a year of the plan is earned, 600.00 billed back.
        self.recognize("2025-12-31")
        self.assertEqual(self.gl_balance(self.income_plans), -60000)
        self.assertInvariants(invoice + credit_note, "2025-12-31")

    def test_foreign_currency_schedule_is_fixed_at_the_invoice_rate(self):
        other = self.setup_other_currency("EUR")  # 2 EUR per company currency unit since 2017
        invoice = self.bill(
            {"product_id": self.plan, "price_unit": 2400.0, **YEAR_2025}, currency_id=other
        )
        schedule = invoice.invoice_line_ids.saas_revenue_schedule_ids
        self.assertRecordValues(
            schedule, [{"currency_id": other.id, "amount": 1200.0, "amount_currency": 2400.0}]
        )
        self.assertEqual(schedule.line_ids.mapped("amount"), [100.0] * 12)
        self.assertEqual(schedule.line_ids.mapped("amount_currency"), [200.0] * 12)

    def test_reset_to_draft_gives_the_line_back_its_income_account(self):
        invoice = self.bill({"product_id": self.plan, "price_unit": 1200.0, **YEAR_2025})
        invoice.button_draft()
        line = invoice.invoice_line_ids
        self.assertEqual(line.account_id, self.income_plans)
        self.assertFalse(line.saas_revenue_schedule_ids)
        self.assertFalse(self.env["saas.revenue.schedule"].search([("move_id", "=", invoice.id)]))

        line.price_unit = 2400.0
        invoice.action_post()
        self.assertEqual(line.account_id, self.deferred_account)
        self.assertEqual(line.saas_revenue_schedule_ids.line_ids.mapped("amount"), [200.0] * 12)

    def test_missing_deferred_account_blocks_posting(self):
        self.company.saas_deferred_revenue_account_id = False
        with self.assertRaisesRegex(UserError, "deferred revenue account"):
            self.bill({"product_id": self.plan, "price_unit": 1200.0, **YEAR_2025})

    def test_billing_user_posts_and_reads_but_does_not_recognize(self):
        biller = self.env["res.users"].create(
            {
                "name": "Biller",
                "login": "deferred-revenue-biller",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "group_ids": [Command.set(self.env.ref("account.group_account_invoice").ids)],
            }
        )
        invoice = self._create_invoice(
            invoice_date="2025-01-01",
            invoice_line_ids=[
                self._prepare_invoice_line(
                    product_id=self.plan,
                    price_unit=1200.0,
                    saas_service_start="2025-01-01",
                    saas_service_end="2025-12-31",
                )
            ],
        )
        invoice.with_user(biller).action_post()
        schedule = invoice.with_user(biller).invoice_line_ids.saas_revenue_schedule_ids
        self.assertEqual(schedule.line_ids.mapped("amount"), [100.0] * 12)
        with self.assertRaises(AccessError):
            self.env["saas.revenue.recognize.wizard"].with_user(biller).create({})
