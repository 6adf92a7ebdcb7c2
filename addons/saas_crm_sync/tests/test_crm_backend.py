"""CRM backends: Test Connection through the fake CRMs' APIs (Salesforce with either OAuth
flow), and the setup checklist of a Salesforce backend, whose outbound messages carry no
signature."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

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
        cls.salesforce_peer = start_salesforce(cls)
        cls.salesforce = create_salesforce_backend(cls.env, cls.salesforce_peer)

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

    def _use_jwt_bearer(self, username="integration@example.com", key=None):
        key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.salesforce.write(
            {"salesforce_auth_flow": "jwt_bearer", "salesforce_username": username}
        )
        self.salesforce.salesforce_private_key = pem
        return key, pem

    def test_connection_reads_salesforce_with_a_jwt_bearer_assertion(self):
        key, pem = self._use_jwt_bearer()
        self.salesforce_peer.pre_authorize("integration@example.com", key.public_key())
        message = self.salesforce._provider_test_connection()
        self.assertIn("Connected to Salesforce", message)
        # The key is stored encrypted like any credential; the form shows it masked.
        self.assertNotEqual(self.salesforce.salesforce_private_key, pem)
        self.assertNotIn("PRIVATE KEY", self.salesforce.salesforce_private_key)

    def test_a_user_not_pre_authorized_for_the_jwt_flow_says_so(self):
        key, _pem = self._use_jwt_bearer(username="someone.else@example.com")
        self.salesforce_peer.pre_authorize("integration@example.com", key.public_key())
        with self.assertRaisesRegex(UserError, "user hasn't approved this consumer"):
            self.salesforce._provider_test_connection()

    def test_an_assertion_signed_by_another_key_is_refused(self):
        self._use_jwt_bearer()
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.salesforce_peer.pre_authorize("integration@example.com", other.public_key())
        with self.assertRaisesRegex(UserError, "invalid assertion"):
            self.salesforce._provider_test_connection()

    def test_a_private_key_that_is_not_rsa_pem_is_refused_and_the_credential_kept(self):
        before = self.salesforce._crm_api_secret()
        self.salesforce.salesforce_auth_flow = "jwt_bearer"
        with self.assertRaisesRegex(UserError, "unencrypted PEM RSA key"):
            self.salesforce.salesforce_private_key = "ssh-rsa AAAAB3Nza not a PEM"
        elliptic = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with self.assertRaisesRegex(UserError, "must be an RSA key"):
            self.salesforce.salesforce_private_key = elliptic.decode()
        self.assertEqual(self.salesforce._crm_api_secret(), before)

    def test_the_jwt_flow_without_a_username_says_what_to_set(self):
        self._use_jwt_bearer(username=False)
        with self.assertRaisesRegex(UserError, "integration username"):
            self.salesforce._provider_test_connection()

    def test_the_salesforce_checklist_asks_for_the_organization_not_a_signing_secret(self):
        keys = {item["key"]: item["ok"] for item in self.salesforce._setup_checklist()}
        self.assertNotIn("webhook_secret", keys)
        self.assertTrue(keys["organization_id"])
        self.assertTrue(keys["api_key"] and keys["stripe_backend"] and keys["product_map"])
        self.assertFalse(self.salesforce._provider_webhook_signed())
        self.assertTrue(self.hubspot._provider_webhook_signed())
