"""Helpers of the Stripe provider tests: a Stripe backend, the recorded payloads of fixtures/
and deliveries signed the way Stripe signs them. Jobs run with the engine's test runner,
``odoo.addons.saas_connector_base.tests.common.run_jobs``."""

import copy
import json
import time
from pathlib import Path

from odoo.addons.saas_connector_base.tests.common import store_delivery

from ..lib.signature import sign

FIXTURES = Path(__file__).parent / "fixtures"
SIGNING_SECRET = "whsec_stripe_tests_0123456789abcdef"


def fixture(relative_path):
    """A recorded payload of fixtures/ (see PROVENANCE.md), parsed."""
    return json.loads((FIXTURES / relative_path).read_text())


def variant(payload, event_id=None, created=None, event_type=None, **object_changes):
    """A copy of an event payload with another event id, creation time, type or object fields:
    how a test derives an event the fixtures do not hold."""
    event = copy.deepcopy(payload)
    event["id"] = event_id or event["id"]
    event["created"] = created or event["created"]
    event["type"] = event_type or event["type"]
    event["data"]["object"].update(object_changes)
    return event


def stripe_headers(body, secret=SIGNING_SECRET, timestamp=None):
    signed_at = time.time() if timestamp is None else timestamp
    return {"Stripe-Signature": sign(body, secret, signed_at), "Content-Type": "application/json"}


def create_stripe_backend(env, name="Stripe (test mode)", **values):
    backend = env["saas.backend"].create({"name": name, "provider": "stripe", **values})
    backend.stripe_webhook_secret = SIGNING_SECRET
    return backend


def deliver(env, backend, *payloads):
    """Each payload as one signed delivery, verified by the backend then stored and enqueued
    as the webhook route does, without HTTP. Returns the events stored."""
    stored = env["saas.event"]
    for payload in payloads:
        body = json.dumps(payload).encode()
        stored |= store_delivery(env, backend, body, stripe_headers(body), [SIGNING_SECRET])
    return stored
