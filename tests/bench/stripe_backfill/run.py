"""Stripe backfill benchmark: how fast a backfill imports a Stripe account of N objects, and
whether the Odoo workers' memory stays flat while it does.

localstripe plays the Stripe account: N objects are created through the ``stripe`` SDK
(customers, concurrently, plus one subscriber in a hundred, each with a subscription, a paid
invoice and its charge). A production-like Odoo server (2 HTTP workers running the queue
jobs, the queue_job runner) then runs ``backend.backfill()`` until every object is a
processed event. Meanwhile the resident memory (RSS) of the server's processes is sampled
every second.

Printed: objects/s, total seconds against the 5-minute target for 10,000 objects, peak RSS
per worker, and RSS after the first thousand objects against RSS at the end (flat memory: the
end is within 25 % of it). A miss does not fail the run; an error or an inconsistency (a
failed event, a partner missing) does.

    .venv/bin/python tests/bench/stripe_backfill/run.py [--objects 10000] [--keep-db]
"""

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import stripe

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import benchkit  # noqa: E402

NAME = "stripe_backfill"
say = benchkit.sayer(NAME)
LOCALSTRIPE = Path(
    os.environ.get("LOCALSTRIPE_BIN", benchkit.ROOT / ".venv-localstripe/bin/localstripe")
)
# localstripe rewrites its whole store to a machine-wide file after every change, which makes
# filling it quadratic in the number of objects (and disturbs other instances): the benchmark
# runs it without that persistence.
LOCALSTRIPE_IN_MEMORY = (
    "import sys\n"
    "from localstripe import resources\n"
    "from localstripe.server import start\n"
    "resources.Store.dump_to_disk = lambda self: None\n"
    "sys.exit(start())\n"
)
API_KEY = "sk_test_bench_0123456789"
MODULES = "saas_stripe"
OBJECT_TYPES = ["customers", "products", "plans", "subscriptions", "invoices", "charges"]
# One customer in this many subscribes: customer, subscription, invoice and charge.
SUBSCRIBER_EVERY = 100
TARGET_SECONDS_PER_10K = 300.0
FLAT_MEMORY_RATIO = 1.25
# Memory is compared with what it was once this many objects were processed.
BASELINE_OBJECTS = 1000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    benchkit.add_database_options(parser, "saas_bench_backfill", port=8279)
    parser.add_argument("--localstripe-port", type=int, default=None, help="default: --port + 5")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds before giving up")
    args = parser.parse_args()
    args.localstripe_port = args.localstripe_port or args.port + 5
    args.run_dir = benchkit.run_dir(NAME)
    return args


# ---------------------------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------------------------
def load_chart(args, conf):
    # Invoices and payments need a chart of accounts; the database has no demo data.
    benchkit.odoo_shell(
        conf,
        args.db,
        "env['account.chart.template'].try_loading('generic_coa', company=env.company, "
        "install_demo=False)\nenv.cr.commit()\n",
    )


def populate(url, count):
    """About ``count`` objects in localstripe; returns how many of each type."""
    client = stripe.StripeClient(API_KEY, base_addresses={"api": url})
    subscribers = max(1, count // (SUBSCRIBER_EVERY + 3))
    customers = count - 2 * 2 - 3 * subscribers - subscribers
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda n: client.v1.customers.create(
                    params={"name": f"Bench {n:06d}", "email": f"bench{n}@example.com"}
                ),
                range(customers),
            )
        )
    plans = []
    for name, amount, interval in (("Seat", 1200, "month"), ("Site", 9900, "year")):
        product = client.v1.products.create(params={"name": name})
        plans.append(
            client.v1.plans.create(
                params={
                    "product": product.id,
                    "amount": amount,
                    "currency": "usd",
                    "interval": interval,
                }
            )
        )

    def subscriber(n):
        customer = client.v1.customers.create(
            params={"name": f"Subscriber {n:05d}", "email": f"subscriber{n}@example.com"}
        )
        card = client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {
                    "number": "4242424242424242",
                    "exp_month": 12,
                    "exp_year": 2035,
                    "cvc": "123",
                },
            }
        )
        client.v1.payment_methods.attach(card.id, params={"customer": customer.id})
        client.v1.customers.update(
            customer.id, params={"invoice_settings": {"default_payment_method": card.id}}
        )
        client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"plan": plans[n % 2].id}]}
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(subscriber, range(subscribers)))
    return {
        "customers": customers + subscribers,
        "products": 2,
        "plans": 2,
        "subscriptions": subscribers,
        "invoices": subscribers,
        "charges": subscribers,
    }


# ---------------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------------
def progress(cnx, backend_id):
    with cnx.cursor() as cr:
        cr.execute(
            "SELECT count(*) FILTER (WHERE state IN ('done', 'ignored', 'stale')), "
            "count(*) FILTER (WHERE state IN ('received', 'queued')), "
            "count(*) FILTER (WHERE state = 'failed') FROM saas_event WHERE backend_id = %s",
            (backend_id,),
        )
        processed, waiting, failed = cr.fetchone()
        cr.execute(
            "SELECT state FROM saas_backfill WHERE backend_id = %s ORDER BY id DESC LIMIT 1",
            (backend_id,),
        )
        (state,) = cr.fetchone() or ("missing",)
    cnx.commit()
    return processed, waiting, failed, state


def run_backfill(args, conf, url, expected_events):
    """Start the server, start the backfill, sample until everything is processed."""
    code = (
        "backend = env['saas.backend'].create({'name': 'Bench', 'provider': 'stripe', "
        f"'stripe_api_base': {url!r}, 'stripe_api_key': {API_KEY!r}, "
        "'retry_base_seconds': 1, 'retry_cap_seconds': 2})\n"
        "env.cr.commit()\n"
        "print('BENCH_BACKEND=%s' % backend.id)\n"
    )
    backend_id = int(benchkit.marked(benchkit.odoo_shell(conf, args.db, code), "BENCH_BACKEND="))
    server = benchkit.start_odoo(conf, args.port, args.run_dir / "server.out")
    samples = []
    try:
        benchkit.odoo_shell(
            conf,
            args.db,
            f"env['saas.backend'].browse({backend_id}).backfill("
            f"object_types={OBJECT_TYPES!r})\nenv.cr.commit()\n",
        )
        started = time.monotonic()
        cnx = psycopg2.connect(dbname=args.db)
        while True:
            processed, waiting, failed, state = progress(cnx, backend_id)
            workers = {pid: benchkit.rss_mib(pid) for pid in benchkit.descendants(server.pid)}
            samples.append((time.monotonic() - started, processed, workers))
            if state in ("done", "failed") and not waiting:
                break
            if time.monotonic() - started > args.timeout:
                sys.exit(f"not finished after {args.timeout} s ({processed} processed)")
            if server.poll() is not None:
                sys.exit("the Odoo server died, see its log")
            time.sleep(1)
        seconds = time.monotonic() - started
        cnx.close()
    finally:
        benchkit.stop(server)
    if state != "done" or failed or processed < expected_events:
        sys.exit(
            f"inconsistent import: run {state}, {processed} events processed of "
            f"{expected_events} expected, {failed} failed"
        )
    return backend_id, server.pid, seconds, processed, samples


def check_documents(args, backend_id, expected):
    cnx = psycopg2.connect(dbname=args.db)
    with cnx.cursor() as cr:
        cr.execute(
            "SELECT res_model, count(*) FROM saas_binding WHERE backend_id = %s AND ("
            "(res_model = 'res.partner' AND external_id LIKE 'cus_%%') "
            "OR (res_model = 'account.move' AND external_id LIKE 'in_%%')) GROUP BY res_model",
            (backend_id,),
        )
        counts = dict(cr.fetchall())
    cnx.close()
    if counts.get("res.partner") != expected["customers"]:
        sys.exit(f"{counts.get('res.partner')} partners for {expected['customers']} customers")
    if counts.get("account.move") != expected["invoices"]:
        sys.exit(f"{counts.get('account.move')} invoices for {expected['invoices']}")


def memory_figures(samples, server_pid):
    """Peak RSS of any process of the server; the total RSS of its workers (the master
    aside) once the first thousand objects are processed (a fifth of a smaller run), and at
    the end. Returns ``(peak, baseline objects, baseline RSS, end RSS)``."""
    peak = max((rss for _t, _n, workers in samples for rss in workers.values()), default=0)

    def total(workers):
        return sum(rss for pid, rss in workers.items() if pid != server_pid)

    threshold = min(BASELINE_OBJECTS, samples[-1][1] // 5)
    baseline = next((sample for sample in samples if sample[1] >= threshold), samples[-1])
    return peak, baseline[1], total(baseline[2]), total(samples[-1][2])


def main():
    args = parse_args()
    if not LOCALSTRIPE.exists():
        sys.exit(f"localstripe not found at {LOCALSTRIPE}: run `make setup`")
    benchkit.empty_dir(args.run_dir)
    benchkit.ensure_port_free(args.port)
    benchkit.ensure_port_free(args.localstripe_port)
    benchkit.busy_before(NAME)
    # The job runner on, with the deployed channels.
    conf = benchkit.write_conf(args.run_dir, args.db, port=args.port, log_level="warn")
    localstripe = benchkit.start(
        [
            str(LOCALSTRIPE.parent / "python"),
            "-c",
            LOCALSTRIPE_IN_MEMORY,
            "--port",
            str(args.localstripe_port),
            "--from-scratch",
        ],
        args.run_dir / "localstripe.log",
    )
    try:
        if benchkit.install_or_reuse(NAME, conf, args, MODULES):
            load_chart(args, conf)
        url = f"http://127.0.0.1:{args.localstripe_port}"
        benchkit.wait_http(args.localstripe_port, "/v1/customers", localstripe)
        created = time.monotonic()
        expected = populate(url, args.objects)
        total = sum(expected.values())
        say(f"{total} objects created in localstripe in {time.monotonic() - created:.0f} s")
        # A paid invoice or a charge is one event; every other object one event too.
        backend_id, server_pid, seconds, processed, samples = run_backfill(args, conf, url, total)
        check_documents(args, backend_id, expected)
    finally:
        benchkit.stop(localstripe)
        if not args.keep_db:
            benchkit.drop_db(args.db)
    peak, baseline_objects, first, last = memory_figures(samples, server_pid)
    rate = processed / seconds
    projected = seconds * 10_000 / processed
    flat = last <= first * FLAT_MEMORY_RATIO
    say(f"objects: {processed} in {seconds:.1f} s = {rate:.1f} objects/s")
    say(
        f"projected for 10,000: {projected:.0f} s vs target {TARGET_SECONDS_PER_10K:.0f} s "
        f"({projected / TARGET_SECONDS_PER_10K:.2f}x) "
        f"{'PASS' if projected <= TARGET_SECONDS_PER_10K else 'MISS'}"
    )
    say(f"peak RSS of one server process: {peak:.0f} MiB")
    say(
        f"workers' RSS after {baseline_objects} objects {first:.0f} MiB, "
        f"at the end {last:.0f} MiB "
        f"({last / first if first else 0:.2f}x, flat below {FLAT_MEMORY_RATIO}x) "
        f"{'PASS' if flat else 'MISS'}"
    )
    trace = [
        (round(elapsed), processed, round(sum(workers.values())))
        for elapsed, processed, workers in samples[:: max(1, len(samples) // 10)]
    ]
    say(f"samples (s, objects processed, server RSS MiB): {trace}")


if __name__ == "__main__":
    main()
