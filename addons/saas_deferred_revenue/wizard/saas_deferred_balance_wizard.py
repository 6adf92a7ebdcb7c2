from odoo import fields, models


class SaasDeferredBalanceWizard(models.TransientModel):
    _name = "saas.deferred.balance.wizard"
    _description = "Deferred Revenue Balance at a Date"

    date = fields.Date(string="Balance At", required=True, default=fields.Date.context_today)

    def action_open(self):
        """The schedule lines billed by the date and not yet recognized on it, by customer and
        product: together, the deferred revenue balance on that date."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Deferred Revenue at %s", self.date),
            "res_model": "saas.revenue.schedule.line",
            "view_mode": "pivot,list",
            "views": [
                (
                    self.env.ref("saas_deferred_revenue.saas_revenue_schedule_line_view_pivot").id,
                    "pivot",
                ),
                (
                    self.env.ref("saas_deferred_revenue.saas_revenue_schedule_line_view_list").id,
                    "list",
                ),
            ],
            "domain": self._balance_domain(),
            "context": {"group_by": ["partner_id", "product_id"]},
        }

    def _balance_domain(self):
        return [
            ("billed_date", "<=", self.date),
            "|",
            ("state", "=", "planned"),
            ("posted_date", ">", self.date),
        ]
