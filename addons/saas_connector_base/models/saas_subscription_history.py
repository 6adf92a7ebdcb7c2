from odoo import api, fields, models

from ..lib.money import odoo_decimal
from ..lib.mrr import CHURN, CONTRACTION, EXPANSION, NEW, REACTIVATION
from .saas_subscription import SUBSCRIPTION_STATES

MOVEMENTS = [
    (NEW, "New"),
    (EXPANSION, "Expansion"),
    (CONTRACTION, "Contraction"),
    (CHURN, "Churn"),
    (REACTIVATION, "Reactivation"),
]


class SaasSubscriptionHistory(models.Model):
    """One change of a subscription's state or MRR, appended and never rewritten: the MRR
    movements report (new, expansion, contraction, churn, reactivation) adds these up, and
    the running sum of the deltas is the MRR at any date."""

    _name = "saas.subscription.history"
    _description = "SaaS Subscription History"
    _order = "date desc, id desc"
    _rec_name = "subscription_id"

    subscription_id = fields.Many2one(
        "saas.subscription", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="subscription_id.company_id", store=True)
    company_currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(related="subscription_id.partner_id", store=True)
    date = fields.Datetime(required=True, readonly=True, index=True)
    state_before = fields.Selection(SUBSCRIPTION_STATES, readonly=True)
    state_after = fields.Selection(SUBSCRIPTION_STATES, readonly=True)
    mrr_before = fields.Monetary(
        string="MRR Before", currency_field="company_currency_id", readonly=True
    )
    mrr_after = fields.Monetary(
        string="MRR After", currency_field="company_currency_id", readonly=True
    )
    mrr_delta = fields.Monetary(
        string="MRR Change",
        currency_field="company_currency_id",
        compute="_compute_mrr_delta",
        store=True,
        aggregator="sum",
    )
    movement = fields.Selection(
        MOVEMENTS, readonly=True, index=True, help="Empty when only the state changed."
    )
    event_id = fields.Many2one("saas.event", ondelete="set null", readonly=True)

    @api.depends("mrr_before", "mrr_after")
    def _compute_mrr_delta(self):
        for row in self:
            currency = row.company_currency_id
            row.mrr_delta = float(
                odoo_decimal(row.mrr_after, currency) - odoo_decimal(row.mrr_before, currency)
            )
