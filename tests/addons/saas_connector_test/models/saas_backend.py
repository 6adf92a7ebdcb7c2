import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

from odoo import fields, models
from odoo.addons.saas_connector_base.lib.errors import (
    WebhookRejected,
)
from odoo.addons.saas_connector_base.lib.inbound import InboundEvent
from odoo.addons.saas_connector_base.lib.reconciliation import Comparison

SIGNATURE_HEADER = "X-Test-Signature"
# Stored in place of a delivery's headers on the events made from a read of the provider.
READ_HEADERS = json.dumps({"Origin": "Test provider API (read)"})
# The provider's own records, as its API would list them: ``{contact id: {"id", "name",
# "created" (Unix time), "archived"}}``. Tests fill it; it stands for the far side of the network.
REMOTE_CONTACTS = {}


def sign(body, secret):
    """Hex HMAC-SHA256 of the raw body: the whole signing scheme of this provider."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class SaasBackend(models.Model):
    """A minimal provider: ``contact.*`` events create and update partners (see
    ``saas.test.contact.handler``).

    Deliveries are a JSON event ``{"id", "type", "created", "data": {"object": {...}}}`` or a
    list of them, signed in ``X-Test-Signature``.
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

    def _provider_test_connection(self):
        if self.provider != "test":
            return super()._provider_test_connection()
        return "Test provider reachable."

    # Reconciliation against REMOTE_CONTACTS, the provider's side of the network --------------
    def _provider_reconciles(self):
        return self.provider == "test" or super()._provider_reconciles()

    def _provider_reconcile(self, run):
        """Contacts created in the period at the provider against their partners: a contact
        is ``active`` or ``archived``; a partner bound to a contact the provider does not
        have is missing there."""
        if self.provider != "test":
            return super()._provider_reconcile(run)
        start, end = run._period_bounds()
        remote = {
            contact_id: contact
            for contact_id, contact in REMOTE_CONTACTS.items()
            if start.timestamp() <= contact["created"] < end.timestamp()
        }
        bindings = self.env["saas.binding"].search(
            [("backend_id", "=", self.id), ("res_model", "=", "res.partner")]
        )
        local = {
            binding.external_id: self.env["res.partner"]
            .with_context(active_test=False)
            .browse(binding.res_id)
            for binding in bindings
        }
        drift = []
        for contact_id, contact in remote.items():
            partner = local.get(contact_id)
            status = "archived" if contact.get("archived") else "active"
            if not partner:
                drift.append(_drift(contact_id, "missing_in_odoo", status))
            elif (odoo_status := "active" if partner.active else "archived") != status:
                drift.append(_drift(contact_id, "status_mismatch", status, partner, odoo_status))
        for contact_id, partner in local.items():
            if contact_id not in REMOTE_CONTACTS and partner.create_date >= start.replace(
                tzinfo=None
            ):
                drift.append(_drift(contact_id, "missing_in_provider", False, partner, "active"))
        currency = self.company_id.currency_id
        run._record_summary(
            [
                {
                    "object_type": "contact",
                    "name": "Contacts",
                    "currency_id": currency.id,
                    "provider_count": len(remote),
                    "odoo_count": len(set(remote) & set(local)),
                }
            ]
        )
        run._record_drift([{**values, "currency_id": currency.id} for values in drift])
        run._add_note("Contacts carry no amounts.")

    def _provider_resync(self, drifts):
        """Each contact as it is now at the provider, stored as a synthetic event of this
        re-sync for the engine to apply."""
        if self.provider != "test":
            return super()._provider_resync(drifts)
        failures = {}
        inbound = []
        for drift in drifts:
            contact = REMOTE_CONTACTS.get(drift.external_id)
            if contact is None:
                failures[drift.id] = f"Contact {drift.external_id} does not exist at the provider."
                continue
            inbound.append(_read_event(contact, salt=f"resync_{time.time_ns()}"))
        new = self.env["saas.event"]._receive(self, inbound, READ_HEADERS, dispatch=False)
        return self.env["saas.event"].browse([event_id for event_id, _object in new]), failures

    def _provider_recompare(self, drifts):
        """Each contact against its partner, as ``_provider_reconcile`` compares them."""
        if self.provider != "test":
            return super()._provider_recompare(drifts)
        comparisons = {}
        for drift in drifts:
            contact = REMOTE_CONTACTS.get(drift.external_id)
            partner = (
                self.env["saas.binding"]
                .with_context(active_test=False)
                .lookup(self, "res.partner", drift.external_id)
            )
            comparison = Comparison("contact", drift.external_id, None, listed=bool(contact))
            if contact:
                comparison.status = "archived" if contact.get("archived") else "active"
            if partner:
                comparison.record = partner
                comparison.odoo_status = "active" if partner.active else "archived"
                comparison.status_matches = comparison.odoo_status == comparison.status
            comparisons[drift.id] = comparison
        return comparisons

    def _provider_refresh_stale_event(self, event):
        """The contact as the provider has it now, when it has it."""
        if self.provider != "test":
            return super()._provider_refresh_stale_event(event)
        contact = REMOTE_CONTACTS.get(event.object_external_id)
        if contact is None:
            return None
        read = _read_event(contact)
        self.env["saas.event"]._receive(self, [read], READ_HEADERS, dispatch=False)
        return self.env["saas.event"].search(
            [("backend_id", "=", self.id), ("external_id", "=", read.external_id)]
        )

    def _provider_event_rank(self, event_type):
        """A contact is deleted last."""
        if self.provider != "test":
            return super()._provider_event_rank(event_type)
        return 1 if event_type == "contact.deleted" else 0

    def _provider_event_is_read(self, event):
        if self.provider != "test":
            return super()._provider_event_is_read(event)
        return event.headers == READ_HEADERS


def _read_event(contact, salt=""):
    """The contact as the provider has it now, as a synthetic event dated now: what a read of
    its API gives. ``salt`` makes the event of a re-sync new."""
    item = {
        "id": f"sync_{contact['id']}_{len(json.dumps(contact))}{salt}",
        "type": "contact.deleted" if contact.get("archived") else "contact.updated",
        "created": int(datetime.now(UTC).timestamp()),
        "data": {"object": {"object": "contact", **contact}},
    }
    return InboundEvent(
        external_id=item["id"],
        event_type=item["type"],
        object_type="contact",
        object_external_id=contact["id"],
        source_created=datetime.fromtimestamp(item["created"], UTC),
        payload=json.dumps(item),
    )


def _drift(contact_id, kind, status, partner=None, odoo_status=False):
    return {
        "object_type": "contact",
        "object_label": "Contact",
        "external_id": contact_id,
        "kind": kind,
        "provider_status": status,
        "odoo_status": odoo_status,
        "res_model": partner and "res.partner",
        "res_id": partner and partner.id,
    }
