from odoo import api, fields, models


class SaasBackfillLine(models.Model):
    """The progress of one object type within a backfill run: where its listing stands (the
    cursor the provider gave after the last object read, from which the next page starts)
    and how many objects were imported."""

    _name = "saas.backfill.line"
    _description = "Backfill Progress"
    _order = "backfill_id, sequence, id"

    backfill_id = fields.Many2one("saas.backfill", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backfill_id.company_id", store=True)
    object_type = fields.Selection("_selection_object_type", required=True)
    sequence = fields.Integer(compute="_compute_sequence", store=True)
    cursor = fields.Char(
        readonly=True, help="Where the listing stands: the next page starts after it."
    )
    done_count = fields.Integer(
        string="Imported", readonly=True, help="Objects of the period handed to the engine."
    )
    read_count = fields.Integer(string="Read", readonly=True)
    expected_count = fields.Integer(
        string="Expected",
        readonly=True,
        help="How many objects the listing holds, when the provider says so; used for the ETA.",
    )
    is_done = fields.Boolean(string="Done", readonly=True)

    _object_type_unique = models.Constraint(
        "UNIQUE (backfill_id, object_type)", "Each object type is read once per backfill."
    )

    @api.model
    def _selection_object_type(self):
        """Every object type some installed provider can read: a run offers its own
        provider's (see ``saas.backfill._check_object_types``)."""
        backends = self.env["saas.backend"]
        labels = {}
        for provider, _label in backends._fields["provider"].selection:
            for kind in backends.new({"provider": provider})._provider_backfill_types():
                labels.setdefault(kind.key, kind.label)
        return list(labels.items())

    @api.depends("object_type", "backfill_id.backend_id")
    def _compute_sequence(self):
        """The provider's reading order: what an object refers to is imported before it."""
        for line in self:
            order = [kind.key for kind in line.backfill_id.backend_id._provider_backfill_types()]
            line.sequence = order.index(line.object_type) if line.object_type in order else 0
