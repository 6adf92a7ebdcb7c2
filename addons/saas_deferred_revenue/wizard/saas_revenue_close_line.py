from odoo import fields, models


class SaasRevenueCloseLine(models.TransientModel):
    """One line of a month-end close preview: what the close moves between a deferred revenue
    account and an income account, in one currency, before anything is posted."""

    _name = "saas.revenue.close.line"
    _description = "Month-End Close Preview Line"
    _order = "company_id, currency_id, income_account_id, deferred_account_id, id"

    recognize_wizard_id = fields.Many2one(
        "saas.revenue.recognize.wizard", index=True, ondelete="cascade"
    )
    undo_wizard_id = fields.Many2one("saas.revenue.undo.wizard", index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    income_account_id = fields.Many2one("account.account", string="Revenue Account", readonly=True)
    deferred_account_id = fields.Many2one(
        "account.account", string="Deferred Revenue Account", readonly=True
    )
    currency_id = fields.Many2one("res.currency", readonly=True)
    months = fields.Char(readonly=True, help="Months whose revenue the line holds.")
    line_count = fields.Integer(string="Schedule Lines", readonly=True)
    amount_currency = fields.Monetary(string="Amount", currency_field="currency_id", readonly=True)
    amount = fields.Monetary(
        string="In Company Currency", currency_field="company_currency_id", readonly=True
    )
