from odoo import api, models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    @api.model
    def _update_reference_fields(self, src_partners, dst_partner):
        """The merged partners' external ids and event traces go to the kept partner: the
        next event of a merged customer then updates it instead of creating the customer
        again. A kept partner bound on the same backend already keeps its own external id
        too — each id stays unique, and all of them lead to the kept partner."""
        result = super()._update_reference_fields(src_partners, dst_partner)
        for model in ("saas.binding", "saas.event.record"):
            self.env[model].sudo()._move_references(src_partners, dst_partner)
        return result
