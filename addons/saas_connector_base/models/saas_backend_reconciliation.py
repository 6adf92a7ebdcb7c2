from odoo import fields, models
from odoo.exceptions import UserError


class SaasBackend(models.Model):
    """Reconciliation from the backend: a run of the month to date, on demand."""

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    reconciliation_run_ids = fields.One2many(
        "saas.reconciliation.run", "backend_id", string="Reconciliations"
    )
    reconciliation_open_drift_count = fields.Integer(
        string="Open Drift", compute="_compute_reconciliation_open_drift_count"
    )

    def _compute_reconciliation_open_drift_count(self):
        counts = dict(
            self.env["saas.reconciliation.drift"]._read_group(
                [("backend_id", "in", self.ids), ("state", "in", ("open", "failed"))],
                ["backend_id"],
                ["__count"],
            )
        )
        for backend in self:
            backend.reconciliation_open_drift_count = counts.get(backend, 0)

    def _provider_label(self):
        """The provider's name as users read it (drift messages: "… in Stripe")."""
        self.ensure_one()
        return dict(self._fields["provider"]._description_selection(self.env)).get(
            self.provider, self.provider or ""
        )

    def action_reconcile(self):
        """Reconcile the month to date (today included) and show the run."""
        self.ensure_one()
        if not self._provider_reconciles():
            raise UserError(self.env._("The provider of %s cannot be reconciled.", self.name))
        runs = self.env["saas.reconciliation.run"]
        today = runs._company_today(self.company_id)
        run = runs.create(
            {"backend_id": self.id, "date_from": today.replace(day=1), "date_to": today}
        )
        run._execute()
        return {
            "type": "ir.actions.act_window",
            "res_model": "saas.reconciliation.run",
            "res_id": run.id,
            "view_mode": "form",
        }

    def action_view_reconciliation_drift(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "saas_connector_base.action_saas_reconciliation_drift"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        return action
