import zlib
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.queue_job.job import ENQUEUED, PENDING, STARTED
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command

# Objects a job reads and imports in one transaction: two API pages of Stripe's largest size.
BATCH_SIZE = 200
# Batches read and waiting for their application at most: reading does not run far ahead of
# the workers, so that events do not wait long enough for the engine's sweep to step in.
BATCHES_AHEAD = 4
STATES = [
    ("draft", "Draft"),
    ("running", "Running"),
    ("paused", "Paused"),
    ("done", "Done"),
    ("failed", "Failed"),
]
# Namespace of the advisory lock that keeps two jobs of one run from importing at once.
LOCK_NAMESPACE = zlib.crc32(b"saas.backfill") - 2**31


class SaasBackfill(models.Model):
    """An import of a provider account's history, read from its API and applied through the
    event engine exactly as webhooks are (see ``saas.backend._sync_objects``), so that the
    documents, their bindings and their deduplication are those of webhooks. The provider
    only lists one page of an object type after a cursor (``_provider_backfill_page``); the
    run owns everything else.

    A run is a chain of queue jobs on the backend's channel, each reading up to
    ``BATCH_SIZE`` objects from the cursor of the object type at hand, storing them as
    events, moving the cursor and enqueuing the job that applies them, in one transaction:
    after a crash or a restart the run resumes from the last committed cursor, and a batch
    read twice only yields duplicate events, which the intake ignores. A rate limit or an
    outage of the API postpones the batch with the engine's backoff instead of failing it.

    Reading goes on while earlier batches are applied, and batches of one object type are
    applied side by side (as many at once as the channel allows); the next object type is
    read only once every batch of the previous one is applied: what an object refers to is
    applied before it. Events of a batch whose application was lost wait *queued* and are
    taken over by the engine's sweep, or at once by *Resume*.
    """

    _name = "saas.backfill"
    _description = "Backfill"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    backend_id = fields.Many2one(
        "saas.backend",
        string="Account",
        required=True,
        ondelete="cascade",
        index=True,
        domain=[("active", "=", True)],
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    date_from = fields.Datetime(
        string="From",
        help="Documents created from this moment on are imported. What they refer to "
        "(customers, the catalogue, subscriptions) is imported whatever its date.",
    )
    date_to = fields.Datetime(string="Until", help="Documents created before this moment.")
    state = fields.Selection(STATES, default="draft", required=True, readonly=True, tracking=True)
    line_ids = fields.One2many(
        "saas.backfill.line",
        "backfill_id",
        string="Progress",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
    )
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    # The rate is measured since the run last (re)started: a pause does not slow it down.
    rate_since = fields.Datetime(readonly=True)
    rate_base_count = fields.Integer(readonly=True)
    retry_count = fields.Integer(
        readonly=True, help="Consecutive batches postponed by a rate limit or an API outage."
    )
    last_error = fields.Text(readonly=True)
    objects_done = fields.Integer(string="Imported", compute="_compute_progress")
    current_object_type = fields.Selection(
        "_selection_object_type", string="Reading", compute="_compute_progress"
    )
    current_cursor = fields.Char(compute="_compute_progress")
    rate_per_minute = fields.Float(
        string="Objects per Minute", compute="_compute_progress", digits=(16, 1)
    )
    eta = fields.Datetime(
        string="Estimated End",
        compute="_compute_progress",
        help="From the rate so far and the remaining objects, when the provider says how "
        "many the listings hold.",
    )
    job_ids = fields.Many2many(
        "queue.job",
        compute="_compute_job_ids",
        string="Jobs",
        groups="queue_job.group_queue_job_manager",
    )
    job_count = fields.Integer(compute="_compute_job_ids")

    @api.model
    def _selection_object_type(self):
        return self.env["saas.backfill.line"]._selection_object_type()

    @api.depends("backend_id", "date_from", "date_to")
    def _compute_name(self):
        for run in self:
            period = " - ".join(
                fields.Datetime.to_string(value)[:10] if value else "…"
                for value in (run.date_from, run.date_to)
            )
            run.name = f"{run.backend_id.name or ''} ({period})"

    @api.depends("backend_id")
    def _compute_line_ids(self):
        """A new run reads the provider's default object types; the user may leave some out
        before starting it."""
        for run in self:
            if run.state != "draft":
                run.line_ids = run.line_ids
                continue
            run.line_ids = [Command.clear()] + [
                Command.create({"object_type": kind.key})
                for kind in run.backend_id._provider_backfill_types()
                if kind.default
            ]

    @api.depends(
        "line_ids.done_count",
        "line_ids.read_count",
        "line_ids.expected_count",
        "line_ids.is_done",
        "line_ids.cursor",
        "state",
    )
    def _compute_progress(self):
        now = fields.Datetime.now()
        for run in self:
            current = run._current_line()
            run.objects_done = sum(run.line_ids.mapped("done_count"))
            run.current_object_type = current.object_type
            run.current_cursor = current.cursor
            read = sum(run.line_ids.mapped("read_count"))
            end = run.finished_at if run.state == "done" else now
            seconds = (end - run.rate_since).total_seconds() if run.rate_since else 0
            rate = (read - run.rate_base_count) / seconds if seconds > 0 else 0
            run.rate_per_minute = rate * 60
            pending = run.line_ids.filtered(lambda line: not line.is_done)
            run.eta = False
            if run.state == "running" and rate > 0 and all(pending.mapped("expected_count")):
                remaining = sum(max(0, line.expected_count - line.read_count) for line in pending)
                run.eta = now + timedelta(seconds=remaining / rate)

    def _compute_job_ids(self):
        # The queue is the job managers' to read; the count is everyone's.
        jobs = self.env["queue.job"].sudo()
        for run in self:
            found = (
                jobs.search([("identity_key", "=like", f"{run._job_key_prefix()}%")])
                if run.id
                else jobs
            )
            run.job_ids = found
            run.job_count = len(found)

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for run in self:
            if run.date_from and run.date_to and run.date_from >= run.date_to:
                raise ValidationError(self.env._("The backfill period must end after it starts."))

    @api.constrains("backend_id", "line_ids")
    def _check_object_types(self):
        for run in self:
            known = {kind.key for kind in run.backend_id._provider_backfill_types()}
            if not known:
                raise ValidationError(
                    self.env._("The provider of %s has no history to import.", run.backend_id.name)
                )
            unknown = set(run.line_ids.mapped("object_type")) - known
            if unknown:
                raise ValidationError(
                    self.env._(
                        "%(provider)s has no object types %(types)s.",
                        provider=run.backend_id._provider_label(),
                        types=", ".join(sorted(unknown)),
                    )
                )

    # ---------------------------------------------------------------------------------------
    # Actions
    # ---------------------------------------------------------------------------------------
    def action_start(self):
        for run in self:
            if run.state != "draft":
                raise UserError(self.env._("Backfill %s was already started.", run.name))
            if not run.line_ids:
                raise UserError(self.env._("Choose at least one object type to import."))
            run.backend_id._provider_check_reads()  # a clear error now rather than in the job
            run.write({"started_at": fields.Datetime.now()})
            run._run()

    def action_pause(self):
        """The job at work finishes its batch; no other starts."""
        running = self.filtered(lambda run: run.state == "running")
        running.write({"state": "paused"})
        for run in running:
            run.message_post(body=self.env._("Paused by %s.", self.env.user.name))

    def action_resume(self):
        """Continue from the stored cursors: after a pause, a failure, or a server that died
        while a batch was in progress."""
        for run in self:
            if run.state not in ("running", "paused", "failed"):
                raise UserError(self.env._("Only a started backfill can be resumed."))
            run.message_post(body=self.env._("Resumed by %s.", self.env.user.name))
            # Applications a dead worker left started are taken up again: applying a batch
            # twice changes nothing (its events are done or locked by the other job).
            self.env["queue.job"].sudo().search(
                [
                    ("identity_key", "=like", f"{run._apply_key_prefix()}%"),
                    ("state", "in", (ENQUEUED, STARTED)),
                ]
            )._change_job_state(PENDING)
            run._run()

    def action_view_jobs(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Jobs of %s", self.name),
            "res_model": "queue.job",
            "view_mode": "list,form",
            "domain": [("id", "in", self.job_ids.ids)],
        }

    # ---------------------------------------------------------------------------------------
    # Jobs
    # ---------------------------------------------------------------------------------------
    def _run(self):
        self.ensure_one()
        self.write(
            {
                "state": "running",
                "last_error": False,
                "retry_count": 0,
                "finished_at": False,
                "rate_since": fields.Datetime.now(),
                "rate_base_count": sum(self.line_ids.mapped("read_count")),
            }
        )
        self._enqueue_batch()

    def _current_line(self):
        return self.line_ids.filtered(lambda line: not line.is_done).sorted("sequence")[:1]

    def _type_label(self, object_type):
        return dict(self._selection_object_type()).get(object_type, object_type)

    def _job_key_prefix(self):
        return f"saas.backfill:{self.id}:"

    def _enqueue_batch(self, eta=None):
        """Enqueue the job importing the next batch, unless one for the same cursor already
        waits: the key names the cursor, so a resume while a job waits adds nothing. With
        nothing left to read, the run ends, or a last job waits for the applications."""
        line = self._current_line()
        if not line and not self._applying():
            return self._finish()
        if line:
            key = f"{line.object_type}:{line.cursor or ''}"
            description = self.env._(
                "Backfill %(type)s of %(backend)s after %(cursor)s",
                type=self._type_label(line.object_type),
                backend=self.backend_id.name,
                cursor=line.cursor or self.env._("the start"),
            )
        else:
            key = "end"
            description = self.env._(
                "Backfill of %s: end once every batch is applied", self.backend_id.name
            )
        self.with_delay(
            channel=self.backend_id.channel,
            identity_key=f"{self._job_key_prefix()}{key}",
            description=description,
            eta=eta,
        )._import_batch()

    def _import_batch(self):
        """Job: read the next batch of the current object type, hand it to a job applying
        it, and enqueue the next reading.

        Returns a summary for the job's result: what was read and where the cursor is.
        """
        self.ensure_one()
        if self.state != "running":
            return self.env._("Backfill is not running: nothing imported.")
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, self.id))
        if not self.env.cr.fetchone()[0]:
            return self.env._("Another job is importing this backfill.")
        line = self._current_line()
        applying = self._applying()
        # The next object type (or the end) waits for the previous one to be applied.
        if applying >= BATCHES_AHEAD or (applying and (not line or not line.read_count)):
            self._enqueue_batch(eta=fields.Datetime.add(fields.Datetime.now(), seconds=1))
            return self.env._("Waiting for the batches read so far to be applied.")
        if not line:
            self._finish()
            return self.env._("Nothing left to import.")
        page = self.backend_id._provider_backfill_page(
            self, line.object_type, line.cursor or None, BATCH_SIZE
        )
        if page.objects:
            self._store(line, page.objects)
        values = {
            "read_count": line.read_count + page.read,
            "done_count": line.done_count + len(page.objects),
        }
        if page.cursor:
            values["cursor"] = page.cursor
        if page.total and not line.expected_count:
            values["expected_count"] = page.total
        if page.error is None:
            # A short batch means the listing is exhausted; a full one that happened to be
            # the last is noticed by the next job, which reads nothing.
            values["is_done"] = page.read < BATCH_SIZE
        line.write(values)
        summary = self.env._(
            "%(type)s: %(count)s imported, %(total)s in all, cursor %(cursor)s.",
            type=self._type_label(line.object_type),
            count=len(page.objects),
            total=line.done_count,
            cursor=line.cursor or "-",
        )
        if page.error is None:
            # The run's row is written only when a retry ends: a user's Pause or Resume
            # meanwhile does not collide with every batch.
            if self.retry_count:
                self.retry_count = 0
            self._enqueue_batch()
            return summary
        if page.transient:
            self._postpone(page.error)
        else:
            self._fail(
                self.env._(
                    "%(provider)s answered: %(error)s",
                    provider=self.backend_id._provider_label(),
                    error=page.error,
                )
            )
        return f"{summary}\n{self.last_error}"

    def _store(self, line, objects):
        """Store the objects of a batch as events and enqueue the job applying them."""
        backend = self.backend_id
        events = backend._provider_backfill_store(self, line.object_type, objects)
        object_ids = list(dict.fromkeys(events.mapped("object_external_id")))
        if object_ids:
            self.with_delay(
                channel=backend.channel,
                identity_key=f"{self._apply_key_prefix()}{line.object_type}:{object_ids[0]}",
                description=self.env._(
                    "Backfill: apply %(count)s %(type)s of %(backend)s",
                    count=len(object_ids),
                    type=self._type_label(line.object_type),
                    backend=backend.name,
                ),
            )._apply_batch(object_ids)

    def _apply_batch(self, object_ids):
        """Job: apply the events of a batch's objects, with the engine's own processing of
        objects' events (the code its processing jobs run), in one job rather than one per
        object. Anything the engine postpones (an object another job holds, a transient
        error) gets its job as usual."""
        self.backend_id._process_objects_events(object_ids)
        return self.env._("%s objects applied.", len(object_ids))

    def _apply_key_prefix(self):
        return f"{self._job_key_prefix()}apply:"

    def _applying(self):
        """How many jobs applying a batch of this run have yet to end."""
        self.env["queue.job"].flush_model(["identity_key", "state"])
        self.env.cr.execute(
            "SELECT count(*) FROM queue_job WHERE identity_key LIKE %s "
            "AND state IN ('wait_dependencies', 'pending', 'enqueued', 'started')",
            (f"{self._apply_key_prefix()}%",),
        )
        return self.env.cr.fetchone()[0]

    def _postpone(self, message):
        backend = self.backend_id
        attempts = self.retry_count + 1
        if attempts >= backend.max_attempts:
            self._fail(
                self.env._(
                    "Gave up after %(count)s attempts: %(error)s", count=attempts, error=message
                )
            )
            return
        delay = backend._retry_delay(attempts)
        self.write(
            {
                "retry_count": attempts,
                "last_error": self.env._(
                    "%(provider)s is unavailable (%(error)s); retrying in %(delay)s s.",
                    provider=backend._provider_label(),
                    error=message,
                    delay=delay,
                ),
            }
        )
        self._enqueue_batch(eta=fields.Datetime.add(fields.Datetime.now(), seconds=delay))

    def _fail(self, message):
        self.write({"state": "failed", "last_error": message})
        self.message_post(body=message)

    def _finish(self):
        self.write({"state": "done", "finished_at": fields.Datetime.now(), "last_error": False})
        self.message_post(
            body=self.env._("Backfill done: %s objects imported.", self.objects_done)
        )
