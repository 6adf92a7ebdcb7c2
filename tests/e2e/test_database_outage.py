"""A database outage at the webhook route, on a real server: while the database cannot store,
every delivery is answered 503 (never Odoo's 404 page, never a 500), so that every sender
retries; once it is back, every retried delivery lands exactly once.

The outage is a TCP proxy between the server and PostgreSQL that refuses connections and
drops the open ones; the test process keeps its own direct connection."""

import time
import uuid
from collections import Counter

import requests
from conftest import odoo_server
from db_proxy import DatabaseProxy

from odoo.addons.saas_connector_test.tests.common import (
    body_of,
    create_backend,
    make_event,
    signed_headers,
)


def _deliver(endpoint, event):
    body = body_of(event)
    return requests.post(endpoint, data=body, headers=signed_headers(body), timeout=30)


def _deliver_until_accepted(endpoint, event, timeout=60):
    """What a provider does: retry until a 2xx."""
    deadline = time.monotonic() + timeout
    while (status := _deliver(endpoint, event).status_code) >= 300:
        assert status == 503, f"an outage must answer 503, not {status}"
        assert time.monotonic() < deadline, "the delivery was never accepted"
        time.sleep(0.5)
    return status


def test_an_outage_answers_503_and_every_retried_delivery_lands_once(env, database):
    backend = create_backend(env, name=f"Outage {uuid.uuid4().hex[:8]}")
    env.cr.commit()
    run = uuid.uuid4().hex[:8]
    events = [make_event(f"c_{run}_{i}", event_id=f"evt_{run}_{i}") for i in range(30)]
    proxy = DatabaseProxy().start()
    options = ["--db_host=127.0.0.1", f"--db_port={proxy.port}"]
    with odoo_server(database, "odoo-outage", options) as url:
        endpoint = f"{url}/saas/webhook/{backend.webhook_token}"
        assert _deliver(endpoint, events[0]).status_code == 200

        # Connections refused, open ones dropped: only 503, answered at once.
        proxy.cut()
        started = time.monotonic()
        answers = Counter(_deliver(endpoint, event).status_code for event in events[1:20])
        seconds_per_answer = (time.monotonic() - started) / 19
        print(f"outage: {dict(answers)}, {seconds_per_answer * 1000:.0f} ms per answer")
        assert answers == {503: 19}
        assert seconds_per_answer < 5

        # Back: the sender's retries land; then the open connections are dropped again with
        # the database still reachable (backends terminated), and deliveries go on.
        proxy.start()
        for event in events[1:20]:
            _deliver_until_accepted(endpoint, event)
        proxy.cut()
        proxy.start()
        for event in events[20:]:
            _deliver_until_accepted(endpoint, event)
        # Every delivery again, as a sender unsure of its earlier attempts would.
        assert {_deliver(endpoint, event).status_code for event in events} == {200}
    proxy.cut()

    env.cr.rollback()
    stored = env["saas.event"].search([("backend_id", "=", backend.id)])
    assert Counter(stored.mapped("external_id")) == Counter(event["id"] for event in events)
