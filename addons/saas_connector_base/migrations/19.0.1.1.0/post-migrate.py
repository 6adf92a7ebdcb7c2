def migrate(cr, version):
    """``saas_event.backend_id`` lost its own index (the unique index on (backend_id,
    external_id) serves the same lookups); Odoo keeps indexes it no longer expects."""
    cr.execute("DROP INDEX IF EXISTS saas_event__backend_id_index")
