"""What users reach through RPC, as a client would call it (JSON-RPC through Odoo's HTTP
stack, logged in as each user): intake and re-encryption are out of reach, a stored delivery
is immutable, an event's state changes only through its actions, and each company sees its
own."""

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import HttpCase, new_test_user, tagged

from .common import create_backend, deliver, make_event


@tagged("post_install", "-at_install")
class TestRpcAccess(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.backend = create_backend(cls.env)
        cls.backend_b = create_backend(cls.env, name="B account", company_id=cls.company_b.id)
        cls.event = deliver(cls.env, cls.backend, make_event("c_1", fail="permanent"))
        cls.event_b = deliver(cls.env, cls.backend_b, make_event("c_2", fail="permanent"))
        run_jobs(cls.env)
        groups = "base.group_user,saas_connector_base.group_saas_"
        cls.user = new_test_user(cls.env, "rpc_user", groups=f"{groups}user")
        cls.manager = new_test_user(cls.env, "rpc_manager", groups=f"{groups}manager")
        cls.user_b = new_test_user(
            cls.env,
            "rpc_user_b",
            groups=f"{groups}user",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
        )

    def call(self, user, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` over JSON-RPC as ``user``; the error message if
        the server refused."""
        self.authenticate(user.login, user.login)
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            json={"id": 0, "jsonrpc": "2.0", "method": "call", "params": params},
        )
        response.raise_for_status()
        answer = response.json()
        if "error" in answer:
            return RefusedCall(answer["error"]["data"]["message"])
        return answer["result"]

    def assertRefused(self, result, reason):
        self.assertIsInstance(result, RefusedCall, f"the call went through: {result!r}")
        self.assertIn(reason, result.message)

    def ciphertexts(self):
        self.env.cr.execute("SELECT id, ciphertext FROM saas_secret ORDER BY id")
        return self.env.cr.fetchall()

    def test_reencryption_is_out_of_reach_of_every_user(self):
        before = self.ciphertexts()
        for user in (self.user, self.manager):
            with self.subTest(user=user.login):
                self.assertRefused(
                    self.call(user, "saas.secret", "_reencrypt_all"), "Private methods"
                )
                self.assertRefused(
                    self.call(user, "saas.secret", "reencrypt_all"), "does not exist"
                )
        self.assertEqual(self.ciphertexts(), before)

    def test_intake_is_out_of_reach(self):
        for method in ("_receive", "_store_delivery"):
            with self.subTest(method=method):
                self.assertRefused(
                    self.call(self.manager, "saas.event", method, self.backend.id, [], "{}"),
                    "Private methods",
                )

    def test_a_stored_delivery_cannot_be_changed(self):
        payload = self.event.payload
        for user in (self.user, self.manager):
            for context in ({}, {"saas_event_intake": True}):
                with self.subTest(user=user.login, context=context):
                    self.assertRefused(
                        self.call(
                            user,
                            "saas.event",
                            "write",
                            [self.event.id],
                            {"payload": '{"forged": true}', "external_id": "evt_forged"},
                            context=context,
                        ),
                        "kept verbatim",
                    )
        self.event.invalidate_recordset()
        self.assertEqual(self.event.payload, payload)
        self.assertNotEqual(self.event.external_id, "evt_forged")

    def test_an_event_state_changes_only_through_its_actions(self):
        for user in (self.user, self.manager):
            for values in ({"state": "done"}, {"last_error": False}, {"note": "fine"}):
                with self.subTest(user=user.login, values=values):
                    self.assertRefused(
                        self.call(user, "saas.event", "write", [self.event.id], values),
                        "only through processing and its actions",
                    )
        self.event.invalidate_recordset()
        self.assertEqual(self.event.state, "failed")
        # The action itself is open to a connector user, and audited.
        self.call(self.user, "saas.event", "action_replay", [self.event.id])
        self.event.invalidate_recordset()
        self.assertEqual(self.event.state, "queued")
        self.assertIn("Replay requested by", " ".join(self.event.message_ids.mapped("body")))

    def test_a_company_sees_and_changes_nothing_of_another(self):
        found = self.call(self.user_b, "saas.event", "search_read", [], ["external_id"])
        self.assertEqual([row["id"] for row in found], [self.event_b.id])
        self.assertRefused(
            self.call(self.user_b, "saas.event", "read", [self.event.id], ["payload"]),
            "multi-company issue",
        )
        self.assertRefused(
            self.call(self.user_b, "saas.event", "action_replay", [self.event.id]),
            "multi-company issue",
        )
        self.event.invalidate_recordset()
        self.assertEqual(self.event.state, "failed")
        for model in ("saas.backend", "saas.binding", "saas.event.record"):
            with self.subTest(model=model):
                rows = self.call(self.user_b, model, "search_read", [], ["company_id"])
                if isinstance(rows, RefusedCall):
                    continue  # the group may not read the model at all
                companies = {row["company_id"][0] for row in rows}
                self.assertLessEqual(companies, {self.company_b.id})


class RefusedCall:
    def __init__(self, message):
        self.message = message

    def __repr__(self):
        return f"RefusedCall({self.message!r})"
