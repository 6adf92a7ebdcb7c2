"""Backfill end to end: a localstripe account with more than a thousand objects is imported
by the real Odoo server's queue jobs; the import is cut by killing the worker in the middle
of applying a batch, resumed, and compared with a clean import of the same account into a
second backend: same partners, subscriptions, invoices and payments, to the cent, no
duplicates.

The account gets a localstripe of its own, so that what other tests create does not blur the
comparison; no webhook endpoint is registered: everything comes from the API.
"""

import os
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import create_backend, localstripe_process
from stripe_peer import create_customer, create_plan, stripe_client, subscribe
from waiting import wait_until

CUSTOMERS = 1000
SUBSCRIBERS = 20
# What localstripe serves: it has plans but no prices, and no credit notes or disputes.
OBJECT_TYPES = ["customers", "products", "plans", "subscriptions", "invoices", "charges"]
TIMEOUT = 480


def populate(client, customers=CUSTOMERS, subscribers=SUBSCRIBERS):
    """Customers (created concurrently: they are cheap), two plans and paying subscribers,
    each subscription making a paid invoice and its charge. Returns the objects made per
    type."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda number: client.v1.customers.create(
                    params={"name": f"Backfill {number:05d}", "email": f"bf{number}@example.com"}
                ),
                range(customers),
            )
        )
    plans = [create_plan(client, "Seat", 1200, "month"), create_plan(client, "Site", 9900, "year")]
    for number in range(subscribers):
        customer = create_customer(client, f"Subscriber {number:03d}")
        subscribe(client, customer.id, plans[number % 2].id, 1 + number % 3)
    return {
        "customers": customers + subscribers,
        "products": len(plans),
        "plans": len(plans),
        "subscriptions": subscribers,
        "invoices": subscribers,
        "charges": subscribers,
    }


@pytest.fixture(scope="module")
def account():
    with localstripe_process("localstripe-backfill") as url:
        expected = populate(stripe_client(url))
        yield url, expected


def run_jobs(env, run):
    return env["queue.job"].search(
        [("identity_key", "=like", f"saas.backfill:{run.id}:%")], order="id"
    )


def finished(run):
    """Wait until the run is done and the engine has processed every event it stored."""

    def check(env):
        current = run.with_env(env)
        if current.state in ("draft", "running", "paused"):
            return False
        waiting = env["saas.event"].search_count(
            [("backend_id", "=", current.backend_id.id), ("state", "in", ("received", "queued"))]
        )
        return not waiting and current

    return check


def running_batch(run):
    """The run's job applying a batch of customers, being performed by a worker."""

    def check(env):
        return run_jobs(env, run).filtered(
            lambda job: (
                job.state == "started"
                and job.worker_pid
                and ":apply:customers:cus_" in job.identity_key
            )
        )[:1]

    return check


def kill_a_batch_mid_way(env, run):
    """SIGKILL the server worker while it applies a batch of the run, as a crash would.
    Returns the killed job: its batch was never committed, and it stays *started*."""
    for _attempt in range(20):
        job = wait_until(running_batch(run), env, timeout=120, interval=0.02)
        assert job, "no batch of the backfill was seen running"
        os.kill(job.worker_pid, signal.SIGKILL)
        time.sleep(1)
        env.cr.rollback()
        env.invalidate_all()
        if job.state == "started":
            return job
    pytest.fail("every batch ended before its worker could be killed")


def summary(env, backend):
    """What a user compares: the documents of the backend, keyed by their Stripe ids."""
    bindings = env["saas.binding"].search([("backend_id", "=", backend.id)])

    def bound(model):
        return {
            binding.external_id: env[model].browse(binding.res_id)
            for binding in bindings.filtered(lambda binding: binding.res_model == model)
        }

    moves = bound("account.move")
    payments = {
        record for key, record in bound("account.payment").items() if "/payment/" not in key
    }
    events = env["saas.event"].search([("backend_id", "=", backend.id)])
    return {
        "partners": sorted((key, p.name, p.email) for key, p in bound("res.partner").items()),
        "subscriptions": sorted(
            (key, s.state, s.mrr) for key, s in bound("saas.subscription").items()
        ),
        "invoices": sorted(
            (key, m.state, m.payment_state, m.amount_total, m.partner_id.name)
            for key, m in moves.items()
            if key.startswith("in_")
        ),
        "payments": sorted((p.amount, p.partner_id.name, p.state) for p in payments),
        "events": Counter(events.mapped("event_type")),
        "event_states": Counter(events.mapped("state")),
    }


def test_interrupted_backfill_resumes_to_the_same_documents_as_a_clean_import(
    env, odoo_url, accounting, account
):
    url, expected = account
    resumed = create_backend(env, url, "whsec_e2e_backfill", name="Backfill (interrupted)")
    run = resumed.backfill(object_types=OBJECT_TYPES)
    env.cr.commit()

    killed = kill_a_batch_mid_way(env, run)
    assert run.with_env(env).state == "running"
    # The killed batch's customers wait, stored but not applied.
    waiting = env["saas.event"].search_count(
        [("backend_id", "=", resumed.id), ("state", "in", ("received", "queued"))]
    )
    assert waiting > 0
    # As an operator would after the crash: carry on from the stored cursors.
    run.with_env(env).action_resume()
    env.cr.commit()
    assert wait_until(finished(run), env, timeout=TIMEOUT), "the resumed backfill did not finish"
    assert run.with_env(env).state == "done", run.with_env(env).last_error

    clean = create_backend(env, url, "whsec_e2e_backfill", name="Backfill (clean)")
    clean_run = clean.backfill(object_types=OBJECT_TYPES)
    env.cr.commit()
    assert wait_until(finished(clean_run), env, timeout=TIMEOUT), "the clean import timed out"
    assert clean_run.with_env(env).state == "done", clean_run.with_env(env).last_error

    after_crash, reference = summary(env, resumed), summary(env, clean)
    assert after_crash == reference
    assert set(reference["event_states"]) <= {"done", "ignored"}, reference["event_states"]
    assert len(reference["partners"]) == expected["customers"]
    assert len(reference["subscriptions"]) == expected["subscriptions"]
    assert len(reference["invoices"]) == expected["invoices"]
    assert len(reference["payments"]) == expected["charges"]
    assert all(state == "posted" for _key, state, *_rest in reference["invoices"])
    assert {paid for _key, _state, paid, *_rest in reference["invoices"]} <= {"paid", "in_payment"}
    assert sum(amount for _key, _state, _paid, amount, _partner in reference["invoices"]) == sum(
        amount for amount, _partner, _state in reference["payments"]
    )
    lines = {line.object_type: line for line in run.with_env(env).line_ids}
    assert {kind: lines[kind].done_count for kind in OBJECT_TYPES} == expected
    assert killed.with_env(env).exists()
