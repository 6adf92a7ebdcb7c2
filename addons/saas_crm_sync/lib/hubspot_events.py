"""A HubSpot webhook batch read into events.

HubSpot POSTs a JSON array of up to 100 events. ``eventId`` alone is not unique, and an
object id is unique only within its object type, so an event is keyed by
``subscriptionId:eventId:objectId:occurredAt`` (never ``attemptNumber``: a retry is the same
event) and an object by its type-prefixed id, ``deal/123``.
"""

import json
from dataclasses import dataclass, field

MAX_EVENTS = 100
"""HubSpot sends at most 100 events per request."""

# Generic subscriptions (``object.creation`` …) name the type by its id instead.
OBJECT_TYPE_IDS = {"0-1": "contact", "0-2": "company", "0-3": "deal", "0-8": "line_item"}


class BatchError(ValueError):
    """The body is not a HubSpot webhook batch. The message is safe to log."""


@dataclass(frozen=True)
class HubSpotEvent:
    key: str
    object_type: str
    object_id: str
    action: str
    subscription_type: str
    occurred_at: int
    """Milliseconds since the epoch."""
    portal_id: str
    change_source: str | None = None
    source_id: str | None = None
    property_name: str | None = None
    property_value: str | None = None
    primary_object_id: str | None = None
    merged_object_ids: tuple = ()
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def object_key(self):
        return object_key(self.object_type, self.object_id)


def object_key(object_type, object_id):
    """The id of a HubSpot object across types: ``deal/123``."""
    return f"{object_type}/{object_id}"


def parse_batch(body, max_events=MAX_EVENTS):
    """The events of a raw webhook ``body`` (bytes), in the order sent. Raises BatchError."""
    try:
        batch = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BatchError("not JSON") from None
    if not isinstance(batch, list) or not batch:
        raise BatchError("a batch is a non-empty JSON array of events")
    if len(batch) > max_events:
        raise BatchError(f"more than {max_events} events in a batch")
    return [read_event(event) for event in batch]


def read_event(event):
    """One event of a batch (a parsed JSON object) as a HubSpotEvent."""
    if not isinstance(event, dict):
        raise BatchError("an event is a JSON object")
    subscription_type = _required_text(event, "subscriptionType")
    type_name, _dot, action = subscription_type.partition(".")
    if type_name == "object":
        type_name = OBJECT_TYPE_IDS.get(str(event.get("objectTypeId")), "")
    if not type_name or not action:
        raise BatchError(f"unknown subscription type {subscription_type!r}")
    object_id = _required_id(event, "objectId")
    occurred_at = event.get("occurredAt")
    if isinstance(occurred_at, bool) or not isinstance(occurred_at, int) or occurred_at < 0:
        raise BatchError("occurredAt must be milliseconds since the epoch")
    key = ":".join(
        (
            _required_id(event, "subscriptionId"),
            _required_id(event, "eventId"),
            object_id,
            str(occurred_at),
        )
    )
    merged = event.get("mergedObjectIds")
    if merged is None:
        merged = []
    if not isinstance(merged, list):
        raise BatchError("mergedObjectIds must be a list")
    return HubSpotEvent(
        key=key,
        object_type=type_name,
        object_id=object_id,
        action=action,
        subscription_type=subscription_type,
        occurred_at=occurred_at,
        portal_id=_required_id(event, "portalId"),
        change_source=_optional_text(event, "changeSource"),
        source_id=_optional_text(event, "sourceId"),
        property_name=_optional_text(event, "propertyName"),
        property_value=_optional_text(event, "propertyValue"),
        primary_object_id=_optional_id(event, "primaryObjectId"),
        merged_object_ids=tuple(_id(value, "mergedObjectIds") for value in merged),
        raw=event,
    )


def _id(value, name):
    # Ids are JSON integers in events, strings in the REST API: compare them as text.
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value in ("", None):
        raise BatchError(f"{name} must be an id")
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        raise BatchError(f"{name} must be an id")
    return text


def _required_id(event, name):
    if name not in event:
        raise BatchError(f"an event needs {name}")
    return _id(event[name], name)


def _optional_id(event, name):
    return None if event.get(name) is None else _id(event[name], name)


def _required_text(event, name):
    value = event.get(name)
    if not isinstance(value, str) or not value:
        raise BatchError(f"an event needs {name}")
    return value


def _optional_text(event, name):
    value = event.get(name)
    return None if value is None else str(value)
