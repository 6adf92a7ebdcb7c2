import json
import uuid
from datetime import UTC, datetime

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..lib.duration import human_duration

EVENT_STATES = [
    ("received", "Received"),
    ("queued", "Queued"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("stale", "Stale"),
    ("ignored", "Ignored"),
]
WAITING_STATES = ("received", "queued")
# Fields that make up what was received: never changed after intake.
RECEIVED_FIELDS = frozenset(
    {
        "backend_id",
        "external_id",
        "event_type",
        "object_type",
        "object_external_id",
        "source_created",
        "received_at",
        "payload",
        "headers",
        "correlation_id",
        "delivery_id",
    }
)
# Where an event stands: written by the engine (processing, and the audited actions below)
# only, never by a user directly.
PROCESSING_FIELDS = frozenset(
    {
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "error_details",
        "processed_at",
        "processing_ms",
        "latency_ms",
        "note",
    }
)


class SaasEvent(models.Model):
    """The inbox: one row per event a provider delivered, kept verbatim forever.

    Rows are inserted by the webhook route (one SQL statement, duplicates ignored) and then
    processed by queue jobs, one object at a time in source order. The state says where each
    event stands; failed ones form the exception queue, from which they can be replayed.
    """

    _name = "saas.event"
    _description = "SaaS Connector Event"
    _inherit = ["mail.thread"]
    _order = "received_at desc, id desc"
    _rec_name = "external_id"

    # Not indexed on its own: the unique index on (backend_id, external_id) serves lookups by
    # backend, and each index more is work for every webhook's insert.
    backend_id = fields.Many2one("saas.backend", required=True, readonly=True, ondelete="restrict")
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    provider = fields.Selection(related="backend_id.provider")
    external_id = fields.Char(string="Event ID", required=True, readonly=True)
    event_type = fields.Char(required=True, readonly=True, index=True)
    object_type = fields.Char(readonly=True)
    object_external_id = fields.Char(string="Object ID", readonly=True)
    source_created = fields.Datetime(
        string="Created at Source", readonly=True, help="When the provider says it happened."
    )
    received_at = fields.Datetime(readonly=True, default=fields.Datetime.now, index=True)
    payload = fields.Text(
        readonly=True,
        help="The event exactly as received; for one event of a batch, its own part of the "
        "delivery, which is kept verbatim beside it.",
    )
    payload_pretty = fields.Text(string="Payload (formatted)", compute="_compute_payload_pretty")
    headers = fields.Text(readonly=True, help="The request headers that matter for audit.")
    delivery_id = fields.Many2one(
        "saas.delivery",
        readonly=True,
        ondelete="restrict",
        index="btree_not_null",
        help="The delivery this event came in, kept verbatim, when the event is one part of "
        "it (a batch, an XML envelope).",
    )
    delivery_body = fields.Text(related="delivery_id.body", string="Delivery as Received")
    correlation_id = fields.Char(
        readonly=True,
        index="btree_not_null",
        default=lambda self: uuid.uuid4().hex,
        help="Shared by the events one event or one action brought in (the current state "
        "read for a stale event, the objects of a re-sync): its trail lists them.",
    )
    state = fields.Selection(
        EVENT_STATES, default="received", required=True, readonly=True, tracking=True, index=True
    )
    attempts = fields.Integer(readonly=True, help="Processing attempts so far.")
    next_attempt_at = fields.Datetime(readonly=True)
    awaited_model = fields.Char(
        readonly=True, help="Model of the document the event waits for, if it waits for one."
    )
    awaited_external_id = fields.Char(
        string="Waits For",
        readonly=True,
        help="External ID of the document the event waits for: it is retried as soon as that "
        "document is imported.",
    )
    last_error = fields.Text(readonly=True)
    error_details = fields.Text(
        readonly=True,
        groups="saas_connector_base.group_saas_manager",
        help="Technical details of an unexpected error, for the integrator.",
    )
    processed_at = fields.Datetime(readonly=True)
    processing_ms = fields.Integer(string="Processing (ms)", readonly=True)
    processing_time = fields.Char(
        compute="_compute_durations",
        help="How long the last processing of the event took.",
    )
    latency_ms = fields.Integer(
        string="Latency (ms)",
        readonly=True,
        help="From receipt to the end of the first processing that settled the event (done, "
        "stale or failed). A replay does not change it: it measures the pipeline, not how "
        "long a failure waited for someone.",
    )
    latency = fields.Char(
        compute="_compute_durations",
        help="From receipt to the end of the first processing that settled the event; a "
        "replay does not change it.",
    )
    job_count = fields.Integer(
        string="Jobs",
        compute="_compute_job_count",
        help="Queue jobs that processed (or will process) this event's object.",
    )
    note = fields.Text(string="Resolution Note", readonly=True)
    record_ids = fields.One2many("saas.event.record", "event_id", string="Produced Records")
    record_count = fields.Integer(compute="_compute_record_count")

    _external_id_unique = models.Constraint(
        "UNIQUE (backend_id, external_id)", "This event was already received."
    )
    # Each processing job looks for the events waiting for a document it may have imported.
    _awaiting_idx = models.Index(
        "(backend_id, awaited_model, awaited_external_id) "
        "WHERE state = 'queued' AND awaited_external_id IS NOT NULL"
    )
    # The processing job reads the waiting events of one object in source order.
    _object_waiting_idx = models.Index(
        "(backend_id, object_external_id, source_created, id) "
        "WHERE state IN ('received', 'queued')"
    )

    def init(self):
        # Every webhook looks for a pending dispatcher job of its backend: keep that lookup on
        # a tiny index of pending jobs, whatever the size of queue_job's history.
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS saas_queue_job_pending_identity_idx "
            "ON queue_job (identity_key text_pattern_ops) WHERE state = 'pending'"
        )

    @api.depends("payload")
    def _compute_payload_pretty(self):
        for event in self:
            try:
                event.payload_pretty = json.dumps(
                    json.loads(event.payload or "null"), indent=2, sort_keys=True
                )
            except ValueError:
                event.payload_pretty = event.payload

    def _compute_record_count(self):
        counts = dict(
            self.env["saas.event.record"]._read_group(
                [("event_id", "in", self.ids)], ["event_id"], ["__count"]
            )
        )
        for event in self:
            event.record_count = counts.get(event, 0)

    @api.depends("processing_ms", "latency_ms", "processed_at")
    def _compute_durations(self):
        for event in self:
            event.processing_time = (
                human_duration(event.processing_ms) if event.processed_at else False
            )
            event.latency = human_duration(event.latency_ms) if event.latency_ms else False

    def _object_jobs(self):
        """The queue jobs that processed (or will process) the objects of these events: each
        object's own jobs (keyed by the object) and the jobs of several objects it was one of
        (``_process_objects_events``, found by their arguments — which queue_job keeps as
        JSON text inside its ``jsonb`` columns, hence the ``#>> '{}'`` that reads either
        form)."""
        jobs = self.env["queue.job"].sudo()
        events = self.filtered(lambda event: event.id and event.object_external_id)
        if not events:
            return jobs
        jobs.flush_model(["identity_key", "model_name", "method_name", "records", "args"])
        found = set()
        for event in events:
            backend = event.backend_id
            self.env.cr.execute(
                """SELECT id FROM queue_job
                    WHERE identity_key = %s
                       OR (model_name = 'saas.backend'
                           AND method_name = '_process_objects_events'
                           AND ((records #>> '{}')::jsonb) -> 'ids' @> %s::jsonb
                           AND ((args #>> '{}')::jsonb) -> 0 ? %s)""",
                (
                    backend._object_identity_key(event.object_external_id),
                    json.dumps([backend.id]),
                    event.object_external_id,
                ),
            )
            found.update(job_id for (job_id,) in self.env.cr.fetchall())
        return jobs.browse(sorted(found))

    def _compute_job_count(self):
        for event in self:
            event.job_count = len(event._object_jobs())

    def payload_json(self):
        """The payload parsed; handlers read events through this."""
        self.ensure_one()
        return json.loads(self.payload)

    def write(self, vals):
        # The stored delivery is the audit record: intake inserts it in SQL, and nothing
        # changes it afterwards, not even the superuser.
        if RECEIVED_FIELDS.intersection(vals):
            raise UserError(
                self.env._("What was received is kept verbatim and cannot be changed.")
            )
        if PROCESSING_FIELDS.intersection(vals) and not self.env.su:
            raise AccessError(
                self.env._(
                    "An event's state changes only through processing and its actions "
                    "(Replay, Reset, Ignore)."
                )
            )
        return super().write(vals)

    # ---------------------------------------------------------------------------------------
    # Intake
    # ---------------------------------------------------------------------------------------
    @api.model
    def _receive(self, backend, inbound_events, headers, dispatch=True, body=None):
        """Store the new events of a verified delivery and make sure a dispatcher job will
        pick them up: what the webhook route does, and the entry point of any other source of
        events (backfills, re-synchronizations). ``headers`` is the audit text kept with each
        event; ``body`` the raw delivery (bytes), kept verbatim as a ``saas.delivery`` beside
        its events when they are not the body itself (a batch). Returns the new ``(id, object
        id)`` pairs; none for a duplicate delivery.

        With ``dispatch=False`` the caller sees to the processing of the new events itself
        (e.g. a backfill's own jobs): they are stored *queued*, which the dispatcher leaves
        alone, and the periodic sweep takes over any that stay waiting.
        """
        stored = self._store_delivery(backend, inbound_events, headers, dispatch, body)
        # Every row carries the same answer: whether a pending dispatcher got share-locked.
        if dispatch and stored and not stored[0][2]:
            backend._create_dispatcher()
        return [(event_id, object_id) for event_id, object_id, _dispatcher in stored]

    @api.model
    def _store_delivery(self, backend, inbound_events, headers, dispatch=True, body=None):
        """Insert the events of a verified delivery, ignoring the ones already received, and
        share-lock a pending dispatcher of the backend if there are new ones (unless
        ``dispatch`` is false: then they are stored *queued* and nothing is locked). The
        ``body`` is kept as a ``saas.delivery`` when an event's payload is not the body
        itself and at least one event is new.

        One SQL statement, so that a webhook request stays a couple of round trips whatever
        the payload size. Returns ``(id, object_external_id, dispatcher locked)`` per new
        event.
        """
        if not inbound_events:
            return []
        # Microseconds kept (the ORM would drop them): processing latency is measured from it.
        now = datetime.now(UTC).replace(tzinfo=None)
        state = "received" if dispatch else "queued"
        # Events stored while another is processed (a read of the object's current state) or
        # for one user action (a re-sync) carry its correlation id: its trail shows them.
        correlation_id = self.env.context.get("saas_correlation_id")
        rows = [
            (
                backend.id,
                backend.company_id.id,
                event.external_id,
                event.event_type,
                event.object_type,
                event.object_external_id,
                event.source_created.replace(tzinfo=None),
                now,
                event.payload,
                headers,
                correlation_id or uuid.uuid4().hex,
                state,
                self.env.uid,
                now,
            )
            for event in inbound_events
        ]
        body_text = body.decode() if body is not None else None
        keep_body = body_text is not None and any(
            event.payload != body_text for event in inbound_events
        )
        # The delivery's id is drawn first so that its events can point to it, and the
        # delivery is inserted only when one of them is new: a re-delivered batch leaves
        # nothing behind.
        delivery_sql = "(SELECT id FROM delivery_id)" if keep_body else "NULL"
        values_sql = ", ".join(
            [
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s, "
                f"{delivery_sql})"
            ]
            * len(rows)
        )
        params = [
            value for row in rows for value in (*row[:-2], row[-2], row[-1], row[-2], row[-1])
        ]
        if keep_body:
            delivery_cte = """
            delivery_id AS (SELECT nextval('saas_delivery_id_seq') AS id),
            """
            delivery_insert = """,
            delivery AS (
                INSERT INTO saas_delivery (id, backend_id, company_id, received_at, body,
                                           create_uid, create_date, write_uid, write_date)
                SELECT id, %s, %s, %s, %s, %s, %s, %s, %s FROM delivery_id
                 WHERE EXISTS (SELECT 1 FROM new_event)
            )"""
            delivery_params = [
                backend.id,
                backend.company_id.id,
                now,
                body_text,
                self.env.uid,
                now,
                self.env.uid,
                now,
            ]
        else:
            delivery_cte = delivery_insert = ""
            delivery_params = []
        if dispatch:
            lock_sql, lock_params = backend._pending_dispatcher_lock()
        else:
            lock_sql, lock_params = "SELECT 1", []
        # The lock runs once, and only when the insert returns a row: no new event, no lock.
        # (A data-modifying CTE runs whether or not the outer query reads it; the events'
        # foreign key to their delivery is checked at the end of the statement.)
        self.env.cr.execute(
            f"""
            WITH {delivery_cte}
            new_event AS (
                INSERT INTO saas_event (backend_id, company_id, external_id, event_type,
                                        object_type, object_external_id, source_created,
                                        received_at, payload, headers, correlation_id, state,
                                        attempts, create_uid, create_date, write_uid,
                                        write_date, delivery_id)
                VALUES {values_sql}
                ON CONFLICT (backend_id, external_id) DO NOTHING
                RETURNING id, object_external_id
            ){delivery_insert}
            SELECT id, object_external_id, EXISTS ({lock_sql}) FROM new_event
            """,
            params + delivery_params + lock_params,
        )
        return self.env.cr.fetchall()

    # ---------------------------------------------------------------------------------------
    # Actions (single and bulk), each audited on the event
    # ---------------------------------------------------------------------------------------
    def action_replay(self):
        """Process the events again from their stored payload. Answers with a notification
        saying what was queued, then reloads the view so that it shows the new state."""
        self.check_access("write")
        replayable = self.filtered(lambda event: event.state != "queued")
        for event in replayable:
            event.message_post(body=self.env._("Replay requested by %s.", self.env.user.name))
        replayable.sudo().write(
            {"state": "queued", "next_attempt_at": False, "attempts": 0, "last_error": False}
        )
        replayable._enqueue_processing()
        return self._notify_and_reload(self._replay_message(replayable))

    def _replay_message(self, replayed):
        skipped = len(self) - len(replayed)
        if len(replayed) == 1 and not skipped:
            message = self.env._(
                "Event %s is queued for processing again; its state shows here when done.",
                replayed.external_id,
            )
        else:
            message = self.env._("%s events queued for processing again.", len(replayed))
        if skipped:
            message += " " + self.env._("%s already queued, left as they are.", skipped)
        return message

    def _notify_and_reload(self, message, title=None, kind="success"):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title or self.env._("Replay"),
                "message": message,
                "type": kind if len(self) else "warning",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_reset(self):
        """Back to *received* with a clean slate, e.g. after a configuration fix; the periodic
        sweep (or the next event of the same object) processes them."""
        self.check_access("write")
        for event in self:
            event.message_post(body=self.env._("Reset by %s.", self.env.user.name))
        self.sudo().write(
            {"state": "received", "attempts": 0, "last_error": False, "next_attempt_at": False}
        )
        return True

    def _ignore(self, reason):
        self.check_access("write")
        for event in self:
            event.message_post(
                body=self.env._(
                    "Ignored by %(user)s: %(reason)s", user=self.env.user.name, reason=reason
                )
            )
        self.sudo().write({"state": "ignored", "note": reason, "next_attempt_at": False})

    def action_open_ignore_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "saas.event.ignore.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def action_view_records(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Records produced by %s", self.external_id),
            "res_model": "saas.event.record",
            "view_mode": "list",
            "domain": [("event_id", "=", self.id)],
        }

    def action_view_jobs(self):
        """The queue jobs of this event's object, as queue_job shows them."""
        jobs = self.env["queue.job"].search([("id", "in", self._object_jobs().ids)])
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Jobs"),
            "res_model": "queue.job",
            "domain": [("id", "in", jobs.ids)],
            "view_mode": "list,form",
        }
        if len(jobs) == 1:
            action.update(view_mode="form", res_id=jobs.id)
        return action

    def action_view_trail(self):
        """Everything sharing this event's correlation id: the events, each with its trace."""
        self.ensure_one()
        events = self.search([("correlation_id", "=", self.correlation_id)])
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Trail of %s", self.correlation_id),
            "res_model": "saas.event",
            "domain": [("id", "in", events.ids)],
            "view_mode": "list,form",
            "context": {"create": False},
        }

    def action_view_trail_records(self):
        """The records produced by the events sharing this event's correlation id."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Records of trail %s", self.correlation_id),
            "res_model": "saas.event.record",
            "view_mode": "list",
            "domain": [("event_id.correlation_id", "=", self.correlation_id)],
            "context": {"create": False},
        }

    def _enqueue_processing(self):
        """Hand the objects of these events to processing jobs, per backend, up to
        ``OBJECTS_PER_JOB`` objects a job in the order their first event arrived; objects a
        pending job names already get none (``saas.backend._enqueue_objects``). After an
        outage the sweep and every failed job ask for all of a backend's waiting objects:
        they make a few jobs, not one per object."""
        for backend, events in self.sorted("id").grouped("backend_id").items():
            backend._enqueue_objects(list(dict.fromkeys(events.mapped("object_external_id"))))

    @api.model
    def _cron_sweep_waiting(self, older_than_minutes=5):
        """Safety net: enqueue objects whose events wait with no job (a reset, a job deleted
        by hand, a crash between commit and enqueue). An object a pending job names already
        gets no other job."""
        cutoff = fields.Datetime.subtract(fields.Datetime.now(), minutes=older_than_minutes)
        return self._enqueue_waiting([("received_at", "<", cutoff)])

    @api.model
    def _enqueue_waiting(self, domain):
        """Enqueue the objects of the waiting events within ``domain`` whose retry time has
        come; how many events."""
        waiting = self.search(
            [
                ("state", "in", WAITING_STATES),
                *domain,
                "|",
                ("next_attempt_at", "=", False),
                ("next_attempt_at", "<", fields.Datetime.now()),
            ]
        )
        waiting._enqueue_processing()
        return len(waiting)
