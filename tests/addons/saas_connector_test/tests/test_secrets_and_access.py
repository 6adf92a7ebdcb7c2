"""Secrets stay encrypted and masked; groups and companies see only what they should."""

import os
from unittest.mock import patch

from cryptography.fernet import Fernet

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import config

from .common import SECRET, create_backend, deliver, make_event


@tagged("post_install", "-at_install")
class TestSecrets(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_backend(cls.env)
        cls.manager = new_test_user(
            cls.env,
            "saas_manager",
            groups="base.group_user,base.group_allow_export,saas_connector_base.group_saas_manager",
        )

    def test_plaintext_is_nowhere_in_the_database(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT ciphertext, masked, label FROM saas_secret")
        rows = self.env.cr.fetchall()
        self.assertTrue(rows)
        for row in rows:
            self.assertNotIn(SECRET, " ".join(filter(None, row)))
        self.env.cr.execute(
            "SELECT count(*) FROM mail_tracking_value tv "
            "WHERE tv.old_value_char LIKE %s OR tv.new_value_char LIKE %s",
            (f"%{SECRET}%", f"%{SECRET}%"),
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.env.cr.execute(
            "SELECT count(*) FROM mail_message WHERE body::text LIKE %s", (f"%{SECRET}%",)
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_ui_shows_only_a_masked_tail_and_the_input_reads_empty(self):
        secret = self.backend.secret_ids
        self.assertEqual(secret.masked, "••••cdef")
        backend_as_manager = self.backend.with_user(self.manager)
        self.assertFalse(backend_as_manager.new_webhook_secret)
        self.assertEqual(backend_as_manager.secret_ids.masked, "••••cdef")

    def test_saving_a_form_does_not_send_the_secret_back(self):
        # The form reads the record back in the transaction that stored the secret.
        spec = {"new_webhook_secret": {}}
        secret = "whsec_typed_in_the_form"
        as_manager = self.env["saas.backend"].with_user(self.manager)
        [created] = as_manager.web_save(
            {"name": "Typed", "provider": "test", "new_webhook_secret": secret}, spec
        )
        [saved] = as_manager.browse(created["id"]).web_save(
            {"new_webhook_secret": secret + "_2"}, spec
        )
        self.assertEqual(
            (created["new_webhook_secret"], saved["new_webhook_secret"]), (False, False)
        )

    def test_ciphertext_is_unreadable_through_the_orm_even_for_managers(self):
        secret = self.backend.secret_ids.with_user(self.manager)
        with self.assertRaises(AccessError):
            secret.read(["ciphertext"])
        exported = secret.export_data(["masked", "purpose"])["datas"]
        self.assertEqual(exported, [["••••cdef", "Webhook signing secret"]])

    def test_secret_cannot_be_edited_in_place(self):
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            self.backend.secret_ids.write({"masked": "x"})

    def test_secrets_never_reach_the_logs(self):
        with self.assertLogs("odoo", level="DEBUG") as logs:
            self.backend.new_webhook_secret = "whsec_fresh_value_9876543210"
            deliver(self.env, self.backend, make_event("c_1"), make_event("c_2", fail="permanent"))
            run_jobs(self.env)
            self.env["saas.secret"]._live_values(self.backend, "webhook_signing")
        self.assertTrue(any("saas event" in line for line in logs.output))
        joined = "\n".join(logs.output)
        self.assertNotIn("whsec_fresh_value_9876543210", joined)
        self.assertNotIn(SECRET, joined)

    def set_master_key(self, value):
        """Override the configured key for this test (the runtime layer of Odoo's config
        shadows the file), and keep the environment variable out of the way."""
        config["saas_master_key"] = value
        self.addCleanup(config.options.pop, "saas_master_key", None)
        environ = patch.dict(os.environ)
        environ.start()
        self.addCleanup(environ.stop)
        os.environ.pop("SAAS_MASTER_KEY", None)

    def test_missing_master_key_is_a_clear_configuration_error(self):
        self.set_master_key("")
        with self.assertRaisesRegex(UserError, "saas_master_key"):
            self.backend.new_webhook_secret = "whsec_another_one_123456"

    def test_master_key_rotation_reencrypts_every_secret(self):
        old_key = config.get("saas_master_key") or os.environ["SAAS_MASTER_KEY"]
        new_key = Fernet.generate_key().decode()
        self.set_master_key(f"{new_key},{old_key}")
        with self.assertRaisesRegex(AccessError, "Only the superuser"):
            self.env["saas.secret"].with_user(self.manager)._reencrypt_all()
        self.assertEqual(self.env["saas.secret"]._reencrypt_all(), 1)
        config["saas_master_key"] = new_key
        self.assertEqual(
            self.env["saas.secret"]._live_values(self.backend, "webhook_signing"), [SECRET]
        )


@tagged("post_install", "-at_install")
class TestAccessRights(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.backend = create_backend(cls.env)
        cls.backend_b = create_backend(cls.env, name="B account", company_id=cls.company_b.id)
        cls.event = deliver(cls.env, cls.backend, make_event("c_1", fail="permanent"))
        cls.event_b = deliver(cls.env, cls.backend_b, make_event("c_2", fail="permanent"))
        run_jobs(cls.env)
        cls.user = new_test_user(
            cls.env, "saas_user", groups="base.group_user,saas_connector_base.group_saas_user"
        )
        cls.manager = new_test_user(
            cls.env, "saas_mgr", groups="base.group_user,saas_connector_base.group_saas_manager"
        )
        cls.employee = new_test_user(cls.env, "plain_employee", groups="base.group_user")

    def test_connector_user_reads_and_replays_but_does_not_configure(self):
        events = self.env["saas.event"].with_user(self.user).search([])
        self.assertEqual(events, self.event, "only the user's company")
        events.action_replay()
        self.assertEqual(self.event.state, "queued")
        with self.assertRaises(AccessError):
            self.backend.with_user(self.user).write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.env["saas.backend"].with_user(self.user).create({"name": "x", "provider": "test"})
        with self.assertRaises(AccessError):
            self.env["saas.secret"].with_user(self.user).search([])
        with self.assertRaises(AccessError):
            self.backend.with_user(self.user).read(["webhook_token"])

    def test_manager_configures_backends_of_own_company(self):
        backend = self.backend.with_user(self.manager)
        backend.write({"name": "Renamed"})
        self.assertTrue(backend.webhook_url)
        visible = self.env["saas.backend"].with_user(self.manager).search([])
        self.assertNotIn(self.backend_b, visible)

    def test_other_company_is_visible_only_when_allowed(self):
        self.manager.write({"company_ids": [(4, self.company_b.id)]})
        env_b = self.env(user=self.manager, context={"allowed_company_ids": [self.company_b.id]})
        self.assertEqual(env_b["saas.event"].search([]), self.event_b)

    def test_employee_without_connector_group_sees_nothing(self):
        for model in ("saas.backend", "saas.event", "saas.binding", "saas.event.record"):
            with self.assertRaises(AccessError, msg=model):
                self.env[model].with_user(self.employee).search([])

    def test_portal_and_public_users_reach_nothing(self):
        portal = new_test_user(self.env, "saas_portal", groups="base.group_portal")
        public = self.env.ref("base.public_user")
        for user in (portal, public):
            for model in ("saas.backend", "saas.event", "saas.binding", "saas.secret"):
                with self.assertRaises(AccessError, msg=f"{user.login} on {model}"):
                    self.env[model].with_user(user).search([])
