from odoo import models

from ..lib.hubspot_deal import DEAL_PROPERTIES
from ..lib.writeback import HUBSPOT_PROPERTIES
from .saas_crm_activation import CrmParty


class SaasHubspotDealHandler(models.AbstractModel):
    """HubSpot deals: a deal created or changed is read again through the API (an event
    says what changed, not what the deal is now), and a won one is activated.

    Won is HubSpot's ``hs_is_closed_won``, or the pipeline's stage metadata (closed with
    probability 1.0): never the stage's name, which custom pipelines do not use.
    """

    _name = "saas.hubspot.deal.handler"
    _inherit = "saas.event.handler"
    _description = "HubSpot Deal Handler"

    _provider = "hubspot"
    _handles = {
        "deal.creation": "_deal_changed",
        "deal.propertyChange": "_deal_changed",
        "deal.deletion": "_deal_deleted",
    }

    def _deal_changed(self, backend, event):
        payload = event.payload_json()
        nothing = self.env["saas.crm.activation"]
        reason = self._ignored_because(backend, payload)
        if reason:
            event.sudo().note = reason
            return nothing
        api = backend._crm_api()
        deal = api.deal(event.object_external_id.partition("/")[2])
        if not deal.is_won:
            # Lost or reopened after its activation: flagged for a person, never cancelled.
            activation = nothing._of_deal(backend, event.object_external_id)
            activation._flag_deal("not_won")
            return activation
        company = None
        if deal.company:
            properties = api.company(deal.company, _vat_field(backend))
            company = CrmParty(
                key=f"company/{deal.company}",
                name=properties.get("name") or properties.get("domain") or deal.company,
                website=properties.get("domain") or None,
                vat=properties.get(backend.crm_company_vat_field or "") or None,
            )
        contacts = [
            CrmParty(
                key=f"contact/{contact_id}",
                name=" ".join(
                    filter(None, (properties.get("firstname"), properties.get("lastname")))
                )
                or properties.get("email")
                or contact_id,
                email=properties.get("email") or None,
            )
            for contact_id, properties in api.contacts(deal.contacts).items()
        ]
        activation = self.env["saas.crm.activation"]._activate(backend, deal, company, contacts)
        return [activation, activation.partner_id]

    def _deal_deleted(self, backend, event):
        activation = self.env["saas.crm.activation"]._of_deal(backend, event.object_external_id)
        activation._flag_deal("deleted")
        return activation

    def _ignored_because(self, backend, payload):
        """Why an event needs no reading of the deal, if it needs none. Odoo's own writes
        come back as events: those of our app, and changes of the properties Odoo writes
        back, must not start another sync (nor a loop)."""
        property_name = payload.get("propertyName")
        if backend._hubspot_own_app(payload):
            return self.env._(
                "Ignored: Odoo's own write (changeSource %(change)s, sourceId %(app)s).",
                change=payload.get("changeSource"),
                app=payload.get("sourceId"),
            )
        if property_name in HUBSPOT_PROPERTIES:
            return self.env._("Ignored: %s is written back by Odoo, which owns it.", property_name)
        if property_name and property_name not in DEAL_PROPERTIES:
            return self.env._("Ignored: the activation does not read property %s.", property_name)
        return None


def _vat_field(backend):
    return (backend.crm_company_vat_field,) if backend.crm_company_vat_field else ()
