"""Fixtures of the normalizer's tests (test_normalize_*.py): Stripe payloads of each API version,
read into canonical objects. The fixtures are real payloads (see fixtures/PROVENANCE.md); a test
that needs a variant derives it in code and says which field it changes."""

import json
from datetime import UTC, datetime
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

LOCALSTRIPE = "localstripe-2017-08-15"
SYNC_ENGINE = "stripe-sync-engine"
LAGO_2020 = "lago-api/2020-08-27/webhooks"
LAGO_ACACIA = "lago-api/2024-09-30.acacia/webhooks"
LAGO_BASIL = "lago-api/2025-04-30.basil/webhooks"
ZULIP_INVOICE = "zulip/upgrade_by_card--Event.list.4.json"  # payment_succeeded, paid, updated
ZULIP_CUSTOMER = "zulip/upgrade_by_card--Event.list.2.json"
ZULIP_INVOICE_PAYMENT = "zulip/stripe_billing_portal_urls_for_remote_server--Event.list.1.json"


def load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def event_payload(name, index=0):
    """An event envelope: the file itself, or entry ``index`` of a Zulip event list page."""
    payload = load(name)
    return payload["data"][index] if payload.get("object") == "list" else payload


def stripe_object(name, index=0):
    """The Stripe object of a fixture: an event's data.object, a data section's object, or the
    bare object."""
    payload = event_payload(name, index)
    if "data" in payload and "type" in payload:
        return payload["data"]["object"]
    return payload.get("object") if isinstance(payload.get("object"), dict) else payload


def at(*args):
    return datetime(*args, tzinfo=UTC)
