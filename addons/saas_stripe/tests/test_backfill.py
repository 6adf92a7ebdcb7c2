"""A backfill run reads Stripe's lists page by page in queue jobs, moves its cursor with each
committed batch, resumes from it after a crash, and backs off when Stripe rate-limits it.

Stripe's API is played over HTTP by ``stripe_api_peer``, serving customers derived from the
recorded 2017-08-15 customer: the peer can answer a 429 or fail one page on demand, which
localstripe cannot (the end-to-end test in tests/e2e runs a backfill against localstripe).
"""

import copy
from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.queue_job.job import Job
from odoo.addons.saas_connector_base.models import saas_backfill
from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..models import stripe_backfill
from .common import create_stripe_backend, fixture
from .stripe_api_peer import error_body, start_api_peer

CUSTOMERS_PATH = "/v1/customers"
CUSTOMER_COUNT = 7


def customers(count=CUSTOMER_COUNT):
    recorded = fixture("localstripe-2017-08-15/customer_created.json")["data"]["object"]
    result = []
    for number in range(1, count + 1):
        customer = copy.deepcopy(recorded)
        customer.update(
            id=f"cus_Bf{number:04d}",
            name=f"Customer {number}",
            email=f"customer{number}@example.com",
            created=1504000000 + number,
        )
        customer["tax_ids"]["data"] = []
        customer.pop("business_vat_id")
        result.append(customer)
    return result


def list_answer(objects, path, with_total=False):
    """Stripe's list endpoint over ``objects``: ``limit`` objects after ``starting_after``."""

    def answer(query):
        ids = [obj["id"] for obj in objects]
        start = ids.index(query["starting_after"]) + 1 if "starting_after" in query else 0
        limit = int(query.get("limit", 10))
        body = {
            "object": "list",
            "url": path,
            "has_more": start + limit < len(objects),
            "data": objects[start : start + limit],
        }
        if with_total:
            body["total_count"] = len(objects)
        return 200, body

    return answer


@tagged("post_install", "-at_install")
@patch.object(saas_backfill, "BATCH_SIZE", 3)
@patch.object(stripe_backfill, "PAGE_SIZE", 2)
class TestStripeBackfill(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_stripe_backend(cls.env)
        cls.peer = start_api_peer(cls, cls.backend)
        cls.bindings = cls.env["saas.binding"]

    def setUp(self):
        super().setUp()
        self.peer.requests.clear()
        self.peer.answers.clear()
        self.customers = customers()
        self.peer.answers[CUSTOMERS_PATH] = list_answer(self.customers, CUSTOMERS_PATH)

    def run_jobs_pending(self, run):
        """The run's pending jobs, reading and applying, oldest first."""
        return self.env["queue.job"].search(
            [
                ("model_name", "=", "saas.backfill"),
                ("identity_key", "=like", f"saas.backfill:{run.id}:%"),
                ("state", "=", "pending"),
            ],
            order="id",
        )

    def backfill_jobs(self, run):
        """The run's pending job reading the next batch."""
        return self.run_jobs_pending(run).filtered(lambda job: job.method_name == "_import_batch")

    def apply_jobs(self, run):
        return self.run_jobs_pending(run).filtered(lambda job: job.method_name == "_apply_batch")

    def perform(self, job_record):
        job = Job.load(self.env, job_record.uuid)
        job.set_started()
        job.store()
        job.perform()
        job.set_done()
        job.store()

    def run_all(self, run, limit=50):
        """Perform the run's jobs, whatever their time, then the engine's, as the job runner
        would in the end."""
        for _round in range(limit):
            jobs = self.run_jobs_pending(run)
            if not jobs:
                break
            self.perform(jobs[0])
        run_jobs(self.env, limit=1000)

    def partners(self):
        return self.env["res.partner"].search([("email", "=like", "customer%@example.com")])

    def test_backfill_imports_every_page_and_finishes(self):
        run = self.backend.backfill(object_types=["customers"])
        self.assertEqual(run.state, "running")
        self.run_all(run)
        self.assertEqual(run.state, "done", run.last_error)
        self.assertRecordValues(
            run.line_ids,
            [
                {
                    "object_type": "customers",
                    "read_count": 7,
                    "done_count": 7,
                    "cursor": "cus_Bf0007",
                    "is_done": True,
                }
            ],
        )
        self.assertEqual(run.objects_done, 7)
        self.assertRecordValues(
            self.backend,
            [{"backfill_state": "done", "backfill_objects": 7}],
        )
        self.assertEqual(len(self.partners()), 7)
        partner = self.bindings.lookup(self.backend, "res.partner", "cus_Bf0004")
        self.assertEqual(partner.name, "Customer 4")
        # Pages of two, batches of three: each job starts after the previous job's cursor.
        self.assertEqual(
            [query.get("starting_after") for _path, query in self.peer.requests],
            [None, "cus_Bf0002", "cus_Bf0003", "cus_Bf0005", "cus_Bf0006"],
        )
        events = self.env["saas.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(events), 7)
        self.assertEqual(set(events.mapped("state")), {"done"})

    def test_types_are_read_in_dependency_order(self):
        self.peer.answers["/v1/invoices"] = list_answer([], "/v1/invoices")
        run = self.backend.backfill(object_types=["invoices", "customers"])
        self.assertEqual(run.line_ids.mapped("object_type"), ["customers", "invoices"])
        self.assertEqual(run.current_object_type, "customers")
        self.run_all(run)
        self.assertEqual(run.state, "done", run.last_error)
        self.assertEqual([path for path, _query in self.peer.requests][-1:], ["/v1/invoices"])

    def test_resume_after_a_crash_continues_from_the_cursor_without_duplicates(self):
        run = self.backend.backfill(object_types=["customers"])
        self.perform(self.backfill_jobs(run))
        self.assertEqual(run.line_ids.cursor, "cus_Bf0003")
        # The server dies: the next batch's job is lost with it.
        self.backfill_jobs(run).unlink()
        run.action_resume()
        self.assertEqual(len(self.backfill_jobs(run)), 1)
        # Resuming twice enqueues nothing more: the job is keyed by its cursor.
        run.action_resume()
        self.assertEqual(len(self.backfill_jobs(run)), 1)
        self.run_all(run)
        self.assertEqual(run.state, "done", run.last_error)
        self.assertEqual(run.line_ids.read_count, 7)
        self.assertEqual(len(self.partners()), 7)
        self.assertEqual(
            self.env["saas.event"].search_count([("backend_id", "=", self.backend.id)]), 7
        )

    def test_reading_runs_ahead_and_each_type_waits_for_the_previous_one_applied(self):
        self.peer.answers["/v1/invoices"] = list_answer([], "/v1/invoices")
        run = self.backend.backfill(object_types=["customers", "invoices"])
        for _batch in range(3):
            self.perform(self.backfill_jobs(run))
        # Every customer read and stored, none applied yet: each batch waits for its job.
        self.assertRecordValues(run.line_ids[0], [{"read_count": 7, "is_done": True}])
        self.assertEqual(len(self.apply_jobs(run)), 3)
        self.assertFalse(self.partners())
        events = self.env["saas.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(set(events.mapped("state")), {"queued"})
        # The invoices are not read while customers wait to be applied.
        self.perform(self.backfill_jobs(run))
        paths = [path for path, _query in self.peer.requests]
        self.assertNotIn("/v1/invoices", paths)
        self.assertEqual(len(self.backfill_jobs(run)), 1)
        for job in self.apply_jobs(run):
            self.perform(job)
        self.assertEqual(len(self.partners()), 7)
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.run_all(run)
        self.assertEqual(run.state, "done", run.last_error)
        self.assertIn("/v1/invoices", [path for path, _query in self.peer.requests])

    def test_resume_takes_up_an_application_a_dead_worker_left(self):
        run = self.backend.backfill(object_types=["customers"])
        self.perform(self.backfill_jobs(run))
        [application] = self.apply_jobs(run)
        application.state = "started"  # and its worker died
        self.run_all(run, limit=5)
        self.assertEqual(run.state, "running", "the end waits for that application")
        self.assertEqual(len(self.partners()), 4)
        run.action_resume()
        self.assertEqual(application.state, "pending")
        self.run_all(run)
        self.assertEqual(run.state, "done", run.last_error)
        self.assertEqual(len(self.partners()), 7)

    def test_a_batch_read_twice_stores_no_second_event(self):
        run = self.backend.backfill(object_types=["customers"])
        self.run_all(run)
        # As if the commit of the last cursor had been lost: the same objects are read again.
        run.line_ids.write({"cursor": "cus_Bf0003", "is_done": False})
        run.write({"state": "running", "finished_at": False})
        run.action_resume()
        self.run_all(run)
        self.assertEqual(run.state, "done")
        self.assertEqual(
            self.env["saas.event"].search_count([("backend_id", "=", self.backend.id)]), 7
        )
        self.assertEqual(len(self.partners()), 7)

    def test_rate_limit_postpones_the_batch_with_backoff_then_continues(self):
        start = datetime(2026, 1, 5, 9, 0, 0)
        answer = self.peer.answers[CUSTOMERS_PATH]
        limited = {"count": 0}

        def rate_limited(query):
            # The third page is refused once, as Stripe refuses a burst.
            if query.get("starting_after") == "cus_Bf0003" and not limited["count"]:
                limited["count"] += 1
                return 429, error_body("rate_limit_error", "Too many requests")
            return answer(query)

        self.peer.answers[CUSTOMERS_PATH] = rate_limited
        with freeze_time(start):
            run = self.backend.backfill(object_types=["customers"])
            self.perform(self.backfill_jobs(run))
            self.perform(self.backfill_jobs(run))
        self.assertEqual(run.state, "running")
        self.assertEqual(run.retry_count, 1)
        self.assertIn("Too many requests", run.last_error)
        self.assertEqual(run.line_ids.cursor, "cus_Bf0003")
        [retry] = self.backfill_jobs(run)
        self.assertGreater(retry.eta, start + timedelta(seconds=5))
        with freeze_time(start + timedelta(hours=1)):
            self.run_all(run)
        self.assertEqual(run.state, "done", run.last_error)
        self.assertEqual(run.retry_count, 0)
        self.assertEqual(len(self.partners()), 7)

    def test_a_permanent_api_error_fails_the_run_with_stripe_message(self):
        run = self.backend.backfill(object_types=["customers", "prices"])
        self.run_all(run)
        self.assertEqual(run.state, "failed")
        self.assertEqual(run.last_error, "Stripe answered: No such object")
        self.assertEqual(run.current_object_type, "prices")
        # The customers read before stay imported; resuming reads the failed type again.
        self.assertEqual(len(self.partners()), 7)
        self.peer.answers["/v1/prices"] = list_answer([], "/v1/prices")
        run.action_resume()
        self.run_all(run)
        self.assertEqual(run.state, "done", run.last_error)

    def test_pause_stops_after_the_batch_at_work(self):
        run = self.backend.backfill(object_types=["customers"])
        run.action_pause()
        self.run_all(run)
        self.assertEqual(run.state, "paused")
        self.assertFalse(self.partners())
        run.action_resume()
        self.run_all(run)
        self.assertEqual(run.state, "done")
        self.assertEqual(len(self.partners()), 7)

    def test_progress_shows_rate_and_eta_from_stripe_totals(self):
        self.peer.answers[CUSTOMERS_PATH] = list_answer(
            self.customers, CUSTOMERS_PATH, with_total=True
        )
        start = datetime(2026, 1, 5, 9, 0, 0)
        with freeze_time(start):
            run = self.backend.backfill(object_types=["customers"])
        with freeze_time(start + timedelta(seconds=30)):
            self.perform(self.backfill_jobs(run))
            run.invalidate_recordset()
            # Three objects in 30 s, four left: 40 s to go.
            self.assertEqual(run.line_ids.expected_count, 7)
            self.assertEqual(run.rate_per_minute, 6.0)
            self.assertEqual(run.eta, start + timedelta(seconds=70))
            self.assertEqual(run.current_cursor, "cus_Bf0003")

    def test_money_documents_outside_the_period_are_skipped(self):
        payouts = [
            {"id": f"po_Bf{number}", "object": "payout", "created": created, "status": "paid"}
            for number, created in enumerate((1704067199, 1704067200, 1706745599, 1706745600))
        ]
        self.peer.answers["/v1/payouts"] = list_answer(payouts, "/v1/payouts")
        run = self.backend.backfill(
            date_from=datetime(2024, 1, 1), date_to=datetime(2024, 2, 1), object_types=["payouts"]
        )
        self.run_all(run)
        self.assertEqual(run.state, "done", run.last_error)
        self.assertRecordValues(run.line_ids, [{"read_count": 4, "done_count": 2}])
        events = self.env["saas.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(sorted(events.mapped("object_external_id")), ["po_Bf1", "po_Bf2"])

    def test_start_needs_an_api_key_and_an_object_type(self):
        backend = create_stripe_backend(self.env, name="No key")
        run = self.env["saas.backfill"].create({"backend_id": backend.id})
        self.assertEqual(len(run.line_ids), 11)
        with self.assertRaisesRegex(UserError, "Set the Stripe secret key of No key first"):
            run.action_start()
        run.line_ids = False
        with self.assertRaisesRegex(UserError, "Choose at least one object type"):
            run.action_start()
        with self.assertRaisesRegex(UserError, "Unknown Stripe object types: balance"):
            self.backend.backfill(object_types=["customers", "balance"])
        with self.assertRaisesRegex(UserError, "must end after it starts"):
            run.write({"date_from": datetime(2024, 2, 1), "date_to": datetime(2024, 1, 1)})
