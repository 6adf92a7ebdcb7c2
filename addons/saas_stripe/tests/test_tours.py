"""The Stripe backend form in a real browser: an administrator sets up a new backend guided by
its setup checklist. The tour is in ``static/tests/tours``.

A missing browser fails this test instead of skipping it, as in the other tour tests."""

import unittest

from odoo.tests import HttpCase, tagged
from odoo.tests.common import _find_executable, websocket


@tagged("post_install", "-at_install")
class TestStripeBackendTours(HttpCase):
    def setUp(self):
        super().setUp()
        try:
            _find_executable()
        except unittest.SkipTest:
            self.fail("Chromium is not installed: run scripts/setup.sh as root (apt chromium)")
        if websocket is None:
            self.fail("websocket-client is not installed in the virtualenv")

    def test_admin_sets_up_a_stripe_backend_with_the_checklist(self):
        accounts = self.env["account.account"]
        fees = accounts.create(
            {"name": "Stripe Fees Tour", "code": "626901", "account_type": "expense"}
        )
        disputed = accounts.create(
            {"name": "Disputed Funds Tour", "code": "119901", "account_type": "asset_current"}
        )
        try:
            self.start_tour("/odoo", "saas_stripe_backend_setup_checklist", login="admin")
        except unittest.SkipTest as skipped:
            self.fail(f"the browser could not run the tour: {skipped}")
        backend = self.env["saas.backend"].search([("name", "=", "Stripe tour account")])
        self.assertEqual(backend.provider, "stripe")
        self.assertEqual(
            (backend.stripe_fee_account_id, backend.stripe_dispute_account_id), (fees, disputed)
        )
        # Both secrets are stored, encrypted: what the form shows is a mask.
        self.assertTrue(backend._secret_status("api_key"))
        self.assertNotIn("sk_test_tour_checklist", backend.stripe_api_key_status)
        secrets = self.env["saas.secret"].sudo()
        self.assertEqual(secrets._live_values(backend, "api_key"), ["sk_test_tour_checklist"])
        self.assertEqual(
            secrets._live_values(backend, "webhook_signing"), ["whsec_tour_checklist"]
        )
