from datetime import date

from odoo import fields, models, tools


class SaasRevenueWaterfall(models.Model):
    """Revenue by billed month and recognition month, one row per schedule line: the classic
    waterfall is its pivot, billed months down and recognition months across."""

    _name = "saas.revenue.waterfall"
    _inherit = ["saas.revenue.report.xlsx"]
    _description = "Deferred Revenue Waterfall"
    _auto = False
    _order = "billed_month, recognition_month"

    schedule_id = fields.Many2one("saas.revenue.schedule", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    company_currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    subscription_id = fields.Many2one("saas.subscription", readonly=True)
    income_account_id = fields.Many2one("account.account", readonly=True)
    billed_month = fields.Date(readonly=True)
    recognition_month = fields.Date(readonly=True)
    amount = fields.Monetary(currency_field="company_currency_id", readonly=True)
    state = fields.Selection([("planned", "Planned"), ("posted", "Posted")], readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # A posted row belongs to the month of its entry, later than planned if the month was
        # locked; a planned row to the month it falls due.
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS (
                SELECT line.id,
                       line.schedule_id,
                       schedule.move_id,
                       schedule.company_id,
                       company.currency_id AS company_currency_id,
                       schedule.partner_id,
                       schedule.product_id,
                       schedule.subscription_id,
                       schedule.income_account_id,
                       date_trunc('month', COALESCE(move.invoice_date, move.date))::date
                           AS billed_month,
                       date_trunc('month', COALESCE(line.posted_date, line.date))::date
                           AS recognition_month,
                       line.amount,
                       line.state
                  FROM saas_revenue_schedule_line line
                  JOIN saas_revenue_schedule schedule ON schedule.id = line.schedule_id
                  JOIN account_move move ON move.id = schedule.move_id
                  JOIN res_company company ON company.id = schedule.company_id
            )
            """
        )

    def action_export_xlsx(self):
        """The waterfall as a spreadsheet, whatever the selection: billed month, customer,
        product and subscription down, recognition month across, for all rows and for the
        planned and posted ones apart."""
        planned, posted = [("state", "=", "planned")], [("state", "=", "posted")]
        return self._xlsx_download(
            self.env._("Deferred Revenue Waterfall"),
            [
                self._xlsx_sheet(self.env._("By Billed Month"), "billed_month:month", []),
                self._xlsx_sheet(self.env._("Posted"), "billed_month:month", posted),
                self._xlsx_sheet(self.env._("Planned"), "billed_month:month", planned),
                self._xlsx_sheet(self.env._("By Customer"), "partner_id", []),
                self._xlsx_sheet(self.env._("By Product"), "product_id", []),
                self._xlsx_sheet(self.env._("By Subscription"), "subscription_id", []),
            ],
        )

    def _xlsx_sheet(self, title, row_groupby, domain):
        groups = self._read_group(domain, [row_groupby, "recognition_month:month"], ["amount:sum"])
        columns = sorted({month for _row, month, _amount in groups})
        matrix = {}
        for row, month, amount in groups:
            matrix.setdefault(row, {})[month] = amount
        rows = []
        for row, amounts in matrix.items():
            label = row if isinstance(row, date) else row.display_name or ""
            cells = [amounts.get(month, 0.0) for month in columns]
            rows.append([label, *cells, self.env.company.currency_id.round(sum(cells))])
        headers = [
            self._fields[row_groupby.split(":")[0]].get_description(self.env)["string"],
            *(month.strftime("%Y-%m") for month in columns),
            self.env._("Total"),
        ]
        return title, headers, rows
