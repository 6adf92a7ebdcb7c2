"""Stripe's side of the network for tests of the API calls handlers make: a small HTTP server
on 127.0.0.1 that the real ``stripe`` SDK talks to. Each test says what it answers per path
(Stripe's own objects from fixtures/, or Stripe's error bodies) and reads what it was asked.
Only the HTTP answers are stand-ins; everything on the Odoo side is real."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API_KEY = "sk_test_api_peer_0123456789"


class StripeApiPeer:
    """``answers`` maps a path (``/v1/tax_rates/txr_1``) to a callable taking the query
    parameters and returning ``(status, body)``; other paths get Stripe's 404."""

    def __init__(self):
        self.answers = {}
        self.requests = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                peer.requests.append((url.path, query))
                answer = peer.answers.get(url.path)
                status, body = (
                    answer(query)
                    if answer
                    else (404, error_body("invalid_request_error", "No such object"))
                )
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args):
                """Quiet: the test output is not the place for an access log."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def error_body(error_type, message):
    return {"error": {"type": error_type, "message": message}}


def start_api_peer(case, backend):
    """A peer for the class ``case``, closed after it, with ``backend`` pointed at it."""
    peer = StripeApiPeer()
    case.addClassCleanup(peer.close)
    backend.write({"stripe_api_base": peer.url, "stripe_api_key": API_KEY})
    return peer
