"""Month-end recognition: one entry per company, journal, month and currency, aggregated by
account and analytic, idempotent, into the first open period when a month is locked."""

from datetime import date

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import DeferredRevenueCase

YEAR_2025 = {"start": "2025-01-01", "end": "2025-12-31"}


@tagged("post_install", "-at_install")
class TestRecognition(DeferredRevenueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Plans: 1,200.00 + 2,400.00 a year (100.00 + 200.00 a month); support 1,200.00 a year.
        cls.invoice_a = cls.bill(
            {"product_id": cls.plan, "price_unit": 1200.0, **YEAR_2025},
            {"product_id": cls.support, "price_unit": 1200.0, **YEAR_2025},
        )
        cls.invoice_b = cls.bill({"product_id": cls.plan, "price_unit": 2400.0, **YEAR_2025})
        cls.schedules = (cls.invoice_a + cls.invoice_b).invoice_line_ids.saas_revenue_schedule_ids

    def entry_lines(self, move):
        return [
            (line.account_id, self.minor(line.debit), self.minor(line.credit))
            for line in move.line_ids.sorted(lambda line: (line.account_id.code, line.debit))
        ]

    def test_recognition_posts_one_entry_per_month_aggregated_by_income_account(self):
        moves = self.recognize("2025-03-31")
        self.assertEqual(
            moves.mapped("date"), [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]
        )
        self.assertEqual(moves.mapped("state"), ["posted"] * 3)
        self.assertEqual(moves.journal_id, self.recognition_journal)
        for move in moves:
            self.assertCountEqual(
                self.entry_lines(move),
                [
                    (self.deferred_account, 30000, 0),
                    (self.income_plans, 0, 30000),
                    (self.deferred_account, 10000, 0),
                    (self.income_support, 0, 10000),
                ],
            )
        self.assertEqual(self.gl_balance(self.income_plans), -90000)
        self.assertEqual(self.gl_balance(self.income_support), -30000)

        posted = self.schedules.line_ids.filtered(lambda line: line.state == "posted")
        self.assertEqual(len(posted), 9)
        self.assertEqual(posted.move_id, moves)
        self.assertEqual(set(posted.mapped("posted_date")), set(moves.mapped("date")))

    def test_second_run_posts_nothing(self):
        first = self.recognize("2025-03-31")
        self.assertEqual(len(first), 3)
        self.assertFalse(self.recognize("2025-03-31"))
        self.assertEqual(self.gl_balance(self.income_plans), -90000)
        self.assertEqual(self.recognize("2025-04-30").date, date(2025, 4, 30))

    def test_deferred_balance_is_the_unrecognized_schedule_amount(self):
        self.recognize("2025-03-31")
        unrecognized = sum(
            self.minor(line.amount) for line in self.schedules.line_ids if line.state == "planned"
        )
        self.assertEqual(unrecognized, 360000)
        self.assertEqual(self.gl_balance(self.deferred_account), -unrecognized)

    def test_billed_is_deferred_plus_recognized_for_every_line(self):
        self.recognize("2025-03-31")
        for schedule in self.schedules:
            billed = -self.minor(schedule.move_line_id.balance)
            self.assertEqual(
                billed,
                self.minor(schedule.recognized_amount) + self.minor(schedule.deferred_amount),
            )
        plan_a = self.schedules.filtered(
            lambda s: s.move_id == self.invoice_a and s.product_id == self.plan
        )
        self.assertEqual((plan_a.recognized_amount, plan_a.deferred_amount), (300.0, 900.0))

    def test_locked_period_posts_into_the_first_open_period(self):
        self.company.fiscalyear_lock_date = date(2025, 2, 28)
        moves = self.recognize("2025-03-31")
        self.assertEqual(
            moves.mapped("date"), [date(2025, 3, 1), date(2025, 3, 1), date(2025, 3, 31)]
        )
        january = self.schedules.line_ids.filtered(lambda line: line.date == date(2025, 1, 31))
        self.assertEqual(set(january.mapped("posted_date")), {date(2025, 3, 1)})
        self.assertIn("locked", january[0].note)
        march = self.schedules.line_ids.filtered(lambda line: line.date == date(2025, 3, 31))
        self.assertFalse(march[0].note)
        self.assertEqual(self.gl_balance(self.income_plans), -90000)
        self.assertInvariants(self.invoice_a + self.invoice_b, "2025-03-31")

    def test_full_credit_note_cancels_the_remaining_recognition(self):
        self.recognize("2025-01-31")
        self._reverse_invoice(self.invoice_b, post=True, date="2025-02-01")
        moves = self.recognize("2025-12-31")
        # January's 200.00 of invoice B, recognized before the credit note, comes back on the
        # credit note's date, in February's entry; from February on, invoice B and its credit
        # note net to nothing. February's plans: 100.00 of invoice A less those 200.00.
        self.assertNotIn(date(2025, 1, 31), moves.mapped("date"))
        february = moves.filtered(lambda move: move.date == date(2025, 2, 28))
        self.assertCountEqual(
            self.entry_lines(february),
            [
                (self.income_plans, 10000, 0),
                (self.deferred_account, 0, 10000),
                (self.deferred_account, 10000, 0),
                (self.income_support, 0, 10000),
            ],
        )
        self.assertEqual(len(moves), 11)
        self.assertEqual(self.gl_balance(self.income_plans), -120000)
        self.assertEqual(self.gl_balance(self.deferred_account), 0)
        self.assertInvariants(
            self.invoice_a + self.invoice_b + self.invoice_b.reversal_move_ids, "2025-12-31"
        )

    def test_foreign_currency_gets_its_own_entry(self):
        other = self.setup_other_currency("EUR")  # 2 EUR per company currency unit since 2017
        euro_invoice = self.bill(
            {"product_id": self.plan, "price_unit": 2400.0, **YEAR_2025}, currency_id=other
        )
        moves = self.recognize("2025-01-31")
        self.assertEqual(len(moves), 2)
        euro = moves.filtered(lambda move: move.currency_id == other)
        self.assertRecordValues(
            euro.line_ids.sorted("balance"),
            [
                {"account_id": self.income_plans.id, "balance": -100.0, "amount_currency": -200.0},
                {
                    "account_id": self.deferred_account.id,
                    "balance": 100.0,
                    "amount_currency": 200.0,
                },
            ],
        )
        self.assertInvariants(self.invoice_a + self.invoice_b + euro_invoice, "2025-01-31")

    def test_every_basis_recognizes_the_whole_invoice_to_the_cent(self):
        # 1,000.00 from 15 January to 14 April 2025: 17, 28, 31 and 14 service days.
        expected = {
            "days": [188.89, 311.11, 344.44, 155.56],
            "months": [181.88, 331.67, 331.67, 154.78],
            "full_months": [250.0, 250.0, 250.0, 250.0],
        }
        for basis, amounts in expected.items():
            with self.subTest(basis=basis):
                self.company.saas_revenue_basis = basis
                invoice = self.bill(
                    {
                        "product_id": self.support,
                        "price_unit": 1000.0,
                        "start": "2025-01-15",
                        "end": "2025-04-14",
                    }
                )
                schedule = invoice.invoice_line_ids.saas_revenue_schedule_ids
                self.assertEqual(schedule.basis, basis)
                self.assertEqual(schedule.line_ids.mapped("amount"), amounts)
        self.recognize("2025-04-30")
        self.assertEqual(self.gl_balance(self.income_support), -300000 - 40000)
        self.recognize("2025-12-31")
        invoices = self.schedules.move_id | self.env["account.move"].search(
            [("invoice_line_ids.product_id", "=", self.support.id)]
        )
        self.assertInvariants(invoices, "2025-12-31")

    def test_mid_month_date_recognizes_services_ended_by_then_on_that_date(self):
        # Support from 1 January to 14 February 2025: 300.00 for January, 150.00 for the half
        # of February (months basis); the yearly plans fall due at every month end.
        short = self.bill(
            {
                "product_id": self.support,
                "price_unit": 450.0,
                "start": "2025-01-01",
                "end": "2025-02-14",
            }
        )
        moves = self.recognize("2025-02-20")
        self.assertEqual(moves.mapped("date"), [date(2025, 1, 31), date(2025, 2, 20)])
        february = moves.filtered(lambda move: move.date.month == 2)
        # Only the service that ended by the 20th: the plans' February waits for its end.
        self.assertCountEqual(
            self.entry_lines(february),
            [(self.deferred_account, 15000, 0), (self.income_support, 0, 15000)],
        )
        short_lines = short.invoice_line_ids.saas_revenue_schedule_ids.line_ids
        self.assertEqual(short_lines.mapped("posted_date"), [date(2025, 1, 31), date(2025, 2, 20)])
        # Billed 4,800.00 + 450.00; recognized January's 700.00 and the 150.00.
        self.assertEqual(
            self.gl_balance(self.deferred_account, at=date(2025, 2, 20)), -(525000 - 85000)
        )

        # The rest of February comes with its end, and undoing the month takes both entries.
        month_end = self.recognize("2025-02-28")
        self.assertEqual(month_end.date, date(2025, 2, 28))
        self.assertEqual(self.gl_balance(self.income_support), -(10000 * 2 + 45000))
        reversals = self.env["saas.revenue.schedule"].undo_period("2025-02-20")
        self.assertEqual(reversals.reversed_entry_id, february | month_end)
        self.assertEqual(self.recognize("2025-02-28").date, date(2025, 2, 28))
        self.assertInvariants(self.invoice_a + self.invoice_b + short, "2025-02-28")

    def test_cancelled_service_is_recognized_on_its_last_day_not_at_month_end(self):
        schedule = self.schedules.filtered(lambda s: s.move_id == self.invoice_b)
        self.recognize("2025-03-31")
        schedule.recognize_remaining(date(2025, 4, 15))
        moves = self.recognize("2025-04-15")
        # April to December of invoice B's plan, 200.00 a month, earned when the service ended.
        self.assertEqual(moves.date, date(2025, 4, 15))
        self.assertCountEqual(
            self.entry_lines(moves),
            [(self.deferred_account, 180000, 0), (self.income_plans, 0, 180000)],
        )

    def test_recognized_invoice_cannot_be_reset_to_draft(self):
        self.recognize("2025-01-31")
        with self.assertRaisesRegex(UserError, "recognized already"):
            self.invoice_a.button_draft()

    def test_revenue_is_not_recognized_before_it_is_earned(self):
        with self.assertRaisesRegex(UserError, "before it is earned"):
            self.recognize("2999-12-31")

    def test_wizard_recognizes_for_the_current_company(self):
        wizard = self.env["saas.revenue.recognize.wizard"].create({"date": "2025-02-28"})
        action = wizard.action_recognize()
        moves = self.env["account.move"].search(action["domain"], order="date")
        self.assertEqual(moves.mapped("date"), [date(2025, 1, 31), date(2025, 2, 28)])

    def test_analytic_revenue_arrives_with_recognition(self):
        plan = self.env["account.analytic.plan"].create({"name": "Departments"})
        sales = self.env["account.analytic.account"].create({"name": "Sales", "plan_id": plan.id})
        distribution = {str(sales.id): 100.0}
        invoice = self.bill(
            {
                "product_id": self.plan,
                "price_unit": 600.0,
                "analytic_distribution": distribution,
                **YEAR_2025,
            }
        )
        self.assertFalse(invoice.invoice_line_ids.analytic_line_ids)
        self.assertEqual(
            invoice.invoice_line_ids.saas_revenue_schedule_ids.analytic_distribution, distribution
        )

        january = self.recognize("2025-01-31")
        # Plans with and without the analytic account stay apart; support has its own account.
        self.assertCountEqual(
            [
                (line.account_id, self.minor(line.balance), line.analytic_distribution or {})
                for line in january.line_ids
            ],
            [
                (self.deferred_account, 30000, {}),
                (self.income_plans, -30000, {}),
                (self.deferred_account, 10000, {}),
                (self.income_support, -10000, {}),
                (self.deferred_account, 5000, {}),
                (self.income_plans, -5000, distribution),
            ],
        )
        analytic_lines = january.line_ids.analytic_line_ids
        self.assertEqual(analytic_lines[plan._column_name()], sales)
        self.assertEqual(analytic_lines.amount, 50.0)

    def test_monthly_cron_recognizes_everything_due(self):
        cron = self.env.ref("saas_deferred_revenue.ir_cron_recognize_revenue")
        self.assertTrue(cron.active)
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "months"))
        self.env["saas.revenue.schedule"]._cron_recognize()
        self.assertEqual(set(self.schedules.line_ids.mapped("state")), {"posted"})
        self.assertEqual(self.gl_balance(self.deferred_account), 0)
        self.assertEqual(self.gl_balance(self.income_plans), -360000)

    def test_each_company_recognizes_in_its_own_journal(self):
        other_data = self.setup_other_company()
        other = other_data["company"]
        env = self.env(context=dict(self.env.context, allowed_company_ids=[other.id]))
        other_deferred = env["account.account"].create(
            {"name": "Deferred Revenue", "code": "289100", "account_type": "liability_current"}
        )
        other.write(
            {
                "saas_deferred_revenue_account_id": other_deferred.id,
                "saas_revenue_journal_id": other_data["default_journal_misc"].id,
            }
        )
        invoice = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner_a.id,
                "invoice_date": "2025-01-01",
                "invoice_line_ids": [
                    self._prepare_invoice_line(
                        product_id=self.plan,
                        price_unit=3100.0,
                        saas_service_start="2025-01-01",
                        saas_service_end="2025-01-31",
                    )
                ],
            }
        )
        invoice.action_post()
        self.assertEqual(invoice.invoice_line_ids.account_id, other_deferred)

        own = self.env["saas.revenue.schedule"].recognize_until(
            date(2025, 1, 31), company_ids=self.company
        )
        self.assertEqual(own.company_id, self.company)
        other_schedule = invoice.invoice_line_ids.saas_revenue_schedule_ids
        self.assertEqual(other_schedule.line_ids.state, "planned")

        theirs = env["saas.revenue.schedule"].recognize_until(
            date(2025, 1, 31), company_ids=other.ids
        )
        self.assertEqual(theirs.journal_id, other_data["default_journal_misc"])
        self.assertEqual(theirs.amount_total, 3100.0)
        self.assertEqual(other_schedule.line_ids.move_id, theirs)
