from odoo import fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

from .saas_stripe_backfill import STATES
from .saas_stripe_backfill_line import DEFAULT_TYPES, OBJECT_TYPE_SEQUENCE, OBJECT_TYPES


class SaasBackend(models.Model):
    """Backfill runs of a Stripe account: started from the backend form or from code."""

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    stripe_backfill_ids = fields.One2many(
        "saas.stripe.backfill", "backend_id", string="Stripe Backfills"
    )
    stripe_backfill_count = fields.Integer(compute="_compute_stripe_backfill")
    # The latest run, for the backend's smart button.
    stripe_backfill_state = fields.Selection(STATES, compute="_compute_stripe_backfill")
    stripe_backfill_objects = fields.Integer(compute="_compute_stripe_backfill")

    def _compute_stripe_backfill(self):
        for backend in self:
            runs = backend.stripe_backfill_ids
            latest = runs[:1]
            backend.stripe_backfill_count = len(runs)
            backend.stripe_backfill_state = latest.state
            backend.stripe_backfill_objects = latest.objects_done

    def stripe_backfill(self, date_from=None, date_to=None, object_types=None):
        """Import the account's history and return the ``saas.stripe.backfill`` run, started.

        ``date_from``/``date_to`` (dates or datetimes, UTC, either may be empty) select the
        money documents by creation; ``object_types`` is a list of keys of
        ``OBJECT_TYPES`` (every type but legacy plans by default). The import goes on in
        queue jobs; the run shows its progress.
        """
        self.ensure_one()
        known = dict(OBJECT_TYPES)
        object_types = object_types or DEFAULT_TYPES
        unknown = [object_type for object_type in object_types if object_type not in known]
        if unknown:
            raise UserError(
                self.env._("Unknown Stripe object types: %s", ", ".join(sorted(unknown)))
            )
        run = self.env["saas.stripe.backfill"].create(
            {
                "backend_id": self.id,
                "date_from": fields.Datetime.to_datetime(date_from) if date_from else False,
                "date_to": fields.Datetime.to_datetime(date_to) if date_to else False,
                "line_ids": [
                    Command.create({"object_type": object_type})
                    for object_type in sorted(object_types, key=OBJECT_TYPE_SEQUENCE.get)
                ],
            }
        )
        run.action_start()
        return run

    def action_stripe_new_backfill(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Import Stripe History"),
            "res_model": "saas.stripe.backfill",
            "view_mode": "form",
            "context": {"default_backend_id": self.id},
        }

    def action_stripe_view_backfills(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "saas_stripe.action_saas_stripe_backfill"
        )
        action.update(
            domain=[("backend_id", "=", self.id)], context={"default_backend_id": self.id}
        )
        return action
