import json
import time
from datetime import UTC, datetime

from odoo import models

from ..lib.inbound import InboundEvent
from ..lib.sync import sync_event_id


class SaasBackend(models.Model):
    """Objects read from the provider's API, applied exactly as webhooks would apply them:
    each becomes the events that describe its current state (the provider says which, and
    what their payload is), with an id derived from its content, stored in the inbox and
    processed by the engine's jobs with the same bindings as webhooks."""

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    def _sync_objects(self, objects, dispatch=True, salt=""):
        """Feed API objects (dicts, as the provider's API returns them) through the inbox as
        if the provider had sent a webhook describing each one's current state.

        Each object becomes the events ``_provider_object_events`` names, in that order,
        dated now — the state as of now, so that webhooks created before it are recognized as
        older — with a synthetic id derived from the object's content
        (:func:`~..lib.sync.sync_event_id`): an unchanged object synced twice is a duplicate
        and changes nothing, a changed one is a new event; ``salt`` makes the ids of a
        re-sync new. Objects the provider has no event for are skipped.

        With ``dispatch=False`` the caller processes the events (see
        ``saas.event._receive``). Returns the ``saas.event`` records stored now (duplicates
        excluded), in their order.
        """
        self.ensure_one()
        now = int(time.time())
        created = datetime.fromtimestamp(now, UTC)
        prefix = self._provider_sync_id_prefix()
        inbound_events = []
        for obj in objects:
            for object_event in self._provider_object_events(obj):
                event_id = sync_event_id(prefix, object_event, obj, salt)
                inbound_events.append(
                    InboundEvent(
                        external_id=event_id,
                        event_type=object_event.event_type,
                        object_type=object_event.object_type,
                        object_external_id=object_event.object_external_id,
                        source_created=created,
                        payload=self._provider_object_payload(event_id, object_event, obj, now),
                    )
                )
        new = self.env["saas.event"]._receive(self, inbound_events, self._sync_headers(), dispatch)
        return self.env["saas.event"].browse([event_id for event_id, _object_id in new])

    def _current_events(self, obj):
        """The events that apply ``obj``, an object just read, in their order: stored now, or
        earlier by a read of exactly the same state. ``None`` when no event applies an object
        of its type. What ``_provider_refresh_stale_event`` returns."""
        self.ensure_one()
        prefix = self._provider_sync_id_prefix()
        event_ids = [
            sync_event_id(prefix, object_event, obj)
            for object_event in self._provider_object_events(obj)
        ]
        if not event_ids:
            return None
        self._sync_objects([obj], dispatch=False)
        events = self.env["saas.event"].search(
            [("backend_id", "=", self.id), ("external_id", "in", event_ids)]
        )
        return events.sorted(lambda event: event_ids.index(event.external_id))

    def _sync_headers(self):
        """Stored in place of a delivery's headers: says where the event came from."""
        return json.dumps({"Origin": f"{self._provider_label()} API (synchronization)"})

    def _provider_event_is_read(self, event):
        return event.headers == self._sync_headers() or super()._provider_event_is_read(event)

    # ---------------------------------------------------------------------------------------
    # Provider contract
    # ---------------------------------------------------------------------------------------
    def _provider_object_events(self, obj):
        """The events whose handlers apply the current state of ``obj`` (a dict of the
        provider's API), in the order they must be applied: a list of
        :class:`~..lib.sync.ObjectEvent`, empty for an object no event applies."""
        return []

    def _provider_object_payload(self, event_id, object_event, obj, created):
        """The payload stored for the event ``object_event`` of ``obj``, as the provider's
        handlers read a webhook's: by default ``{"id", "type", "created", "data": {"object"}}``
        (``created``: Unix time)."""
        return json.dumps(
            {
                "id": event_id,
                "type": object_event.event_type,
                "created": created,
                "data": {"object": obj},
            },
            default=str,
        )

    def _provider_sync_id_prefix(self):
        """How the ids of events made from reads begin (e.g. ``evt_sync_``), so that they
        read as the provider's ids and never collide with delivered ones."""
        return "sync_"
