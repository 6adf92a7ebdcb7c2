"""Companies and contacts merged in HubSpot leave one partner in Odoo carrying every binding,
and the next event of the primary record or of a merged one finds it: no duplicate partner.
Merged deals leave one activation following the primary deal (a second one, billing for the
same deal, is flagged, never cancelled). Deleted companies and contacts end their links and
keep their partners. The merge and deletion events are shaped as HubSpot sends them
(``*.merge`` with ``primaryObjectId`` and ``mergedObjectIds``, see the CRM facts); the deals
are read back from the fake HubSpot."""

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
class TestHubspotMerge(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_hubspot(cls)
        cls.backend = create_hubspot_backend(cls.env, cls.peer)
        cls.bindings = cls.env["saas.binding"]
        cls.events = iter(range(1, 1_000))

    def deliver(self, *events):
        delivered = deliver_hubspot(self.env, self.backend, *events)
        run_jobs(self.env)
        self.assertEqual(set(delivered.mapped("state")), {"done"}, delivered.mapped("last_error"))
        return delivered

    def win(self, deal_id):
        """The deal's won event, processed; returns its activation."""
        self.deliver(hubspot_event(deal_id, event_id=next(self.events), propertyName="dealstage"))
        return self.env["saas.crm.activation"].search(
            [("backend_id", "=", self.backend.id), ("deal_external_id", "=", f"deal/{deal_id}")]
        )

    def associated(self, deal_id, object_type):
        return list(self.peer.associations[("deals", str(deal_id), object_type)])

    def deal_of_company(self, company_id):
        item = self.peer.crm_create("line_items", {"hs_sku": "PRO", "quantity": "1"})
        deal = self.peer.crm_create(
            "deals",
            {"dealname": "Acme renewal", "pipeline": "default", "dealstage": "closedwon"},
            associations=[("companies", company_id, True), ("line_items", item["id"])],
        )
        return deal["id"]

    def merge(self, object_type, primary, *merged):
        """HubSpot's event of ``merged`` ids merged into ``primary``."""
        return self.deliver(
            hubspot_event(
                primary,
                subscription_type=f"{object_type}.merge",
                event_id=next(self.events),
                primaryObjectId=int(primary),
                mergedObjectIds=[int(object_id) for object_id in merged],
            )
        )

    def partner_of(self, key, backend=None):
        return self.bindings.lookup(backend or self.backend, "res.partner", key)

    def partner_count(self):
        return self.env["res.partner"].with_context(active_test=False).search_count([])

    def test_merged_companies_leave_one_partner_with_every_binding(self):
        kept_activation = self.win(won_hubspot_deal(self.peer))
        merged_deal = won_hubspot_deal(self.peer)
        (merged_company,) = self.associated(merged_deal, "companies")
        self.peer.crm_update("companies", merged_company, {"name": "ACME Rockets (old)"})
        merged_activation = self.win(merged_deal)
        kept, duplicate = kept_activation.partner_id, merged_activation.partner_id
        self.assertNotEqual(kept, duplicate)
        (kept_company,) = self.associated(kept_activation._deal_id(), "companies")
        # The duplicate is a Stripe customer too: that binding must follow it.
        stripe = self.backend.crm_stripe_backend_id
        self.bindings.bind(stripe, duplicate, "cus_AcmeOld")
        merged_activation.write(
            {
                "state": "done",
                "stripe_customer_id": "cus_AcmeOld",
                "stripe_subscription_id": "sub_1",
            }
        )
        contacts = duplicate.child_ids

        event = self.merge("company", kept_company, merged_company)

        self.assertFalse(duplicate.exists())
        self.assertEqual(self.partner_of(f"company/{merged_company}"), kept)
        self.assertEqual(self.partner_of(f"company/{kept_company}"), kept)
        self.assertEqual(self.partner_of("cus_AcmeOld", stripe), kept)
        self.assertEqual(merged_activation.partner_id, kept)
        self.assertTrue(merged_activation.writeback_pending, "its deal shows the kept partner")
        self.assertLessEqual(contacts, kept.child_ids)
        self.assertEqual(
            event.record_ids.filtered(lambda r: r.res_model == "res.partner").res_id, kept.id
        )
        self.assertIn(
            "<p>ACME Rockets (old) merged into this partner in HubSpot (fake).</p>",
            kept.message_ids.mapped("body"),
        )
        # The next events, of the primary and of the merged company, make no partner.
        partners = self.partner_count()
        self.assertEqual(self.win(self.deal_of_company(kept_company)).partner_id, kept)
        self.assertEqual(self.win(self.deal_of_company(merged_company)).partner_id, kept)
        self.assertEqual(self.partner_count(), partners)

    def test_a_primary_never_synced_takes_the_merged_partner(self):
        activation = self.win(won_hubspot_deal(self.peer))
        (merged_company,) = self.associated(activation._deal_id(), "companies")
        primary = self.peer.crm_create("companies", {"name": "Acme Rockets Group"})["id"]

        self.merge("company", primary, merged_company)

        self.assertEqual(self.partner_of(f"company/{primary}"), activation.partner_id)
        partners = self.partner_count()
        self.assertEqual(self.win(self.deal_of_company(primary)).partner_id, activation.partner_id)
        self.assertEqual(self.partner_count(), partners, "no duplicate of the company")

    def test_merged_contacts_leave_one_contact_of_the_company(self):
        deal_id = won_hubspot_deal(self.peer)
        activation = self.win(deal_id)
        primary, merged = self.associated(deal_id, "contacts")
        kept, duplicate = (
            self.partner_of(f"contact/{primary}"),
            self.partner_of(f"contact/{merged}"),
        )
        self.assertEqual((kept | duplicate).parent_id, activation.partner_id)

        self.merge("contact", primary, merged)

        self.assertFalse(duplicate.exists())
        self.assertEqual(self.partner_of(f"contact/{merged}"), kept)
        self.assertEqual(activation.partner_id.child_ids, kept)
        # HubSpot may still name both on the deal in a later event: one contact stays.
        partners = self.partner_count()
        self.peer.crm_update("deals", deal_id, {"amount": "700"})
        self.win(deal_id)
        self.assertEqual(self.partner_count(), partners)
        self.assertEqual(activation.partner_id.child_ids, kept)

    def test_a_merge_of_records_never_synced_changes_nothing(self):
        partners = self.partner_count()
        event = self.merge("company", 880_001, 880_002)
        self.assertIn("Nothing to merge", event.note)
        self.assertEqual(self.partner_count(), partners)
        self.assertFalse(self.partner_of("company/880001"))

    def activations(self):
        return self.env["saas.crm.activation"].search([("backend_id", "=", self.backend.id)])

    def test_a_merged_deal_s_activation_follows_the_primary_deal(self):
        merged_deal = won_hubspot_deal(self.peer)
        activation = self.win(merged_deal)
        activation.write({"state": "done", "stripe_subscription_id": "sub_merged"})
        primary = won_hubspot_deal(self.peer)

        self.merge("deal", primary, merged_deal)
        # Delivered again, under another event id: the same outcome.
        self.merge("deal", primary, merged_deal)

        self.assertEqual(activation.deal_external_id, f"deal/{primary}")
        self.assertEqual(activation.deal_state, "won")
        self.assertTrue(activation.writeback_pending, "the primary deal shows the billing")
        self.assertFalse(activation.activity_ids)
        # The primary deal's next event finds that activation: no second subscription.
        activations = self.activations()
        self.assertEqual(self.win(primary), activation)
        self.assertEqual(self.activations(), activations)

    def test_two_activated_deals_merged_flag_the_second_subscription(self):
        primary, merged_deal = won_hubspot_deal(self.peer), won_hubspot_deal(self.peer)
        kept, other = self.win(primary), self.win(merged_deal)
        other.write({"state": "done", "stripe_subscription_id": "sub_second"})

        self.merge("deal", primary, merged_deal)
        self.merge("deal", primary, merged_deal)

        self.assertEqual(kept.deal_external_id, f"deal/{primary}")
        self.assertEqual((kept.deal_state, other.deal_state), ("won", "merged"))
        self.assertEqual(other.state, "done", "billing goes on until a person decides")
        self.assertEqual(len(other.activity_ids), 1, "one to-do, however many deliveries")
        self.assertIn("sub_second", other.activity_ids.note)
        self.assertFalse(kept.activity_ids)

    def test_a_merge_of_deals_never_activated_changes_nothing(self):
        event = self.merge("deal", 880_101, 880_102)
        self.assertIn("Nothing to merge", event.note)

    def test_a_deleted_company_or_contact_ends_its_link_and_keeps_the_partner(self):
        deal_id = won_hubspot_deal(self.peer)
        activation = self.win(deal_id)
        (company,) = self.associated(deal_id, "companies")
        contact = self.associated(deal_id, "contacts")[0]
        partner, person = (
            self.partner_of(f"company/{company}"),
            self.partner_of(f"contact/{contact}"),
        )
        self.assertEqual(partner, activation.partner_id)

        for object_type, object_id in (("company", company), ("contact", contact)):
            self.deliver(
                hubspot_event(
                    object_id,
                    subscription_type=f"{object_type}.deletion",
                    event_id=next(self.events),
                )
            )

        self.assertFalse(self.partner_of(f"company/{company}"))
        self.assertFalse(self.partner_of(f"contact/{contact}"))
        self.assertTrue(partner.exists() and person.exists())
        self.assertEqual(activation.partner_id, partner)
        self.assertIn(f"company/{company} deleted in HubSpot (fake)", partner.message_ids[0].body)
        # Delivered again: nothing left to unlink, said as such.
        again = self.deliver(
            hubspot_event(
                company, subscription_type="company.deletion", event_id=next(self.events)
            )
        )
        self.assertIn("Nothing to unlink", again.note)
