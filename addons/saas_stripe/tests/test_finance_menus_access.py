"""An accountant with Community's billing role and no connector group opens every menu of the
suite that Odoo shows them, and every Invoicing menu (the suite adds fields and buttons to
those screens), through the same HTTP calls as the web client and then in a real browser,
and meets no Access Error; the connector's credentials stay out of their reach. A connector
manager clicks through the suite's own app in the browser too."""

from lxml import etree

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

SUITE = ("saas_connector_base", "saas_stripe", "saas_deferred_revenue", "saas_crm_sync")


@tagged("post_install", "-at_install")
class TestAccountantMenus(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env, "suite_accountant", groups="base.group_user,account.group_account_invoice"
        )

    def call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def visible_menus(self):
        """The suite's menus and Invoicing's, with an action, as the web client lists them."""
        menus = self.url_open("/web/webclient/load_menus").json()
        invoicing = self.env.ref("account.menu_finance").id
        return [
            menu
            for menu in menus.values()
            if menu.get("actionID")
            and (menu.get("xmlid", "").split(".")[0] in SUITE or menu.get("appID") == invoicing)
        ]

    def open_window_action(self, action):
        """What the web client asks when it opens ``action``: its views, then the first page
        of records with the fields of the first view (nested lists read their own model)."""
        views = [[view_id or False, view_type] for view_id, view_type in action["views"]]
        views.append([action.get("search_view_id") and action["search_view_id"][0], "search"])
        model = action["res_model"]
        answer = self.call(model, "get_views", views=views, options={"load_filters": True})
        fields = answer["models"][model]["fields"]
        arch = etree.fromstring(answer["views"][views[0][1]]["arch"])
        names = {
            node.get("name")
            for node in arch.iter("field")
            if not any(parent.tag == "field" for parent in node.iterancestors())
        }
        specification = {
            name: {"fields": {"display_name": {}}} if fields[name].get("relation") else {}
            for name in names
        }
        self.call(model, "web_search_read", [], specification=specification, limit=80)

    def test_every_visible_menu_opens_without_access_error(self):
        self.authenticate(self.accountant.login, self.accountant.login)
        menus = self.visible_menus()
        # The billing role sees the suite's finance menus: deferred revenue at least.
        self.assertIn(
            "saas_deferred_revenue.menu_saas_revenue_schedule", [menu["xmlid"] for menu in menus]
        )
        for menu in menus:
            with self.subTest(menu=menu["xmlid"]):
                action = self.make_jsonrpc_request(
                    "/web/action/load", {"action_id": menu["actionID"]}
                )
                if action["type"] == "ir.actions.act_window":
                    self.open_window_action(action)

    def click_everywhere(self, user, only=None):
        """Odoo's click-everywhere bot, as ``user``, in headless Chromium: each menu of every
        app holding menus of the suite (``only``: of those apps), each of its views and
        filters; any error dialog (an Access Error among them) or JavaScript error fails it.
        Returns the apps clicked."""
        user.tour_enabled = False
        self.authenticate(user.login, user.login)
        menus = self.url_open("/web/webclient/load_menus").json()
        apps = {
            menus[str(menu["appID"])]["xmlid"]
            for menu in menus.values()
            if menu.get("appID") and menu.get("xmlid", "").split(".")[0] in SUITE
        }
        if only:
            apps &= set(only)
        for app in sorted(apps):
            with self.subTest(user=user.login, app=app):
                self.browser_js(
                    "/odoo",
                    "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader')"
                    f".startClickEverywhere('{app}');",
                    "odoo.isReady === true",
                    login=user.login,
                    timeout=900,
                    success_signal="clickbot test succeeded",
                )
        return sorted(apps)

    def test_every_menu_clicks_through_in_the_browser(self):
        self.assertEqual(self.click_everywhere(self.accountant), ["account.menu_finance"])

    def test_connector_manager_clicks_through_the_suite_in_the_browser(self):
        # The suite's own app. Invoicing is walked by the accountant above: a billing
        # administrator without Settings rights meets Odoo's own Access Error there, on the
        # Payment Methods menu of account_payment (payment providers are Settings-only).
        manager = new_test_user(
            self.env,
            "suite_connector_manager",
            groups="base.group_user,account.group_account_manager,"
            "saas_connector_base.group_saas_manager",
        )
        self.assertEqual(
            self.click_everywhere(manager, only=["saas_connector_base.menu_saas_root"]),
            ["saas_connector_base.menu_saas_root"],
        )

    def test_credentials_are_out_of_reach(self):
        self.authenticate(self.accountant.login, self.accountant.login)
        for model, fields in (
            ("saas.secret", ["masked"]),
            ("saas.backend", ["stripe_api_key", "new_webhook_secret"]),
        ):
            with self.subTest(model=model), self.assertRaises(JsonRpcException) as caught:
                self.call(model, "search_read", [], fields=fields)
            self.assertEqual(caught.exception.args[0], "odoo.exceptions.AccessError")
