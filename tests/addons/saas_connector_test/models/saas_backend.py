import hashlib
import hmac
import json
from datetime import UTC, datetime

from odoo import fields, models
from odoo.addons.saas_connector_base.lib.errors import (
    PermanentError,
    TransientError,
    WebhookRejected,
)
from odoo.addons.saas_connector_base.lib.inbound import InboundEvent

SIGNATURE_HEADER = "X-Test-Signature"


def sign(body, secret):
    """Hex HMAC-SHA256 of the raw body: the whole signing scheme of this provider."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class SaasBackend(models.Model):
    """A minimal provider: ``contact.*`` events create and update partners.

    Deliveries are a JSON event ``{"id", "type", "created", "data": {"object": {...}}}`` or a
    list of them, signed in ``X-Test-Signature``. An object may ask for failures to exercise
    the engine: ``"fail": "permanent"``, or ``"fail": "transient"`` with ``"fail_times": N``.
    """

    _inherit = "saas.backend"

    provider = fields.Selection(
        selection_add=[("test", "Test (HMAC)")], ondelete={"test": "cascade"}
    )

    def _provider_parse_webhook(self, body, headers, signing_secrets):
        if self.provider != "test":
            return super()._provider_parse_webhook(body, headers, signing_secrets)
        signature = headers.get(SIGNATURE_HEADER, "")
        if not any(hmac.compare_digest(signature, sign(body, s)) for s in signing_secrets):
            raise WebhookRejected("invalid signature")
        try:
            document = json.loads(body)
        except ValueError as error:
            raise WebhookRejected("malformed JSON") from error
        deliveries = document if isinstance(document, list) else [document]
        try:
            return [
                InboundEvent(
                    external_id=str(item["id"]),
                    event_type=str(item["type"]),
                    object_type=str(item["data"]["object"]["object"]),
                    object_external_id=str(item["data"]["object"]["id"]),
                    source_created=datetime.fromtimestamp(int(item["created"]), UTC),
                    payload=json.dumps(item) if len(deliveries) > 1 else body.decode(),
                )
                for item in deliveries
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise WebhookRejected(f"not an event: missing or invalid {error}") from error

    def _provider_event_handlers(self):
        if self.provider != "test":
            return super()._provider_event_handlers()
        return {
            "contact.updated": self._test_handle_contact_updated,
            "contact.deleted": self._test_handle_contact_deleted,
        }

    def _provider_test_connection(self):
        if self.provider != "test":
            return super()._provider_test_connection()
        return "Test provider reachable."

    def _test_handle_contact_updated(self, event):
        contact = event.payload_json()["data"]["object"]
        if contact.get("fail") == "permanent":
            raise PermanentError(
                f"Contact {contact['id']}: country {contact.get('country')!r} is not configured."
            )
        if contact.get("fail") == "transient" and event.attempts < contact.get("fail_times", 1):
            raise TransientError("the provider answered 503")
        bindings = self.env["saas.binding"]
        partner = bindings.lookup_or_create(
            self,
            "res.partner",
            contact["id"],
            lambda: {"name": contact["name"]},
            updated=event.source_created,
        )
        partner.write({"name": contact["name"], "email": contact.get("email")})
        bindings.bind(self, partner, contact["id"], updated=event.source_created)
        return partner

    def _test_handle_contact_deleted(self, event):
        contact = event.payload_json()["data"]["object"]
        partner = self.env["saas.binding"].lookup(self, "res.partner", contact["id"])
        partner.active = False
        self.env["saas.binding"].bind(self, partner, contact["id"], updated=event.source_created)
        return partner
