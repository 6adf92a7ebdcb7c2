"""What the fake CRMs (``hubspot_peer``, ``salesforce_peer``) share: a threaded HTTP server on
loopback, and an emitter that delivers webhooks the way a CRM does — in the background, again
and again until the receiver accepts, on a retry schedule compressed for tests.

Standard library only: the peers run in the test process, without an Odoo server.
"""

import contextlib
import heapq
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: dict
    """Header names in lower case."""
    body: bytes

    def param(self, name, default=None):
        values = self.query.get(name)
        return values[0] if values else default

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)


def json_response(status, payload, headers=None):
    return Response(
        status,
        json.dumps(payload, default=_json_default).encode(),
        {"Content-Type": "application/json;charset=UTF-8", **(headers or {})},
    )


def _json_default(value):
    # The peers keep amounts as Decimal; CRMs write them as JSON numbers.
    return float(value)


class PeerServer:
    """A fake HTTP API on ``127.0.0.1`` (a free port). Subclasses answer ``handle(request)``
    with a Response; every request is served under one lock, so that their state needs no
    locking of its own. ``requests`` records ``(method, path)`` of each request served."""

    def __init__(self):
        self.lock = threading.RLock()
        self.requests = []
        self._server = None
        self._thread = None

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, port=0):
        """Serve on ``port`` of loopback, a free one unless told (a demo's is fixed)."""
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                request = Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query, keep_blank_values=True),
                    {name.lower(): value for name, value in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                with peer.lock:
                    peer.requests.append((request.method, request.path))
                    try:
                        response = peer.handle(request)
                    except Exception as error:
                        # What the peer did not foresee is a server error, as a CRM's would
                        # be; the test sees it instead of a dropped connection.
                        response = Response(500, repr(error).encode())
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, str(value))
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, format, *args):
                """Quiet: a test's output is its own."""

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        # A short poll: stopping a peer (every test does) waits for one.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def handle(self, request):
        raise NotImplementedError


class Batcher:
    """Gathers what is added for ``delay`` seconds, then calls ``send(key, items)`` per key
    with at most ``size`` items each: a CRM sends the changes made together in one request
    (HubSpot up to 100 events, Salesforce up to 100 notifications)."""

    def __init__(self, send, size=100, delay=0.02):
        self.send = send
        self.size = size
        self.delay = delay
        self._items = {}
        self._timer = None
        self._lock = threading.Lock()

    def add(self, key, item):
        with self._lock:
            self._items.setdefault(key, []).append(item)
            if self._timer is None:
                self._timer = threading.Timer(self.delay, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self):
        """Send what is gathered now."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            items, self._items, self._timer = self._items, {}, None
        for key, gathered in items.items():
            for start in range(0, len(gathered), self.size):
                self.send(key, gathered[start : start + self.size])

    def cancel(self):
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._items, self._timer = {}, None


@dataclass
class Delivery:
    """One webhook delivery and its attempts: ``(attempt number, HTTP status or the error's
    name, body received)``. ``state`` is ``pending``, ``accepted`` or ``failed``."""

    id: int
    url: str
    build: object
    """``build(attempt_number) -> (body bytes, headers)``: a CRM rebuilds (and re-signs) a
    delivery for each attempt."""
    attempts: list = field(default_factory=list)
    state: str = "pending"


class Emitter:
    """Delivers to receivers from a background thread, redelivering until ``accepted(status,
    headers, body)`` says so, at most ``len(retry_delays)`` more times, each ``retry_delays[i]``
    seconds after the previous attempt. ``retryable(status)`` tells whether a refused delivery
    is tried again; a ``Retry-After`` header is honoured, scaled by ``retry_after_scale``
    (the CRM's seconds become the test's milliseconds)."""

    def __init__(self, accepted, retryable, retry_delays, timeout=5.0, retry_after_scale=0.001):
        self.accepted = accepted
        self.retryable = retryable
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.retry_after_scale = retry_after_scale
        self.deliveries = []
        self._queue = []
        self._ids = itertools.count(1)
        self._condition = threading.Condition()
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def deliver(self, url, build):
        """Queue a delivery now; returns its Delivery."""
        with self._condition:
            delivery = Delivery(next(self._ids), url, build)
            self.deliveries.append(delivery)
            heapq.heappush(self._queue, (time.monotonic(), delivery.id, delivery))
            self._condition.notify_all()
        return delivery

    def wait_idle(self, timeout=30.0):
        """Wait until no delivery is pending; returns whether that happened in time."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while any(d.state == "pending" for d in self.deliveries):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(min(remaining, 0.05))
        return True

    def stop(self):
        with self._condition:
            self._running = False
            self._condition.notify_all()
        self._thread.join(timeout=self.timeout + 1)

    def _run(self):
        while True:
            with self._condition:
                while self._running and (not self._queue or self._queue[0][0] > time.monotonic()):
                    wait = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._condition.wait(wait)
                if not self._running:
                    return
                _due, _id, delivery = heapq.heappop(self._queue)
            self._attempt(delivery)

    def _attempt(self, delivery):
        number = len(delivery.attempts)
        body, headers = delivery.build(number)
        request = urllib.request.Request(delivery.url, data=body, headers=headers, method="POST")
        status, answer_headers, answer = None, {}, b""
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, answer_headers, answer = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, answer = error.code, error.headers, error.read()
        except OSError as error:  # refused, reset, timed out: retried like a 5xx
            status = type(error).__name__
        delivery.attempts.append((number, status, answer))
        with self._condition:
            if isinstance(status, int) and self.accepted(status, answer_headers, answer):
                delivery.state = "accepted"
            elif number >= len(self.retry_delays) or (
                isinstance(status, int) and not self.retryable(status)
            ):
                delivery.state = "failed"
            else:
                delay = self.retry_delays[number]
                with contextlib.suppress(TypeError, ValueError):
                    delay = float(answer_headers.get("Retry-After")) * self.retry_after_scale
                heapq.heappush(self._queue, (time.monotonic() + delay, delivery.id, delivery))
            self._condition.notify_all()
