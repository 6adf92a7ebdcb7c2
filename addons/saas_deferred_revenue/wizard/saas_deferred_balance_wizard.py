from odoo import fields, models
from odoo.addons.saas_connector_base.lib.xlsx import Sheet


class SaasDeferredBalanceWizard(models.TransientModel):
    _name = "saas.deferred.balance.wizard"
    _inherit = ["saas.revenue.report.xlsx"]
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
            "context": {"group_by": ["partner_id", "product_id", "subscription_id"]},
        }

    def _balance_domain(self):
        return [
            ("billed_date", "<=", self.date),
            "|",
            ("state", "=", "planned"),
            ("posted_date", ">", self.date),
        ]

    def _xlsx_export(self):
        """The balance on the date as a spreadsheet: its total by customer, product and
        subscription in the company currency, then every schedule line it is made of, in its
        invoice's currency and in the company's."""
        self.ensure_one()
        lines = self.env["saas.revenue.schedule.line"]
        company_currency = self.env.company.currency_id
        domain = self._balance_domain()
        groupby = ["partner_id", "product_id", "subscription_id"]
        totals = [
            [
                partner.display_name,
                product.display_name,
                subscription.display_name or "",
                self._xlsx_amount(amount, company_currency),
            ]
            for partner, product, subscription, amount in lines._read_group(
                domain, groupby, ["amount:sum"]
            )
        ]
        details = [
            [
                line.partner_id.display_name,
                line.product_id.display_name,
                line.subscription_id.display_name or "",
                line.schedule_id.move_id.display_name,
                line.billed_date,
                line.date,
                line.currency_id.name,
                self._xlsx_amount(line.amount_currency, line.currency_id),
                self._xlsx_amount(line.amount, line.company_currency_id),
            ]
            for line in lines.search(domain, order="partner_id, product_id, date, id")
        ]

        def label(name):
            return lines._fields[name].get_description(self.env)["string"]

        return self.env._("Deferred revenue balance %s", self.date), [
            Sheet(self.env._("By Customer"), [*map(label, groupby), label("amount")], totals),
            Sheet(
                self.env._("Schedule Lines"),
                [
                    *map(label, groupby),
                    self.env._("Invoice"),
                    label("billed_date"),
                    label("date"),
                    label("currency_id"),
                    label("amount_currency"),
                    label("amount"),
                ],
                details,
            ),
        ]
