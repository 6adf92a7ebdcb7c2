"""One owner per shared field, per CRM backend: the default matrix on a new backend, a CRM
value applied only where the CRM owns the field, and a Stripe customer's change of a linked
customer applied only where Stripe owns it — the conflict noted and listed either way."""

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.addons.saas_stripe.tests.common import deliver, fixture, variant
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

    def won(self, event_id):
        """The customer of a deal won in HubSpot, linked to its Stripe customer as the
        activation links it."""
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
        self.env["saas.binding"].bind(
            activation.stripe_backend_id, activation.partner_id, f"cus_owned_{event_id}"
        )
        return deal_id, activation.partner_id

    def stripe_customer_updated(self, partner, event_id, **changes):
        """Stripe's customer.updated of ``partner``'s customer: Ada Lovelace's name, email,
        Berlin address and German VAT number, unless ``changes`` say otherwise."""
        customer_id = (
            self.env["saas.binding"]
            .search(
                [
                    ("backend_id", "=", self.backend.crm_stripe_backend_id.id),
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", partner.id),
                ]
            )
            .external_id
        )
        events = deliver(
            self.env,
            self.backend.crm_stripe_backend_id,
            variant(
                fixture("localstripe-2017-08-15/customer_created.json"),
                event_id=f"evt_owned_{event_id}",
                created=1504000000 + event_id,
                event_type="customer.updated",
                id=customer_id,
                **changes,
            ),
        )
        run_jobs(self.env)
        self.assertEqual(events.state, "done", events.last_error)

    def conflicts(self, partner):
        return partner.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("saas_crm_sync.mt_field_conflict")
        ).mapped("body")

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

    def test_stripe_keeps_off_a_name_the_crm_owns_and_brings_its_billing_fields(self):
        _deal_id, partner = self.won(300)
        self.stripe_customer_updated(partner, 300)
        self.assertRecordValues(
            partner,
            [
                {
                    "name": "Acme Rockets",
                    "email": "ada@example.com",
                    "street": "Unter den Linden 1",
                    "zip": "10117",
                    "city": "Berlin",
                    "country_id": self.env.ref("base.de").id,
                    "vat": "DE123456789",
                }
            ],
        )
        (note,) = self.conflicts(partner)
        for words in ("Name", "Ada Lovelace", "Acme Rockets", "CRM owns it", "HubSpot (fake)"):
            self.assertIn(words, note)
        # Stripe sends the whole customer with every change: the same conflict is noted once.
        self.stripe_customer_updated(partner, 301, phone="+49 30 7654321")
        self.assertEqual(partner.phone, "+49 30 7654321")
        self.assertEqual(len(self.conflicts(partner)), 1)

    def test_stripe_brings_the_name_where_the_matrix_makes_it_stripes(self):
        self.owner("company_name").owner = "stripe"
        _deal_id, partner = self.won(400)
        self.stripe_customer_updated(partner, 400)
        self.assertEqual(partner.name, "Ada Lovelace")
        self.assertFalse(self.conflicts(partner))

    def test_a_tax_id_stripe_owns_stays_when_the_crm_sends_another(self):
        self.backend.crm_company_vat_field = "vat_number"
        self.backend._crm_api().ensure_properties(
            "companies",
            {"name": "companyinformation", "label": "Company information"},
            [{"name": "vat_number", "label": "VAT number", "type": "string", "fieldType": "text"}],
        )
        deal_id, partner = self.won(500)
        self.stripe_customer_updated(partner, 500)
        (company,) = self.peer.associations[("deals", str(deal_id), "companies")]
        self.peer.crm_update("companies", company, {"vat_number": "FR40303265045"})
        deliver_hubspot(
            self.env,
            self.backend,
            hubspot_event(
                deal_id, event_id=501, occurredAt=2_000_000_000_501, propertyName="amount"
            ),
        )
        run_jobs(self.env)
        self.assertEqual(partner.vat, "DE123456789")
        self.assertIn("FR40303265045", self.conflicts(partner)[0])
        self.assertIn("Stripe owns it", self.conflicts(partner)[0])

    def test_the_backend_lists_its_conflicts(self):
        _deal_id, partner = self.won(600)
        self.stripe_customer_updated(partner, 600)
        self.assertEqual(self.backend.crm_field_conflict_count, 1)
        action = self.backend.action_view_crm_field_conflicts()
        listed = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(listed.mapped("record_name"), ["Acme Rockets"])
        self.assertIn("Ada Lovelace", listed.body)
