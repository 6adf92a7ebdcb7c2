"""The Stripe backend form as a finance user sees it: secrets shown as present without being
shown, a setup checklist saying what each feature still needs, Test Connection errors that
say what to fix (Stripe's real error bodies, through the SDK), the Stripe journal named once,
and durations in human units."""

import socket

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import format_date

from .common import create_stripe_backend
from .stripe_api_peer import API_KEY, error_body, start_api_peer

ACCOUNT = {"id": "acct_1SetupChecklist", "object": "account"}


def checklist(backend):
    return {item["key"]: item for item in backend._setup_checklist()}


@tagged("post_install", "-at_install")
class TestStripeBackendSetup(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_stripe_backend(cls.env)
        cls.peer = start_api_peer(cls, cls.backend)

    def setUp(self):
        super().setUp()
        self.peer.answers.clear()
        self.peer.requests.clear()

    # --------------------------------------------------------------------------------------
    # Secrets shown as present
    # --------------------------------------------------------------------------------------
    def test_secrets_in_use_are_shown_masked_with_their_date(self):
        today = format_date(self.env, self.backend.secret_ids[:1].create_date)
        self.assertEqual(self.backend.stripe_api_key_status, f"••••6789 set on {today}")
        self.assertEqual(self.backend.webhook_secret_status, f"••••cdef set on {today}")
        shown = self.backend.stripe_api_key_status + self.backend.webhook_secret_status
        self.assertNotIn(API_KEY[:-4], shown)
        self.assertNotIn("whsec_stripe_tests", shown)
        arch = etree.fromstring(
            self.env["saas.backend"].get_views([(False, "form")])["views"]["form"]["arch"]
        )
        credentials = arch.xpath("//group[@name='stripe_credentials']")[0]
        names = [node.get("name") for node in credentials.xpath("./field")]
        self.assertEqual(
            names,
            [
                "stripe_account_id",
                "stripe_api_key_status",
                "stripe_api_key",
                "webhook_secret_status",
                "stripe_webhook_secret",
            ],
        )
        # The inputs stay write-only.
        for name in ("stripe_api_key", "stripe_webhook_secret"):
            [node] = credentials.xpath(f"./field[@name='{name}']")
            self.assertEqual(node.get("password"), "True")

    def test_backend_without_secrets_shows_none(self):
        bare = self.env["saas.backend"].create({"name": "Bare", "provider": "stripe"})
        self.assertFalse(bare.stripe_api_key_status)
        self.assertFalse(bare.webhook_secret_status)

    # --------------------------------------------------------------------------------------
    # Setup checklist
    # --------------------------------------------------------------------------------------
    def test_checklist_of_a_new_backend_says_what_is_missing_and_why(self):
        bare = self.env["saas.backend"].create({"name": "Bare", "provider": "stripe"})
        bare.company_id.saas_deferred_revenue_account_id = False
        items = checklist(bare)
        self.assertEqual(
            set(items),
            {
                "api_key",
                "webhook_secret",
                "last_delivery",
                "sales_journal",
                "payment_journal",
                "fee_account",
                "dispute_account",
                "payout_journals",
                "deferred_revenue_account",
            },
        )
        missing = {key for key, item in items.items() if not item["ok"]}
        # The company's first sales journal is taken by default, when it has one.
        self.assertEqual(
            missing, set(items) - ({"sales_journal"} if bare.stripe_journal_id else set())
        )
        self.assertEqual(
            items["webhook_secret"]["why"],
            "Every delivery is rejected until the provider's signing secret is set.",
        )
        self.assertEqual(items["dispute_account"]["why"], "Dispute events fail until it is set.")
        self.assertIn("no re-sync, backfill or reconciliation", items["api_key"]["why"])
        self.assertIn("No event received yet", items["last_delivery"]["why"])
        self.assertIn("deferred revenue account", items["deferred_revenue_account"]["why"])
        self.assertEqual(bare.setup_missing_count, len(missing))
        self.assertIn('data-item="dispute_account"', bare.setup_checklist)
        self.assertIn("fa-times text-danger", bare.setup_checklist)

    def test_checklist_of_a_configured_backend_is_all_ok(self):
        accounts = self.env["account.account"].create(
            [
                {"name": name, "code": code, "account_type": kind}
                for name, code, kind in (
                    ("Stripe fees", "626901", "expense"),
                    ("Disputed funds", "141901", "asset_current"),
                    ("Deferred revenue", "251901", "liability_current"),
                )
            ]
        )
        sales, bank = self.env["account.journal"].create(
            [
                {"name": "Stripe sales", "type": "sale", "code": "SSTR"},
                {"name": "Bank EUR", "type": "bank", "code": "BEUR"},
            ]
        )
        self.backend.company_id.saas_deferred_revenue_account_id = accounts[2]
        self.backend.write(
            {
                "stripe_journal_id": sales.id,
                "stripe_fee_account_id": accounts[0].id,
                "stripe_dispute_account_id": accounts[1].id,
                "stripe_balance_ids": [
                    (
                        0,
                        0,
                        {
                            "currency_id": self.env.ref("base.EUR").id,
                            "payout_journal_id": bank.id,
                        },
                    )
                ],
            }
        )
        self.backend.action_stripe_create_payment_journal()
        self.env["saas.event"]._receive(self.backend, [], "{}")  # nothing: still no delivery
        self.assertFalse(checklist(self.backend)["last_delivery"]["ok"])
        self.env.cr.execute(
            "INSERT INTO saas_event (backend_id, company_id, external_id, event_type, "
            "received_at, state, attempts) VALUES (%s, %s, 'evt_1', 'customer.created', "
            "'2026-12-01 09:30:15', 'done', 1)",
            (self.backend.id, self.backend.company_id.id),
        )
        self.backend.invalidate_recordset()
        items = checklist(self.backend)
        self.assertEqual([key for key, item in items.items() if not item["ok"]], [])
        self.assertIn("09:30:15", items["last_delivery"]["why"])
        self.assertEqual(
            items["fee_account"]["why"], f"Fees are booked daily to {accounts[0].display_name}."
        )
        self.assertEqual(self.backend.setup_missing_count, 0)
        self.assertNotIn("fa-times", self.backend.setup_checklist)

    def test_a_currency_without_payout_journal_is_named(self):
        self.backend.write(
            {
                "stripe_balance_ids": [
                    (0, 0, {"currency_id": self.env.ref("base.USD").id}),
                ]
            }
        )
        item = checklist(self.backend)["payout_journals"]
        self.assertFalse(item["ok"])
        self.assertEqual(
            item["why"], "Payouts of USD fail: set the bank journal each currency pays out to."
        )

    # --------------------------------------------------------------------------------------
    # Test Connection
    # --------------------------------------------------------------------------------------
    def connection_error(self):
        with self.assertRaises(UserError) as caught:
            self.backend.action_test_connection()
        return str(caught.exception)

    def answer_account(self, status, body):
        self.peer.answers["/v1/account"] = lambda _query: (status, body)

    def test_connection_ok_names_the_account(self):
        self.answer_account(200, ACCOUNT)
        action = self.backend.action_test_connection()
        self.assertEqual(
            action["params"]["message"], "Connected to Stripe account acct_1SetupChecklist."
        )

    def test_rejected_key_is_explained_without_showing_the_key(self):
        # Stripe's answer to an unknown key (HTTP 401).
        self.answer_account(
            401,
            error_body(
                "invalid_request_error", "Invalid API Key provided: sk_test_****************6789"
            ),
        )
        message = self.connection_error()
        self.assertEqual(
            message,
            "Stripe rejected the API key ••••6789: it is mistyped, revoked or rolled. Paste a "
            "current secret key (sk_…) or restricted key (rk_…) of the account.",
        )
        self.assertNotIn(API_KEY, message)

    def test_restricted_key_without_permission_is_explained(self):
        # Stripe's answer to a restricted key lacking a permission (HTTP 403).
        self.answer_account(
            403,
            error_body(
                "invalid_request_error",
                "The provided key 'rk_test_*********6789' does not have the required "
                "permissions for this endpoint on account 'acct_1SetupChecklist'. Having the "
                "'rak_accounts_kyc_basic_read' permission would allow this request to continue.",
            ),
        )
        self.assertIn("is valid but not allowed to read this account", self.connection_error())

    def test_stripe_outage_and_rate_limit_are_explained(self):
        self.answer_account(500, error_body("api_error", "Something went wrong on Stripe's end."))
        self.assertEqual(
            self.connection_error(),
            "Stripe had a problem on its side (HTTP 500): try again in a few minutes.",
        )
        self.answer_account(
            429, error_body("invalid_request_error", "Too many requests hit the API too quickly.")
        )
        self.assertEqual(
            self.connection_error(),
            "Stripe is limiting requests right now: try again in a minute.",
        )

    def test_unreachable_stripe_is_a_network_problem(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
        self.backend.stripe_api_base = closed
        self.assertEqual(
            self.connection_error(),
            f"Stripe could not be reached at {closed}: check the server's network access "
            "(firewall, proxy, DNS) and the API base URL.",
        )

    # --------------------------------------------------------------------------------------
    # Journal name
    # --------------------------------------------------------------------------------------
    def test_stripe_journal_is_named_once(self):
        self.backend.action_stripe_create_payment_journal()
        self.assertEqual(self.backend.stripe_payment_journal_id.name, "Stripe (test mode)")
        other = self.env["saas.backend"].create({"name": "Acme EU", "provider": "stripe"})
        other.action_stripe_create_payment_journal()
        self.assertEqual(other.stripe_payment_journal_id.name, "Stripe (Acme EU)")
