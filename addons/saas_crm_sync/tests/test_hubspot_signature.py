import hashlib
from pathlib import Path

import pytest

from odoo.addons.saas_crm_sync.lib.hubspot_signature import (
    DEFAULT_TOLERANCE_MS,
    SignatureError,
    sign,
    signed_uri,
    verify,
)

# The test vectors of HubSpot's official Python SDK (tests/spec/utils/test_signature.py).
SDK_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
SDK_BODY = b"{'example_field':'example_value'}"
SDK_URI = "https://www.example.com/webhook_uri"
SDK_TIMESTAMP = 15000000
SDK_V1 = "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"
SDK_V2 = "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"
SDK_V3 = "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw="

# A real batch body, signed here with our own secrets at a time of our choosing.
BODY = (Path(__file__).parent / "fixtures" / "hubspot-contact-creation-batch.json").read_bytes()
URI = "https://erp.example.com/saas/webhook/AbCdEf"
CURRENT = "11111111-2222-3333-4444-555555555555"
PREVIOUS = "66666666-7777-8888-9999-000000000000"
T = 1_539_145_400_000  # ms, just after the batch's occurredAt
NOW = T / 1000 + 10


def headers(signature, timestamp=T, **extra):
    return {
        "X-HubSpot-Signature-v3": signature,
        "X-HubSpot-Request-Timestamp": str(timestamp),
        **extra,
    }


def test_the_sdk_v3_vector_is_reproduced():
    assert sign(SDK_SECRET, "POST", SDK_URI, SDK_BODY, SDK_TIMESTAMP) == SDK_V3


def test_the_sdk_v3_vector_verifies_at_its_own_time():
    signed = verify(
        "POST",
        SDK_URI,
        SDK_BODY,
        headers(SDK_V3, SDK_TIMESTAMP),
        [SDK_SECRET],
        now=SDK_TIMESTAMP / 1000,
    )
    assert signed == SDK_TIMESTAMP


def test_a_request_signed_only_v1_or_v2_is_refused():
    # The SDK's v1 and v2 vectors are what HubSpot sends beside v3: valid, but replayable.
    assert hashlib.sha256(SDK_SECRET.encode() + SDK_BODY).hexdigest() == SDK_V1
    assert (
        hashlib.sha256(SDK_SECRET.encode() + b"POST" + SDK_URI.encode() + SDK_BODY).hexdigest()
        == SDK_V2
    )
    for version, signature in (("v1", SDK_V1), ("v2", SDK_V2)):
        legacy = {"X-HubSpot-Signature": signature, "X-HubSpot-Signature-Version": version}
        with pytest.raises(SignatureError, match="v1/v2 signatures can be replayed"):
            verify("POST", SDK_URI, SDK_BODY, legacy, [SDK_SECRET], now=SDK_TIMESTAMP / 1000)


def test_header_names_are_matched_without_case():
    lowered = {k.lower(): v for k, v in headers(sign(CURRENT, "POST", URI, BODY, T)).items()}
    assert verify("POST", URI, BODY, lowered, [CURRENT], now=NOW) == T


# (case, secret used by the sender, body sent, method, uri, timestamp, secrets, now, error)
CASES = [
    ("good signature", CURRENT, BODY, "POST", URI, T, [CURRENT], NOW, None),
    ("current secret in rotation", CURRENT, BODY, "POST", URI, T, [PREVIOUS, CURRENT], NOW, None),
    (
        "previous secret in rotation",
        PREVIOUS,
        BODY,
        "POST",
        URI,
        T,
        [CURRENT, PREVIOUS],
        NOW,
        None,
    ),
    ("exactly 5 min late", CURRENT, BODY, "POST", URI, T, [CURRENT], T / 1000 + 300, None),
    ("exactly 5 min early", CURRENT, BODY, "POST", URI, T, [CURRENT], T / 1000 - 300, None),
    ("stale", CURRENT, BODY, "POST", URI, T, [CURRENT], T / 1000 + 301, "tolerance"),
    ("from the future", CURRENT, BODY, "POST", URI, T, [CURRENT], T / 1000 - 301, "tolerance"),
    ("wrong secret", PREVIOUS, BODY, "POST", URI, T, [CURRENT], NOW, "no matching"),
    ("no secret", CURRENT, BODY, "POST", URI, T, [], NOW, "no matching"),
    ("signed with a blank secret", "", BODY, "POST", URI, T, ["", " "], NOW, "no matching"),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_verdicts(case):
    _name, sender_secret, body, method, uri, timestamp, secrets, now, error = case
    signature = sign(sender_secret, method, uri, body, timestamp)
    if error is None:
        assert verify("POST", URI, BODY, headers(signature, timestamp), secrets, now=now) == T
    else:
        with pytest.raises(SignatureError, match=error):
            verify("POST", URI, BODY, headers(signature, timestamp), secrets, now=now)


TAMPERED = [
    ("body", {"body": BODY.replace(b'"objectId":123', b'"objectId":124')}),
    ("body re-serialized", {"body": BODY.replace(b",", b", ")}),
    ("method", {"method": "PUT"}),
    ("uri host", {"uri": URI.replace("erp.example.com", "evil.example.com")}),
    ("uri query", {"uri": URI + "?x=1"}),
    ("uri scheme", {"uri": URI.replace("https:", "http:")}),
]


@pytest.mark.parametrize("changes", [c for _, c in TAMPERED], ids=[n for n, _ in TAMPERED])
def test_a_tampered_request_is_refused(changes):
    signature = sign(CURRENT, "POST", URI, BODY, T)
    request = {"method": "POST", "uri": URI, "body": BODY, **changes}
    with pytest.raises(SignatureError, match="no matching signature"):
        verify(
            request["method"],
            request["uri"],
            request["body"],
            headers(signature),
            [CURRENT],
            now=NOW,
        )


def test_a_replayed_signature_with_a_fresh_timestamp_is_refused():
    # The timestamp is signed: moving it into the window breaks the signature.
    signature = sign(CURRENT, "POST", URI, BODY, T)
    later = T + 3_600_000
    with pytest.raises(SignatureError, match="no matching signature"):
        verify("POST", URI, BODY, headers(signature, later), [CURRENT], now=later / 1000)


@pytest.mark.parametrize(
    "bad_headers",
    [
        {},
        {"X-HubSpot-Signature-v3": ""},
        {"X-HubSpot-Signature-v3": "A" * 200, "X-HubSpot-Request-Timestamp": str(T)},
        {"X-HubSpot-Signature-v3": "abc"},
        {"X-HubSpot-Signature-v3": "abc", "X-HubSpot-Request-Timestamp": "1.5e12"},
        {"X-HubSpot-Signature-v3": "abc", "X-HubSpot-Request-Timestamp": " 1539145400000"},
        {"X-HubSpot-Signature-v3": "abc", "X-HubSpot-Request-Timestamp": "-1"},
    ],
    ids=["none", "empty", "too long", "no timestamp", "float", "space", "negative"],
)
def test_missing_or_malformed_headers_are_refused(bad_headers):
    with pytest.raises(SignatureError):
        verify("POST", URI, BODY, bad_headers, [CURRENT], now=NOW)


def test_the_timestamp_is_milliseconds_not_seconds():
    # Seconds where milliseconds are due put the request in 1970: far outside the window.
    seconds = T // 1000
    signature = sign(CURRENT, "POST", URI, BODY, seconds)
    with pytest.raises(SignatureError, match="tolerance"):
        verify("POST", URI, BODY, headers(signature, seconds), [CURRENT], now=NOW)
    assert DEFAULT_TOLERANCE_MS == 300_000


def test_text_bodies_are_refused():
    with pytest.raises(TypeError):
        sign(CURRENT, "POST", URI, BODY.decode(), T)


@pytest.mark.parametrize(
    ("base", "path", "query", "expected"),
    [
        (
            "https://erp.example.com",
            "/saas/webhook/t",
            "",
            "https://erp.example.com/saas/webhook/t",
        ),
        (
            "https://erp.example.com/",
            "/saas/webhook/t",
            "",
            "https://erp.example.com/saas/webhook/t",
        ),
        ("https://erp.example.com", "/w", "a=1&b=2", "https://erp.example.com/w?a=1&b=2"),
        # HubSpot decodes these escapes before signing, in either case of hex digit...
        ("https://h.example", "/w", "u=a%3Ab%2Fc%3fd%40e", "https://h.example/w?u=a:b/c?d@e"),
        (
            "https://h.example",
            "/w",
            "x=%21%24%27%28%29%2A%2C%3B",
            "https://h.example/w?x=!$'()*,;",
        ),
        # ... and no others.
        ("https://h.example", "/w", "q=a%20b%26c%25", "https://h.example/w?q=a%20b%26c%25"),
        # A decoded escape is not decoded again: %253A is "%3A" spelled out.
        ("https://h.example", "/w", "q=%253A", "https://h.example/w?q=%253A"),
    ],
)
def test_signed_uri(base, path, query, expected):
    assert signed_uri(base, path, query) == expected


def test_a_request_behind_a_proxy_is_verified_on_its_public_url():
    public = signed_uri("https://erp.example.com", "/saas/webhook/t", "portal=1%3A2")
    signature = sign(CURRENT, "POST", public, BODY, T)
    assert verify("POST", public, BODY, headers(signature), [CURRENT], now=NOW) == T
    internal = signed_uri("http://127.0.0.1:8069", "/saas/webhook/t", "portal=1%3A2")
    with pytest.raises(SignatureError):
        verify("POST", internal, BODY, headers(signature), [CURRENT], now=NOW)
