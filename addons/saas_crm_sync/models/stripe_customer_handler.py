from odoo import models

from .saas_backend import CRM_PROVIDERS
from .saas_crm_field_owner import PARTNER_FIELD_KEYS


class SaasStripeCustomerHandler(models.AbstractModel):
    """A Stripe customer an activation created is its deal's partner, whichever of the
    customer's webhook and the activation's commit comes first.

    A Stripe customer's change of a partner that a CRM shares is applied only where Stripe
    owns the field on that CRM's backend (billing email and address, tax ids, by default).
    Where the CRM or Odoo owns it (the company name, by default) the partner keeps its value
    and the conflict is noted on it: never the last writer wins."""

    _inherit = "saas.stripe.customer.handler"

    def _partner_created_for(self, backend, customer):
        partner = super()._partner_created_for(backend, customer)
        if partner:
            return partner
        return self.env["saas.crm.activation"]._of_stripe_customer(backend, customer).partner_id

    def _partner_changes(self, backend, partner, changes):
        changes = super()._partner_changes(backend, partner, changes)
        owners = self.env["saas.crm.field.owner"]
        for crm in self._partner_crm_backends(backend, partner):
            for name in list(changes):
                key = PARTNER_FIELD_KEYS.get(name)
                owner = key and crm._crm_owner(key)
                if not owner or owner == "stripe":
                    continue
                field = partner._fields[name]
                value = changes.pop(name)
                if field.type == "many2one":
                    value = partner.env[field.comodel_name].browse(value)
                owners._note_conflict(
                    partner,
                    self.env._(
                        "%(field)s is %(new)s in %(stripe)s but stays %(old)s: %(owner)s owns "
                        "it (%(crm)s).",
                        field=field.string,
                        stripe=backend.name,
                        new=_shown(field, value),
                        old=_shown(field, partner[name]),
                        owner=owners._owner_label(owner),
                        crm=crm.name,
                    ),
                )
        return changes

    def _partner_crm_backends(self, backend, partner):
        """The CRM backends that link ``partner`` to a company or contact of theirs and
        activate their won deals in the Stripe account ``backend``: their field ownership
        decides what Stripe may change."""
        bindings = (
            self.env["saas.binding"]
            .sudo()
            .search([("res_model", "=", "res.partner"), ("res_id", "=", partner.id)])
        )
        return bindings.backend_id.filtered(
            lambda crm: crm.provider in CRM_PROVIDERS and crm.crm_stripe_backend_id == backend
        ).sorted("id")


def _shown(field, value):
    """A partner field's value as a person reads it in a note."""
    if field.type == "many2one":
        return value.display_name or "-"
    return value or "-"
