from odoo import api, fields, models


class SaasRevenueDeferWizard(models.TransientModel):
    """Revenue schedules for customer invoices posted before their products deferred revenue:
    the invoices selected, or those dated in a range."""

    _name = "saas.revenue.defer.wizard"
    _description = "Create Revenue Schedules for Posted Invoices"

    date_from = fields.Date(string="Invoices From")
    date_to = fields.Date(string="Invoices To", default=fields.Date.context_today)
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        domain="[('state', '=', 'posted'), ('move_type', 'in', ('out_invoice', 'out_refund'))]",
        help="Leave empty to take every posted customer invoice and credit note dated in the "
        "range.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "account.move" and "move_ids" in fields_list:
            values["move_ids"] = [fields.Command.set(self.env.context.get("active_ids", []))]
        return values

    def _moves(self):
        if self.move_ids:
            return self.move_ids
        domain = [
            ("company_id", "in", self.env.companies.ids),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
        ]
        if self.date_from:
            domain.append(("date", ">=", self.date_from))
        if self.date_to:
            domain.append(("date", "<=", self.date_to))
        return self.env["account.move"].search(domain)

    def action_create_schedules(self):
        self.ensure_one()
        schedules = self._moves()._saas_defer_posted_revenue()
        if not schedules:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self.env._(
                        "Every deferrable line of these invoices has its revenue schedule already."
                    ),
                },
            }
        return self.env["saas.revenue.schedule"]._action_open_schedules(
            [("id", "in", schedules.ids)]
        )
