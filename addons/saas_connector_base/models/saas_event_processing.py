import json
import logging
import time
import traceback
import uuid
import zlib

from psycopg2 import errorcodes

from odoo import fields, models
from odoo.exceptions import UserError, ValidationError

from ..lib.errors import PermanentError, TransientError

_logger = logging.getLogger(__name__)

# PostgreSQL errors that mean "someone else was busy with the same rows": retry later.
CONCURRENCY_PGCODES = frozenset(
    {
        errorcodes.SERIALIZATION_FAILURE,
        errorcodes.DEADLOCK_DETECTED,
        errorcodes.LOCK_NOT_AVAILABLE,
        errorcodes.UNIQUE_VIOLATION,
    }
)
# Errors whose message is written for a finance user and can be shown as is.
READABLE_ERRORS = (PermanentError, UserError, ValidationError)

# Objects one processing job takes at most. Their events share the job's transaction and the
# provider's preparations (e.g. one create for all of their documents), which is where the
# throughput comes from; more would make a failed job, or a lock held for the whole
# transaction, cost more than it saves.
OBJECTS_PER_JOB = 20

# The failure of a job whose connection to the database was lost (an outage, a failover, a
# terminated session), as queue_job records it: the bare classes, not an error of a query.
CONNECTION_LOST = frozenset({"psycopg2.InterfaceError", "psycopg2.OperationalError"})


class SaasBackend(models.Model):
    """Event processing: queue jobs of up to ``OBJECTS_PER_JOB`` external objects, each
    object's events in source order."""

    _inherit = "saas.backend"

    def _pending_dispatcher_lock(self):
        """``(sql, params)`` of a query that share-locks a pending dispatcher job of this
        backend and returns a row if there is one: part of the statement that stores a
        delivery, so that storing takes a single round trip.

        A dispatcher job must run after the transaction that stores events commits. Creating a
        job costs more than everything else a webhook does, so a burst of deliveries shares
        one dispatcher: a transaction that finds one still *pending* only share-locks it, which
        keeps the job runner from starting it — and the job from missing this transaction's
        events — until the commit; concurrent transactions hold the lock together. A dispatcher
        already handed to a worker is not waited for (the worker must not find it locked): the
        transaction creates a new one with :meth:`_create_dispatcher`, hence a unique key per
        job.
        """
        self.ensure_one()
        return (
            "SELECT 1 FROM queue_job WHERE state = 'pending' AND identity_key LIKE %s "
            "LIMIT 1 FOR SHARE",
            [f"{self._dispatcher_key_prefix()}%"],
        )

    def _dispatcher_key_prefix(self):
        return f"saas.dispatch:{self.id}:"

    def _create_dispatcher(self):
        """A new dispatcher job, for a transaction that found none to share-lock."""
        self.ensure_one()
        self.with_delay(
            channel=self.channel,
            identity_key=f"{self._dispatcher_key_prefix()}{uuid.uuid4().hex}",
            description=self.env._("Dispatch received events of %s", self.name),
        )._dispatch_received_events()

    def _dispatch_received_events(self):
        """Job: hand the objects with newly received events to processing jobs, up to
        ``OBJECTS_PER_JOB`` objects a job, in the order their first event arrived: a
        customer's events come before those of its invoice, which then finds its customer
        applied when both land in one job."""
        self.ensure_one()
        self.env["saas.event"].flush_model(["state"])
        self.env.cr.execute(
            "UPDATE saas_event SET state = 'queued' WHERE backend_id = %s AND state = 'received' "
            "RETURNING object_external_id, id",
            (self.id,),
        )
        first_event = {}
        for object_id, event_id in self.env.cr.fetchall():
            first_event[object_id] = min(event_id, first_event.get(object_id, event_id))
        object_ids = sorted(first_event, key=lambda object_id: (first_event[object_id], object_id))
        self.env["saas.event"].invalidate_model(["state"])
        enqueued = self._enqueue_objects(object_ids)
        return self.env._(
            "%(count)s objects to process, %(pending)s of them by a job still pending.",
            count=len(object_ids),
            pending=len(object_ids) - enqueued,
        )

    def _enqueue_objects(self, object_external_ids):
        """Hand the waiting events of ``object_external_ids`` to processing jobs, up to
        ``OBJECTS_PER_JOB`` objects a job, in that order; how many objects were enqueued.

        An object that a pending job of this backend already names gets no other job: that
        job reads the object's waiting events when it starts, and it cannot start before this
        transaction commits (``_objects_of_pending_jobs`` share-locks it). Without that, an
        object whose events arrive across two dispatches would be in two jobs, the second
        finding it locked by the first and postponing it."""
        self.ensure_one()
        pending = self._objects_of_pending_jobs(object_external_ids)
        todo = [object_id for object_id in object_external_ids if object_id not in pending]
        for start in range(0, len(todo), OBJECTS_PER_JOB):
            self._enqueue_objects_processing(todo[start : start + OBJECTS_PER_JOB])
        return len(todo)

    def _objects_of_pending_jobs(self, object_external_ids):
        """Those of ``object_external_ids`` that a pending processing job of this backend
        names, its own (``_process_object_events``) or one of several objects; the jobs are
        share-locked for the transaction, which keeps queue_job's runner from starting them
        until it commits (as ``_pending_dispatcher_lock`` does for the dispatcher). queue_job
        keeps a job's arguments as JSON text inside ``jsonb`` columns, hence ``#>> '{}'``;
        the first argument is the object, or the list of objects."""
        if not object_external_ids:
            return set()
        self.env["queue.job"].flush_model(
            ["state", "model_name", "method_name", "records", "args"]
        )
        self.env.cr.execute(
            """SELECT ((args #>> '{}')::jsonb) -> 0 FROM queue_job
                WHERE state = 'pending' AND model_name = 'saas.backend'
                  AND method_name IN ('_process_object_events', '_process_objects_events')
                  AND ((records #>> '{}')::jsonb) -> 'ids' @> %s::jsonb
                  AND ((args #>> '{}')::jsonb) -> 0 ?| %s
                  FOR SHARE""",
            (json.dumps([self.id]), list(object_external_ids)),
        )
        named = set()
        for (objects,) in self.env.cr.fetchall():
            named.update([objects] if isinstance(objects, str) else objects)
        return named.intersection(object_external_ids)

    def _on_processing_job_failed(self, exc_name=None, exc_message=None, exc_info=None):
        """queue_job calls this when a dispatching or processing job of this backend failed.
        One that lost its database connection did nothing — its transaction went with the
        connection — but queue_job fails it, and its events would wait for the periodic sweep:
        the backend's waiting objects are enqueued again at once (objects with a job waiting
        get no second one). Any other failure is a crash of the engine, left failed to be
        looked at."""
        if exc_name in CONNECTION_LOST:
            self.env["saas.event"]._enqueue_waiting([("backend_id", "in", self.ids)])

    def _object_identity_key(self, object_external_id):
        return f"saas.event:{self.id}:{object_external_id}"

    def _enqueue_object_processing(self, object_external_id, eta=None):
        """Enqueue the processing of an object's waiting events, unless a job for that object
        is already waiting (jobs are keyed by object, so a burst of events makes one job)."""
        self.ensure_one()
        self.with_delay(
            channel=self.channel,
            identity_key=self._object_identity_key(object_external_id),
            description=self.env._(
                "Process %(object)s on %(backend)s", object=object_external_id, backend=self.name
            ),
            eta=eta,
        )._process_object_events(object_external_id)

    def _enqueue_objects_processing(self, object_external_ids):
        """One job for the waiting events of ``object_external_ids``: an object alone gets
        its object's job (unless one waits already), several a job of their own."""
        self.ensure_one()
        if len(object_external_ids) == 1:
            self._enqueue_object_processing(object_external_ids[0])
            return
        self.with_delay(
            channel=self.channel,
            description=self.env._(
                "Process %(count)s objects on %(backend)s",
                count=len(object_external_ids),
                backend=self.name,
            ),
        )._process_objects_events(object_external_ids)

    def _process_object_events(self, object_external_id, retry_now=False):
        """Job: apply the waiting events of one object, oldest first. With ``retry_now``
        (a re-sync asked by a user), events waiting for their retry are tried now."""
        return self._process_objects_events([object_external_id], retry_now=retry_now)

    def _process_objects_events(self, object_external_ids, retry_now=False):
        """Job: apply the waiting events of each object of ``object_external_ids``, object
        after object in that order, each object's events oldest first, after the provider
        prepared what they share (``_provider_event_preparations``).

        An advisory lock on each object keeps two jobs from interleaving the same object's
        events (a job for an object may start while an older one still runs). Each event runs
        in its own savepoint: a failure undoes that event's writes only, and is that event's
        own state and error. Each object runs in a savepoint too: should the engine itself
        break on one (not a handler's error, which is its event's), the job's other objects
        are kept and that one is processed again by a job of its own.

        What the provider prepared for an event lies outside that event's savepoint: it is
        kept only when every event it was prepared for is done. Otherwise the job's work is
        undone and done again without preparing, so that each event ends as it would alone.
        """
        self.ensure_one()
        locked = [
            object_external_id
            for object_external_id in object_external_ids
            if self._lock_object(object_external_id)
        ]
        events = self.env["saas.event"].search(
            [
                ("backend_id", "=", self.id),
                ("object_external_id", "in", locked),
                ("state", "in", ("received", "queued")),
            ],
            order="source_created, id",
        )
        with self.env.cr.savepoint() as unprepared:
            prepared = self._prepare_events(events)
            outcomes = self._process_objects(object_external_ids, locked, events, retry_now)
            not_done = prepared.filtered(lambda event: event.state != "done")
            if not_done:
                _logger.info(
                    "saas: %s prepared events not done; the job is processed again unprepared",
                    len(not_done),
                )
                unprepared.rollback()
                outcomes = self._process_objects(object_external_ids, locked, events, retry_now)
        if events:
            self._wake_awaiting_events()
        return "\n".join(outcomes) or self.env._("Nothing to process.")

    def _wake_awaiting_events(self):
        """Retry now the events of this backend that wait for a document this transaction
        bound (``TransientError.awaits``): a payment whose invoice was just imported is
        recorded at once, not at the end of its backoff. Their objects' pending jobs are
        brought forward; an object without one gets one."""
        bound = self.env.cr.postcommit.data.get("saas.bound", set())
        mine = [
            (model, external_id)
            for backend_id, model, external_id in bound
            if backend_id == self.id
        ]
        if not mine:
            return
        bound.difference_update((self.id, model, external_id) for model, external_id in mine)
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE saas_event event SET next_attempt_at = NULL
                 FROM unnest(%s::varchar[], %s::varchar[]) AS awaited(model, external_id),
                      saas_binding binding
                WHERE event.backend_id = %s AND event.state = 'queued'
                  AND event.awaited_model = awaited.model
                  AND event.awaited_external_id = awaited.external_id
                  AND event.next_attempt_at IS NOT NULL
                  AND binding.backend_id = event.backend_id
                  AND binding.res_model = awaited.model
                  AND binding.external_id = awaited.external_id
            RETURNING event.object_external_id""",
            (
                [model for model, _id in mine],
                [external_id for _model, external_id in mine],
                self.id,
            ),
        )
        woken = list(dict.fromkeys(object_id for (object_id,) in self.env.cr.fetchall()))
        if not woken:
            return
        self.env["saas.event"].invalidate_model(["next_attempt_at"])
        # A job another transaction holds (a dispatcher share-locks pending jobs) keeps its
        # time rather than be waited for: its events are still retried, at the end of their
        # backoff.
        self.env.cr.execute(
            """UPDATE queue_job SET eta = NULL
                WHERE id IN (SELECT id FROM queue_job
                              WHERE state = 'pending' AND identity_key = ANY(%s)
                                FOR UPDATE SKIP LOCKED)""",
            ([self._object_identity_key(object_id) for object_id in woken],),
        )
        self.env["queue.job"].invalidate_model(["eta"])
        self._enqueue_objects(woken)

    def _process_objects(self, object_external_ids, locked, events, retry_now):
        """Apply ``events``, the waiting events of the ``locked`` objects among
        ``object_external_ids``, object by object; postpone the objects another job holds.
        One outcome line per event tried or object postponed."""
        by_object = events.grouped("object_external_id")
        outcomes = []
        for object_external_id in object_external_ids:
            if object_external_id not in locked:
                # The other job will see our events too, unless it already read its list:
                # come back shortly rather than block a worker.
                self._enqueue_object_processing(
                    object_external_id,
                    eta=fields.Datetime.add(fields.Datetime.now(), seconds=5),
                )
                outcomes.append(
                    self.env._(
                        "Object %s is being processed by another job; postponed.",
                        object_external_id,
                    )
                )
                continue
            object_events = by_object.get(object_external_id, self.env["saas.event"])
            if len(object_external_ids) == 1:
                # Alone in its job, a break of the engine is the job's failure, as queue_job
                # retries and shows it.
                outcomes += self._process_waiting_events(object_events, retry_now)
                continue
            try:
                with self.env.cr.savepoint():
                    outcomes += self._process_waiting_events(object_events, retry_now)
            except Exception as error:
                _logger.exception(
                    "saas: processing object %s broke; it gets a job of its own",
                    object_external_id,
                )
                self._enqueue_object_processing(object_external_id)
                outcomes.append(
                    self.env._(
                        "Object %(object)s: %(error)s; processed again by a job of its own.",
                        object=object_external_id,
                        error=error,
                    )
                )
        return outcomes

    def _lock_object(self, object_external_id):
        """Take the object's advisory lock for the transaction; whether it was free."""
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)",
            (self.id, zlib.crc32(object_external_id.encode()) - 2**31),
        )
        return self.env.cr.fetchone()[0]

    def _prepare_events(self, events):
        """Let the provider prepare, once for all ``events``, what their handlers share; the
        events it prepared something for. Preparing only saves work: should it fail, the
        handlers do it event by event and each event reports its own error, so the failure
        is logged and undone, not raised."""
        none = self.env["saas.event"]
        if not events:
            return none
        try:
            with self.env.cr.savepoint():
                return self._processing_env()._provider_event_preparations(events) or none
        except Exception:
            _logger.warning(
                "saas: preparing %s events failed; their handlers do it one by one",
                len(events),
                exc_info=True,
            )
            return none

    def _processing_env(self, event=None):
        """The backend in the environment events are applied in.

        Documents made from events do not log their creation nor make the job's user a
        follower: the event's produced records say who made them and why, and that user
        (the one who enqueued, often the administrator) would follow every customer.
        ``saas_connector_processing`` tells guards on documents a provider owns (see
        account_move.py) that the provider is the one changing them."""
        context = {
            "mail_create_nolog": True,
            "mail_create_nosubscribe": True,
            "saas_connector_processing": True,
        }
        if event is not None:
            context["saas_correlation_id"] = event.correlation_id
        return self.with_context(**context)

    def _process_waiting_events(self, events, retry_now=False):
        """Apply the waiting ``events`` of one object in source order; one outcome line per
        event tried."""
        if not events:
            return []
        object_external_id = events[0].object_external_id
        events, tied = self._in_source_order(events)
        outcomes = []
        now = fields.Datetime.now()
        for event in events:
            if event.state not in ("received", "queued"):
                # Applied already, as the current state read for an earlier event.
                continue
            if event.next_attempt_at and event.next_attempt_at > now and not retry_now:
                # An earlier event waits for its retry: the later ones wait behind it.
                self._enqueue_object_processing(object_external_id, eta=event.next_attempt_at)
                outcomes.append(f"{event.external_id}: waiting for its retry")
                break
            outcome = self._process_event(event, tied=event in tied)
            outcomes.append(f"{event.external_id}: {outcome}")
            if outcome == "postponed":
                # Keep the object's order: later events wait for the one being retried.
                break
        return outcomes

    def _event_handler(self, event_type):
        """The callable applying an event of ``event_type`` (it takes the event), from the
        table of handler models (``saas.event.handler``); ``None``: the type is ignored."""
        return self.env["saas.event.handler"]._handler(self, event_type)

    def _in_source_order(self, events):
        """``(events, tied)``: the waiting events of an object in source order, and those
        whose place in it time cannot decide.

        Source timestamps are whole seconds: within one second, events are put in the order
        of the object's lifecycle the provider knows (``_provider_event_rank``), then of
        arrival. Events with a handler that share their second are *tied* — unless all of
        them are reads of the provider (``_provider_event_is_read``), which come in the order
        they were read."""
        ranked = events.sorted(
            lambda event: (
                not event.source_created,
                event.source_created or fields.Datetime.now(),
                self._provider_event_rank(event.event_type),
                event.id,
            )
        )
        by_second = ranked.filtered(
            lambda event: event.source_created and self._event_handler(event.event_type)
        ).grouped("source_created")
        tied = self.env["saas.event"].concat(
            *(
                same_second
                for same_second in by_second.values()
                if len(same_second) > 1
                and not all(self._provider_event_is_read(event) for event in same_second)
            )
        )
        return ranked, tied

    def _process_event(self, event, tied=False):
        backend = self._processing_env(event)
        handler = backend._event_handler(event.event_type)
        if handler is None:
            event.sudo().write(
                {
                    "state": "ignored",
                    "note": self.env._("No handler for event type %s.", event.event_type),
                    "processed_at": fields.Datetime.now(),
                }
            )
            return "ignored"
        started = time.monotonic()
        try:
            with self.env.cr.savepoint():
                records = backend._apply_event(event, handler, tied)
        except Exception as error:
            if self._is_transient(error):
                return self._postpone_event(event, error)
            self._fail_event(event, error)
            return "failed"
        if records is None:
            event.sudo().write({"state": "stale", "processed_at": fields.Datetime.now()})
            self._measure_latency(event)
            return "stale"
        self._finish_event(event, records, started)
        return "done"

    def _apply_event(self, event, handler, tied=False):
        """Run the handler, unless time cannot place the event after the state Odoo shows:
        it is older than that state, or stamped in the same second as that state or as
        another waiting event of the object (``tied``). Then the provider's current object is
        applied instead, read through its API (``_provider_refresh_stale_event``); where it
        cannot be read, an older event is stale and one of the same second is applied only
        if it comes later in the object's lifecycle than the state Odoo shows. A state never
        replaces a newer one; a read of the provider made after the reads that set the state
        of its second is that state's successor, applied as it is. Returns the records
        touched, or ``None`` for a stale event."""
        applied = self.env["saas.binding"]._external_updated(self, event.object_external_id)
        moment = event.source_created
        undecided = moment and (tied or (applied and moment <= applied))
        if undecided and not tied and moment == applied:
            undecided = not self._read_after_applied(event, applied)
        if undecided:
            older = bool(applied) and moment < applied
            current = self._provider_refresh_stale_event(event)
            if current is not None:
                return self._apply_current_state(event, current, older)
            if older:
                return None
            if applied and moment == applied and not self._replaces_applied(event, applied):
                event.sudo().note = self.env._(
                    "Stamped in the same second as the state Odoo shows, and no later in the "
                    "object's lifecycle: not applied."
                )
                return None
        _logger.info(
            "saas event %s (%s) correlation=%s",
            event.external_id,
            event.event_type,
            event.correlation_id,
        )
        return handler(event)

    def _apply_current_state(self, event, current, older):
        """Apply ``current``, the events carrying the object's state just read from the
        provider, in their order and without asking their time: nothing Odoo shows is newer.
        Those applied before are skipped. Returns the records of ``event`` when it is itself
        among them (it carries the current state), else ``None``: it stays stale, with a note
        naming the events that replaced it."""
        own = None
        for read in current:
            handler = self._event_handler(read.event_type)
            if read == event:
                own = handler(event)
            elif read.state != "done" and handler:
                started = time.monotonic()
                self._finish_event(read, handler(read), started)
        if own is not None:
            return own
        names = ", ".join(current.mapped("external_id"))
        event.sudo().note = (
            self.env._(
                "Older than the state Odoo shows; the current state was read from the "
                "provider: %s.",
                names,
            )
            if older
            else self.env._(
                "Stamped in the same second as another state of this object, which time "
                "cannot order; the current state was read from the provider: %s.",
                names,
            )
        )
        return None

    def _replaces_applied(self, event, applied):
        """Whether ``event`` may replace the state Odoo shows, which events of its own second
        ``applied`` applied (none: ``event`` itself is replayed, or the state came from no
        event), when the object cannot be read: it comes later in the object's lifecycle than
        each of them, or it is a read of the provider made after them (reads are in order)."""
        rank = self._provider_event_rank(event.event_type)
        return self._read_after_applied(event, applied) or all(
            rank > self._provider_event_rank(other.event_type)
            for other in self._applied_in_second(event, applied)
        )

    def _read_after_applied(self, event, applied):
        """Whether ``event`` is a read of the provider made after every event that set the
        state Odoo shows in its second ``applied``, all of them reads too. Reads are made in
        order, so it is the current state: applied as it is, without reading the object
        again — a read again would only find a state already applied and skip it, while
        Odoo's side may have changed since (a user's second Re-sync within one second)."""
        return self._provider_event_is_read(event) and all(
            other.id < event.id and self._provider_event_is_read(other)
            for other in self._applied_in_second(event, applied)
        )

    def _applied_in_second(self, event, applied):
        """The events of ``event``'s object applied with the source time ``applied``."""
        return self.env["saas.event"].search(
            [
                ("backend_id", "=", self.id),
                ("object_external_id", "=", event.object_external_id),
                ("source_created", "=", applied),
                ("state", "=", "done"),
            ]
        )

    def _is_transient(self, error):
        return (
            isinstance(error, TransientError)
            or getattr(error, "pgcode", None) in CONCURRENCY_PGCODES
            or self._provider_is_transient(error)
        )

    def _finish_event(self, event, records, started):
        now = fields.Datetime.now()
        event.sudo().write(
            {
                "state": "done",
                "processed_at": now,
                "processing_ms": int((time.monotonic() - started) * 1000),
                "attempts": event.attempts + 1,
                "last_error": False,
                "next_attempt_at": False,
            }
        )
        self._measure_latency(event)
        self.env["saas.event.record"]._link(event, records)

    def _measure_latency(self, event):
        """Receipt to now, the end of the first processing that settles ``event`` (done,
        stale or failed): written once, so that a replay — hours or days later, by a person —
        leaves the pipeline's latency figures as they were. In SQL: the ORM reads received_at
        without its microseconds."""
        self.env.cr.execute(
            """UPDATE saas_event
                  SET latency_ms = LEAST(2147483647, GREATEST(0, round(1000 * extract(epoch
                          FROM (clock_timestamp() AT TIME ZONE 'UTC') - received_at))))
                WHERE id = %s AND latency_ms IS NULL""",
            (event.id,),
        )
        event.invalidate_recordset(["latency_ms"])

    def _postpone_event(self, event, error):
        attempts = event.attempts + 1
        message = str(error) or error.__class__.__name__
        if attempts >= self.max_attempts:
            self._fail_event(
                event,
                error,
                message=self.env._(
                    "Gave up after %(count)s attempts: %(error)s", count=attempts, error=message
                ),
            )
            return "failed"
        delay = getattr(error, "retry_after", None) or self._retry_delay(attempts)
        eta = fields.Datetime.add(fields.Datetime.now(), seconds=delay)
        awaited_model, awaited_external_id = getattr(error, "awaits", None) or (False, False)
        event.sudo().write(
            {
                "state": "queued",
                "attempts": attempts,
                "last_error": message,
                "next_attempt_at": eta,
                "awaited_model": awaited_model,
                "awaited_external_id": awaited_external_id,
            }
        )
        self._enqueue_object_processing(event.object_external_id, eta=eta)
        return "postponed"

    def _fail_event(self, event, error, message=None):
        if message is None:
            message = (
                str(error)
                if isinstance(error, READABLE_ERRORS)
                else self.env._(
                    "Unexpected error (%(kind)s): %(error)s",
                    kind=error.__class__.__name__,
                    error=error,
                )
            )
        event.sudo().write(
            {
                "state": "failed",
                "attempts": event.attempts + 1,
                "last_error": message,
                "error_details": "".join(traceback.format_exception(error)),
                "processed_at": fields.Datetime.now(),
                "next_attempt_at": False,
            }
        )
        self._measure_latency(event)
        self._notify_failure()

    def _notify_failure(self):
        """One open activity per backend for its responsible, not one per failed event: a
        burst of failures must not bury the finance team's to-do list."""
        activity_type = self.env.ref("saas_connector_base.mail_activity_type_event_failure")
        user = self.responsible_id or self.env.ref("base.user_admin")
        if self.activity_ids.filtered(lambda activity: activity.activity_type_id == activity_type):
            return
        self.sudo().activity_schedule(
            activity_type_id=activity_type.id,
            user_id=user.id,
            summary=self.env._("Events failed on %s", self.name),
            note=self.env._(
                "Some events could not be processed. Open the exception queue, fix the "
                "cause and replay them."
            ),
        )
