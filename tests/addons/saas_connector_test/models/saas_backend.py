import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

from odoo import fields, models
from odoo.addons.saas_connector_base.lib.backfill import BackfillPage, BackfillType
from odoo.addons.saas_connector_base.lib.errors import (
    PermanentError,
    TransientError,
    WebhookRejected,
)
from odoo.addons.saas_connector_base.lib.inbound import InboundEvent
from odoo.addons.saas_connector_base.lib.reconciliation import (
    OdooRecord,
    ProviderRecord,
    ReconciledType,
)
from odoo.addons.saas_connector_base.lib.sync import ObjectEvent

SIGNATURE_HEADER = "X-Test-Signature"
# The provider's own records, as its API would list them: ``{contact id: {"id", "name",
# "created" (Unix time), "archived"}}``. Tests fill it; it stands for the far side of the network.
REMOTE_CONTACTS = {}
# Messages of the outages the provider's next listings meet (a backfill postpones its batch).
REMOTE_OUTAGES = []


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

    # Reconciliation against REMOTE_CONTACTS, the provider's side of the network --------------
    def _provider_reconciles(self):
        return self.provider == "test" or super()._provider_reconciles()

    def _provider_reconcile(self, run):
        """Contacts created in the period at the provider, for the engine to compare with
        their partners: a contact is ``active`` or ``archived``."""
        if self.provider != "test":
            return super()._provider_reconcile(run)
        start, end = run._period_bounds()
        run._reconcile_documents(
            {
                "contact": [
                    ProviderRecord(contact_id, None, status=_status(contact))
                    for contact_id, contact in REMOTE_CONTACTS.items()
                    if start.timestamp() <= contact["created"] < end.timestamp()
                ]
            }
        )
        run._add_note("Contacts carry no amounts.")

    def _provider_reconciled_types(self):
        if self.provider != "test":
            return super()._provider_reconciled_types()
        return [ReconciledType("contact", "Contacts", "res.partner")]

    def _provider_odoo_record(self, object_type, record):
        if self.provider != "test":
            return super()._provider_odoo_record(object_type, record)
        return OdooRecord(None, status="active" if record.active else "archived")

    def _provider_period_documents(self, object_type, start, end):
        """The partners bound to a contact and created in the period."""
        if self.provider != "test":
            return super()._provider_period_documents(object_type, start, end)
        bindings = self.env["saas.binding"].search(
            [("backend_id", "=", self.id), ("res_model", "=", "res.partner")]
        )
        partners = self.env["res.partner"].with_context(active_test=False)
        low, high = start.replace(tzinfo=None), end.replace(tzinfo=None)
        return [
            (binding.external_id, partner)
            for binding in bindings
            if low <= (partner := partners.browse(binding.res_id)).create_date < high
        ]

    def _provider_has_object(self, object_type, external_id):
        if self.provider != "test":
            return super()._provider_has_object(object_type, external_id)
        return external_id in REMOTE_CONTACTS

    def _provider_resync(self, drifts):
        """Each contact as it is now at the provider, stored as a synthetic event of this
        re-sync for the engine to apply."""
        if self.provider != "test":
            return super()._provider_resync(drifts)
        failures = {}
        contacts = []
        for drift in drifts:
            contact = REMOTE_CONTACTS.get(drift.external_id)
            if contact is None:
                failures[drift.id] = f"Contact {drift.external_id} does not exist at the provider."
                continue
            contacts.append(contact)
        events = self._sync_objects(contacts, dispatch=False, salt=f"resync {time.time_ns()}")
        return events, failures

    def _provider_recompare(self, drifts):
        """Each contact against its partner, as ``_provider_reconcile`` lists it."""
        if self.provider != "test":
            return super()._provider_recompare(drifts)
        comparisons = {}
        for drift in drifts:
            contact = REMOTE_CONTACTS.get(drift.external_id)
            if contact is None:
                partner = self.env["res.partner"].browse(drift.res_id).exists()
                comparison = drift.run_id._compare_missing("contact", drift.external_id, partner)
            else:
                listed = ProviderRecord(drift.external_id, None, status=_status(contact))
                (comparison,) = drift.run_id._compare_listed("contact", [listed])
            comparisons[drift.id] = comparison
        return comparisons

    def _provider_refresh_stale_event(self, event):
        """The contact as the provider has it now, when it has it."""
        if self.provider != "test":
            return super()._provider_refresh_stale_event(event)
        contact = REMOTE_CONTACTS.get(event.object_external_id)
        return self._current_events(contact) if contact is not None else None

    def _provider_event_rank(self, event_type):
        """A contact is deleted last."""
        if self.provider != "test":
            return super()._provider_event_rank(event_type)
        return 1 if event_type == "contact.deleted" else 0

    # Reads of REMOTE_CONTACTS: Re-sync, stale events and backfills -------------------------
    def _provider_object_events(self, obj):
        """An archived contact is deleted, any other updated."""
        if self.provider != "test":
            return super()._provider_object_events(obj)
        event_type = "contact.deleted" if obj.get("archived") else "contact.updated"
        return [ObjectEvent(event_type, "contact", obj["id"])]

    def _provider_backfill_types(self):
        if self.provider != "test":
            return super()._provider_backfill_types()
        return [BackfillType("contacts", "Contacts")]

    def _provider_backfill_page(self, run, object_type, cursor, limit):
        """The contacts in the order of their ids, after ``cursor``; an outage queued in
        ``REMOTE_OUTAGES`` interrupts the read after half of them."""
        if self.provider != "test":
            return super()._provider_backfill_page(run, object_type, cursor, limit)
        after = sorted(
            (contact for contact in REMOTE_CONTACTS.values() if contact["id"] > (cursor or "")),
            key=lambda contact: contact["id"],
        )
        read = after[:limit]
        page = BackfillPage(total=len(REMOTE_CONTACTS))
        if REMOTE_OUTAGES:
            read = read[: len(read) // 2]
            page.error, page.transient = REMOTE_OUTAGES.pop(0), True
        page.read = len(read)
        page.cursor = read[-1]["id"] if read else None
        start = run.date_from and run.date_from.replace(tzinfo=UTC).timestamp()
        page.objects = [contact for contact in read if not start or contact["created"] >= start]
        return page

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


def _status(contact):
    return "archived" if contact.get("archived") else "active"
