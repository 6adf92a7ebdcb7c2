def migrate(cr, version):
    """Drift lines *Re-synced* before re-syncs were checked never said whether the object was
    fixed: they are open again, for the next Re-sync to tell."""
    cr.execute("UPDATE saas_reconciliation_drift SET state = 'open' WHERE state = 'resynced'")
