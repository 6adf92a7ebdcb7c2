"""CRM backends: Test Connection through the fake CRMs' APIs, and the setup checklist of a
Salesforce backend, whose outbound messages carry no signature."""

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from .common import (
    create_hubspot_backend,
    create_salesforce_backend,
    start_hubspot,
    start_salesforce,
)


@tagged("post_install", "-at_install")
class TestCrmBackend(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hubspot = create_hubspot_backend(cls.env, start_hubspot(cls))
        cls.salesforce = create_salesforce_backend(cls.env, start_salesforce(cls))

    def test_connection_reads_hubspot(self):
        message = self.hubspot._provider_test_connection()
        self.assertEqual(message, "Connected to HubSpot: 1 deal pipelines.")

    def test_a_bad_hubspot_token_says_so(self):
        self.hubspot.hubspot_access_token = "pat-na1-revoked"
        with self.assertRaisesRegex(UserError, "HubSpot refused the request \\(HTTP 401\\)"):
            self.hubspot._provider_test_connection()

    def test_connection_reads_salesforce_with_client_credentials(self):
        message = self.salesforce._provider_test_connection()
        self.assertIn("Connected to Salesforce", message)

    def test_a_bad_salesforce_secret_says_so(self):
        self.salesforce.salesforce_client_secret = "not-the-secret"
        with self.assertRaisesRegex(UserError, "invalid client credentials"):
            self.salesforce._provider_test_connection()

    def test_the_salesforce_checklist_asks_for_the_organization_not_a_signing_secret(self):
        keys = {item["key"]: item["ok"] for item in self.salesforce._setup_checklist()}
        self.assertNotIn("webhook_secret", keys)
        self.assertTrue(keys["organization_id"])
        self.assertTrue(keys["api_key"] and keys["stripe_backend"] and keys["product_map"])
        self.assertFalse(self.salesforce._provider_webhook_signed())
        self.assertTrue(self.hubspot._provider_webhook_signed())
