"""Undoing a month's recognition reverses its entries and plans its schedule lines again, so
that the next recognition posts the same amounts; a locked month cannot be undone."""

from datetime import date

from odoo.exceptions import UserError
from odoo.service.model import call_kw
from odoo.tests import tagged

from .common import DeferredRevenueCase

YEAR_2025 = {"start": "2025-01-01", "end": "2025-12-31"}


@tagged("post_install", "-at_install")
class TestUndoPeriod(DeferredRevenueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 100.00 of plan and 50.00 of support a month.
        cls.invoice = cls.bill(
            {"product_id": cls.plan, "price_unit": 1200.0, **YEAR_2025},
            {"product_id": cls.support, "price_unit": 600.0, **YEAR_2025},
        )
        cls.schedule_lines = cls.invoice.invoice_line_ids.saas_revenue_schedule_ids.line_ids

    def month_lines(self, month):
        return self.schedule_lines.filtered(lambda line: line.date.month == month)

    def entry_lines(self, move):
        return sorted(
            (line.account_id.id, self.minor(line.debit), self.minor(line.credit))
            for line in move.line_ids
        )

    def test_undo_reverses_the_month_and_recognition_posts_it_again(self):
        first = self.recognize("2025-03-31")
        february = first.filtered(lambda move: move.date == date(2025, 2, 28))
        february_entry = self.entry_lines(february)

        reversals = self.env["saas.revenue.schedule"].undo_period(date(2025, 2, 10))
        self.assertRecordValues(
            reversals,
            [{"date": date(2025, 2, 28), "reversed_entry_id": february.id, "state": "posted"}],
        )
        self.assertEqual(
            [(line.state, line.move_id, line.posted_date) for line in self.month_lines(2)],
            [("planned", self.env["account.move"], False)] * 2,
        )
        self.assertEqual(set(self.month_lines(3).mapped("state")), {"posted"})
        # January and March stay recognized: 150.00 each.
        self.assertEqual(self.gl_balance(self.deferred_account), -180000 + 30000)
        self.assertEqual(self.gl_balance(self.income_plans), -20000)
        self.assertEqual(self.gl_balance(self.income_support), -10000)
        self.assertLedgerIsUnrecognizedAtEveryMonthEnd("2025-03-31")

        # Undoing again finds nothing posted for February.
        self.assertFalse(self.env["saas.revenue.schedule"].undo_period("2025-02-28"))
        self.assertEqual(self.gl_balance(self.deferred_account), -150000)

        again = self.recognize("2025-03-31")
        self.assertEqual(again.date, date(2025, 2, 28))
        self.assertEqual(self.entry_lines(again), february_entry)
        self.assertEqual(self.month_lines(2).move_id, again)
        self.assertEqual(self.gl_balance(self.deferred_account), -180000 + 45000)
        self.assertInvariants(self.invoice, "2025-03-31")

    def test_locked_month_cannot_be_undone(self):
        self.recognize("2025-03-31")
        self.company.fiscalyear_lock_date = date(2025, 2, 28)
        with self.assertRaisesRegex(
            UserError, r"revenue of 2025-02 was recognized on 2025-02-28, in a locked period"
        ):
            self.env["saas.revenue.schedule"].undo_period(date(2025, 2, 1))
        self.assertEqual(set(self.month_lines(2).mapped("state")), {"posted"})
        self.assertFalse(
            self.env["account.move"].search(
                [("reversed_entry_id", "in", self.month_lines(2).move_id.ids)]
            )
        )
        # March is open: it can be undone.
        reversal = self.env["saas.revenue.schedule"].undo_period(date(2025, 3, 1))
        self.assertEqual(reversal.date, date(2025, 3, 31))
        self.assertLedgerIsUnrecognizedAtEveryMonthEnd("2025-03-31")
        self.assertEqual(self.recognize("2025-03-31").date, date(2025, 3, 31))
        self.assertInvariants(self.invoice, "2025-03-31")

    def test_month_recognized_late_is_undone_on_its_entry_date(self):
        self.company.fiscalyear_lock_date = date(2025, 1, 31)
        self.recognize("2025-02-28")
        january = self.month_lines(1)
        self.assertEqual(set(january.mapped("posted_date")), {date(2025, 2, 1)})
        reversal = self.env["saas.revenue.schedule"].undo_period(date(2025, 1, 31))
        self.assertEqual(reversal.date, date(2025, 2, 1))
        self.assertEqual(january.mapped("note"), [False, False])
        self.assertEqual(self.recognize("2025-02-28").date, date(2025, 2, 1))
        self.assertIn("locked", january[0].note)
        self.assertInvariants(self.invoice, "2025-02-28")

    def test_undo_over_rpc_returns_the_reversals(self):
        moves = self.recognize("2025-01-31")
        result = call_kw(
            self.env["saas.revenue.schedule"],
            "undo_period",
            ["2025-01-31"],
            {"company_ids": [self.company.id]},
        )
        self.assertEqual(self.env["account.move"].browse(result).reversed_entry_id, moves)
        # Another company's month is not touched.
        self.recognize("2025-01-31")
        other = self.env["res.company"].create({"name": "Other company"})
        self.assertFalse(
            call_kw(
                self.env["saas.revenue.schedule"],
                "undo_period",
                ["2025-01-31"],
                {"company_ids": [other.id]},
            )
        )
        self.assertEqual(set(self.month_lines(1).mapped("state")), {"posted"})

    def test_wizard_undoes_the_month_and_shows_both_entries(self):
        moves = self.recognize("2025-02-28")
        wizard = self.env["saas.revenue.undo.wizard"].create({"date": "2025-02-14"})
        action = wizard.action_undo()
        shown = self.env["account.move"].search(action["domain"])
        february = moves.filtered(lambda move: move.date == date(2025, 2, 28))
        self.assertEqual(shown - february, february.reversal_move_ids)
        self.assertEqual(len(shown), 2)
        self.assertEqual(set(self.month_lines(2).mapped("state")), {"planned"})
