import json

from odoo import models
from odoo.addons.saas_connector_base.lib.sync import ObjectEvent

from ..lib.normalize import sync_event_types


class SaasBackend(models.Model):
    """Stripe objects read from the API, as the events the engine stores and applies (see
    ``saas.backend._sync_objects``): which event types apply an object's current state, and
    the Stripe event around it."""

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    def _provider_object_events(self, obj):
        if self.provider != "stripe":
            return super()._provider_object_events(obj)
        return [
            ObjectEvent(event_type, obj["object"], obj["id"])
            for event_type in sync_event_types(obj)
        ]

    def _provider_object_payload(self, event_id, object_event, obj, created):
        if self.provider != "stripe":
            return super()._provider_object_payload(event_id, object_event, obj, created)
        payload = {
            "id": event_id,
            "object": "event",
            "type": object_event.event_type,
            "api_version": self.stripe_api_version or None,
            "created": created,
            "livemode": bool(obj.get("livemode", self.environment == "live")),
            "data": {"object": obj},
        }
        # The SDK reads Stripe's decimal strings (``unit_amount_decimal``) as Decimal:
        # written back as the strings they were.
        return json.dumps(payload, default=str)

    def _provider_sync_id_prefix(self):
        if self.provider != "stripe":
            return super()._provider_sync_id_prefix()
        return "evt_sync_"
