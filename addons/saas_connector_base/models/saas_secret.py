import functools
import os

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import config, ormcache

from ..lib import crypto


class SaasSecret(models.Model):
    """A credential of a backend (API key, webhook signing secret), stored encrypted.

    The plaintext never reaches the database, the logs or the UI: it is encrypted with the
    server's master key on write, the UI only ever shows a masked tail, and the ciphertext
    field belongs to a group nobody is in, so only code running as superuser reads it.
    Several secrets of one purpose can be live at once — that is how a provider's secret is
    rotated without downtime: add the new one, then retire the old one.
    """

    _name = "saas.secret"
    _description = "SaaS Connector Secret"
    _order = "backend_id, purpose, id desc"

    backend_id = fields.Many2one("saas.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    purpose = fields.Selection(
        [("api_key", "API key"), ("webhook_signing", "Webhook signing secret")], required=True
    )
    label = fields.Char(help="Where the secret comes from, e.g. the endpoint it belongs to.")
    masked = fields.Char(string="Secret", readonly=True)
    active = fields.Boolean(default=True, help="Retired secrets are kept for the audit trail.")
    retired_date = fields.Datetime(readonly=True)
    ciphertext = fields.Text(
        required=True, copy=False, groups="saas_connector_base.group_saas_secret_storage"
    )

    @api.model
    def _master_key_setting(self):
        return config.get("saas_master_key") or os.environ.get("SAAS_MASTER_KEY")

    @api.model
    def _master_keys(self):
        try:
            return crypto.parse_master_keys(self._master_key_setting())
        except crypto.MasterKeyError as error:
            raise UserError(str(error)) from None

    @api.model
    def _decrypt(self, ciphertexts):
        try:
            return [_decrypt_cached(text, self._master_key_setting()) for text in ciphertexts]
        except (crypto.MasterKeyError, crypto.DecryptionError) as error:
            raise UserError(str(error)) from None

    @api.model
    def _store(self, backend, purpose, plaintext, label=False, replace=False):
        """Encrypt and store a new live secret; with ``replace``, retire the live ones of the
        same purpose (API keys), otherwise keep them (signing secrets during rotation)."""
        plaintext = (plaintext or "").strip()
        if not plaintext:
            raise UserError(self.env._("An empty secret cannot be stored."))
        keys = self._master_keys()
        if replace:
            self.sudo().search(
                [("backend_id", "=", backend.id), ("purpose", "=", purpose)]
            ).action_retire()
        return self.sudo().create(
            {
                "backend_id": backend.id,
                "purpose": purpose,
                "label": label,
                "masked": crypto.mask(plaintext),
                "ciphertext": crypto.encrypt(plaintext, keys),
            }
        )

    @api.model
    def _live_values(self, backend, purpose):
        """Plaintexts of the live secrets of ``purpose``, newest first. Code only."""
        secrets = self.sudo().search([("backend_id", "=", backend.id), ("purpose", "=", purpose)])
        return self._decrypt(secrets.mapped("ciphertext"))

    @api.model
    def _webhook_endpoint(self, token):
        """``(backend, live signing secrets)`` of the active backend owning ``token``, or
        ``None``.

        This runs on every webhook delivery, so it reads no record: the backend's stored fields
        and the ciphertexts of its live signing secrets are read once per worker (see
        :meth:`_webhook_endpoint_row`) and go into the backend's cache the way the ORM's own
        fetch puts them there, so the provider's verification reads ``backend.provider``,
        ``backend.environment`` or its own settings without a query.
        """
        try:
            backend_id, values, ciphertexts = self._webhook_endpoint_row(token)
        except UnknownEndpoint:
            return None
        backend = self.env["saas.backend"].browse(backend_id)
        fields_by_name = backend._fields
        field_names = self._webhook_endpoint_query()[0]
        for name, value in zip(field_names, values, strict=True):
            # Never overwrites a value already in cache (a pending change wins, as in a fetch).
            fields_by_name[name]._insert_cache(backend, (value,))
        return backend, self._decrypt(ciphertexts)

    @api.model
    @ormcache("token")
    def _webhook_endpoint_row(self, token):
        """What :meth:`_webhook_endpoint` needs, in one query, kept in the registry's cache.

        Every change to a backend or a secret clears that cache in every worker before their
        next request (Odoo's cache signaling), so a retired secret, an archived backend or a
        regenerated token stops working at once. Unknown tokens raise instead of returning, so
        that they are not cached: a flood of made-up URLs must not evict useful entries.
        """
        query = self._webhook_endpoint_query()[1]
        self.env.cr.execute(query, (token,))
        row = self.env.cr.fetchone()
        if row is None:
            raise UnknownEndpoint(token)
        return row[0], tuple(row[1:-1]), tuple(row[-1])

    @api.model
    @ormcache()
    def _webhook_endpoint_query(self):
        """The names of the backend's plain stored fields and the SQL of
        :meth:`_webhook_endpoint_row`, built once per registry. Plain: prefetched by the ORM and
        a column holding what the cache holds (no translation, no per-company value)."""
        field_names = tuple(
            field.name
            for field in self.env["saas.backend"]._fields.values()
            if field.store
            and field.column_type
            and field.prefetch is True
            and field.name != "id"
            and not field.translate
            and not field.company_dependent
        )
        columns = "".join(f'backend."{name}", ' for name in field_names)
        # A correlated subquery rather than a join and GROUP BY: half the planning time.
        query = f"""
            SELECT backend.id, {columns}
                   ARRAY(SELECT secret.ciphertext
                           FROM saas_secret secret
                          WHERE secret.backend_id = backend.id
                            AND secret.active
                            AND secret.purpose = 'webhook_signing'
                       ORDER BY secret.id DESC)
              FROM saas_backend backend
             WHERE backend.webhook_token = %s AND backend.active
        """
        return field_names, query

    def action_retire(self):
        self.sudo().write({"active": False, "retired_date": fields.Datetime.now()})
        for secret in self:
            secret.backend_id.message_post(
                body=self.env._(
                    "Secret %(purpose)s %(masked)s retired.",
                    purpose=secret.purpose,
                    masked=secret.masked,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # the webhook endpoints read by the intake
        return super().create(vals_list)

    def write(self, vals):
        if "ciphertext" in vals or "masked" in vals:
            raise UserError(
                self.env._("A secret cannot be changed: add a new one and retire the old one.")
            )
        self.env.registry.clear_cache()  # the webhook endpoints read by the intake
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()  # the webhook endpoints read by the intake
        return super().unlink()

    @api.model
    def _reencrypt_all(self):
        """After a master-key rotation (``saas_master_key = NEW,OLD``): re-encrypt every stored
        secret under the new key, after which the old key can be removed from the
        configuration. Returns the number of secrets re-encrypted.

        It rewrites the secrets of every company: an administrator's operation, from an Odoo
        shell (``env['saas.secret']._reencrypt_all()``) — private, so that no RPC reaches it,
        and refused to any environment that is not the superuser's."""
        if not self.env.is_superuser():
            raise AccessError(self.env._("Only the superuser re-encrypts the stored secrets."))
        keys = self._master_keys()
        # Every secret, retired ones included: all of them must outlive the old key.
        stored = self.sudo().with_context(active_test=False).search([])  # pylint: disable=no-search-all
        for secret in stored:
            # Plain SQL: write() refuses ciphertext changes made through the ORM on purpose.
            self.env.cr.execute(
                "UPDATE saas_secret SET ciphertext = %s WHERE id = %s",
                (crypto.reencrypt(secret.ciphertext, keys), secret.id),
            )
        stored.invalidate_recordset(["ciphertext"])
        self.env.registry.clear_cache()  # the webhook endpoints read by the intake
        return len(stored)


class UnknownEndpoint(LookupError):
    """No active backend owns this webhook token."""


@functools.lru_cache(maxsize=1024)
def _decrypt_cached(ciphertext, master_key_setting):
    """Decrypting costs more than the rest of a webhook's verification; a ciphertext and the
    configured keys always decrypt to the same plaintext, so each worker decrypts it once."""
    return crypto.decrypt(ciphertext, crypto.parse_master_keys(master_key_setting))
