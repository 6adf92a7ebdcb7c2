from odoo import fields, models
from odoo.exceptions import UserError

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
    # A company default rather than a backend's: deferral is accounting policy, the same
    # whatever system a product comes from, next to the deferred account it posts to.
    saas_defer_recurring = fields.Boolean(
        string="Defer Recurring Products by Default",
        help="Products arriving from a connector with a recurring price, and products whose "
        "Defer Revenue was never set when one of their invoice lines carries a service period, "
        "defer their revenue. A product on which someone set Defer Revenue keeps its setting.",
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

    def _saas_deferred_account(self):
        """The deferred revenue account, which deferral cannot do without."""
        self.ensure_one()
        if not self.saas_deferred_revenue_account_id:
            raise UserError(
                self.env._(
                    "Set a deferred revenue account in the accounting settings of %s: "
                    "invoice lines of deferrable products with a service period post there.",
                    self.display_name,
                )
            )
        return self.saas_deferred_revenue_account_id

    def _saas_revenue_journal(self):
        """The journal of the entries of deferred revenue, which they cannot do without."""
        self.ensure_one()
        if not self.saas_revenue_journal_id:
            raise UserError(
                self.env._(
                    "Set a revenue recognition journal in the accounting settings of %s.",
                    self.display_name,
                )
            )
        return self.saas_revenue_journal_id
