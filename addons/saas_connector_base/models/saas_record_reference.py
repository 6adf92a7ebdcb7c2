from odoo import api, fields, models
from odoo.tools import SQL


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

    @api.model
    def _move_references(self, src_records, dst_record):
        """Point the references to ``src_records`` at ``dst_record`` instead: what a merge of
        records (partners) does to them, so that the next event of an external object bound
        to a merged record finds the kept one."""
        if not src_records:
            return
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET res_id = %s WHERE res_model = %s AND res_id IN %s",
                SQL.identifier(self._table),
                dst_record.id,
                dst_record._name,
                tuple(src_records.ids),
            )
        )
        self.invalidate_model(["res_id"])

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
