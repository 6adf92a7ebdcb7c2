from odoo import fields, models


class SaasEventIgnoreWizard(models.TransientModel):
    """Ignore events on purpose, saying why: the reason stays on each event."""

    _name = "saas.event.ignore.wizard"
    _description = "Ignore SaaS Connector Events"

    event_ids = fields.Many2many(
        "saas.event", default=lambda self: self.env.context.get("active_ids"), required=True
    )
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.event_ids._ignore(self.reason)
        return {"type": "ir.actions.act_window_close"}
