from odoo import fields, models


class SaasRevenueScheduleLine(models.Model):
    """One month's share of a revenue schedule: planned until recognition posts it."""

    _name = "saas.revenue.schedule.line"
    _description = "Revenue Schedule Line"
    _order = "date, id"

    schedule_id = fields.Many2one(
        "saas.revenue.schedule", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="schedule_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="schedule_id.currency_id", store=True)
    # Stored to group the deferred balance by customer, product and subscription.
    partner_id = fields.Many2one(related="schedule_id.partner_id", store=True, index=True)
    product_id = fields.Many2one(related="schedule_id.product_id", store=True, index=True)
    subscription_id = fields.Many2one(
        related="schedule_id.subscription_id", store=True, index="btree_not_null"
    )
    billed_date = fields.Date(
        related="schedule_id.billed_date", string="Billed On", store=True, index=True
    )
    company_currency_id = fields.Many2one(
        related="schedule_id.company_currency_id", string="Company Currency"
    )
    date = fields.Date(
        required=True,
        readonly=True,
        index=True,
        help="Last service day of the month: the revenue is due for recognition from then on.",
    )
    amount = fields.Monetary(currency_field="company_currency_id", readonly=True)
    amount_currency = fields.Monetary(
        string="Amount in Currency", currency_field="currency_id", readonly=True
    )
    state = fields.Selection(
        [("planned", "Planned"), ("posted", "Posted")],
        required=True,
        default="planned",
        readonly=True,
        index=True,
    )
    move_id = fields.Many2one(
        "account.move", string="Recognition Entry", readonly=True, index="btree_not_null"
    )
    posted_date = fields.Date(
        readonly=True, help="Date of the recognition entry; later than Date if it was locked."
    )
    note = fields.Char(readonly=True)
