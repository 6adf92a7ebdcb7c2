"""What a provider extracts from a verified delivery, before anything is stored."""

import re
from dataclasses import dataclass
from datetime import datetime

MAX_EVENTS_PER_DELIVERY = 1000
"""More events than any provider batches (HubSpot: 100): a larger delivery is refused whole."""

MAX_ID_LENGTH = 255
"""Ids and types are short identifiers at every provider. A longer one is refused: above about
2.7 kB PostgreSQL's unique index could not even hold it, and the sender would retry forever."""

# C0 controls (NUL first: PostgreSQL text cannot hold it) and DEL have no place in an id.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class InboundEvent:
    """One event of a delivery.

    ``external_id`` is the provider's unique event (or delivery) id: a second delivery with the
    same id is a duplicate. ``object_external_id`` identifies the business object the event is
    about; the engine processes the events of one object one at a time, in ``source_created``
    order.
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


def delivery_problem(events):
    """Why a delivery's events cannot be stored, or ``None``: a delivery is stored whole or
    not at all, so that the sender's retry brings every event of it again."""
    if len(events) > MAX_EVENTS_PER_DELIVERY:
        return f"more than {MAX_EVENTS_PER_DELIVERY} events in one delivery"
    for event in events:
        if problem := event.problem():
            return problem
    return None


def _is_utf8(text):
    # A lone surrogate (JSON allows "\ud800") decodes to a str that no UTF-8 column takes.
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
