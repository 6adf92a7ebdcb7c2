"""What the chaos scenarios share: a production-like server on a fresh database, the senders
that play the providers, and the checks that count what landed.

The server runs as deployed (2 HTTP workers, the queue_job runner, a cron thread, the
connector loaded server-wide) and reaches PostgreSQL through a TCP proxy that the outage
scenario cuts; everything else reaches the database directly. The providers are played by
threads of this process: the engine's test provider (HMAC-signed ``contact.*`` events that make
partners, cheap to process, so that volume measures the engine and not the accounting) and a
Stripe backend (its signature scheme, for bad input)."""

import hashlib
import hmac
import json
import random
import sys
import threading
import time
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "bench"))
sys.path.insert(0, str(HERE.parent / "e2e"))
import benchkit  # noqa: E402
from db_proxy import DatabaseProxy  # noqa: E402

NAME = "chaos"
say = benchkit.sayer(NAME)
MODULES = "saas_connector_test,saas_stripe"
TEST_SIGNATURE_HEADER = "X-Test-Signature"
# Given to the backends in setup; the checks look for them wherever a secret must not be.
TEST_SECRET = "whsec_chaos_test_0123456789abcdef"
STRIPE_SECRET = "whsec_chaos_stripe_0123456789abcdef"
STRIPE_API_KEY = "sk_test_chaos_0123456789abcdefghijklmnop"
PASSWORD = "chaos-Password-1"
# Users the access checks log in as: ``{login: (company key, groups)}``.
USERS = {
    "chaos_connector_user": ("a", ["saas_connector_base.group_saas_user"]),
    "chaos_connector_manager": ("a", ["saas_connector_base.group_saas_manager"]),
    "chaos_billing": ("a", ["account.group_account_invoice"]),
    "chaos_billing_admin": ("a", ["account.group_account_manager"]),
    "chaos_manager_b": ("b", ["saas_connector_base.group_saas_manager"]),
}

SETUP = """
import json
from odoo import Command
company_a = env.company
company_b = env["res.company"].create({"name": "Chaos B"})
def backend(name, provider, company, secret):
    record = env["saas.backend"].create(
        {"name": name, "provider": provider, "company_id": company.id}
    )
    record.new_webhook_secret = secret
    return record
# Senders sign the URL they call: the server's own, as a proxy would forward it.
env["ir.config_parameter"].set_param("saas_connector_base.public_base_url", %(url)r)
test_a = backend("Chaos test provider", "test", company_a, %(test_secret)r)
stripe_a = backend("Chaos Stripe", "stripe", company_a, %(stripe_secret)r)
stripe_a.stripe_api_key = %(api_key)r
test_b = backend("Chaos test provider B", "test", company_b, %(test_secret)r)
companies = {"a": company_a, "b": company_b}
for login, (company, groups) in %(users)r.items():
    env["res.users"].create({
        "name": login, "login": login, "password": %(password)r,
        "company_id": companies[company].id,
        "company_ids": [Command.set([companies[company].id])],
        "group_ids": [Command.set([env.ref(g).id for g in ["base.group_user", *groups]])],
    })
env.cr.commit()
print("CHAOS_JSON " + json.dumps({
    "test": {"id": test_a.id, "token": test_a.webhook_token},
    "stripe": {"id": stripe_a.id, "token": stripe_a.webhook_token},
    "test_b": {"id": test_b.id, "token": test_b.webhook_token},
}))
"""


@dataclass
class Figure:
    """One line of a scenario's report: a measured value, and whether it meets its target
    (``None`` for a figure that only informs)."""

    label: str
    value: object
    passed: bool | None = None


@dataclass
class Campaign:
    """The server and database the scenarios run against."""

    db: str
    port: int
    run_dir: Path
    scale: str
    backends: dict = field(default_factory=dict)
    proxy: DatabaseProxy = None
    server: object = None
    conf: Path = None
    log_level: str = "info"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def endpoint(self, backend="test"):
        return f"{self.url}/saas/webhook/{self.backends[backend]['token']}"

    @property
    def log(self):
        return self.run_dir / "odoo.log"

    def prepare(self):
        """A fresh database with the suite, the backends and users of the scenarios."""
        self.proxy = DatabaseProxy().start()
        self._write_conf()
        say(f"fresh database {self.db} with {MODULES}")
        benchkit.drop_db(self.db)
        benchkit.install(self.conf, self.db, MODULES, self.run_dir / "install.log")
        output = benchkit.odoo_shell(
            self.conf,
            self.db,
            SETUP
            % {
                "test_secret": TEST_SECRET,
                "stripe_secret": STRIPE_SECRET,
                "api_key": STRIPE_API_KEY,
                "users": USERS,
                "password": PASSWORD,
                "url": self.url,
            },
        )
        self.backends = json.loads(benchkit.marked(output, "CHAOS_JSON "))

    def _write_conf(self):
        self.conf = benchkit.write_conf(
            self.run_dir,
            self.db,
            port=self.port,
            job_channels="root:2,root.saas:2",
            db_host="127.0.0.1",
            db_port=str(self.proxy.port),
            log_level=self.log_level,
        )

    def start(self, log_level="info"):
        """(Re)start the server, at ``log_level``; its log is kept across restarts."""
        if log_level != self.log_level:
            self.log_level = log_level
            self._write_conf()
        benchkit.ensure_port_free(self.port)
        self.server = benchkit.start_odoo(self.conf, self.port, self.run_dir / "server.out")
        return self.server

    def stop(self):
        if self.server is not None:
            benchkit.stop(self.server)
            self.server = None

    def second_node(self):
        """Another server on the same database, as deployed (its own workers and job
        runner), on the port after the next: its process and its URL."""
        folder = self.run_dir / "node2"
        folder.mkdir(exist_ok=True)
        port = self.port + 10
        conf = benchkit.write_conf(
            folder, self.db, port=port, job_channels="root:2,root.saas:2", log_level="info"
        )
        benchkit.ensure_port_free(port)
        return benchkit.start_odoo(conf, port, folder / "server.out"), f"http://127.0.0.1:{port}"

    def sql(self, query, params=()):
        """All rows of ``query`` on the database, read directly (not through the proxy)."""
        cnx = psycopg2.connect(dbname=self.db)
        try:
            with cnx.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchall()
        finally:
            cnx.close()

    def event_count(self, backend, run=""):
        """Events stored for ``backend`` (those of ``run`` only, with a run)."""
        return self.sql(
            "SELECT count(*) FROM saas_event WHERE backend_id = %s AND external_id LIKE %s",
            (self.backends[backend]["id"], f"evt_{run}%"),
        )[0][0]

    def wait_drained(self, backend="test"):
        """Wait until every event of ``backend`` is settled and no connector job is left to
        run; seconds it took. Raises when it does not drain in time (5 minutes at the small
        scale, 30 at full)."""
        timeout = 300 if self.scale == "small" else 1800
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            waiting = self.sql(
                "SELECT count(*) FROM saas_event WHERE backend_id = %s"
                " AND state IN ('received', 'queued')",
                (self.backends[backend]["id"],),
            )[0][0]
            jobs = self.sql(
                "SELECT count(*) FROM queue_job"
                " WHERE state IN ('pending', 'enqueued', 'started', 'wait_dependencies')"
            )[0][0]
            if not waiting and not jobs:
                return time.monotonic() - started
            time.sleep(1)
        raise TimeoutError(f"events of {backend} still waiting after {timeout} s")


# ---------------------------------------------------------------------------------------------
# The test provider, as a sender
# ---------------------------------------------------------------------------------------------
def contact_event(event_id, contact_id, version, created, event_type="contact.updated"):
    """A test-provider event: version ``version`` of contact ``contact_id``."""
    return {
        "id": event_id,
        "type": event_type,
        "created": created,
        "data": {
            "object": {
                "object": "contact",
                "id": contact_id,
                "name": f"{contact_id} v{version}",
                "email": f"{contact_id}.v{version}@example.com",
            }
        },
    }


def contact_history(run, contacts, versions, start=1_760_000_000):
    """``contacts`` contacts each changed ``versions`` times, one second apart per contact,
    the last change of every tenth contact a deletion: the events in source order."""
    events = []
    for number in range(contacts):
        contact_id = f"c_{run}_{number}"
        for version in range(versions):
            deleted = version == versions - 1 and number % 10 == 0
            events.append(
                contact_event(
                    f"evt_{run}_{number}_{version}",
                    contact_id,
                    version,
                    start + version * 60 + number % 7,
                    "contact.deleted" if deleted else "contact.updated",
                )
            )
    return events


def test_signature(body, secret=TEST_SECRET):
    """The test provider's signature of ``body``: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed_test_delivery(event):
    body = json.dumps(event).encode()
    return body, {TEST_SIGNATURE_HEADER: test_signature(body), "Content-Type": "application/json"}


class Sender:
    """A provider's delivery loop: each event POSTed until a 2xx answer, retrying every
    other answer and every connection error after a pause, the way Stripe and HubSpot retry.
    With several endpoints (nodes behind a load balancer), events are spread over them and a
    retry goes to the next one. Counts every answer by status."""

    def __init__(self, endpoints, connections=8, give_up_after=600):
        self.endpoints = [endpoints] if isinstance(endpoints, str) else list(endpoints)
        self.connections = connections
        self.give_up_after = give_up_after
        self.answers = Counter()
        self.acknowledged = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()

    def _session(self):
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def deliver(self, event):
        body, headers = signed_test_delivery(event)
        deadline = time.monotonic() + self.give_up_after
        turn = zlib.crc32(event["id"].encode())
        while True:
            endpoint = self.endpoints[turn % len(self.endpoints)]
            try:
                status = self._session().post(endpoint, data=body, headers=headers, timeout=60)
                status = status.status_code
            except requests.RequestException:
                status = "no answer"
                self._local.__dict__.pop("session", None)
            with self._lock:
                self.answers[status] += 1
            if isinstance(status, int) and 200 <= status < 300:
                with self._lock:
                    self.acknowledged[event["id"]] += 1
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{event['id']} never acknowledged: last answer {status}")
            turn += 1
            time.sleep(0.5)

    def deliver_all(self, events):
        with ThreadPoolExecutor(self.connections) as pool:
            for future in [pool.submit(self.deliver, event) for event in events]:
                future.result()


def shuffled_copies(events, copies, seed):
    deliveries = [event for event in events for _copy in range(copies)]
    random.Random(seed).shuffle(deliveries)
    return deliveries


def books(campaign, backend, run):
    """``{contact: (name, email, active)}`` of the partners bound to ``backend``'s contacts
    of ``run``, with the run's prefix taken out of ids, names and emails so that the books of
    two runs compare: the books of the test provider."""
    prefix = f"c_{run}_"
    rows = campaign.sql(
        "SELECT b.external_id, p.name, p.email, p.active FROM saas_binding b"
        " JOIN res_partner p ON p.id = b.res_id"
        " WHERE b.backend_id = %s AND b.res_model = 'res.partner' AND b.external_id LIKE %s",
        (campaign.backends[backend]["id"], f"{prefix}%"),
    )
    return {
        contact.removeprefix(prefix): (
            name.removeprefix(prefix),
            email.removeprefix(prefix),
            active,
        )
        for contact, name, email, active in rows
    }


def expected_books(events, run):
    """The books :func:`books` must show once ``events`` (a :func:`contact_history`) are
    applied in source order: each contact as its last event has it, archived if deleted."""
    prefix = f"c_{run}_"
    expected = {}
    for event in sorted(events, key=lambda event: event["created"]):
        contact = event["data"]["object"]
        expected[contact["id"].removeprefix(prefix)] = (
            contact["name"].removeprefix(prefix),
            contact["email"].removeprefix(prefix),
            event["type"] != "contact.deleted",
        )
    return expected


def duplicate_partners(campaign, run):
    """Partners of contacts of ``run`` that exist more than once (by contact id in the name)."""
    return campaign.sql(
        "SELECT split_part(name, ' ', 1), count(*) FROM res_partner"
        " WHERE name LIKE %s GROUP BY 1 HAVING count(*) > 1",
        (f"c_{run}_%",),
    )


def event_states(campaign, backend, run):
    """``{state: count}`` of the events of ``run`` stored for ``backend``."""
    return dict(
        campaign.sql(
            "SELECT state, count(*) FROM saas_event WHERE backend_id = %s"
            " AND external_id LIKE %s GROUP BY state",
            (campaign.backends[backend]["id"], f"evt_{run}_%"),
        )
    )


def settled(states):
    """The figure of :func:`event_states`: every event settled — applied, or kept as stale
    because a newer state of its object was applied first."""
    return Figure("event states (applied, or stale)", states, set(states) <= {"done", "stale"})
