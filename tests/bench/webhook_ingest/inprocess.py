"""CPU per request of the no-op route and of ours, measured inside one Odoo process.

Requests go through Odoo's real WSGI application (``odoo.http.root``: routing, session,
cursor, commit) with werkzeug's test client, without socket, HTTP server or load generator,
one at a time. For each route it reports the CPU this process spent per request (Python) and
what its PostgreSQL backend spent (read from ``/proc``), in rounds that alternate the
routes, so that a shared machine slows them alike. This is the figure to compare between two
versions of the intake when wrk's rates are unreliable; ``--profile`` shows where ours goes.

A third row, *storing*, is what our route must do beyond the no-op, on one cursor without
HTTP or request: find the endpoint, verify the signature, store the event with the dispatcher
lock, commit. ``no-op / (no-op + storing)`` is then the best ratio our route could reach.

Needs a database left by ``run.py --keep-db`` (its test-provider backend and secret):

    .venv/bin/python tests/bench/webhook_ingest/inprocess.py --db saas_bench [--profile]
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

import psycopg2
from run import benchkit, events
from werkzeug.test import Client

import odoo.service.server
from odoo import SUPERUSER_ID, api, http
from odoo.modules.registry import Registry
from odoo.tools import config

TICKS = os.sysconf("SC_CLK_TCK")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "saas_bench"))
    parser.add_argument("--conf", default=str(benchkit.ROOT / "odoo.conf"))
    parser.add_argument("--requests", type=int, default=500, help="per route and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile our route instead")
    return parser.parse_args()


def backend_token(dbname):
    cnx = psycopg2.connect(dbname=dbname)
    with cnx.cursor() as cr:
        cr.execute(
            "SELECT webhook_token FROM saas_backend WHERE provider = 'test' AND active "
            "ORDER BY id DESC LIMIT 1"
        )
        row = cr.fetchone()
    cnx.close()
    if not row:
        sys.exit(f"no test-provider backend in {dbname}: run run.py --keep-db first")
    return row[0]


def backend_ticks(dbname):
    """CPU ticks of the PostgreSQL backends serving ``dbname`` (this process's, here)."""
    cnx = psycopg2.connect(dbname=dbname)
    with cnx.cursor() as cr:
        cr.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid != pg_backend_pid()",
            (dbname,),
        )
        pids = [pid for (pid,) in cr.fetchall()]
    cnx.close()
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def storing_route(args, token):
    """The storing part of the route, and the cursor it commits on."""
    # Importable once the configuration has set up the addons path.
    from odoo.addons.saas_connector_base.lib.inbound import WebhookRequest  # noqa: PLC0415

    store_cr = Registry(args.db).cursor()
    store_env = api.Environment(store_cr, SUPERUSER_ID, {})
    stored = events(f"inprocess_store_{os.getpid()}", args.requests * (args.rounds + 1))

    def storing():
        """What our route does beyond the no-op, without HTTP or request: find the endpoint,
        verify, store the event (with the dispatcher lock) and commit, on one cursor."""
        signature, body = next(stored)
        backend, secrets = store_env["saas.secret"]._webhook_endpoint(token)
        headers = {"X-Test-Signature": signature}
        delivery = WebhookRequest(
            "POST", f"/saas/webhook/{token}", headers, body.encode(), "application/json"
        )
        inbound = backend._provider_parse_webhook(delivery, secrets)
        store_env["saas.event"]._store_delivery(backend, inbound, "{}")
        store_cr.commit()

    return storing, store_cr


def main():
    args = parse_args()
    config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    odoo.service.server.load_server_wide_modules()
    client = Client(http.root)
    token = backend_token(args.db)
    webhook = f"/saas/webhook/{token}"
    signed = events(f"inprocess_{os.getpid()}", args.requests * (args.rounds + 1) + 10)
    noop_body = next(events("inprocess_noop", 1))[1]

    def ours():
        signature, body = next(signed)
        headers = {"Content-Type": "application/json", "X-Test-Signature": signature}
        response = client.post(webhook, data=body, headers=headers)
        assert response.status_code == 200, response.get_data()

    def noop():
        headers = {"Content-Type": "application/json"}
        response = client.post("/saas_test/noop", data=noop_body, headers=headers)
        assert response.status_code == 200, response.get_data()

    storing, store_cr = storing_route(args, token)

    for _warm_up in range(10):
        ours()
        noop()
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        profile.runcall(lambda: [ours() for _n in range(args.requests)])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        return

    figures = {"no-op": [], "ours": [], "storing": []}
    for _round in range(args.rounds):
        for name, request in (("no-op", noop), ("ours", ours), ("storing", storing)):
            pg_before, cpu_before = backend_ticks(args.db), time.process_time()
            for _n in range(args.requests):
                request()
            python_ms = (time.process_time() - cpu_before) * 1000 / args.requests
            pg_ms = (backend_ticks(args.db) - pg_before) * 1000 / TICKS / args.requests
            figures[name].append((python_ms, pg_ms))
    totals = {}
    print(f"CPU ms per request, median of {args.rounds} rounds of {args.requests}")
    print(f"{'route':<8} {'Odoo':>6} {'PostgreSQL':>10} {'total':>6}")
    for name, rounds in figures.items():
        python_ms = statistics.median(python for python, _pg in rounds)
        pg_ms = statistics.median(pg for _python, pg in rounds)
        print(f"{name:<8} {python_ms:>6.2f} {pg_ms:>10.2f} {python_ms + pg_ms:>6.2f}")
        totals[name] = python_ms + pg_ms
    store_cr.close()
    ceiling = totals["no-op"] / (totals["no-op"] + totals["storing"])
    print(
        f"ours/no-op by CPU: {totals['no-op'] / totals['ours']:.2f}; at best, if our route cost "
        f"the no-op plus storing and nothing else: {ceiling:.2f}"
    )


if __name__ == "__main__":
    main()
