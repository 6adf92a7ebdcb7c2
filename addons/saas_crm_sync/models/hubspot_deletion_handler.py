from odoo import models


class SaasHubspotDeletionHandler(models.AbstractModel):
    """HubSpot companies and contacts deleted: their partners stay (invoices, payments and
    subscriptions hang on them) but are no longer linked to the deleted records, so that a
    stale id never leads a later deal to them (``res.partner._crm_forget``). Deleted deals
    are the deal handler's."""

    _name = "saas.hubspot.deletion.handler"
    _inherit = "saas.event.handler"
    _description = "HubSpot Company and Contact Deletion Handler"

    _provider = "hubspot"
    _handles = {"company.deletion": "_deleted", "contact.deletion": "_deleted"}

    def _deleted(self, backend, event):
        partners = self.env["res.partner"]._crm_forget(backend, [event.object_external_id])
        if not partners:
            event.sudo().note = self.env._(
                "Nothing to unlink: no partner is linked to %s.", event.object_external_id
            )
        return partners
