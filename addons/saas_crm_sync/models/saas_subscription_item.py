from odoo import api, models


class SaasSubscriptionItem(models.Model):
    """Items make a subscription's MRR: their changes are written back to the deal too."""

    _inherit = "saas.subscription.item"

    def _enqueue_writeback(self, subscriptions):
        self.env["saas.crm.activation"]._of_subscriptions(subscriptions)._enqueue_writeback()

    @api.model_create_multi
    def create(self, vals_list):
        items = super().create(vals_list)
        self._enqueue_writeback(items.subscription_id)
        return items

    def write(self, vals):
        subscriptions = self.subscription_id
        result = super().write(vals)
        self._enqueue_writeback(subscriptions | self.subscription_id)
        return result

    def unlink(self):
        self._enqueue_writeback(self.subscription_id)
        return super().unlink()
