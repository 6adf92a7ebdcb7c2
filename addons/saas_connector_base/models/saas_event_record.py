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
    def _move_references(self, src_records, dst_record):
        # An event that touched two of the merged records keeps one link, to the kept record.
        if src_records:
            self.flush_model()
            self.env.cr.execute(
                """
                DELETE FROM saas_event_record link
                 WHERE link.res_model = %(model)s AND link.res_id IN %(src)s
                   AND EXISTS (SELECT 1 FROM saas_event_record other
                                WHERE other.event_id = link.event_id
                                  AND other.res_model = link.res_model
                                  AND (other.res_id = %(dst)s
                                       OR (other.res_id IN %(src)s AND other.id < link.id)))
                """,
                {"model": dst_record._name, "src": tuple(src_records.ids), "dst": dst_record.id},
            )
            self.invalidate_model()
        return super()._move_references(src_records, dst_record)

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
