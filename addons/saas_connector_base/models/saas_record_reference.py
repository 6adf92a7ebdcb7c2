from odoo import fields, models


class SaasRecordReference(models.AbstractModel):
    """A pointer to any Odoo record (model + id), shown by name and openable: what bindings
    and event traces have in common."""

    _name = "saas.record.reference"
    _description = "SaaS Connector Reference to a Record"

    res_model = fields.Char(string="Model", required=True, index=True)
    res_id = fields.Many2oneReference(string="Record ID", model_field="res_model", required=True)
    res_model_name = fields.Char(
        string="Document Type", compute="_compute_res_model_name", help="e.g. Journal Entry."
    )
    record_name = fields.Char(string="Document", compute="_compute_record_name")

    _record_idx = models.Index("(res_model, res_id)")

    def _compute_res_model_name(self):
        # The model's name as its own screens call it, in the user's language.
        models_ = self.env["ir.model"].sudo()
        for reference in self:
            reference.res_model_name = (
                models_._get(reference.res_model).name or reference.res_model
                if reference.res_model
                else False
            )

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
