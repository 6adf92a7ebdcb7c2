from datetime import UTC
from zoneinfo import ZoneInfo

from odoo import models
from odoo.addons.saas_connector_base.lib.errors import PermanentError

from ..lib.normalize import NormalizeError, normalize_event


class SaasStripeHandler(models.AbstractModel):
    """What every Stripe handler reads the same way: the normalized object of a stored event,
    the Odoo currency of an ISO code, the company's calendar date of a Stripe moment. Each
    Stripe handler model inherits this one."""

    _name = "saas.stripe.handler"
    _inherit = "saas.event.handler"
    _description = "Stripe Handler"

    def _event_object(self, backend, event):
        """The canonical object of a stored event (see ``lib/normalize``)."""
        try:
            return normalize_event(event.payload_json()).object
        except NormalizeError as error:
            raise PermanentError(self.env._("Unreadable Stripe payload: %s", error)) from None

    def _currency(self, backend, code):
        """The Odoo currency of an ISO code; inactive ones count, since a price or a customer
        in a currency nobody invoices yet is still worth recording."""
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code.upper())], limit=1)
        )
        if not currency:
            raise PermanentError(self.env._("Currency %s does not exist in Odoo.", code.upper()))
        return currency

    def _company_date(self, backend, moment):
        """The calendar date of a timestamp in the company's time zone: an aware one from
        ``lib/normalize`` or a naive UTC one as Odoo stores them (an event's time)."""
        if not moment:
            return False
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(ZoneInfo(backend.company_id.partner_id.tz or "UTC")).date()
