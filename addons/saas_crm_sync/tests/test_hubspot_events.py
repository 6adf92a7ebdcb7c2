import json
from pathlib import Path

import pytest

from odoo.addons.saas_crm_sync.lib.hubspot_events import (
    MAX_EVENTS,
    BatchError,
    object_key,
    parse_batch,
)

# A real one-event batch (contact.creation, an old capture), see fixtures/PROVENANCE.md.
REAL = (Path(__file__).parent / "fixtures" / "hubspot-contact-creation-batch.json").read_bytes()
[REAL_EVENT] = json.loads(REAL)


def batch(*events):
    return json.dumps(list(events)).encode()


def event(**changes):
    return {**REAL_EVENT, **changes}


def test_the_real_batch():
    [read] = parse_batch(REAL)
    assert read.key == "25458:1:123:1539145399845"
    assert read.object_key == "contact/123"
    assert (read.object_type, read.object_id, read.action) == ("contact", "123", "creation")
    assert read.subscription_type == "contact.creation"
    assert read.occurred_at == 1539145399845
    assert read.portal_id == "4737818"
    assert read.change_source == "CRM"
    assert read.source_id is None
    assert read.raw == REAL_EVENT


# Variants of the real event in the shapes HubSpot documents for the other subscriptions.
KINDS = [
    (
        event(subscriptionType="deal.creation", objectId=9001, changeFlag="CREATED"),
        {"object_key": "deal/9001", "action": "creation"},
    ),
    (
        event(
            subscriptionType="deal.propertyChange",
            objectId=9001,
            propertyName="dealstage",
            propertyValue="a1b2c3d4-stage-guid",
            changeSource="INTEGRATION",
            sourceId="177698",
        ),
        {
            "object_key": "deal/9001",
            "action": "propertyChange",
            "property_name": "dealstage",
            "property_value": "a1b2c3d4-stage-guid",
            "change_source": "INTEGRATION",
            "source_id": "177698",
        },
    ),
    (
        event(
            subscriptionType="deal.merge",
            objectId=9003,
            primaryObjectId=9003,
            mergedObjectIds=[9001, 9002],
        ),
        {
            "object_key": "deal/9003",
            "primary_object_id": "9003",
            "merged_object_ids": ("9001", "9002"),
        },
    ),
    (
        event(subscriptionType="line_item.deletion", objectId=77),
        {"object_key": "line_item/77", "action": "deletion"},
    ),
    (
        event(subscriptionType="company.propertyChange", objectId=5, propertyName="name"),
        {"object_key": "company/5", "property_value": None},
    ),
    (
        event(subscriptionType="object.creation", objectTypeId="0-3", objectId=42),
        {"object_key": "deal/42", "action": "creation"},
    ),
]


@pytest.mark.parametrize(("raw", "expected"), KINDS, ids=[k[0]["subscriptionType"] for k in KINDS])
def test_event_kinds(raw, expected):
    [read] = parse_batch(batch(raw))
    assert {name: getattr(read, name) for name in expected} == expected


def test_same_event_id_on_other_objects_or_times_are_other_events():
    # HubSpot reuses eventId: only the whole key tells events apart.
    events = parse_batch(
        batch(
            event(),
            event(objectId=124),
            event(occurredAt=REAL_EVENT["occurredAt"] + 1),
            event(subscriptionId=25459),
        )
    )
    assert len({e.key for e in events}) == 4


def test_a_retry_is_the_same_event():
    first = parse_batch(batch(event(attemptNumber=0)))[0]
    retry = parse_batch(batch(event(attemptNumber=3)))[0]
    assert first.key == retry.key
    assert first == retry  # raw (which differs) takes no part in equality


def test_the_same_id_in_two_object_types_is_two_objects():
    deal, contact = parse_batch(
        batch(event(subscriptionType="deal.creation"), event(subscriptionType="contact.creation"))
    )
    assert deal.object_key == "deal/123" != contact.object_key == "contact/123"
    assert object_key("deal", "123") == "deal/123"


def test_order_is_kept():
    ids = [e.object_id for e in parse_batch(batch(*(event(objectId=n) for n in (3, 1, 2))))]
    assert ids == ["3", "1", "2"]


def test_a_full_batch_is_read_and_a_larger_one_refused():
    assert len(parse_batch(batch(*[event(eventId=n) for n in range(MAX_EVENTS)]))) == MAX_EVENTS
    with pytest.raises(BatchError, match="more than 100"):
        parse_batch(batch(*[event(eventId=n) for n in range(MAX_EVENTS + 1)]))


REFUSED = [
    ("not json", b"[{"),
    ("not utf-8", b"\xff\xfe"),
    ("object", json.dumps(REAL_EVENT).encode()),
    ("empty", b"[]"),
    ("not an object", batch(1)),
    (
        "no subscriptionType",
        batch({k: v for k, v in REAL_EVENT.items() if k != "subscriptionType"}),
    ),
    ("no action", batch(event(subscriptionType="deal"))),
    (
        "unknown object type id",
        batch(event(subscriptionType="object.creation", objectTypeId="2-99")),
    ),
    ("no objectId", batch({k: v for k, v in REAL_EVENT.items() if k != "objectId"})),
    ("objectId not an id", batch(event(objectId="12 OR 1=1"))),
    ("objectId boolean", batch(event(objectId=True))),
    ("no eventId", batch({k: v for k, v in REAL_EVENT.items() if k != "eventId"})),
    ("no subscriptionId", batch({k: v for k, v in REAL_EVENT.items() if k != "subscriptionId"})),
    ("no portalId", batch({k: v for k, v in REAL_EVENT.items() if k != "portalId"})),
    ("occurredAt in text", batch(event(occurredAt="1539145399845"))),
    ("occurredAt float", batch(event(occurredAt=1539145399.845))),
    ("occurredAt negative", batch(event(occurredAt=-1))),
    ("mergedObjectIds not a list", batch(event(mergedObjectIds=5))),
]


@pytest.mark.parametrize("body", [b for _, b in REFUSED], ids=[n for n, _ in REFUSED])
def test_malformed_batches_are_refused(body):
    with pytest.raises(BatchError):
        parse_batch(body)
