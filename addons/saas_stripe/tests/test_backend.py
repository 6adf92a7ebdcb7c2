"""A Stripe backend's credentials stay write-only; its prices are visible by group and
company."""

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import SIGNING_SECRET, create_stripe_backend

API_KEY = "sk_live_0123456789abcdefghijWXYZ"


@tagged("post_install", "-at_install")
class TestStripeBackend(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_stripe_backend(cls.env)
        cls.secrets = cls.env["saas.secret"]

    def live(self, purpose):
        return self.backend.secret_ids.filtered(lambda secret: secret.purpose == purpose)

    def test_defaults(self):
        self.assertRecordValues(
            self.backend,
            [
                {
                    "stripe_api_base": "https://api.stripe.com",
                    "stripe_signature_tolerance": 300,
                    "stripe_match_partner_by_email": False,
                }
            ],
        )

    def test_api_key_is_stored_encrypted_and_shown_masked(self):
        self.backend.stripe_api_key = API_KEY
        self.backend.invalidate_recordset(["stripe_api_key"])
        self.assertEqual(self.backend.stripe_api_key, "••••WXYZ")
        self.assertEqual(self.secrets._live_values(self.backend, "api_key"), [API_KEY])
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT count(*) FROM saas_secret WHERE ciphertext LIKE %s", [f"%{API_KEY}%"]
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_new_api_key_replaces_the_old_and_the_masked_value_is_no_key(self):
        self.backend.stripe_api_key = API_KEY
        self.backend.stripe_api_key = "sk_live_another_key_000000ABCD"
        self.assertEqual(
            self.secrets._live_values(self.backend, "api_key"), ["sk_live_another_key_000000ABCD"]
        )
        retired = self.secrets.with_context(active_test=False).search(
            [
                ("backend_id", "=", self.backend.id),
                ("purpose", "=", "api_key"),
                ("active", "=", False),
            ]
        )
        self.assertEqual(retired.masked, "••••WXYZ")
        # Saving the form unchanged writes the masked value back: nothing is stored.
        self.backend.write({"stripe_api_key": "••••ABCD"})
        self.assertEqual(len(self.live("api_key")), 1)

    def test_webhook_secrets_rotate_without_retiring(self):
        self.backend.stripe_webhook_secret = "whsec_rolled_9876543210fedcba"
        self.assertEqual(
            self.secrets._live_values(self.backend, "webhook_signing"),
            ["whsec_rolled_9876543210fedcba", SIGNING_SECRET],
        )
        self.backend.invalidate_recordset()
        self.assertFalse(self.backend.stripe_webhook_secret)

    def test_prices_are_read_only_for_users_and_limited_to_their_companies(self):
        product = self.env["product.template"].create({"name": "Seat", "type": "service"})
        values = {
            "product_tmpl_id": product.id,
            "currency_id": self.env.ref("base.USD").id,
            "unit_amount": 10,
        }
        price = self.env["saas.stripe.price"].create({"backend_id": self.backend.id, **values})
        other_company = self.env["res.company"].create({"name": "Other company"})
        other_backend = create_stripe_backend(self.env, name="Other", company_id=other_company.id)
        other_price = self.env["saas.stripe.price"].create(
            {"backend_id": other_backend.id, **values}
        )
        user = new_test_user(
            self.env, "saas_user", groups="base.group_user,saas_connector_base.group_saas_user"
        )
        prices = self.env["saas.stripe.price"].with_user(user)
        self.assertEqual(prices.search([("id", "in", (price | other_price).ids)]), price)
        with self.assertRaises(AccessError):
            price.with_user(user).write({"nickname": "Renamed"})
        manager = new_test_user(
            self.env,
            "saas_manager",
            groups="base.group_user,saas_connector_base.group_saas_manager",
        )
        price.with_user(manager).write({"nickname": "Renamed"})
        self.assertEqual(price.nickname, "Renamed")
