"""Deferred revenue in a real browser, as finance users with Community's default roles reach
it: the month-end close by a billing administrator, the menus walked by a billing user, the
settings found by search. The tours are in ``static/tests/tours``.

A missing browser fails these tests instead of skipping them: ``scripts/setup.sh`` installs
Chromium, and a suite that silently skips its browser tests proves nothing."""

import unittest
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import _find_executable, websocket
from odoo.tools import date_utils

from .common import DeferredRevenueCase


@tagged("post_install", "-at_install")
class TestDeferredRevenueTours(DeferredRevenueCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 100.00 a month for a year from two months ago: the close of the last month end
        # recognizes two months.
        today = fields.Date.context_today(cls.env["res.users"])
        start = date_utils.start_of(today, "month") - relativedelta(months=2)
        end = start + relativedelta(years=1) - timedelta(days=1)
        cls.invoice = cls.bill(
            {"product_id": cls.plan, "price_unit": 1200.0, "start": start, "end": end},
            invoice_date=start,
        )

    def setUp(self):
        super().setUp()
        try:
            _find_executable()
        except unittest.SkipTest:
            self.fail("Chromium is not installed: run scripts/setup.sh as root (apt chromium)")
        if websocket is None:
            self.fail("websocket-client is not installed in the virtualenv")

    def finance_user(self, login, groups):
        return new_test_user(
            self.env,
            login=login,
            groups=groups,
            company_id=self.company.id,
            company_ids=[self.company.id],
        )

    def tour(self, name, login, url="/odoo"):
        try:
            self.start_tour(url, name, login=login)
        except unittest.SkipTest as skipped:
            self.fail(f"the browser could not run the tour: {skipped}")

    def test_month_end_close_by_a_billing_administrator(self):
        closer = self.finance_user("dr_tour_closer", "account.group_account_manager")
        self.tour("saas_deferred_revenue_month_end_close", closer.login)
        entries = self.invoice.invoice_line_ids.saas_revenue_schedule_ids.line_ids.move_id
        self.assertEqual(len(entries), 2)
        self.assertEqual(set(entries.mapped("state")), {"posted"})
        self.assertEqual(self.gl_balance(self.income_plans), -20000)

    def test_billing_user_walks_the_deferred_revenue_menus(self):
        billing = self.finance_user("dr_tour_billing", "account.group_account_invoice")
        self.tour("saas_deferred_revenue_billing_menus", billing.login)

    def test_settings_search_finds_deferred_revenue(self):
        self.tour("saas_deferred_revenue_settings_search", "admin", url="/odoo/settings")
