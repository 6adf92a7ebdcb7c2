from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    saas_deferred_revenue_account_id = fields.Many2one(
        related="company_id.saas_deferred_revenue_account_id", readonly=False
    )
    saas_defer_recurring = fields.Boolean(
        related="company_id.saas_defer_recurring", readonly=False
    )
    saas_revenue_journal_id = fields.Many2one(
        related="company_id.saas_revenue_journal_id", readonly=False
    )
    saas_revenue_basis = fields.Selection(related="company_id.saas_revenue_basis", readonly=False)
    saas_refund_policy = fields.Selection(related="company_id.saas_refund_policy", readonly=False)
    saas_contra_revenue_account_id = fields.Many2one(
        related="company_id.saas_contra_revenue_account_id", readonly=False
    )
    saas_cancel_policy = fields.Selection(related="company_id.saas_cancel_policy", readonly=False)
