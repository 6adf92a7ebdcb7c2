"""The connection test through the stripe SDK, and which Stripe errors are worth a retry.

The SDK talks HTTP to a small server on 127.0.0.1 that plays Stripe's side of the network:
it answers ``GET /v1/account`` with Stripe's own example account (fixtures/openapi) and
records what it was asked. Nothing leaves the machine.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stripe

from odoo.addons.saas_connector_base.lib.errors import PermanentError, TransientError
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from .common import FIXTURES, create_stripe_backend

ACCOUNT = (FIXTURES / "openapi" / "fixtures3.account.json").read_bytes()
API_KEY = "sk_test_0123456789abcdefghijWXYZ"


class FakeStripe(BaseHTTPRequestHandler):
    """Stripe's side: the account for a known key, Stripe's error body for any other."""

    requests = []

    def do_GET(self):
        type(self).requests.append((self.path, dict(self.headers)))
        if self.path != "/v1/account":
            self.answer(404, {"error": {"type": "invalid_request_error", "message": "no route"}})
        elif self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self.answer(401, {"error": {"type": "invalid_request_error", "message": "bad key"}})
        else:
            self.answer(200, ACCOUNT)

    def answer(self, status, body):
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):
        """Quiet: the test output is not the place for an access log."""


@tagged("post_install", "-at_install")
class TestStripeConnection(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStripe)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        cls.addClassCleanup(server.server_close)
        cls.addClassCleanup(server.shutdown)
        cls.backend = create_stripe_backend(
            cls.env,
            stripe_api_base=f"http://127.0.0.1:{server.server_port}",
            stripe_api_version="2025-03-31.basil",
        )
        cls.backend.stripe_api_key = API_KEY

    def setUp(self):
        super().setUp()
        FakeStripe.requests.clear()

    def test_connection_retrieves_the_account_with_the_key_and_version(self):
        action = self.backend.action_test_connection()
        self.assertEqual(
            action["params"]["message"], "Connected to Stripe account acct_1MoRdlLgUG5tbmjc."
        )
        [(path, headers)] = FakeStripe.requests
        self.assertEqual(path, "/v1/account")
        self.assertEqual(headers["Authorization"], f"Bearer {API_KEY}")
        self.assertEqual(headers["Stripe-Version"], "2025-03-31.basil")

    def test_key_of_another_account_is_refused(self):
        self.backend.stripe_account_id = "acct_SomeoneElse"
        with self.assertRaisesRegex(UserError, "belongs to Stripe account acct_1MoRdlLgUG5tbmjc"):
            self.backend.action_test_connection()

    def test_rejected_key_says_so_without_showing_it(self):
        self.backend.stripe_api_key = "sk_test_revoked_0123456789abcd"
        with self.assertRaises(UserError) as caught:
            self.backend.action_test_connection()
        self.assertTrue(str(caught.exception).startswith("Stripe rejected the API key ••••abcd:"))
        self.assertNotIn("revoked_0123", str(caught.exception))

    def test_missing_key_is_explained(self):
        self.backend.secret_ids.filtered(lambda s: s.purpose == "api_key").action_retire()
        with self.assertRaisesRegex(UserError, "Set the Stripe secret key"):
            self.backend.action_test_connection()
        self.assertFalse(FakeStripe.requests)

    def test_rate_limits_outages_and_5xx_are_transient(self):
        api = self.backend._stripe_api()
        transient = [
            stripe.RateLimitError("slow down", http_status=429),
            stripe.APIConnectionError("connection reset"),
            stripe.APIError("internal", http_status=500),
            stripe.APIError("bad gateway", http_status=502),
        ]
        permanent = [
            stripe.APIError("odd answer", http_status=400),
            stripe.InvalidRequestError("no such price", param="price", http_status=404),
            stripe.AuthenticationError("bad key", http_status=401),
        ]
        for error in transient:
            self.assertIsInstance(api.translate(error), TransientError, error)
            self.assertTrue(self.backend._is_transient(api.translate(error)), error)
        for error in permanent:
            self.assertIsInstance(api.translate(error), PermanentError, error)
            self.assertFalse(self.backend._is_transient(api.translate(error)), error)
        self.assertFalse(self.backend._is_transient(ValueError("not a Stripe error")))
