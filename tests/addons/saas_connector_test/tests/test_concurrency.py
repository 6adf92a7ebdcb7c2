"""Real concurrency: separate database connections committing in parallel threads."""

import threading
import time

import psycopg2

from odoo.addons.saas_connector_base.lib.errors import TransientError
from odoo.api import SUPERUSER_ID, Environment
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name

from .common import create_backend, make_event
from .common import deliver as store_and_enqueue


@tagged("post_install", "-at_install")
class TestConcurrency(BaseCase):
    """Uses committed data (other connections cannot see a test transaction) and cleans up."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        with self.registry.cursor() as cr:
            env = self.env_for(cr)
            self.backend_id = create_backend(env, name="Concurrency").id
        self.addCleanup(self._cleanup)

    def env_for(self, cr):
        return Environment(cr, SUPERUSER_ID, {})

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = self.env_for(cr)
            backend = env["saas.backend"].browse(self.backend_id)
            partners = env["res.partner"].browse(
                env["saas.binding"].search([("backend_id", "=", backend.id)]).mapped("res_id")
            )
            env["queue.job"].search([("model_name", "=", "saas.backend")]).unlink()
            env["saas.event"].search([("backend_id", "=", backend.id)]).unlink()
            backend.unlink()
            partners.unlink()

    def run_in_parallel(self, work, count=2):
        barrier = threading.Barrier(count)
        results = [None] * count

        def target(index):
            with self.registry.cursor() as cr:
                env = self.env_for(cr)
                barrier.wait()
                try:
                    results[index] = work(env)
                except Exception as error:
                    cr.rollback()
                    results[index] = error

        threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return results

    def test_concurrent_duplicate_delivery_stores_one_event(self):
        event = make_event("c_1", event_id="evt_concurrent")

        def receive(env):
            backend = env["saas.backend"].browse(self.backend_id)
            for attempt in range(1, 6):
                try:
                    return len(store_and_enqueue(env, backend, event))
                except psycopg2.errors.SerializationFailure:
                    # Odoo's HTTP layer replays the request on a serialization failure, after
                    # a short wait; the replay sees the other delivery and answers "duplicate".
                    env.cr.rollback()
                    time.sleep(0.1 * attempt)
            raise AssertionError("never converged")

        results = self.run_in_parallel(receive, count=4)
        self.assertEqual(sorted(results), [0, 0, 0, 1])
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM saas_event WHERE external_id = 'evt_concurrent'")
            self.assertEqual(cr.fetchone()[0], 1)

    def test_two_workers_creating_the_same_customer_end_with_one_partner(self):
        def import_customer(env):
            backend = env["saas.backend"].browse(self.backend_id)
            for _attempt in range(3):
                try:
                    return (
                        env["saas.binding"]
                        .lookup_or_create(
                            backend, "res.partner", "cus_race", lambda: {"name": "Race Ltd"}
                        )
                        .id
                    )
                except TransientError:
                    # What the engine does: retry later in a fresh transaction.
                    env.cr.rollback()
            raise AssertionError("never converged")

        results = self.run_in_parallel(import_customer, count=2)
        self.assertTrue(all(isinstance(result, int) for result in results), results)
        self.assertEqual(results[0], results[1])
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM res_partner WHERE name = 'Race Ltd'")
            self.assertEqual(cr.fetchone()[0], 1)
