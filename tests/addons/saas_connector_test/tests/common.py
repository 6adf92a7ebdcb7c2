"""Helpers shared by the engine tests: a test-provider backend, signed deliveries, and a
queue_job runner that performs stored jobs the way the job runner would."""

import json
from itertools import count

from odoo import fields
from odoo.addons.queue_job.job import Job

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
    """What the webhook route does after verification, without HTTP: for processing tests."""
    body = body_of(events[0] if len(events) == 1 else list(events))
    inbound = backend._provider_parse_webhook(body, signed_headers(body), [SECRET])
    new = env["saas.event"]._receive(backend, inbound, "{}")
    return env["saas.event"].browse([event_id for event_id, _object in new])


def run_jobs(env, limit=100):
    """Perform the pending connector jobs whose time has come, oldest first, as the job runner
    would. Returns how many ran."""
    performed = 0
    while performed < limit:
        now = fields.Datetime.now()
        record = env["queue.job"].search(
            [
                ("state", "=", "pending"),
                ("model_name", "=", "saas.backend"),
                "|",
                ("eta", "=", False),
                ("eta", "<=", now),
            ],
            order="id",
            limit=1,
        )
        if not record:
            break
        job = Job.load(env, record.uuid)
        job.set_started()
        job.store()
        job.perform()
        job.set_done()
        job.store()
        performed += 1
    return performed


def events_of(env, backend, object_id):
    return env["saas.event"].search(
        [("backend_id", "=", backend.id), ("object_external_id", "=", object_id)],
        order="source_created, id",
    )
