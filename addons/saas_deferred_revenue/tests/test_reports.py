"""The waterfall and the roll-forward agree with the schedules and the general ledger, month by
month, through billing, recognition and a full credit note."""

from datetime import date

from lxml import etree

from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from ..report.saas_revenue_rollforward import ROLLFORWARD_AMOUNTS
from .common import DeferredRevenueCase


@tagged("post_install", "-at_install")
class TestReports(DeferredRevenueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # January: 1,200.00 for the year (100.00 a month); February: 600.00 of support from
        # February to July (100.00 a month), for another customer.
        cls.invoice = cls.bill(
            {
                "product_id": cls.plan,
                "price_unit": 1200.0,
                "start": "2025-01-01",
                "end": "2025-12-31",
            }
        )
        cls.support_invoice = cls.bill(
            {
                "product_id": cls.support,
                "price_unit": 600.0,
                "start": "2025-02-01",
                "end": "2025-07-31",
            },
            invoice_date="2025-02-01",
            partner_id=cls.partner_b,
        )

    def rollforward(self, month):
        self.env.flush_all()
        self.env.invalidate_all()
        row = self.env["saas.revenue.rollforward"].search(
            [("account_id", "=", self.deferred_account.id), ("date", "=", month)]
        )
        self.assertEqual(len(row), 1)
        return [self.minor(row[field]) for field in ROLLFORWARD_AMOUNTS]

    def schedules(self):
        return self.env["saas.revenue.schedule"].search(
            [("deferred_account_id", "=", self.deferred_account.id)]
        )

    def assertClosingIsUnrecognizedAndLedger(self, closing):
        self.assertEqual(self.unrecognized(self.schedules()), closing)
        self.assertEqual(-self.gl_balance(self.deferred_account), closing)

    def test_rollforward_month_by_month(self):
        self.recognize("2025-01-31")
        self.assertEqual(
            self.rollforward(date(2025, 1, 1)), [0, 120000, 10000, 0, 0, 110000, 110000, 0]
        )
        self.recognize("2025-02-28")
        self.assertEqual(
            self.rollforward(date(2025, 2, 1)),
            [110000, 60000, 20000, 0, 0, 150000, 150000, 0],
        )
        self.recognize("2025-03-31")
        self.assertEqual(
            self.rollforward(date(2025, 3, 1)), [150000, 0, 20000, 0, 0, 130000, 130000, 0]
        )
        self.assertClosingIsUnrecognizedAndLedger(130000)

        # The yearly invoice is credited in full on 1 April: 900.00 still deferred and the
        # 300.00 recognized come back; April recognizes 100.00 of support and takes the
        # 300.00 back.
        credit_note = self._reverse_invoice(self.invoice, post=True, date="2025-04-01")
        self.recognize("2025-04-30")
        self.assertEqual(
            self.rollforward(date(2025, 4, 1)),
            [130000, 0, -20000, 120000, 0, 30000, 30000, 0],
        )
        self.assertClosingIsUnrecognizedAndLedger(30000)

        # A manual entry on the deferred account is "other", and the ledger follows it.
        self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": "2025-05-20",
                "line_ids": [
                    Command.create({"account_id": self.deferred_account.id, "balance": -50.0}),
                    Command.create({"account_id": self.income_plans.id, "balance": 50.0}),
                ],
            }
        ).action_post()
        self.recognize("2025-05-31")
        self.assertEqual(
            self.rollforward(date(2025, 5, 1)), [30000, 0, 10000, 0, 5000, 25000, 25000, 0]
        )
        self.assertBilledIsDeferredPlusRecognized(
            self.invoice + self.support_invoice + credit_note
        )
        self.assertRecognitionIsDone("2025-05-31")
        self.assertEqual(
            self.rollforward(date(2025, 5, 1)), [30000, 0, 10000, 0, 5000, 25000, 25000, 0]
        )

    def test_waterfall_totals_per_billed_month_are_the_billed_amounts(self):
        self.recognize("2025-03-31")
        credit_note = self._reverse_invoice(self.invoice, post=True, date="2025-04-01")
        self.env.flush_all()
        moves = self.invoice + self.support_invoice + credit_note
        waterfall = self.env["saas.revenue.waterfall"]
        domain = [("move_id", "in", moves.ids)]
        totals = {
            month: self.minor(amount)
            for month, amount in waterfall._read_group(
                domain, ["billed_month:month"], ["amount:sum"]
            )
        }
        self.assertEqual(
            totals, {date(2025, 1, 1): 120000, date(2025, 2, 1): 60000, date(2025, 4, 1): -120000}
        )
        # The January invoice across recognition months: posted for January to March, planned
        # after; the credit note's April row takes back what was recognized.
        cells = {
            (billed, recognized, state): self.minor(amount)
            for billed, recognized, state, amount in waterfall._read_group(
                domain,
                ["billed_month:month", "recognition_month:month", "state"],
                ["amount:sum"],
            )
        }
        self.assertEqual(cells[date(2025, 1, 1), date(2025, 3, 1), "posted"], 10000)
        self.assertEqual(cells[date(2025, 1, 1), date(2025, 4, 1), "planned"], 10000)
        self.assertEqual(cells[date(2025, 4, 1), date(2025, 4, 1), "planned"], -40000)
        self.assertEqual(cells[date(2025, 2, 1), date(2025, 2, 1), "posted"], 10000)

    def test_deferred_balance_at_a_date_by_customer_and_product(self):
        self.recognize("2025-03-31")
        self.recognize("2025-05-31")
        wizard = self.env["saas.deferred.balance.wizard"].create({"date": "2025-03-31"})
        action = wizard.action_open()
        balances = {
            (partner, product): self.minor(amount)
            for partner, product, amount in self.env["saas.revenue.schedule.line"]._read_group(
                action["domain"], ["partner_id", "product_id"], ["amount:sum"]
            )
        }
        # On 31 March: nine months of the plan and four of support still deferred, although
        # April and May are recognized since.
        self.assertEqual(
            balances,
            {(self.partner_a, self.plan): 90000, (self.partner_b, self.support): 40000},
        )
        self.assertEqual(self.rollforward(date(2025, 3, 1))[5], 130000)

    def test_reports_read_as_finance_reads_them(self):
        """Months read as months ("Jan 2025", not the first day); recognized and planned rows
        look different in the list and are measures of their own in the pivot."""
        self.recognize("2025-01-31")
        billing = new_test_user(
            self.env,
            login="dr_reports_billing",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        waterfall = self.env["saas.revenue.waterfall"].with_user(billing)
        views = waterfall.get_views([(False, "list"), (False, "pivot")])["views"]
        listed = etree.fromstring(views["list"]["arch"])
        self.assertEqual(listed.get("decoration-muted"), "state == 'planned'")
        names = [field.get("name") for field in listed.iter("field")]
        self.assertLess(names.index("billed_month_label"), names.index("amount"))
        self.assertIn("recognition_month_label", names)
        self.assertTrue(listed.xpath("//header/button[@name='action_export_xlsx']"))
        pivot = etree.fromstring(views["pivot"]["arch"])
        self.assertEqual(
            [field.get("name") for field in pivot.xpath("//field[@type='measure']")],
            ["recognized_amount", "planned_amount"],
        )
        self.assertEqual(
            pivot.xpath("//field[@type='row']")[0].attrib,
            {"name": "billed_month", "type": "row", "interval": "month"},
        )
        rows = waterfall.search_read(
            [("move_id", "=", self.invoice.id)],
            [
                "billed_month_label",
                "recognition_month_label",
                "recognized_amount",
                "planned_amount",
            ],
            order="recognition_month",
        )
        self.assertEqual(
            [(row["billed_month_label"], row["recognition_month_label"]) for row in rows[:2]],
            [("Jan 2025", "Jan 2025"), ("Jan 2025", "Feb 2025")],
        )
        self.assertEqual(
            [(row["recognized_amount"], row["planned_amount"]) for row in rows[:2]],
            [(100.0, 0.0), (0.0, 100.0)],
        )

        rollforward = self.env["saas.revenue.rollforward"].with_user(billing)
        listed = etree.fromstring(
            rollforward.get_views([(False, "list")])["views"]["list"]["arch"]
        )
        self.assertIn("month_label", [field.get("name") for field in listed.iter("field")])
        self.env.flush_all()
        [row] = rollforward.search_read(
            [("account_id", "=", self.deferred_account.id), ("date", "=", "2025-01-01")],
            ["month_label"],
        )
        self.assertEqual(row["month_label"], "Jan 2025")
