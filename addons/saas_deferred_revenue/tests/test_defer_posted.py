"""Invoices posted before their product deferred revenue get their schedules afterwards: an
entry moves the revenue to the deferred account, on the invoice's date or the first open day
after a lock date, and a second run changes nothing."""

from datetime import date

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged

from .common import YEAR_2025, DeferredRevenueCase


@tagged("post_install", "-at_install")
class TestDeferPostedInvoices(DeferredRevenueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.addon = cls._create_product(
            name="Analytics add-on", saas_defer_revenue=False, taxes_id=[Command.clear()]
        )
        # 1,200.00 a year, posted on its income account: the add-on did not defer revenue yet.
        cls.invoice = cls.bill({"product_id": cls.addon, "price_unit": 1200.0, **YEAR_2025})
        cls.addon.saas_defer_revenue = True

    def run_wizard(self, **values):
        return self.env["saas.revenue.defer.wizard"].create(values).action_create_schedules()

    def deferral_entries(self):
        return self.env["account.move"].search(
            [("journal_id", "=", self.recognition_journal.id), ("ref", "like", "deferred")]
        )

    def assertRollforwardTiesToTheLedger(self):
        rows = self.env["saas.revenue.rollforward"].search(
            [("account_id", "=", self.deferred_account.id)]
        )
        self.assertTrue(rows)
        self.assertEqual(set(rows.mapped("difference")), {0.0})

    def test_invoice_posted_before_deferral_gets_its_schedule(self):
        self.assertEqual(self.gl_balance(self.income_plans), -120000)
        self.assertFalse(self.invoice.invoice_line_ids.saas_revenue_schedule_ids)

        action = self.run_wizard(date_from="2025-01-01", date_to="2025-01-31")
        schedule = self.invoice.invoice_line_ids.saas_revenue_schedule_ids
        self.assertEqual(self.env["saas.revenue.schedule"].search(action["domain"]), schedule)
        deferral = schedule.deferral_move_id
        self.assertRecordValues(
            schedule,
            [
                {
                    "income_account_id": self.income_plans.id,
                    "deferred_account_id": self.deferred_account.id,
                    "amount": 1200.0,
                    "billed_date": date(2025, 1, 1),
                }
            ],
        )
        self.assertEqual(schedule.line_ids.mapped("amount"), [100.0] * 12)
        self.assertRecordValues(
            deferral,
            [
                {
                    "date": date(2025, 1, 1),
                    "state": "posted",
                    "journal_id": self.recognition_journal.id,
                }
            ],
        )
        self.assertCountEqual(
            [(line.account_id, self.minor(line.balance)) for line in deferral.line_ids],
            [(self.income_plans, 120000), (self.deferred_account, -120000)],
        )
        # The posted invoice itself is untouched.
        self.assertEqual(self.invoice.invoice_line_ids.account_id, self.income_plans)
        self.assertEqual(self.gl_balance(self.income_plans), 0)
        self.assertEqual(self.gl_balance(self.deferred_account), -120000)

        # A second run, by range or by selection, makes nothing.
        again = self.run_wizard(date_from="2025-01-01", date_to="2025-01-31")
        self.assertEqual(again["tag"], "display_notification")
        self.run_wizard(move_ids=[Command.set(self.invoice.ids)])
        self.assertEqual(self.invoice.invoice_line_ids.saas_revenue_schedule_ids, schedule)
        self.assertEqual(self.deferral_entries(), deferral)

        self.recognize("2025-03-31")
        self.assertEqual(self.gl_balance(self.income_plans), -30000)
        self.assertEqual(self.gl_balance(self.deferred_account), -90000)
        self.assertLedgerIsUnrecognizedAtEveryMonthEnd("2025-03-31")
        self.assertRollforwardTiesToTheLedger()

    def test_locked_invoice_date_defers_on_the_first_open_day(self):
        self.company.fiscalyear_lock_date = date(2025, 2, 28)
        self.run_wizard(move_ids=[Command.set(self.invoice.ids)])
        schedule = self.invoice.invoice_line_ids.saas_revenue_schedule_ids
        self.assertEqual(schedule.deferral_move_id.date, date(2025, 3, 1))
        self.assertEqual(schedule.billed_date, date(2025, 3, 1))
        # The closed months keep what they reported.
        self.assertEqual(self.gl_balance(self.income_plans, at=date(2025, 2, 28)), -120000)
        self.assertEqual(self.gl_balance(self.deferred_account, at=date(2025, 2, 28)), 0)

        moves = self.recognize("2025-03-31")
        # January and February were earned in locked months: recognized on 1 March.
        self.assertEqual(
            moves.mapped("date"), [date(2025, 3, 1), date(2025, 3, 1), date(2025, 3, 31)]
        )
        self.assertEqual(self.gl_balance(self.income_plans), -30000)
        self.assertEqual(self.gl_balance(self.deferred_account), -90000)
        self.assertLedgerIsUnrecognizedAtEveryMonthEnd("2025-03-31")
        self.assertRollforwardTiesToTheLedger()

    def test_invoice_deferred_afterwards_cannot_be_reset_to_draft(self):
        self.run_wizard(move_ids=[Command.set(self.invoice.ids)])
        with self.assertRaisesRegex(UserError, "deferred after it was posted"):
            self.invoice.button_draft()

    def test_credit_note_settles_the_invoice_deferred_with_it(self):
        self.addon.saas_defer_revenue = False
        credit_note = self._reverse_invoice(self.invoice, post=True, date="2025-04-01")
        self.addon.saas_defer_revenue = True
        self.assertEqual(self.gl_balance(self.income_plans), 0)
        self.run_wizard(date_from="2025-01-01", date_to="2025-04-30")
        # The invoice's schedule, then the credit note's: April on, they net to nothing; what
        # January to March earned is taken back on the credit note's date.
        self.assertEqual(len(credit_note.invoice_line_ids.saas_revenue_schedule_ids), 2)
        self.recognize("2025-12-31")
        self.assertEqual(self.gl_balance(self.income_plans), 0)
        self.assertEqual(self.gl_balance(self.deferred_account), 0)
        self.assertLedgerIsUnrecognizedAtEveryMonthEnd("2025-12-31")
        self.assertRollforwardTiesToTheLedger()
