from odoo import fields, models, tools


class SaasRevenueWaterfall(models.Model):
    """Revenue by billed month and recognition month, one row per schedule line: the classic
    waterfall is its pivot, billed months down and recognition months across."""

    _name = "saas.revenue.waterfall"
    _description = "Deferred Revenue Waterfall"
    _auto = False
    _order = "billed_month, recognition_month"

    schedule_id = fields.Many2one("saas.revenue.schedule", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    company_currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
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
