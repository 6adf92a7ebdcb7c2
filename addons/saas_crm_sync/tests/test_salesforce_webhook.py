"""Salesforce outbound messages through Odoo's real HTTP stack. They carry no signature: the
backend has no signing secret, the organization id is checked, and the answer is the
acknowledgement Salesforce waits for (or a SOAP fault)."""

from lxml import etree

from odoo.tests import HttpCase, tagged

from ..lib.salesforce_outbound import ACK, SOAP_NS
from .common import FIXTURES, create_salesforce_backend, start_salesforce

RECORDED_ORG = "00D7F00000107XsUAI"


@tagged("post_install", "-at_install")
class TestSalesforceWebhook(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_salesforce_backend(
            cls.env, start_salesforce(cls), salesforce_organization_id=RECORDED_ORG
        )
        cls.path = f"/saas/webhook/{cls.backend.webhook_token}"
        cls.body = (FIXTURES / "salesforce-outbound-message-opportunity.xml").read_bytes()

    def post(self, body):
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
        return self.url_open(self.path, data=body, headers=headers, method="POST")

    def stored(self):
        return self.env["saas.event"].search([("backend_id", "=", self.backend.id)], order="id")

    def assertFault(self, response, status, reason):
        self.assertEqual(response.status_code, status, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/xml"))
        fault = etree.fromstring(response.content).find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault")
        self.assertEqual(fault.findtext("faultstring"), reason)
        self.assertFalse(self.stored(), "a refused message stores nothing")

    def test_the_recorded_message_is_stored_and_acknowledged_without_a_signing_secret(self):
        self.assertFalse(
            self.backend.sudo().secret_ids.filtered(lambda s: s.purpose == "webhook_signing")
        )
        response = self.post(self.body)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/xml"))
        self.assertEqual(response.content, ACK)
        event = self.stored()
        self.assertEqual(event.external_id, "04l7F000008aeAyQAI")
        self.assertEqual(event.event_type, "Opportunity.outbound")
        self.assertEqual(event.object_external_id, "Opportunity/0067F000003pmdWQAQ")
        self.assertEqual(event.payload_json()["fields"]["StageName"], "Perception Analysis")
        # Salesforce's retry carries the same notification id: the same answer, nothing new.
        again = self.post(self.body)
        self.assertEqual(again.content, ACK)
        self.assertEqual(self.stored(), event)

    def test_a_message_of_another_org_is_refused_with_a_fault(self):
        self.backend.salesforce_organization_id = "00D000000000001AAA"
        self.assertFault(self.post(self.body), 403, "an outbound message of another organization")

    def test_a_backend_without_an_organization_id_refuses_every_message(self):
        self.backend.salesforce_organization_id = False
        self.assertFault(self.post(self.body), 403, "an outbound message of another organization")

    def test_a_body_that_is_not_an_outbound_message_gets_a_fault(self):
        body = b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="%s"/>' % SOAP_NS.encode()
        self.assertFault(
            self.post(body), 400, "no outbound-message notifications in the SOAP body"
        )
