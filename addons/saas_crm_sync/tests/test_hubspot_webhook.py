"""HubSpot webhook batches through Odoo's real HTTP stack: signed v3 over the public URL,
stored event by event, refused whole when the signature is bad or stale."""

import json
import time

from odoo.addons.saas_connector_base.models.saas_backend import PUBLIC_BASE_URL_PARAM
from odoo.tests import HttpCase, tagged

from .common import FIXTURES, create_hubspot_backend, hubspot_event, hubspot_headers, start_hubspot

PUBLIC_BASE_URL = "https://erp.example.com/odoo"


@tagged("post_install", "-at_install")
class TestHubspotWebhook(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # HubSpot signs the URL it called: behind a proxy, not the one this server sees.
        cls.env["ir.config_parameter"].sudo().set_param(PUBLIC_BASE_URL_PARAM, PUBLIC_BASE_URL)
        cls.backend = create_hubspot_backend(cls.env, start_hubspot(cls))
        cls.path = f"/saas/webhook/{cls.backend.webhook_token}"
        cls.public_url = f"{PUBLIC_BASE_URL}{cls.path}"

    def post(self, body, headers=None):
        headers = hubspot_headers(self.public_url, body) if headers is None else headers
        return self.url_open(self.path, data=body, headers=headers, method="POST")

    def stored(self):
        return self.env["saas.event"].search([("backend_id", "=", self.backend.id)], order="id")

    def test_a_signed_batch_stores_each_event_keyed_as_hubspot_ids_allow(self):
        # HubSpot's eventId is not unique: two events of one batch share it.
        events = [
            hubspot_event(123, event_id=7, propertyName="dealstage", propertyValue="closedwon"),
            hubspot_event(123, event_id=7, subscriptionId=25_002, propertyName="amount"),
            hubspot_event(456, "company.creation", event_id=8),
        ]
        body = json.dumps(events).encode()
        response = self.post(body)
        self.assertEqual(response.status_code, 200, response.text)
        stored = self.stored()
        self.assertEqual(len(stored), 3)
        self.assertEqual(
            stored.mapped("object_external_id"), ["deal/123", "deal/123", "company/456"]
        )
        first = events[0]
        self.assertEqual(
            stored[0].external_id,
            f"25001:7:123:{first['occurredAt']}",
        )
        self.assertEqual(stored[0].event_type, "deal.propertyChange")
        self.assertEqual(json.loads(stored[0].payload), first)
        # A retry of the batch (HubSpot's next attempt) stores nothing new.
        retry = json.dumps([{**event, "attemptNumber": 1} for event in events]).encode()
        self.assertEqual(self.post(retry).status_code, 200)
        self.assertEqual(len(self.stored()), 3)

    def test_the_recorded_batch_is_stored(self):
        body = (FIXTURES / "hubspot-contact-creation-batch.json").read_bytes()
        self.backend.hubspot_portal_id = "4737818"
        response = self.post(body)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self.stored().mapped("object_external_id"), ["contact/123"])

    def test_a_bad_signature_is_refused_and_nothing_is_stored(self):
        body = json.dumps([hubspot_event(123)]).encode()
        headers = hubspot_headers(self.public_url, body, secret="not-the-client-secret")
        response = self.post(body, headers)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "no matching signature")
        self.assertFalse(self.stored())

    def test_a_signature_over_another_url_is_refused(self):
        body = json.dumps([hubspot_event(123)]).encode()
        # Signed for the address this server sees, not the public one HubSpot called.
        headers = hubspot_headers(f"http://127.0.0.1{self.path}", body)
        self.assertEqual(self.post(body, headers).status_code, 400)
        self.assertFalse(self.stored())

    def test_a_stale_delivery_is_refused_and_nothing_is_stored(self):
        body = json.dumps([hubspot_event(123)]).encode()
        six_minutes_ago = int((time.time() - 360) * 1000)
        response = self.post(
            body, hubspot_headers(self.public_url, body, timestamp_ms=six_minutes_ago)
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "timestamp outside the tolerance window")
        self.assertFalse(self.stored())

    def test_an_event_of_another_portal_is_refused(self):
        body = json.dumps([hubspot_event(123, portalId=999)]).encode()
        response = self.post(body)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.stored())
