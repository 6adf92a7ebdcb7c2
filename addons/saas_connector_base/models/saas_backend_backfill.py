from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

from .saas_backfill import STATES


class SaasBackend(models.Model):
    """Backfill runs of an account: started from the backend form or from code. The provider
    names the object types it can list and reads one page of them; the engine's
    ``saas.backfill`` does the rest."""

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    backfill_ids = fields.One2many("saas.backfill", "backend_id", string="Backfills")
    backfill_count = fields.Integer(compute="_compute_backfill")
    # The latest run, for the backend's smart button.
    backfill_state = fields.Selection(STATES, compute="_compute_backfill")
    backfill_objects = fields.Integer(compute="_compute_backfill")
    can_backfill = fields.Boolean(
        compute="_compute_can_backfill", help="Whether the provider can import its history."
    )

    def _compute_backfill(self):
        for backend in self:
            runs = backend.backfill_ids
            latest = runs[:1]
            backend.backfill_count = len(runs)
            backend.backfill_state = latest.state
            backend.backfill_objects = latest.objects_done

    @api.depends("provider")
    def _compute_can_backfill(self):
        for backend in self:
            backend.can_backfill = bool(backend._provider_backfill_types())

    def backfill(self, date_from=None, date_to=None, object_types=None):
        """Import the account's history and return the ``saas.backfill`` run, started.

        ``date_from``/``date_to`` (dates or datetimes, UTC, either may be empty) select the
        documents by creation; ``object_types`` is a list of keys of
        ``_provider_backfill_types`` (its default ones when empty). The import goes on in
        queue jobs; the run shows its progress.
        """
        self.ensure_one()
        kinds = self._provider_backfill_types()
        known = [kind.key for kind in kinds]
        object_types = object_types or [kind.key for kind in kinds if kind.default]
        unknown = [object_type for object_type in object_types if object_type not in known]
        if unknown:
            raise UserError(
                self.env._(
                    "Unknown %(provider)s object types: %(types)s",
                    provider=self._provider_label(),
                    types=", ".join(sorted(unknown)),
                )
            )
        run = self.env["saas.backfill"].create(
            {
                "backend_id": self.id,
                "date_from": fields.Datetime.to_datetime(date_from) if date_from else False,
                "date_to": fields.Datetime.to_datetime(date_to) if date_to else False,
                "line_ids": [
                    Command.create({"object_type": object_type})
                    for object_type in sorted(object_types, key=known.index)
                ],
            }
        )
        run.action_start()
        return run

    def action_new_backfill(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Import History of %s", self.name),
            "res_model": "saas.backfill",
            "view_mode": "form",
            "context": {"default_backend_id": self.id},
        }

    def action_view_backfills(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "saas_connector_base.action_saas_backfill"
        )
        action.update(
            domain=[("backend_id", "=", self.id)], context={"default_backend_id": self.id}
        )
        return action

    # ---------------------------------------------------------------------------------------
    # Provider contract
    # ---------------------------------------------------------------------------------------
    def _provider_backfill_types(self):
        """The object types a backfill can read, in the order it reads them — what an object
        refers to before it: a list of :class:`~..lib.backfill.BackfillType`. Empty when the
        provider cannot import its history."""
        return []

    def _provider_backfill_page(self, run, object_type, cursor, limit):
        """Read up to ``limit`` objects of ``object_type`` after ``cursor`` (None: from the
        start) and return a :class:`~..lib.backfill.BackfillPage`: how many were read, those
        of ``run``'s period (``run.date_from``/``run.date_to``, by creation, for the types the
        period selects), the cursor after the last one, and the error that interrupted the
        reading, if any. The one place a provider calls its API for a backfill."""
        raise UserError(self.env._("This provider cannot import its history."))

    def _provider_backfill_store(self, run, object_type, objects):
        """Store the objects of a batch as events to apply, not dispatched (the run applies
        them): by default ``_sync_objects``. Returns the ``saas.event`` records stored."""
        return self._sync_objects(objects, dispatch=False)

    def _provider_check_reads(self):
        """Raise a ``UserError`` saying what is missing when the backend cannot read the
        provider's API (no key): before a job would find out."""
        return None
