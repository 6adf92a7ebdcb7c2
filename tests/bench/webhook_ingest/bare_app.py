"""The physical floor of webhook intake: verify the HMAC, insert the event, commit, answer.

A plain WSGI app on werkzeug's server with 2 pre-forked processes, each holding one
psycopg2 connection: the same process count, connection handling (HTTP/1.0, one request per
TCP connection, as Odoo's workers answer) and database work as the Odoo route, without the
framework. ``run_simple(processes=2)`` is not used on purpose: it forks per connection, so with
keep-alive it serves 2 of wrk's 4 connections and leaves the others waiting, and without it
opens a database connection per request — neither is a floor.

    python bare_app.py --port 8270 --db saas_bench --secret whsec_…
"""

import argparse
import hashlib
import hmac
import json
import os
import signal
import sys

import psycopg2
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

TABLE_SQL = """
    CREATE TABLE IF NOT EXISTS bench_bare_event (
        id serial PRIMARY KEY,
        external_id varchar NOT NULL UNIQUE,
        event_type varchar NOT NULL,
        object_external_id varchar,
        payload text NOT NULL,
        received_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
    )
"""
INSERT_SQL = """
    INSERT INTO bench_bare_event (external_id, event_type, object_external_id, payload)
    VALUES (%s, %s, %s, %s)
    ON CONFLICT (external_id) DO NOTHING
    RETURNING id
"""


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        # Odoo logs each request too, but the floor should not measure a terminal.
        pass


def make_app(dbname, secret):
    secret = secret.encode()
    state = {}

    def app(environ, start_response):
        if "cnx" not in state:
            # One connection per process, opened after the fork.
            state["cnx"] = psycopg2.connect(dbname=dbname)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(environ.get("HTTP_X_TEST_SIGNATURE", ""), expected):
            return answer(start_response, "401 Unauthorized", {"error": "invalid signature"})
        event = json.loads(body)
        cnx = state["cnx"]
        with cnx.cursor() as cr:
            cr.execute(
                INSERT_SQL,
                (event["id"], event["type"], event["data"]["object"]["id"], body.decode()),
            )
            new = cr.fetchone() is not None
        cnx.commit()
        return answer(start_response, "200 OK", {"received": True, "duplicate": not new})

    return app


def answer(start_response, status, document):
    payload = json.dumps(document).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()

    with psycopg2.connect(dbname=args.db) as cnx, cnx.cursor() as cr:
        cr.execute(TABLE_SQL)
    cnx.close()

    server = BaseWSGIServer(
        "127.0.0.1", args.port, make_app(args.db, args.secret), handler=QuietHandler
    )
    children = []
    for _ in range(args.processes):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
            server.serve_forever()
            os._exit(0)
        children.append(pid)

    def stop(*_args):
        for pid in children:
            os.kill(pid, signal.SIGTERM)
        for pid in children:
            os.waitpid(pid, 0)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"bare app serving on 127.0.0.1:{args.port} with {args.processes} processes", flush=True)
    signal.pause()
    stop()


if __name__ == "__main__":
    main()
