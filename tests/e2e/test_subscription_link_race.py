"""An invoice and its subscription imported at the same time by two jobs, in two real
transactions: each looks for the other before it is committed and neither finds it. The one
committed last links them after its commit, whichever it is."""

import uuid

import pytest

from odoo import SUPERUSER_ID
from odoo.api import Environment
from odoo.modules.registry import Registry


@pytest.fixture
def customer(database, accounting):
    """A backend and a customer, committed: what both jobs find."""
    with Registry(database).cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {})
        backend = env["saas.backend"].create({"name": "Link race", "provider": "test"})
        partner = env["res.partner"].create({"name": "Link Race Customer"})
        cr.commit()
        return backend.id, partner.id, env.company.currency_id.id


def _transaction(registry):
    cr = registry.cursor()
    # Should both transactions ever wait for one row, fail instead of hanging the test.
    cr.execute("SET lock_timeout = '10s'")
    return cr, Environment(cr, SUPERUSER_ID, {})


@pytest.mark.parametrize("committed_last", ["invoice", "subscription"])
def test_an_invoice_and_its_subscription_imported_at_once_are_linked(
    database, customer, committed_last
):
    backend_id, partner_id, currency_id = customer
    ref = f"sub_race_{uuid.uuid4().hex[:12]}"
    registry = Registry(database)
    subscription_cr, subscription_env = _transaction(registry)
    invoice_cr, invoice_env = _transaction(registry)
    try:
        subscription = subscription_env["saas.subscription"].create(
            {
                "name": ref,
                "backend_id": backend_id,
                "partner_id": partner_id,
                "currency_id": currency_id,
            }
        )
        invoice = invoice_env["account.move"].create(
            {"move_type": "out_invoice", "partner_id": partner_id, "saas_subscription_ref": ref}
        )
        subscription_env.flush_all()
        invoice_env.flush_all()
        assert not invoice.saas_subscription_id, "neither sees the other before the commit"
        first, last = (
            (subscription_cr, invoice_cr)
            if committed_last == "invoice"
            else (invoice_cr, subscription_cr)
        )
        first.commit()
        last.commit()
    finally:
        subscription_cr.close()
        invoice_cr.close()
    with registry.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {})
        linked = env["account.move"].browse(invoice.id).saas_subscription_id
        assert linked.id == subscription.id
