"""Webhook intake benchmark: how many events per second ``POST /saas/webhook/<token>`` accepts
and how fast it answers, next to what the same machine allows.

In one run, on loopback, with Odoo on 2 workers and wrk on 4 connections:

* our route, every request a distinct validly signed event about a distinct object (so each
  one is stored and enqueues one job: the realistic worst case);
* the no-op route ``/saas_test/noop`` (``auth='none'``, answers 200): the framework's ceiling;
* Odoo's own ``/payment/stripe/webhook`` with a payment_intent event for an unknown payment;
* a bare WSGI + psycopg2 app doing verify + insert + commit on 2 processes: the physical floor;
* our route at a fixed 200 requests/s, for its latency when not saturated.

Then it checks that every 2xx answer left a stored event, prints the figures with their
ratios and PASS/MISS per target. A miss does not fail the run; an error does.

    .venv/bin/python tests/bench/webhook_ingest/run.py [--duration 10] [--keep-db]
"""

import argparse
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import fixed_rate
import psycopg2

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import benchkit  # noqa: E402

NAME = "webhook_ingest"
say = benchkit.sayer(NAME)
LUA = HERE / "post_events.lua"
SECRET = "whsec_bench_0123456789abcdef"
MODULES = "saas_connector_test,payment_stripe"
RUN_ID = f"{int(time.time()):x}"
# Upper bounds on what each server could answer per second, to pre-sign enough distinct events.
ODOO_MAX_RATE = 4_000
BARE_MAX_RATE = 12_000

EVENT_COUNT = "SELECT count(*) FROM saas_event"

TARGET_NOOP_SHARE = 0.80
TARGET_STRIPE_FACTOR = 2.0
TARGET_P99_MS = 15.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    benchkit.add_database_options(parser, "saas_bench", port=8269)
    parser.add_argument("--bare-port", type=int, default=None, help="default: --port + 1")
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per route")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--rate", type=int, default=200, help="fixed rate for the latency run")
    args = parser.parse_args()
    args.bare_port = args.bare_port or args.port + 1
    args.run_dir = benchkit.run_dir(NAME)
    return args


# ---------------------------------------------------------------------------------------------
# Setup: configuration, backend
# ---------------------------------------------------------------------------------------------
def write_conf(args):
    """odoo.conf with the bench's port, database and logfile; everything else as deployed."""
    # Runner off: jobs pile up unrun. Running them takes the same 2 workers (each job is a
    # request to /queue_job/runjob), which would measure processing, not intake, and make each
    # scenario depend on the jobs left by the one before.
    return benchkit.write_conf(args.run_dir, args.db, port=args.port, job_channels="root:0")


def create_backend(args, conf):
    """A test-provider backend with its signing secret; returns its webhook token."""
    code = (
        "backend = env['saas.backend'].create({'name': 'Bench', 'provider': 'test'})\n"
        f"backend.new_webhook_secret = {SECRET!r}\n"
        "env.cr.commit()\n"
        "print('BENCH_TOKEN=' + backend.webhook_token)\n"
    )
    return benchkit.marked(benchkit.odoo_shell(conf, args.db, code, timeout=300), "BENCH_TOKEN=")


# ---------------------------------------------------------------------------------------------
# Load: signed events, wrk, the fixed-rate generator
# ---------------------------------------------------------------------------------------------
def sign(body):
    return hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()


def events(prefix, count):
    """``count`` distinct test-provider events, each about its own contact: ``(sig, body)``.

    Ids carry the run's start time, so that a reused database has none of them yet."""
    prefix = f"{RUN_ID}_{prefix}"
    for n in range(count):
        body = json.dumps(
            {
                "id": f"evt_{prefix}_{n}",
                "type": "contact.updated",
                "created": 1_700_000_000 + n,
                "data": {
                    "object": {
                        "object": "contact",
                        "id": f"cus_{prefix}_{n}",
                        "name": f"Contact {prefix} {n}",
                        "email": f"contact.{n}@example.com",
                    }
                },
            }
        )
        yield sign(body), body


def write_events(args, name, count):
    path = args.run_dir / f"{name}.events"
    with path.open("w") as handle:
        for signature, body in events(name, count):
            handle.write(f"{signature}\t{body}\n")
    return path


def write_repeated(args, name, signature, body):
    """One request sent over and over (routes that store nothing): a line per wrk thread."""
    path = args.run_dir / f"{name}.events"
    path.write_text(f"{signature}\t{body}\n" * args.threads)
    return path


def write_stripe_event(args):
    """A payment_intent.succeeded event for a payment Odoo does not know, Stripe-signed."""
    body = json.dumps(
        {
            "id": "evt_bench_stripe",
            "object": "event",
            "api_version": "2019-05-16",
            "created": 1_700_000_000,
            "livemode": False,
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": "pi_bench_unknown",
                    "object": "payment_intent",
                    "amount": 1000,
                    "currency": "usd",
                    "description": "BENCH-UNKNOWN-REFERENCE",
                    "payment_method": "pm_bench",
                    "status": "succeeded",
                }
            },
        }
    )
    timestamp = int(time.time())
    signed = hmac.new(SECRET.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return write_repeated(args, "stripe", f"t={timestamp},v1={signed.hexdigest()}", body)


def wrk(args, port, path, events_file, *, header, duration):
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout=5s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}/",
        "--",
        path,
        str(events_file),
        header,
        str(args.threads),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    figures = json.loads(benchkit.marked(result.stdout + result.stderr, "BENCH_JSON "))
    statuses = {int(status): count for status, count in figures["statuses"].items()}
    seconds = figures["duration_us"] / 1e6
    ok = sum(count for status, count in statuses.items() if 200 <= status < 300)
    # Let the requests wrk abandoned at the deadline finish before anything is counted.
    time.sleep(0.5)
    return {
        "rate": ok / seconds,
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "ok": ok,
        "statuses": statuses,
        "socket_errors": sum(figures["socket_errors"].values()),
        "in_flight": figures["sent"] - figures["responses"],
        "wrapped": figures["wrapped"],
    }


def fixed_rate_run(args, token):
    path = f"/saas/webhook/{token}"
    requests = [
        (path, {"Content-Type": "application/json", "X-Test-Signature": signature}, body)
        for signature, body in events("fixed", args.rate * args.duration)
    ]
    figures = fixed_rate.run(
        "127.0.0.1", args.port, requests, rate=args.rate, duration=args.duration
    )
    ok = sum(count for status, count in figures["statuses"].items() if 200 <= status < 300)
    return {
        "rate": ok / figures["duration_s"],
        "p50_ms": figures["p50_ms"],
        "p99_ms": figures["p99_ms"],
        "max_ms": figures["max_ms"],
        "ok": ok,
        "statuses": figures["statuses"],
        "socket_errors": len(figures["errors"]),
        "in_flight": 0,
        "wrapped": 0,
        "skipped": figures["skipped"],
    }


# ---------------------------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------------------------
def count_rows(dbname, query):
    """Rows counted by ``query``, and the PostgreSQL backends serving ``dbname``."""
    cnx = psycopg2.connect(dbname=dbname)
    with cnx.cursor() as cr:
        cr.execute(query)
        count = cr.fetchone()[0]
        cr.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid != pg_backend_pid()",
            (dbname,),
        )
        backends = [pid for (pid,) in cr.fetchall()]
    cnx.close()
    return count, backends


def measured(dbname, query, measure):
    """Run ``measure`` and add to its figures the rows it stored according to ``query`` and
    the share of the CPUs other processes took meanwhile."""
    before, backends = count_rows(dbname, query)
    cpu_before = benchkit.snapshot(backends)
    figures = measure()
    cpu_after = benchkit.snapshot(backends)
    figures["stored"] = count_rows(dbname, query)[0] - before
    figures["others_cpu"] = benchkit.others_share(cpu_before, cpu_after)
    figures["cpu_ms"] = benchkit.ours_seconds(cpu_before, cpu_after) * 1000 / max(1, figures["ok"])
    return figures


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
def statuses_text(statuses):
    return " ".join(f"{status}:{count}" for status, count in sorted(statuses.items())) or "-"


def stored_check(figures):
    """Every 2xx left an event; the requests wrk abandoned at its deadline may have too."""
    low, high = figures["ok"], figures["ok"] + figures["in_flight"]
    verdict = "OK" if low <= figures["stored"] <= high else "LOST"
    extra = f" (+ up to {figures['in_flight']} in flight at stop)" if figures["in_flight"] else ""
    return verdict, f"{figures['stored']} stored for {figures['ok']} 2xx{extra}"


def report(args, results, busy):
    ours, noop, stripe = results["ours"], results["noop"], results["stripe"]
    bare, fixed = results["bare"], results["fixed"]
    rows = [
        ("bare WSGI + psycopg2: verify+insert+commit", bare),
        ("Odoo no-op route /saas_test/noop", noop),
        ("our route /saas/webhook (stored + dispatched)", ours),
        ("payment_stripe /payment/stripe/webhook", stripe),
        (f"our route at a fixed {args.rate} req/s", fixed),
    ]
    width = 44
    print()
    print(
        f"Webhook intake, loopback, Odoo 2 workers, wrk {args.connections} connections x "
        f"{args.duration} s ({os.cpu_count()} CPUs, {busy:.0%} busy with others before)"
    )
    print(
        f"{'scenario':<{width}} {'2xx/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'2xx':>7}  "
        f"{'statuses':<16} {'sock.err':>8} {'CPU ms/req':>10} {'others CPU':>10}"
    )
    print("-" * (width + 83))
    for label, figures in rows:
        print(
            f"{label:<{width}} {figures['rate']:>8.0f} {figures['p50_ms']:>7.1f} "
            f"{figures['p99_ms']:>7.1f} {figures['ok']:>7}  "
            f"{statuses_text(figures['statuses']):<16} {figures['socket_errors']:>8} "
            f"{figures['cpu_ms']:>10.2f} {figures['others_cpu']:>10.0%}"
        )
    disturbed = [label for label, figures in rows if figures["others_cpu"] > benchkit.BUSY_WARNING]
    benchkit.warn_disturbed(disturbed)
    if fixed["skipped"]:
        print(
            f"NOTE: the server could not keep up with {args.rate} req/s: "
            f"{fixed['skipped']} requests were not sent before the deadline."
        )
    print()
    print("Ratios")
    ratios = [
        ("our route / no-op route", ours["rate"] / noop["rate"]),
        ("our route / payment_stripe route", ours["rate"] / stripe["rate"]),
        ("our route / bare app", ours["rate"] / bare["rate"]),
        ("no-op route / bare app", noop["rate"] / bare["rate"]),
        ("payment_stripe route / no-op route", stripe["rate"] / noop["rate"]),
        # What the first ratio becomes once the CPUs are the bottleneck: steadier when the
        # machine is shared, since it does not depend on the CPU time others leave us.
        ("no-op CPU/req / our CPU/req", noop["cpu_ms"] / ours["cpu_ms"]),
    ]
    for label, value in ratios:
        print(f"  {label:<36} {value:>6.2f}")
    print()
    print("Targets")
    non_2xx = sum(
        count
        for figures in (ours, fixed)
        for status, count in figures["statuses"].items()
        if not 200 <= status < 300
    )
    targets = [
        (
            f"our route ≥ {TARGET_NOOP_SHARE:.0%} of the no-op route",
            f"{ours['rate'] / noop['rate']:.0%}",
            ours["rate"] >= TARGET_NOOP_SHARE * noop["rate"],
        ),
        (
            f"our route ≥ {TARGET_STRIPE_FACTOR:g}x the payment_stripe route",
            f"{ours['rate'] / stripe['rate']:.2f}x",
            ours["rate"] >= TARGET_STRIPE_FACTOR * stripe["rate"],
        ),
        (
            f"p99 < {TARGET_P99_MS:g} ms at a fixed {args.rate} req/s",
            f"{fixed['p99_ms']:.1f} ms (p50 {fixed['p50_ms']:.1f}, max {fixed['max_ms']:.1f})",
            fixed["p99_ms"] < TARGET_P99_MS,
        ),
        ("zero non-2xx for valid events", str(non_2xx), non_2xx == 0),
    ]
    for label, value, passed in targets:
        print(f"  {'PASS' if passed else 'MISS'}  {label:<44} {value}")
    print()
    print("Nothing lost (events stored vs 2xx answers)")
    for label, figures in (
        ("our route, wrk", ours),
        ("our route, fixed rate", fixed),
        ("bare app", bare),
    ):
        verdict, text = stored_check(figures)
        print(f"  {verdict:<4}  {label:<22} {text}")
    wrapped = [
        label for label, figures in (("bare app", bare), ("our route", ours)) if figures["wrapped"]
    ]
    if wrapped:
        print(f"  NOTE  ran out of distinct events (duplicates sent): {', '.join(wrapped)}")
    return all(stored_check(figures)[0] == "OK" for figures in (ours, fixed, bare))


# ---------------------------------------------------------------------------------------------
def measure_odoo(args, conf, token):
    """The three Odoo routes under wrk, then ours at a fixed rate; Odoo stopped after."""
    webhook = f"/saas/webhook/{token}"
    # The no-op route ignores the body; it gets one of the same size as ours.
    noop = write_repeated(args, "noop", *next(events("noop", 1)))
    stripe = write_stripe_event(args)
    ours_warm = write_events(args, "ours_warm", ODOO_MAX_RATE * args.warmup)
    ours_run = write_events(args, "ours_run", ODOO_MAX_RATE * args.duration)
    # (result, path, warm-up requests, measured requests)
    scenarios = [
        ("noop", "/saas_test/noop", noop, noop),
        ("ours", webhook, ours_warm, ours_run),
        ("stripe", "/payment/stripe/webhook", stripe, stripe),
    ]
    headers = {"stripe": "Stripe-Signature"}
    results = {}
    say(f"Odoo on port {args.port}: 2 workers")
    odoo = benchkit.start_odoo(conf, args.port, args.run_dir / "odoo.stdout")
    try:
        say("warming up")
        for name, path, warm, _run in scenarios:
            header = headers.get(name, "X-Test-Signature")
            wrk(args, args.port, path, warm, header=header, duration=args.warmup)
        for name, path, _warm, run in scenarios:
            say(f"measuring {path}")
            header = headers.get(name, "X-Test-Signature")
            results[name] = measured(
                args.db,
                EVENT_COUNT,
                lambda path=path, run=run, header=header: wrk(
                    args, args.port, path, run, header=header, duration=args.duration
                ),
            )
        say(f"measuring {webhook} at {args.rate} req/s")
        results["fixed"] = measured(args.db, EVENT_COUNT, lambda: fixed_rate_run(args, token))
    finally:
        benchkit.stop(odoo)
    return results


def measure_bare(args):
    warm = write_events(args, "bare_warm", BARE_MAX_RATE * args.warmup)
    run = write_events(args, "bare_run", BARE_MAX_RATE * args.duration)
    say(f"bare app on port {args.bare_port}: 2 processes")
    command = [
        benchkit.PYTHON,
        str(HERE / "bare_app.py"),
        f"--port={args.bare_port}",
        f"--db={args.db}",
    ]
    bare = benchkit.start([*command, f"--secret={SECRET}"], args.run_dir / "bare.stdout")
    try:
        benchkit.wait_http(args.bare_port, "/", bare)
        wrk(args, args.bare_port, "/", warm, header="X-Test-Signature", duration=args.warmup)
        say("measuring the bare app")
        return measured(
            args.db,
            "SELECT count(*) FROM bench_bare_event",
            lambda: wrk(
                args, args.bare_port, "/", run, header="X-Test-Signature", duration=args.duration
            ),
        )
    finally:
        benchkit.stop(bare)


def main():
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    benchkit.empty_dir(args.run_dir)
    benchkit.ensure_port_free(args.port)
    benchkit.ensure_port_free(args.bare_port)
    started = time.monotonic()
    busy = benchkit.busy_before(NAME)
    conf = write_conf(args)
    try:
        benchkit.install_or_reuse(NAME, conf, args, MODULES)
        token = create_backend(args, conf)
        results = measure_odoo(args, conf, token)
        results["bare"] = measure_bare(args)
    finally:
        for events_file in args.run_dir.glob("*.events"):
            events_file.unlink()
        if not args.keep_db:
            benchkit.drop_db(args.db)
    consistent = report(args, results, busy)
    say(f"done in {time.monotonic() - started:.0f} s (logs in {args.run_dir})")
    return 0 if consistent else 1


if __name__ == "__main__":
    sys.exit(main())
