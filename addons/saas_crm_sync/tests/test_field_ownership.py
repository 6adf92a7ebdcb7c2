"""One owner per shared field, per CRM backend: the default matrix on a new backend, and a
CRM value applied only where the CRM owns the field — the conflict noted either way."""

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from .common import (
    create_hubspot_backend,
    deliver_hubspot,
    hubspot_event,
    start_hubspot,
    won_hubspot_deal,
)


@tagged("post_install", "-at_install")
class TestFieldOwnership(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_hubspot(cls)
        cls.backend = create_hubspot_backend(cls.env, cls.peer)

    def owner(self, key):
        return self.backend.crm_field_owner_ids.filtered(lambda r: r.field_key == key)

    def won_then_renamed(self, event_id):
        deal_id = won_hubspot_deal(self.peer)
        deliver_hubspot(
            self.env,
            self.backend,
            hubspot_event(deal_id, event_id=event_id, propertyName="dealstage"),
        )
        run_jobs(self.env)
        activation = self.env["saas.crm.activation"].search(
            [("backend_id", "=", self.backend.id), ("deal_external_id", "=", f"deal/{deal_id}")]
        )
        (company,) = self.peer.associations[("deals", str(deal_id), "companies")]
        self.peer.crm_update("companies", company, {"name": "Acme Rocket Works"})
        deliver_hubspot(
            self.env,
            self.backend,
            hubspot_event(
                deal_id,
                event_id=event_id + 1,
                occurredAt=2_000_000_000_000 + event_id,
                propertyName="amount",
            ),
        )
        run_jobs(self.env)
        return activation.partner_id

    def test_a_new_backend_has_the_default_matrix(self):
        self.assertEqual(self.owner("company_name").owner, "crm")
        self.assertEqual(self.owner("deal_lines").owner, "crm")
        self.assertEqual(self.owner("billing_email").owner, "stripe")
        self.assertEqual(self.owner("tax_ids").owner, "stripe")
        self.assertEqual(self.owner("accounting").owner, "odoo")
        self.assertEqual(self.owner("writeback").owner, "odoo")

    def test_a_name_the_crm_owns_is_applied_and_noted(self):
        partner = self.won_then_renamed(100)
        self.assertEqual(partner.name, "Acme Rocket Works")
        self.assertIn("the CRM owns it", "".join(partner.message_ids.mapped("body")))

    def test_a_name_odoo_owns_is_kept_and_the_conflict_noted(self):
        self.owner("company_name").owner = "odoo"
        partner = self.won_then_renamed(200)
        self.assertEqual(partner.name, "Acme Rockets")
        self.assertIn("Odoo owns it", "".join(partner.message_ids.mapped("body")))
