"""Verification of HubSpot webhook deliveries: the ``X-HubSpot-Signature-v3`` header.

HubSpot signs ``method + URI + raw body + X-HubSpot-Request-Timestamp`` with HMAC-SHA256,
keyed by the app's client secret, and sends the digest in base64. The URI is the full public
URL HubSpot called, query string included, with a few percent-escapes decoded (see
``signed_uri``); behind a proxy it is not what the Host header and the path rebuild, so the
receiver must be told its public base URL.

Deliberate differences from HubSpot's own SDK (``hubspot.utils.signature.Signature``):

- only v3 is accepted: v1 (``sha256(secret + body)``) and v2 (``sha256(secret + method + uri +
  body)``) carry no timestamp, so a captured delivery verifies forever and can be replayed;
- the timestamp may be 5 minutes off in *either* direction (the SDK only bounds the past), and
  must be ASCII digits (the SDK's ``float()`` also takes ``"1e12"`` or ``" 12"``);
- several client secrets are tried, so that a rotated secret loses no delivery;
- the MAC covers the raw body bytes (the SDK takes text: the same for every UTF-8 body).
"""

import base64
import hmac
import re
import time
from hashlib import sha256

SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
LEGACY_SIGNATURE_HEADER = "X-HubSpot-Signature"

DEFAULT_TOLERANCE_MS = 5 * 60 * 1000
"""How far a signed timestamp may be from our clock, either way (HubSpot's 5 minutes)."""

MAX_SIGNATURE_LENGTH = 128
"""A v3 signature is 44 characters (base64 of 32 bytes): anything much longer is not one, and
is refused before any MAC is computed."""

# HubSpot decodes exactly these escapes in the URI it signs, and no others (its "Validating
# requests" guide, v3); ``%20`` for instance stays as it is.
_DECODED_ESCAPES = {
    "3A": ":",
    "2F": "/",
    "3F": "?",
    "40": "@",
    "21": "!",
    "24": "$",
    "27": "'",
    "28": "(",
    "29": ")",
    "2A": "*",
    "2C": ",",
    "3B": ";",
}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


class SignatureError(Exception):
    """A delivery failed verification. The message is short and safe to return to the sender:
    it never carries a secret, an expected signature or our clock."""


def signed_uri(public_base_url, path, query_string=""):
    """The URI HubSpot signs for a request to ``path`` (with its raw ``query_string``) on the
    endpoint whose public base URL is ``public_base_url`` (``https://erp.example.com``)."""
    uri = public_base_url.rstrip("/") + path
    if query_string:
        uri = f"{uri}?{query_string}"
    return _ESCAPE.sub(lambda match: _DECODED_ESCAPES.get(match[1].upper(), match[0]), uri)


def sign(secret, method, uri, body, timestamp_ms):
    """The ``X-HubSpot-Signature-v3`` value of a request, computed the way HubSpot computes it:
    ``uri`` as ``signed_uri`` makes it, ``body`` the raw bytes, ``timestamp_ms`` the value of
    ``X-HubSpot-Request-Timestamp`` (milliseconds since the epoch)."""
    _require_raw_body(body)
    message = f"{method.upper()}{uri}".encode() + bytes(body) + str(timestamp_ms).encode()
    return base64.b64encode(hmac.new(secret.encode(), message, sha256).digest()).decode()


def verify(method, uri, body, headers, secrets, *, tolerance_ms=DEFAULT_TOLERANCE_MS, now=None):
    """Check a delivery and return its signed timestamp (milliseconds).

    ``headers`` is the request's headers (any mapping; names compared without case),
    ``secrets`` the app's live client secrets, ``now`` Unix seconds (the clock by default).
    Raises SignatureError.
    """
    _require_raw_body(body)
    headers = {str(name).lower(): value for name, value in headers.items()}
    signature = headers.get(SIGNATURE_HEADER.lower())
    if not signature:
        if headers.get(LEGACY_SIGNATURE_HEADER.lower()):
            raise SignatureError("v1/v2 signatures can be replayed and are refused: use v3")
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    if len(signature) > MAX_SIGNATURE_LENGTH:
        raise SignatureError(f"{SIGNATURE_HEADER} header too long")
    timestamp = headers.get(TIMESTAMP_HEADER.lower()) or ""
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise SignatureError(f"missing or malformed {TIMESTAMP_HEADER} header")
    candidate = signature.encode()
    # A blank configured secret is no secret: nothing signed with it may pass.
    if not any(
        hmac.compare_digest(sign(secret, method, uri, body, timestamp).encode(), candidate)
        for secret in secrets
        if secret and secret.strip()
    ):
        raise SignatureError("no matching signature")
    now_ms = (time.time() if now is None else now) * 1000
    if abs(now_ms - int(timestamp)) > tolerance_ms:
        raise SignatureError("timestamp outside the tolerance window")
    return int(timestamp)


def _require_raw_body(body):
    # Re-serialized JSON never matches the signature: only the bytes as received will do.
    if not isinstance(body, (bytes, bytearray)):
        raise TypeError("the body is the raw request body, as bytes")
