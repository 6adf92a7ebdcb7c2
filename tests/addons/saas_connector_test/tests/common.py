"""Helpers shared by the engine tests: a test-provider backend and its signed deliveries."""

import json
from itertools import count

from odoo.addons.saas_connector_base.tests.common import store_delivery

from ..models.saas_backend import SIGNATURE_HEADER, sign

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
