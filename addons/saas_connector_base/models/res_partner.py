from odoo import fields, models

SUBSCRIPTION_GROUPS = "saas_connector_base.group_saas_user"


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "saas.binding.mixin"]

    saas_subscription_count = fields.Integer(
        string="Subscriptions",
        compute="_compute_saas_subscriptions",
        groups=SUBSCRIPTION_GROUPS,
        help="Subscriptions of this customer and its contacts, whatever their state.",
    )
    saas_mrr = fields.Monetary(
        string="MRR",
        compute="_compute_saas_subscriptions",
        currency_field="saas_mrr_currency_id",
        groups=SUBSCRIPTION_GROUPS,
        help="Monthly recurring revenue of this customer's subscriptions and its contacts', in "
        "the currency of the current company.",
    )
    saas_mrr_currency_id = fields.Many2one(
        "res.currency", compute="_compute_saas_subscriptions", groups=SUBSCRIPTION_GROUPS
    )

    def _saas_subscription_domain(self):
        # Like invoices, a company's subscriptions count with those of its contacts.
        return [("partner_id", "child_of", self.ids)]

    def _compute_saas_subscriptions(self):
        currency = self.env.company.currency_id
        today = fields.Date.context_today(self)
        for partner in self:
            partner.saas_mrr_currency_id = currency
            if not partner.id:
                partner.saas_subscription_count = 0
                partner.saas_mrr = 0.0
                continue
            # The user's companies only: record rules keep the others out.
            subscriptions = self.env["saas.subscription"].search(
                partner._saas_subscription_domain()
            )
            partner.saas_subscription_count = len(subscriptions)
            # A subscription's MRR is in its company's currency: another company's converts
            # at today's rate.
            partner.saas_mrr = currency.round(
                sum(
                    subscription.company_currency_id._convert(
                        subscription.mrr, currency, self.env.company, today, round=False
                    )
                    for subscription in subscriptions
                )
            )

    def action_view_saas_subscriptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "saas_connector_base.action_saas_subscription"
        )
        action["domain"] = self._saas_subscription_domain()
        action["context"] = {"default_partner_id": self.id}
        return action
