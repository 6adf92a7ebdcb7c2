from odoo import models


class AccountMove(models.Model):
    """An invoice of an activated subscription posted, cancelled or reset: the deal's last
    invoice changes."""

    _inherit = "account.move"

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals or "saas_subscription_id" in vals:
            self._enqueue_crm_writeback()
        return result

    def _enqueue_crm_writeback(self):
        subscriptions = self.sudo().saas_subscription_id
        if subscriptions:
            self.env["saas.crm.activation"]._of_subscriptions(subscriptions)._enqueue_writeback()
