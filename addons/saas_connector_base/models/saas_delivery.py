from odoo import fields, models
from odoo.exceptions import UserError

RECEIVED_FIELDS = frozenset({"backend_id", "received_at", "body"})


class SaasDelivery(models.Model):
    """A webhook delivery kept verbatim, when its events are not the body itself: a batch of
    events (a JSON array, an XML envelope of notifications) is stored as one event per item,
    each with its own part of the body, and the body as received is kept here once.

    Inserted by the intake in the statement that stores its events, and only when one of
    them is new; never changed afterwards.
    """

    _name = "saas.delivery"
    _description = "SaaS Connector Webhook Delivery"
    _order = "id desc"

    backend_id = fields.Many2one("saas.backend", required=True, readonly=True, ondelete="restrict")
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    received_at = fields.Datetime(readonly=True)
    body = fields.Text(readonly=True, help="The request body exactly as received.")
    event_ids = fields.One2many("saas.event", "delivery_id", string="Events", readonly=True)

    def write(self, vals):
        # Like its events, the delivery is the audit record of what was received.
        if RECEIVED_FIELDS.intersection(vals):
            raise UserError(
                self.env._("What was received is kept verbatim and cannot be changed.")
            )
        return super().write(vals)
