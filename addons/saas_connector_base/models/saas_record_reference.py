from odoo import fields, models


class SaasRecordReference(models.AbstractModel):
    """A pointer to any Odoo record (model + id), shown by name and openable: what bindings
    and event traces have in common."""

    _name = "saas.record.reference"
    _description = "SaaS Connector Reference to a Record"

    res_model = fields.Char(string="Model", required=True, index=True)
    res_id = fields.Many2oneReference(string="Record ID", model_field="res_model", required=True)
    record_name = fields.Char(compute="_compute_record_name")

    _record_idx = models.Index("(res_model, res_id)")

    def _compute_record_name(self):
        for reference in self:
            record = self.env[reference.res_model].browse(reference.res_id).exists()
            reference.record_name = record.display_name if record else False

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
