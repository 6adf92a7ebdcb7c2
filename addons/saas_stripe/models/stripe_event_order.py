from odoo import models

# Stages of a Stripe object's lifecycle, by the last word of an event type: events stamped
# in the same second apply first to last, and when the object cannot be read from the API,
# only a later stage replaces a state of the same second. The other types are in between.
FIRST_STAGES = frozenset({"created", "pending"})
LAST_STAGES = frozenset(
    {
        "deleted",
        "paid",
        "payment_succeeded",
        "voided",
        "marked_uncollectible",
        "refunded",
        "closed",
        "failed",
        "canceled",
    }
)


class SaasBackend(models.Model):
    """The order of Stripe events that share their second (see ``_provider_event_rank``)."""

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    def _provider_event_rank(self, event_type):
        if self.provider != "stripe":
            return super()._provider_event_rank(event_type)
        stage = event_type.rsplit(".", 1)[-1]
        if stage in FIRST_STAGES:
            return 0
        return 2 if stage in LAST_STAGES else 1
