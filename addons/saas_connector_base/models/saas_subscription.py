from odoo import Command, api, fields, models

from ..lib.mrr import classify, counts, round_amount
from .saas_subscription_item import monetary_decimal

# Every status a billing provider reports; Stripe's list is the widest known.
SUBSCRIPTION_STATES = [
    ("incomplete", "Incomplete"),
    ("incomplete_expired", "Incomplete, Expired"),
    ("trialing", "Trialing"),
    ("active", "Active"),
    ("past_due", "Past Due"),
    ("unpaid", "Unpaid"),
    ("paused", "Paused"),
    ("canceled", "Canceled"),
]


class SaasSubscription(models.Model):
    """A customer's subscription as its billing provider last described it, with its monthly
    recurring revenue and the history of both.

    Providers never write it field by field: they hand each new state of the subscription to
    :meth:`_apply_snapshot`, which keeps the items in step and appends one history row per
    change of state or MRR. MRR counts only while the subscription is billed (active, past
    due, unpaid — see ``lib/mrr``): a trial is worth nothing until it converts.
    """

    _name = "saas.subscription"
    _description = "SaaS Subscription"
    _inherit = ["saas.binding.mixin"]
    _order = "id desc"

    name = fields.Char(required=True, help="The provider's reference of the subscription.")
    backend_id = fields.Many2one(
        "saas.backend", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="restrict", index=True
    )
    currency_id = fields.Many2one("res.currency", required=True)
    state = fields.Selection(
        SUBSCRIPTION_STATES,
        index=True,
        help="Empty until the provider's first description of the subscription is applied.",
    )
    started_at = fields.Datetime(string="Started")
    current_period_start = fields.Datetime()
    current_period_end = fields.Datetime()
    trial_start = fields.Datetime()
    trial_end = fields.Datetime()
    cancel_at_period_end = fields.Boolean(
        help="The customer canceled; the subscription ends with the paid period."
    )
    cancel_at = fields.Datetime(string="Ends At", help="When a scheduled cancellation applies.")
    canceled_at = fields.Datetime()
    ended_at = fields.Datetime()
    collection_paused = fields.Boolean(
        help="Invoices are not collected for now; the subscription itself goes on (and keeps "
        "its MRR) until its state says otherwise."
    )
    collection_resumes_at = fields.Datetime()
    item_ids = fields.One2many("saas.subscription.item", "subscription_id", string="Items")
    history_ids = fields.One2many("saas.subscription.history", "subscription_id")
    mrr_in_currency = fields.Monetary(
        string="MRR in Subscription Currency",
        compute="_compute_mrr",
        store=True,
        help="Monthly recurring revenue in the currency the customer is billed in.",
    )
    mrr_date = fields.Date(
        string="MRR Rate Date",
        readonly=True,
        help="When the MRR last changed: its conversion to the company currency uses the "
        "rate of that day, so that exchange rates alone never move it.",
    )
    mrr = fields.Monetary(
        string="MRR",
        currency_field="company_currency_id",
        compute="_compute_mrr",
        store=True,
        aggregator="sum",
        help="Monthly recurring revenue in the company currency: yearly prices count a "
        "twelfth, weekly 52/12, daily 365/12. Zero unless the subscription is billed.",
    )
    arr = fields.Monetary(
        string="ARR",
        currency_field="company_currency_id",
        compute="_compute_mrr",
        store=True,
        aggregator="sum",
        help="Annual recurring revenue: twelve times the MRR.",
    )

    @api.depends(
        "state",
        "currency_id",
        "company_id.currency_id",
        "mrr_date",
        "item_ids.unit_amount",
        "item_ids.unit_amount_exact",
        "item_ids.quantity",
        "item_ids.interval",
        "item_ids.interval_count",
    )
    def _compute_mrr(self):
        for subscription in self:
            currency = subscription.currency_id
            company_currency = subscription.company_currency_id
            if not counts(subscription.state) or not currency:
                subscription.update({"mrr_in_currency": 0.0, "mrr": 0.0, "arr": 0.0})
                continue
            # The sum is rounded once: items rounded one by one could miss a cent.
            in_currency = round_amount(
                sum(item._monthly_amount() for item in subscription.item_ids),
                currency.decimal_places,
            )
            mrr = currency._convert(
                float(in_currency),
                company_currency,
                subscription.company_id,
                subscription.mrr_date or fields.Date.context_today(subscription),
            )
            subscription.mrr_in_currency = float(in_currency)
            subscription.mrr = mrr
            subscription.arr = float(monetary_decimal(mrr, company_currency) * 12)

    @api.model_create_multi
    def create(self, vals_list):
        subscriptions = super().create(vals_list)
        # Documents imported before their subscription name it: link them now, so that the
        # link does not depend on which arrived first.
        documents = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("saas_subscription_ref", "in", subscriptions.mapped("name")),
                    ("company_id", "in", subscriptions.company_id.ids),
                    ("saas_subscription_id", "=", False),
                ]
            )
        )
        documents._link_saas_subscription()
        return subscriptions

    # ---------------------------------------------------------------------------------------
    # API for providers
    # ---------------------------------------------------------------------------------------
    def _apply_snapshot(self, values, items, at, event=None):
        """Make the subscription what the provider says it is at ``at`` (an aware or UTC
        datetime) and return the history row this appends, if any.

        ``values`` are subscription fields; ``items`` the complete list of item values, each
        with its ``external_id``, by which existing items are updated, new ones created and
        the others removed. One history row is appended when the state or the MRR changed,
        linked to ``event`` (the ``saas.event`` that carried the change) when given.
        """
        self.ensure_one()
        state_before = self.state
        mrr_before = self.mrr
        in_currency_before = self.mrr_in_currency
        had_mrr_before = any(self.history_ids.mapped("mrr_after"))
        self.write({**values, "item_ids": self._item_commands(items)})
        mrr_moved = bool(
            self.currency_id.compare_amounts(self.mrr_in_currency, in_currency_before)
        )
        if mrr_moved:
            self.mrr_date = at.date()
        if not mrr_moved and self.state == state_before:
            return self.env["saas.subscription.history"]
        # The movement is the customer's, in the currency they pay: an exchange rate between
        # two changes shows in the delta, never as an expansion or a contraction.
        movement = classify(
            monetary_decimal(in_currency_before, self.currency_id),
            monetary_decimal(self.mrr_in_currency, self.currency_id),
            had_mrr_before,
        )
        return self.env["saas.subscription.history"].create(
            {
                "subscription_id": self.id,
                "date": at.replace(tzinfo=None),
                "state_before": state_before,
                "state_after": self.state,
                "mrr_before": mrr_before,
                "mrr_after": self.mrr,
                "movement": movement,
                "event_id": event.id if event else False,
            }
        )

    def _item_commands(self, items):
        existing = {item.external_id: item for item in self.item_ids}
        commands = []
        for sequence, item_values in enumerate(items, start=1):
            item = existing.pop(item_values.get("external_id"), None)
            values = {**item_values, "sequence": sequence}
            commands.append(Command.update(item.id, values) if item else Command.create(values))
        commands.extend(Command.unlink(item.id) for item in existing.values())
        return commands
