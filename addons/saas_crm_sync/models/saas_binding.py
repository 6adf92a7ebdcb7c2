from odoo import api, models


class SaasBinding(models.Model):
    """A Stripe subscription reaches Odoo after its activation is done: the moment it is
    bound to its Stripe id is when the activation can first write its status back."""

    _inherit = "saas.binding"

    @api.model
    def bind_many(self, backend, record, external_ids, updated=None):
        bindings = super().bind_many(backend, record, external_ids, updated)
        if record._name == "saas.subscription":
            self.env["saas.crm.activation"]._of_subscriptions(record)._enqueue_writeback()
        return bindings
