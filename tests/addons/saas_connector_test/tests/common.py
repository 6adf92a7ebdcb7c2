"""Helpers shared by the engine tests: a test-provider backend and its signed deliveries."""

import json
import time
from itertools import count

from lxml import etree

from odoo.addons.saas_connector_base.tests.common import store_delivery

from ..models.saas_backend import (
    OUTBOUND_NS,
    SIGNATURE_HEADER,
    SOAP_NS,
    XML_MEDIA_TYPE,
    XML_SIGNATURE_HEADER,
    XML_TIMESTAMP_HEADER,
    sign,
    sign_xml,
)

SECRET = "whsec_test_0123456789abcdef"
_sequence = count(1)


def make_event(
    object_id, event_type="contact.updated", created=1_700_000_000, event_id=None, **contact
):
    """One test-provider event about contact ``object_id``."""
    contact.setdefault("name", f"Contact {object_id}")
    return {
        "id": event_id or f"evt_{next(_sequence)}",
        "type": event_type,
        "created": created,
        "data": {"object": {"object": "contact", "id": object_id, **contact}},
    }


def body_of(event):
    return json.dumps(event).encode()


def signed_headers(body, secret=SECRET):
    return {SIGNATURE_HEADER: sign(body, secret), "Content-Type": "application/json"}


def xml_body_of(*events):
    """An XML outbound message carrying ``events`` (made by :func:`make_event`), one
    ``Notification`` each."""
    envelope = etree.Element(etree.QName(SOAP_NS, "Envelope"), nsmap={"soapenv": SOAP_NS})
    body = etree.SubElement(envelope, etree.QName(SOAP_NS, "Body"))
    notifications = etree.SubElement(
        body, etree.QName(OUTBOUND_NS, "notifications"), nsmap={None: OUTBOUND_NS}
    )
    for event in events:
        notification = etree.SubElement(notifications, etree.QName(OUTBOUND_NS, "Notification"))
        for name, value in (("Id", event["id"]), ("Type", event["type"])):
            etree.SubElement(notification, etree.QName(OUTBOUND_NS, name)).text = value
        created = etree.SubElement(notification, etree.QName(OUTBOUND_NS, "Created"))
        created.text = str(event["created"])
        contact = etree.SubElement(notification, etree.QName(OUTBOUND_NS, "Contact"))
        for name in ("id", "name", "email"):
            if name in event["data"]["object"]:
                element = etree.SubElement(contact, etree.QName(OUTBOUND_NS, name.capitalize()))
                element.text = event["data"]["object"][name]
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def xml_headers(body, url, secret=SECRET, method="POST", timestamp_ms=None):
    """The headers of an XML delivery of ``body`` to ``url`` (the full URL the sender
    calls), signed over both."""
    timestamp_ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    return {
        XML_SIGNATURE_HEADER: sign_xml(method, url, body, timestamp_ms, secret),
        XML_TIMESTAMP_HEADER: str(timestamp_ms),
        "Content-Type": f"{XML_MEDIA_TYPE}; charset=utf-8",
    }


def create_backend(env, name="Test account", secret=SECRET, **values):
    backend = env["saas.backend"].create({"name": name, "provider": "test", **values})
    if secret:
        backend.new_webhook_secret = secret
    return backend


def deliver(env, backend, *events):
    """One signed delivery of ``events``, stored as the webhook route does: for processing
    tests."""
    body = body_of(events[0] if len(events) == 1 else list(events))
    return store_delivery(env, backend, body, signed_headers(body), [SECRET])


def events_of(env, backend, object_id):
    return env["saas.event"].search(
        [("backend_id", "=", backend.id), ("object_external_id", "=", object_id)],
        order="source_created, id",
    )
