"""The public methods as an RPC client calls them: dates as strings, companies as a list of
ids in ``company_ids``, through Odoo's XML-RPC endpoint."""

from datetime import date

from odoo.service.model import call_kw
from odoo.tests import HttpCase, tagged

from .common import YEAR_2025, DeferredRevenueCase


@tagged("post_install", "-at_install")
class TestPublicMethodsOverRpc(DeferredRevenueCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls.bill({"product_id": cls.plan, "price_unit": 1200.0, **YEAR_2025})
        cls.rows = cls.invoice.invoice_line_ids.saas_revenue_schedule_ids.line_ids
        cls.other_company = cls.env["res.company"].sudo().create({"name": "Other company"})

    def rpc(self, method, *args, **kwargs):
        """``method`` of the schedules called over XML-RPC as the accountant."""
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname,
            self.env.user.id,
            "accountman",
            "saas.revenue.schedule",
            method,
            list(args),
            kwargs,
        )

    def test_recognize_and_undo_take_a_list_of_company_ids(self):
        self.assertFalse(
            self.rpc("recognize_until", "2025-01-31", company_ids=[self.other_company.id])
        )
        self.assertEqual(set(self.rows.mapped("state")), {"planned"})

        recognized = self.rpc("recognize_until", "2025-01-31", company_ids=[self.company.id])
        entry = self.env["account.move"].browse(recognized)
        self.assertRecordValues(entry, [{"date": date(2025, 1, 31), "state": "posted"}])
        self.assertEqual(self.gl_balance(self.income_plans), -10000)

        self.assertFalse(
            self.rpc("undo_period", "2025-01-31", company_ids=[self.other_company.id])
        )
        reversals = self.rpc("undo_period", "2025-01-31", company_ids=[self.company.id])
        self.assertEqual(self.env["account.move"].browse(reversals).reversed_entry_id, entry)
        self.assertEqual(self.gl_balance(self.income_plans), 0)

    def test_python_callers_pass_a_recordset_or_ids_alike(self):
        schedules = self.env["saas.revenue.schedule"]
        by_ids = call_kw(
            schedules, "recognize_until", ["2025-01-31"], {"company_ids": [self.company.id]}
        )
        self.assertEqual(len(by_ids), 1)
        by_record = schedules.recognize_until("2025-02-28", company_ids=self.company)
        self.assertEqual(by_record.date, date(2025, 2, 28))
        self.assertEqual(len(schedules.undo_period("2025-02-28", company_ids=self.company)), 1)
