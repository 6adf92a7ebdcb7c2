"""Merging partners with Odoo's merge wizard moves their external ids and event traces to the
kept partner."""

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from .common import create_backend, deliver, make_event


@tagged("post_install", "-at_install")
class TestPartnerMerge(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = create_backend(cls.env)
        cls.bindings = cls.env["saas.binding"]

    def partner_of(self, object_id):
        return self.bindings.lookup(self.backend, "res.partner", object_id)

    def merge(self, partners, kept):
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_context(active_model="res.partner", active_ids=partners.ids)
            .create({"partner_ids": [(6, 0, partners.ids)], "dst_partner_id": kept.id})
        )
        wizard.action_merge()

    def test_a_merged_customer_updates_the_kept_partner(self):
        deliver(self.env, self.backend, make_event("c_dup", name="Acme (duplicate)"))
        deliver(self.env, self.backend, make_event("c_kept", name="Acme"))
        run_jobs(self.env)
        duplicate, kept = self.partner_of("c_dup"), self.partner_of("c_kept")
        unbound = self.env["res.partner"].create({"name": "Acme, typed by hand"})
        self.assertEqual((duplicate.saas_event_count, kept.saas_event_count), (1, 1))

        # The kept partner already has a binding of the same backend: it keeps it, and gets
        # the merged partner's too.
        self.merge(duplicate | kept | unbound, kept)

        self.assertFalse(duplicate.exists())
        self.assertEqual(self.partner_of("c_dup"), kept)
        self.assertEqual(self.partner_of("c_kept"), kept)
        kept.invalidate_recordset(["saas_binding_count", "saas_event_count"])
        self.assertEqual(kept.saas_binding_count, 2)
        self.assertEqual(kept.saas_event_count, 2, "the merged partner's trace came along")
        partners_before = self.env["res.partner"].search_count([])
        update = make_event("c_dup", name="Acme Inc.", created=1_700_000_100)
        event = deliver(self.env, self.backend, update)
        run_jobs(self.env)
        self.assertEqual(event.state, "done")
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        self.assertEqual(kept.name, "Acme Inc.")
        self.assertEqual(event.record_ids.mapped("res_id"), kept.ids)

    def test_an_event_that_touched_both_partners_keeps_one_link(self):
        first, second = self.env["res.partner"].create([{"name": "One"}, {"name": "Two"}])
        event = deliver(self.env, self.backend, make_event("c_both"))
        self.env["saas.event.record"]._link(event, first | second)
        self.merge(first | second, second)
        self.assertEqual(event.record_ids.mapped("res_id"), second.ids)
