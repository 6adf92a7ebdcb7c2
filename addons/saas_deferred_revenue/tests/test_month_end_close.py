"""The month-end close as finance runs it: a date defaulting to the last month end, a preview of
what moves per revenue account, deferred revenue account and currency before anything is
posted, "nothing to recognize" said as such, the entries posted opened as journal entries; and
its undo, previewed the same way, showing the entries reversed."""

from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import YEAR_2025, DeferredRevenueCase


@tagged("post_install", "-at_install")
class TestMonthEndClose(DeferredRevenueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.euro = cls.setup_other_currency("EUR")  # 2 EUR per company currency unit
        # A month: 100.00 of plan and 50.00 of support in company currency, 100.00 EUR of
        # plan (50.00 in company currency).
        cls.invoices = cls.bill(
            {"product_id": cls.plan, "price_unit": 1200.0, **YEAR_2025},
            {"product_id": cls.support, "price_unit": 600.0, **YEAR_2025},
        ) | cls.bill(
            {"product_id": cls.plan, "price_unit": 1200.0, **YEAR_2025}, currency_id=cls.euro
        )
        # Only the billing administrator role (Invoicing → Administrator), as a fresh
        # database gives its admin.
        cls.closer = new_test_user(
            cls.env,
            login="dr_closer",
            groups="account.group_account_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def close_wizard(self, until=None):
        values = {"date": until} if until else {}
        return self.env["saas.revenue.recognize.wizard"].with_user(self.closer).create(values)

    def undo_wizard(self, month=None):
        values = {"date": month} if month else {}
        return self.env["saas.revenue.undo.wizard"].with_user(self.closer).create(values)

    def preview(self, wizard):
        return sorted(
            (
                line.income_account_id.code,
                line.deferred_account_id.code,
                line.currency_id.name,
                line.months,
                line.line_count,
                self.minor(line.amount_currency),
                self.minor(line.amount),
            )
            for line in wizard.preview_line_ids
        )

    def income_by_currency(self, entries):
        """Credits to income accounts of ``entries`` per account and currency, in minor units
        of currency and of company currency."""
        totals = {}
        for line in entries.line_ids.filtered(
            lambda line: line.account_id != self.deferred_account
        ):
            key = (line.account_id.code, line.currency_id.name)
            amount_currency, amount = totals.get(key, (0, 0))
            totals[key] = (
                amount_currency - self.minor(line.amount_currency),
                amount - self.minor(line.balance),
            )
        return totals

    def test_close_defaults_to_the_last_month_end(self):
        with freeze_time("2025-03-14"):
            self.assertEqual(self.close_wizard().date, date(2025, 2, 28))
        with freeze_time("2025-03-31"):
            # The last day of a month is not over: its close comes the day after.
            self.assertEqual(self.close_wizard().date, date(2025, 2, 28))
        with freeze_time("2025-04-01"):
            self.assertEqual(self.close_wizard().date, date(2025, 3, 31))

    def test_close_previews_per_account_and_currency_then_shows_its_entries(self):
        wizard = self.close_wizard("2025-02-28")
        plans, support = self.income_plans.code, self.income_support.code
        deferred = self.deferred_account.code
        months = "2025-01 to 2025-02"
        self.assertEqual(
            self.preview(wizard),
            sorted(
                [
                    (plans, deferred, "EUR", months, 2, 20000, 10000),
                    (plans, deferred, "USD", months, 2, 20000, 20000),
                    (support, deferred, "USD", months, 2, 10000, 10000),
                ]
            ),
        )
        self.assertEqual(
            wizard.preview_message,
            "Schedule lines due by 02/28/2025: 6. Entries to post: 4, dated 01/31/2025 to "
            "02/28/2025.",
        )
        # Previewing posts nothing.
        self.assertEqual(self.gl_balance(self.income_plans), 0)

        action = wizard.action_recognize()
        entries = self.env["account.move"].search(action["domain"])
        self.assertEqual(len(entries), 4)
        self.assertEqual(set(entries.mapped("move_type")), {"entry"})
        self.assertEqual(set(entries.mapped("state")), {"posted"})
        self.assertEqual(
            sorted(entries.mapped("date")), [date(2025, 1, 31)] * 2 + [date(2025, 2, 28)] * 2
        )
        # Journal entries, as Odoo lists them: not the invoice layout.
        self.assertEqual(action["res_model"], "account.move")
        self.assertEqual(
            action["views"],
            [
                (self.env.ref("account.view_move_tree").id, "list"),
                (self.env.ref("account.view_move_form").id, "form"),
            ],
        )
        self.assertEqual(action["context"]["default_move_type"], "entry")
        # What was posted is what was previewed, to the cent.
        self.assertEqual(
            self.income_by_currency(entries),
            {
                (plans, "EUR"): (20000, 10000),
                (plans, "USD"): (20000, 20000),
                (support, "USD"): (10000, 10000),
            },
        )

        again = self.close_wizard("2025-02-28")
        self.assertFalse(again.preview_line_ids)
        self.assertEqual(again.due_count, 0)
        self.assertEqual(
            again.preview_message,
            "Nothing to recognize up to 02/28/2025: every revenue schedule line due by then is "
            "posted.",
        )
        notification = again.action_recognize()
        self.assertEqual(notification["tag"], "display_notification")
        self.assertEqual(notification["params"]["message"], again.preview_message)

    def test_close_of_a_locked_month_previews_its_entry_on_the_first_open_day(self):
        self.company.fiscalyear_lock_date = date(2025, 1, 31)
        wizard = self.close_wizard("2025-02-28")
        self.assertEqual(
            wizard.preview_message,
            "Schedule lines due by 02/28/2025: 6. Entries to post: 4, dated 02/01/2025 to "
            "02/28/2025.",
        )
        entries = self.env["account.move"].search(wizard.action_recognize()["domain"])
        self.assertEqual(
            sorted(entries.mapped("date")), [date(2025, 2, 1)] * 2 + [date(2025, 2, 28)] * 2
        )

    def test_close_without_a_recognition_journal_says_so_in_the_preview(self):
        self.company.saas_revenue_journal_id = False
        wizard = self.close_wizard("2025-02-28")
        self.assertEqual(len(wizard.preview_line_ids), 3)
        self.assertEqual(
            wizard.preview_message,
            f"Set a revenue recognition journal in the accounting settings of "
            f"{self.company.name}.",
        )
        with self.assertRaisesRegex(UserError, "Set a revenue recognition journal"):
            wizard.action_recognize()

    def test_close_of_a_day_to_come_previews_nothing(self):
        with freeze_time("2025-03-14"):
            wizard = self.close_wizard("2025-03-31")
            self.assertFalse(wizard.preview_line_ids)
            self.assertEqual(
                wizard.preview_message,
                "03/31/2025 is still to come: revenue is recognized once earned, up to today "
                "at the latest.",
            )

    def test_undo_previews_the_month_then_shows_the_reversed_entries(self):
        recognized = self.close_wizard("2025-02-28").action_recognize()
        february = (
            self.env["account.move"]
            .search(recognized["domain"])
            .filtered(lambda entry: entry.date == date(2025, 2, 28))
        )

        wizard = self.undo_wizard()
        # The last month closed.
        self.assertEqual(wizard.date, date(2025, 2, 28))
        plans, support = self.income_plans.code, self.income_support.code
        deferred = self.deferred_account.code
        self.assertEqual(
            self.preview(wizard),
            sorted(
                [
                    (plans, deferred, "EUR", "2025-02", 1, 10000, 5000),
                    (plans, deferred, "USD", "2025-02", 1, 10000, 10000),
                    (support, deferred, "USD", "2025-02", 1, 5000, 5000),
                ]
            ),
        )
        self.assertEqual(wizard.move_ids, february)
        self.assertEqual(
            wizard.preview_message,
            "Schedule lines recognized in 2025-02: 3. Entries to reverse on their own date: 2; "
            "the lines are then planned again.",
        )

        action = wizard.action_undo()
        shown = self.env["account.move"].search(action["domain"])
        self.assertEqual(action["views"][0], (self.env.ref("account.view_move_tree").id, "list"))
        self.assertEqual(shown - february, shown.filtered("reversed_entry_id"))
        self.assertEqual((shown - february).reversed_entry_id, february)
        self.assertEqual(set((shown - february).mapped("date")), {date(2025, 2, 28)})
        self.assertEqual(self.gl_balance(self.income_plans), -10000 - 5000)

        # February is open again: the undo now defaults to January; February has nothing.
        self.assertEqual(self.undo_wizard().date, date(2025, 1, 31))
        nothing = self.undo_wizard("2025-02-10")
        self.assertFalse(nothing.preview_line_ids)
        self.assertFalse(nothing.move_ids)
        self.assertEqual(
            nothing.preview_message, "Nothing recognized in 2025-02: nothing to undo."
        )
        self.assertEqual(
            nothing.action_undo()["params"]["message"],
            "Nothing recognized in 2025-02: nothing to undo.",
        )

    def test_billing_roles_see_the_journal_items_of_an_entry(self):
        """Odoo shows an entry's journal items with the full accounting features only; the
        recognition entries show theirs to billing roles too, read-only."""
        accountant = new_test_user(
            self.env, login="dr_full_accountant", groups="account.group_account_user"
        )
        for user, page in ((self.closer, "saas_entry_items"), (accountant, "aml_tab")):
            with self.subTest(user=user.login):
                arch = etree.fromstring(
                    self.env["account.move"]
                    .with_user(user)
                    .get_views([(self.env.ref("account.view_move_form").id, "form")])["views"][
                        "form"
                    ]["arch"]
                )
                self.assertEqual(
                    [node.get("name") for node in arch.xpath("//page[@string='Journal Items']")],
                    [page],
                )
