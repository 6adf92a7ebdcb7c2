from odoo import fields, models


class SaasBindingMixin(models.AbstractModel):
    """Shows, on any business record, its external ids and the events that touched it."""

    _name = "saas.binding.mixin"
    _description = "SaaS Connector External IDs and Events on a Record"

    saas_binding_count = fields.Integer(
        string="External IDs",
        compute="_compute_saas_counts",
        groups="saas_connector_base.group_saas_user",
    )
    saas_event_count = fields.Integer(
        string="Connector Events",
        compute="_compute_saas_counts",
        groups="saas_connector_base.group_saas_user",
    )

    def _saas_count_by_record(self, model):
        if not self.ids:
            return {}
        return dict(
            self.env[model]
            .sudo()
            ._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)],
                ["res_id"],
                ["__count"],
            )
        )

    def _compute_saas_counts(self):
        bindings = self._saas_count_by_record("saas.binding")
        events = self._saas_count_by_record("saas.event.record")
        for record in self:
            record.saas_binding_count = bindings.get(record.id, 0)
            record.saas_event_count = events.get(record.id, 0)

    def action_view_saas_bindings(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("External IDs"),
            "res_model": "saas.binding",
            "view_mode": "list,form",
            "domain": [("res_model", "=", self._name), ("res_id", "=", self.id)],
        }

    def action_view_saas_events(self):
        self.ensure_one()
        event_ids = (
            self.env["saas.event.record"]
            .search([("res_model", "=", self._name), ("res_id", "=", self.id)])
            .event_id.ids
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Connector Events"),
            "res_model": "saas.event",
            "view_mode": "list,form",
            "domain": [("id", "in", event_ids)],
        }
