"""Bad input at the webhook route: a 4xx with a short reason, never a 500 nor a 503, and
nothing stored — through Odoo's real HTTP stack."""

import http.client
import json
from types import SimpleNamespace
from unittest.mock import patch

import psycopg2

import odoo.tools
from odoo.tests import HOST, HttpCase, tagged

from .common import body_of, create_backend, make_event, signed_headers


@tagged("post_install", "-at_install")
class TestWebhookBadInput(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_backend(cls.env)
        cls.token = cls.backend.webhook_token
        cls.url = f"/saas/webhook/{cls.token}"

    def stored(self):
        return self.env["saas.event"].search([("backend_id", "=", self.backend.id)])

    def post_signed(self, body, url=None, method="POST", content_type="application/json"):
        """The request exactly as written: HTTP clients such as requests normalize a path
        (``//x`` becomes ``/x``), a sender may not."""
        headers = {**signed_headers(body), "Content-Type": content_type}
        connection = http.client.HTTPConnection(HOST, odoo.tools.config["http_port"], timeout=30)
        with self.allow_requests():
            # The test server only answers requests carrying the test's cookie.
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.opener.cookies.items())
            try:
                connection.request(method, url or self.url, body=body, headers=headers)
                answer = connection.getresponse()
                return SimpleNamespace(
                    status_code=answer.status, headers=answer.headers, text=answer.read().decode()
                )
            finally:
                connection.close()

    def assertRefused(self, response, status, error=None):
        self.assertEqual(response.status_code, status, response.text)
        if error is not None:
            self.assertEqual(json.loads(response.text), {"error": error})
        self.assertFalse(self.stored(), "a refused delivery stores nothing")

    def test_odd_tokens_in_the_url_get_404(self):
        body = body_of(make_event("c_1"))
        for token in ("%00", f"{self.token}%00", "a%00b", "%ff%fe", "x" * 5000, "a%20b"):
            with self.subTest(token=token):
                self.assertRefused(
                    self.post_signed(body, url=f"/saas/webhook/{token}"), 404, "unknown endpoint"
                )
        # Not even routed here: Odoo's own 404.
        self.assertRefused(self.post_signed(body, url="/saas/webhook/..%2f..%2fetc"), 404)

    def test_control_characters_and_lone_surrogates_in_ids_get_400(self):
        # Signed with the right secret: only the content is wrong. JSON escapes reach the
        # provider's parser as the characters themselves.
        cases = {
            "NUL in the event id": make_event("c_1", event_id="evt_\u0000"),
            "NUL in the type": make_event("c_1", event_type="contact.\u0000updated"),
            "NUL in the object id": make_event("c_\u00001"),
            "line feed in the event id": make_event("c_1", event_id="evt\n1"),
            "lone surrogate in the type": make_event("c_1", event_type="contact.\ud800"),
            "lone surrogate in the object id": make_event("c_\udfff"),
        }
        for case, event in cases.items():
            with self.subTest(case=case):
                response = self.post_signed(json.dumps(event).encode())
                self.assertEqual(response.status_code, 400, response.text)
                self.assertIn("not allowed", json.loads(response.text)["error"])
                self.assertFalse(self.stored())

    def test_an_id_longer_than_any_provider_uses_gets_400_not_503(self):
        # A few kB: beyond what PostgreSQL's unique index holds; answering 503 made the sender
        # retry forever.
        for size in (256, 3000, 60_000):
            with self.subTest(size=size):
                response = self.post_signed(body_of(make_event("c_1", event_id="e" * size)))
                self.assertRefused(response, 400, "external_id longer than 255 characters")

    def test_a_signed_delivery_without_any_event_gets_400(self):
        self.assertRefused(self.post_signed(b"[]"), 400, "no event in the delivery")

    def test_options_never_stores(self):
        response = self.post_signed(body_of(make_event("c_1")), method="OPTIONS")
        self.assertRefused(response, 405, "method not allowed")
        self.assertEqual(response.headers["Allow"], "POST")

    def test_only_the_canonical_url_is_an_endpoint(self):
        body = body_of(make_event("c_1"))
        for url in (f"{self.url}/", f"{self.url}/x", f"{self.url}%2F"):
            with self.subTest(url=url):
                self.assertRefused(self.post_signed(body, url=url), 404)
        # Odoo's routing redirects repeated slashes inside the path to the canonical URL: the
        # redirect itself stores nothing (a sender that follows it is verified there).
        self.assertRefused(self.post_signed(body, url=f"/saas//webhook/{self.token}"), 308)
        self.assertEqual(self.post_signed(body, url=f"{self.url}?x=1").status_code, 200)

    def test_other_media_types_get_415(self):
        body = body_of(make_event("c_1"))
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "text/html", ""):
            with self.subTest(content_type=content_type):
                response = self.post_signed(body, content_type=content_type)
                self.assertRefused(response, 415, "unsupported content type")
        response = self.post_signed(body, content_type="application/json; charset=utf-8")
        self.assertEqual(response.status_code, 200, "parameters of the media type are fine")

    def test_a_value_the_database_refuses_gets_400(self):
        # Whatever slipped past validation: the database's verdict on data is final, so the
        # sender must not be asked to retry it.
        refused = psycopg2.errors.ProgramLimitExceeded("index row size exceeds maximum")
        with patch.object(type(self.env["saas.event"]), "_store_delivery", side_effect=refused):
            response = self.post_signed(body_of(make_event("c_1")))
        self.assertRefused(response, 400, "the delivery holds values that cannot be stored")

    def test_a_connection_lost_while_storing_gets_503_not_500(self):
        lost = psycopg2.InterfaceError("connection already closed")
        with patch.object(type(self.env["saas.event"]), "_store_delivery", side_effect=lost):
            response = self.post_signed(body_of(make_event("c_1")))
        self.assertRefused(response, 503, "temporarily unavailable, retry later")
        self.assertEqual(response.headers["Retry-After"], "30")
