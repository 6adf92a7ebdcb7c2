import json
import time
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import patch

import pytest
import stripe

from odoo.addons.saas_stripe.lib.signature import (
    DEFAULT_TOLERANCE,
    MAX_HEADER_LENGTH,
    MAX_SIGNATURES,
    SignatureError,
    sign,
    verify_header,
    verify_livemode,
)
from odoo.addons.saas_stripe.lib.signature import _mac as signature_mac

# A real delivery body; its line description ("1 \u00d7 Free tier") makes it non-ASCII, as
# bodies often are.
BODY = (
    Path(__file__).parent / "fixtures" / "stripe-sync-engine" / "invoice_paid.json"
).read_bytes()
CURRENT = "whsec_current0123456789abcdef"
PREVIOUS = "whsec_previous0123456789abcdef"
OTHER = "whsec_other0123456789abcdef"
T = 1_642_649_111  # the event's own created time
NOW = T + 10


def mac(secret, body=BODY, timestamp=T):
    return sign(body, secret, timestamp).split(",v1=")[1]


# (case, header, secrets, now, expected error message or None when accepted). Every case here
# must get the same verdict from the stripe SDK (see test_verdicts_match_the_stripe_sdk).
CASES = [
    ("good signature", sign(BODY, CURRENT, T), [CURRENT], NOW, None),
    ("current secret during rotation", sign(BODY, CURRENT, T), [CURRENT, PREVIOUS], NOW, None),
    ("previous secret during rotation", sign(BODY, PREVIOUS, T), [CURRENT, PREVIOUS], NOW, None),
    (
        "one of several v1 entries",
        f"t={T},v1={mac(OTHER)},v1={mac(CURRENT)}",
        [CURRENT],
        NOW,
        None,
    ),
    ("v0 next to a good v1", f"t={T},v0={mac(CURRENT)},v1={mac(CURRENT)}", [CURRENT], NOW, None),
    ("unknown scheme ignored", f"t={T},v1={mac(CURRENT)},v9=zz", [CURRENT], NOW, None),
    ("first t counts", f"t={T},t=1,v1={mac(CURRENT)}", [CURRENT], NOW, None),
    ("exactly at the tolerance", sign(BODY, CURRENT, T), [CURRENT], T + 300, None),
    ("wrong secret", sign(BODY, OTHER, T), [CURRENT, PREVIOUS], NOW, "no matching signature"),
    ("no secret", sign(BODY, CURRENT, T), [], NOW, "no matching signature"),
    ("blank secrets", sign(BODY, CURRENT, T), ["", " "], NOW, "no matching signature"),
    # A blank configured secret is no secret: a body signed with it must not pass.
    ("signed with a blank secret", sign(BODY, "", T), ["", CURRENT], NOW, "no matching signature"),
    ("signed other t", f"t={T + 1},v1={mac(CURRENT)}", [CURRENT], NOW, "no matching signature"),
    (
        "upper-case hex",
        f"t={T},v1={mac(CURRENT).upper()}",
        [CURRENT],
        NOW,
        "no matching signature",
    ),
    ("missing t", f"v1={mac(CURRENT)}", [CURRENT], NOW, "malformed Stripe-Signature header"),
    (
        "non-integer t",
        f"t=abc,v1={mac(CURRENT)}",
        [CURRENT],
        NOW,
        "malformed Stripe-Signature header",
    ),
    ("empty t", f"t=,v1={mac(CURRENT)}", [CURRENT], NOW, "malformed Stripe-Signature header"),
    (
        "v1 without value",
        f"t={T},v1,v1={mac(CURRENT)}",
        [CURRENT],
        NOW,
        "malformed Stripe-Signature header",
    ),
    ("missing v1", f"t={T}", [CURRENT], NOW, "no v1 signature in Stripe-Signature header"),
    (
        "only v0",
        f"t={T},v0={mac(CURRENT)}",
        [CURRENT],
        NOW,
        "no v1 signature in Stripe-Signature header",
    ),
    (
        "space before v1",
        f"t={T}, v1={mac(CURRENT)}",
        [CURRENT],
        NOW,
        "no v1 signature in Stripe-Signature header",
    ),
    (
        "space before t",
        f" t={T},v1={mac(CURRENT)}",
        [CURRENT],
        NOW,
        "malformed Stripe-Signature header",
    ),
    ("space after v1 value", f"t={T},v1={mac(CURRENT)} ", [CURRENT], NOW, "no matching signature"),
    ("not a header", "garbage", [CURRENT], NOW, "malformed Stripe-Signature header"),
    ("empty header", "", [CURRENT], NOW, "missing Stripe-Signature header"),
    ("absent header", None, [CURRENT], NOW, "missing Stripe-Signature header"),
    (
        "stale",
        sign(BODY, CURRENT, T),
        [CURRENT],
        T + 301,
        "timestamp outside the tolerance window",
    ),
]


@pytest.mark.parametrize(("case", "header", "secrets", "now", "error"), CASES)
def test_header_verdicts(case, header, secrets, now, error):
    if error is None:
        assert verify_header(BODY, header, secrets, now=now) == T
    else:
        with pytest.raises(SignatureError) as raised:
            verify_header(BODY, header, secrets, now=now)
        assert str(raised.value) == error


def test_tampered_body_is_rejected():
    tampered = BODY.replace(b'"amount_due": 0', b'"amount_due": 1')
    assert tampered != BODY
    with pytest.raises(SignatureError, match="no matching signature"):
        verify_header(tampered, sign(BODY, CURRENT, T), [CURRENT], now=NOW)


@pytest.mark.parametrize("skew", [301, 3600])
def test_future_timestamp_is_rejected(skew):
    # The SDK accepts any future timestamp; a signature made ahead of time must not be.
    header = sign(BODY, CURRENT, NOW + skew)
    with pytest.raises(SignatureError, match="timestamp outside the tolerance window"):
        verify_header(BODY, header, [CURRENT], now=NOW)
    assert _sdk_accepts(BODY, header, [CURRENT], NOW)


def test_tolerance_is_a_parameter():
    header = sign(BODY, CURRENT, T)
    assert verify_header(BODY, header, [CURRENT], tolerance=3600, now=T + 3600) == T
    with pytest.raises(SignatureError):
        verify_header(BODY, header, [CURRENT], tolerance=60, now=T + 61)
    assert DEFAULT_TOLERANCE == 300


def test_clock_is_read_when_now_is_not_given():
    now = int(time.time())
    assert verify_header(BODY, sign(BODY, CURRENT, now), [CURRENT]) == now
    with pytest.raises(SignatureError, match="tolerance"):
        verify_header(BODY, sign(BODY, CURRENT, T), [CURRENT])


@pytest.mark.parametrize("t", ["+1642649111", " 1642649111", "1642_649111", "١٦٤٢٦٤٩١١١"])
def test_only_ascii_digit_timestamps_are_read(t):
    # Python's int(), which the SDK uses, reads all of these as 1642649111.
    header = f"t={t},v1={mac(CURRENT)}"
    with pytest.raises(SignatureError, match="malformed"):
        verify_header(BODY, header, [CURRENT], now=NOW)
    assert _sdk_accepts(BODY, header, [CURRENT], NOW)


def test_text_payload_is_refused():
    with pytest.raises(TypeError):
        verify_header(BODY.decode(), sign(BODY, CURRENT, T), [CURRENT], now=NOW)
    with pytest.raises(TypeError):
        sign(BODY.decode(), CURRENT, T)


@pytest.mark.parametrize(("case", "header", "secrets", "now", "error"), CASES)
def test_error_messages_reveal_nothing(case, header, secrets, now, error):
    if error is None:
        return
    with pytest.raises(SignatureError) as raised:
        verify_header(BODY, header, secrets, now=now)
    message = str(raised.value)
    assert len(message) < 60
    for secret in (CURRENT, PREVIOUS, OTHER):
        assert secret not in message
        assert mac(secret) not in message
    assert str(now) not in message


# Cross-check with the stripe SDK --------------------------------------------------------------


def _sdk_accepts(body, header, secrets, now):
    """Verdict of stripe.WebhookSignature.verify_header with the SDK's default tolerance, for
    any of ``secrets`` (the SDK takes one), at Unix time ``now``."""
    with pytest.MonkeyPatch.context() as patch:
        # The SDK reads the clock through its module's ``time`` import.
        patch.setattr("stripe._webhook.time", SimpleNamespace(time=lambda: now))
        for secret in secrets or [None]:
            try:
                stripe.WebhookSignature.verify_header(body, header, secret, tolerance=300)
            except stripe.SignatureVerificationError:
                continue
            return True
    return False


@pytest.mark.parametrize(("case", "header", "secrets", "now", "error"), CASES)
def test_verdicts_match_the_stripe_sdk(case, header, secrets, now, error):
    assert _sdk_accepts(BODY, header, secrets, now) is (error is None)


def test_tampered_body_is_rejected_by_the_sdk_too():
    tampered = BODY.replace(b'"amount_due": 0', b'"amount_due": 1')
    assert not _sdk_accepts(tampered, sign(BODY, CURRENT, T), [CURRENT], NOW)


def test_sign_builds_the_header_the_sdk_builds():
    expected = stripe.WebhookSignature.generate_signature_header(
        BODY.decode(), CURRENT, timestamp=T
    )
    assert sign(BODY, CURRENT, T) == expected


def test_a_verified_body_is_the_event_the_sdk_constructs():
    header = sign(BODY, CURRENT, NOW)
    assert verify_header(BODY, header, [PREVIOUS, CURRENT], now=NOW) == NOW
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("stripe._webhook.time", SimpleNamespace(time=lambda: NOW))
        event = stripe.Webhook.construct_event(BODY, header, CURRENT)
    assert event.id == json.loads(BODY)["id"] == "evt_1KJrGtJDPojXS6LN15fcthM3"
    assert event.type == "invoice.paid"


# Livemode -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("livemode", "live"), [(False, False), (True, True)])
def test_event_of_the_backend_environment_is_accepted(livemode, live):
    verify_livemode({"id": "evt_1", "livemode": livemode}, live)


@pytest.mark.parametrize(
    ("event", "live"),
    [
        ({"livemode": True}, False),
        ({"livemode": False}, True),
        ({}, False),
        ({"livemode": None}, False),
        ({"livemode": "false"}, False),
        ({"livemode": 0}, False),
        ([], False),
    ],
)
def test_event_of_another_environment_is_rejected(event, live):
    with pytest.raises(SignatureError, match=r"^livemode does not match this endpoint$"):
        verify_livemode(event, live)


def test_real_test_mode_event_is_refused_by_a_live_backend():
    event = json.loads(BODY)
    verify_livemode(event, live=False)
    with pytest.raises(SignatureError):
        verify_livemode(event, live=True)


def test_a_header_with_too_many_signatures_is_refused_before_any_mac():
    good = f"v1={mac(CURRENT)}"
    forged = ",".join([f"t={T}"] + ["v1=" + "0" * 64] * 12_000 + [good])
    short_entries = ",".join([f"t={T}"] + ["v1=0"] * MAX_SIGNATURES + [good])
    assert len(short_entries) <= MAX_HEADER_LENGTH
    with patch("odoo.addons.saas_stripe.lib.signature._mac") as computed:
        with pytest.raises(SignatureError, match="too long"):
            verify_header(BODY, forged, [CURRENT], now=NOW)
        with pytest.raises(SignatureError, match=f"more than {MAX_SIGNATURES}"):
            verify_header(BODY, short_entries, [CURRENT], now=NOW)
    computed.assert_not_called()


def test_the_body_is_signed_once_per_secret_whatever_the_number_of_candidates():
    header = ",".join(
        [f"t={T}"] + ["v1=" + "0" * 64] * (MAX_SIGNATURES - 1) + [f"v1={mac(CURRENT)}"]
    )
    with patch("odoo.addons.saas_stripe.lib.signature._mac", wraps=signature_mac) as computed:
        assert verify_header(BODY, header, [OTHER, PREVIOUS, CURRENT], now=NOW) == T
    assert computed.call_count == 3
