"""A batched XML delivery with a shaped answer (an outbound message like Salesforce's, signed
over the public URL like HubSpot's v3), through Odoo's real HTTP stack."""

from lxml import etree

from odoo.addons.saas_connector_base.models.saas_backend import PUBLIC_BASE_URL_PARAM
from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from ..models.saas_backend import OUTBOUND_NS, SOAP_NS, XML_TIMESTAMP_HEADER, sign_xml
from .common import create_backend, make_event, xml_body_of, xml_headers

PUBLIC_BASE_URL = "https://hooks.example.com/odoo"


@tagged("post_install", "-at_install")
class TestWebhookXmlBatch(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Behind a proxy: senders call the public address, which this server never sees.
        cls.env["ir.config_parameter"].sudo().set_param(PUBLIC_BASE_URL_PARAM, PUBLIC_BASE_URL)
        cls.backend = create_backend(cls.env)
        cls.path = f"/saas/webhook/{cls.backend.webhook_token}"
        cls.public_url = f"{PUBLIC_BASE_URL}{cls.path}"

    def post(self, body, headers=None, path=None):
        headers = xml_headers(body, self.public_url) if headers is None else headers
        return self.url_open(path or self.path, data=body, headers=headers, method="POST")

    def stored(self):
        return self.env["saas.event"].search([("backend_id", "=", self.backend.id)], order="id")

    def deliveries(self):
        return self.env["saas.delivery"].search([("backend_id", "=", self.backend.id)])

    def assertAcknowledged(self, response):
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/xml"))
        ack = etree.fromstring(response.content).find(
            f"{{{SOAP_NS}}}Body/{{{OUTBOUND_NS}}}notificationsResponse/{{{OUTBOUND_NS}}}Ack"
        )
        self.assertEqual(ack.text, "true")

    def assertFault(self, response, status, reason):
        self.assertEqual(response.status_code, status, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/xml"))
        fault = etree.fromstring(response.content).find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault")
        self.assertEqual(fault.findtext("faultstring"), reason)
        self.assertFalse(self.stored(), "a refused delivery stores nothing")

    def test_a_batch_is_stored_event_by_event_and_each_is_processed(self):
        events = [
            make_event("c_1", event_id="n_1", created=1_700_000_001, email="one@example.com"),
            make_event("c_2", event_id="n_2", created=1_700_000_002),
            make_event("c_3", event_id="n_3", created=1_700_000_003),
        ]
        body = xml_body_of(*events)
        self.assertAcknowledged(self.post(body))
        stored = self.stored()
        self.assertEqual(stored.mapped("external_id"), ["n_1", "n_2", "n_3"])
        self.assertEqual(stored.mapped("object_external_id"), ["c_1", "c_2", "c_3"])
        self.assertEqual(
            [str(event.source_created) for event in stored],
            ["2023-11-14 22:13:21", "2023-11-14 22:13:22", "2023-11-14 22:13:23"],
        )
        self.assertEqual(stored[0].payload_json()["data"]["object"]["email"], "one@example.com")
        # The body is kept once, verbatim, beside the events parsed from it.
        self.assertEqual(len(stored.delivery_id), 1)
        self.assertEqual(stored.delivery_id.body, body.decode())
        with self.assertRaises(UserError):
            stored.delivery_id.body = "<changed/>"
        self.assertIn(XML_TIMESTAMP_HEADER, stored[0].headers)
        run_jobs(self.env)
        self.assertEqual(set(stored.mapped("state")), {"done"})
        partners = self.env["saas.binding"].lookup_many(
            self.backend, "res.partner", ["c_1", "c_2", "c_3"]
        )
        self.assertEqual(partners["c_1"].email, "one@example.com")
        self.assertEqual(partners["c_3"].name, "Contact c_3")

    def test_the_same_batch_again_stores_nothing_and_gets_the_same_ack(self):
        events = [make_event("c_1", event_id="n_1"), make_event("c_2", event_id="n_2")]
        body = xml_body_of(*events)
        first = self.post(body)
        self.assertAcknowledged(first)
        again = self.post(body)
        self.assertAcknowledged(again)
        self.assertEqual(again.content, first.content)
        self.assertEqual(len(self.stored()), 2)
        self.assertEqual(len(self.deliveries()), 1)
        # A retry carrying one more notification: only that one is new.
        self.assertAcknowledged(self.post(xml_body_of(*events, make_event("c_3", event_id="n_3"))))
        self.assertEqual(self.stored().mapped("external_id"), ["n_1", "n_2", "n_3"])
        self.assertEqual(len(self.deliveries()), 2)

    def test_the_xml_signature_is_hubspots_v3(self):
        # The test vector of HubSpot's official Python SDK.
        signature = sign_xml(
            "POST",
            "https://www.example.com/webhook_uri",
            b"{'example_field':'example_value'}",
            15000000,
            "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy",
        )
        self.assertEqual(signature, "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=")

    def test_a_bad_or_missing_signature_gets_a_fault_and_stores_nothing(self):
        body = xml_body_of(make_event("c_1"))
        cases = {
            "another secret": xml_headers(body, self.public_url, secret="whsec_other"),
            "another method": xml_headers(body, self.public_url, method="PUT"),
            "stale": xml_headers(body, self.public_url, timestamp_ms=1_700_000_000_000),
        }
        for case, headers in cases.items():
            with self.subTest(case=case):
                expected = "timestamp outside the tolerance window" if case == "stale" else None
                self.assertFault(self.post(body, headers), 400, expected or "invalid signature")
        tampered = xml_headers(body, self.public_url)
        self.assertFault(
            self.post(body.replace(b"c_1", b"c_9"), tampered), 400, "invalid signature"
        )
        absent = {"Content-Type": "text/xml"}
        self.assertFault(self.post(body, absent), 400, "missing or malformed timestamp")

    def test_malformed_xml_and_document_types_get_400_and_store_nothing(self):
        doctype = (
            b'<?xml version="1.0"?><!DOCTYPE Envelope [<!ENTITY leak SYSTEM '
            b'"file:///etc/passwd">]>'
        )
        valid = xml_body_of(make_event("c_1")).split(b"?>", 1)[1]
        cases = {
            b"<Envelope><unclosed></Envelope>": "malformed XML",
            b"": "malformed XML",
            doctype + valid.replace(b"Contact c_1", b"&leak;"): (
                "XML with a document type declaration is not accepted"
            ),
            b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + valid: (
                "XML with a document type declaration is not accepted"
            ),
            b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:1/x.dtd"><x/>': (
                "XML with a document type declaration is not accepted"
            ),
            b"<notifications/>": "not an outbound message",
        }
        for body, reason in cases.items():
            with self.subTest(body=body[:60]):
                self.assertFault(self.post(body), 400, reason)

    def test_the_signature_covers_the_public_url_not_the_one_the_server_sees(self):
        body = xml_body_of(make_event("c_1", event_id="n_public"))
        local_url = f"{self.base_url()}{self.path}"
        self.assertFault(self.post(body, xml_headers(body, local_url)), 400, "invalid signature")
        self.assertFault(
            self.post(body, xml_headers(body, f"{PUBLIC_BASE_URL}/other{self.path}")),
            400,
            "invalid signature",
        )
        # The query string is part of what was called, hence of what was signed.
        path = f"{self.path}?portal=42"
        headers = xml_headers(body, f"{PUBLIC_BASE_URL}{path}")
        self.assertAcknowledged(self.post(body, headers, path=path))
        self.assertEqual(self.stored().external_id, "n_public")

    def test_without_a_public_base_url_the_web_base_url_is_the_public_one(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(PUBLIC_BASE_URL_PARAM, False)
        params.set_param("web.base.url", "https://erp.example.com/")
        self.backend.invalidate_recordset(["webhook_url"])
        self.assertEqual(self.backend.webhook_url, f"https://erp.example.com{self.path}")
        body = xml_body_of(make_event("c_1"))
        headers = xml_headers(body, f"https://erp.example.com{self.path}")
        self.assertAcknowledged(self.post(body, headers))

    def test_a_media_type_the_provider_does_not_send_is_refused_in_json(self):
        response = self.post(xml_body_of(make_event("c_1")), {"Content-Type": "text/plain"})
        self.assertEqual(response.status_code, 415)
        self.assertEqual(response.json(), {"error": "unsupported content type"})
