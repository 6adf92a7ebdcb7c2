"""Billing scenarios end to end: subscriptions, invoices and payments made in localstripe
through the ``stripe`` SDK reach Odoo by signed webhooks, and the documents Odoo makes of
them are compared with what localstripe reports."""

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import stripe
import stripe_peer
from conftest import create_backend
from stripe_peer import create_customer, create_plan, stripe_client, subscribe
from waiting import wait_until

FINAL_STATES = {"done", "ignored", "stale"}
# Seconds an outcome may take: webhooks leave localstripe a second after the call, and a job
# the queue_job runner misses is picked up by its periodic scan a minute later.
PROCESSING_TIMEOUT = 120


def bound(env, backend, model, external_id):
    return env["saas.binding"].lookup(backend.with_env(env), model, external_id)


def settle(env, backend, expected_ids):
    """Wait until every event of ``expected_ids`` has reached ``backend`` and nothing of the
    backend waits in the queue any more; fail with the errors of the events that failed."""

    def drained(env):
        events = env["saas.event"].search([("backend_id", "=", backend.id)])
        if not set(expected_ids) <= set(events.mapped("external_id")):
            return False
        if any(event.state in ("received", "queued") for event in events):
            return False
        return events

    events = wait_until(drained, env, timeout=PROCESSING_TIMEOUT)
    assert events, f"events {sorted(expected_ids)} were not all processed in time"
    failed = events.filtered(lambda event: event.state not in FINAL_STATES)
    assert not failed, [(e.event_type, e.state, e.last_error) for e in failed]
    return events


def day(backend, timestamp):
    """A Stripe timestamp as the calendar date Odoo shows: in the company's time zone."""
    zone = ZoneInfo(backend.company_id.partner_id.tz or "UTC")
    return datetime.fromtimestamp(timestamp, zone).date()


def utc(timestamp):
    """A Stripe timestamp as Odoo stores a datetime (naive UTC)."""
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def money(cents):
    return cents / 100


@dataclass
class Account:
    """One Stripe account's endpoint in Odoo and the SDK client of its localstripe."""

    client: stripe.StripeClient
    backend: object
    webhook: str
    secret: str
    # localstripe's event ids before the test: the test waits for the ones it causes.
    before: set

    def deliver(self, payload):
        response = stripe_peer.deliver(self.webhook, payload, self.secret)
        assert response.status_code == 200, response.text
        return response.json()

    def new_events(self):
        """The ids of the events localstripe emitted since ``before``."""
        return stripe_peer.event_ids(self.client) - self.before

    def mark(self):
        self.before = stripe_peer.event_ids(self.client)


@pytest.fixture
def account(stripe_backend, webhook_secret, odoo_url, localstripe_url):
    client = stripe_client(localstripe_url)
    return Account(
        client=client,
        backend=stripe_backend,
        webhook=f"{odoo_url}/saas/webhook/{stripe_backend.webhook_token}",
        secret=webhook_secret,
        before=stripe_peer.event_ids(client),
    )


def subscribed(env, account, label, *, amount, interval, quantity):
    """A new customer subscribed to a new plan, once Odoo has processed every event of it;
    returns the Stripe objects (customer, plan, subscription, invoice)."""
    client = account.client
    customer = create_customer(client, label)
    plan = create_plan(client, f"{label} plan", amount, interval)
    subscription = subscribe(client, customer.id, plan.id, quantity)
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    settle(env, account.backend, account.new_events())
    return customer, plan, subscription, invoice


def assert_paid_subscription_invoice(env, backend, invoice, plan, quantity):
    """The Odoo invoice of a paid Stripe subscription invoice of one line, and its payment."""
    assert invoice.status == "paid"
    move = bound(env, backend, "account.move", invoice.id)
    assert move, f"invoice {invoice.id} was not imported"
    assert (move.move_type, move.state) == ("out_invoice", "posted")
    assert move.currency_id.name == "USD"
    assert move.amount_total == money(invoice.total)
    assert move.amount_residual == 0.0
    assert move.payment_state in ("paid", "in_payment")
    stripe_line = invoice.lines.data[0]
    (line,) = move.invoice_line_ids
    assert line.product_id.product_tmpl_id == bound(env, backend, "product.template", plan.product)
    assert (line.quantity, line.price_unit, line.price_subtotal) == (
        quantity,
        money(plan.amount),
        money(stripe_line.amount),
    )
    assert not line.saas_is_proration
    # Stripe's period ends at the instant the next one starts: the last day of service is
    # the day before.
    assert line.saas_service_start == day(backend, stripe_line.period.start)
    assert line.saas_service_end == day(backend, stripe_line.period.end) - timedelta(days=1)
    payment = bound(env, backend, "account.payment", invoice.payment_intent)
    assert payment, f"payment {invoice.payment_intent} was not recorded"
    assert payment.state in ("in_process", "paid")
    assert payment.amount == money(invoice.amount_paid)
    assert payment.partner_id == move.commercial_partner_id
    assert move in payment.reconciled_invoice_ids
    return move, line


def test_monthly_subscription_is_invoiced_and_paid(env, account):
    customer, plan, subscription, invoice = subscribed(
        env, account, "Northwind Monthly", amount=2900, interval="month", quantity=2
    )
    backend = account.backend

    partner = bound(env, backend, "res.partner", customer.id)
    assert (partner.name, partner.email) == (customer.name, customer.email)
    product = bound(env, backend, "product.template", plan.product)
    assert product.name == "Northwind Monthly plan"
    price = bound(env, backend, "saas.stripe.price", plan.id)
    assert (price.unit_amount, price.recurring_interval) == (29.0, "month")
    assert price.product_tmpl_id == product

    record = bound(env, backend, "saas.subscription", subscription.id)
    assert record.partner_id == partner
    assert (record.state, record.mrr_in_currency, record.mrr) == ("active", 58.0, 58.0)
    assert record.arr == 696.0
    (item,) = record.item_ids
    assert (item.product_tmpl_id, item.quantity, item.unit_amount) == (product, 2, 29.0)
    assert (record.current_period_start, record.current_period_end) == (
        utc(subscription.current_period_start),
        utc(subscription.current_period_end),
    )
    assert record.history_ids.mapped("movement") == ["new"]

    move, line = assert_paid_subscription_invoice(env, backend, invoice, plan, 2)
    assert move.partner_id == partner
    assert move.amount_total == 58.0
    assert move.invoice_origin == subscription.id
    assert line.product_id.product_tmpl_id == product


def test_annual_plan_counts_a_twelfth_as_mrr(env, account):
    _customer, plan, subscription, invoice = subscribed(
        env, account, "Contoso Annual", amount=120000, interval="year", quantity=1
    )

    record = bound(env, account.backend, "saas.subscription", subscription.id)
    assert (record.state, record.mrr, record.arr) == ("active", 100.0, 1200.0)
    move, line = assert_paid_subscription_invoice(env, account.backend, invoice, plan, 1)
    assert move.amount_total == 1200.0
    # One year of service (the dates themselves are compared with Stripe's period above);
    # localstripe's years are 365 days long, Stripe's run to the anniversary.
    assert (line.saas_service_end - line.saas_service_start).days + 1 in (365, 366)


def test_quantity_upgrade_is_prorated_and_counted_as_expansion(env, account):
    customer, _plan, subscription, _invoice = subscribed(
        env, account, "Fabrikam Upgrade", amount=2900, interval="month", quantity=2
    )
    backend, client = account.backend, account.client
    account.mark()

    item = subscription["items"].data[0]
    client.v1.subscriptions.update(
        subscription.id,
        params={
            "items": [{"id": item.id, "quantity": 3}],
            # localstripe takes the legacy proration parameters only.
            "prorate": True,
            "proration_date": int(datetime.now(UTC).timestamp()),
        },
    )
    # Stripe sends customer.subscription.updated after an update; localstripe does not.
    account.deliver(stripe_peer.subscription_updated_payload(client, subscription.id))
    # The proration is billed on the next invoice, made and paid right away here.
    proration = client.v1.invoices.create(params={"customer": customer.id})
    proration = client.v1.invoices.pay(proration.id)
    settle(env, backend, account.new_events())

    assert proration.status == "paid"
    assert proration.total == 2900  # three seats for the period, less the two paid for
    move = bound(env, backend, "account.move", proration.id)
    assert move.state == "posted"
    assert (move.amount_untaxed, move.amount_total) == (29.0, 29.0)
    assert move.payment_state in ("paid", "in_payment")
    lines = {line.saas_source_line_id: line for line in move.invoice_line_ids}
    assert set(lines) == {line.id for line in proration.lines.data}
    for stripe_line in proration.lines.data:
        line = lines[stripe_line.id]
        assert line.price_subtotal == money(stripe_line.amount)
        assert line.saas_is_proration == stripe_line.proration
    (credit,) = move.invoice_line_ids.filtered("saas_is_proration")
    assert (credit.name, credit.price_subtotal) == ("Unused time", -58.0)
    (charge,) = move.invoice_line_ids - credit
    assert (charge.quantity, charge.price_unit, charge.price_subtotal) == (3, 29.0, 87.0)
    payment = bound(env, backend, "account.payment", proration.payment_intent)
    assert payment.amount == 29.0

    record = bound(env, backend, "saas.subscription", subscription.id)
    assert (record.state, record.mrr) == ("active", 87.0)
    assert record.item_ids.quantity == 3
    expansion = record.history_ids.filtered(lambda row: row.movement == "expansion")
    assert (expansion.mrr_before, expansion.mrr_after, expansion.mrr_delta) == (58.0, 87.0, 29.0)


def test_cancellation_at_period_end_then_immediately(env, account):
    _customer, _plan, subscription, _invoice = subscribed(
        env, account, "Tailspin Cancel", amount=2900, interval="month", quantity=2
    )
    backend, client = account.backend, account.client

    client.v1.subscriptions.update(subscription.id, params={"cancel_at_period_end": True})
    # Stripe sends customer.subscription.updated after an update; localstripe does not.
    account.deliver(stripe_peer.subscription_updated_payload(client, subscription.id))

    def scheduled(env):
        record = bound(env, backend, "saas.subscription", subscription.id)
        return record if record.cancel_at_period_end else None

    record = wait_until(scheduled, env, timeout=PROCESSING_TIMEOUT)
    assert record, "the scheduled cancellation did not reach the subscription"
    # Until the period ends the customer keeps paying: the MRR stays.
    assert (record.state, record.mrr) == ("active", 58.0)

    account.mark()
    canceled = client.v1.subscriptions.cancel(subscription.id)
    settle(env, backend, account.new_events())

    record = bound(env, backend, "saas.subscription", subscription.id)
    assert canceled.status == "canceled"
    assert (record.state, record.mrr) == ("canceled", 0.0)
    assert record.ended_at == utc(canceled.ended_at)
    churn = record.history_ids.filtered(lambda row: row.movement == "churn")
    assert (churn.mrr_before, churn.mrr_after, churn.state_after) == (58.0, 0.0, "canceled")


def test_failed_payment_flags_the_invoice_until_paid(env, account):
    backend, client = account.backend, account.client
    customer = create_customer(client, "Litware Failing")
    debit = client.v1.payment_methods.create(
        params={"type": "sepa_debit", "sepa_debit": {"iban": stripe_peer.FAILING_IBAN}}
    )
    stripe_peer.set_default_payment_method(client, customer.id, debit.id)
    plan = create_plan(client, "Litware plan", 2900, "month")
    subscription = subscribe(client, customer.id, plan.id, 2)

    # The debit fails half a second after the call; the invoice stays open.
    def failed(env):
        move = bound(env, backend, "account.move", subscription.latest_invoice)
        return move if move.stripe_payment_failed else None

    move = wait_until(failed, env, timeout=PROCESSING_TIMEOUT)
    assert move, "invoice.payment_failed did not flag the invoice"
    settle(env, backend, account.new_events())
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert invoice.status == "open"
    assert (move.state, move.payment_state, move.amount_residual) == ("posted", "not_paid", 58.0)
    assert "could not collect 58.00 USD" in move.stripe_payment_failure
    assert move.activity_ids.filtered(lambda activity: activity.summary == "Stripe payment failed")

    account.mark()
    card = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {
                "number": stripe_peer.GOOD_CARD,
                "exp_month": 12,
                "exp_year": 2035,
                "cvc": "123",
            },
        }
    )
    stripe_peer.set_default_payment_method(client, customer.id, card.id)
    invoice = client.v1.invoices.pay(invoice.id)
    settle(env, backend, account.new_events())

    assert invoice.status == "paid"
    move = bound(env, backend, "account.move", invoice.id)
    assert move.payment_state in ("paid", "in_payment")
    assert move.amount_residual == 0.0
    assert not move.stripe_payment_failed
    payment = bound(env, backend, "account.payment", invoice.payment_intent)
    assert payment.amount == 58.0


def documents(env, partner):
    """What a finance user sees of a customer: counts of invoices, journal entries, payments
    and partners."""
    return {
        "invoices": env["account.move"].search_count(
            [("partner_id", "=", partner.id), ("move_type", "=", "out_invoice")]
        ),
        "entries": env["account.move"].search_count([("partner_id", "=", partner.id)]),
        "payments": env["account.payment"].search_count([("partner_id", "=", partner.id)]),
        "partners": env["res.partner"].search_count([("email", "=", partner.email)]),
    }


def end_state(env, backend, customer, subscription, invoice):
    """The Odoo documents of one subscribed customer, as comparable values."""
    partner = bound(env, backend, "res.partner", customer.id)
    record = bound(env, backend, "saas.subscription", subscription.id)
    move = bound(env, backend, "account.move", invoice.id)
    payment = bound(env, backend, "account.payment", invoice.payment_intent)
    return {
        "partner": (partner.name, partner.email),
        "subscription": (
            record.state,
            record.mrr,
            record.current_period_end,
            [(item.product_tmpl_id.name, item.quantity) for item in record.item_ids],
            record.history_ids.mapped("movement"),
        ),
        "invoice": (
            move.state,
            move.amount_total,
            move.payment_state,
            move.invoice_date,
            [
                (line.product_id.name, line.quantity, line.price_unit, line.saas_service_end)
                for line in move.invoice_line_ids
            ],
        ),
        "payment": (payment.amount, payment.state, payment.date),
    }


def test_redelivery_is_idempotent_and_order_does_not_matter(env, account, localstripe_url):
    customer, _plan, subscription, invoice = subscribed(
        env, account, "Adventure Works Replay", amount=2900, interval="month", quantity=2
    )
    backend = account.backend
    events = env["saas.event"].search([("backend_id", "=", backend.id)])
    payloads = [event.payload.encode() for event in events]
    partner = bound(env, backend, "res.partner", customer.id)
    counts = documents(env, partner)
    assert (counts["invoices"], counts["payments"], counts["partners"]) == (1, 1, 1)
    expected = end_state(env, backend, customer, subscription, invoice)

    # Stripe redelivers whatever it is not sure we got, in any order.
    shuffled = list(payloads)
    random.Random(7).shuffle(shuffled)
    for payload in list(reversed(payloads)) + shuffled:
        assert account.deliver(payload).get("duplicate") is True
    env.cr.rollback()
    env.invalidate_all()
    assert env["saas.event"].search_count([("backend_id", "=", backend.id)]) == len(events)
    assert documents(env, partner) == counts

    # Another account's endpoint gets the same events in shuffled order: it must end in the
    # same state, whichever event comes first.
    other = Account(
        client=account.client,
        backend=create_backend(env, localstripe_url, f"{account.secret}_2", "Stripe (shuffled)"),
        webhook="",
        secret=f"{account.secret}_2",
        before=set(),
    )
    other.webhook = account.webhook.replace(backend.webhook_token, other.backend.webhook_token)
    for payload in shuffled:
        answer = other.deliver(payload)
        # A state the engine read from Stripe (``evt_sync_…``, named after its content) may
        # have been read by the other backend's own processing already: the same event.
        if not json.loads(payload)["id"].startswith("evt_sync_"):
            assert answer.get("duplicate") is False
    settle(env, other.backend, events.mapped("external_id"))

    assert end_state(env, other.backend, customer, subscription, invoice) == expected
