"""What finance sees of Stripe in Odoo's screens: subscriptions named like a subscription app,
their invoices and MRR on the customer, and on an invoice the Stripe number, the dashboard
link, the lines' service periods and prorations, and why a payment failed."""

from datetime import datetime, timedelta

from freezegun import freeze_time
from lxml import etree

from odoo.tests import tagged

from .common import fixture, variant
from .common_accounting import LOCALSTRIPE_CUSTOMER, StripeAccountingCase
from .test_invoice import PAY_PAYMENT_FAILED, localstripe_invoice

LOCALSTRIPE_SUBSCRIPTION = "localstripe-2017-08-15/customer_subscription_created.json"
SYNC_ENGINE_CHARGE_FAILED = "stripe-sync-engine/charge_failed.json"
DECLINE = "Your card does not support this type of purchase. (transaction_not_allowed)"


def arch(env, model, view_type, view_id=None):
    views = env[model].get_views([(view_id, view_type)])
    return etree.fromstring(views["views"][view_type]["arch"])


def payment_failed(**invoice_changes):
    """pay-rails' ``invoice.payment_failed`` (its data section only) in an event envelope."""
    event = {
        "id": "evt_pay_payment_failed",
        "object": "event",
        "type": "invoice.payment_failed",
        "created": 1745433906,
        "livemode": False,
        "data": fixture(PAY_PAYMENT_FAILED),
    }
    event["data"]["object"].update(invoice_changes)
    return event


@tagged("post_install", "-at_install")
class TestSubscriptionScreens(StripeAccountingCase):
    def setUp(self):
        super().setUp()
        self.apply(fixture(LOCALSTRIPE_CUSTOMER), fixture(LOCALSTRIPE_SUBSCRIPTION))
        self.subscription = self.bound("saas.subscription", "sub_LsSub0001")
        self.partner = self.bound("res.partner", "cus_LsAda0001")
        # The fixtures hold no product event: the product is named after its id until one
        # comes, as product.created would name it.
        self.subscription.item_ids.product_tmpl_id.name = "Gold"

    def test_subscription_is_named_by_customer_plan_and_interval(self):
        self.assertRecordValues(
            self.subscription,
            [
                {
                    "display_name": "Ada Lovelace — Gold — monthly",
                    "plan": "Gold",
                    "billing_interval": "monthly",
                    "name": "sub_LsSub0001",
                }
            ],
        )
        # The provider's id still finds it, and so do the customer and the plan.
        subscriptions = self.env["saas.subscription"]
        for text in ("sub_LsSub0001", "Ada", "Gold"):
            self.assertIn(
                self.subscription.id,
                [row[0] for row in subscriptions.name_search(text)],
                f"searching {text!r}",
            )
        # Documents and MRR movements name it the same way.
        history = self.subscription.history_ids
        self.assertEqual(history.display_name, "Ada Lovelace — Gold — monthly")

    def test_interval_other_than_one_reads_every_n(self):
        self.subscription.item_ids.interval_count = 3
        self.assertEqual(self.subscription.billing_interval, "every 3 months")
        self.assertEqual(self.subscription.display_name, "Ada Lovelace — Gold — every 3 months")

    def test_list_shows_the_plan_and_the_reference(self):
        columns = arch(self.env, "saas.subscription", "list").xpath("//field/@name")
        self.assertLess(columns.index("plan"), columns.index("mrr"))
        self.assertIn("name", columns)
        form = arch(self.env, "saas.subscription", "form")
        self.assertTrue(form.xpath("//h1/field[@name='display_name']"))
        self.assertTrue(form.xpath("//field[@name='name']"), "the provider's id stays visible")

    def test_graphs_show_mrr_by_plan_and_over_time(self):
        graph = arch(self.env, "saas.subscription", "graph")
        self.assertEqual(graph.xpath("//field[not(@type)]/@name"), ["plan", "state"])
        action = self.env.ref("saas_connector_base.action_saas_mrr_over_time")
        view = self.env.ref("saas_connector_base.saas_subscription_history_view_graph_mrr")
        self.assertEqual(action.view_ids[0].view_id, view)
        over_time = arch(self.env, "saas.subscription.history", "graph", view.id)
        self.assertEqual(over_time.get("cumulated"), "1")
        self.assertEqual(over_time.xpath("//field[@interval='month']/@name"), ["date"])
        movements = arch(self.env, "saas.subscription.history", "graph")
        self.assertEqual(movements.xpath("//field[not(@type)]/@name"), ["date", "movement"])
        # The figures behind them: the subscription's MRR change of August 2017, a new one.
        groups = self.env["saas.subscription.history"].formatted_read_group(
            [("subscription_id", "=", self.subscription.id)],
            ["date:month", "movement"],
            ["mrr_delta:sum"],
        )
        self.assertEqual(
            [(g["date:month"][1], g["movement"], g["mrr_delta:sum"]) for g in groups],
            [("August 2017", "new", self.subscription.mrr)],
        )

    def test_subscription_opens_its_invoices(self):
        self.assertEqual(self.subscription.invoice_count, 0)
        self.apply(localstripe_invoice())
        move = self.bound("account.move", "in_LsInv0002")
        self.subscription.invalidate_recordset(["invoice_count"])
        self.assertEqual(self.subscription.invoice_count, 1)
        action = self.subscription.action_view_invoices()
        self.assertEqual(action["res_model"], "account.move")
        self.assertEqual(action["domain"], [("saas_subscription_id", "=", self.subscription.id)])
        self.assertEqual(self.env["account.move"].search(action["domain"]), move)
        self.assertEqual(move.saas_subscription_id.display_name, "Ada Lovelace — Gold — monthly")
        form = arch(self.env, "saas.subscription", "form")
        self.assertTrue(form.xpath("//button[@name='action_view_invoices']"))

    def test_partner_shows_its_subscriptions_and_mrr(self):
        self.assertGreater(self.subscription.mrr, 0)
        self.assertRecordValues(
            self.partner,
            [
                {
                    "saas_subscription_count": 1,
                    "saas_mrr": self.subscription.mrr,
                    "saas_mrr_currency_id": self.company.currency_id.id,
                }
            ],
        )
        # A contact of the customer company counts on the company, not the other way round.
        contact = self.env["res.partner"].create(
            {"name": "Ada's CFO", "parent_id": self.partner.id}
        )
        self.assertEqual(contact.saas_subscription_count, 0)
        action = self.partner.action_view_saas_subscriptions()
        self.assertEqual(self.env["saas.subscription"].search(action["domain"]), self.subscription)
        form = arch(self.env, "res.partner", "form")
        button = form.xpath("//button[@name='action_view_saas_subscriptions']")
        self.assertTrue(button)
        self.assertTrue(button[0].xpath(".//field[@name='saas_mrr']"))
        self.assertTrue(button[0].xpath(".//field[@name='saas_subscription_count']"))

    def test_subscription_has_a_chatter_finance_can_write_in(self):
        form = arch(self.env, "saas.subscription", "form")
        self.assertTrue(form.xpath("//*[hasclass('oe_chatter')] | //chatter"))
        user = self.env["res.users"].create(
            {
                "name": "Finance reader",
                "login": "finance_reader",
                "group_ids": [
                    (4, self.env.ref("saas_connector_base.group_saas_user").id),
                    (4, self.env.ref("account.group_account_invoice").id),
                ],
            }
        )
        message = self.subscription.with_user(user).message_post(body="Called Ada about Gold.")
        self.assertEqual(message.model, "saas.subscription")


@tagged("post_install", "-at_install")
class TestStripeContextOnInvoices(StripeAccountingCase):
    def test_invoice_shows_its_stripe_number_and_dashboard_link(self):
        self.customer("cus_1234")
        self.apply(payment_failed())
        move = self.bound("account.move", "in_1234")
        self.assertRecordValues(
            move,
            [
                {
                    "stripe_invoice_number": "F612594F-0002",
                    "stripe_invoice_ref": "in_1234",
                    "stripe_dashboard_url": "https://dashboard.stripe.com/test/invoices/in_1234",
                }
            ],
        )
        self.backend.environment = "live"
        move.invalidate_recordset(["stripe_dashboard_url"])
        self.assertEqual(
            move.stripe_dashboard_url, "https://dashboard.stripe.com/invoices/in_1234"
        )
        # An invoice made in Odoo has neither.
        own = move.copy()
        self.assertRecordValues(
            own, [{"stripe_invoice_number": False, "stripe_dashboard_url": False}]
        )
        form = arch(self.env, "account.move", "form")
        self.assertTrue(form.xpath("//field[@name='stripe_dashboard_url'][@widget='url']"))
        self.assertTrue(form.xpath("//field[@name='stripe_invoice_number']"))

    def test_lines_show_their_service_period_and_prorations(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER), localstripe_invoice())
        lines = self.bound("account.move", "in_LsInv0002").invoice_line_ids
        prorations = lines.filtered("saas_is_proration")
        self.assertTrue(prorations and lines - prorations)
        self.assertEqual(set(prorations.mapped("saas_proration_label")), {"proration"})
        self.assertEqual(set((lines - prorations).mapped("saas_proration_label")), {False})
        self.assertTrue(all(lines.mapped("saas_service_start")))
        form = arch(self.env, "account.move", "form")
        columns = form.xpath("//field[@name='invoice_line_ids']/list/field")
        shown = {
            column.get("name"): column.get("optional")
            for column in columns
            if column.get("column_invisible") not in ("1", "True")
        }
        self.assertEqual(shown.get("saas_service_start"), "show")
        self.assertEqual(shown.get("saas_service_end"), "show")
        self.assertEqual(shown.get("saas_proration_label"), "show")

    def test_payment_failed_stores_the_next_retry(self):
        self.customer("cus_1234")
        self.apply(payment_failed())
        move = self.bound("account.move", "in_1234")
        self.assertRecordValues(
            move,
            [
                {
                    "stripe_payment_failed": True,
                    # next_payment_attempt 1745552783
                    "stripe_next_payment_attempt": datetime(2025, 4, 25, 3, 46, 23),
                    "stripe_decline_reason": False,
                }
            ],
        )
        form = arch(self.env, "account.move", "form")
        alert = form.xpath(
            "//div[hasclass('alert-danger')][.//field[@name='stripe_payment_failed']]"
        )
        self.assertTrue(alert[0].xpath(".//field[@name='stripe_decline_reason']"))
        self.assertTrue(alert[0].xpath(".//field[@name='stripe_next_payment_attempt']"))

    def test_failed_charge_says_why_the_invoice_was_declined(self):
        # stripe-sync-engine's charge.failed, retargeted at pay-rails' failed invoice; it comes
        # first, as Stripe usually sends it, and waits for the invoice.
        self.customer("cus_1234")
        charge_failed = variant(
            fixture(SYNC_ENGINE_CHARGE_FAILED), invoice="in_1234", customer="cus_1234"
        )
        start = datetime(2026, 1, 5, 9, 0, 0)
        with freeze_time(start):
            charge = self.apply(charge_failed)
            self.assertEqual(charge.state, "queued")
            self.assertEqual(
                charge.last_error,
                "Invoice in_1234 of payment ch_3KtoMeJDPojXS6LN0igeffJ6 is not imported yet.",
            )
            invoice = self.apply(payment_failed())
            self.assertEqual(invoice.state, "done", invoice.last_error)
        with freeze_time(start + timedelta(minutes=5)):
            self.run_jobs()
        self.assertEqual(charge.state, "done", charge.last_error)
        self.assertRecordValues(
            self.bound("account.move", "in_1234"),
            [{"stripe_payment_failed": True, "stripe_decline_reason": DECLINE}],
        )

    def test_expanded_charge_on_the_failed_invoice_gives_the_reason(self):
        self.customer("cus_1234")
        charge = fixture(SYNC_ENGINE_CHARGE_FAILED)["data"]["object"]
        self.apply(payment_failed(charge=charge, next_payment_attempt=None))
        self.assertRecordValues(
            self.bound("account.move", "in_1234"),
            [{"stripe_decline_reason": DECLINE, "stripe_next_payment_attempt": False}],
        )

    def test_failed_charge_of_a_paid_invoice_leaves_it_clean(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER), localstripe_invoice())
        move = self.bound("account.move", "in_LsInv0002")
        move.write({"stripe_payment_failed": True, "stripe_decline_reason": "Card declined"})
        paid = variant(
            fixture("localstripe-2017-08-15/invoice_payment_succeeded.json"),
            event_id="evt_LsPaidAfterFailure",
        )
        self.apply(paid)
        self.assertRecordValues(
            move, [{"stripe_payment_failed": False, "stripe_decline_reason": False}]
        )
        late = variant(
            fixture(SYNC_ENGINE_CHARGE_FAILED), invoice="in_LsInv0002", customer="cus_LsAda0001"
        )
        self.apply(late)
        self.assertEqual(move.stripe_decline_reason, False)
