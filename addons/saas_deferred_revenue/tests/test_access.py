"""Deferred revenue is reachable with the roles Community gives finance users — billing
(*Invoicing*) and billing administrator (*Administrator*) — as well as with the full accounting
features, and no menu a role sees leads to an Access Error: every action behind the menus is
opened, read and run as each role that sees it."""

from lxml import etree

from odoo.tests import new_test_user, tagged

from .common import YEAR_2025, DeferredRevenueCase

REPORTS = ["Revenue Schedules", "Waterfall", "Roll-forward", "Balance at a Date"]
CLOSING = [
    "Month-End Close",
    "Undo Month-End Close",
    "Create Revenue Schedules for Posted Invoices",
]


@tagged("post_install", "-at_install")
class TestFinanceRolesAccess(DeferredRevenueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls.bill({"product_id": cls.plan, "price_unit": 1200.0, **YEAR_2025})
        cls.env["saas.revenue.schedule"].recognize_until("2025-03-31")

        def user(login, groups):
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=cls.company.id,
                company_ids=[cls.company.id],
            )

        cls.roles = {
            "billing": user("dr_billing", "account.group_account_invoice"),
            "billing administrator": user("dr_billing_admin", "account.group_account_manager"),
            "readonly": user("dr_readonly", "account.group_account_readonly"),
            "accountant": user("dr_accountant", "account.group_account_user"),
        }
        cls.employee = user("dr_employee", "base.group_user")
        cls.root_menu = cls.env.ref("saas_deferred_revenue.menu_saas_deferred_revenue_root")

    def visible_menus(self, user):
        """Names of the deferred revenue menus ``user`` sees, its root and Invoicing open."""
        visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
        if not {self.root_menu.id, self.root_menu.parent_id.id} <= visible:
            return []
        return self.root_menu.child_id.filtered(lambda menu: menu.id in visible).mapped("name")

    def test_finance_roles_see_the_menus_of_their_role_under_invoicing(self):
        self.assertEqual(self.root_menu.parent_id, self.env.ref("account.menu_finance"))
        self.assertEqual(self.visible_menus(self.roles["billing"]), REPORTS)
        self.assertEqual(
            self.visible_menus(self.roles["billing administrator"]),
            [*CLOSING[:2], REPORTS[0], CLOSING[2], *REPORTS[1:]],
        )
        self.assertEqual(self.visible_menus(self.roles["readonly"]), REPORTS)
        self.assertEqual(self.visible_menus(self.roles["accountant"]), REPORTS)
        self.assertEqual(self.visible_menus(self.employee), [])

    def test_fresh_database_admin_sees_the_month_end_close(self):
        """The admin of a new database has the billing administrator role, not the full
        accounting features: the close is his."""
        admin = self.env.ref("base.user_admin")
        self.assertFalse(admin.has_group("account.group_account_user"))
        self.assertEqual(
            self.visible_menus(admin), [*CLOSING[:2], REPORTS[0], CLOSING[2], *REPORTS[1:]]
        )

    def spec(self, model, fields):
        """A web client's read specification of ``fields``: many2one with display names."""
        return {
            name: {"fields": {"display_name": {}}} if field["type"] == "many2one" else {}
            for name, field in fields.items()
            if name in model._fields
        }

    def open_views(self, model, action):
        """Load the views of ``action`` as the web client does and read its records through
        each of them: the list and form with their fields, the pivot and graph grouped."""
        modes = action.view_mode.split(",")
        views = model.get_views([(False, mode) for mode in modes] + [(False, "search")])
        fields = views["models"][model._name]["fields"]
        records = model.search([], limit=20)
        if "list" in modes or "form" in modes:
            model.web_search_read([("id", "in", records.ids)], self.spec(model, fields))
        for mode in ("pivot", "graph"):
            if mode in modes:
                arch = etree.fromstring(views["views"][mode]["arch"])
                groupby = [
                    node.get("name") + (":" + node.get("interval") if node.get("interval") else "")
                    for node in arch.iterfind("field")
                    if node.get("type") != "measure"
                ]
                model.formatted_read_group([], groupby[:1], ["__count"])
        return records

    def run_wizard(self, model):
        """Open a wizard with its defaults and run the buttons that only read or export."""
        wizard = model.create({})
        fields = model.get_views([(False, "form")])["models"][model._name]["fields"]
        wizard.web_read(self.spec(model, fields))
        if model._name == "saas.deferred.balance.wizard":
            action = wizard.action_open()
            lines = self.env[action["res_model"]].with_user(model.env.user)
            self.assertTrue(lines.search(action["domain"]))
            wizard.action_export_xlsx()
        return wizard

    def test_every_action_behind_a_visible_menu_opens_for_its_role(self):
        for role, user in self.roles.items():
            visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
            for menu in self.root_menu.child_id.filtered(lambda menu, v=visible: menu.id in v):
                with self.subTest(role=role, menu=menu.name):
                    action = menu.action.sudo()
                    # An action restricted to groups loads only for them.
                    self.assertFalse(action.group_ids - user.all_group_ids)
                    model = self.env[action.res_model].with_user(user)
                    if action.target == "new":
                        self.run_wizard(model)
                        continue
                    self.assertTrue(self.open_views(model, action))
                    if hasattr(model, "action_export_xlsx"):
                        self.assertEqual(
                            model.search([]).action_export_xlsx()["type"], "ir.actions.act_url"
                        )

    def test_schedule_form_opens_for_billing_roles(self):
        schedule = self.invoice.invoice_line_ids.saas_revenue_schedule_ids
        for role, user in self.roles.items():
            with self.subTest(role=role):
                model = schedule.with_user(user)
                fields = model.get_views([(False, "form")])["models"][model._name]["fields"]
                [values] = model.web_read(self.spec(model, fields))
                self.assertEqual(values["amount"], 1200.0)
                self.assertEqual(len(values["line_ids"]), 12)

    def test_only_connector_users_get_a_link_to_the_subscription(self):
        """The subscription of a schedule is the connector's record: others see its name
        without a link that would end in an Access Error."""
        schedules = self.env["saas.revenue.schedule"]
        connector_user = new_test_user(
            self.env,
            login="dr_saas_user",
            groups="account.group_account_invoice,saas_connector_base.group_saas_user",
        )
        for user, can_open in ((self.roles["billing"], False), (connector_user, True)):
            with self.subTest(user=user.login):
                arch = etree.fromstring(
                    schedules.with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
                )
                [field] = arch.xpath("//field[@name='subscription_id']")
                self.assertEqual("no_open" in (field.get("options") or ""), not can_open)

    def test_settings_show_the_deferred_revenue_block_to_the_admin(self):
        """Searching the settings for "Deferred" finds the block: it is in the admin's
        settings, next to the invoicing ones."""
        admin = self.env.ref("base.user_admin")
        arch = (
            self.env["res.config.settings"]
            .with_user(admin)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        [block] = etree.fromstring(arch).xpath("//block[@id='saas_deferred_revenue']")
        self.assertEqual(block.get("title"), "Deferred Revenue")
        self.assertEqual(
            {node.get("name") for node in block.iter("field")},
            {
                "saas_deferred_revenue_account_id",
                "saas_revenue_journal_id",
                "saas_revenue_basis",
                "saas_refund_policy",
                "saas_contra_revenue_account_id",
                "saas_cancel_policy",
                "saas_defer_recurring",
            },
        )

    def test_billing_roles_see_defer_revenue_on_products(self):
        """On the General Information tab: the Accounting tab is for full accounting only."""
        for role, user in self.roles.items():
            with self.subTest(role=role):
                arch = (
                    self.env["product.template"]
                    .with_user(user)
                    .get_views([(False, "form")])["views"]["form"]["arch"]
                )
                self.assertTrue(
                    etree.fromstring(arch).xpath("//field[@name='saas_defer_revenue']")
                )
