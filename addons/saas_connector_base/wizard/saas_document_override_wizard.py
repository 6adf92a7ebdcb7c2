from odoo import fields, models
from odoo.exceptions import UserError


class SaasDocumentOverrideWizard(models.TransientModel):
    """A connector manager's confirmation, with a reason, of an operation that makes Odoo
    disagree with the provider that owns a document (see ``account_move.py``)."""

    _name = "saas.document.override.wizard"
    _description = "Override a Provider's Document"

    move_ids = fields.Many2many(
        "account.move",
        string="Documents",
        default=lambda self: self.env.context.get("active_ids"),
        required=True,
    )
    operation = fields.Selection(
        [
            ("draft", "Reset to Draft"),
            ("edit", "Edit the Lines"),
            ("payment", "Register a Payment"),
        ],
        required=True,
    )
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group("saas_connector_base.group_saas_manager"):
            raise UserError(self.env._("Only a connector manager may override a provider."))
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the provider's document is changed by hand."))
        moves = self.move_ids.with_context(saas_override_reason=reason)
        if self.operation == "payment":
            # Logged with the payment, once it is registered (account_payment_register.py).
            action = moves.action_register_payment()
            action["context"] = {**action.get("context", {}), "saas_override_reason": reason}
            return action
        moves._saas_log_override(self.operation, reason)
        if self.operation == "draft":
            moves.filtered(lambda move: move.state != "draft").button_draft()
        moves.sudo().write({"saas_unlocked": True})
        return {"type": "ir.actions.act_window_close"}
