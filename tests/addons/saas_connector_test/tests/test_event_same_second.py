"""Events that source time cannot order: stamped in the same second as another waiting event
of their object, or as the state Odoo shows. The provider's current object is applied instead
when it can be read (``REMOTE_CONTACTS`` is the test provider's API); otherwise only an event
later in the object's lifecycle replaces a state of its second."""

from freezegun import freeze_time

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from ..models.saas_backend import REMOTE_CONTACTS
from .common import create_backend, deliver, events_of, make_event

SECOND = 1_700_000_100
SAME_SECOND_NOTE = (
    "Stamped in the same second as another state of this object, which time cannot order; "
    "the current state was read from the provider: "
)


@tagged("post_install", "-at_install")
class TestEventSameSecond(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_backend(cls.env)

    def setUp(self):
        super().setUp()
        REMOTE_CONTACTS.clear()
        self.addCleanup(REMOTE_CONTACTS.clear)

    def partner_of(self, object_id):
        return (
            self.env["saas.binding"]
            .with_context(active_test=False)
            .lookup(self.backend, "res.partner", object_id)
        )

    def provider_has(self, object_id, name, archived=False):
        REMOTE_CONTACTS[object_id] = {
            "id": object_id,
            "name": name,
            "created": SECOND,
            "archived": archived,
        }

    def test_events_of_the_same_second_apply_the_current_state_read(self):
        self.provider_has("c_1", "Current name")
        first, second = deliver(
            self.env,
            self.backend,
            make_event("c_1", created=SECOND, name="Arrived first"),
            make_event("c_1", created=SECOND, name="Arrived second"),
        )
        run_jobs(self.env)
        self.assertEqual(self.partner_of("c_1").name, "Current name")
        read = events_of(self.env, self.backend, "c_1") - first - second
        self.assertEqual(read.mapped("state"), ["done"])
        self.assertEqual((first.state, second.state), ("stale", "stale"))
        self.assertEqual(first.note, f"{SAME_SECOND_NOTE}{read.external_id}.")
        self.assertFalse(first.record_ids | second.record_ids)

    def test_event_of_the_second_already_applied_applies_the_current_state_read(self):
        deliver(self.env, self.backend, make_event("c_1", created=SECOND, name="Applied"))
        run_jobs(self.env)
        self.provider_has("c_1", "Current name")
        late = deliver(self.env, self.backend, make_event("c_1", created=SECOND, name="Late"))
        run_jobs(self.env)
        self.assertEqual(late.state, "stale")
        self.assertEqual(self.partner_of("c_1").name, "Current name")

    def test_unreadable_object_keeps_the_state_of_its_second(self):
        deliver(self.env, self.backend, make_event("c_1", created=SECOND, name="Applied"))
        run_jobs(self.env)
        late = deliver(self.env, self.backend, make_event("c_1", created=SECOND, name="Late"))
        run_jobs(self.env)
        self.assertEqual(late.state, "stale")
        self.assertEqual(
            late.note,
            "Stamped in the same second as the state Odoo shows, and no later in the object's "
            "lifecycle: not applied.",
        )
        self.assertEqual(self.partner_of("c_1").name, "Applied")

    def test_unreadable_object_takes_a_later_stage_of_the_same_second(self):
        deliver(self.env, self.backend, make_event("c_1", created=SECOND, name="Applied"))
        run_jobs(self.env)
        # A deletion carries the object as it was.
        deleted = deliver(
            self.env,
            self.backend,
            make_event("c_1", "contact.deleted", created=SECOND, name="Applied"),
        )
        run_jobs(self.env)
        self.assertEqual(deleted.state, "done")
        self.assertFalse(self.partner_of("c_1").active)
        # The update of that second, delivered again under another id, does not undo it.
        again = deliver(
            self.env, self.backend, make_event("c_1", created=SECOND, name="Applied again")
        )
        run_jobs(self.env)
        self.assertEqual(again.state, "stale")
        self.assertEqual(self.partner_of("c_1").name, "Applied")

    def test_unreadable_object_applies_its_same_second_events_in_lifecycle_order(self):
        deleted, updated = deliver(
            self.env,
            self.backend,
            make_event("c_1", "contact.deleted", created=SECOND, name="Created then deleted"),
            make_event("c_1", created=SECOND, name="Created then deleted"),
        )
        run_jobs(self.env)
        self.assertEqual((updated.state, deleted.state), ("done", "done"), deleted.last_error)
        partner = self.partner_of("c_1")
        self.assertEqual((partner.name, partner.active), ("Created then deleted", False))

    def test_unreadable_object_takes_a_later_read_of_the_same_second(self):
        with freeze_time("2026-01-05 09:00:00"):
            for name in ("Read first", "Read second"):
                # Read, then the provider goes out of reach before the read is applied.
                self.provider_has("c_1", name)
                self.backend._sync_objects([REMOTE_CONTACTS.pop("c_1")])
                run_jobs(self.env)
        self.assertEqual(
            events_of(self.env, self.backend, "c_1").mapped("state"), ["done", "done"]
        )
        self.assertEqual(self.partner_of("c_1").name, "Read second")

    def test_resync_in_the_second_of_the_read_odoo_shows_applies_the_provider_state(self):
        # A user's Re-sync made in the same second as the read Odoo shows (a backfill's, an
        # earlier Re-sync's): Odoo's side changed in between, and reading the object once
        # more would only find the state already applied.
        self.provider_has("c_1", "Provider name")
        with freeze_time("2026-01-05 09:00:00"):
            self.backend._sync_objects([REMOTE_CONTACTS["c_1"]])
            run_jobs(self.env)
            self.partner_of("c_1").name = "Edited in Odoo"
            resynced = self.backend._sync_objects([REMOTE_CONTACTS["c_1"]], salt="resync")
            run_jobs(self.env)
        self.assertEqual(resynced.mapped("state"), ["done"])
        self.assertEqual(self.partner_of("c_1").name, "Provider name")
