"""Each deferred revenue report downloads as an .xlsx file with the figures shown on screen."""

import base64
import io
from datetime import datetime

import openpyxl

from odoo.tests import tagged

from .common import DeferredRevenueCase


@tagged("post_install", "-at_install")
class TestReportExport(DeferredRevenueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # January: 1,200.00 for 2025; February: 600.00 of support from February to July, for
        # another customer. Both 100.00 a month.
        cls.bill(
            {
                "product_id": cls.plan,
                "price_unit": 1200.0,
                "start": "2025-01-01",
                "end": "2025-12-31",
            }
        )
        cls.bill(
            {
                "product_id": cls.support,
                "price_unit": 600.0,
                "start": "2025-02-01",
                "end": "2025-07-31",
            },
            invoice_date="2025-02-01",
            partner_id=cls.partner_b,
        )
        cls.env["saas.revenue.schedule"].recognize_until(datetime(2025, 2, 28).date())

    def download(self, action):
        """The workbook an export action downloads, as {sheet: [rows]}."""
        self.assertEqual(action["type"], "ir.actions.act_url")
        attachment_id = int(action["url"].split("/web/content/")[1].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        self.assertTrue(attachment.name.endswith(".xlsx"))
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        return {
            sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets
        }

    def test_waterfall_spreadsheet_has_billed_months_down_and_recognition_months_across(self):
        sheets = self.download(self.env["saas.revenue.waterfall"].action_export_xlsx())
        self.assertEqual(
            list(sheets),
            [
                "By Billed Month",
                "Posted",
                "Planned",
                "By Customer",
                "By Product",
                "By Subscription",
            ],
        )
        months = [f"2025-{month:02}" for month in range(1, 13)]
        header, january, february = sheets["By Billed Month"]
        self.assertEqual(header, ["Billed Month", *months, "Total"])
        self.assertEqual(january, [datetime(2025, 1, 1), *[100.0] * 12, 1200.0])
        self.assertEqual(february, [datetime(2025, 2, 1), 0, *[100.0] * 6, *[0] * 5, 600.0])

        header, january, february = sheets["Posted"]
        self.assertEqual(header, ["Billed Month", "2025-01", "2025-02", "Total"])
        self.assertEqual(january, [datetime(2025, 1, 1), 100.0, 100.0, 200.0])
        self.assertEqual(february, [datetime(2025, 2, 1), 0, 100.0, 100.0])
        self.assertEqual(sheets["Planned"][1][-1], 1000.0)

        by_customer = {row[0]: row[-1] for row in sheets["By Customer"][1:]}
        self.assertEqual(
            by_customer, {self.partner_a.display_name: 1200.0, self.partner_b.display_name: 600.0}
        )

    def test_rollforward_spreadsheet_rolls_and_matches_the_ledger(self):
        self.env.flush_all()
        sheets = self.download(self.env["saas.revenue.rollforward"].action_export_xlsx())
        header, *rows = sheets["Roll-forward"]
        self.assertEqual(
            header,
            [
                "Company",
                "Deferred Account",
                "Month",
                "Opening",
                "Billings",
                "Recognized",
                "Credits",
                "Other",
                "Closing",
                "GL Balance",
                "Difference",
            ],
        )
        ours = [row for row in rows if row[1] == self.deferred_account.display_name]
        self.assertEqual(
            [row[2:] for row in ours[:2]],
            [
                [datetime(2025, 1, 1), 0, 1200.0, 100.0, 0, 0, 1100.0, 1100.0, 0],
                [datetime(2025, 2, 1), 1100.0, 600.0, 200.0, 0, 0, 1500.0, 1500.0, 0],
            ],
        )

    def test_balance_at_a_date_spreadsheet_by_customer_and_in_detail(self):
        wizard = self.env["saas.deferred.balance.wizard"].create({"date": "2025-02-15"})
        sheets = self.download(wizard.action_export_xlsx())
        header, *totals = sheets["By Customer"]
        self.assertEqual(header, ["Customer", "Product", "Subscription", "Amount"])
        # January is recognized by 15 February; February is not yet.
        self.assertCountEqual(
            totals,
            [
                [self.partner_a.display_name, self.plan.display_name, None, 1100.0],
                [self.partner_b.display_name, self.support.display_name, None, 600.0],
            ],
        )
        header, *details = sheets["Schedule Lines"]
        self.assertEqual(len(details), 11 + 6)
        self.assertEqual(sum(row[-1] for row in details), 1700.0)
        self.assertEqual(header[3:], ["Invoice", "Billed On", "Date", "Amount"])
