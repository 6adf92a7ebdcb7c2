from odoo import Command, api, fields, models

from ..lib.money import odoo_decimal
from ..lib.mrr import classify, counts, round_amount

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
    _inherit = ["saas.binding.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    # Finance follows up on a subscription (notes, activities) without the right to change it.
    _mail_post_access = "read"
    # Finance names a subscription by its customer and plan; the provider's id finds it too.
    _rec_names_search = ["name", "partner_id.complete_name", "plan"]

    name = fields.Char(
        string="Provider Reference",
        required=True,
        help="The provider's reference of the subscription.",
    )
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
    plan = fields.Char(
        compute="_compute_plan",
        store=True,
        help="The products the subscription's items bill, in the items' order.",
    )
    billing_interval = fields.Char(
        compute="_compute_plan",
        store=True,
        help="How often the items are billed: monthly, yearly, every 3 months…",
    )
    invoice_count = fields.Integer(
        string="Invoices",
        compute="_compute_invoice_count",
        groups="account.group_account_readonly,account.group_account_invoice",
    )
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
        "item_ids.sequence",
        "item_ids.product_tmpl_id.name",
        "item_ids.price_ref",
        "item_ids.interval",
        "item_ids.interval_count",
    )
    def _compute_plan(self):
        for subscription in self:
            items = subscription.item_ids.sorted(lambda item: (item.sequence, item.id))
            subscription.plan = _joined(
                item.product_tmpl_id.name or item.price_ref for item in items
            )
            subscription.billing_interval = _joined(
                interval_label(item.interval, item.interval_count) for item in items
            )

    @api.depends("name", "partner_id.name", "plan", "billing_interval")
    def _compute_display_name(self):
        for subscription in self:
            parts = [
                subscription.partner_id.name,
                subscription.plan,
                subscription.billing_interval,
            ]
            # Without a plan yet (no snapshot applied), the reference tells it apart.
            if not subscription.plan:
                parts[1] = subscription.name
            subscription.display_name = " — ".join(filter(None, parts)) or subscription.name

    def _compute_invoice_count(self):
        counts = dict(
            self.env["account.move"]._read_group(
                [("saas_subscription_id", "in", self.ids)], ["saas_subscription_id"], ["__count"]
            )
        )
        for subscription in self:
            subscription.invoice_count = counts.get(subscription, 0)

    def action_view_invoices(self):
        """The invoices and credit notes that bill this subscription."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action.update(
            {
                "name": self.env._("Invoices of %s", self.display_name),
                "domain": [("saas_subscription_id", "=", self.id)],
                "context": {"create": False},
            }
        )
        return action

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
            subscription.arr = float(odoo_decimal(mrr, company_currency) * 12)

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
        # A document imported meanwhile by another transaction is found after the commit.
        documents._link_saas_subscription_after_commit(subscriptions.mapped("name"))
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
            odoo_decimal(in_currency_before, self.currency_id),
            odoo_decimal(self.mrr_in_currency, self.currency_id),
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


# Intervals as finance says them; any other count reads "every N <interval>s".
INTERVAL_LABELS = {"day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"}


def interval_label(interval, interval_count=1):
    """``monthly`` for one month, ``every 3 months`` for three; empty without an interval."""
    if not interval:
        return ""
    if (interval_count or 1) == 1:
        return INTERVAL_LABELS.get(interval, interval)
    return f"every {interval_count} {interval}s"


def _joined(labels):
    """Distinct non-empty labels, in order, separated by commas."""
    return ", ".join(dict.fromkeys(label for label in labels if label))
