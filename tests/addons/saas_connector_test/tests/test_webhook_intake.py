"""The webhook route, through Odoo's real HTTP stack."""

import json
from unittest.mock import patch

import psycopg2

from odoo.addons.saas_connector_base.lib.inbound import WebhookRequest
from odoo.tests import HttpCase, tagged

from .common import SECRET, body_of, create_backend, make_event, signed_headers

WEBHOOK_LOGGER = "odoo.addons.saas_connector_base.controllers.webhook"


@tagged("post_install", "-at_install")
class TestWebhookIntake(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_backend(cls.env)
        cls.url = f"/saas/webhook/{cls.backend.webhook_token}"

    def post(self, body, headers=None, url=None):
        headers = signed_headers(body) if headers is None else headers
        return self.url_open(url or self.url, data=body, headers=headers)

    def stored(self):
        return self.env["saas.event"].search([("backend_id", "=", self.backend.id)])

    def queued_jobs(self):
        return self.env["queue.job"].search([("model_name", "=", "saas.backend")])

    def test_valid_delivery_is_stored_verbatim_and_enqueued(self):
        body = body_of(make_event("c_1", event_id="evt_ok", email="a@example.com"))
        response = self.post(body)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"received": True, "duplicate": False})
        event = self.stored()
        self.assertEqual(event.external_id, "evt_ok")
        self.assertEqual(event.payload, body.decode())
        self.assertEqual(event.state, "received")
        self.assertEqual(event.object_external_id, "c_1")
        self.assertEqual(str(event.source_created), "2023-11-14 22:13:20")
        self.assertEqual(json.loads(event.headers)["Content-Type"], "application/json")
        dispatcher = self.queued_jobs()
        self.assertEqual(len(dispatcher), 1)
        self.assertTrue(dispatcher.identity_key.startswith(f"saas.dispatch:{self.backend.id}:"))
        self.assertEqual(dispatcher.channel, self.backend.channel)
        self.backend._dispatch_received_events()
        self.assertEqual(event.state, "queued")
        job = self.queued_jobs() - dispatcher
        self.assertEqual(job.identity_key, f"saas.event:{self.backend.id}:c_1")

    def test_a_dispatcher_already_handed_to_a_worker_is_not_relied_upon(self):
        self.post(body_of(make_event("c_1")))
        first = self.queued_jobs()
        first.state = "enqueued"  # what the job runner does before a worker starts it
        self.post(body_of(make_event("c_2")))
        self.assertEqual(len(self.queued_jobs()), 2, "a new dispatcher for the new event")

    def test_duplicate_delivery_answers_200_and_changes_nothing(self):
        body = body_of(make_event("c_1", event_id="evt_dup"))
        self.assertEqual(self.post(body).json()["duplicate"], False)
        second = self.post(body)
        self.assertEqual(second.status_code, 200)
        self.assertEqual(second.json(), {"received": True, "duplicate": True})
        self.assertEqual(len(self.stored()), 1)
        self.assertEqual(len(self.queued_jobs()), 1)

    def test_a_burst_shares_one_dispatcher_and_one_processing_job(self):
        for created in (1, 2, 3):
            self.post(body_of(make_event("c_9", created=1_700_000_000 + created)))
        self.post(body_of(make_event("c_8")))
        self.assertEqual(len(self.stored()), 4)
        self.assertEqual(len(self.queued_jobs()), 1, "one dispatcher for the whole burst")
        self.backend._dispatch_received_events()
        jobs = self.queued_jobs()
        self.assertEqual(len(jobs), 2, "the dispatcher and one job for both objects")
        processing = jobs.filtered(lambda job: job.method_name == "_process_objects_events")
        self.assertEqual(processing.args, [["c_9", "c_8"]], "in the order they arrived")

    def test_wrong_signature_is_rejected_and_nothing_stored(self):
        body = body_of(make_event("c_1"))
        response = self.post(body, headers=signed_headers(body, secret="whsec_other"))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"error": "invalid signature"})
        tampered = self.post(body + b" ", headers=signed_headers(body))
        self.assertEqual(tampered.status_code, 400)
        absent = self.post(body, headers={"Content-Type": "application/json"})
        self.assertEqual(absent.status_code, 400)
        self.assertFalse(self.stored())
        self.assertFalse(self.queued_jobs())

    def test_malformed_json_and_non_event_get_400(self):
        for body in (b"{not json", b"[]" + b"x", b'{"id": "evt_1"}', b"null", b'"text"'):
            response = self.post(body)
            self.assertEqual(response.status_code, 400, body)
            self.assertIn("error", response.json())
        self.assertFalse(self.stored())

    def test_unknown_token_gets_404(self):
        body = body_of(make_event("c_1"))
        response = self.post(body, url="/saas/webhook/not-a-token")
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.stored())

    def test_archived_backend_gets_404(self):
        self.backend.active = False
        response = self.post(body_of(make_event("c_1")))
        self.assertEqual(response.status_code, 404)

    def test_oversize_body_gets_413(self):
        event = make_event("c_1", name="x" * (1024 * 1024))
        response = self.post(body_of(event))
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.stored())

    def test_backend_without_secret_rejects_everything(self):
        bare = create_backend(self.env, name="No secret", secret=None)
        body = body_of(make_event("c_1"))
        response = self.post(body, url=f"/saas/webhook/{bare.webhook_token}")
        self.assertEqual(response.status_code, 400)
        self.assertIn("no signing secret", response.json()["error"])
        self.assertFalse(self.env["saas.event"].search([("backend_id", "=", bare.id)]))

    def test_rotation_keeps_old_and_new_secret_valid_until_retired(self):
        self.backend.new_webhook_secret = "whsec_new_secret_value_123"
        old_body = body_of(make_event("c_1", event_id="evt_old"))
        new_body = body_of(make_event("c_2", event_id="evt_new"))
        self.assertEqual(self.post(old_body, signed_headers(old_body, SECRET)).status_code, 200)
        new_headers = signed_headers(new_body, "whsec_new_secret_value_123")
        self.assertEqual(self.post(new_body, new_headers).status_code, 200)
        self.backend.secret_ids.filtered(lambda s: s.masked.endswith("cdef")).action_retire()
        late_body = body_of(make_event("c_3"))
        self.assertEqual(self.post(late_body, signed_headers(late_body, SECRET)).status_code, 400)

    def test_regenerated_token_retires_the_old_url(self):
        old_url = self.url
        self.backend.action_regenerate_webhook_token()
        body = body_of(make_event("c_1"))
        self.assertEqual(self.post(body, url=old_url).status_code, 404)
        new_url = f"/saas/webhook/{self.backend.webhook_token}"
        self.assertEqual(self.post(body, url=new_url).status_code, 200)
        self.assertTrue(self.backend.webhook_url.endswith(new_url))

    def test_get_is_not_allowed(self):
        response = self.url_open(self.url)
        self.assertEqual(response.status_code, 405)

    def test_batch_delivery_stores_each_event(self):
        events = [make_event("c_1", event_id="evt_a"), make_event("c_2", event_id="evt_b")]
        body = body_of(events)
        response = self.post(body)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(sorted(self.stored().mapped("external_id")), ["evt_a", "evt_b"])
        self.assertEqual(self.stored().delivery_id.body, body.decode(), "kept verbatim, once")
        again = self.post(body_of([*events, make_event("c_3", event_id="evt_c")]))
        self.assertEqual(again.json(), {"received": True, "duplicate": False})
        self.assertEqual(len(self.stored()), 3, "only the new event of the batch is stored")
        self.backend._dispatch_received_events()
        objects = {
            object_id
            for job in self.queued_jobs()
            if job.method_name == "_process_objects_events"
            for object_id in job.args[0]
        }
        self.assertEqual(objects, {"c_1", "c_2", "c_3"})

    def test_provider_crash_on_odd_input_gets_400(self):
        # A timestamp no datetime can hold: the provider raises what it does not expect.
        body = body_of(make_event("c_1", created=10**20))
        with self.assertLogs(WEBHOOK_LOGGER, "ERROR") as logs:
            response = self.post(body)
        self.assertIn("could not read a delivery", logs.output[0])
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"error": "payload could not be read"})
        self.assertFalse(self.stored())

    def test_database_unavailable_gets_503_and_nothing_stored(self):
        # The database going away mid-request, as psycopg2 reports it.
        lost = psycopg2.OperationalError("server closed the connection unexpectedly")
        with (
            patch.object(type(self.env["saas.event"]), "_store_delivery", side_effect=lost),
            self.assertLogs(WEBHOOK_LOGGER, "WARNING") as logs,
        ):
            response = self.post(body_of(make_event("c_1")))
        self.assertIn("database unavailable", logs.output[0])
        self.assertNotIn(SECRET, "\n".join(logs.output))
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json(), {"error": "temporarily unavailable, retry later"})
        self.assertFalse(self.stored())
        self.assertFalse(self.queued_jobs())

    def test_verification_reads_the_backend_from_the_token_lookup_alone(self):
        """The intake's cost: the endpoint is read once, then verification reads no record."""
        secrets_model = self.env["saas.secret"].sudo()
        token = self.backend.webhook_token
        secrets_model._webhook_endpoint(token)
        self.env.invalidate_all()
        with self.assertQueryCount(0):
            backend, secrets = secrets_model._webhook_endpoint(token)
            self.assertEqual(backend, self.backend)
            self.assertEqual(secrets, [SECRET])
            self.assertEqual(
                (backend.provider, backend.environment, backend.company_id, backend.name),
                ("test", "test", self.env.company, "Test account"),
            )
            body = body_of(make_event("c_1", event_id="evt_cached"))
            delivery = WebhookRequest("POST", self.url, signed_headers(body), body)
            inbound = backend._provider_parse_webhook(delivery, secrets)
        self.assertEqual([event.external_id for event in inbound], ["evt_cached"])

    def test_a_changed_backend_applies_to_the_next_delivery(self):
        """The endpoint read once per worker is read again after any change to the backend."""
        self.assertEqual(self.post(body_of(make_event("c_1"))).status_code, 200)
        self.backend.active = False
        self.assertEqual(self.post(body_of(make_event("c_2"))).status_code, 404)
        self.backend.active = True
        self.assertEqual(self.post(body_of(make_event("c_3"))).status_code, 200)
        self.assertEqual(len(self.stored()), 2)
