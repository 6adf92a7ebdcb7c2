"""Each deferred revenue report downloads as an .xlsx file with the figures shown on screen,
through HTTP as a billing user: a file named after the report, every amount with the decimals
of its currency, and nothing left behind in the database."""

import io
from datetime import datetime

import openpyxl

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import YEAR_2025, DeferredRevenueCase


class ExportCase(DeferredRevenueCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = new_test_user(
            cls.env,
            login="dr_export_billing",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def export(self, model, **values):
        """The action of ``model``'s export button, as the billing user."""
        records = self.env[model].with_user(self.billing)
        if values:
            records = records.create(values)
        return records.action_export_xlsx()

    def download(self, action):
        """The file an export action downloads, fetched as the billing user: its name and its
        sheets ({title: worksheet})."""
        self.assertEqual((action["type"], action["target"]), ("ir.actions.act_url", "download"))
        attachments = self.env["ir.attachment"].sudo().search_count([])
        self.authenticate(self.billing.login, self.billing.login)
        response = self.url_open(action["url"])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.headers["Content-Type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        self.assertEqual(self.env["ir.attachment"].sudo().search_count([]), attachments)
        filename = response.headers["Content-Disposition"].split("filename*=UTF-8''")[-1]
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        return filename, {sheet.title: sheet for sheet in book.worksheets}

    def rows(self, sheet):
        return [list(row) for row in sheet.iter_rows(values_only=True)]

    def this_month(self):
        return fields.Date.context_today(self.env["res.users"]).strftime("%Y-%m")


@tagged("post_install", "-at_install")
class TestReportExport(ExportCase):
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

    def test_waterfall_spreadsheet_has_billed_months_down_and_recognition_months_across(self):
        filename, books = self.download(self.export("saas.revenue.waterfall"))
        self.assertEqual(filename, f"Deferred%20revenue%20waterfall%20{self.this_month()}.xlsx")
        sheets = {title: self.rows(sheet) for title, sheet in books.items()}
        self.assertEqual(
            list(sheets),
            [
                "By Billed Month",
                "Recognized",
                "Planned",
                "By Customer",
                "By Product",
                "By Subscription",
                "By Currency",
            ],
        )
        months = [f"2025-{month:02}" for month in range(1, 13)]
        header, january, february = sheets["By Billed Month"]
        self.assertEqual(header, ["Billed Month", *months, "Total"])
        self.assertEqual(january, [datetime(2025, 1, 1), *[100.0] * 12, 1200.0])
        self.assertEqual(february, [datetime(2025, 2, 1), 0, *[100.0] * 6, *[0] * 5, 600.0])

        self.assertEqual(books["By Billed Month"]["B2"].number_format, "#,##0.00")
        header, january, february = sheets["Recognized"]
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
        filename, books = self.download(self.export("saas.revenue.rollforward"))
        self.assertEqual(filename, f"Deferred%20revenue%20roll-forward%20{self.this_month()}.xlsx")
        header, *rows = self.rows(books["Roll-forward"])
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
        filename, books = self.download(
            self.export("saas.deferred.balance.wizard", date="2025-02-15")
        )
        self.assertEqual(filename, "Deferred%20revenue%20balance%202025-02-15.xlsx")
        sheets = {title: self.rows(sheet) for title, sheet in books.items()}
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
        self.assertEqual(
            header[3:],
            ["Invoice", "Billed On", "Date", "Currency", "Amount in Currency", "Amount"],
        )

    def test_only_report_models_export_and_a_wizard_only_for_its_user(self):
        self.authenticate(self.billing.login, self.billing.login)
        self.assertEqual(self.url_open("/saas_deferred_revenue/xlsx/res.partner").status_code, 404)
        wizard = self.env["saas.deferred.balance.wizard"].create({"date": "2025-02-15"})
        response = self.url_open(f"/saas_deferred_revenue/xlsx/{wizard._name}/{wizard.id}")
        self.assertEqual(response.status_code, 404)
        self.authenticate(None, None)
        response = self.url_open("/saas_deferred_revenue/xlsx/saas.revenue.waterfall")
        self.assertNotIn(".xlsx", response.headers.get("Content-Disposition", ""))


@tagged("post_install", "-at_install")
class TestReportExportCurrencies(ExportCase):
    """A USD company bills in euros and in yen (2 EUR or 2 JPY per USD): the exports show
    each amount in the invoice's currency with that currency's decimals, beside the company
    currency with its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.euro = cls.setup_other_currency("EUR")
        cls.yen = cls.setup_other_currency("JPY", rounding=1.0)
        # 1,200.06 EUR over 2025: 100.00 or 100.01 EUR a month; 120,001 JPY: 10,000 JPY a
        # month, one month 10,001. Amounts that show a wrong number of decimals at once.
        cls.bill(
            {"product_id": cls.plan, "price_unit": 1200.06, **YEAR_2025}, currency_id=cls.euro
        )
        cls.bill(
            {"product_id": cls.support, "price_unit": 120001, **YEAR_2025},
            currency_id=cls.yen,
            partner_id=cls.partner_b,
        )
        cls.env["saas.revenue.schedule"].recognize_until(datetime(2025, 1, 31).date())

    def test_balance_lines_show_the_invoice_and_company_currencies(self):
        _filename, books = self.download(
            self.export("saas.deferred.balance.wizard", date="2025-12-31")
        )
        sheet = books["Schedule Lines"]
        header = [cell.value for cell in sheet[1]]
        currency, in_currency, amount = (
            header.index(name) for name in ("Currency", "Amount in Currency", "Amount")
        )
        cells = {}
        for row in sheet.iter_rows(min_row=2):
            cells.setdefault(row[currency].value, []).append((row[in_currency], row[amount]))
        self.assertEqual(len(cells["EUR"]), 11)
        self.assertEqual(len(cells["JPY"]), 11)
        for code, formats in (("EUR", "#,##0.00"), ("JPY", "#,##0")):
            with self.subTest(currency=code):
                self.assertEqual({cell.number_format for cell, _usd in cells[code]}, {formats})
                self.assertEqual({usd.number_format for _cell, usd in cells[code]}, {"#,##0.00"})
        lines = self.env["saas.revenue.schedule.line"].search(
            [("state", "=", "planned"), ("currency_id", "in", (self.euro + self.yen).ids)]
        )
        expected = {
            (line.currency_id.name, round(line.amount_currency, line.currency_id.decimal_places))
            for line in lines
        }
        self.assertEqual(
            {(code, cell.value) for code, pairs in cells.items() for cell, _usd in pairs},
            expected,
        )
        self.assertEqual(sorted(cell.value for cell, _usd in cells["JPY"]), [10000] * 10 + [10001])
        self.assertEqual(
            round(sum(usd.value for pairs in cells.values() for _cell, usd in pairs), 2),
            round(sum(lines.mapped("amount")), 2),
        )

    def test_waterfall_by_currency_sheet(self):
        self.env.flush_all()
        _filename, books = self.download(self.export("saas.revenue.waterfall"))
        sheet = books["By Currency"]
        self.assertEqual(
            [cell.value for cell in sheet[1]],
            [
                "Billed Month",
                "Recognition Month",
                "Status",
                "Currency",
                "Amount in Currency",
                f"Amount in {self.company.currency_id.name}",
            ],
        )
        by_currency = {}
        for row in sheet.iter_rows(min_row=2):
            by_currency.setdefault(row[3].value, []).append(row)
        for code, total, decimals in (("EUR", 1200.06, "#,##0.00"), ("JPY", 120001, "#,##0")):
            with self.subTest(currency=code):
                rows = by_currency[code]
                self.assertEqual(round(sum(row[4].value for row in rows), 2), total)
                self.assertEqual({row[4].number_format for row in rows}, {decimals})
                self.assertEqual({row[5].number_format for row in rows}, {"#,##0.00"})
                self.assertEqual({row[2].value for row in rows}, {"Recognized", "Planned"})
        self.assertEqual(
            sorted(row[4].value for row in by_currency["JPY"]), [10000] * 11 + [10001]
        )
