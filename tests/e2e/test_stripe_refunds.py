"""Refunds end to end: a subscription invoice paid in localstripe reaches Odoo by signed
webhooks, then is refunded in localstripe, in full or in parts, through the ``stripe`` SDK.
Each refund becomes one outbound payment in the backend's Stripe journal, settled with the
credit the backend's policy gives it, so that the customer owes in Odoo what Stripe shows open.

localstripe records no event at all for a refund (neither ``charge.refunded`` nor
``refund.*``: each test checks it), so no webhook brings the refunds to Odoo. They come the way
a user brings what a webhook missed: the reconciliation lists the refund as missing in Odoo and
Re-sync fetches it, or the objects read from the Stripe API are fed through the event engine
(the engine's ``_sync_objects``, what Re-sync and stale events use) as Stripe's events would be.

Each test has a localstripe of its own: the reconciliation lists every object of the Stripe
account, so objects of other tests would be drift for this test's backend."""

import pytest
from conftest import localstripe_process
from test_stripe_billing_scenarios import account, bound, settle, subscribed  # noqa: F401
from test_stripe_reconciliation import drift_of, reconcile

PAID = ("paid", "in_payment")
POSTED = ("in_process", "paid")


@pytest.fixture
def localstripe_url():
    """This test's own, empty Stripe account."""
    with localstripe_process("localstripe-refunds") as url:
        yield url


def sync(env, backend, objects):
    """Feed Stripe objects read from localstripe through the event engine, commit for the
    server's job runner and wait until it has processed them; returns the events stored."""
    events = backend.with_env(env)._sync_objects([obj.to_dict() for obj in objects])
    external_ids = events.mapped("external_id")
    env.cr.commit()
    settle(env, backend, external_ids)
    return external_ids


def refund_payments(env, backend, partner):
    """The money the customer got back: outbound payments of the backend's Stripe journal."""
    return env["account.payment"].search(
        [
            ("journal_id", "=", backend.with_env(env).stripe_payment_journal_id.id),
            ("payment_type", "=", "outbound"),
            ("partner_id", "=", partner.id),
        ],
        order="id",
    )


def open_receivable(env, partner):
    """The customer's receivable lines still open: what makes the customer's balance."""
    lines = env["account.move.line"].search(
        [
            ("partner_id", "=", partner.id),
            ("account_id.account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
        ]
    )
    return lines.filtered(lambda line: line.amount_residual)


def clearing_amount(payment, clearing):
    """What ``payment`` moved on the Stripe balance's clearing account."""
    lines = payment.move_id.line_ids.filtered(lambda line: line.account_id == clearing)
    return round(sum(lines.mapped("amount_currency")), 2)


def refunds_line(run):
    line = run.line_ids.filtered(lambda line: line.name == "Refunds")
    return (line.provider_count, line.odoo_count, line.provider_total, line.odoo_total)


def test_full_refund_found_by_reconciliation_reverses_the_paid_invoice(env, account):  # noqa: F811
    _customer, _plan, _subscription, invoice = subscribed(
        env, account, "Northwind Refund", amount=4900, interval="month", quantity=1
    )
    backend, client = account.backend.with_env(env), account.client
    move = bound(env, backend, "account.move", invoice.id)
    assert move.payment_state in PAID
    partner = move.commercial_partner_id

    account.mark()
    refund = client.v1.refunds.create(params={"payment_intent": invoice.payment_intent})
    assert (refund.amount, refund.currency, refund.status) == (4900, "usd", "succeeded")
    assert not account.new_events(), "localstripe now sends refund events: use them here"

    run = reconcile(env, backend)
    assert drift_of(run) == {("refund", refund.id, "missing_in_odoo")}
    assert refunds_line(run) == (1, 0, 49.0, 0.0)
    run.drift_ids.action_resync()
    env.cr.commit()
    assert run.drift_ids.state == "fixed", run.drift_ids.message
    settle(env, backend, ())

    # One outbound payment of the whole amount, out of the USD Stripe balance.
    payment = bound(env, backend, "account.payment", refund.id)
    assert refund_payments(env, backend, partner) == payment
    assert (payment.payment_type, payment.partner_type, payment.amount) == (
        "outbound",
        "customer",
        49.0,
    )
    assert (payment.currency_id.name, payment.payment_reference) == ("USD", refund.id)
    assert payment.state in POSTED
    assert payment.journal_id == backend.stripe_payment_journal_id
    clearing = env["saas.stripe.balance.handler"]._balance_account(backend, env.ref("base.USD"))
    assert payment.outstanding_account_id == clearing
    assert clearing_amount(payment, clearing) == -49.0

    # No credit note came from Stripe: the default policy reverses the whole invoice, and the
    # refund pays the reversal out.
    assert backend.stripe_refund_without_credit_note == "credit_note"
    credit_note = bound(env, backend, "account.move", refund.id)
    assert (credit_note.move_type, credit_note.state, credit_note.reversed_entry_id) == (
        "out_refund",
        "posted",
        move,
    )
    assert credit_note.ref == f"Refunded in Stripe: {refund.id}"
    assert (credit_note.amount_total, credit_note.amount_residual) == (49.0, 0.0)
    assert credit_note.payment_state in PAID
    assert payment.reconciled_invoice_ids == credit_note
    assert env["account.move"].search([("reversed_entry_id", "=", move.id)]) == credit_note
    # The invoice stays paid by the customer's payment; the customer owes nothing and is
    # owed nothing.
    assert (move.payment_state in PAID, move.amount_residual) == (True, 0.0)
    assert not open_receivable(env, partner)

    again = reconcile(env, backend)
    assert not again.drift_ids, drift_of(again)
    assert refunds_line(again) == (1, 1, 49.0, 49.0)
    paid = again.line_ids.filtered(lambda line: line.name == "Invoices (paid)")
    assert (paid.provider_count, paid.odoo_count, paid.difference) == (1, 1, 0.0)


def test_two_partial_refunds_are_two_payments_and_two_credit_notes(env, account):  # noqa: F811
    _customer, _plan, _subscription, invoice = subscribed(
        env, account, "Fabrikam Partial", amount=10000, interval="month", quantity=1
    )
    backend, client = account.backend.with_env(env), account.client
    move = bound(env, backend, "account.move", invoice.id)
    assert (move.amount_total, move.payment_state in PAID) == (100.0, True)
    partner = move.commercial_partner_id

    # Each refund reaches Odoo as the refunded charge: charge.refunded lists its refunds.
    account.mark()
    first = client.v1.refunds.create(
        params={"payment_intent": invoice.payment_intent, "amount": 3000}
    )
    sync(env, backend, [client.v1.charges.retrieve(first.charge)])
    second = client.v1.refunds.create(
        params={"payment_intent": invoice.payment_intent, "amount": 2000}
    )
    charge = client.v1.charges.retrieve(first.charge)
    assert (charge.amount, charge.amount_refunded) == (10000, 5000)
    sync(env, backend, [charge])
    assert not account.new_events(), "localstripe now sends refund events: use them here"

    payments = refund_payments(env, backend, partner)
    assert [(p.amount, p.payment_reference) for p in payments] == [
        (30.0, first.id),
        (20.0, second.id),
    ]
    assert bound(env, backend, "account.payment", first.id) == payments[0]
    assert bound(env, backend, "account.payment", second.id) == payments[1]
    assert set(payments.mapped("state")) <= set(POSTED)
    clearing = env["saas.stripe.balance.handler"]._balance_account(backend, env.ref("base.USD"))
    assert [clearing_amount(p, clearing) for p in payments] == [-30.0, -20.0]

    # No credit note came from Stripe: each refund credits the invoice for its amount and
    # pays that credit out. The invoice stays paid; the customer owes nothing, as in Stripe.
    assert backend.stripe_refund_without_credit_note == "credit_note"
    credit_notes = bound(env, backend, "account.move", first.id) + bound(
        env, backend, "account.move", second.id
    )
    assert env["account.move"].search([("reversed_entry_id", "=", move.id)]) == credit_notes
    assert [(c.move_type, c.state, c.amount_total) for c in credit_notes] == [
        ("out_refund", "posted", 30.0),
        ("out_refund", "posted", 20.0),
    ]
    assert credit_notes.mapped("amount_residual") == [0.0, 0.0]
    assert [p.reconciled_invoice_ids for p in payments] == list(credit_notes)
    assert (move.payment_state in PAID, move.amount_residual) == (True, 0.0)
    assert not open_receivable(env, partner)

    # The same refunds synced again, as refunds and as the charge: nothing new.
    sync(env, backend, [client.v1.refunds.retrieve(first.id), second])
    assert not sync(env, backend, [charge]), "an unchanged charge is a duplicate"
    assert refund_payments(env, backend, partner) == payments
    assert payments.mapped("amount") == [30.0, 20.0]
    assert env["account.move"].search([("reversed_entry_id", "=", move.id)]) == credit_notes
    assert not open_receivable(env, partner)

    run = reconcile(env, backend)
    assert not run.drift_ids, drift_of(run)
    assert refunds_line(run) == (2, 2, 50.0, 50.0)
