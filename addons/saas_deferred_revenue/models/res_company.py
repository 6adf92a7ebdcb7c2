from odoo import fields, models

from ..lib.schedule import BASIS_DAYS, BASIS_FULL_MONTHS, BASIS_MONTHS

REVENUE_BASIS_SELECTION = [
    (BASIS_DAYS, "Days"),
    (BASIS_MONTHS, "Months"),
    (BASIS_FULL_MONTHS, "Full months"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    saas_deferred_revenue_account_id = fields.Many2one(
        "account.account",
        string="Deferred Revenue Account",
        check_company=True,
        domain="[('account_type', 'in', ('liability_current', 'liability_non_current'))]",
        help="Invoice lines of deferrable products with a service period post here; "
        "recognition moves the amounts to their income account as the service is delivered.",
    )
    saas_revenue_journal_id = fields.Many2one(
        "account.journal",
        string="Revenue Recognition Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="Journal of the month-end revenue recognition entries.",
    )
    saas_revenue_basis = fields.Selection(
        REVENUE_BASIS_SELECTION,
        string="Revenue Recognition Basis",
        required=True,
        default=BASIS_DAYS,
        help="Days: every service day earns the same revenue. Months: every full month earns "
        "the same revenue, partial months pro rata of their days. Full months: every month the "
        "service touches earns the same revenue.",
    )
    saas_refund_policy = fields.Selection(
        [("contra", "Contra revenue account"), ("reduce_revenue", "Reduce revenue")],
        string="Refund of Recognized Revenue",
        required=True,
        default="reduce_revenue",
        help="Where a credit note of a whole invoice takes back the revenue already recognized: "
        "a contra revenue account, or the income account it was recognized into.",
    )
    saas_contra_revenue_account_id = fields.Many2one(
        "account.account",
        string="Contra Revenue Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
    )
    saas_cancel_policy = fields.Selection(
        [("recognize_remaining", "Recognize the remainder"), ("keep_schedule", "Keep schedule")],
        string="Cancellation Without Refund",
        required=True,
        default="recognize_remaining",
        help="When a subscription ends early without a refund, recognize the remaining deferred "
        "revenue at the end of service, or keep recognizing it over the billed period.",
    )
