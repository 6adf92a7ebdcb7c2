from odoo import models

from ..lib.hubspot_events import object_key


class SaasHubspotMergeHandler(models.AbstractModel):
    """HubSpot company and contact merges: the records merged into the primary one are gone
    from HubSpot, and their partners become the primary's partner (``res.partner._crm_merge``).
    """

    _name = "saas.hubspot.merge.handler"
    _inherit = "saas.event.handler"
    _description = "HubSpot Company and Contact Merge Handler"

    _provider = "hubspot"
    _handles = {"company.merge": "_merged", "contact.merge": "_merged"}

    def _merged(self, backend, event):
        payload = event.payload_json()
        object_type = event.object_type
        primary = object_key(object_type, payload.get("primaryObjectId") or payload["objectId"])
        merged = list(
            dict.fromkeys(
                object_key(object_type, object_id)
                for object_id in (payload["objectId"], *(payload.get("mergedObjectIds") or ()))
            )
        )
        partner = self.env["res.partner"]._crm_merge(backend, primary, merged)
        if not partner:
            event.sudo().note = self.env._(
                "Nothing to merge: no partner is linked to %s.", ", ".join([primary, *merged])
            )
        return partner
