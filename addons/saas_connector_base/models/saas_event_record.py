from odoo import api, fields, models


class SaasEventRecord(models.Model):
    """Trace: a record an event created or changed. Read both ways — from an event to what it
    produced, and from a record to the events behind it."""

    _name = "saas.event.record"
    _inherit = ["saas.record.reference"]
    _description = "SaaS Connector Event Trace"
    _order = "id"

    event_id = fields.Many2one("saas.event", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="event_id.company_id", store=True)

    _event_record_unique = models.Constraint("UNIQUE (event_id, res_model, res_id)")

    @api.model
    def _link(self, event, records):
        """Link ``records`` (one recordset or an iterable of recordsets) to ``event``."""
        if isinstance(records, models.BaseModel):
            records = [records]
        pairs = {(record._name, record.id) for group in records or () for record in group}
        # A replayed event touches the same records again: link each once.
        pairs -= {(link.res_model, link.res_id) for link in event.sudo().record_ids}
        if pairs:
            self.sudo().create(
                [
                    {"event_id": event.id, "res_model": model, "res_id": res_id}
                    for model, res_id in sorted(pairs)
                ]
            )
