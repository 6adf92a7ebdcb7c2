from odoo import api, models


class AccountPartialReconcile(models.Model):
    """A payment reconciled with an invoice of an activated subscription, or unreconciled
    from it: the invoice's payment status and the deal's last payment change. Payment states
    are computed from these records, so they are where the change is seen."""

    _inherit = "account.partial.reconcile"

    def _crm_moves(self):
        return (self.debit_move_id.move_id | self.credit_move_id.move_id).sudo()

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._crm_moves()._enqueue_crm_writeback()
        return partials

    def unlink(self):
        moves = self._crm_moves()
        result = super().unlink()
        moves._enqueue_crm_writeback()
        return result
