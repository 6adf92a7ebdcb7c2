from decimal import Decimal

from odoo import api, fields, models

from ..lib.money import odoo_decimal
from ..lib.mrr import MONTHS_PER_INTERVAL, monthly_amount, round_amount

INTERVALS = [(interval, interval.title()) for interval in MONTHS_PER_INTERVAL]


class SaasSubscriptionItem(models.Model):
    """One priced line of a subscription, as the provider last described it."""

    _name = "saas.subscription.item"
    _description = "SaaS Subscription Item"
    _order = "subscription_id, sequence, id"

    subscription_id = fields.Many2one(
        "saas.subscription", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="subscription_id.company_id", store=True)
    currency_id = fields.Many2one(related="subscription_id.currency_id")
    sequence = fields.Integer(default=10)
    external_id = fields.Char(
        string="Item ID", help="The provider's id of this item; the next snapshot matches on it."
    )
    product_tmpl_id = fields.Many2one("product.template", string="Product", ondelete="restrict")
    price_ref = fields.Char(string="Price ID", help="The provider's id of the item's price.")
    unit_amount = fields.Monetary(
        help="Price of one unit per billing interval; empty for prices billed on usage."
    )
    unit_amount_exact = fields.Char(
        string="Exact Unit Amount",
        help="The unit amount exactly as the provider defines it, which can be finer than the "
        "currency's smallest unit; MRR is computed from it.",
    )
    quantity = fields.Integer()
    interval = fields.Selection(INTERVALS, string="Billing Interval")
    interval_count = fields.Integer(
        default=1, help="Intervals between two bills (3 months for a quarterly price)."
    )
    mrr = fields.Monetary(
        string="MRR",
        compute="_compute_mrr",
        store=True,
        help="What this item is worth per month in the subscription's currency, whatever the "
        "subscription's state: the subscription counts it only while it is billed.",
    )

    @api.depends(
        "unit_amount", "unit_amount_exact", "quantity", "interval", "interval_count", "currency_id"
    )
    def _compute_mrr(self):
        for item in self:
            item.mrr = float(round_amount(item._monthly_amount(), item.currency_id.decimal_places))

    def _monthly_amount(self):
        """The item's exact monthly value (``Decimal``), unrounded."""
        self.ensure_one()
        return monthly_amount(
            self._exact_unit_amount(), self.quantity, self.interval, self.interval_count
        )

    def _exact_unit_amount(self):
        if self.unit_amount_exact:
            return Decimal(self.unit_amount_exact)
        if not self.unit_amount:
            return None
        return odoo_decimal(self.unit_amount, self.currency_id)
