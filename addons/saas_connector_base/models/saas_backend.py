import secrets

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date, format_datetime

from ..lib.backoff import retry_delay
from ..lib.duration import human_duration
from ..lib.errors import WebhookRejected
from ..lib.inbound import WebhookAnswer

PUBLIC_BASE_URL_PARAM = "saas_connector_base.public_base_url"
AUDIT_HEADERS = ("Content-Type", "User-Agent", "X-Request-Id")


class SaasBackend(models.Model):
    """One account of an external system (a Stripe account, a CRM instance).

    Everything the connector stores hangs off a backend: its events, bindings and secrets. The
    provider add-ons extend ``provider`` and implement the *provider contract* — the methods
    prefixed ``_provider_`` below — by overriding them for their own ``provider`` value.
    """

    _name = "saas.backend"
    _description = "SaaS Connector Backend"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    provider = fields.Selection(
        selection=[],
        required=True,
        tracking=True,
        help="The external system this account belongs to. Each provider add-on adds its own.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        tracking=True,
        help="Documents created from this account's events belong to this company.",
    )
    environment = fields.Selection(
        [("test", "Test"), ("live", "Live")],
        required=True,
        default="test",
        tracking=True,
        help="Events from the other environment are rejected at the webhook.",
    )
    responsible_id = fields.Many2one(
        "res.users",
        default=lambda self: self.env.user,
        tracking=True,
        help="Receives the activity when events of this account fail.",
    )
    webhook_token = fields.Char(
        copy=False,
        readonly=True,
        default=lambda self: self._new_webhook_token(),
        groups="saas_connector_base.group_saas_manager",
        help="Secret part of the webhook URL. Regenerate it if the URL leaked.",
    )
    webhook_url = fields.Char(
        compute="_compute_webhook_url",
        groups="saas_connector_base.group_saas_manager",
        help="Give this URL to the provider as the webhook endpoint.",
    )
    channel = fields.Char(
        string="Queue Channel",
        compute="_compute_channel",
        help="queue_job channel of this account's jobs (a sub-channel of root.saas).",
    )
    max_attempts = fields.Integer(
        default=8,
        help="Transient failures of one event (lock, rate limit, provider outage) are retried "
        "with exponential backoff this many times before the event fails.",
    )
    retry_base_seconds = fields.Integer(default=10, help="First retry delay, doubled each time.")
    retry_cap_seconds = fields.Integer(default=3600, help="Longest delay between two retries.")
    secret_ids = fields.One2many("saas.secret", "backend_id", string="Secrets")
    event_ids = fields.One2many("saas.event", "backend_id", string="Events")
    event_received_count = fields.Integer(compute="_compute_event_counts")
    event_pending_count = fields.Integer(compute="_compute_event_counts")
    event_failed_count = fields.Integer(compute="_compute_event_counts")
    latency_p50_ms = fields.Integer(
        string="Median Latency (ms)",
        compute="_compute_dashboard_figures",
        help="Receipt to the end of the first processing that settled the event, events of "
        "the last 24 hours; replays do not change it.",
    )
    latency_p95_ms = fields.Integer(
        string="95th Percentile Latency (ms)", compute="_compute_dashboard_figures"
    )
    latency_p50 = fields.Char(
        string="Median Latency",
        compute="_compute_dashboard_figures",
        help="Receipt to the end of the first processing that settled the event, events of "
        "the last 24 hours; replays do not change it.",
    )
    latency_p95 = fields.Char(
        string="95th Percentile Latency",
        compute="_compute_dashboard_figures",
        help="Receipt to the end of the first processing that settled the event, events of "
        "the last 24 hours; replays do not change it.",
    )
    ingest_last_hour = fields.Integer(
        string="Events in the Last Hour", compute="_compute_dashboard_figures"
    )
    new_webhook_secret = fields.Char(
        string="Add Webhook Signing Secret",
        compute="_compute_new_webhook_secret",
        inverse="_inverse_new_webhook_secret",
        groups="saas_connector_base.group_saas_manager",
        secret_input=True,
        help="Write-only. Stored encrypted; the secrets already live stay valid until you "
        "retire them, so the provider's secret can be rotated without losing deliveries.",
    )

    webhook_secret_status = fields.Char(
        string="Signing Secret in Use",
        compute="_compute_webhook_secret_status",
        groups="saas_connector_base.group_saas_manager",
        help="The live signing secrets, masked, and when each was set. The secrets themselves "
        "are never shown.",
    )
    last_event_at = fields.Datetime(
        string="Last Event Received",
        compute="_compute_last_event_at",
        help="When the newest event of this account reached Odoo.",
    )
    setup_checklist = fields.Html(
        compute="_compute_setup_checklist",
        sanitize=False,
        groups="saas_connector_base.group_saas_manager",
        help="What each feature needs, and what is missing.",
    )
    setup_missing_count = fields.Integer(
        compute="_compute_setup_checklist", groups="saas_connector_base.group_saas_manager"
    )

    _webhook_token_unique = models.Constraint(
        "UNIQUE (webhook_token)", "Two backends cannot share a webhook URL."
    )

    @api.model
    def _valid_field_parameter(self, field, name):
        # ``secret_input=True`` marks a write-only credential input: its value is redacted from
        # logged RPC calls (see lib/log_redaction.py). Providers use it on their own inputs.
        return name == "secret_input" or super()._valid_field_parameter(field, name)

    def _new_webhook_token(self):
        return secrets.token_urlsafe(32)

    def write(self, vals):
        # The webhook intake keeps each endpoint's backend in the registry's cache: a changed
        # setting, an archived backend or a regenerated token applies to the next delivery.
        self.env.registry.clear_cache()
        result = super().write(vals)
        self._forget_secret_inputs(vals)
        return result

    @api.model_create_multi
    def create(self, vals_list):
        backends = super().create(vals_list)
        backends._forget_secret_inputs({name for vals in vals_list for name in vals})
        return backends

    def _forget_secret_inputs(self, names):
        """A credential just written stays in the cache as typed, and saving a form reads the
        record back in the same transaction: without this, the plaintext would travel back to
        the browser. Forgotten, the inputs are computed again (empty or masked)."""
        secret_inputs = [
            name for name in names if getattr(self._fields.get(name), "secret_input", False)
        ]
        if secret_inputs:
            self.invalidate_recordset(secret_inputs)

    def unlink(self):
        self.env.registry.clear_cache()  # see write()
        return super().unlink()

    @api.model
    def _webhook_public_base_url(self):
        """The scheme, host and path prefix under which senders reach Odoo, without a trailing
        slash: the ``saas_connector_base.public_base_url`` system parameter, else
        ``web.base.url``. The webhook URLs shown to users start with it, and providers that
        sign the URL they called verify against it — so behind a proxy set it to the public
        address, which the request's Host header is not."""
        params = self.env["ir.config_parameter"].sudo()
        base_url = params.get_param(PUBLIC_BASE_URL_PARAM) or params.get_param("web.base.url")
        return (base_url or "").strip().rstrip("/")

    @api.depends("webhook_token")
    def _compute_webhook_url(self):
        base_url = self._webhook_public_base_url()
        for backend in self:
            backend.webhook_url = (
                f"{base_url}/saas/webhook/{backend.webhook_token}"
                if backend.webhook_token
                else False
            )

    @api.depends("provider")
    def _compute_channel(self):
        for backend in self:
            backend.channel = f"root.saas.{backend.provider or 'unknown'}_{backend.id or 0}"

    def _compute_event_counts(self):
        counts = {
            (backend.id, state): count
            for backend, state, count in self.env["saas.event"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id", "state"], ["__count"]
            )
        }
        for backend in self:
            backend.event_received_count = sum(
                count for (backend_id, _state), count in counts.items() if backend_id == backend.id
            )
            backend.event_pending_count = sum(
                counts.get((backend.id, state), 0) for state in ("received", "queued")
            )
            backend.event_failed_count = counts.get((backend.id, "failed"), 0)

    def _compute_dashboard_figures(self):
        figures = {}
        if self.ids:
            self.env.cr.execute(
                """
                SELECT backend_id,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms),
                       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms),
                       count(*) FILTER (WHERE received_at > now() at time zone 'UTC'
                                                            - interval '1 hour')
                  FROM saas_event
                 WHERE backend_id IN %s
                   AND received_at > now() at time zone 'UTC' - interval '24 hours'
              GROUP BY backend_id
                """,
                (tuple(self.ids),),
            )
            figures = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for backend in self:
            p50, p95, last_hour = figures.get(backend.id, (None, None, 0))
            backend.latency_p50_ms = int(p50 or 0)
            backend.latency_p95_ms = int(p95 or 0)
            backend.latency_p50 = human_duration(p50) if p50 is not None else False
            backend.latency_p95 = human_duration(p95) if p95 is not None else False
            backend.ingest_last_hour = last_hour

    def _secret_status(self, purpose):
        """ "••••abcd set on Dec 1, 2026" per live secret of ``purpose``, newest first, or
        False: says a secret is there without revealing it."""
        self.ensure_one()
        secrets_ = (
            self.env["saas.secret"]
            .sudo()
            .search([("backend_id", "=", self.id), ("purpose", "=", purpose)])
            if self.id
            else []
        )
        return (
            "; ".join(
                self.env._(
                    "%(secret)s set on %(date)s",
                    secret=secret.masked or "••••",
                    date=format_date(self.env, secret.create_date),
                )
                for secret in secrets_
            )
            or False
        )

    def _compute_webhook_secret_status(self):
        for backend in self:
            backend.webhook_secret_status = backend._secret_status("webhook_signing")

    def _compute_last_event_at(self):
        last = dict(
            self.env["saas.event"]
            .sudo()
            ._read_group([("backend_id", "in", self.ids)], ["backend_id"], ["received_at:max"])
        )
        for backend in self:
            backend.last_event_at = last.get(backend._origin) or False

    @api.depends_context("lang")
    def _compute_setup_checklist(self):
        for backend in self:
            items = backend._setup_checklist() if backend.id else []
            backend.setup_missing_count = sum(1 for item in items if not item["ok"])
            backend.setup_checklist = Markup('<ul class="list-unstyled mb-0">%s</ul>') % Markup(
                ""
            ).join(
                Markup(
                    '<li class="mb-1" data-item="%s"><i class="fa fa-fw %s" title="%s"></i> '
                    "<strong>%s</strong> — %s</li>"
                )
                % (
                    item["key"],
                    "fa-check text-success" if item["ok"] else "fa-times text-danger",
                    self.env._("OK") if item["ok"] else self.env._("Missing"),
                    item["label"],
                    item["why"],
                )
                for item in items
            )

    def _setup_checklist(self):
        """What this account needs for each feature to work: a list of ``{key, label, ok,
        why}``, ``why`` one line saying what the item gives or what its absence breaks.
        Providers (and add-ons) append their own items and call ``super()``."""
        self.ensure_one()
        secret = self._secret_status("webhook_signing")
        items = [
            {
                "key": "webhook_secret",
                "label": self.env._("Webhook signing secret"),
                "ok": bool(secret),
                "why": self.env._("%s: deliveries signed with it are accepted.", secret)
                if secret
                else self.env._(
                    "Every delivery is rejected until the provider's signing secret is set."
                ),
            }
        ]
        if self.last_event_at:
            items.append(
                {
                    "key": "last_delivery",
                    "label": self.env._("Webhook deliveries"),
                    "ok": True,
                    "why": self.env._(
                        "Last event received on %s.", format_datetime(self.env, self.last_event_at)
                    ),
                }
            )
        else:
            items.append(
                {
                    "key": "last_delivery",
                    "label": self.env._("Webhook deliveries"),
                    "ok": False,
                    "why": self.env._(
                        "No event received yet: give the webhook URL to the provider."
                    ),
                }
            )
        return items

    def _compute_new_webhook_secret(self):
        self.new_webhook_secret = False

    def _inverse_new_webhook_secret(self):
        for backend in self.filtered("new_webhook_secret"):
            self.env["saas.secret"]._store(backend, "webhook_signing", backend.new_webhook_secret)

    # ---------------------------------------------------------------------------------------
    # UI actions
    # ---------------------------------------------------------------------------------------
    def action_regenerate_webhook_token(self):
        for backend in self:
            backend.webhook_token = self._new_webhook_token()
            backend.message_post(
                body=self.env._("Webhook URL regenerated; the previous one stops working.")
            )

    def action_test_connection(self):
        self.ensure_one()
        message = self._provider_test_connection()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Connection OK"),
                "message": message,
                "type": "success",
            },
        }

    def _action_events(self, domain, name):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "saas_connector_base.action_saas_event"
        )
        action.update(
            name=name,
            domain=[("backend_id", "=", self.id), *domain],
            context={"default_backend_id": self.id},
        )
        return action

    def action_view_events(self):
        return self._action_events([], self.env._("Events"))

    def action_view_pending_events(self):
        return self._action_events(
            [("state", "in", ("received", "queued"))], self.env._("Pending events")
        )

    def action_view_failed_events(self):
        return self._action_events([("state", "=", "failed")], self.env._("Failed events"))

    # ---------------------------------------------------------------------------------------
    # Provider contract: provider add-ons override these for their own ``provider`` value and
    # call ``super()`` for the others.
    # ---------------------------------------------------------------------------------------
    def _provider_parse_webhook(self, request, signing_secrets):
        """Verify a delivery and return its :class:`~..lib.inbound.InboundEvent` list, in the
        order of the delivery: one per event, each with its own external id (the key of
        duplicates: an event already received is skipped, the others of the delivery are
        stored), object id and source time.

        ``request`` is a :class:`~..lib.inbound.WebhookRequest`: the HTTP method, the public
        URL the sender called (query included; see :meth:`_webhook_public_base_url`), the
        headers (case-insensitive) and the raw body (bytes), and ``signing_secrets`` the live
        webhook signing secrets (never empty, unless :meth:`_provider_webhook_signed` says
        the provider signs nothing). Raise :class:`~..lib.errors.WebhookRejected`
        for anything that must not be stored; the delivery is then refused whole. Parse XML
        with :func:`~..lib.safe_xml.parse` (no entities, DTD or network; a DOCTYPE is
        refused). Runs inside the webhook request: no API calls, nothing
        slow. There, ``self`` comes from the token lookup with its stored fields in cache
        (``provider``, ``environment``, the provider's own settings): read them freely, but
        anything else (a related record's fields, a search) is a query on every delivery.
        """
        raise WebhookRejected("this backend's provider does not accept webhooks", status=404)

    def _provider_webhook_signed(self):
        """Whether this provider signs its deliveries. A backend of a provider that does
        is refused every delivery until a signing secret is set. One that signs nothing
        (Salesforce's outbound messages) gets its deliveries verified by
        :meth:`_provider_parse_webhook` with what the provider does send, and no secrets."""
        return True

    def _provider_webhook_content_types(self):
        """The media types (lower case, without parameters) of the deliveries this provider
        sends; any other ``Content-Type`` is refused with 415 before verification."""
        return ("application/json",)

    def _provider_webhook_audit_headers(self):
        """The request headers kept with each event for audit (names as the provider sends
        them): never one that carries a credential."""
        return AUDIT_HEADERS

    def _provider_webhook_answer(self, request, duplicate):
        """The :class:`~..lib.inbound.WebhookAnswer` to a delivery once stored (``duplicate``:
        it brought no new event), the one the sender takes as an acknowledgement. A sender
        that retries the same delivery must get the same acknowledgement, or it retries
        forever. Called after the events are stored, before the commit."""
        return WebhookAnswer.json(200, received=True, duplicate=duplicate)

    def _provider_webhook_rejection(self, request, status, reason):
        """The :class:`~..lib.inbound.WebhookAnswer` refusing ``request`` with HTTP ``status``
        for ``reason`` (short, safe to send): a provider whose senders read the body of a
        refusal shapes it here. Nothing of the delivery is stored."""
        return WebhookAnswer.json(status, error=reason)

    def _provider_is_transient(self, error):
        """Whether an exception raised by a handler is worth retrying (e.g. an API 429)."""
        return False

    def _provider_refresh_stale_event(self, event):
        """Called for an event that source time cannot place after the state Odoo shows
        (older than it, or in the same second as it or as another waiting event of the
        object). Read the object's current state through the provider's API, store it as
        events (``saas.event._receive`` with ``dispatch=False``) and return the events that
        carry it, in the order they apply — new ones, or the stored ones that already carry
        exactly that state, ``event`` itself included. The engine applies those not done yet
        and leaves ``event`` stale unless it is one of them. Return ``None`` when the object
        cannot be read: the engine then decides by time and ``_provider_event_rank``. Raise
        a transient error when the provider is unreachable."""
        return None

    def _provider_event_preparations(self, events):
        """Prepare at once what the handlers of ``events`` share — the waiting events of the
        objects one job processes, before any of them is applied: read what they all need in
        a few queries, create their documents together (one ``create`` for many) — and
        return the events something was prepared for (``None``: nothing was).

        Preparing is only a shortcut: whatever it does must leave each handler with the same
        outcome it reaches alone, it must not change the events, and anything it cannot do
        for an event it leaves to that event's handler. Runs in a savepoint: an error undoes
        it and the handlers do everything one by one. What it wrote stays only if every
        event it returns ends *done*; otherwise the engine undoes the job's work and applies
        the events again without preparing."""
        return None

    def _provider_event_rank(self, event_type):
        """Where an event type falls in its object's lifecycle (e.g. created 0, updated 1,
        deleted 2): the order of events stamped in the same second, and, when the object
        cannot be read, whether such an event may replace the state Odoo shows (only one of
        a higher rank may)."""
        return 0

    def _provider_event_is_read(self, event):
        """Whether ``event`` was made from a read of the provider's API (a Re-sync, a
        backfill) rather than delivered by it: the events of one read are in their order."""
        return False

    def _provider_test_connection(self):
        """Check the credentials against the provider; return a short success message."""
        raise UserError(self.env._("This provider has no connection test."))

    def _provider_reconciles(self):
        """Whether this provider implements ``_provider_reconcile``: only those backends get
        reconciliation runs, on demand or from the daily cron."""
        return False

    def _provider_reconcile(self, run):
        """Read the provider's documents of ``run``'s period through its API and hand them to
        ``run._reconcile_documents()`` as plain records of each type of
        ``_provider_reconciled_types``: the engine finds the Odoo documents bound to them,
        compares, classifies and records the summary and the drift. Anything else the
        provider compares goes through ``run._record_summary()``, ``run._record_comparisons()``
        or ``run._reconcile_subscriptions()``; ``run._add_note()`` says what could not be
        compared. See ``saas.reconciliation.run._period_bounds`` for the period's instants."""
        raise UserError(self.env._("This provider cannot be reconciled with Odoo."))

    def _provider_reconciled_types(self):
        """The document types ``_provider_reconcile`` lists, in the order of the summary: a
        list of :class:`~..lib.reconciliation.ReconciledType`."""
        return []

    def _provider_odoo_record(self, object_type, record):
        """The Odoo document ``record`` bound to an object of ``object_type``, as the
        provider would describe it: a :class:`~..lib.reconciliation.OdooRecord` whose status
        is in the provider's words."""
        raise NotImplementedError(object_type)

    def _provider_statuses_agree(self, object_type, status, odoo_status):
        """Whether the provider's ``status`` and the one the Odoo document stands for mean
        the same (a provider may have several statuses for one Odoo state)."""
        return status == odoo_status

    def _provider_period_documents(self, object_type, start, end):
        """``(external id, record)`` of the Odoo documents of ``object_type`` bound to this
        backend and dated in the period (``start``/``end``: aware UTC bounds), a document
        bound under several ids first under the one to name it by: those the provider did
        not list are asked for with ``_provider_has_object``."""
        return []

    def _provider_has_object(self, object_type, external_id):
        """Whether the provider has the object (read through its API): an Odoo document of
        the period it did not list and does not have is missing there."""
        return True

    def _provider_resync(self, drifts):
        """Read the objects of ``drifts`` (``saas.reconciliation.drift`` of this backend) from
        the provider and store the events that apply their current state — with what each
        needs first — without dispatching them: the engine applies them at once. Return
        ``(events, {drift id: reason})``: the ``saas.event`` records stored, in the order to
        apply them, and the drifts whose object could not be read. An event stored for a
        re-sync is new even when the object did not change, so that its state is applied
        again."""
        raise UserError(self.env._("This provider cannot re-synchronize objects."))

    def _provider_recompare(self, drifts):
        """Compare the objects of ``drifts`` again, read anew from the provider, as the run
        compared them: ``{drift id: lib.reconciliation.Comparison}``, or None for an object
        that no longer needs comparing (a draft the run would skip)."""
        raise UserError(self.env._("This provider cannot re-synchronize objects."))

    # ---------------------------------------------------------------------------------------
    # Helpers for providers
    # ---------------------------------------------------------------------------------------
    def _retry_delay(self, attempt):
        self.ensure_one()
        return retry_delay(
            attempt, base=self.retry_base_seconds, cap=self.retry_cap_seconds, jitter=0.2
        )
