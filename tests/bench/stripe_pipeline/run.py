"""Stripe billing pipeline benchmark: how many paid Stripe invoices per second become posted,
paid Odoo invoices through the connector, next to a plain Odoo loop and Odoo's batch path
creating the same documents.

In one run, on loopback, on its own database:

* the pipeline: Odoo on 2 workers with the queue_job runner; for each of N customers, the
  Stripe-signed deliveries of a paid subscription invoice (``customer.created``,
  ``invoice.finalized``, ``invoice.paid``, ``charge.succeeded``, 2017-08-15 shapes derived
  from the addon's recorded payloads: three lines, two of them prorations, 19 % VAT) are
  POSTed to the webhook route; the clock runs from the first delivery until the database
  shows all N invoices posted and paid (reconciled with their payment). invoices/s = N / time;
* the naive loop: one process, the plain Odoo way, one invoice at a time — create the
  partner, create and post the same invoice, register its payment with Odoo's own wizard
  (which reconciles), commit — invoices/s likewise, measured with the server stopped;
* Odoo's batch path: the same documents, every invoice in one ``create`` and one
  ``action_post``, their payments by one *Register Payment* wizard, one commit;
* the SQL statements per invoice of the processing alone, its jobs run in one process.

It prints the three rates, the pipeline's ratios to the other two and PASS/MISS per target;
a miss does not fail the run, an error or a failed event does.

    .venv/bin/python tests/bench/stripe_pipeline/run.py [-n 500] [--keep-db] [--reuse-db]
"""

import argparse
import copy
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import benchkit  # noqa: E402

NAME = "stripe_pipeline"
say = benchkit.sayer(NAME)
FIXTURES = (
    benchkit.ROOT / "addons" / "saas_stripe" / "tests" / "fixtures" / "localstripe-2017-08-15"
)
MODULES = "saas_stripe"
SECRET = "whsec_bench_pipeline_0123456789"
RUN_ID = f"{int(time.time()):x}"
TARGET_NAIVE_FACTOR = 2.0
TARGET_BATCH_FACTOR = 1.0
TARGET_RATE = 20.0
# Paid invoices of this run (their numbers carry the run id), and failed events.
PAID = (
    "SELECT count(*) FROM account_move WHERE move_type = 'out_invoice' AND state = 'posted' "
    "AND payment_state IN ('paid', 'in_payment') AND ref LIKE %s"
)
FAILED = "SELECT count(*), min(last_error) FROM saas_event WHERE state = 'failed'"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--invoices", type=int, default=500)
    benchkit.add_delivery_options(parser, "saas_bench_pipeline", port=8279, timeout=1800)
    return benchkit.parse_args(NAME, parser)


# ---------------------------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------------------------
def shell(conf, args, code, marker):
    """Run ``code`` in an Odoo shell on the bench database; the value it prints after
    ``marker=``."""
    output = benchkit.odoo_shell(conf, args.db, code, timeout=args.timeout)
    return benchkit.marked(output, f"{marker}=")


# Both sides bill the same: a company with the generic chart, USD, a 19 % sales tax that the
# Stripe rate of the recorded payloads maps to.
SETUP = f"""
company = env.company
if not company.chart_template:
    env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
tax = env["account.tax"].search([("name", "=", "Bench VAT 19%")], limit=1) or env[
    "account.tax"
].create({{"name": "Bench VAT 19%", "amount": 19, "type_tax_use": "sale"}})
backend = env["saas.backend"].search([("name", "=", "Bench Stripe")], limit=1)
if not backend:
    backend = env["saas.backend"].create(
        {{"name": "Bench Stripe", "provider": "stripe", "environment": "test",
          "retry_base_seconds": 1, "retry_cap_seconds": 2}}
    )
    backend.stripe_webhook_secret = {SECRET!r}
    env["saas.stripe.tax.map"].create(
        {{"backend_id": backend.id, "stripe_tax_rate_id": "txr_LsVat19", "tax_id": tax.id}}
    )
    backend.action_stripe_create_payment_journal()
env.cr.commit()
print("BENCH_TOKEN=" + backend.webhook_token)
"""


# ---------------------------------------------------------------------------------------------
# Stripe's deliveries
# ---------------------------------------------------------------------------------------------
def recorded(name):
    return json.loads((FIXTURES / name).read_text())


def customer_event(key):
    """``customer.created`` of customer ``cus_<key>``, in USD, from the recorded payload."""
    event = recorded("customer_created.json")
    event["id"] = f"evt_cus_{key}"
    event["data"]["object"].update(
        id=f"cus_{key}", name=f"Customer {key}", email=f"{key}@example.com", currency="usd"
    )
    event["data"]["object"]["tax_ids"]["data"] = []
    return event


def charge_event(key, invoice_id, **changes):
    """``charge.succeeded`` of charge ``ch_<key>`` paying ``invoice_id`` of customer
    ``cus_<key>``, in USD, from the recorded payload; ``changes`` update the charge."""
    event = recorded("charge_succeeded.json")
    event["id"] = f"evt_ch_{key}"
    event["data"]["object"].update(
        {
            "id": f"ch_{key}",
            "customer": f"cus_{key}",
            "invoice": invoice_id,
            "currency": "usd",
            "payment_intent": f"pi_{key}",
            "balance_transaction": f"txn_{key}",
            **changes,
        }
    )
    return event


def flows(count, key_prefix=""):
    """Per invoice, its four deliveries, derived from the recorded payloads with ids of their
    own (``key_prefix`` sets a series apart) and in USD: ``[(customer, finalized, paid,
    charge)]``."""
    invoice = recorded("invoice_payment_succeeded.json")
    result = []
    for n in range(count):
        key = f"{key_prefix}{RUN_ID}x{n}"
        cus, inv, ch = f"cus_{key}", f"in_{key}", f"ch_{key}"
        paid = copy.deepcopy(invoice)
        paid["id"], paid["type"] = f"evt_paid_{key}", "invoice.paid"
        body = paid["data"]["object"]
        body.update(
            id=inv,
            customer=cus,
            currency="usd",
            number=f"BENCH-{key}",
            charge=ch,
            payment_intent=f"pi_{key}",
        )
        for line_number, line in enumerate(body["lines"]["data"]):
            line.update(id=f"il_{key}_{line_number}", currency="usd", invoice=inv)
        finalized = copy.deepcopy(paid)
        finalized["id"], finalized["type"] = f"evt_fin_{key}", "invoice.finalized"
        finalized["created"] -= 2
        finalized["data"]["object"].update(status="open", amount_paid=0)
        result.append((customer_event(key), finalized, paid, charge_event(key, inv)))
    return result


def signed(event):
    body = json.dumps(event).encode()
    timestamp = int(time.time())
    signature = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return body, f"t={timestamp},v1={signature.hexdigest()}"


def deliver(url, event):
    body, signature = signed(event)
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.status


# ---------------------------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------------------------
def measure_pipeline(args, conf, token):
    """Seconds from the first delivery until all invoices are posted and paid."""
    url = f"http://127.0.0.1:{args.port}/saas/webhook/{token}"
    deliveries = flows(args.invoices)
    say(f"Odoo on port {args.port}: 2 workers + the queue_job runner")
    odoo = benchkit.start_odoo(conf, args.port, args.run_dir / "odoo.stdout")
    try:
        say(f"delivering {4 * args.invoices} events for {args.invoices} invoices")
        before = benchkit.snapshot()
        started = time.monotonic()
        # Stripe sends a customer's events minutes before its invoice's: customers first, then
        # each invoice's events in the order Stripe emits them.
        with ThreadPoolExecutor(args.connections) as pool:
            for round_ in zip(*deliveries, strict=True):
                statuses = list(pool.map(lambda event: deliver(url, event), round_))
                if any(status != 200 for status in statuses):
                    sys.exit(f"a delivery was refused: {sorted(set(statuses))}")
        delivered = time.monotonic() - started
        say(f"delivered in {delivered:.1f} s; waiting for the queue")
        paid = 0
        while paid < args.invoices:
            if time.monotonic() - started > args.timeout:
                sys.exit(f"only {paid} of {args.invoices} invoices paid after {args.timeout} s")
            failed, error = benchkit.postgres(args.db, FAILED)
            if failed:
                sys.exit(f"{failed} events failed, e.g.: {error}")
            time.sleep(0.2)
            paid = benchkit.postgres(args.db, PAID, (f"BENCH-{RUN_ID}x%",))[0]
        seconds = time.monotonic() - started
        others = benchkit.others_share(before, benchkit.snapshot())
    finally:
        benchkit.stop(odoo)
    return {"seconds": seconds, "delivered": delivered, "others_cpu": others}


# What the two plain ORM paths share: the bench's tax, journal and products, and the lines of
# each invoice; the clock starts once they exist.
ORM_SETUP = """
import time
from odoo.fields import Command
tax = env["account.tax"].search([("name", "=", "Bench VAT 19%")], limit=1)
journal = env["saas.backend"].search([("name", "=", "Bench Stripe")]).stripe_payment_journal_id
products = {{
    name: env["product.product"].search([("name", "=", name)], limit=1)
    or env["product.product"].create({{"name": name, "type": "service"}})
    for name in ("Platinum", "Gold")
}}
lines = [
    ("Platinum", 1, 50.0),
    ("Unused time on Gold", 1, -10.0),
    ("Remaining time on Platinum", 1, 25.0),
]


def invoice_values(partner, ref):
    return {{
        "move_type": "out_invoice",
        "partner_id": partner.id,
        "invoice_date": "2017-09-29",
        "ref": ref,
        "invoice_line_ids": [
            Command.create({{
                "name": name,
                "product_id": products["Gold" if "Gold" in name else "Platinum"].id,
                "quantity": quantity,
                "price_unit": price,
                "tax_ids": [Command.set(tax.ids)],
            }})
            for name, quantity, price in lines
        ],
    }}


env.cr.commit()
started = time.monotonic()
"""

NAIVE = (
    ORM_SETUP
    + """for n in range({count}):
    partner = env["res.partner"].create({{"name": "Naive {run} %s" % n, "is_company": True}})
    move = env["account.move"].create({{
        **invoice_values(partner, "NAIVE-{run}x%s" % n),
    }})
    move.action_post()
    env["account.payment.register"].with_context(
        active_model="account.move", active_ids=move.ids
    ).create({{"journal_id": journal.id, "payment_date": "2017-09-29"}})._create_payments()
    assert move.payment_state in ("paid", "in_payment"), move.payment_state
    env.cr.commit()
print("BENCH_NAIVE=%s" % (time.monotonic() - started))
"""
)


# SQL statements the processing takes per invoice, counted on the processing's own cursor: the
# deliveries are stored as the webhook route stores them, then the connector's jobs run in
# this process as the job runner runs them (dispatcher, then processing jobs).
STATEMENTS = """
import json
from odoo.addons.saas_connector_base.tests.common import run_jobs, store_delivery
backend = env["saas.backend"].search([("name", "=", "Bench Stripe")])
deliveries = json.loads(open({path!r}).read())
for body, signature in deliveries:
    store_delivery(
        env, backend, body.encode(),
        {{"Content-Type": "application/json", "Stripe-Signature": signature}}, [{secret!r}],
    )
env.cr.commit()
counted = env.cr.sql_log_count
run_jobs(env, limit=10**6)
statements = env.cr.sql_log_count - counted
failed = env["saas.event"].search_count([("state", "=", "failed")])
assert not failed, env["saas.event"].search([("state", "=", "failed")], limit=1).last_error
env.cr.commit()
print("BENCH_STATEMENTS=%s" % statements)
"""


def measure_statements(args, conf):
    """SQL statements per invoice of the processing, on invoices of their own."""
    count = min(100, args.invoices)
    deliveries = [
        signed(event)
        for round_ in zip(*flows(count, key_prefix="sql"), strict=True)
        for event in round_
    ]
    path = args.run_dir / "statements.json"
    path.write_text(json.dumps([[body.decode(), signature] for body, signature in deliveries]))
    say(f"SQL statements of the processing of {count} invoices, in one process")
    output = shell(
        conf, args, STATEMENTS.format(path=str(path), secret=SECRET), "BENCH_STATEMENTS"
    )
    return {"invoices": count, "per_invoice": int(output) / count}


# Odoo's own batch path, the same documents: every partner in one ``create``, every invoice in
# one ``create`` and one ``action_post``, and the payments of all of them registered, posted and
# reconciled by one *Register Payment* wizard (one payment per invoice), committed once.
BATCH = (
    ORM_SETUP
    + """partners = env["res.partner"].create(
    [{{"name": "Batch {run} %s" % n, "is_company": True}} for n in range({count})]
)
moves = env["account.move"].create([
    {{
        **invoice_values(partner, "BATCH-{run}x%s" % n),
    }}
    for n, partner in enumerate(partners)
])
moves.action_post()
env["account.payment.register"].with_context(
    active_model="account.move", active_ids=moves.ids
).create({{
    "journal_id": journal.id, "payment_date": "2017-09-29", "group_payment": False,
}})._create_payments()
states = set(moves.mapped("payment_state"))
assert states <= {{"paid", "in_payment"}}, states
env.cr.commit()
print("BENCH_BATCH=%s" % (time.monotonic() - started))
"""
)


def measure_batch(args, conf):
    say(f"Odoo's batch path: {args.invoices} invoices in one create, one post, one payment wizard")
    before = benchkit.snapshot()
    seconds = float(
        shell(conf, args, BATCH.format(count=args.invoices, run=RUN_ID), "BENCH_BATCH")
    )
    return {"seconds": seconds, "others_cpu": benchkit.others_share(before, benchkit.snapshot())}


def measure_naive(args, conf):
    say(f"naive ORM loop: {args.invoices} invoices in one process")
    before = benchkit.snapshot()
    seconds = float(
        shell(conf, args, NAIVE.format(count=args.invoices, run=RUN_ID), "BENCH_NAIVE")
    )
    return {"seconds": seconds, "others_cpu": benchkit.others_share(before, benchkit.snapshot())}


# ---------------------------------------------------------------------------------------------
def report(args, measured, busy):
    pipeline, naive, batch = measured["pipeline"], measured["naive"], measured["batch"]
    statements = measured["statements"]
    n = args.invoices
    pipeline_rate, naive_rate = n / pipeline["seconds"], n / naive["seconds"]
    batch_rate = n / batch["seconds"]
    print()
    print(
        f"Stripe invoice.paid flows → posted, paid invoices; N = {n}, loopback, "
        f"{os.cpu_count()} CPUs, {busy:.0%} busy with others before"
    )
    print(f"{'scenario':<52} {'seconds':>8} {'invoices/s':>11} {'others CPU':>11}")
    print("-" * 85)
    rows = [
        ("pipeline: webhooks → queue (2 workers) → paid", pipeline, pipeline_rate),
        ("naive ORM loop, one process, one at a time", naive, naive_rate),
        ("ORM batch: one create, one post, one payment wizard", batch, batch_rate),
    ]
    for label, figures, rate in rows:
        print(
            f"{label:<52} {figures['seconds']:>8.1f} {rate:>11.1f} {figures['others_cpu']:>11.0%}"
        )
    print(f"  (deliveries themselves took {pipeline['delivered']:.1f} s of the pipeline's time)")
    disturbed = [
        label for label, figures, _rate in rows if figures["others_cpu"] > benchkit.BUSY_WARNING
    ]
    benchkit.warn_disturbed(disturbed)
    print()
    print(f"Ratio pipeline / naive loop: {pipeline_rate / naive_rate:.2f}")
    print(f"Ratio pipeline / ORM batch:  {pipeline_rate / batch_rate:.2f}")
    print(
        f"SQL statements per invoice of the processing: {statements['per_invoice']:.0f} "
        f"(over {statements['invoices']} invoices, four events each)"
    )
    print()
    print("Targets")
    targets = [
        (
            f"pipeline ≥ {TARGET_NAIVE_FACTOR:g}x the naive loop",
            f"{pipeline_rate / naive_rate:.2f}x",
            pipeline_rate >= TARGET_NAIVE_FACTOR * naive_rate,
        ),
        (
            f"pipeline ≥ {TARGET_BATCH_FACTOR:g}x the ORM batch",
            f"{pipeline_rate / batch_rate:.2f}x",
            pipeline_rate >= TARGET_BATCH_FACTOR * batch_rate,
        ),
        (
            f"pipeline ≥ {TARGET_RATE:g} invoices/s on 2 workers",
            f"{pipeline_rate:.1f}/s",
            pipeline_rate >= TARGET_RATE,
        ),
    ]
    for label, value, passed in targets:
        print(f"  {'PASS' if passed else 'MISS'}  {label:<44} {value}")


def main():
    args = parse_args()
    started, busy = benchkit.begin(NAME, args)
    # The runner hands jobs to the same 2 HTTP workers that take the deliveries.
    conf = benchkit.write_conf(args.run_dir, args.db, port=args.port, job_channels="root:2")
    with benchkit.bench_database(args):
        benchkit.install_or_reuse(NAME, conf, args, MODULES)
        token = shell(conf, args, SETUP, "BENCH_TOKEN")
        measured = {
            "pipeline": measure_pipeline(args, conf, token),
            "naive": measure_naive(args, conf),
            "batch": measure_batch(args, conf),
            "statements": measure_statements(args, conf),
        }
    report(args, measured, busy)
    benchkit.say_done(NAME, args, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
