from odoo import api, fields, models


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "saas.binding.mixin"]

    saas_subscription_ref = fields.Char(
        string="Provider Subscription",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The provider's id of the subscription this document bills.",
    )
    saas_subscription_id = fields.Many2one(
        "saas.subscription",
        string="Subscription",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The subscription this document bills. Set when both are in Odoo, whichever came "
        "first: an invoice imported before its subscription is linked when the subscription "
        "arrives.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        moves.filtered("saas_subscription_ref")._link_saas_subscription()
        return moves

    def write(self, vals):
        result = super().write(vals)
        if vals.get("saas_subscription_ref"):
            self._link_saas_subscription()
        return result

    def _reverse_moves(self, default_values_list=None, cancel=False):
        # A credit note bills (back) the same subscription as the invoice it reverses.
        default_values_list = default_values_list or [{} for _move in self]
        for move, values in zip(self, default_values_list, strict=True):
            values.setdefault("saas_subscription_ref", move.saas_subscription_ref)
        return super()._reverse_moves(default_values_list, cancel=cancel)

    def _link_saas_subscription(self):
        subscriptions = (
            self.env["saas.subscription"]
            .sudo()
            .search(
                [
                    ("name", "in", list(set(self.mapped("saas_subscription_ref")))),
                    ("company_id", "in", self.company_id.ids),
                ]
            )
        )
        by_key = {(sub.company_id.id, sub.name): sub for sub in subscriptions}
        for move in self:
            subscription = by_key.get((move.company_id.id, move.saas_subscription_ref))
            if subscription and move.saas_subscription_id != subscription:
                move.sudo().saas_subscription_id = subscription
