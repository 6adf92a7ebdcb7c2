from odoo import models

from ..lib.hubspot_events import object_key


class SaasHubspotMergeHandler(models.AbstractModel):
    """HubSpot merges: the records merged into the primary one are gone from HubSpot. The
    partners of merged companies and contacts become the primary's partner
    (``res.partner._crm_merge``); the activation of merged deals follows the primary deal
    (``saas.crm.activation._merge_deals``)."""

    _name = "saas.hubspot.merge.handler"
    _inherit = "saas.event.handler"
    _description = "HubSpot Merge Handler"

    _provider = "hubspot"
    _handles = {"company.merge": "_merged", "contact.merge": "_merged", "deal.merge": "_deals"}

    def _keys(self, event):
        """The primary record's key and those of the records merged into it."""
        payload = event.payload_json()
        object_type = event.object_type
        primary = object_key(object_type, payload.get("primaryObjectId") or payload["objectId"])
        merged = [
            key
            for key in dict.fromkeys(
                object_key(object_type, object_id)
                for object_id in (payload["objectId"], *(payload.get("mergedObjectIds") or ()))
            )
            if key != primary
        ]
        return primary, merged

    def _deals(self, backend, event):
        primary, merged = self._keys(event)
        activations = self.env["saas.crm.activation"]._merge_deals(backend, primary, merged)
        if not activations:
            event.sudo().note = self.env._(
                "Nothing to merge: no deal of %s was activated.", ", ".join([primary, *merged])
            )
        return activations

    def _merged(self, backend, event):
        primary, merged = self._keys(event)
        partner = self.env["res.partner"]._crm_merge(backend, primary, merged)
        if not partner:
            event.sudo().note = self.env._(
                "Nothing to merge: no partner is linked to %s.", ", ".join([primary, *merged])
            )
        return partner
