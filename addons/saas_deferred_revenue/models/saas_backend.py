from odoo import models


class SaasBackend(models.Model):
    """The backend's setup checklist names what deferral needs of its company."""

    _inherit = "saas.backend"

    def _setup_checklist(self):
        items = super()._setup_checklist()
        account = self.company_id.saas_deferred_revenue_account_id
        items.append(
            {
                "key": "deferred_revenue_account",
                "label": self.env._("Deferred revenue account"),
                "ok": bool(account),
                "why": self.env._(
                    "Lines with a service period are deferred to %s.", account.display_name
                )
                if account
                else self.env._(
                    "Invoices with deferrable lines fail until the company's deferred revenue "
                    "account is set (Invoicing → Configuration → Settings)."
                ),
            }
        )
        return items
