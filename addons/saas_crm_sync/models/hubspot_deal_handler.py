from odoo import models

from ..lib.hubspot_deal import DEAL_PROPERTIES
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
    }

    def _deal_changed(self, backend, event):
        payload = event.payload_json()
        # A change of a property the activation does not read cannot win the deal.
        if payload.get("propertyName") and payload["propertyName"] not in DEAL_PROPERTIES:
            return self.env["saas.crm.activation"]
        api = backend._crm_api()
        deal = api.deal(event.object_external_id.partition("/")[2])
        if not deal.is_won:
            return self.env["saas.crm.activation"]
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


def _vat_field(backend):
    return (backend.crm_company_vat_field,) if backend.crm_company_vat_field else ()
