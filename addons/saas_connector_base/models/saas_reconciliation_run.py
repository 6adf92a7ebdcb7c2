import logging
import traceback
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..lib.money import odoo_decimal
from ..lib.reconciliation import (
    AMOUNT_MISMATCH,
    ITEMS_MISMATCH,
    MISSING_IN_ODOO,
    MISSING_IN_PROVIDER,
    MRR_MISMATCH,
    STATUS_MISMATCH,
    Comparison,
    classify,
    describe_items,
    item_pairs,
    summarize,
)
from ..lib.xlsx import Amount, Sheet, workbook
from .saas_event import WAITING_STATES
from .saas_event_processing import READABLE_ERRORS

_logger = logging.getLogger(__name__)


class SaasReconciliationRun(models.Model):
    """One comparison of a provider account with Odoo over a period.

    The provider reads its own side through its API — not through the bindings, so that an
    object whose events never arrived is found too — and hands it to the run
    (``saas.backend._provider_reconcile`` → ``_reconcile_documents``) as plain records; the
    run finds the Odoo documents bound to them, compares both sides, classifies the drift
    and writes a summary line per object type and currency (count and total on each side)
    and a drift line per object that differs. Drift leaves an activity for the backend's
    responsible; each drift line can be re-synchronized from the provider.
    """

    _name = "saas.reconciliation.run"
    _description = "SaaS Reconciliation Run"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "started_at desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    backend_id = fields.Many2one(
        "saas.backend",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
        domain=[("active", "=", True)],
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    provider = fields.Selection(related="backend_id.provider")
    date_from = fields.Date(string="From", required=True)
    date_to = fields.Date(string="To", required=True)
    trigger = fields.Selection(
        [("manual", "On Demand"), ("cron", "Daily")], required=True, default="manual"
    )
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done"), ("failed", "Failed")],
        required=True,
        default="draft",
        tracking=True,
        copy=False,
    )
    started_at = fields.Datetime(readonly=True, copy=False)
    finished_at = fields.Datetime(readonly=True, copy=False)
    note = fields.Text(
        readonly=True,
        copy=False,
        help="What the run could not compare, e.g. object types the provider account does not "
        "offer, and why a failed run failed.",
    )
    line_ids = fields.One2many("saas.reconciliation.line", "run_id", string="Summary")
    drift_ids = fields.One2many("saas.reconciliation.drift", "run_id")
    drift_count = fields.Integer(compute="_compute_drift_counts", store=True)
    open_drift_count = fields.Integer(
        string="Open Drift", compute="_compute_drift_counts", store=True
    )

    @api.depends("backend_id.name", "date_from", "date_to")
    def _compute_name(self):
        for run in self:
            run.name = self.env._(
                "%(backend)s, %(start)s to %(end)s",
                backend=run.backend_id.name or "",
                start=run.date_from or "",
                end=run.date_to or "",
            )

    @api.depends("drift_ids.state")
    def _compute_drift_counts(self):
        for run in self:
            run.drift_count = len(run.drift_ids)
            run.open_drift_count = len(
                run.drift_ids.filtered(lambda d: d.state in ("open", "failed"))
            )

    # ---------------------------------------------------------------------------------------
    # Running
    # ---------------------------------------------------------------------------------------
    def action_run(self):
        """Compare the period. A run that is done or failed keeps its lines: running it again
        makes a new run of the same backend and period, which is shown."""
        again = self.env["saas.reconciliation.run"]
        for run in self:
            if run.state == "draft":
                run._execute()
                continue
            rerun = run.copy({"trigger": "manual"})
            rerun._execute()
            again |= rerun
        if len(again) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "saas.reconciliation.run",
                "res_id": again.id,
                "view_mode": "form",
            }
        return True

    def _execute(self):
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("Reconciliation %s has already run.", self.name))
        if not self.backend_id.active:
            raise UserError(self.env._("Backend %s is archived.", self.backend_id.name))
        self.write({"started_at": fields.Datetime.now(), "finished_at": False, "note": False})
        try:
            with self.env.cr.savepoint():
                self.backend_id._provider_reconcile(self)
        except Exception as error:
            # A run that cannot reach the provider must say why, not vanish: the cron goes on
            # with the other backends.
            _logger.warning("Reconciliation %s failed", self.name, exc_info=True)
            self.write(
                {
                    "state": "failed",
                    "finished_at": fields.Datetime.now(),
                    "note": str(error)
                    if isinstance(error, READABLE_ERRORS)
                    else self.env._(
                        "Unexpected error (%(kind)s): %(error)s",
                        kind=error.__class__.__name__,
                        error=error,
                    ),
                }
            )
            self.message_post(body="".join(traceback.format_exception_only(error)))
            return
        self.write({"state": "done", "finished_at": fields.Datetime.now()})
        if self.open_drift_count:
            self._notify_drift()

    def _notify_drift(self):
        """An activity on the run for the backend's responsible. The daily run finds the same
        drift until it is fixed: the activity of an earlier run of the backend is closed in
        favour of this one, so the to-do list holds one entry per backend."""
        activity_type = self.env.ref("saas_connector_base.mail_activity_type_reconciliation_drift")
        earlier = self.search(
            [("backend_id", "=", self.backend_id.id), ("id", "!=", self.id)]
        ).activity_ids.filtered(lambda activity: activity.activity_type_id == activity_type)
        earlier.sudo().action_feedback(
            feedback=self.env._("Superseded by reconciliation %s.", self.name)
        )
        self.sudo().activity_schedule(
            activity_type_id=activity_type.id,
            user_id=(self.backend_id.responsible_id or self.env.ref("base.user_admin")).id,
            summary=self.env._("%s drift lines to review", self.open_drift_count),
            note=self.env._(
                "The provider and Odoo disagree on some documents of %s. Re-sync the drift "
                "lines, then run the reconciliation again.",
                self.name,
            ),
        )

    @api.model
    def _cron_reconcile(self):
        """Daily: each active backend whose provider reconciles, over the month to date up to
        yesterday — on the first of a month, that is the whole previous month. Yesterday is
        complete (today's objects may still have deliveries in flight), and a month-long
        period keeps showing drift that is not fixed yet instead of letting it age out."""
        backends = (
            self.env["saas.backend"]
            .search([("active", "=", True)])
            .filtered(lambda backend: backend._provider_reconciles())
        )
        for backend in backends:
            yesterday = self._company_today(backend.company_id) - timedelta(days=1)
            run = self.create(
                {
                    "backend_id": backend.id,
                    "date_from": yesterday.replace(day=1),
                    "date_to": yesterday,
                    "trigger": "cron",
                }
            )
            run._execute()
            # Each backend's run is kept, whatever happens to the next one.
            self.env["ir.cron"]._commit_progress(1)

    @api.model
    def _company_today(self, company):
        zone = ZoneInfo(company.partner_id.tz or "UTC")
        return datetime.now(UTC).astimezone(zone).date()

    # ---------------------------------------------------------------------------------------
    # API for providers
    # ---------------------------------------------------------------------------------------
    def _period_bounds(self):
        """``(start, end)`` as aware UTC datetimes: from the first day's midnight to the
        midnight after the last day, in the company's time zone — the zone in which imported
        documents get their dates."""
        self.ensure_one()
        zone = ZoneInfo(self.company_id.partner_id.tz or "UTC")
        start = datetime.combine(self.date_from, time.min, zone)
        end = datetime.combine(self.date_to + timedelta(days=1), time.min, zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def _reconcile_documents(self, listings):
        """Compare the documents a provider lists for the period with Odoo's, and record the
        summary and the drift. ``listings`` maps the keys of
        ``_provider_reconciled_types`` to the :class:`~..lib.reconciliation.ProviderRecord`
        list of each type; a type left out (or None) is not compared — the provider notes
        why. Odoo documents of the period (``_provider_period_documents``) that the provider
        did not list are asked for one by one (``_provider_has_object``): the provider dates
        objects by creation, Odoo by finalization or payment, so one created just before the
        period is no drift; one the provider does not have is missing there. Returns the
        comparisons."""
        self.ensure_one()
        kinds = self.backend_id._provider_reconciled_types()
        comparisons = []
        for kind in kinds:
            listed = listings.get(kind.key)
            if listed is None:
                continue
            found = self._compare_listed(kind.key, listed)
            comparisons += found + self._compare_unlisted(kind.key, found)
        self._record_summary(self._summary_values(comparisons, kinds))
        self._record_comparisons(comparisons, {kind.key: kind.label for kind in kinds})
        return comparisons

    def _reconciled_type(self, object_type):
        kinds = self.backend_id._provider_reconciled_types()
        return next(kind for kind in kinds if kind.key == object_type)

    def _compare_listed(self, object_type, listed):
        """The comparisons of the provider's records of one type with the Odoo documents
        bound to them, read in one query."""
        backend = self.backend_id
        model = self._reconciled_type(object_type).model
        keys = {key for item in listed for key in item.lookup_keys()}
        bound = self.env["saas.binding"].lookup_many(backend, model, keys)
        comparisons = []
        for item in listed:
            record = next((bound[key] for key in item.lookup_keys() if key in bound), None)
            if not record and item.optional:
                continue
            comparison = Comparison(
                object_type, item.external_id, item.currency, item.amount, item.status
            )
            if record:
                self._compare_odoo_side(comparison, record)
            comparisons.append(comparison)
        return comparisons

    def _compare_unlisted(self, object_type, listed):
        """The Odoo documents of the period that the provider did not list and does not
        have."""
        backend = self.backend_id
        start, end = self._period_bounds()
        documents = backend._provider_period_documents(object_type, start, end)
        # A listed object counts under every id its document is bound to (a payment under its
        # payment intent and its charge).
        listed_records = {c.record for c in listed if c.record}
        seen = {c.external_id for c in listed} | {
            external_id for external_id, record in documents if record in listed_records
        }
        comparisons = []
        # A document the provider did not list is checked once, under the first id it is
        # bound to.
        checked = set(listed_records)
        for external_id, record in documents:
            if external_id in seen or record in checked:
                continue
            checked.add(record)
            if backend._provider_has_object(object_type, external_id):
                continue  # created outside the period by the provider's clock
            comparisons.append(self._compare_missing(object_type, external_id, record))
        return comparisons

    def _compare_missing(self, object_type, external_id, record):
        """The comparison of an object the provider does not have with its Odoo
        ``record`` (which may be gone too)."""
        comparison = Comparison(object_type, external_id, None, listed=False)
        if record:
            self._compare_odoo_side(comparison, record)
        return comparison

    def _compare_odoo_side(self, comparison, record):
        """Fill the Odoo side of ``comparison`` from ``record``, as the provider describes
        it; a status the provider takes as its own is shown in its words."""
        backend = self.backend_id
        odoo = backend._provider_odoo_record(comparison.object_type, record)
        comparison.record = record
        comparison.odoo_currency = odoo.currency
        comparison.odoo_amount = odoo.amount
        comparison.odoo_status = odoo.status
        if comparison.listed:
            comparison.status_matches = backend._provider_statuses_agree(
                comparison.object_type, comparison.status, odoo.status
            )
            if comparison.status_matches:
                comparison.odoo_status = comparison.status
        return comparison

    def _summary_values(self, comparisons, kinds):
        """Summary lines of the documents compared, in the order of ``kinds``."""
        order = {kind.key: sequence for sequence, kind in enumerate(kinds)}
        labels = {kind.key: kind.label for kind in kinds}
        totals = summarize(comparisons, {kind.key for kind in kinds if kind.by_status})
        return [
            {
                "sequence": order[object_type],
                "object_type": f"{object_type}:{status}" if status else object_type,
                "name": f"{labels[object_type]} ({status})" if status else labels[object_type],
                # Objects without money (contacts) are counted in the company's currency.
                "currency_id": (
                    self._currency_of(currency) if currency else self.company_id.currency_id
                ).id,
                "provider_count": count,
                "provider_total": float(total),
                "odoo_count": odoo_count,
                "odoo_total": float(odoo_total),
            }
            for (object_type, status, currency), (
                count,
                total,
                odoo_count,
                odoo_total,
            ) in totals.items()
        ]

    def _add_note(self, text):
        self.ensure_one()
        self.note = f"{self.note}\n{text}" if self.note else text

    def _record_summary(self, values_list):
        """Summary lines: dicts of ``saas.reconciliation.line`` values without ``run_id``."""
        self.ensure_one()
        return self.env["saas.reconciliation.line"].create(
            [{**values, "run_id": self.id} for values in values_list]
        )

    def _record_drift(self, values_list):
        """Drift lines: dicts of ``saas.reconciliation.drift`` values without ``run_id``."""
        self.ensure_one()
        return self.env["saas.reconciliation.drift"].create(
            [{**values, "run_id": self.id} for values in values_list]
        )

    def _record_comparisons(self, comparisons, labels):
        """Drift lines of the comparisons (``lib.reconciliation.Comparison``) on which the
        provider and Odoo disagree; ``labels`` names each object type. An object with events
        still waiting to be applied gets a line *Awaiting Events*; earlier runs' lines to fix
        of the objects compared are closed (``_close_compared_again``)."""
        self.ensure_one()
        values_list = [values for c in comparisons if (values := self._drift_values(c, labels))]
        waiting = self._waiting_event_counts({values["external_id"] for values in values_list})
        for values in values_list:
            if count := waiting.get(values["external_id"]):
                values["state"] = "in_flight"
                values["message"] += "\n" + self.env._(
                    "%s events of this object were still waiting to be applied: run the "
                    "reconciliation again once they are.",
                    count,
                )
        drift = self._record_drift(values_list)
        self.env["saas.reconciliation.drift"]._close_compared_again(self, comparisons)
        return drift

    def _waiting_event_counts(self, external_ids):
        """How many events of each of ``external_ids`` wait to be applied on the backend."""
        if not external_ids:
            return {}
        return dict(
            self.env["saas.event"]
            .sudo()
            ._read_group(
                [
                    ("backend_id", "=", self.backend_id.id),
                    ("object_external_id", "in", list(external_ids)),
                    ("state", "in", WAITING_STATES),
                ],
                ["object_external_id"],
                ["__count"],
            )
        )

    def _drift_values(self, c, labels):
        """The drift line values of a comparison, or None when both sides agree."""
        kind = classify(c)
        if not kind:
            return None
        return {
            "object_type": c.object_type,
            "object_label": labels.get(c.object_type, c.object_type),
            "external_id": c.external_id,
            "kind": kind,
            # Objects without money (contacts) are shown in the company's currency.
            "currency_id": (
                self._currency_of(c.currency or c.odoo_currency)
                if c.currency or c.odoo_currency
                else self.company_id.currency_id
            ).id,
            "provider_amount": float(c.amount or 0),
            "provider_status": c.status or False,
            "odoo_amount": float(c.odoo_amount or 0),
            "odoo_status": c.odoo_status or False,
            "res_model": c.record._name if c.record else False,
            "res_id": c.record.id if c.record else False,
            "message": self._drift_message(kind, c),
        }

    def _drift_message(self, kind, c):
        """What differs, in words: the figures of both sides."""
        figures = {
            "provider": self.backend_id._provider_label(),
            "record": c.record.display_name if c.record else "",
            "amount": c.amount,
            "currency": c.currency,
            "status": c.status,
            "items": describe_items(c.items or ()),
            "odoo_amount": c.odoo_amount,
            "odoo_currency": c.odoo_currency,
            "odoo_status": c.odoo_status,
            "odoo_items": describe_items(c.odoo_items or ()),
        }
        templates = {
            MISSING_IN_PROVIDER: self.env._(
                "Odoo has %(record)s for it; %(provider)s answers that it does not exist."
            ),
            MISSING_IN_ODOO: self.env._("%(provider)s has it; no Odoo document is bound to it."),
            AMOUNT_MISMATCH: self.env._(
                "%(amount)s %(currency)s in %(provider)s, %(odoo_amount)s %(odoo_currency)s "
                "on %(record)s."
            ),
            STATUS_MISMATCH: self.env._(
                "%(status)s in %(provider)s, %(odoo_status)s on %(record)s."
            ),
            ITEMS_MISMATCH: self.env._(
                "%(provider)s sells %(items)s (MRR %(amount)s %(currency)s); %(record)s has "
                "%(odoo_items)s (MRR %(odoo_amount)s %(odoo_currency)s)."
            ),
            MRR_MISMATCH: self.env._(
                "MRR %(amount)s %(currency)s in %(provider)s, %(odoo_amount)s "
                "%(odoo_currency)s on %(record)s."
            ),
        }
        return templates[kind] % figures

    def _currency_of(self, code):
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", (code or "").upper())], limit=1)
        )
        if not currency:
            raise UserError(self.env._("Currency %s is unknown to Odoo.", code))
        return currency

    # ---------------------------------------------------------------------------------------
    # Subscriptions
    # ---------------------------------------------------------------------------------------
    def _reconcile_subscriptions(self, states, fetch, label):
        """Compare the subscriptions a provider describes now (``states``: every
        ``lib.reconciliation.SubscriptionState`` it lists) with the backend's subscriptions in
        Odoo, and record a summary line per currency — how many subscriptions are live (not
        canceled nor expired) and their MRR, on each side — and a drift line per subscription
        that differs.

        A subscription of Odoo the provider did not list is asked for with ``fetch(external
        id)`` (its state, or None when the provider does not have it): a provider may list only
        some statuses. One that ended before the period and that Odoo never had is no drift:
        it ended before what the period covers."""
        self.ensure_one()
        start, _end = self._period_bounds()
        records = self.env["saas.subscription"].search([("backend_id", "=", self.backend_id.id)])
        by_name = {record.name: record for record in records}
        comparisons = []
        for state in states:
            record = by_name.pop(state.external_id, None)
            if not record and state.ended_at and state.ended_at < start:
                continue
            comparisons.append(self._compare_subscription(state, record))
        for name, record in by_name.items():
            state = fetch(name)
            if state is None:
                comparison = self._compare_subscription(None, record)
                comparison.listed = False
            else:
                comparison = self._compare_subscription(state, record)
            comparisons.append(comparison)
        self._record_summary(self._subscription_summary(comparisons, label))
        self._record_comparisons(comparisons, {"subscription": label})
        return comparisons

    def _compare_subscription(self, state, record):
        """The comparison of a provider's subscription ``state`` (None when the provider does
        not have it) with its Odoo ``record`` (None when Odoo has none)."""
        currency = state and self._currency_of(state.currency)
        comparison = Comparison(
            "subscription",
            state.external_id if state else record.name,
            state and state.currency,
            state and state.mrr(currency.decimal_places),
            state and state.status,
            items=state and state.item_pairs(),
        )
        if record:
            comparison.record = record
            comparison.odoo_currency = record.currency_id.name
            comparison.odoo_amount = odoo_decimal(record.mrr_in_currency, record.currency_id)
            comparison.odoo_status = record.state or False
            comparison.odoo_items = item_pairs(
                (item.price_ref, item.quantity) for item in record.item_ids
            )
            comparison.status_matches = not state or comparison.odoo_status == state.status
            if comparison.items is None:
                comparison.items = comparison.odoo_items
        return comparison

    def _subscription_summary(self, comparisons, label):
        ended = ("canceled", "incomplete_expired", False, None)
        totals = {}
        for c in comparisons:
            for currency, status, mrr, offset in (
                (c.currency, c.status, c.amount, 0),
                (c.odoo_currency, c.odoo_status, c.odoo_amount, 2),
            ):
                if not currency or status in ended:
                    continue
                figures = totals.setdefault(currency, [0, 0.0, 0, 0.0])
                figures[offset] += 1
                figures[offset + 1] += float(mrr or 0)
        return [
            {
                # After the documents of the period: subscriptions are a state, not a flow.
                "sequence": 90,
                "object_type": "subscription",
                "name": self.env._("%s (live, MRR)", label),
                "currency_id": self._currency_of(currency).id,
                "provider_count": count,
                "provider_total": total,
                "odoo_count": odoo_count,
                "odoo_total": odoo_total,
            }
            for currency, (count, total, odoo_count, odoo_total) in sorted(totals.items())
        ]

    # ---------------------------------------------------------------------------------------
    # UI
    # ---------------------------------------------------------------------------------------
    def action_view_drift(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "saas_connector_base.action_saas_reconciliation_drift"
        )
        action.update(
            domain=[("run_id", "=", self.id)],
            context={"search_default_open": 1},
        )
        return action

    def action_export_xlsx(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/saas/reconciliation/{self.id}/xlsx",
            "target": "download",
        }

    def _xlsx_filename(self):
        self.ensure_one()
        return f"reconciliation-{self.backend_id.name}-{self.date_from}-{self.date_to}.xlsx"

    def _xlsx_content(self):
        """The run as a workbook: a summary sheet (the period, then one row per object type
        and currency) and a drift sheet (one row per drift line), every amount with the
        decimals of its currency."""
        self.ensure_one()

        def amount(value, currency):
            return Amount(value, currency.decimal_places) if currency else value

        def labels(model, name):
            return dict(self.env[model]._fields[name]._description_selection(self.env))

        kinds = labels("saas.reconciliation.drift", "kind")
        states = labels("saas.reconciliation.drift", "state")
        summary = Sheet(
            self.env._("Summary"),
            [
                self.env._("Object Type"),
                self.env._("Currency"),
                self.env._("Count at Provider"),
                self.env._("Total at Provider"),
                self.env._("Count in Odoo"),
                self.env._("Total in Odoo"),
                self.env._("Count Difference"),
                self.env._("Difference"),
            ],
            [
                [
                    line.name,
                    line.currency_id.name,
                    line.provider_count,
                    amount(line.provider_total, line.currency_id),
                    line.odoo_count,
                    amount(line.odoo_total, line.currency_id),
                    line.count_difference,
                    amount(line.difference, line.currency_id),
                ]
                for line in self.line_ids
            ],
            preamble=(
                (self.env._("Backend"), self.backend_id.name),
                (self.env._("Period"), f"{self.date_from} to {self.date_to}"),
                (self.env._("State"), labels(self._name, "state")[self.state]),
                (self.env._("Run at"), fields.Datetime.to_string(self.started_at) or ""),
                (self.env._("Open drift"), self.open_drift_count),
                (self.env._("Notes"), self.note or ""),
            ),
        )
        drift = Sheet(
            self.env._("Drift"),
            [
                self.env._("Object Type"),
                self.env._("External ID"),
                self.env._("Drift"),
                self.env._("Currency"),
                self.env._("Amount at Provider"),
                self.env._("Status at Provider"),
                self.env._("Amount in Odoo"),
                self.env._("Status in Odoo"),
                self.env._("Difference"),
                self.env._("Odoo Document"),
                self.env._("State"),
                self.env._("Message"),
            ],
            [
                [
                    drift.object_label or drift.object_type,
                    drift.external_id,
                    kinds[drift.kind],
                    drift.currency_id.name or "",
                    amount(drift.provider_amount, drift.currency_id),
                    drift.provider_status or "",
                    amount(drift.odoo_amount, drift.currency_id),
                    drift.odoo_status or "",
                    amount(drift.difference, drift.currency_id),
                    drift.record_name or "",
                    states[drift.state],
                    drift.message or "",
                ]
                for drift in self.drift_ids
            ],
        )
        return workbook([summary, drift])

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for run in self:
            if run.date_from > run.date_to:
                raise ValidationError(
                    self.env._("A reconciliation period cannot end before it starts.")
                )

    @api.constrains("backend_id")
    def _check_provider_reconciles(self):
        for run in self:
            if not run.backend_id._provider_reconciles():
                raise ValidationError(
                    self.env._(
                        "The provider of %s cannot be reconciled with Odoo.", run.backend_id.name
                    )
                )
