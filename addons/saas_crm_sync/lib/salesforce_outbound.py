"""Salesforce outbound messages: the SOAP envelope Salesforce POSTs, and the answer it waits for.

An outbound message carries no signature. What it says is trusted only as far as its
``OrganizationId`` matches the backend and the record, re-read over REST, agrees; so the
envelope is read defensively: no DTD, no entity, no network access, a bounded number of
notifications, and anything that is not the documented shape is refused.

Salesforce retries a delivery (for up to 24 hours) until the answer is ``text/xml`` with
``<Ack>true</Ack>`` in the ``notificationsResponse`` of the outbound namespace: ``ACK``.
"""

from dataclasses import dataclass, field

from lxml import etree

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOBJECT_NS = "urn:sobject.enterprise.soap.sforce.com"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

MAX_NOTIFICATIONS = 100
"""Salesforce sends at most 100 notifications per message."""

ACK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    b"<soapenv:Body>"
    b'<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
    b"<Ack>true</Ack>"
    b"</notificationsResponse>"
    b"</soapenv:Body>"
    b"</soapenv:Envelope>"
)
ACK_CONTENT_TYPE = "text/xml; charset=utf-8"


class EnvelopeError(ValueError):
    """The body is not an outbound message we accept. The message is safe to log."""


@dataclass(frozen=True)
class Notification:
    """One record of a message: ``id`` is the notification's id (stable across Salesforce's
    retries, so the event id), ``fields`` the record's fields the action selected, as text
    (``None`` for a nil field)."""

    id: str
    sobject_type: str
    fields: dict = field(default_factory=dict)

    @property
    def record_id(self):
        return self.fields.get("Id")


@dataclass(frozen=True)
class OutboundMessage:
    organization_id: str
    action_id: str
    session_id: str | None
    enterprise_url: str | None
    partner_url: str | None
    notifications: tuple


def _parser():
    # A fresh parser per call: lxml parsers are not safe to share between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
    )


def parse(body):
    """The ``OutboundMessage`` of a raw request ``body`` (bytes). Raises EnvelopeError."""
    if not isinstance(body, (bytes, bytearray)):
        raise TypeError("the body is the raw request body, as bytes")
    try:
        root = etree.fromstring(bytes(body), _parser())
    except etree.XMLSyntaxError as error:
        raise EnvelopeError(f"not well-formed XML: {error.msg}") from None
    # No DOCTYPE at all: an internal subset is where entity bombs and external entities
    # live, and Salesforce never sends one.
    if root.getroottree().docinfo.doctype:
        raise EnvelopeError("a DOCTYPE is not accepted")
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise EnvelopeError("not a SOAP 1.1 envelope")
    notifications = root.find(f"{{{SOAP_NS}}}Body/{{{OUTBOUND_NS}}}notifications")
    if notifications is None:
        raise EnvelopeError("no outbound-message notifications in the SOAP body")
    organization_id = _text(notifications, "OrganizationId")
    action_id = _text(notifications, "ActionId")
    if not organization_id or not action_id:
        raise EnvelopeError("OrganizationId and ActionId are required")
    items = notifications.findall(f"{{{OUTBOUND_NS}}}Notification")
    if len(items) > MAX_NOTIFICATIONS:
        raise EnvelopeError(f"more than {MAX_NOTIFICATIONS} notifications")
    return OutboundMessage(
        organization_id=organization_id,
        action_id=action_id,
        session_id=_text(notifications, "SessionId"),
        enterprise_url=_text(notifications, "EnterpriseUrl"),
        partner_url=_text(notifications, "PartnerUrl"),
        notifications=tuple(_notification(item) for item in items),
    )


def _notification(item):
    notification_id = _text(item, "Id")
    sobject = item.find(f"{{{OUTBOUND_NS}}}sObject")
    if not notification_id or sobject is None:
        raise EnvelopeError("a Notification needs an Id and an sObject")
    fields = {}
    for child in sobject:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions carry no field
        name = etree.QName(child)
        if name.namespace != SOBJECT_NS or len(child):
            raise EnvelopeError(f"unexpected element {name.localname!r} in an sObject")
        fields[name.localname] = None if _is_nil(child) else (child.text or "")
    return Notification(id=notification_id, sobject_type=_sobject_type(sobject), fields=fields)


def _sobject_type(sobject):
    """``Opportunity`` for ``xsi:type="sf:Opportunity"``, the prefix bound to the sObject
    namespace wherever the sender declared it."""
    declared = sobject.get(f"{{{XSI_NS}}}type") or ""
    prefix, _colon, name = declared.rpartition(":")
    if not name or sobject.nsmap.get(prefix or None) != SOBJECT_NS:
        raise EnvelopeError("an sObject needs an xsi:type in the enterprise sObject namespace")
    return name


def _is_nil(element):
    return element.get(f"{{{XSI_NS}}}nil") in ("true", "1")


def _text(parent, name):
    element = parent.find(f"{{{OUTBOUND_NS}}}{name}")
    if element is None or _is_nil(element):
        return None
    return (element.text or "").strip() or None
