from odoo import models


class SaasSubscription(models.Model):
    """A subscription made by a deal's activation writes its status back to the deal when
    anything that makes it changes (state, currency, items and so MRR)."""

    _inherit = "saas.subscription"

    def write(self, vals):
        result = super().write(vals)
        self.env["saas.crm.activation"]._of_subscriptions(self)._enqueue_writeback()
        return result
