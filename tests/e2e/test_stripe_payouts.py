"""A payout of a day's charges end to end: EUR subscriptions paid in localstripe, then a payout
of what they brought, reach Odoo by signed webhooks; the payout moves the money from the
Stripe balance's clearing account to the EUR bank journal, where the bank statement line of the
payout matches it in one step.

localstripe pays out EUR only, and only manually (``automatic`` false, no payout schedule): a
manual payout names no balance transactions in Stripe either, so Odoo books its transfer alone.
The fees and balance transactions of automatic payouts are covered by
``addons/saas_stripe/tests/test_payout.py``, against recorded payloads.
"""

import pytest
from stripe_peer import create_customer, create_plan, subscribe
from test_stripe_billing_scenarios import account, bound, money, settle  # noqa: F401
from waiting import wait_until

PROCESSING_TIMEOUT = 120


@pytest.fixture
def eur_bank_journal(env, account):  # noqa: F811
    """A EUR bank account the backend's EUR Stripe balance is paid out to."""
    eur = env.ref("base.EUR")
    eur.active = True
    journals = env["account.journal"]
    used = set(journals.with_context(active_test=False).search([]).mapped("code"))
    journal = journals.create(
        {
            "name": f"Bank EUR ({account.backend.name} {account.backend.id})",
            "type": "bank",
            "code": next(f"EU{n}" for n in range(100, 1000) if f"EU{n}" not in used),
            "currency_id": eur.id,
        }
    )
    backend = account.backend.with_env(env)
    env["saas.stripe.balance.handler"]._balance(backend, eur).payout_journal_id = journal
    env.cr.commit()
    return journal


def test_payout_of_a_days_charges_reaches_the_bank_journal(env, account, eur_bank_journal):  # noqa: F811
    client = account.client
    backend = account.backend.with_env(env)
    invoices = []
    for label, cents in (("Lindqvist AB", 4900), ("Moreau SARL", 12900), ("Keller GmbH", 2500)):
        customer = create_customer(client, label)
        plan = create_plan(client, f"{label} plan", cents, "month", currency="eur")
        subscription = subscribe(client, customer.id, plan.id, 1)
        invoices.append(client.v1.invoices.retrieve(subscription.latest_invoice))
    settle(env, backend, account.new_events())
    eur = env.ref("base.EUR")
    clearing = env["saas.stripe.balance.handler"]._balance_account(backend, eur)
    payments = env["account.payment"].union(
        *(bound(env, backend, "account.payment", invoice.payment_intent) for invoice in invoices)
    )
    assert len(payments) == 3
    assert set(payments.outstanding_account_id) == {clearing}
    day_total = sum(invoice.amount_paid for invoice in invoices)
    assert day_total == 20300

    # The day's charges leave the Stripe balance in one payout, paid at once by localstripe.
    account.mark()
    payout = client.v1.payouts.create(
        params={"amount": day_total, "currency": "eur", "status": "paid"}
    )
    settle(env, backend, account.new_events())

    def booked(env):
        record = bound(env, backend, "saas.stripe.payout", payout.id)
        return record if record.move_id else None

    record = wait_until(booked, env, timeout=PROCESSING_TIMEOUT)
    assert record, f"payout {payout.id} was not booked"
    assert (record.state, record.amount, record.journal_id) == (
        "paid",
        money(day_total),
        eur_bank_journal,
    )
    assert not record.automatic
    move = record.move_id
    assert move.state == "posted"
    assert move.journal_id == eur_bank_journal
    transfer = move.line_ids.filtered(lambda line: line.account_id != clearing)
    assert transfer.amount_currency == money(day_total)
    assert move.line_ids.filtered(lambda line: line.account_id == clearing).amount_currency == (
        -money(day_total)
    )
    # What the three payments brought to the Stripe balance went to the bank.
    clearing_lines = (payments.move_id | move).line_ids.filtered(
        lambda line: line.account_id == clearing
    )
    assert round(sum(clearing_lines.mapped("amount_currency")), 2) == 0.0

    # The bank statement shows the payout: one line, matched with the payout's transfer.
    statement_line = env["account.bank.statement.line"].create(
        {
            "journal_id": eur_bank_journal.id,
            "payment_ref": f"STRIPE PAYOUT {payout.id}",
            "amount": money(day_total),
        }
    )
    candidates = env["account.move.line"].search(
        [
            *statement_line._get_default_amls_matching_domain(),
            ("account_id", "=", transfer.account_id.id),
            ("amount_residual_currency", "=", money(day_total)),
        ]
    )
    assert candidates == transfer
    _liquidity, suspense, _other = statement_line.with_context(
        skip_account_move_synchronization=True
    )._seek_for_lines()
    suspense.account_id = transfer.account_id
    (suspense | transfer).reconcile()
    assert statement_line.is_reconciled
    assert transfer.reconciled
    env.cr.commit()
