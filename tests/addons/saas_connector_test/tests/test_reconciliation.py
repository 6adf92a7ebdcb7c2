"""Reconciliation runs of the engine, filled by the test provider from its own records
(``REMOTE_CONTACTS``, the far side of the network): summary, drift, the responsible's activity,
Re-sync through the inbox, the daily period, the XLSX export and who may see and do what."""

import io
from datetime import UTC, date, datetime, timedelta
from unittest.mock import patch

import openpyxl
from freezegun import freeze_time

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from ..models.saas_backend import REMOTE_CONTACTS
from .common import create_backend, deliver, make_event


def remote(contact_id, created, name=None, archived=False):
    REMOTE_CONTACTS[contact_id] = {
        "id": contact_id,
        "name": name or f"Contact {contact_id}",
        "created": int(created.timestamp()),
        "archived": archived,
    }


class ReconciliationCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.responsible = new_test_user(
            cls.env,
            "recon_responsible",
            groups="base.group_user,saas_connector_base.group_saas_user",
        )
        cls.backend = create_backend(cls.env, responsible_id=cls.responsible.id)
        cls.today = datetime.now(UTC).date()
        cls.month_start = cls.today.replace(day=1)
        cls.in_period = datetime.combine(cls.month_start, datetime.min.time(), UTC) + timedelta(
            hours=1
        )

    def setUp(self):
        super().setUp()
        REMOTE_CONTACTS.clear()
        self.addCleanup(REMOTE_CONTACTS.clear)

    def run_reconciliation(self, date_from=None, date_to=None):
        run = self.env["saas.reconciliation.run"].create(
            {
                "backend_id": self.backend.id,
                "date_from": date_from or self.month_start,
                "date_to": date_to or self.today,
            }
        )
        run.action_run()
        return run

    def delivered(self, contact_id, **contact):
        deliver(self.env, self.backend, make_event(contact_id, **contact))
        run_jobs(self.env)

    def drift_of(self, run):
        return {(drift.external_id, drift.kind) for drift in run.drift_ids}


@tagged("post_install", "-at_install")
class TestReconciliationRun(ReconciliationCase):
    def prepare_drift(self):
        """c_ok in both; c_dropped never delivered; c_archived archived at the provider
        only; c_gone in Odoo only; c_old outside the period."""
        for contact_id in ("c_ok", "c_archived", "c_gone"):
            self.delivered(contact_id)
        remote("c_ok", self.in_period)
        remote("c_dropped", self.in_period, name="Dropped Ltd")
        remote("c_archived", self.in_period, archived=True)
        remote("c_old", self.in_period - timedelta(days=40))

    def test_run_lists_drift_of_each_kind_with_counts(self):
        self.prepare_drift()
        run = self.run_reconciliation()
        self.assertEqual(run.state, "done")
        self.assertEqual(
            self.drift_of(run),
            {
                ("c_dropped", "missing_in_odoo"),
                ("c_archived", "status_mismatch"),
                ("c_gone", "missing_in_provider"),
            },
        )
        # Three contacts of the period at the provider (c_ok, c_dropped, c_archived), three
        # partners of the period in Odoo (c_ok, c_archived, c_gone).
        (line,) = run.line_ids
        self.assertEqual((line.name, line.provider_count, line.odoo_count), ("Contacts", 3, 3))
        self.assertEqual(line.count_difference, 0)
        self.assertEqual((run.drift_count, run.open_drift_count), (3, 3))
        archived = run.drift_ids.filtered(lambda drift: drift.external_id == "c_archived")
        self.assertEqual((archived.provider_status, archived.odoo_status), ("archived", "active"))
        partner = self.env["saas.binding"].lookup(self.backend, "res.partner", "c_archived")
        self.assertEqual(archived.record_name, partner.display_name)
        self.assertEqual(archived.action_open_record()["res_id"], partner.id)
        self.assertEqual(run.note, "Contacts carry no amounts.")

    def test_drift_leaves_one_activity_for_the_responsible(self):
        self.prepare_drift()
        first = self.run_reconciliation()
        activity_type = self.env.ref("saas_connector_base.mail_activity_type_reconciliation_drift")
        (activity,) = first.activity_ids
        self.assertEqual(
            (activity.activity_type_id, activity.user_id), (activity_type, self.responsible)
        )
        self.assertEqual(activity.summary, "3 drift lines to review")
        second = self.run_reconciliation()
        self.assertFalse(first.activity_ids, "the later run's activity replaces the earlier one")
        self.assertEqual(second.activity_ids.user_id, self.responsible)

    def test_clean_period_has_no_drift_and_no_activity(self):
        self.delivered("c_ok")
        remote("c_ok", self.in_period)
        run = self.run_reconciliation()
        self.assertEqual((run.state, run.drift_count), ("done", 0))
        self.assertEqual(run.line_ids.difference, 0)
        self.assertFalse(run.activity_ids)

    def test_resync_applies_the_provider_state_and_checks_it(self):
        self.prepare_drift()
        run = self.run_reconciliation()
        run.drift_ids.action_resync()
        by_id = {drift.external_id: drift for drift in run.drift_ids}
        self.assertEqual(by_id["c_dropped"].state, "fixed", by_id["c_dropped"].message)
        self.assertEqual(by_id["c_archived"].state, "fixed", by_id["c_archived"].message)
        # What the provider cannot return fails, with the reason.
        self.assertEqual(by_id["c_gone"].state, "failed")
        self.assertEqual(by_id["c_gone"].message, "Contact c_gone does not exist at the provider.")
        self.assertEqual(run.open_drift_count, 1)
        events = self.env["saas.event"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=like", "sync_%")]
        )
        self.assertEqual(
            sorted(events.mapped("event_type")), ["contact.deleted", "contact.updated"]
        )
        self.assertEqual(events.mapped("state"), ["done", "done"], "applied at once")
        dropped = self.env["saas.binding"].lookup(self.backend, "res.partner", "c_dropped")
        self.assertEqual(dropped.name, "Dropped Ltd")
        again = self.run_reconciliation()
        self.assertEqual(self.drift_of(again), {("c_gone", "missing_in_provider")})

    def test_resync_that_does_not_fix_says_what_still_differs(self):
        self.prepare_drift()
        run = self.run_reconciliation()
        dropped = run.drift_ids.filtered(lambda drift: drift.external_id == "c_dropped")
        # The provider's state cannot be applied: the event fails, the line says why.
        REMOTE_CONTACTS["c_dropped"].update(fail="permanent", country="XX")
        dropped.action_resync()
        self.assertEqual(dropped.state, "failed")
        self.assertIn("but Odoo still differs", dropped.message)
        self.assertIn("Test (HMAC) has it; no Odoo document is bound to it.", dropped.message)
        self.assertIn("country 'XX' is not configured", dropped.message)

    def test_resolved_drift_is_not_resynced(self):
        self.prepare_drift()
        run = self.run_reconciliation()
        run.drift_ids.action_resolve()
        with self.assertRaisesRegex(UserError, "Resolved or superseded drift lines are not"):
            run.drift_ids.action_resync()

    def test_run_again_makes_a_new_run_and_keeps_the_done_one(self):
        self.prepare_drift()
        run = self.run_reconciliation()
        self.delivered("c_dropped")
        action = run.action_run()
        again = self.env["saas.reconciliation.run"].browse(action["res_id"])
        self.assertNotEqual(again, run)
        self.assertEqual((again.date_from, again.date_to), (run.date_from, run.date_to))
        self.assertIn(("c_dropped", "missing_in_odoo"), self.drift_of(run))
        self.assertNotIn(("c_dropped", "missing_in_odoo"), self.drift_of(again))
        with self.assertRaisesRegex(UserError, "keeps its drift lines"):
            run.drift_ids.unlink()

    def test_object_with_events_waiting_is_awaiting_events_not_open(self):
        """A run during a backlog: c_dropped's event is received, not applied yet. Its line
        says so, is not counted open and leaves no activity; once the event is applied, the
        next run resolves it."""
        self.prepare_drift()
        deliver(self.env, self.backend, make_event("c_dropped", name="Dropped Ltd"))
        run = self.run_reconciliation()
        waiting = run.drift_ids.filtered(lambda drift: drift.external_id == "c_dropped")
        self.assertEqual((waiting.kind, waiting.state), ("missing_in_odoo", "in_flight"))
        self.assertIn("1 events of this object were still waiting", waiting.message)
        self.assertEqual((run.drift_count, run.open_drift_count), (3, 2))
        self.assertEqual(run.activity_ids.summary, "2 drift lines to review")
        run_jobs(self.env)
        again = self.run_reconciliation()
        self.assertNotIn("c_dropped", again.drift_ids.mapped("external_id"))
        self.assertEqual(waiting.state, "resolved")
        self.assertIn(
            f"reconciliation {again.name} finds both sides in agreement", waiting.message
        )

    def test_later_run_closes_the_earlier_lines_of_the_objects_it_compares(self):
        """Daily runs find the same drift every day: the lines to fix are the latest run's,
        one per object. A line whose object the later run does not compare stays open."""
        self.prepare_drift()
        remote("c_outside", self.in_period - timedelta(days=3))
        first = self.run_reconciliation(date_from=self.month_start - timedelta(days=5))
        self.assertIn(("c_outside", "missing_in_odoo"), self.drift_of(first))
        self.delivered("c_dropped")
        second = self.run_reconciliation()
        by_id = {drift.external_id: drift for drift in first.drift_ids}
        self.assertEqual(by_id["c_dropped"].state, "resolved")
        self.assertEqual(by_id["c_archived"].state, "superseded")
        self.assertIn(f"by reconciliation {second.name}", by_id["c_archived"].message)
        self.assertEqual(by_id["c_gone"].state, "superseded")
        self.assertEqual(by_id["c_outside"].state, "open", "outside the later run's period")
        self.assertEqual(first.open_drift_count, 1)
        to_fix = self.env["saas.reconciliation.drift"].search(
            [("backend_id", "=", self.backend.id), ("state", "in", ("open", "failed"))]
        )
        self.assertEqual(
            sorted(to_fix.mapped("external_id")), ["c_archived", "c_gone", "c_outside"]
        )
        with self.assertRaisesRegex(UserError, "superseded drift lines are not re-synchronized"):
            by_id["c_archived"].action_resync()

    def test_provider_failure_fails_the_run_with_its_message(self):
        with patch.object(
            type(self.backend),
            "_provider_reconcile",
            side_effect=UserError("The provider answered 503."),
        ):
            run = self.run_reconciliation()
        self.assertEqual(run.state, "failed")
        self.assertEqual(run.note, "The provider answered 503.")
        self.assertFalse(run.line_ids)

    def test_period_ending_before_it_starts_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot end before it starts"):
            self.run_reconciliation(date_from=self.today, date_to=self.today - timedelta(days=1))

    def test_backend_button_reconciles_the_month_to_date(self):
        action = self.backend.action_reconcile()
        run = self.env["saas.reconciliation.run"].browse(action["res_id"])
        self.assertEqual((run.date_from, run.date_to), (self.month_start, self.today))
        self.assertEqual((run.state, run.trigger), ("done", "manual"))

    @freeze_time("2026-03-01 08:00:00")
    def test_daily_run_covers_the_month_up_to_yesterday(self):
        other = create_backend(self.env, name="Archived account")
        other.active = False
        with patch.object(
            type(self.env["ir.cron"]), "_commit_progress", return_value=float("inf")
        ):
            self.env["saas.reconciliation.run"]._cron_reconcile()
        runs = self.env["saas.reconciliation.run"].search([("trigger", "=", "cron")])
        self.assertIn(self.backend, runs.backend_id)
        self.assertNotIn(other, runs.backend_id)
        run = runs.filtered(lambda r: r.backend_id == self.backend)
        # On the first of a month, the whole previous month.
        self.assertEqual((run.date_from, run.date_to), (date(2026, 2, 1), date(2026, 2, 28)))

    def test_xlsx_export_has_a_summary_and_a_drift_sheet(self):
        self.prepare_drift()
        run = self.run_reconciliation()
        workbook = openpyxl.load_workbook(io.BytesIO(run._xlsx_content()))
        self.assertEqual(workbook.sheetnames, ["Summary", "Drift"])
        summary = [row for row in workbook["Summary"].values if any(row)]
        self.assertEqual(summary[0][:2], ("Backend", self.backend.name))
        self.assertIn(("Contacts", "USD", 3, 0, 3, 0, 0, 0), summary)
        drift = list(workbook["Drift"].values)
        self.assertEqual(drift[0][:3], ("Object Type", "External ID", "Drift"))
        self.assertEqual(
            sorted((row[1], row[2]) for row in drift[1:]),
            [
                ("c_archived", "Status Mismatch"),
                ("c_dropped", "Missing in Odoo"),
                ("c_gone", "Missing at Provider"),
            ],
        )


@tagged("post_install", "-at_install")
class TestReconciliationAccess(ReconciliationCase):
    def test_user_reads_and_resyncs_but_does_not_run(self):
        self.delivered("c_ok")
        remote("c_ok", self.in_period)
        remote("c_dropped", self.in_period)
        run = self.run_reconciliation()
        as_user = run.with_user(self.responsible)
        self.assertEqual(as_user.drift_ids.external_id, "c_dropped")
        as_user.drift_ids.action_resync()
        # The fix is applied with the user's rights, as a replay is: one who may not create
        # contacts sees why the line is not fixed.
        self.assertEqual(run.drift_ids.state, "failed")
        self.assertIn("not allowed to create 'Contact'", run.drift_ids.message)
        with self.assertRaises(AccessError):
            self.env["saas.reconciliation.run"].with_user(self.responsible).create(
                {
                    "backend_id": self.backend.id,
                    "date_from": self.month_start,
                    "date_to": self.today,
                }
            )

    def test_other_company_does_not_see_the_run(self):
        remote("c_dropped", self.in_period)
        run = self.run_reconciliation()
        other_company = self.env["res.company"].create({"name": "Other SaaS Co"})
        outsider = new_test_user(
            self.env,
            "recon_outsider",
            groups="base.group_user,saas_connector_base.group_saas_manager",
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
        )
        Run = self.env["saas.reconciliation.run"].with_user(outsider)
        self.assertFalse(Run.search([("id", "=", run.id)]))
        self.assertFalse(
            self.env["saas.reconciliation.drift"]
            .with_user(outsider)
            .search([("run_id", "=", run.id)])
        )


@tagged("post_install", "-at_install")
class TestReconciliationExportRoute(HttpCase):
    def test_route_downloads_the_workbook_for_a_reader_only(self):
        backend = create_backend(self.env)
        today = datetime.now(UTC).date()
        run = self.env["saas.reconciliation.run"].create(
            {"backend_id": backend.id, "date_from": today, "date_to": today}
        )
        run.action_run()
        new_test_user(
            self.env, "recon_reader", groups="base.group_user,saas_connector_base.group_saas_user"
        )
        new_test_user(self.env, "recon_stranger", groups="base.group_user")
        url = run.action_export_xlsx()["url"]
        self.authenticate("recon_reader", "recon_reader")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(".xlsx", response.headers["Content-Disposition"])
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        self.assertEqual(workbook["Summary"]["B1"].value, backend.name)
        self.authenticate("recon_stranger", "recon_stranger")
        self.assertEqual(self.url_open(url).status_code, 403)
