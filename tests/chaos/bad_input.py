"""Bad input at volume: thousands of generated deliveries, each wrong in one way — malformed,
truncated, empty or huge bodies, odd encodings, control characters and lone surrogates in
every field and in the URL, forged, expired, future, replayed and countless signatures, the
wrong livemode, unknown and absurd tokens, wrong methods and content types, XML bombs. No
answer may be a 500, no rejected delivery may leave anything stored, and the server's log
must hold no secret nor webhook token."""

import base64
import hashlib
import hmac
import importlib.util
import json
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests
from chaoskit import (
    STRIPE_API_KEY,
    STRIPE_SECRET,
    TEST_SECRET,
    Figure,
    contact_event,
    say,
    test_signature,
)

SIZES = {"small": 1_000, "full": 10_000}
ROOT = Path(__file__).resolve().parents[2]
# Stripe's signing scheme, from the provider's own plain-Python module (no Odoo import).
_spec = importlib.util.spec_from_file_location(
    "stripe_signature", ROOT / "addons/saas_stripe/lib/signature.py"
)
stripe_signature = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stripe_signature)

# Billion laughs: nine levels of ten references each, a gigabyte once expanded.
XML_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + b"".join(
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">'.encode() for level in range(1, 10)
    )
    + b"]><lolz>&lol9;</lolz>"
)
XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>'


@dataclass
class Delivery:
    """One bad request: where and how it goes, and the event id it would store if it were
    (wrongly) accepted, when it has one."""

    kind: str
    path: str
    body: bytes
    headers: dict
    event_id: str | None = None
    method: str = "POST"


def _stripe_event(event_id, livemode=False, **changes):
    event = {
        "id": event_id,
        "object": "event",
        "type": "customer.updated",
        "created": int(time.time()),
        "livemode": livemode,
        "api_version": "2024-06-20",
        "data": {"object": {"id": f"cus_{event_id}", "object": "customer"}},
    }
    event.update(changes)
    return event


class Generator:
    """Bad deliveries of every class, in turn, each with its own event id."""

    def __init__(self, campaign, run, seed):
        self.base_url = campaign.url
        self.test = f"/saas/webhook/{campaign.backends['test']['token']}"
        self.stripe = f"/saas/webhook/{campaign.backends['stripe']['token']}"
        self.run = run
        self.rng = random.Random(seed)
        self.count = 0

    def new_id(self):
        self.count += 1
        return f"evt_{self.run}_bad_{self.count}"

    def classes(self):
        return [
            self.malformed_json,
            self.truncated_json,
            self.empty_body,
            self.odd_encoding,
            self.control_in_field,
            self.control_in_url,
            self.forged_signature,
            self.stripe_bad_signature,
            self.stripe_wrong_livemode,
            self.absurd_token,
            self.wrong_method,
            self.wrong_content_type,
            self.xml_body,
            self.not_an_event,
        ]

    def __iter__(self):
        classes = self.classes()
        while True:
            for make in classes:
                yield make()

    def _signed_test(self, kind, body, event_id=None, **headers):
        signed = {"X-Test-Signature": test_signature(body), "Content-Type": "application/json"}
        return Delivery(kind, self.test, body, {**signed, **headers}, event_id)

    def malformed_json(self):
        event_id = self.new_id()
        body = json.dumps(contact_event(event_id, f"c_{event_id}", 0, 1_760_000_000)).encode()
        while True:
            # A stray character inside a string value leaves the JSON valid: not this class.
            position = self.rng.randrange(1, len(body) - 1)
            stray = self.rng.choice([b"{", b"}", b",", b'"', b"\\", b"]", b":"])
            broken = body[:position] + stray + body[position:]
            try:
                json.loads(broken)
            except ValueError:
                return self._signed_test("malformed JSON", broken, event_id)

    def truncated_json(self):
        event_id = self.new_id()
        body = json.dumps(contact_event(event_id, f"c_{event_id}", 0, 1_760_000_000)).encode()
        return self._signed_test(
            "truncated JSON", body[: self.rng.randrange(1, len(body) - 1)], event_id
        )

    def empty_body(self):
        body = self.rng.choice([b"", b" ", b"\n", b"null", b"[]", b"{}", b'""', b"0"])
        return self._signed_test("empty or null body", body)

    def odd_encoding(self):
        event_id = self.new_id()
        text = json.dumps(
            contact_event(event_id, f"c_{event_id}", 0, 1_760_000_000) | {"note": "café"},
            ensure_ascii=False,
        )
        body = self.rng.choice(
            [
                text.encode("utf-16"),
                text.encode("utf-32"),
                text.encode("latin-1"),
                b"\xff\xfe" + text.encode(),
                text.encode()[:-3] + b"\xc3\x28" + text.encode()[-3:],
            ]
        )
        return self._signed_test("odd encoding", body, event_id)

    def control_in_field(self):
        event_id = self.new_id()
        event = contact_event(event_id, f"c_{event_id}", 0, 1_760_000_000)
        bad = self.rng.choice(["\x00", "\ud800", "\udfff"])
        target = self.rng.choice(["id", "type", "object id", "created"])
        if target == "id":
            event["id"] = f"{event_id}{bad}"
        elif target == "type":
            event["type"] = f"contact.updated{bad}"
        elif target == "object id":
            event["data"]["object"]["id"] = f"c_{event_id}{bad}"
        else:
            event["created"] = f"1760000000{bad}"
        return self._signed_test(
            f"NUL or lone surrogate in {target}", json.dumps(event).encode(), event_id
        )

    def control_in_url(self):
        token = self.test.rsplit("/", 1)[1]
        position = self.rng.randrange(len(token))
        bad = self.rng.choice(["%00", "%0a", "%0d%0a", "%ff", "%c0%af", "%ed%a0%80", "%1b"])
        event_id = self.new_id()
        body = json.dumps(contact_event(event_id, f"c_{event_id}", 0, 1_760_000_000)).encode()
        delivery = self._signed_test("control character in the URL", body, event_id)
        delivery.path = f"/saas/webhook/{token[:position]}{bad}{token[position:]}"
        return delivery

    def forged_signature(self):
        event_id = self.new_id()
        body = json.dumps(contact_event(event_id, f"c_{event_id}", 0, 1_760_000_000)).encode()
        delivery = self._signed_test("forged signature", body, event_id)
        delivery.headers["X-Test-Signature"] = self.rng.choice(
            ["", "0" * 64, delivery.headers["X-Test-Signature"][::-1], "x" * 10_000]
        )
        return delivery

    def stripe_bad_signature(self):
        event_id = self.new_id()
        body = json.dumps(_stripe_event(event_id)).encode()
        now = int(time.time())
        other = json.dumps(_stripe_event(f"{event_id}_other")).encode()
        header = self.rng.choice(
            [
                stripe_signature.sign(body, "whsec_wrong", now),
                stripe_signature.sign(body, STRIPE_SECRET, now - 3600),  # expired
                stripe_signature.sign(body, STRIPE_SECRET, now + 3600),  # from the future
                stripe_signature.sign(other, STRIPE_SECRET, now),  # replayed for another body
                f"t={now}," + ",".join(f"v1={'0' * 64}" for _ in range(5000)),
                f"t={now},v0=" + "0" * 64,
                "v1=" + "0" * 64,
                f"t=abc,v1={'0' * 64}",
                "",
            ]
        )
        return Delivery(
            "Stripe signature forged, expired, future, replayed or repeated",
            self.stripe,
            body,
            {"Stripe-Signature": header, "Content-Type": "application/json"},
            event_id,
        )

    def stripe_wrong_livemode(self):
        event_id = self.new_id()
        body = json.dumps(_stripe_event(event_id, livemode=True)).encode()
        return Delivery(
            "Stripe live event to a test backend",
            self.stripe,
            body,
            {
                "Stripe-Signature": stripe_signature.sign(body, STRIPE_SECRET, int(time.time())),
                "Content-Type": "application/json",
            },
            event_id,
        )

    def absurd_token(self):
        token = self.rng.choice(
            [
                uuid.uuid4().hex,
                "a" * 10_000,
                "../../web/database/manager",
                "%E2%80%AE" + uuid.uuid4().hex,
                "é" * 20,
                "' OR '1'='1",
                "",
            ]
        )
        event_id = self.new_id()
        body = json.dumps(contact_event(event_id, f"c_{event_id}", 0, 1_760_000_000)).encode()
        delivery = self._signed_test("unknown or absurd token", body, event_id)
        delivery.path = f"/saas/webhook/{token}"
        return delivery

    def wrong_method(self):
        event_id = self.new_id()
        body = json.dumps(contact_event(event_id, f"c_{event_id}", 0, 1_760_000_000)).encode()
        delivery = self._signed_test("wrong method", body, event_id)
        delivery.method = self.rng.choice(["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
        return delivery

    def wrong_content_type(self):
        event_id = self.new_id()
        body = json.dumps(contact_event(event_id, f"c_{event_id}", 0, 1_760_000_000)).encode()
        content_type = self.rng.choice(
            [
                "text/plain",
                "multipart/form-data; boundary=x",
                "application/x-www-form-urlencoded",
                "application/xml",
                "",
            ]
        )
        return self._signed_test(
            "wrong content type", body, event_id, **{"Content-Type": content_type}
        )

    def xml_body(self):
        """Hostile XML, signed the way the test provider's XML deliveries are (over method,
        public URL, body and time), so that it reaches the parser."""
        body = self.rng.choice([XML_BOMB, XXE, XML_BOMB.replace(b"lolz", b"soapenv:Envelope")])
        timestamp = str(int(time.time() * 1000))
        message = b"POST" + f"{self.base_url}{self.test}".encode() + body + timestamp.encode()
        signature = base64.b64encode(
            hmac.new(TEST_SECRET.encode(), message, hashlib.sha256).digest()
        ).decode()
        headers = {
            "Content-Type": "text/xml",
            "X-Test-Signature-V3": signature,
            "X-Test-Request-Timestamp": timestamp,
        }
        return Delivery("XML bomb or external entity", self.test, body, headers)

    def not_an_event(self):
        event_id = self.new_id()
        event = contact_event(event_id, f"c_{event_id}", 0, 1_760_000_000)
        mutation = self.rng.choice(["no id", "no type", "no object", "list of junk", "deep"])
        if mutation == "no id":
            del event["id"]
        elif mutation == "no type":
            del event["type"]
        elif mutation == "no object":
            event["data"] = {}
        elif mutation == "list of junk":
            event = [event, 1, "x", None]
        else:
            # Nesting deep enough to exhaust a recursive parser's stack.
            return self._signed_test(
                "not an event", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, event_id
            )
        return self._signed_test("not an event", json.dumps(event).encode(), event_id)


def run(campaign):
    total = SIZES[campaign.scale]
    run_id = uuid.uuid4().hex[:6]
    say(
        f"bad input: {total} bad deliveries of {len(Generator(campaign, run_id, 0).classes())}"
        " kinds"
    )
    before = campaign.sql("SELECT count(*) FROM saas_event")[0][0]
    generator = iter(Generator(campaign, run_id, seed=total))
    deliveries = [next(generator) for _ in range(total)]
    answers = Counter()
    by_kind = {}
    accepted = []
    session_pool = {}

    def send(delivery):
        session = session_pool.setdefault(threading.get_ident(), requests.Session())
        try:
            status = session.request(
                delivery.method,
                f"{campaign.url}{delivery.path}",
                data=delivery.body,
                headers=delivery.headers,
                timeout=60,
            ).status_code
        except requests.RequestException as error:
            status = f"no answer ({type(error).__name__})"
        return delivery, status

    with ThreadPoolExecutor(8) as pool:
        for delivery, status in pool.map(send, deliveries):
            answers[status] += 1
            by_kind.setdefault(delivery.kind, Counter())[status] += 1
            if isinstance(status, int) and status < 300:
                accepted.append(delivery)
    after = campaign.sql("SELECT count(*) FROM saas_event")[0][0]

    log = campaign.log.read_text(errors="replace")
    secrets = [TEST_SECRET, STRIPE_SECRET, STRIPE_API_KEY] + [
        backend["token"] for backend in campaign.backends.values()
    ]
    leaked = [secret[:8] + "…" for secret in secrets if secret in log]
    server_errors = sum(
        count for status, count in answers.items() if not isinstance(status, int) or status >= 500
    )
    for kind, counts in sorted(by_kind.items()):
        say(f"  {kind}: {dict(counts)}")
    return [
        Figure("bad deliveries sent", total, total >= SIZES[campaign.scale]),
        Figure("answers by status", dict(answers)),
        Figure("answers 5xx or none", server_errors, server_errors == 0),
        Figure("accepted (2xx)", len(accepted), not accepted),
        Figure("events stored by the bad deliveries", after - before, after == before),
        Figure("secrets or tokens found in the server log", leaked, not leaked),
    ]
