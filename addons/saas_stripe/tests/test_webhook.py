"""Stripe deliveries through the real webhook route: what is accepted, what is refused."""

import json
import time
from datetime import datetime

from odoo.tests import HttpCase, tagged

from .common import FIXTURES, SIGNING_SECRET, create_stripe_backend, stripe_headers

# A recorded delivery, posted byte for byte as Stripe sent it.
BODY = (FIXTURES / "stripe-sync-engine" / "customer_updated.json").read_bytes()


@tagged("post_install", "-at_install")
class TestStripeWebhook(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_stripe_backend(cls.env)

    def post(self, body=BODY, headers=None, backend=None):
        backend = backend or self.backend
        return self.url_open(
            f"/saas/webhook/{backend.webhook_token}",
            data=body,
            headers=stripe_headers(body) if headers is None else headers,
        )

    def stored(self, backend=None):
        return self.env["saas.event"].search([("backend_id", "=", (backend or self.backend).id)])

    def assert_rejected(self, response, reason):
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"error": reason})
        self.assertFalse(self.stored())

    def test_signed_delivery_is_stored_verbatim(self):
        response = self.post()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"received": True, "duplicate": False})
        event = self.stored()
        self.assertEqual(event.external_id, "evt_1IlZRsJDPojXS6LN2AbFmnR4")
        self.assertEqual(event.event_type, "customer.updated")
        self.assertEqual(event.object_type, "customer")
        self.assertEqual(event.object_external_id, "cus_IhGfebO16cMIGN")
        self.assertEqual(event.source_created, datetime(2021, 4, 29, 12, 58, 31))
        self.assertEqual(event.payload, BODY.decode())
        self.assertEqual(event.state, "received")
        self.assertTrue(json.loads(event.headers)["Stripe-Signature"].startswith("t="))

    def test_either_secret_verifies_during_rotation(self):
        self.backend.stripe_webhook_secret = "whsec_rolled_9876543210fedcba"
        self.assertEqual(len(self.backend.secret_ids), 2)
        first = self.post(headers=stripe_headers(BODY, secret=SIGNING_SECRET))
        self.assertEqual(first.json(), {"received": True, "duplicate": False})
        second = self.post(headers=stripe_headers(BODY, secret="whsec_rolled_9876543210fedcba"))
        self.assertEqual(second.json(), {"received": True, "duplicate": True})

    def test_bad_or_missing_signature_gets_400(self):
        wrong = self.post(headers=stripe_headers(BODY, secret="whsec_someone_else_0123456789"))
        self.assert_rejected(wrong, "no matching signature")
        tampered = self.post(body=BODY.replace(b"Copple", b"Copper"), headers=stripe_headers(BODY))
        self.assert_rejected(tampered, "no matching signature")
        absent = self.post(headers={"Content-Type": "application/json"})
        self.assert_rejected(absent, "missing Stripe-Signature header")

    def test_stale_timestamp_gets_400_within_the_backend_tolerance(self):
        signed_long_ago = stripe_headers(BODY, timestamp=time.time() - 400)
        self.assert_rejected(
            self.post(headers=signed_long_ago), "timestamp outside the tolerance window"
        )
        self.backend.stripe_signature_tolerance = 600
        self.assertEqual(self.post(headers=signed_long_ago).status_code, 200)

    def test_livemode_mismatch_gets_400(self):
        live = create_stripe_backend(self.env, name="Stripe (live)", environment="live")
        response = self.post(backend=live)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"error": "livemode does not match this endpoint"})
        self.assertFalse(self.stored(live))

    def test_malformed_body_gets_400(self):
        malformed = b'{"id": "evt_1", "livemode": false'
        self.assert_rejected(self.post(body=malformed), "malformed JSON")
        not_an_event = b'{"livemode": false, "data": {"object": {"object": "customer"}}}'
        self.assert_rejected(self.post(body=not_an_event), "not a Stripe event: 'id'")
