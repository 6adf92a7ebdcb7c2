"""The event inbox as a user sees it: seconds on every time, the trace read-only and named,
the queue jobs behind an event, replay confirmed and answered, the correlation trail, and
latency figures that a replay does not move."""

from lxml import etree

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from ..models.saas_backend import REMOTE_CONTACTS
from .common import create_backend, deliver, events_of, make_event

SECOND = 1_700_000_100


@tagged("post_install", "-at_install")
class TestEventInboxUx(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_backend(cls.env, max_attempts=3)
        cls.env.user.group_ids |= cls.env.ref("queue_job.group_queue_job_manager")

    def arch(self, view_type):
        views = self.env["saas.event"].get_views([(False, view_type)])
        return etree.fromstring(views["views"][view_type]["arch"])

    def set_latency_window(self, event, hours_ago):
        """The event as if received ``hours_ago`` hours before now: a replay now comes that
        long after its receipt (in SQL: nothing in Odoo may change a stored delivery)."""
        self.env.cr.execute(
            "UPDATE saas_event SET received_at = received_at - make_interval(hours => %s) "
            "WHERE id = %s",
            (hours_ago, event.id),
        )
        event.invalidate_recordset(["received_at"])

    # --------------------------------------------------------------------------------------
    # Views
    # --------------------------------------------------------------------------------------
    def test_times_show_their_seconds_in_the_list_and_the_form(self):
        for view_type, names in (
            ("list", ("received_at", "source_created", "processed_at")),
            ("form", ("received_at", "source_created", "processed_at", "next_attempt_at")),
        ):
            arch = self.arch(view_type)
            for name in names:
                [node] = arch.xpath(f"//field[@name='{name}']")
                self.assertIn("'show_seconds': true", node.get("options", ""), (view_type, name))

    def test_trace_is_read_only_and_names_the_document_type(self):
        arch = self.arch("form")
        [records] = arch.xpath("//field[@name='record_ids']")
        self.assertIn(records.get("readonly"), ("1", "True"))
        [inner] = records.xpath("./list")
        self.assertEqual((inner.get("create"), inner.get("delete")), ("false", "false"))
        shown = [
            node.get("name")
            for node in inner.xpath("./field")
            if node.get("column_invisible") != "True"
        ]
        self.assertEqual(shown, ["res_model_name", "record_name"])
        event = deliver(self.env, self.backend, make_event("c_1", name="Acme"))
        run_jobs(self.env)
        self.assertEqual(event.record_ids.mapped("res_model_name"), ["Contact"])
        self.assertEqual(event.record_ids.mapped("record_name"), ["Acme"])
        # The trace list reached from the smart button is read-only too.
        views = self.env["saas.event.record"].get_views([(False, "list")])
        trace = etree.fromstring(views["views"]["list"]["arch"])
        self.assertEqual(
            (trace.get("create"), trace.get("delete"), trace.get("edit")),
            ("false", "false", "false"),
        )

    def test_replay_asks_for_confirmation_in_the_list_and_the_form(self):
        for view_type in ("list", "form"):
            [button] = self.arch(view_type).xpath("//button[@name='action_replay']")
            self.assertTrue(button.get("confirm"), view_type)

    def test_durations_are_shown_in_human_units(self):
        arch = self.arch("form")
        self.assertTrue(arch.xpath("//field[@name='latency']"))
        self.assertTrue(arch.xpath("//field[@name='processing_time']"))
        self.assertFalse(arch.xpath("//field[@name='latency_ms']"))
        event = deliver(self.env, self.backend, make_event("c_1"))
        run_jobs(self.env)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE saas_event SET latency_ms = 13651, processing_ms = 245 WHERE id = %s",
            (event.id,),
        )
        event.invalidate_recordset()
        self.assertEqual((event.latency, event.processing_time), ("13.7 s", "245 ms"))

    # --------------------------------------------------------------------------------------
    # Jobs and trail
    # --------------------------------------------------------------------------------------
    def test_event_links_to_the_queue_jobs_of_its_object(self):
        [button] = self.arch("form").xpath("//button[@name='action_view_jobs']")
        self.assertEqual(button.get("type"), "object")
        event = deliver(self.env, self.backend, make_event("c_1"))
        run_jobs(self.env)
        jobs = self.env["queue.job"].search(
            [("identity_key", "=", self.backend._object_identity_key("c_1"))]
        )
        self.assertEqual(len(jobs), 1)
        self.assertEqual(event.job_count, 1)
        action = event.action_view_jobs()
        self.assertEqual((action["res_model"], action["res_id"]), ("queue.job", jobs.id))
        self.assertEqual(jobs.state, "done")
        # A replay makes a second job: both are listed.
        event.action_replay()
        run_jobs(self.env)
        event.invalidate_recordset(["job_count"])
        self.assertEqual(event.job_count, 2)
        action = event.action_view_jobs()
        self.assertEqual(len(self.env["queue.job"].search(action["domain"])), 2)

    def test_correlation_trail_lists_the_events_and_records_one_event_brought_in(self):
        [button] = self.arch("form").xpath("//button[@name='action_view_trail']")
        self.assertEqual(button.get("type"), "object")
        deliver(self.env, self.backend, make_event("c_1", created=SECOND, name="Applied"))
        run_jobs(self.env)
        REMOTE_CONTACTS["c_1"] = {"id": "c_1", "name": "Current", "created": SECOND}
        self.addCleanup(REMOTE_CONTACTS.clear)
        late = deliver(self.env, self.backend, make_event("c_1", created=SECOND, name="Late"))
        run_jobs(self.env)
        self.assertEqual(late.state, "stale")
        read = events_of(self.env, self.backend, "c_1").filtered(
            lambda event: event.correlation_id == late.correlation_id and event != late
        )
        self.assertEqual(len(read), 1, "the current state read for the late event")
        trail = late.action_view_trail()
        self.assertEqual(
            self.env["saas.event"].search(trail["domain"]), late | read, "and nothing else"
        )
        records = self.env["saas.event.record"].search(late.action_view_trail_records()["domain"])
        self.assertEqual(records.mapped("record_name"), ["Current"])
        # Unrelated events keep their own trail.
        other = deliver(self.env, self.backend, make_event("c_2"))
        self.assertNotEqual(other.correlation_id, late.correlation_id)

    # --------------------------------------------------------------------------------------
    # Replay
    # --------------------------------------------------------------------------------------
    def test_replay_says_what_it_queued_and_reloads_the_view(self):
        event = deliver(self.env, self.backend, make_event("c_1", event_id="evt_replayed"))
        run_jobs(self.env)
        action = event.action_replay()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(
            action["params"]["message"],
            "Event evt_replayed is queued for processing again; its state shows here when done.",
        )
        self.assertEqual(
            action["params"]["next"], {"type": "ir.actions.client", "tag": "soft_reload"}
        )
        self.assertEqual(event.state, "queued")
        self.assertIn("Replay requested by", event.message_ids[0].body)
        run_jobs(self.env)
        self.assertEqual(event.state, "done")

    def test_bulk_replay_counts_what_it_queued_and_what_it_left(self):
        done = deliver(self.env, self.backend, make_event("c_1"))
        run_jobs(self.env)
        waiting = deliver(self.env, self.backend, make_event("c_2"))
        run_jobs(self.env, limit=1)  # the dispatcher only: c_2 stays queued
        self.assertEqual(waiting.state, "queued")
        action = (done | waiting).action_replay()
        self.assertEqual(
            action["params"]["message"],
            "1 events queued for processing again. 1 already queued, left as they are.",
        )

    # --------------------------------------------------------------------------------------
    # Latency
    # --------------------------------------------------------------------------------------
    def test_replay_leaves_latency_and_the_dashboard_percentiles_as_they_were(self):
        events = deliver(
            self.env,
            self.backend,
            make_event("c_1"),
            make_event("c_2"),
            make_event("c_3"),
        )
        run_jobs(self.env)
        self.assertEqual(set(events.mapped("state")), {"done"})
        before = {event: event.latency_ms for event in events}
        self.assertTrue(all(0 <= latency < 60_000 for latency in before.values()), before)
        self.backend.invalidate_recordset()
        figures = (self.backend.latency_p50_ms, self.backend.latency_p95_ms)
        # A replay two hours after receipt: the old figure would have been over 2 h.
        replayed = events[0]
        self.set_latency_window(replayed, hours_ago=2)
        replayed.action_replay()
        run_jobs(self.env)
        self.assertEqual(replayed.state, "done")
        self.assertEqual({event: event.latency_ms for event in events}, before)
        self.backend.invalidate_recordset()
        self.assertEqual((self.backend.latency_p50_ms, self.backend.latency_p95_ms), figures)
        self.assertLess(self.backend.latency_p95_ms, 60_000)

    def test_failed_then_replayed_event_keeps_the_latency_of_its_failure(self):
        event = deliver(self.env, self.backend, make_event("c_1", fail="permanent"))
        run_jobs(self.env)
        self.assertEqual(event.state, "failed")
        failed_after = event.latency_ms
        self.assertTrue(0 <= failed_after < 60_000, failed_after)
        self.set_latency_window(event, hours_ago=5)
        self.env.cr.execute(
            "UPDATE saas_event SET payload = %s WHERE id = %s",
            (event.payload.replace('"fail": "permanent"', '"fail": null'), event.id),
        )
        event.invalidate_recordset(["payload"])
        event.action_replay()
        run_jobs(self.env)
        self.assertEqual(event.state, "done")
        self.assertEqual(event.latency_ms, failed_after)

    def test_dashboard_shows_latency_in_human_units(self):
        events = deliver(self.env, self.backend, make_event("c_1"), make_event("c_2"))
        run_jobs(self.env)
        self.env.cr.execute(
            "UPDATE saas_event SET latency_ms = %s WHERE id = %s", (13_651, events[0].id)
        )
        self.env.cr.execute(
            "UPDATE saas_event SET latency_ms = %s WHERE id = %s", (13_651, events[1].id)
        )
        self.backend.invalidate_recordset()
        self.assertEqual(
            (self.backend.latency_p50, self.backend.latency_p95), ("13.7 s", "13.7 s")
        )
        views = self.env["saas.backend"].get_views([(False, "form"), (False, "kanban")])
        for view_type in ("form", "kanban"):
            arch = etree.fromstring(views["views"][view_type]["arch"])
            self.assertTrue(arch.xpath("//field[@name='latency_p50']"), view_type)
            self.assertFalse(arch.xpath("//field[@name='latency_p50_ms']"), view_type)
