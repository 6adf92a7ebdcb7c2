from odoo import fields, models


class SaasRevenueRecognizeWizard(models.TransientModel):
    _name = "saas.revenue.recognize.wizard"
    _description = "Recognize Revenue"

    date = fields.Date(
        string="Recognize Up To",
        required=True,
        default=fields.Date.context_today,
        help="Every planned month whose service ended by this date is recognized.",
    )

    def action_recognize(self):
        self.ensure_one()
        moves = self.env["saas.revenue.schedule"].recognize_until(
            self.date, company=self.env.companies
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Revenue Recognition Entries"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", moves.ids)],
        }
