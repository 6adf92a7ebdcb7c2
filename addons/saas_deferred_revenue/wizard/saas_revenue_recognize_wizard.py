from odoo import fields, models


class SaasRevenueRecognizeWizard(models.TransientModel):
    _name = "saas.revenue.recognize.wizard"
    _description = "Recognize Revenue"

    date = fields.Date(
        string="Recognize Up To",
        required=True,
        default=fields.Date.context_today,
        help="Every planned month whose service ended by this date is recognized; no entry "
        "is dated after it. A day within a month recognizes only the services of that month "
        "that ended by then.",
    )

    def action_recognize(self):
        self.ensure_one()
        moves = self.env["saas.revenue.schedule"].recognize_until(
            self.date, company_ids=self.env.companies.ids
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Revenue Recognition Entries"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", moves.ids)],
        }
