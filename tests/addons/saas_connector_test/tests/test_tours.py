"""The engine's operator screens in a real browser, driven by the test provider: the
exception queue with a replay, and a reconciliation run with a re-sync. The tours are
``saas_connector_base``'s, in its ``static/tests/tours``.

A missing browser fails these tests instead of skipping them, as in the other tour tests."""

import unittest
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import _find_executable, websocket

from ..models.saas_backend import REMOTE_CONTACTS
from .common import create_backend, deliver, make_event


@tagged("post_install", "-at_install")
class TestConnectorTours(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A replay or a re-sync applies the events with the user's rights: the operator may
        # create the contacts they bring.
        cls.operator = new_test_user(
            cls.env,
            "connector_tour_operator",
            groups="base.group_user,base.group_partner_manager,saas_connector_base.group_saas_user",
        )
        cls.backend = create_backend(cls.env, name="Tour account")

    def setUp(self):
        super().setUp()
        try:
            _find_executable()
        except unittest.SkipTest:
            self.fail("Chromium is not installed: run scripts/setup.sh as root (apt chromium)")
        if websocket is None:
            self.fail("websocket-client is not installed in the virtualenv")
        REMOTE_CONTACTS.clear()
        self.addCleanup(REMOTE_CONTACTS.clear)

    def tour(self, name):
        try:
            self.start_tour("/odoo", name, login=self.operator.login)
        except unittest.SkipTest as skipped:
            self.fail(f"the browser could not run the tour: {skipped}")

    def test_operator_replays_a_failed_event_once_its_cause_is_fixed(self):
        [event] = deliver(
            self.env,
            self.backend,
            make_event("c_tour", event_id="evt_tour_failed", fail="permanent", country="XQ"),
        )
        run_jobs(self.env)
        self.assertEqual(event.state, "failed")
        # The cause fixed, as the other replay tests do: the stored contact no longer asks
        # for a failure.
        self.env.cr.execute(
            "UPDATE saas_event SET payload = %s WHERE id = %s",
            (event.payload.replace('"fail": "permanent"', '"fail": null'), event.id),
        )
        event.invalidate_recordset(["payload"])
        # The job runner is off in tests: the replay's job runs within the click, as the
        # runner would run it a moment later.
        with patch.dict("os.environ", {"QUEUE_JOB__NO_DELAY": "1"}):
            self.tour("saas_connector_base_replay_failed_event")
        self.assertEqual(event.state, "done")
        partner = self.env["saas.binding"].lookup(self.backend, "res.partner", "c_tour")
        self.assertEqual(event.record_ids.mapped("res_id"), partner.ids)

    def test_operator_resyncs_a_drift_line_and_sees_it_fixed(self):
        today = datetime.now(UTC).date()
        month_start = today.replace(day=1)
        created = datetime.combine(month_start, datetime.min.time(), UTC) + timedelta(hours=1)
        REMOTE_CONTACTS["c_dropped"] = {
            "id": "c_dropped",
            "name": "Dropped Ltd",
            "created": int(created.timestamp()),
            "archived": False,
        }
        run = self.env["saas.reconciliation.run"].create(
            {"backend_id": self.backend.id, "date_from": month_start, "date_to": today}
        )
        run.action_run()
        self.assertEqual(run.drift_ids.mapped("state"), ["open"])
        self.tour("saas_connector_base_resync_drift")
        self.assertEqual(run.drift_ids.state, "fixed", run.drift_ids.message)
        partner = self.env["saas.binding"].lookup(self.backend, "res.partner", "c_dropped")
        self.assertEqual(partner.name, "Dropped Ltd")
