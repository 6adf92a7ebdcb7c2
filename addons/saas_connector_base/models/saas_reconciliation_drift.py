from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

DRIFT_KINDS = [
    ("missing_in_odoo", "Missing in Odoo"),
    ("missing_in_provider", "Missing at Provider"),
    ("amount_mismatch", "Amount Mismatch"),
    ("status_mismatch", "Status Mismatch"),
]


class SaasReconciliationDrift(models.Model):
    """An object on which the provider and Odoo disagree, found by a reconciliation run.

    **Re-sync** asks the provider for the object's current state and feeds it through the
    event inbox, exactly as a webhook would: the fix is an ordinary, traced event. The next
    run shows whether it worked.
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
        [("open", "Open"), ("resynced", "Re-synced"), ("resolved", "Resolved")],
        required=True,
        default="open",
        index=True,
        tracking=True,
    )
    message = fields.Text(readonly=True, help="What differs, and what the last re-sync did.")

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
        """Fetch each object from its provider and process it again (bulk: one call per
        backend). Drift the provider could not fetch stays open with the reason."""
        todo = self.filtered(lambda drift: drift.state != "resolved")
        if not todo:
            raise UserError(self.env._("Resolved drift lines are not re-synchronized."))
        by_backend = defaultdict(self.browse)
        for drift in todo:
            by_backend[drift.backend_id] |= drift
        for backend, drifts in by_backend.items():
            failures = backend._provider_resync(drifts) or {}
            for drift in drifts:
                if drift.id in failures:
                    drift.write({"state": "open", "message": failures[drift.id]})
                else:
                    drift.write(
                        {
                            "state": "resynced",
                            "message": self.env._(
                                "Fetched from the provider on %s and queued for processing; "
                                "run the reconciliation again to check.",
                                fields.Datetime.to_string(fields.Datetime.now()),
                            ),
                        }
                    )
        return True

    def action_resolve(self):
        """For drift that needs no fix (explained elsewhere), so that it leaves the open
        list; the chatter keeps who did it."""
        self.write({"state": "resolved"})
        return True

    def action_reopen(self):
        self.write({"state": "open"})
        return True
