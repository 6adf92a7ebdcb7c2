"""Verification of Stripe webhook deliveries: the ``Stripe-Signature`` header and livemode.

Stripe signs ``{t}.{raw body}`` with HMAC-SHA256, keyed by the whole endpoint secret
(``whsec_…`` included), and sends ``Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]``.
A delivery is accepted when any ``v1`` entry matches any of the backend's live secrets, so a
secret can be rolled without losing deliveries: while both are live, either one verifies.

Deliberate differences from ``stripe.WebhookSignature.verify_header`` (the tests compare the
other verdicts with it):

- a timestamp too far in the *future* is rejected as well as a stale one: a signature made
  ahead of time, or by a sender with a skewed clock, must not stay valid for long;
- ``t`` must be ASCII digits, where the SDK's ``int()`` also takes ``" 12"``, ``"+12"`` or
  ``"1_2"``; a ``v1`` value is taken whole, where the SDK drops what follows a second ``=``;
- several secrets instead of one, and no secret at all rejects every delivery;
- the MAC covers the raw bytes (the SDK decodes them as UTF-8 first: the same for every body
  Stripe sends).
"""

import hmac
import time
from hashlib import sha256

DEFAULT_TOLERANCE = 300
"""Seconds a signed timestamp may differ from our clock, either way (Stripe's default)."""

SCHEME = "v1"
"""The only signature scheme Stripe uses for live events; ``v0`` and others are ignored."""

MAX_HEADER_LENGTH = 4096
MAX_SIGNATURES = 16
"""Stripe sends one ``v1`` per live secret of the endpoint (two while a secret is rolled). A
header beyond these bounds is refused before any MAC is computed: checking every entry of a
forged header with thousands of them would cost seconds of CPU per request."""


class SignatureError(Exception):
    """A delivery failed verification. The message is short and safe to return to the sender:
    it never carries a secret, an expected signature or our clock."""


def sign(payload, secret, timestamp):
    """``Stripe-Signature`` header value for ``payload`` (the raw body, bytes) signed with
    ``secret`` at ``timestamp`` (Unix seconds), built the way Stripe builds it."""
    _require_raw_body(payload)
    return f"t={int(timestamp)},{SCHEME}={_mac(payload, secret, int(timestamp))}"


def verify_header(payload, header, secrets, tolerance=DEFAULT_TOLERANCE, now=None):
    """Check the ``Stripe-Signature`` ``header`` of the raw request body ``payload`` (bytes)
    against ``secrets`` (the backend's live endpoint secrets) and return the signed timestamp.

    ``tolerance`` is in seconds, both ways; ``now`` (Unix seconds) defaults to the clock.
    Raises SignatureError.
    """
    _require_raw_body(payload)
    if not header:
        raise SignatureError("missing Stripe-Signature header")
    if len(header) > MAX_HEADER_LENGTH:
        raise SignatureError("Stripe-Signature header too long")
    timestamp, signatures = _parse(header)
    if len(signatures) > MAX_SIGNATURES:
        raise SignatureError(f"more than {MAX_SIGNATURES} {SCHEME} signatures")
    candidates = [signature.encode() for signature in signatures]
    # One MAC of the body per secret, however many candidates there are.
    expected = [
        _mac(payload, secret, timestamp).encode()
        for secret in secrets
        if secret and secret.strip()
    ]
    # Without any secret nothing can match; the sender gets the same answer as for a bad
    # signature, since how the endpoint is configured is none of its business.
    if not any(
        hmac.compare_digest(mac, candidate) for mac in expected for candidate in candidates
    ):
        raise SignatureError("no matching signature")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance window")
    return timestamp


def verify_livemode(event, live):
    """Reject an event whose ``livemode`` is not the backend's environment (``live``): a test
    event must never create documents in a live backend, nor the reverse. ``event`` is the
    parsed body; a missing or non-boolean ``livemode`` is rejected too."""
    if not isinstance(event, dict) or event.get("livemode") is not bool(live):
        raise SignatureError("livemode does not match this endpoint")


def _parse(header):
    """``(timestamp, [v1 signatures])`` of a header; like the SDK, the first ``t`` counts."""
    timestamp, signatures = None, []
    for item in header.split(","):
        key, has_value, value = item.partition("=")
        if key not in ("t", SCHEME):
            continue
        if not has_value:
            raise SignatureError("malformed Stripe-Signature header")
        if key == SCHEME:
            signatures.append(value)
        elif timestamp is None:
            if not (value.isascii() and value.isdigit()):
                raise SignatureError("malformed Stripe-Signature header")
            timestamp = int(value)
    if timestamp is None:
        raise SignatureError("malformed Stripe-Signature header")
    if not signatures:
        raise SignatureError(f"no {SCHEME} signature in Stripe-Signature header")
    return timestamp, signatures


def _require_raw_body(payload):
    # Text would have to be re-encoded, and re-serialized JSON never matches the signature:
    # only the body's bytes as received will do.
    if not isinstance(payload, (bytes, bytearray)):
        raise TypeError("the payload is the raw request body, as bytes")


def _mac(payload, secret, timestamp):
    signed = f"{timestamp}.".encode() + bytes(payload)
    return hmac.new(secret.encode(), signed, sha256).hexdigest()
