from odoo import fields, models


class SaasRevenueUndoWizard(models.TransientModel):
    _name = "saas.revenue.undo.wizard"
    _description = "Undo Revenue Recognition"

    date = fields.Date(
        string="Month",
        required=True,
        default=fields.Date.context_today,
        help="Any day of the month whose recognition is undone.",
    )

    def action_undo(self):
        self.ensure_one()
        reversals = self.env["saas.revenue.schedule"].undo_period(
            self.date, company_ids=self.env.companies.ids
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reversed Revenue Recognition"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", (reversals | reversals.reversed_entry_id).ids)],
        }
