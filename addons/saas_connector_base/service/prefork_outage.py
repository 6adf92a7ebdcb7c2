"""Keep Odoo's multi-process server running through a database outage.

Before it spawns a worker — to replace one that died or was recycled — Odoo's prefork master
opens a cursor on each database it has loaded to check the registry's signaling. While the
database is unreachable that raises, and the master gives up: it stops forcefully, workers and
job runner with it. A single cron worker failing to connect during an outage is enough. The
webhook route can then answer nothing at all, where it would otherwise answer 503 (retry
later) for as long as the outage lasts, and providers that take no answer as final lose
events.

With ``saas_connector_base`` in ``server_wide_modules``, a spawn that fails on the database is
put off to the master's next beat (a few seconds) instead: the workers still alive keep
answering, and the missing ones are spawned once the database is back.
"""

import logging

import psycopg2

from odoo.service import server

_logger = logging.getLogger(__name__)
# The database unreachable, or a connection to it lost.
OUTAGE_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)


def install():
    """Wrap the prefork master's ``process_spawn`` (queue_job's own wrapper included, as it
    spawns the job runner there), once."""
    spawn = server.PreforkServer.process_spawn
    if getattr(spawn, "tolerates_database_outage", False):
        return

    def process_spawn(prefork):
        try:
            spawn(prefork)
        except OUTAGE_ERRORS as error:
            _logger.warning(
                "Database unreachable: spawning workers is put off to the next beat (%s)",
                str(error).strip().splitlines()[0],
            )

    process_spawn.tolerates_database_outage = True
    server.PreforkServer.process_spawn = process_spawn
