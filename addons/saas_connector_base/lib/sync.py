"""Objects read from a provider's API (a backfill, a Re-sync, a stale event's refresh), as
events of the inbox. Plain data and functions: the engine stores and processes the events."""

import hashlib
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectEvent:
    """An event whose handler applies the current state of an object read from the API: the
    provider names its type and the object it is about; the engine gives it its id."""

    event_type: str
    object_type: str
    object_external_id: str


def sync_event_id(prefix, object_event, obj, salt=""):
    """A synthetic event id that depends only on the event type and the object's content (and
    ``salt``): syncing an unchanged object again gives the same id (a duplicate the intake
    ignores), a changed one a new id. A re-sync salts it, so that the state is applied again
    even when the object did not change (Odoo's side did)."""
    content = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    event_type = object_event.event_type
    salted = f"{event_type}\n{salt}" if salt else event_type
    digest = hashlib.sha256(f"{salted}\n{content}".encode()).hexdigest()
    return f"{prefix}{object_event.object_external_id}_{digest[:24]}"
