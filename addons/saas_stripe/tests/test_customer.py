"""Stripe customers of several API versions become partners, through the queue."""

from datetime import datetime

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from .common import create_stripe_backend, deliver, fixture, variant

LOCALSTRIPE_CREATED = "localstripe-2017-08-15/customer_created.json"
SYNC_ENGINE_UPDATED = "stripe-sync-engine/customer_updated.json"
SYNC_ENGINE_DELETED = "stripe-sync-engine/customer_deleted.json"
LAGO_2020_UPDATED = "lago-api/2020-08-27/webhooks/customer_updated.json"
LAGO_BASIL_UPDATED = "lago-api/2025-04-30.basil/webhooks/customer_updated.json"


def tax_id_event(event_type, value, customer="cus_LsAda0001", country="DE", created=1504000100):
    """A customer.tax_id.* event; no recorded one exists, so it is built in the shape of the
    tax id embedded in the 2017-08-15 customer fixture."""
    return {
        "id": f"evt_{event_type}_{value}",
        "object": "event",
        "type": event_type,
        "created": created,
        "livemode": False,
        "data": {
            "object": {
                "id": f"txi_{value}",
                "object": "tax_id",
                "country": country,
                "customer": customer,
                "type": "eu_vat",
                "value": value,
            }
        },
    }


@tagged("post_install", "-at_install")
class TestStripeCustomer(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_stripe_backend(cls.env)
        cls.bindings = cls.env["saas.binding"]

    def partner_of(self, customer_id):
        return self.bindings.lookup(self.backend, "res.partner", customer_id)

    def apply(self, *payloads):
        events = deliver(self.env, self.backend, *payloads)
        run_jobs(self.env)
        return events

    def test_customer_2017_08_15_becomes_a_company_partner_with_every_field(self):
        event = self.apply(fixture(LOCALSTRIPE_CREATED))
        partner = self.partner_of("cus_LsAda0001")
        self.assertEqual(event.state, "done")
        self.assertEqual(event.record_ids.mapped("res_id"), partner.ids)
        self.assertRecordValues(
            partner,
            [
                {
                    "name": "Ada Lovelace",
                    "email": "ada@example.com",
                    "phone": "+49 30 1234567",
                    "street": "Unter den Linden 1",
                    "street2": False,
                    "zip": "10117",
                    "city": "Berlin",
                    "country_id": self.env.ref("base.de").id,
                    "vat": "DE123456789",
                    "is_company": True,
                    "company_type": "company",
                    "stripe_currency_id": self.env.ref("base.EUR").id,
                    "company_id": self.backend.company_id.id,
                    "active": True,
                }
            ],
        )
        binding = self.bindings.search(
            [("res_model", "=", "res.partner"), ("res_id", "=", partner.id)]
        )
        self.assertEqual(binding.external_updated, datetime(2017, 8, 29, 9, 46, 40))

    def test_customer_2020_03_02_without_address(self):
        self.apply(fixture(SYNC_ENGINE_UPDATED))
        self.assertRecordValues(
            self.partner_of("cus_IhGfebO16cMIGN"),
            [
                {
                    "name": "Copple",
                    "email": "billz@supabase.io",
                    "phone": "+6587498462",
                    "street": False,
                    "country_id": False,
                    "vat": False,
                    "stripe_currency_id": self.env.ref("base.USD").id,
                }
            ],
        )

    def test_customer_2020_08_27_and_2025_04_30_basil(self):
        self.apply(fixture(LAGO_2020_UPDATED), fixture(LAGO_BASIL_UPDATED))
        self.assertRecordValues(
            self.partner_of("cus_123456789"),
            [{"name": "Test 5", "email": "test@getlago.com", "stripe_currency_id": False}],
        )
        # Only the country of the basil customer's address is set: the null lines stay empty.
        self.assertRecordValues(
            self.partner_of("cus_SR8o2vcGRkVb6v"),
            [
                {
                    "name": "Integration Test UPDATED 2025-06-04T12:35:09Z",
                    "email": False,
                    "country_id": self.env.ref("base.fr").id,
                    "street": False,
                    "city": False,
                }
            ],
        )

    def test_state_is_found_by_code_or_by_name(self):
        by_code = variant(
            fixture(LOCALSTRIPE_CREATED),
            address={
                "line1": "1 Market St",
                "city": "San Francisco",
                "state": "CA",
                "country": "US",
            },
        )
        by_name = variant(
            fixture(SYNC_ENGINE_UPDATED),
            address={"city": "Austin", "state": "Texas", "country": "US"},
        )
        self.apply(by_code, by_name)
        self.assertEqual(
            self.partner_of("cus_LsAda0001").state_id, self.env.ref("base.state_us_5")
        )
        self.assertEqual(
            self.partner_of("cus_IhGfebO16cMIGN").state_id, self.env.ref("base.state_us_44")
        )

    def test_update_fills_but_never_erases(self):
        self.apply(fixture(LOCALSTRIPE_CREATED))
        # Variant: later, with another name, and without phone or address.
        later = variant(
            fixture(LOCALSTRIPE_CREATED),
            event_id="evt_LsCustomerUpdated",
            created=1504000500,
            event_type="customer.updated",
            name="Ada King",
            phone=None,
            address=None,
        )
        self.apply(later)
        partner = self.partner_of("cus_LsAda0001")
        self.assertEqual(
            (partner.name, partner.phone, partner.city), ("Ada King", "+49 30 1234567", "Berlin")
        )
        self.assertEqual(
            self.env["res.partner"].search_count([("email", "=", "ada@example.com")]), 1
        )

    def test_update_older_than_the_applied_state_is_stale(self):
        self.apply(fixture(SYNC_ENGINE_UPDATED))
        # Variant: an update made an hour before the one applied, delivered late.
        late = variant(
            fixture(SYNC_ENGINE_UPDATED),
            event_id="evt_late",
            created=1619701111 - 3600,
            name="Copple (old name)",
        )
        event = self.apply(late)
        self.assertEqual(event.state, "stale")
        self.assertEqual(self.partner_of("cus_IhGfebO16cMIGN").name, "Copple")

    def test_deletion_archives_the_partner_and_keeps_its_binding(self):
        self.apply(fixture(SYNC_ENGINE_UPDATED))
        # Variant: the recorded deletion reuses the update's event id; a distinct id and a
        # later time make it the next event of that customer.
        deleted = variant(fixture(SYNC_ENGINE_DELETED), event_id="evt_deleted", created=1619701200)
        event = self.apply(deleted)
        partner = self.partner_of("cus_IhGfebO16cMIGN")
        self.assertEqual(event.state, "done")
        self.assertEqual(partner.name, "Copple")
        self.assertFalse(partner.active)
        self.assertEqual(event.record_ids.mapped("res_id"), partner.ids)

    def test_deletion_of_an_unknown_customer_touches_nothing(self):
        event = self.apply(fixture(SYNC_ENGINE_DELETED))
        self.assertEqual(event.state, "done")
        self.assertFalse(event.record_ids)

    def test_tax_id_events_set_and_clear_the_vat(self):
        self.apply(variant(fixture(LOCALSTRIPE_CREATED), tax_ids=None, business_vat_id=None))
        partner = self.partner_of("cus_LsAda0001")
        self.assertFalse(partner.vat)
        self.apply(tax_id_event("customer.tax_id.created", "DE999999999"))
        self.assertEqual(partner.vat, "DE999999999")
        # A tax id of another country does not replace the partner's own.
        self.apply(tax_id_event("customer.tax_id.created", "ATU99999999", country="AT"))
        self.assertEqual(partner.vat, "DE999999999")
        self.apply(tax_id_event("customer.tax_id.deleted", "ATU99999999", country="AT"))
        self.assertEqual(partner.vat, "DE999999999")
        event = self.apply(
            tax_id_event("customer.tax_id.deleted", "DE999999999", created=1504000200)
        )
        self.assertFalse(partner.vat)
        self.assertEqual(event.record_ids.mapped("res_id"), partner.ids)

    def test_tax_id_before_its_customer_waits_for_it(self):
        event = self.apply(tax_id_event("customer.tax_id.created", "DE999999999"))
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.last_error, "Customer cus_LsAda0001 is not imported yet.")

    def test_email_match_off_creates_a_partner_next_to_a_namesake(self):
        existing = self.env["res.partner"].create(
            {"name": "Copple Pte", "email": "billz@supabase.io"}
        )
        self.apply(fixture(SYNC_ENGINE_UPDATED))
        partner = self.partner_of("cus_IhGfebO16cMIGN")
        self.assertNotEqual(partner, existing)
        self.assertEqual(existing.name, "Copple Pte")

    def test_email_match_on_binds_the_existing_partner(self):
        self.backend.stripe_match_partner_by_email = True
        other_company = self.env["res.company"].create({"name": "Other company"})
        self.env["res.partner"].create(
            {"name": "Elsewhere", "email": "billz@supabase.io", "company_id": other_company.id}
        )
        existing = self.env["res.partner"].create(
            {"name": "Copple Pte", "email": "Billz@Supabase.io", "phone": "+65 0000"}
        )
        count = self.env["res.partner"].search_count([])
        self.apply(fixture(SYNC_ENGINE_UPDATED))
        self.assertEqual(self.partner_of("cus_IhGfebO16cMIGN"), existing)
        self.assertEqual(self.env["res.partner"].search_count([]), count)
        self.assertEqual((existing.name, existing.phone), ("Copple", "+6587498462"))
        # A second customer with that email gets a partner of its own: two Stripe customers
        # never share one.
        self.apply(variant(fixture(LAGO_2020_UPDATED), email="BILLZ@supabase.io"))
        second = self.partner_of("cus_123456789")
        self.assertNotEqual(second, existing)
        self.assertEqual(second.email, "BILLZ@supabase.io")
