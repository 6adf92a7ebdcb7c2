"""Month-start storm benchmark: N subscriptions renewing at once, a finance user meanwhile.

N monthly subscriptions renew at once through the webhook route and the queue — how long the
queue takes to drain, events/s and invoices/s — while a finance user keeps loading the
customer invoices list (its p95 must stay under 1 s).

In one run, on loopback, on its own database:

* setup (not timed): ``saas_stripe`` and ``saas_deferred_revenue`` (recurring products
  deferred by default), the Stripe backend of the ``stripe_pipeline`` bench; Odoo as the
  README's *Sizing and operations* recommends — 4 HTTP workers, queue_job's runner on
  ``root:2``, a capacity below the worker count so that users find a free worker; N customers
  with an active monthly subscription and its first paid invoice, delivered through the route
  and processed before the clock starts;
* the storm (timed): for each subscription, the deliveries Stripe sends when it renews, in
  Stripe's order — ``customer.subscription.updated`` (period advanced), ``invoice.created``
  (draft), ``invoice.finalized``, ``charge.succeeded``, ``invoice.payment_succeeded``,
  ``invoice.paid`` (``billing_reason`` ``subscription_cycle``, the new month's line) — POSTed
  on several connections; the clock runs from the first delivery until the database shows
  the N renewal invoices posted and paid and no event waiting;
* meanwhile, a finance user (Invoicing rights, not an administrator) logged in through
  ``/web/session/authenticate`` loads the *Invoices* list as the web client does
  (``web_search_read`` with the list view's fields, the action's domain, 80 rows), one request
  after another; each latency is recorded.

It prints the drain time, events/s, invoices/s, the list's p50/p95/max and PASS/MISS for
the list's p95; a miss does not fail the run, an error, a failed event or an inconsistency
(an acknowledged event not stored, a renewal invoice missing or imported twice) does.

    .venv/bin/python tests/bench/month_start_storm/run.py [-n 5000] [--keep-db] [--reuse-db]
"""

import argparse
import copy
import http.cookiejar
import json
import os
import statistics
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import benchkit  # noqa: E402

NAME = "month_start_storm"
say = benchkit.sayer(NAME)
# The Stripe deliveries (recorded payloads, signing, the route) and backend of stripe_pipeline.
pipeline = benchkit.driver("stripe_pipeline")
MODULES = "saas_stripe,saas_deferred_revenue"
RUN_ID = pipeline.RUN_ID
WORKERS = 4
CHANNELS = "root:2"
TARGET_LIST_P95 = 1.0
FINANCE_LOGIN, FINANCE_PASSWORD = "bench.finance", "bench-finance-password"
# The subscription's periods: the month before the storm (setup) and the month it renews into.
PERIODS = [
    int(datetime(year, month, 1, tzinfo=UTC).timestamp())
    for year, month in ((2026, 11), (2026, 12), (2027, 1))
]
AMOUNT, TAX = 2000, 380  # Gold, monthly, 19 % VAT, in cents
RENEWALS = (
    "SELECT count(*), count(DISTINCT ref), count(*) FILTER (WHERE state = 'posted' "
    "AND payment_state IN ('paid', 'in_payment')) FROM account_move "
    "WHERE move_type = 'out_invoice' AND ref LIKE %s"
)
WAITING = "SELECT count(*) FROM saas_event WHERE state IN ('received', 'queued')"
STORED = (
    "SELECT count(*), count(*) FILTER (WHERE state = 'done'), "
    "count(*) FILTER (WHERE attempts > 1) FROM saas_event WHERE external_id LIKE %s"
)
# queue_job counts a job's tries in ``retry``: more than one is a job run again (a conflict
# between workers, a worker lost).
JOBS = (
    "SELECT count(*) FILTER (WHERE retry > 1), count(*) FILTER (WHERE state = 'failed') "
    "FROM queue_job"
)
SCHEDULES = (
    "SELECT count(*) FROM saas_revenue_schedule s JOIN account_move m ON m.id = s.move_id "
    "WHERE m.move_type = 'out_invoice' AND m.ref LIKE %s"
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--subscriptions", type=int, default=5000)
    benchkit.add_delivery_options(parser, "saas_bench_storm", port=8420, timeout=3600)
    return benchkit.parse_args(NAME, parser)


# ---------------------------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------------------------
# After stripe_pipeline's SETUP (company, tax, backend, tax mapping, Stripe journal): deferred
# revenue as in production, the finance user, and what the web client sends for the Invoices
# list (its view's fields, the action's domain and context) as that user sees them.
SETUP = f"""
import json
from lxml import etree
from odoo import Command
company = env.company
if not company.saas_deferred_revenue_account_id:
    company.write({{
        "saas_deferred_revenue_account_id": env["account.account"].create({{
            "name": "Deferred Revenue", "code": "289100", "account_type": "liability_current",
        }}).id,
        "saas_defer_recurring": True,
        "saas_revenue_journal_id": env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "general")], limit=1
        ).id,
    }})
finance = env["res.users"].search([("login", "=", {FINANCE_LOGIN!r})])
if not finance:
    finance = env["res.users"].create({{
        "name": "Bench Finance", "login": {FINANCE_LOGIN!r}, "password": {FINANCE_PASSWORD!r},
        "group_ids": [Command.set([env.ref("account.group_account_invoice").id])],
    }})
env.cr.commit()
action = env.ref("account.action_move_out_invoice_type")
moves = env["account.move"].with_user(finance)
view = moves.get_view(action.view_id.id, "list")
arch = etree.fromstring(view["arch"])
specification = {{}}
for node in arch.iterchildren("field"):
    field = moves._fields[node.get("name")]
    related = field.type in ("many2one", "many2many", "one2many")
    specification[field.name] = {{"fields": {{"display_name": {{}}}}}} if related else {{}}
print("BENCH_LIST=" + json.dumps({{
    "specification": specification,
    "domain": eval(action.domain),
    "context": {{"lang": "en_US", "tz": "UTC", "uid": finance.id,
                 "allowed_company_ids": company.ids, **eval(action.context)}},
    "order": arch.get("default_order", ""),
}}))
"""


# ---------------------------------------------------------------------------------------------
# Stripe's deliveries
# ---------------------------------------------------------------------------------------------
def subscription_event(key, kind, period, created):
    """``customer.subscription.<kind>`` of ``sub_<key>``: active, Gold monthly in USD, in its
    ``period``-th month."""
    event = pipeline.recorded("customer_subscription_created.json")
    event.update(id=f"evt_sub_{key}_{period}", type=f"customer.subscription.{kind}")
    event["created"] = created
    body = event["data"]["object"]
    body.update(
        id=f"sub_{key}",
        customer=f"cus_{key}",
        created=PERIODS[0],
        start_date=PERIODS[0],
        latest_invoice=f"in_{key}_{period}",
        current_period_start=PERIODS[period],
        current_period_end=PERIODS[period + 1],
    )
    body["metadata"] = {}
    body["plan"]["currency"] = "usd"
    item = body["items"]["data"][0]
    item.update(id=f"si_{key}", plan=body["plan"])
    return event


def invoice_events(key, period, types):
    """The events ``types`` (each ``(type, status, seconds after the period's start)``) of the
    subscription's invoice for its ``period``-th month: one Gold line for that month."""
    recorded = pipeline.recorded("invoice_payment_succeeded.json")
    invoice, charge = f"in_{key}_{period}", f"{key}_{period}"
    start = PERIODS[period]
    body = recorded["data"]["object"]
    line = body["lines"]["data"][0]
    line.update(
        id=f"il_{key}_{period}",
        subscription=f"sub_{key}",
        subscription_item=f"si_{key}",
        plan=subscription_event(key, "created", 0, start)["data"]["object"]["plan"],
        currency="usd",
        description="Gold",
        amount=AMOUNT,
        period={"start": start, "end": PERIODS[period + 1]},
        invoice=invoice,
    )
    line["tax_amounts"][0]["amount"] = TAX
    body.update(
        id=invoice,
        customer=f"cus_{key}",
        customer_email=f"{key}@example.com",
        subscription=f"sub_{key}",
        parent={
            "type": "subscription_details",
            "subscription_details": {"subscription": f"sub_{key}"},
        },
        billing_reason="subscription_cycle" if period else "subscription_create",
        currency="usd",
        created=start,
        date=start,
        period_start=PERIODS[period - 1] if period else start,
        period_end=start,
        webhooks_delivered_at=start,
        charge=f"ch_{charge}",
        payment_intent=f"pi_{charge}",
        subtotal=AMOUNT,
        tax=TAX,
        total=AMOUNT + TAX,
        amount_due=AMOUNT + TAX,
        total_tax_amounts=[line["tax_amounts"][0]],
    )
    body["lines"].update(url=f"/v1/invoices/{invoice}/lines", data=[line])
    events = []
    for event_type, status, seconds in types:
        event = copy.deepcopy(recorded)
        kind = event_type.rsplit(".", 1)[-1]
        event.update(id=f"evt_{kind}_{key}_{period}", type=event_type, created=start + seconds)
        finalized = status != "draft"
        paid = status == "paid"
        event["data"]["object"].update(
            status=status,
            number=f"STORM-{key}-{period}" if finalized else None,
            amount_paid=AMOUNT + TAX if paid else 0,
            status_transitions={
                "finalized_at": start + 3600 if finalized else None,
                "paid_at": start + 3602 if paid else None,
                "voided_at": None,
            },
        )
        events.append(event)
    return events


def charge(key, period, seconds):
    event = pipeline.charge_event(
        f"{key}_{period}", f"in_{key}_{period}", customer=f"cus_{key}", amount=AMOUNT + TAX
    )
    event["created"] = event["data"]["object"]["created"] = PERIODS[period] + seconds
    return event


def setup_rounds(count):
    """The deliveries of the setup, in rounds of one event per subscription: customers, their
    subscriptions, their first invoices paid and their charges."""
    rounds = [[], [], [], []]
    for n in range(count):
        key = f"{RUN_ID}x{n}"
        customer = pipeline.customer_event(key)
        customer["created"] = PERIODS[0] - 60
        (paid,) = invoice_events(key, 0, [("invoice.paid", "paid", 2)])
        events = (customer, subscription_event(key, "created", 0, PERIODS[0]), paid)
        for round_, event in zip(rounds, (*events, charge(key, 0, 1)), strict=True):
            round_.append(event)
    return rounds


# A renewal as Stripe emits it: the subscription moves to its new period and drafts the
# invoice, finalizes it an hour later, charges the card and reports the invoice paid.
RENEWAL = [
    ("invoice.created", "draft", 0),
    ("invoice.finalized", "open", 3600),
    ("invoice.payment_succeeded", "paid", 3602),
    ("invoice.paid", "paid", 3603),
]


def storm_rounds(count):
    """The renewal deliveries in Stripe's order, in rounds of one event per subscription."""
    rounds = [[] for _ in range(6)]
    for n in range(count):
        key = f"{RUN_ID}x{n}"
        created, finalized, succeeded, paid = invoice_events(key, 1, RENEWAL)
        events = (
            subscription_event(key, "updated", 1, PERIODS[1]),
            created,
            finalized,
            charge(key, 1, 3601),
            succeeded,
            paid,
        )
        for round_, event in zip(rounds, events, strict=True):
            round_.append(event)
    return rounds


def deliver_rounds(args, url, rounds):
    """POST every event of ``rounds``, round after round, on ``args.connections``
    connections; exit if one is refused. How many were acknowledged."""
    with ThreadPoolExecutor(args.connections) as pool:
        for round_ in rounds:
            statuses = list(pool.map(lambda event: pipeline.deliver(url, event), round_))
            if any(status != 200 for status in statuses):
                sys.exit(f"a delivery was refused: {sorted(set(statuses))}")
    return sum(len(round_) for round_ in rounds)


def wait_drained(args, started, pattern, count):
    """Wait until ``count`` invoices whose number is like ``pattern`` are posted and paid and
    no event is waiting; exit on a failed event or after ``args.timeout`` seconds."""
    while True:
        failed, error = benchkit.postgres(args.db, pipeline.FAILED)
        if failed:
            sys.exit(f"{failed} events failed, e.g.: {error}")
        paid = benchkit.postgres(args.db, RENEWALS, (pattern,))[2]
        if paid >= count and not benchkit.postgres(args.db, WAITING)[0]:
            return
        if time.monotonic() - started > args.timeout:
            sys.exit(f"only {paid} of {count} invoices paid after {args.timeout} s")
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------------
# The finance user
# ---------------------------------------------------------------------------------------------
class FinanceUser(threading.Thread):
    """A finance user's browser: logged in, loading the Invoices list again and again until
    stopped; the latencies in seconds."""

    def __init__(self, args, listing):
        super().__init__(daemon=True)
        self.base = f"http://127.0.0.1:{args.port}"
        self.db, self.listing = args.db, listing
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.latencies, self.error = [], None
        self.halt = threading.Event()
        self.call(
            "/web/session/authenticate", db=self.db, login=FINANCE_LOGIN, password=FINANCE_PASSWORD
        )

    def call(self, path, **params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params})
        request = urllib.request.Request(
            self.base + path, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with self.opener.open(request, timeout=120) as answer:
            reply = json.loads(answer.read())
        if "error" in reply:
            raise RuntimeError(f"{path}: {reply['error'].get('data', reply['error'])}")
        return reply["result"]

    def load_list(self):
        started = time.monotonic()
        self.call(
            "/web/dataset/call_kw/account.move/web_search_read",
            model="account.move",
            method="web_search_read",
            args=[],
            kwargs={
                "specification": self.listing["specification"],
                "offset": 0,
                "order": self.listing["order"],
                "limit": 80,
                "context": self.listing["context"],
                "count_limit": 10001,
                "domain": self.listing["domain"],
            },
        )
        return time.monotonic() - started

    def run(self):
        try:
            while not self.halt.is_set():
                self.latencies.append(self.load_list())
        except Exception as error:  # reported by the main thread
            self.error = error

    def stop(self):
        self.halt.set()
        self.join()
        if self.error:
            sys.exit(f"the finance user's list failed: {self.error}")
        return self.latencies


def percentiles(latencies):
    ordered = sorted(latencies)
    if not ordered:
        return {"count": 0, "p50": 0.0, "p95": 0.0, "max": 0.0}
    return {
        "count": len(ordered),
        "p50": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "max": ordered[-1],
    }


# ---------------------------------------------------------------------------------------------
# Measure
# ---------------------------------------------------------------------------------------------
def check_consistency(args, delivered, pattern):
    """Exit unless every acknowledged storm event is stored and each renewal invoice is in
    Odoo once, posted and paid; the events applied and revenue schedules made."""
    stored, done, retried = benchkit.postgres(args.db, STORED, (f"evt_%{RUN_ID}x%\\_1",))
    if stored != delivered:
        sys.exit(f"{delivered} storm events acknowledged but {stored} stored")
    total, distinct, paid = benchkit.postgres(args.db, RENEWALS, (pattern,))
    n = args.subscriptions
    if (total, distinct, paid) != (n, n, n):
        sys.exit(f"{n} renewals: {total} invoices, {distinct} distinct, {paid} posted and paid")
    jobs_retried, jobs_failed = benchkit.postgres(args.db, JOBS)
    return {
        "applied": done,
        "retried": retried,
        "jobs_retried": jobs_retried,
        "jobs_failed": jobs_failed,
        "schedules": benchkit.postgres(args.db, SCHEDULES, (pattern,))[0],
    }


def measure_storm(args, conf, token, listing):
    url = f"http://127.0.0.1:{args.port}/saas/webhook/{token}"
    n = args.subscriptions
    say(f"Odoo on port {args.port}: {WORKERS} workers, queue_job runner on {CHANNELS}")
    odoo = benchkit.start_odoo(conf, args.port, args.run_dir / "odoo.stdout")
    try:
        say(f"setup: {n} customers, subscriptions and first invoices through the route")
        started = time.monotonic()
        # Customers applied first: a subscription before its customer would make a stand-in
        # partner that a later job reads from Stripe.
        customers, *rest = setup_rounds(n)
        deliver_rounds(args, url, [customers])
        wait_drained(args, started, f"STORM-{RUN_ID}x%-0", 0)
        deliver_rounds(args, url, rest)
        wait_drained(args, started, f"STORM-{RUN_ID}x%-0", n)
        say(f"setup done in {time.monotonic() - started:.0f} s")
        user = FinanceUser(args, listing)
        quiet = percentiles([user.load_list() for _ in range(10)])
        rounds = storm_rounds(n)
        say(f"storm: {sum(map(len, rounds))} renewal events for {n} subscriptions")
        user.start()
        before = benchkit.snapshot()
        started = time.monotonic()
        delivered = deliver_rounds(args, url, rounds)
        intake = time.monotonic() - started
        say(f"delivered in {intake:.1f} s; waiting for the queue")
        pattern = f"STORM-{RUN_ID}x%-1"
        wait_drained(args, started, pattern, n)
        drain = time.monotonic() - started
        others = benchkit.others_share(before, benchkit.snapshot())
        latencies = user.stop()
        checked = check_consistency(args, delivered, pattern)
    finally:
        benchkit.stop(odoo)
    return {
        "delivered": delivered,
        "intake": intake,
        "drain": drain,
        "others_cpu": others,
        "quiet": quiet,
        "list": percentiles(latencies),
        **checked,
    }


def report(args, measured, busy):
    n, drain = args.subscriptions, measured["drain"]
    listed, quiet = measured["list"], measured["quiet"]
    print()
    print(
        f"Month-start storm: {n} subscriptions renewing, loopback, {os.cpu_count()} CPUs, "
        f"{WORKERS} workers, channels {CHANNELS}, {busy:.0%} busy with others before"
    )
    print(f"  events delivered        {measured['delivered']:>10} ({measured['applied']} applied)")
    print(f"  intake                  {measured['intake']:>10.1f} s")
    print(f"  drain (to all paid)     {drain:>10.1f} s")
    print(f"  events/s                {measured['delivered'] / drain:>10.1f}")
    print(f"  invoices/s              {n / drain:>10.1f}")
    print(f"  revenue schedules       {measured['schedules']:>10}")
    print(f"  events tried again      {measured['retried']:>10} (waited for their invoice)")
    print(
        f"  jobs tried again        {measured['jobs_retried']:>10} "
        f"({measured['jobs_failed']} failed; since setup)"
    )
    print(
        f"  list view, storm        p50 {listed['p50']:.3f} s, p95 {listed['p95']:.3f} s, "
        f"max {listed['max']:.3f} s over {listed['count']} loads"
    )
    print(f"  list view, quiet        p50 {quiet['p50']:.3f} s, p95 {quiet['p95']:.3f} s")
    print(f"  others CPU              {measured['others_cpu']:>10.0%}")
    if measured["others_cpu"] > benchkit.BUSY_WARNING:
        benchkit.warn_disturbed(["the storm"])
    print()
    print("Targets")
    print(
        f"  {benchkit.verdict(listed['p95'] < TARGET_LIST_P95)}  finance list p95 < "
        f"{TARGET_LIST_P95:g} s during the storm   {listed['p95']:.3f} s"
    )
    print(f"  ----  drain time (no target)                  {drain:.1f} s")


def main():
    args = parse_args()
    started, busy = benchkit.begin(NAME, args)
    conf = benchkit.write_conf(
        args.run_dir, args.db, port=args.port, job_channels=CHANNELS, workers=str(WORKERS)
    )
    with benchkit.bench_database(args):
        benchkit.install_or_reuse(NAME, conf, args, MODULES)
        token = pipeline.shell(conf, args, pipeline.SETUP, "BENCH_TOKEN")
        listing = json.loads(pipeline.shell(conf, args, SETUP, "BENCH_LIST"))
        measured = measure_storm(args, conf, token, listing)
    report(args, measured, busy)
    benchkit.say_done(NAME, args, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
