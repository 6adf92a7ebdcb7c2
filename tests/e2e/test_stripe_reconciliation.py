"""Reconciliation end to end: a billing scenario played in localstripe reaches Odoo by
webhooks that are dropped, duplicated or delivered in reverse; the reconciliation reads
localstripe through the API, finds what Odoo misses, and Re-sync brings Odoo back in step.

Each test has a localstripe of its own: the reconciliation lists every object of the Stripe
account, so objects of other tests would be drift for this test's backend."""

import json

import pytest
import requests
import stripe_peer
from conftest import localstripe_process
from stripe_peer import create_customer, create_plan, stripe_client, subscribe
from waiting import wait_until

FINAL_STATES = {"done", "ignored", "stale"}
PROCESSING_TIMEOUT = 120
# What localstripe emits for a customer with a card and a new subscription.
SUBSCRIPTION_EVENT_TYPES = [
    "customer.created",
    "customer.updated",
    "product.created",
    "plan.created",
    "invoice.created",
    "payment_intent.succeeded",
    "invoice.payment_succeeded",
    "customer.subscription.created",
]
NO_EVENT = ["e2e.none"]


@pytest.fixture
def localstripe_url():
    """This test's own, empty Stripe account."""
    with localstripe_process("localstripe-reconciliation") as url:
        yield url


def route_webhooks(localstripe_url, backend, odoo_url, secret, event_types):
    """Send ``event_types`` (all when None) of localstripe to the backend's endpoint."""
    data = {"url": f"{odoo_url}/saas/webhook/{backend.webhook_token}", "secret": secret}
    for index, event_type in enumerate(event_types or []):
        data[f"events[{index}]"] = event_type
    response = requests.post(
        f"{localstripe_url}/_config/webhooks/odoo_{backend.id}", data=data, timeout=10
    )
    response.raise_for_status()


def processed(env, backend, event_ids=()):
    """Wait until ``event_ids`` have reached the backend and nothing of it waits in the queue;
    fail with the errors of the events that failed."""

    def drained(env):
        events = env["saas.event"].search([("backend_id", "=", backend.id)])
        if not set(event_ids) <= set(events.mapped("external_id")):
            return False
        if any(event.state in ("received", "queued") for event in events):
            return False
        return events

    events = wait_until(drained, env, timeout=PROCESSING_TIMEOUT)
    assert events, f"events {sorted(event_ids)} were not all processed in time"
    failed = events.filtered(lambda event: event.state not in FINAL_STATES)
    assert not failed, [(e.event_type, e.state, e.last_error) for e in failed]
    return events


def reconcile(env, backend):
    """A run of today, as the backend's button does, committed for the server to see."""
    action = backend.with_env(env).action_reconcile()
    env.cr.commit()
    run = env["saas.reconciliation.run"].browse(action["res_id"])
    assert run.state == "done", run.note
    return run


def bound(env, backend, model, external_id):
    return env["saas.binding"].lookup(backend.with_env(env), model, external_id)


def drift_of(run):
    return {(drift.object_type, drift.external_id, drift.kind) for drift in run.drift_ids}


def subscription_with_refund(client, label):
    """A customer subscribed to a monthly plan, whose first invoice is paid, then refunded."""
    customer = create_customer(client, label)
    plan = create_plan(client, f"{label} plan", 4900, "month")
    subscription = subscribe(client, customer.id, plan.id, 1)
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    refund = client.v1.refunds.create(
        params={"payment_intent": invoice.payment_intent, "amount": 1500}
    )
    return customer, invoice, refund


def test_event_dropped_before_delivery_is_found_and_fixed_by_resync(
    env, stripe_backend, localstripe_url, odoo_url, webhook_secret
):
    backend = stripe_backend
    client = stripe_client(localstripe_url)
    # Every event reaches Odoo but the invoice's payment: that one is lost on the way.
    delivered = [t for t in SUBSCRIPTION_EVENT_TYPES if t != "invoice.payment_succeeded"]
    route_webhooks(localstripe_url, backend, odoo_url, webhook_secret, delivered)
    customer, invoice, refund = subscription_with_refund(client, "Tailspin Toys")
    # localstripe applies the filter when it sends, a second after the call: it stays on.
    sent = {
        event.id
        for event in client.v1.events.list(params={"limit": 100}).auto_paging_iter()
        if event.type in delivered
    }
    processed(env, backend, sent)
    assert bound(env, backend, "res.partner", customer.id)
    assert not bound(env, backend, "account.move", invoice.id)

    run = reconcile(env, backend)
    # The invoice's payment never arrived, and localstripe sends no refund event at all.
    assert drift_of(run) == {
        ("invoice", invoice.id, "missing_in_odoo"),
        ("refund", refund.id, "missing_in_odoo"),
    }
    invoice_drift = run.drift_ids.filtered(lambda drift: drift.object_type == "invoice")
    assert (invoice_drift.provider_amount, invoice_drift.provider_status) == (49.0, "paid")
    lines = {line.name: line for line in run.line_ids}
    assert (lines["Invoices (paid)"].provider_count, lines["Invoices (paid)"].odoo_count) == (1, 0)
    assert run.activity_ids.user_id == backend.responsible_id

    run.drift_ids.action_resync()
    env.cr.commit()
    # Applied at once and compared again.
    assert set(run.drift_ids.mapped("state")) == {"fixed"}, run.drift_ids.mapped("message")
    processed(env, backend)

    move = bound(env, backend, "account.move", invoice.id)
    assert (move.state, move.amount_total) == ("posted", 49.0)
    assert move.payment_state in ("paid", "in_payment")
    refund_payment = bound(env, backend, "account.payment", refund.id)
    assert (refund_payment.payment_type, refund_payment.amount) == ("outbound", 15.0)
    again = reconcile(env, backend)
    assert not again.drift_ids, drift_of(again)
    lines = {line.name: line for line in again.line_ids}
    assert lines["Invoices (paid)"].difference == 0
    assert (lines["Refunds"].provider_total, lines["Refunds"].odoo_total) == (15.0, 15.0)


def test_duplicated_and_reversed_deliveries_end_at_zero_drift(
    env, stripe_backend, localstripe_url, odoo_url, webhook_secret
):
    backend = stripe_backend
    client = stripe_client(localstripe_url)
    # localstripe keeps its events; they are delivered here, newest first and twice.
    route_webhooks(localstripe_url, backend, odoo_url, webhook_secret, NO_EVENT)
    customer = create_customer(client, "Wingtip Toys")
    plan = create_plan(client, "Wingtip plan", 2900, "month")
    subscription = subscribe(client, customer.id, plan.id, 2)
    webhook = f"{odoo_url}/saas/webhook/{backend.webhook_token}"
    events = list(client.v1.events.list(params={"limit": 100}).auto_paging_iter())
    events.sort(key=lambda event: event.created, reverse=True)
    for event in events + events:
        payload = json.dumps(event.to_dict()).encode()
        response = stripe_peer.deliver(webhook, payload, webhook_secret)
        assert response.status_code == 200, response.text
    stored = processed(env, backend, {event.id for event in events})
    assert len(stored.filtered(lambda e: not e.external_id.startswith("evt_sync_"))) == len(events)

    run = reconcile(env, backend)
    assert not run.drift_ids, drift_of(run)
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    move = bound(env, backend, "account.move", invoice.id)
    assert move.amount_total == 58.0
    assert move.payment_state in ("paid", "in_payment")
    assert bound(env, backend, "account.payment", invoice.payment_intent).amount == 58.0
    lines = {line.name: line for line in run.line_ids}
    assert (lines["Invoices (paid)"].provider_count, lines["Invoices (paid)"].odoo_count) == (1, 1)
