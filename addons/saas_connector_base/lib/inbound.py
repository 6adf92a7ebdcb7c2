"""What a provider extracts from a verified delivery, before anything is stored."""

from dataclasses import dataclass
from datetime import datetime


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
