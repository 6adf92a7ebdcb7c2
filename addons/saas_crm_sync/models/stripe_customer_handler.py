from odoo import models


class SaasStripeCustomerHandler(models.AbstractModel):
    """A Stripe customer an activation created is its deal's partner, whichever of the
    customer's webhook and the activation's commit comes first."""

    _inherit = "saas.stripe.customer.handler"

    def _partner_created_for(self, backend, customer):
        partner = super()._partner_created_for(backend, customer)
        if partner:
            return partner
        return self.env["saas.crm.activation"]._of_stripe_customer(backend, customer).partner_id
