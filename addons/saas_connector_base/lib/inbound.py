"""A delivery as the sender made it, what a provider extracts from it once verified, and the
answer the sender expects."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

MAX_EVENTS_PER_DELIVERY = 1000
"""More events than any provider batches (HubSpot: 100): a larger delivery is refused whole."""

MAX_ID_LENGTH = 255
"""Ids and types are short identifiers at every provider. A longer one is refused: above about
2.7 kB PostgreSQL's unique index could not even hold it, and the sender would retry forever."""

# C0 controls (NUL first: PostgreSQL text cannot hold it) and DEL have no place in an id.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class WebhookRequest:
    """One delivery, as the sender made it and may have signed it.

    ``url`` is the URL the sender called — the public one, query string included, rebuilt from
    the configured public base URL rather than from the Host header a proxy may have changed.
    ``headers`` is case-insensitive; ``mimetype`` is the media type of ``Content-Type``,
    lower case and without parameters; ``body`` the raw bytes, as signed.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    mimetype: str = ""


@dataclass(frozen=True)
class WebhookAnswer:
    """What the webhook route answers, in the shape the sender expects (a JSON object, a SOAP
    acknowledgement…): some senders retry anything but their exact success answer."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status, headers=None, **values):
        return cls(status, json.dumps(values).encode(), headers=headers or {})


@dataclass(frozen=True)
class InboundEvent:
    """One event of a delivery.

    ``external_id`` is the provider's unique event (or delivery) id: a second delivery with the
    same id is a duplicate. ``object_external_id`` identifies the business object the event is
    about; the engine processes the events of one object one at a time, in ``source_created``
    order. ``payload`` is the event as its handlers read it: the body itself for a delivery of
    one JSON event, otherwise the event's own part of the body, as JSON (the engine then keeps
    the body verbatim beside the events, once per delivery).
    """

    external_id: str
    event_type: str
    object_type: str
    object_external_id: str
    source_created: datetime
    payload: str

    def problem(self):
        """Why this event cannot be stored as it is, or ``None``. The reason is short and
        safe to send back to the sender."""
        for name in ("external_id", "event_type", "object_type", "object_external_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or (not value and name != "object_type"):
                return f"{name} missing"
            if len(value) > MAX_ID_LENGTH:
                return f"{name} longer than {MAX_ID_LENGTH} characters"
            if _CONTROL_CHARACTERS.search(value) or not _is_utf8(value):
                return f"{name} contains characters that are not allowed"
        if not isinstance(self.source_created, datetime):
            return "creation time missing"
        if (
            not isinstance(self.payload, str)
            or "\x00" in self.payload
            or not _is_utf8(self.payload)
        ):
            return "payload is not valid text"
        return None


def delivery_problem(events, body=b""):
    """Why a delivery's events, or its raw ``body`` kept beside them, cannot be stored, or
    ``None``: a delivery is stored whole or not at all, so that the sender's retry brings
    every event of it again. A delivery without any event is refused too: no provider sends
    one, and answering it 200 would tell a misconfigured sender all is well."""
    if not events:
        return "no event in the delivery"
    if len(events) > MAX_EVENTS_PER_DELIVERY:
        return f"more than {MAX_EVENTS_PER_DELIVERY} events in one delivery"
    for event in events:
        if problem := event.problem():
            return problem
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return "payload is not valid text"
    return "payload is not valid text" if "\x00" in text else None


def _is_utf8(text):
    # A lone surrogate (JSON allows "\ud800") decodes to a str that no UTF-8 column takes.
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
