import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

from lxml import etree

from odoo import fields, models
from odoo.addons.saas_connector_base.lib import safe_xml
from odoo.addons.saas_connector_base.lib.backfill import BackfillPage, BackfillType
from odoo.addons.saas_connector_base.lib.errors import (
    WebhookRejected,
)
from odoo.addons.saas_connector_base.lib.inbound import InboundEvent, WebhookAnswer
from odoo.addons.saas_connector_base.lib.reconciliation import (
    OdooRecord,
    ProviderRecord,
    ReconciledType,
)
from odoo.addons.saas_connector_base.lib.sync import ObjectEvent

SIGNATURE_HEADER = "X-Test-Signature"
# The XML deliveries are signed the way HubSpot signs (v3): method, public URL, body and a
# timestamp in milliseconds, so that the engine's public URL is exercised.
XML_SIGNATURE_HEADER = "X-Test-Signature-V3"
XML_TIMESTAMP_HEADER = "X-Test-Request-Timestamp"
XML_TOLERANCE_MS = 300_000
XML_MEDIA_TYPE = "text/xml"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "urn:saas-connector-test:outbound"
# The provider's own records, as its API would list them: ``{contact id: {"id", "name",
# "created" (Unix time), "archived"}}``. Tests fill it; it stands for the far side of the network.
REMOTE_CONTACTS = {}
# Messages of the outages the provider's next listings meet (a backfill postpones its batch).
REMOTE_OUTAGES = []


def sign(body, secret):
    """Hex HMAC-SHA256 of the raw body: the signing scheme of this provider's JSON."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sign_xml(method, url, body, timestamp_ms, secret):
    """Base64 HMAC-SHA256 of method + URL + body + timestamp: the signing scheme of this
    provider's XML deliveries."""
    message = method.encode() + url.encode() + body + str(timestamp_ms).encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


class SaasBackend(models.Model):
    """A minimal provider: ``contact.*`` events create and update partners (see
    ``saas.test.contact.handler``).

    Deliveries come in two shapes, as a CRM's do:

    - JSON: an event ``{"id", "type", "created", "data": {"object": {...}}}`` or a list of
      them, signed in ``X-Test-Signature`` (hex HMAC of the body), answered in JSON;
    - XML (``text/xml``), an outbound message like Salesforce's: a SOAP envelope whose
      ``notifications`` carry ``Notification`` elements (``Id``, ``Type``, ``Created`` and a
      ``Contact`` with ``Id``, ``Name``, ``Email``), signed like HubSpot's v3 over the method,
      the public URL, the body and ``X-Test-Request-Timestamp``, and acknowledged with
      ``<Ack>true</Ack>``; refusals are SOAP faults. Each notification is stored as an event
      of the JSON shape, which the same handlers process.
    """

    _inherit = "saas.backend"

    provider = fields.Selection(
        selection_add=[("test", "Test (HMAC)")], ondelete={"test": "cascade"}
    )

    def _provider_webhook_content_types(self):
        if self.provider != "test":
            return super()._provider_webhook_content_types()
        return ("application/json", XML_MEDIA_TYPE)

    def _provider_webhook_audit_headers(self):
        audit_headers = super()._provider_webhook_audit_headers()
        if self.provider != "test":
            return audit_headers
        return (*audit_headers, XML_TIMESTAMP_HEADER)

    def _provider_parse_webhook(self, request, signing_secrets):
        if self.provider != "test":
            return super()._provider_parse_webhook(request, signing_secrets)
        if request.mimetype == XML_MEDIA_TYPE:
            _verify_xml_signature(request, signing_secrets)
            return _xml_events(request.body)
        body = request.body
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not any(hmac.compare_digest(signature, sign(body, s)) for s in signing_secrets):
            raise WebhookRejected("invalid signature")
        try:
            document = json.loads(body)
        except ValueError as error:
            raise WebhookRejected("malformed JSON") from error
        deliveries = document if isinstance(document, list) else [document]
        try:
            return [
                _event(item, json.dumps(item) if len(deliveries) > 1 else body.decode())
                for item in deliveries
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise WebhookRejected(f"not an event: missing or invalid {error}") from error

    def _provider_webhook_answer(self, request, duplicate):
        if self.provider != "test" or request.mimetype != XML_MEDIA_TYPE:
            return super()._provider_webhook_answer(request, duplicate)
        # The same acknowledgement for a re-delivery: anything else is delivered again.
        response = etree.Element(
            etree.QName(OUTBOUND_NS, "notificationsResponse"), nsmap={None: OUTBOUND_NS}
        )
        etree.SubElement(response, etree.QName(OUTBOUND_NS, "Ack")).text = "true"
        return WebhookAnswer(200, _soap_envelope(response), XML_MEDIA_TYPE)

    def _provider_webhook_rejection(self, request, status, reason):
        if self.provider != "test" or request.mimetype != XML_MEDIA_TYPE:
            return super()._provider_webhook_rejection(request, status, reason)
        fault = etree.Element(etree.QName(SOAP_NS, "Fault"), nsmap={"soapenv": SOAP_NS})
        etree.SubElement(fault, "faultcode").text = "soapenv:Client"
        etree.SubElement(fault, "faultstring").text = reason
        return WebhookAnswer(status, _soap_envelope(fault), XML_MEDIA_TYPE)

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


def _event(item, payload):
    """The inbound event of one JSON-shaped event ``item``, stored as ``payload``."""
    return InboundEvent(
        external_id=str(item["id"]),
        event_type=str(item["type"]),
        object_type=str(item["data"]["object"]["object"]),
        object_external_id=str(item["data"]["object"]["id"]),
        source_created=datetime.fromtimestamp(int(item["created"]), UTC),
        payload=payload,
    )


def _verify_xml_signature(request, signing_secrets):
    timestamp = request.headers.get(XML_TIMESTAMP_HEADER, "")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise WebhookRejected("missing or malformed timestamp")
    signature = request.headers.get(XML_SIGNATURE_HEADER, "").encode()
    expected = (
        sign_xml(request.method, request.url, request.body, timestamp, secret).encode()
        for secret in signing_secrets
    )
    if not any(hmac.compare_digest(signature, mac) for mac in expected):
        raise WebhookRejected("invalid signature")
    if abs(time.time() * 1000 - int(timestamp)) > XML_TOLERANCE_MS:
        raise WebhookRejected("timestamp outside the tolerance window")


def _xml_events(body):
    """One event per ``Notification`` of an outbound message, in the JSON shape."""
    try:
        root = safe_xml.parse(body)
    except safe_xml.XMLRefused as error:
        raise WebhookRejected(str(error)) from None
    notifications = root.find(f"{{{SOAP_NS}}}Body/{{{OUTBOUND_NS}}}notifications")
    if root.tag != f"{{{SOAP_NS}}}Envelope" or notifications is None:
        raise WebhookRejected("not an outbound message")
    events = []
    for notification in notifications.iterfind(f"{{{OUTBOUND_NS}}}Notification"):
        contact = notification.find(f"{{{OUTBOUND_NS}}}Contact")
        if contact is None:
            raise WebhookRejected("a notification carries no contact")
        item = {
            "id": _xml_text(notification, "Id"),
            "type": _xml_text(notification, "Type"),
            "created": _xml_text(notification, "Created"),
            "data": {
                "object": {
                    "object": "contact",
                    **{
                        field.lower(): _xml_text(contact, field)
                        for field in ("Id", "Name", "Email")
                        if contact.find(f"{{{OUTBOUND_NS}}}{field}") is not None
                    },
                }
            },
        }
        try:
            events.append(_event(item, json.dumps(item)))
        except (KeyError, ValueError) as error:
            raise WebhookRejected(f"not an event: missing or invalid {error}") from None
    if not events:
        raise WebhookRejected("an outbound message without notifications")
    return events


def _xml_text(element, name):
    child = element.find(f"{{{OUTBOUND_NS}}}{name}")
    if child is None or not child.text:
        raise WebhookRejected(f"not an event: missing {name}")
    return child.text


def _soap_envelope(content):
    envelope = etree.Element(etree.QName(SOAP_NS, "Envelope"), nsmap={"soapenv": SOAP_NS})
    etree.SubElement(envelope, etree.QName(SOAP_NS, "Body")).append(content)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _status(contact):
    return "archived" if contact.get("archived") else "active"
