from odoo import models


class AccountPaymentRegister(models.TransientModel):
    """Payments registered by hand on documents a provider owns: refused or logged with their
    reason on each document, as ``account.move._saas_guard`` says."""

    _inherit = "account.payment.register"

    def _create_payments(self):
        moves = self.line_ids.move_id
        moves._saas_guard("payment")
        payments = super()._create_payments()
        reason = self.env.context.get("saas_override_reason")
        if reason and not self.env.context.get("saas_connector_processing"):
            moves._saas_provider_owned()._saas_log_override("payment", reason)
        return payments
