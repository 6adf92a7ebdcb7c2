import uuid
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.reconciliation import classify

# Lines a later run or a person closed: nothing to re-synchronize.
CLOSED_STATES = ("resolved", "superseded")
# Lines a later run of the backend closes when it compares their object again.
TO_FIX_STATES = ("open", "in_flight", "failed")

DRIFT_KINDS = [
    ("missing_in_odoo", "Missing in Odoo"),
    ("missing_in_provider", "Missing at Provider"),
    ("amount_mismatch", "Amount Mismatch"),
    ("status_mismatch", "Status Mismatch"),
    ("items_mismatch", "Items Mismatch"),
    ("mrr_mismatch", "MRR Mismatch"),
]


class SaasReconciliationDrift(models.Model):
    """An object on which the provider and Odoo disagree, found by a reconciliation run.

    **Re-sync** asks the provider for the object's current state, feeds it through the event
    inbox exactly as a webhook would — the fix is an ordinary, traced event — and applies it
    at once. Then the object is compared again, as the run compared it: the line is *Fixed*
    when Odoo now shows the provider's state, *Failed* with what still differs (and the
    event's error) otherwise. The line itself keeps what the run found.

    An object whose events were still waiting to be applied when the run compared it is
    *Awaiting Events*, not open: the difference is most likely theirs to close (a
    reconciliation during a backlog). A later run that compares the object again closes the
    earlier runs' lines still to fix: *Resolved* when it found both sides in agreement,
    *Superseded* by its own line otherwise — so the lines to fix are one per object, the
    latest.
    """

    _name = "saas.reconciliation.drift"
    _description = "SaaS Reconciliation Drift"
    _inherit = ["mail.thread"]
    _order = "run_id desc, object_type, external_id"
    _rec_name = "external_id"

    run_id = fields.Many2one(
        "saas.reconciliation.run", required=True, ondelete="cascade", index=True, readonly=True
    )
    backend_id = fields.Many2one(related="run_id.backend_id", store=True, index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    object_type = fields.Char(
        string="Object Type Key", required=True, readonly=True, help="e.g. invoice, refund."
    )
    object_label = fields.Char(string="Object Type", readonly=True)
    external_id = fields.Char(string="External ID", required=True, readonly=True)
    kind = fields.Selection(DRIFT_KINDS, required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    provider_amount = fields.Monetary(string="Amount at Provider", readonly=True)
    provider_status = fields.Char(string="Status at Provider", readonly=True)
    odoo_amount = fields.Monetary(string="Amount in Odoo", readonly=True)
    odoo_status = fields.Char(string="Status in Odoo", readonly=True)
    difference = fields.Monetary(compute="_compute_difference", store=True)
    res_model = fields.Char(string="Odoo Model", readonly=True)
    res_id = fields.Many2oneReference(string="Odoo Record ID", model_field="res_model")
    record_name = fields.Char(string="Odoo Document", compute="_compute_record_name")
    state = fields.Selection(
        [
            ("open", "Open"),
            ("in_flight", "Awaiting Events"),
            ("fixed", "Fixed"),
            ("failed", "Re-sync Failed"),
            ("resolved", "Resolved"),
            ("superseded", "Superseded"),
        ],
        required=True,
        default="open",
        index=True,
        tracking=True,
    )
    message = fields.Text(readonly=True, help="What differs, and what the last re-sync did.")
    resynced_at = fields.Datetime(string="Last Re-sync", readonly=True)

    @api.depends("provider_amount", "odoo_amount")
    def _compute_difference(self):
        for drift in self:
            drift.difference = drift.provider_amount - drift.odoo_amount

    def _compute_record_name(self):
        for drift in self:
            record = (
                self.env[drift.res_model].browse(drift.res_id).exists()
                if drift.res_model and drift.res_id
                else None
            )
            drift.record_name = record.display_name if record else False

    def action_open_record(self):
        self.ensure_one()
        if not self.record_name:
            raise UserError(self.env._("Drift %s has no Odoo document.", self.external_id))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    def action_resync(self):
        """Fetch each object from its provider, apply it now and compare it again (bulk: one
        call per backend); each line records the outcome."""
        todo = self.filtered(lambda drift: drift.state not in CLOSED_STATES)
        if not todo:
            raise UserError(
                self.env._("Resolved or superseded drift lines are not re-synchronized.")
            )
        by_backend = defaultdict(self.browse)
        for drift in todo:
            by_backend[drift.backend_id] |= drift
        for backend, drifts in by_backend.items():
            drifts._resync(backend)
        return True

    def _resync(self, backend):
        now = fields.Datetime.now()
        # The events read for one re-sync share a correlation id: one trail per action.
        events, failures = backend.with_context(
            saas_correlation_id=uuid.uuid4().hex
        )._provider_resync(self)
        # The objects in the order the provider read them (what an object needs comes before
        # it), each processed now, waiting retries included: the user asks for it now.
        for object_id in dict.fromkeys(events.mapped("object_external_id")):
            backend._process_object_events(object_id, retry_now=True)
        fetched = self.filtered(lambda drift: drift.id not in failures)
        comparisons = backend._provider_recompare(fetched) if fetched else {}
        for drift in self:
            values = {"resynced_at": now}
            if drift.id in failures:
                values.update(state="failed", message=failures[drift.id])
            else:
                values.update(drift._resync_outcome(comparisons.get(drift.id), events))
            drift.write(values)

    def _resync_outcome(self, comparison, events):
        """State and message of a line whose object was read and applied again."""
        self.ensure_one()
        mine = events.filtered(lambda event: event.object_external_id == self.external_id)
        applied = ", ".join(mine.mapped("external_id")) or self.env._("none (no change)")
        errors = [
            f"{event.external_id}: {event.last_error}"
            for event in events
            if event.state != "done" and event.last_error
        ]
        kind = classify(comparison) if comparison else None
        if not kind and not errors:
            return {
                "state": "fixed",
                "message": self.env._(
                    "Re-synced on %(date)s: Odoo now shows the provider's state (events: "
                    "%(events)s).",
                    date=fields.Datetime.to_string(fields.Datetime.now()),
                    events=applied,
                ),
            }
        parts = [
            self.env._(
                "Re-synced on %(date)s (events: %(events)s), but Odoo still differs.",
                date=fields.Datetime.to_string(fields.Datetime.now()),
                events=applied,
            )
        ]
        if kind:
            labels = {self.object_type: self.object_label or self.object_type}
            parts.append(self.run_id._drift_values(comparison, labels)["message"])
        parts += errors
        return {"state": "failed", "message": "\n".join(parts)}

    def _close_compared_again(self, run, comparisons):
        """Close the lines of ``run``'s backend from earlier runs still to fix whose object
        ``run`` compared again (``comparisons``): resolved when both sides now agree,
        superseded by ``run``'s line otherwise."""
        compared = {(c.object_type, c.external_id): c for c in comparisons}
        earlier = self.search(
            [
                ("backend_id", "=", run.backend_id.id),
                ("run_id", "!=", run.id),
                ("state", "in", TO_FIX_STATES),
                ("external_id", "in", list({key[1] for key in compared})),
            ]
        )
        now = fields.Datetime.to_string(fields.Datetime.now())
        for drift in earlier:
            comparison = compared.get((drift.object_type, drift.external_id))
            if not comparison:
                continue
            if classify(comparison):
                state = "superseded"
                note = self.env._(
                    "Superseded on %(date)s by reconciliation %(run)s, which still finds drift.",
                    date=now,
                    run=run.name,
                )
            else:
                state = "resolved"
                note = self.env._(
                    "Resolved on %(date)s: reconciliation %(run)s finds both sides in agreement.",
                    date=now,
                    run=run.name,
                )
            drift.write(
                {"state": state, "message": f"{drift.message}\n{note}" if drift.message else note}
            )

    def action_resolve(self):
        """For drift that needs no fix (explained elsewhere), so that it leaves the open
        list; the chatter keeps who did it."""
        self.write({"state": "resolved"})
        return True

    def action_reopen(self):
        self.write({"state": "open"})
        return True

    @api.ondelete(at_uninstall=False)
    def _unlink_except_done_run(self):
        if any(drift.run_id.state == "done" for drift in self):
            raise UserError(
                self.env._(
                    "A finished reconciliation keeps its drift lines: mark them resolved instead."
                )
            )
