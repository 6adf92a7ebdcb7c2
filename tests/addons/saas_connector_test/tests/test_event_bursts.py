"""A processing job of several objects: one transaction for all, each object and each event
still its own — order, failures, retries and documents as when every object had its job."""

from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from .common import create_backend, deliver, events_of, make_event

ENGINE_LOGGER = "odoo.addons.saas_connector_base.models.saas_event_processing"
T = 1_700_000_000


@tagged("post_install", "-at_install")
class TestEventBursts(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_backend(cls.env, max_attempts=3)
        cls.bindings = cls.env["saas.binding"]
        cls.Backend = type(cls.backend)

    def partner_of(self, object_id):
        return self.bindings.lookup(self.backend, "res.partner", object_id)

    def burst_jobs(self):
        return self.env["queue.job"].search([("method_name", "=", "_process_objects_events")])

    def dispatch(self):
        """Run the dispatcher alone: the objects' jobs are enqueued, none has run."""
        self.assertEqual(run_jobs(self.env, limit=1), 1)

    def test_a_bad_event_fails_alone_and_its_neighbours_are_applied(self):
        events = deliver(
            self.env,
            self.backend,
            make_event("c_1", name="First"),
            make_event("c_2", fail="permanent", country="Atlantis"),
            make_event("c_3", name="Third"),
        )
        self.dispatch()
        self.assertEqual(len(self.burst_jobs()), 1, "one job for the three objects")
        self.assertEqual(run_jobs(self.env), 1)
        state = {event.object_external_id: event for event in events}
        self.assertEqual(state["c_2"].state, "failed")
        self.assertEqual(
            state["c_2"].last_error, "Contact c_2: country 'Atlantis' is not configured."
        )
        self.assertFalse(self.partner_of("c_2"))
        self.assertEqual((state["c_1"].state, state["c_3"].state), ("done", "done"))
        self.assertEqual(self.partner_of("c_1").name, "First")
        self.assertEqual(self.partner_of("c_3").name, "Third")
        self.assertEqual(state["c_1"].record_ids.mapped("res_id"), self.partner_of("c_1").ids)
        self.assertEqual(self.burst_jobs().state, "done", "the job itself did not fail")

    def test_a_retried_event_holds_back_its_object_only(self):
        events = deliver(
            self.env,
            self.backend,
            make_event("c_1", created=T + 100, fail="transient", fail_times=1),
            make_event("c_1", created=T + 200, name="After the retry"),
            make_event("c_2", name="Not held back"),
        )
        self.dispatch()
        run_jobs(self.env)
        retried, later = events_of(self.env, self.backend, "c_1")
        self.assertEqual((retried.state, retried.attempts), ("queued", 1))
        self.assertEqual(later.state, "queued", "waits behind the event being retried")
        self.assertEqual(events.filtered(lambda e: e.object_external_id == "c_2").state, "done")

    def test_each_objects_events_keep_their_order_in_a_shared_job(self):
        deliver(
            self.env,
            self.backend,
            make_event("c_1", created=T + 300, name="c_1 last"),
            make_event("c_2", created=T + 100, name="c_2 first"),
            make_event("c_1", created=T + 100, name="c_1 first"),
            make_event("c_2", created=T + 300, name="c_2 last"),
            make_event("c_1", created=T + 200, name="c_1 middle"),
        )
        self.dispatch()
        self.assertEqual(self.burst_jobs().args, [["c_1", "c_2"]])
        original = self.Backend._process_event
        applied = []

        def recording(backend, event, tied=False):
            applied.append(event.payload_json()["data"]["object"]["name"])
            return original(backend, event, tied=tied)

        with patch.object(self.Backend, "_process_event", recording):
            self.assertEqual(run_jobs(self.env), 1)
        self.assertEqual(applied, ["c_1 first", "c_1 middle", "c_1 last", "c_2 first", "c_2 last"])
        self.assertEqual(self.partner_of("c_1").name, "c_1 last")
        self.assertEqual(self.partner_of("c_2").name, "c_2 last")

    def test_an_older_event_in_a_shared_job_is_stale(self):
        deliver(self.env, self.backend, make_event("c_1", created=T + 200, name="New"))
        run_jobs(self.env)
        late = deliver(
            self.env,
            self.backend,
            make_event("c_1", created=T + 100, name="Old"),
            make_event("c_2", name="Other"),
        )
        self.dispatch()
        self.assertEqual(len(self.burst_jobs()), 1)
        run_jobs(self.env)
        self.assertEqual(late.mapped("state"), ["stale", "done"])
        self.assertEqual(self.partner_of("c_1").name, "New")

    def test_events_redelivered_into_a_shared_job_make_no_second_document(self):
        first = deliver(
            self.env, self.backend, *(make_event(f"c_{number}") for number in range(3))
        )
        run_jobs(self.env)
        partners = self.env["res.partner"].search([("name", "=like", "Contact c_%")])
        self.assertEqual(len(partners), 3)
        # Stripe re-sends events it is not sure were taken: the same ones, new deliveries.
        again = deliver(
            self.env,
            self.backend,
            *(make_event(f"c_{number}", event_id=f"evt_again_{number}") for number in range(3)),
        )
        first.sudo().write({"state": "received"})  # and the first ones replayed with them
        earlier = self.burst_jobs()
        self.dispatch()
        self.assertEqual(len(self.burst_jobs() - earlier), 1)
        run_jobs(self.env)
        self.assertEqual(
            self.env["res.partner"].search([("name", "=like", "Contact c_%")]), partners
        )
        self.assertEqual(self.bindings.search_count([("backend_id", "=", self.backend.id)]), 3)
        self.assertFalse((first | again).filtered(lambda event: event.state == "failed"))

    def test_an_object_the_engine_breaks_on_gets_a_job_of_its_own(self):
        deliver(self.env, self.backend, *(make_event(f"c_{number}") for number in (1, 2, 3)))
        self.dispatch()
        original = self.Backend._process_waiting_events

        def breaking(backend, events, retry_now=False):
            if events[:1].object_external_id == "c_2":
                backend.env["res.partner"].create({"name": "Half-applied c_2"})
                raise RuntimeError("the engine broke")
            return original(backend, events, retry_now=retry_now)

        with (
            patch.object(self.Backend, "_process_waiting_events", breaking),
            self.assertLogs(ENGINE_LOGGER, "ERROR"),
        ):
            self.assertEqual(run_jobs(self.env, limit=1), 1)
        self.assertEqual(events_of(self.env, self.backend, "c_1").state, "done")
        self.assertEqual(events_of(self.env, self.backend, "c_3").state, "done")
        self.assertEqual(events_of(self.env, self.backend, "c_2").state, "queued")
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Half-applied c_2")]))
        own = self.env["queue.job"].search(
            [("identity_key", "=", self.backend._object_identity_key("c_2"))]
        )
        self.assertEqual(own.state, "pending")
        run_jobs(self.env)
        self.assertEqual(events_of(self.env, self.backend, "c_2").state, "done")

    def test_the_provider_prepares_a_jobs_events_at_once_and_a_failed_preparation_is_undone(
        self,
    ):
        deliver(self.env, self.backend, make_event("c_1"), make_event("c_2"))
        self.dispatch()
        prepared = []

        def preparing(backend, events):
            prepared.append(sorted(events.mapped("object_external_id")))
            backend.env["res.partner"].create({"name": "Half-prepared"})
            raise RuntimeError("preparation broke")

        with (
            patch.object(self.Backend, "_provider_event_preparations", preparing),
            self.assertLogs(ENGINE_LOGGER, "WARNING"),
        ):
            run_jobs(self.env)
        self.assertEqual(prepared, [["c_1", "c_2"]], "once, with every event of the job")
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Half-prepared")]))
        self.assertTrue(self.partner_of("c_1") and self.partner_of("c_2"))

    def test_an_event_lists_the_shared_job_that_processed_it(self):
        event, _other = deliver(self.env, self.backend, make_event("c_1"), make_event("c_2"))
        run_jobs(self.env)
        self.assertEqual(event.job_count, 1)
        action = event.action_view_jobs()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("queue.job", self.burst_jobs().id)
        )

    def test_what_was_prepared_for_an_event_that_fails_is_undone_with_the_jobs_work(self):
        events = deliver(
            self.env,
            self.backend,
            make_event("c_1", name="Applied"),
            make_event("c_2", fail="permanent", country="Atlantis"),
        )
        self.dispatch()

        def preparing(backend, events):
            backend.env["res.partner"].create({"name": "Prepared for the job"})
            return events

        with patch.object(self.Backend, "_provider_event_preparations", preparing):
            run_jobs(self.env)
        self.assertEqual(events.mapped("state"), ["done", "failed"])
        self.assertEqual(self.partner_of("c_1").name, "Applied", "applied again, unprepared")
        self.assertFalse(
            self.env["res.partner"].search([("name", "=", "Prepared for the job")]),
            "a failed event keeps nothing prepared for it",
        )

    def processing_jobs(self):
        return self.env["queue.job"].search(
            [("method_name", "in", ("_process_object_events", "_process_objects_events"))]
        )

    def test_events_arriving_after_a_dispatch_join_the_pending_job_of_their_object(self):
        deliver(
            self.env,
            self.backend,
            make_event("c_1", created=T + 100, name="c_1 first"),
            make_event("c_2"),
        )
        self.dispatch()
        shared = self.burst_jobs()
        deliver(
            self.env,
            self.backend,
            make_event("c_1", created=T + 200, name="c_1 second"),
            make_event("c_3"),
        )
        self.assertEqual(run_jobs(self.env, method="_dispatch_received_events"), 1)
        # c_1 is named by a pending job already: only c_3 gets one, which would otherwise
        # have shared a second job with c_1 and found it locked by the first.
        self.assertEqual(self.burst_jobs(), shared)
        self.assertEqual(
            (self.processing_jobs() - shared).identity_key,
            self.backend._object_identity_key("c_3"),
        )
        run_jobs(self.env)
        self.assertEqual(events_of(self.env, self.backend, "c_1").mapped("state"), ["done"] * 2)
        self.assertEqual(self.partner_of("c_1").name, "c_1 second")
        self.assertEqual(len(self.processing_jobs()), 2, "nothing postponed")

    def test_the_sweep_hands_waiting_objects_to_a_few_jobs_and_never_twice(self):
        events = deliver(self.env, self.backend, *(make_event(f"c_{n}") for n in range(45)))
        # The dispatcher's job deleted by hand: the events wait with no job.
        self.env["queue.job"].search([("model_name", "=", "saas.backend")]).unlink()
        with freeze_time(fields.Datetime.now() + timedelta(minutes=10)):
            self.assertEqual(self.env["saas.event"]._cron_sweep_waiting(), 45)
            jobs = self.processing_jobs()
            self.assertEqual(sorted(len(job.args[0]) for job in jobs), [5, 20, 20])
            # The next sweep, before they ran, finds every object named by a pending job.
            self.env["saas.event"]._cron_sweep_waiting()
            self.assertEqual(self.processing_jobs(), jobs)
        run_jobs(self.env)
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertEqual(len(self.bindings.search([("backend_id", "=", self.backend.id)])), 45)

    def test_replayed_events_are_processed_by_a_few_jobs(self):
        events = deliver(
            self.env,
            self.backend,
            *(make_event(f"c_{n}", fail="permanent", country="Atlantis") for n in range(25)),
        )
        run_jobs(self.env)
        self.assertEqual(set(events.mapped("state")), {"failed"})
        before = self.processing_jobs()
        events.action_replay()
        replay_jobs = self.processing_jobs() - before
        self.assertEqual(sorted(len(job.args[0]) for job in replay_jobs), [5, 20])
        run_jobs(self.env)
        self.assertEqual(set(events.mapped("state")), {"failed"})
        self.assertEqual(set(events.mapped("attempts")), {1}, "each tried again once")
