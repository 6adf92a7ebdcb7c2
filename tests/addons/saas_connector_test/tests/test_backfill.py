"""The engine's backfill run, over the test provider's listing (``REMOTE_CONTACTS``, the far
side of the network): pages after a cursor, batches applied by their own jobs, resume after a
lost job, backoff on an outage, progress and ETA, the period — without any real provider."""

from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.queue_job.job import Job
from odoo.addons.saas_connector_base.models import saas_backfill
from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, tagged

from ..models.saas_backend import REMOTE_CONTACTS, REMOTE_OUTAGES
from .common import create_backend

START = datetime(2026, 1, 5, 9, 0, 0)


@tagged("post_install", "-at_install")
@patch.object(saas_backfill, "BATCH_SIZE", 3)
class TestBackfill(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_backend(cls.env)

    def setUp(self):
        super().setUp()
        REMOTE_CONTACTS.clear()
        REMOTE_OUTAGES.clear()
        self.addCleanup(REMOTE_CONTACTS.clear)
        self.addCleanup(REMOTE_OUTAGES.clear)
        for number in range(1, 8):
            contact_id = f"c_{number:02d}"
            REMOTE_CONTACTS[contact_id] = {
                "id": contact_id,
                "name": f"Contact {number}",
                "created": int((START - timedelta(days=number)).timestamp()),
            }

    def pending(self, run, method=None):
        jobs = self.env["queue.job"].search(
            [
                ("identity_key", "=like", f"saas.backfill:{run.id}:%"),
                ("state", "=", "pending"),
            ],
            order="id",
        )
        return jobs.filtered(lambda job: not method or job.method_name == method)

    def perform(self, job_record):
        job = Job.load(self.env, job_record.uuid)
        job.set_started()
        job.store()
        job.perform()
        job.set_done()
        job.store()

    def run_all(self, run):
        for _round in range(50):
            jobs = self.pending(run)
            if not jobs:
                break
            self.perform(jobs[0])
        run_jobs(self.env)

    def partners(self):
        bindings = self.env["saas.binding"].search(
            [("backend_id", "=", self.backend.id), ("res_model", "=", "res.partner")]
        )
        return self.env["res.partner"].browse(bindings.mapped("res_id"))

    def test_pages_after_the_cursor_import_every_object_once(self):
        run = self.backend.backfill()
        self.assertEqual((run.state, run.line_ids.object_type), ("running", "contacts"))
        self.assertTrue(self.backend.can_backfill)
        self.run_all(run)
        self.assertEqual(run.state, "done", run.last_error)
        self.assertRecordValues(
            run.line_ids,
            [{"read_count": 7, "done_count": 7, "cursor": "c_07", "is_done": True}],
        )
        self.assertEqual((run.objects_done, len(self.partners())), (7, 7))
        self.assertRecordValues(self.backend, [{"backfill_state": "done", "backfill_objects": 7}])
        events = self.env["saas.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(events), 7)
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertTrue(all(self.backend._provider_event_is_read(event) for event in events))

    def test_resume_after_a_lost_job_goes_on_from_the_cursor(self):
        run = self.backend.backfill()
        self.perform(self.pending(run, "_import_batch"))
        self.assertEqual(run.line_ids.cursor, "c_03")
        self.pending(run, "_import_batch").unlink()  # the server died with it
        run.action_resume()
        run.action_resume()  # the job is keyed by its cursor: nothing more
        self.assertEqual(len(self.pending(run, "_import_batch")), 1)
        self.run_all(run)
        self.assertEqual(run.state, "done", run.last_error)
        self.assertEqual(len(self.partners()), 7)
        # Reading a batch again (a lost commit of its cursor) stores no second event.
        run.line_ids.write({"cursor": "c_03", "is_done": False})
        run.write({"state": "running", "finished_at": False})
        run.action_resume()
        self.run_all(run)
        self.assertEqual(
            self.env["saas.event"].search_count([("backend_id", "=", self.backend.id)]), 7
        )

    def test_an_outage_postpones_the_batch_then_the_run_goes_on(self):
        REMOTE_OUTAGES.append("the provider answered 503")
        with freeze_time(START):
            run = self.backend.backfill()
            self.perform(self.pending(run, "_import_batch"))
        self.assertEqual((run.state, run.retry_count), ("running", 1))
        self.assertEqual(run.line_ids.cursor, "c_01", "what was read before the outage is kept")
        self.assertIn("Test (HMAC) is unavailable (the provider answered 503)", run.last_error)
        self.assertGreater(self.pending(run, "_import_batch").eta, START + timedelta(seconds=5))
        with freeze_time(START + timedelta(hours=1)):
            self.run_all(run)
        self.assertEqual((run.state, run.retry_count), ("done", 0))
        self.assertEqual(len(self.partners()), 7)

    def test_pause_stops_the_chain_and_progress_shows_rate_and_eta(self):
        with freeze_time(START):
            run = self.backend.backfill()
            run.action_pause()
            self.run_all(run)
        self.assertEqual((run.state, len(self.partners())), ("paused", 0))
        with freeze_time(START):
            run.action_resume()
        with freeze_time(START + timedelta(seconds=30)):
            self.perform(self.pending(run, "_import_batch"))
            run.invalidate_recordset()
            # Three contacts in 30 s, four left of the seven the provider counts: 40 s to go.
            self.assertEqual(run.line_ids.expected_count, 7)
            self.assertEqual(run.rate_per_minute, 6.0)
            self.assertEqual(run.eta, START + timedelta(seconds=70))
            self.assertEqual((run.current_object_type, run.current_cursor), ("contacts", "c_03"))

    def test_the_period_selects_by_creation(self):
        run = self.backend.backfill(date_from=START - timedelta(days=3, hours=1))
        self.run_all(run)
        self.assertRecordValues(run.line_ids, [{"read_count": 7, "done_count": 3}])
        self.assertEqual(
            sorted(self.partners().mapped("name")), ["Contact 1", "Contact 2", "Contact 3"]
        )

    def test_only_the_providers_object_types(self):
        with self.assertRaisesRegex(UserError, "Unknown Test \\(HMAC\\) object types: invoices"):
            self.backend.backfill(object_types=["invoices"])
        run = self.env["saas.backfill"].create({"backend_id": self.backend.id})
        self.assertEqual(run.line_ids.mapped("object_type"), ["contacts"])
        with self.assertRaisesRegex(ValidationError, "must end after it starts"):
            run.write({"date_from": START, "date_to": START - timedelta(days=1)})
