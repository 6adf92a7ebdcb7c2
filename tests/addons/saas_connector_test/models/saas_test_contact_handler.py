from odoo import models
from odoo.addons.saas_connector_base.lib.errors import PermanentError, TransientError


class SaasTestContactHandler(models.AbstractModel):
    """The test provider's contacts: an update creates or updates the partner, a deletion
    archives it. An object may ask for failures to exercise the engine: ``"fail":
    "permanent"``, or ``"fail": "transient"`` with ``"fail_times": N``."""

    _name = "saas.test.contact.handler"
    _inherit = "saas.event.handler"
    _description = "Test Provider Contact Handler"

    _provider = "test"
    _handles = {
        "contact.updated": "_contact_updated",
        "contact.deleted": "_contact_deleted",
    }

    def _contact_updated(self, backend, event):
        contact = event.payload_json()["data"]["object"]
        if contact.get("fail") == "permanent":
            raise PermanentError(
                f"Contact {contact['id']}: country {contact.get('country')!r} is not configured."
            )
        if contact.get("fail") == "transient" and event.attempts < contact.get("fail_times", 1):
            raise TransientError("the provider answered 503")
        bindings = self.env["saas.binding"]
        partner = bindings.lookup_or_create(
            backend,
            "res.partner",
            contact["id"],
            lambda: {"name": contact["name"]},
            updated=event.source_created,
        )
        partner.write({"name": contact["name"], "email": contact.get("email")})
        bindings.bind(backend, partner, contact["id"], updated=event.source_created)
        return partner

    def _contact_deleted(self, backend, event):
        """The contact as it was when deleted — a deletion carries the object, as Stripe's
        do — archived: in whatever order a contact's events arrive, its partner ends as the
        last of them says."""
        partner = self._contact_updated(backend, event)
        partner.active = False
        return partner
