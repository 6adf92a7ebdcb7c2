"""Accounts and contacts merged in Salesforce leave one partner in Odoo. Salesforce sends no
message of a merge: it deletes the merged records, which name the record they were merged
into (``MasterRecordId``, read with ``queryAll``). The next won opportunity of the kept
account finds them there, and their partners become the kept account's."""

import itertools

from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.tests import TransactionCase, tagged

from .common import (
    create_salesforce_backend,
    deliver_salesforce,
    outbound_message,
    salesforce_opportunity,
    start_salesforce,
)


@tagged("post_install", "-at_install")
class TestSalesforceMerge(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_salesforce(cls)
        cls.backend = create_salesforce_backend(cls.env, cls.peer)
        cls.bindings = cls.env["saas.binding"]
        cls.notifications = itertools.count(1)

    def setUp(self):
        super().setUp()
        self.contacts_before = set(self.peer.records["Contact"])

    def won(self, opportunity):
        """A won opportunity's outbound message, processed; returns its activation."""
        body = outbound_message(
            opportunity, f"04l00000000{next(self.notifications):04d}AAA", IsWon="true"
        )
        events = deliver_salesforce(self.env, self.backend, body)
        run_jobs(self.env)
        self.assertEqual(events.state, "done", events.last_error)
        return self.env["saas.crm.activation"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("deal_external_id", "=", f"Opportunity/{opportunity}"),
            ]
        )

    def account_of(self, opportunity):
        return self.peer.record("Opportunity", opportunity)["AccountId"]

    def partner_of(self, key):
        return self.bindings.lookup(self.backend, "res.partner", key)

    def partner_count(self):
        return self.env["res.partner"].with_context(active_test=False).search_count([])

    def test_a_merged_account_partner_becomes_the_kept_accounts(self):
        kept_opportunity = salesforce_opportunity(self.peer, "Closed Won")
        merged_opportunity = salesforce_opportunity(self.peer, "Closed Won")
        kept_account, merged_account = map(self.account_of, (kept_opportunity, merged_opportunity))
        kept = self.won(kept_opportunity).partner_id
        merged_activation = self.won(merged_opportunity)
        duplicate = merged_activation.partner_id
        self.assertNotEqual(kept, duplicate)
        hank = duplicate.child_ids
        partners = self.partner_count()

        self.peer.user_merge("Account", kept_account, merged_account)
        # The merged account's opportunity, now the kept account's, changes again.
        self.won(merged_opportunity)

        self.assertFalse(duplicate.exists())
        self.assertEqual(self.partner_of(f"Account/{merged_account}"), kept)
        self.assertEqual(self.partner_of(f"Account/{kept_account}"), kept)
        self.assertEqual(merged_activation.partner_id, kept)
        self.assertLessEqual(hank, kept.child_ids)
        self.assertEqual(self.partner_count(), partners - 1)
        # Once merged, the next message reads nothing new.
        self.won(merged_opportunity)
        self.assertEqual(self.partner_count(), partners - 1)

    def test_a_kept_account_never_synced_takes_the_merged_accounts_partner(self):
        opportunity = salesforce_opportunity(self.peer, "Closed Won")
        partner = self.won(opportunity).partner_id
        merged_account = self.account_of(opportunity)
        kept_account = self.peer.user_create("Account", {"Name": "Globex Corporation"})
        partners = self.partner_count()

        self.peer.user_merge("Account", kept_account, merged_account)
        renewal = salesforce_opportunity(self.peer, "Closed Won", account=kept_account)

        self.assertEqual(self.won(renewal).partner_id, partner)
        self.assertEqual(self.partner_of(f"Account/{kept_account}"), partner)
        self.assertEqual(self.partner_count(), partners, "no duplicate of the account")

    def test_merged_contacts_leave_one_contact(self):
        opportunity = salesforce_opportunity(self.peer, "Closed Won")
        account = self.account_of(opportunity)
        (hank,) = self.peer.records["Contact"].keys() - self.contacts_before
        # The same person entered twice, both on the opportunity.
        duplicate_contact = self.peer.user_create(
            "Contact", {"AccountId": account, "LastName": "Scorpio", "Email": "hank@globex.io"}
        )
        self.peer.user_create(
            "OpportunityContactRole",
            {"OpportunityId": opportunity, "ContactId": duplicate_contact},
        )
        activation = self.won(opportunity)
        kept, duplicate = (
            self.partner_of(f"Contact/{hank}"),
            self.partner_of(f"Contact/{duplicate_contact}"),
        )
        self.assertEqual(activation.partner_id.child_ids, kept | duplicate)

        self.peer.user_merge("Contact", hank, duplicate_contact)
        self.won(opportunity)

        self.assertFalse(duplicate.exists())
        self.assertEqual(self.partner_of(f"Contact/{duplicate_contact}"), kept)
        self.assertEqual(activation.partner_id.child_ids, kept)
