from odoo import models

from ..lib.deal import to_bool
from .saas_crm_activation import CrmParty


class SaasSalesforceOpportunityHandler(models.AbstractModel):
    """Salesforce opportunities, as outbound messages bring them: an opportunity that may be
    won is read again over REST (a message is not signed, and only the org's own answer is
    trusted) and a won one is activated. Won is ``IsWon``, never a stage name."""

    _name = "saas.salesforce.opportunity.handler"
    _inherit = "saas.event.handler"
    _description = "Salesforce Opportunity Handler"

    _provider = "salesforce"
    _handles = {"Opportunity.outbound": "_opportunity_changed"}

    def _opportunity_changed(self, backend, event):
        fields_ = event.payload_json()["fields"]
        nothing = self.env["saas.crm.activation"]
        integration_user = (backend.salesforce_integration_user_id or "").strip()
        if (
            integration_user
            and (fields_.get("LastModifiedById") or "")[:15] == (integration_user[:15])
        ):
            # Odoo's own write (the write-back), come back as a message.
            event.sudo().note = self.env._(
                "Ignored: changed by the integration user %s, Odoo's own write.",
                integration_user,
            )
            return nothing
        # A message that says an opportunity never activated is not won needs no call; any
        # other is checked against the org.
        activation = nothing._of_deal(backend, f"Opportunity/{fields_['Id']}")
        if to_bool(fields_.get("IsWon"), "IsWon") is False and not activation:
            return nothing
        api = backend._crm_api()
        deal = api.opportunity(fields_["Id"])
        if not deal.is_won:
            # Lost or reopened after its activation: flagged for a person, never cancelled.
            activation._flag_deal("not_won")
            return activation
        vat_field = (backend.crm_company_vat_field or "").strip()
        company = None
        if deal.company:
            account = api.account(deal.company, (vat_field,) if vat_field else ())
            company = CrmParty(
                key=f"Account/{deal.company}",
                name=account.get("Name") or deal.company,
                website=account.get("Website") or None,
                vat=account.get(vat_field) if vat_field else None,
            )
        contacts = [
            CrmParty(
                key=f"Contact/{contact_id}",
                name=" ".join(filter(None, (record.get("FirstName"), record.get("LastName"))))
                or record.get("Email")
                or contact_id,
                email=record.get("Email") or None,
            )
            for contact_id, record in api.contacts(list(deal.contacts)).items()
        ]
        self._follow_merges(backend, api, deal)
        activation = self.env["saas.crm.activation"]._activate(backend, deal, company, contacts)
        return [activation, activation.partner_id]

    def _follow_merges(self, backend, api, deal):
        """Salesforce sends nothing when accounts or contacts are merged: the merged records
        are deleted, naming the one they were merged into. The won opportunity's account and
        contacts are asked for records merged into them, whose partners become theirs."""
        partners = self.env["res.partner"]
        for sobject, ids in (
            ("Account", [deal.company] if deal.company else []),
            ("Contact", list(deal.contacts)),
        ):
            for master, merged in api.merged_into(sobject, ids).items():
                partners._crm_merge(
                    backend, f"{sobject}/{master}", [f"{sobject}/{id_}" for id_ in merged]
                )
