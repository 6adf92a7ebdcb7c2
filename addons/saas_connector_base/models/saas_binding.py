import zlib

from odoo import api, fields, models

from ..lib.errors import TransientError


class SaasBinding(models.Model):
    """The link between an Odoo record and its id in an external system.

    Unique per (backend, model, external id) in the database, so two workers importing the same
    customer at once cannot both succeed: the second one retries and finds the first one's
    record. ``external_updated`` is the provider's timestamp of the state last applied, which
    is how the engine recognizes an event older than what Odoo already shows.
    """

    _name = "saas.binding"
    _inherit = ["saas.record.reference"]
    _description = "SaaS Connector External ID"
    _order = "id desc"
    _rec_name = "external_id"

    backend_id = fields.Many2one("saas.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    external_id = fields.Char(string="External ID", required=True)
    external_updated = fields.Datetime(
        string="Source Updated", help="Provider timestamp of the last state applied in Odoo."
    )
    sync_date = fields.Datetime(string="Last Synchronized")

    _external_id_unique = models.Constraint(
        "UNIQUE (backend_id, res_model, external_id)",
        "This external ID is already bound to another record of this backend.",
    )

    # ---------------------------------------------------------------------------------------
    # API for handlers
    # ---------------------------------------------------------------------------------------
    @api.model
    def lookup(self, backend, model, external_id):
        """The record of ``model`` bound to ``external_id`` on ``backend`` (empty if none)."""
        binding = self.sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", model),
                ("external_id", "=", external_id),
            ],
            limit=1,
        )
        return self.env[model].browse(binding.res_id).exists() if binding else self.env[model]

    @api.model
    def lookup_many(self, backend, model, external_ids):
        """``{external id: record}`` of the records of ``model`` bound to ``external_ids`` on
        ``backend`` (unbound ids are left out), in one query. The records share their
        prefetching, so that reading a field of one reads it for all: what a report over
        thousands of external objects needs instead of one :meth:`lookup` each."""
        bindings = self.sudo().search_fetch(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", model),
                ("external_id", "in", list(external_ids)),
            ],
            ["res_id", "external_id"],
        )
        records = self.env[model].browse(bindings.mapped("res_id")).exists()
        by_id = {record.id: record for record in records}
        return {
            binding.external_id: by_id[binding.res_id]
            for binding in bindings
            if binding.res_id in by_id
        }

    @api.model
    def bind(self, backend, record, external_id, updated=None):
        """Bind ``record`` to ``external_id`` (moving an existing binding to it) and remember
        the source timestamp ``updated`` of the state just applied."""
        return self.bind_many(backend, record, [external_id], updated)

    @api.model
    def bind_many(self, backend, record, external_ids, updated=None):
        """Bind ``record`` to each of ``external_ids`` as :meth:`bind` does, in one
        statement. Returns the bindings."""
        record.ensure_one()
        external_ids = list(dict.fromkeys(external_ids))
        if not external_ids:
            return self.browse()
        now = fields.Datetime.now()
        row = (
            backend.id,
            backend.company_id.id,
            record._name,
            record.id,
            updated,
            now,
            self.env.uid,
            now,
            self.env.uid,
            now,
        )
        # One statement, so that a concurrent insert of the same key surfaces as a conflict
        # (handled by the caller's retry) instead of a duplicate.
        self.env.cr.execute(
            f"""
            INSERT INTO saas_binding (backend_id, company_id, res_model, res_id,
                                      external_updated, sync_date, create_uid, create_date,
                                      write_uid, write_date, external_id)
            VALUES {", ".join([f"({', '.join(['%s'] * (len(row) + 1))})"] * len(external_ids))}
            ON CONFLICT (backend_id, res_model, external_id) DO UPDATE
               SET res_id = EXCLUDED.res_id,
                   external_updated = GREATEST(saas_binding.external_updated,
                                               EXCLUDED.external_updated),
                   sync_date = EXCLUDED.sync_date,
                   write_uid = EXCLUDED.write_uid,
                   write_date = EXCLUDED.write_date
            RETURNING id
            """,
            [value for external_id in external_ids for value in (*row, external_id)],
        )
        bindings = self.browse([binding_id for (binding_id,) in self.env.cr.fetchall()])
        bindings.invalidate_recordset()
        # What this transaction bound: events waiting for it are woken at the end of the job
        # (``saas.backend._wake_awaiting_events``).
        self.env.cr.postcommit.data.setdefault("saas.bound", set()).update(
            (backend.id, record._name, external_id) for external_id in external_ids
        )
        return bindings

    @api.model
    def unbind(self, backend, model, external_ids):
        """End the bindings of ``external_ids`` to records of ``model`` on ``backend``: the
        external records are gone (deleted in the provider), so that an id the provider may
        give again, or a stale mapping, never leads to these records. The records stay.
        Returns those that were bound."""
        bindings = self.sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", model),
                ("external_id", "in", list(external_ids)),
            ]
        )
        records = self.env[model].browse(bindings.mapped("res_id")).exists()
        bindings.unlink()
        return records

    @api.model
    def lookup_or_create(self, backend, model, external_id, create_values, updated=None):
        """The record bound to ``external_id``, created from ``create_values()`` if there is
        none yet. Race-safe: concurrent callers for the same key are serialized by an advisory
        lock, and a caller that still collides (its snapshot predates the other's commit) gets
        a :class:`TransientError` and is retried, then finds the record."""
        record = self.lookup(backend, model, external_id)
        if record:
            return record
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            (backend.id, zlib.crc32(f"{model}:{external_id}".encode()) - 2**31),
        )
        record = self.lookup(backend, model, external_id)
        if record:
            return record
        try:
            with self.env.cr.savepoint():
                record = self.env[model].create(create_values())
                self.bind(backend, record, external_id, updated=updated)
        except Exception as error:
            if getattr(error, "pgcode", None) in ("23505", "40001"):
                raise TransientError(
                    f"{model} {external_id} was being created concurrently; retrying"
                ) from error
            raise
        return record

    @api.model
    def _external_updated(self, backend, external_id):
        """Latest source timestamp applied for ``external_id`` on ``backend``, any model."""
        self.env.cr.execute(
            "SELECT max(external_updated) FROM saas_binding WHERE backend_id = %s "
            "AND external_id = %s",
            (backend.id, external_id),
        )
        return self.env.cr.fetchone()[0]
