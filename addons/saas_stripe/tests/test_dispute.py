"""Stripe disputes become dispute records with the entries of the money they move on the Stripe
balance — withdrawn, reinstated, lost — and a to-do for finance while evidence is due, however
many times and in whatever order their events arrive. The payloads are recorded ones (see
fixtures/PROVENANCE.md); where a test derives one it says which fields it changes."""

import copy
from datetime import UTC, date, datetime

from odoo.tests import tagged

from ..lib.normalize import normalize_object
from .common import fixture, variant
from .common_accounting import LOCALSTRIPE_CUSTOMER, LOCALSTRIPE_INVOICE_PAID, StripeAccountingCase

DJ_CREATED = "dj-stripe/tests__init__.FAKE_EVENT_DISPUTE_CREATED.json"  # 2017-08-15
DJ_WITHDRAWN = "dj-stripe/tests__init__.FAKE_EVENT_DISPUTE_FUNDS_WITHDRAWN.json"  # 2020-08-27
DJ_REINSTATED = "dj-stripe/tests__init__.FAKE_EVENT_DISPUTE_FUNDS_REINSTATED_FULL.json"
DJ_REINSTATED_PARTIAL = "dj-stripe/tests__init__.FAKE_EVENT_DISPUTE_FUNDS_REINSTATED_PARTIAL.json"
DJ_CLOSED = "dj-stripe/tests__init__.FAKE_EVENT_DISPUTE_CLOSED.json"  # won
SYNC_ENGINE = "stripe-sync-engine/charge_dispute_{}.json"  # 2020-03-02, an inquiry
LAGO_2020_LOST = "lago-api/2020-08-27/webhooks/charge_dispute_closed.json"
LAGO_BASIL_INQUIRY_CLOSED = "lago-api/2025-04-30.basil/webhooks/charge_dispute_closed.json"

DJ_DISPUTE = "dp_1JAyTwJSZQVUcJYgPqasUEn1"
# dj-stripe's fakes disagree on their balance transactions: DJ_TXN_A withdraws in DJ_CREATED
# and DJ_REINSTATED, where DJ_TXN_B reinstates, while DJ_TXN_B withdraws in DJ_WITHDRAWN and
# DJ_CLOSED. Each test below keeps to one consistent set.
DJ_TXN_A = "txn_16g5h62eZvKYlo2CQ2AHA89s"
DJ_TXN_B = "txn_1JHRCWJSZQVUcJYgYwW8XpF4"
LAGO_DISPUTE = "dp_1OzgpEH4tiDZlIUaZ8iWQMsb"
LAGO_WITHDRAWAL = "txn_1OzgpEH4tiDZlIUaXu3PFSnM"
INQUIRY = "dp_1MLuxQJDPojXS6LNrukJCBBG"

# dj-stripe's fakes share one event id (and sync-engine's another): intake would keep only the
# first of each, so every delivery below gets its own id and, to order them, its own time.
T0 = 1700000000


def dj_event(source, event_id, created, **changes):
    return variant(fixture(source), event_id=event_id, created=created, **changes)


def sync_engine_event(kind, created, **changes):
    return variant(
        fixture(SYNC_ENGINE.format(kind)),
        event_id=f"evt_inquiry_{kind}_{created}",
        created=created,
        **changes,
    )


@tagged("post_install", "-at_install")
class TestStripeDispute(StripeAccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.usd = cls.env.ref("base.USD")
        accounts = cls.env["account.account"].with_company(cls.company)
        cls.dispute_account = accounts.create(
            {
                "name": "Disputed Funds",
                "code": "DISP01",
                "account_type": "asset_current",
                "reconcile": True,
            }
        )
        cls.loss_account = cls.company_data["default_account_expense"]
        cls.contra_revenue_account = accounts.create(
            {"name": "Chargebacks (Contra Revenue)", "code": "CONTRA01", "account_type": "income"}
        )
        cls.backend.write(
            {
                "stripe_dispute_account_id": cls.dispute_account.id,
                "stripe_dispute_loss_account_id": cls.loss_account.id,
                "stripe_dispute_contra_revenue_account_id": cls.contra_revenue_account.id,
            }
        )
        cls.evidence = cls.env.ref("saas_stripe.mail_activity_type_dispute_evidence")

    # ---------------------------------------------------------------------------------------
    # Helpers
    # ---------------------------------------------------------------------------------------
    def dispute(self, dispute_id):
        return self.bound("saas.stripe.dispute", dispute_id)

    def balance(self, account, currency=False):
        """Posted balance of ``account`` (in ``currency`` when given, else the company's)."""
        lines = self.env["account.move.line"].search(
            [("account_id", "=", account.id), ("parent_state", "=", "posted")]
        )
        return round(sum(lines.mapped("amount_currency" if currency else "balance")), 2)

    def stripe_balance(self, code="USD"):
        return self.env["saas.stripe.balance.handler"]._balance_account(self.backend, code)

    def assertApplied(self, events):
        for event in events:
            self.assertEqual(event.state, "done", event.last_error)

    def evidence_todo(self, dispute):
        return dispute.activity_ids.filtered(
            lambda activity: activity.activity_type_id == self.evidence
        )

    # ---------------------------------------------------------------------------------------
    # Recorded payloads of each API version
    # ---------------------------------------------------------------------------------------
    def test_dispute_created_with_its_funds_withdrawn_books_them_and_asks_for_evidence(self):
        self.assertApplied(self.apply(fixture(DJ_CREATED)))  # 2017-08-15
        dispute = self.dispute(DJ_DISPUTE)
        self.assertRecordValues(
            dispute,
            [
                {
                    "name": DJ_DISPUTE,
                    "status": "needs_response",
                    "reason": "fraudulent",
                    "amount": 10.0,
                    "currency_id": self.usd.id,
                    "charge_ref": "ch_fakefakefakefakefake0001",
                    "payment_intent_ref": "pi_1JAyTwJSZQVUcJYgBbsz0NuH",
                    "payment_id": False,
                    "invoice_id": False,
                    "partner_id": False,
                    "is_charge_refundable": False,
                }
            ],
        )
        withdrawal = self.bound("account.move", DJ_TXN_A)
        self.assertEqual(dispute.move_ids, withdrawal)
        self.assertEqual(withdrawal.state, "posted")
        self.assertEqual(withdrawal.date, date(2021, 7, 8))
        self.assertRecordValues(
            withdrawal.line_ids.sorted("balance"),
            [
                {"account_id": self.stripe_balance().id, "balance": -10.0},
                {"account_id": self.dispute_account.id, "balance": 10.0},
            ],
        )
        # The fee (15.00) is the payout's to book, not the dispute's.
        self.assertEqual(self.balance(self.dispute_account), 10.0)
        todo = self.evidence_todo(dispute)
        self.assertRecordValues(
            todo,
            [{"date_deadline": date(2021, 7, 17), "user_id": self.backend.responsible_id.id}],
        )
        self.assertIn("disputes $&nbsp;10.00 (fraudulent)", todo.note)
        chatter = " ".join(dispute.message_ids.mapped("body"))
        self.assertIn("The disputed payment (pi_1JAyTwJSZQVUcJYgBbsz0NuH) is not in Odoo", chatter)

    def test_full_reinstatement_then_won_leaves_nothing_on_the_dispute_account(self):
        self.assertApplied(self.apply(dj_event(DJ_CREATED, "evt_dj_created", T0)))
        dispute = self.dispute(DJ_DISPUTE)
        self.assertTrue(self.evidence_todo(dispute))
        own_todo = dispute.activity_schedule(
            "mail.mail_activity_data_todo", summary="Call the bank"
        )
        self.assertApplied(self.apply(dj_event(DJ_REINSTATED, "evt_dj_reinstated", T0 + 60)))
        reinstatement = self.bound("account.move", DJ_TXN_B)
        self.assertRecordValues(
            reinstatement.line_ids.sorted("balance"),
            [
                {"account_id": self.dispute_account.id, "balance": -10.0},
                {"account_id": self.stripe_balance().id, "balance": 10.0},
            ],
        )
        self.assertEqual(dispute.status, "under_review")
        # Evidence went in: the to-do is done, with the reason in its feedback.
        self.assertFalse(self.evidence_todo(dispute))
        self.assertEqual(dispute.activity_ids, own_todo)  # finance's own to-do is theirs
        done = dispute.message_ids.filtered(lambda message: message.mail_activity_type_id)
        self.assertIn("Under Review", done.body)
        won = dj_event(
            DJ_REINSTATED,
            "evt_dj_won",
            T0 + 120,
            event_type="charge.dispute.closed",
            status="won",
        )
        self.assertApplied(self.apply(won))
        self.assertEqual(dispute.status, "won")
        self.assertEqual(len(dispute.move_ids), 2)
        self.assertEqual(self.balance(self.dispute_account), 0.0)
        # Withdrawal and reinstatement match on the disputed funds account.
        on_dispute_account = dispute.move_ids.line_ids.filtered(
            lambda line: line.account_id == self.dispute_account
        )
        self.assertEqual(on_dispute_account.mapped("reconciled"), [True, True])
        self.assertEqual(self.balance(self.stripe_balance()), 0.0)

    def test_partial_reinstatement_then_lost_books_the_rest_as_a_loss(self):
        # dj-stripe's partial reinstatement writes 900.0 for 900: Stripe sends integers.
        partial = dj_event(DJ_REINSTATED_PARTIAL, "evt_dj_partial", T0 + 60)
        partial["data"]["object"]["balance_transactions"][1].update(
            amount=900, fee=-1350, net=2250
        )
        lost = copy.deepcopy(partial)
        lost.update(id="evt_dj_lost", created=T0 + 120, type="charge.dispute.closed")
        lost["data"]["object"]["status"] = "lost"
        self.assertApplied(self.apply(dj_event(DJ_CREATED, "evt_dj_created", T0), partial))
        self.assertEqual(self.balance(self.dispute_account), 1.0)
        open_items = self.env["account.move.line"].search(
            [("account_id", "=", self.dispute_account.id), ("reconciled", "=", False)]
        )
        self.assertEqual(len(open_items), 2)  # 1.00 of the dispute still withdrawn
        self.assertApplied(self.apply(lost))
        self.assertFalse(
            self.env["account.move.line"].search(
                [("account_id", "=", self.dispute_account.id), ("reconciled", "=", False)]
            )
        )
        dispute = self.dispute(DJ_DISPUTE)
        loss = self.bound("account.move", f"{DJ_DISPUTE}/loss")
        self.assertEqual(
            dispute.move_ids,
            self.bound("account.move", DJ_TXN_A) | self.bound("account.move", DJ_TXN_B) | loss,
        )
        self.assertRecordValues(
            loss.line_ids.sorted("balance"),
            [
                {"account_id": self.dispute_account.id, "balance": -1.0},
                {"account_id": self.loss_account.id, "balance": 1.0},
            ],
        )
        self.assertEqual(self.balance(self.dispute_account), 0.0)
        self.assertEqual(self.balance(self.stripe_balance()), -1.0)

    def test_lost_dispute_books_withdrawal_and_contra_revenue(self):
        self.backend.stripe_dispute_loss_policy = "contra_revenue"
        self.assertApplied(self.apply(fixture(LAGO_2020_LOST)))  # 2020-08-27, closed lost
        dispute = self.dispute(LAGO_DISPUTE)
        self.assertRecordValues(
            dispute, [{"status": "lost", "amount": 45.16, "reason": "fraudulent"}]
        )
        self.assertEqual(len(dispute.move_ids), 2)
        self.assertEqual(self.balance(self.stripe_balance()), -45.16)
        self.assertEqual(self.balance(self.dispute_account), 0.0)
        self.assertEqual(self.balance(self.contra_revenue_account), 45.16)
        self.assertEqual(self.balance(self.loss_account), 0.0)
        self.assertFalse(self.evidence_todo(dispute))

    def loss_entry(self):
        return self.bound("account.move", f"{LAGO_DISPUTE}/loss")

    def test_loss_reported_before_the_evidence_deadline_is_dated_when_reported(self):
        # Lago's dispute was lost (accepted) on 2024-03-29, before its deadline of 2024-04-07.
        self.assertApplied(self.apply(fixture(LAGO_2020_LOST)))
        self.assertEqual(self.loss_entry().date, date(2024, 3, 29))

    def test_loss_reported_after_the_evidence_deadline_is_dated_at_the_deadline(self):
        # Whichever reports it — the closed event weeks later, or a read of the dispute today —
        # the loss is dated when the dispute could no longer be answered.
        deadline = fixture(LAGO_2020_LOST)["data"]["object"]["evidence_details"]["due_by"]
        for event_id, created in (("evt_lost_late", deadline + 30 * 86_400), ("evt_read", None)):
            with self.subTest(event_id), self.env.cr.savepoint(flush=False) as savepoint:
                payload = variant(fixture(LAGO_2020_LOST), event_id=event_id, created=created)
                if created is None:
                    payload["created"] = int(datetime.now(UTC).timestamp())
                self.assertApplied(self.apply(payload))
                self.assertEqual(self.loss_entry().date, date(2024, 4, 7))
                self.env.flush_all()
                savepoint.rollback()
                self.env.invalidate_all()

    def test_won_without_reinstatement_yet_keeps_the_funds_on_the_dispute_account(self):
        # dj-stripe's closed (won) lists only the withdrawal: the reinstatement follows.
        self.assertApplied(self.apply(fixture(DJ_CLOSED)))
        dispute = self.dispute(DJ_DISPUTE)
        self.assertEqual(dispute.status, "won")
        self.assertEqual(dispute.move_ids, self.bound("account.move", DJ_TXN_B))  # withdrawal
        self.assertEqual(self.balance(self.dispute_account), 10.0)
        self.assertEqual(self.balance(self.loss_account), 0.0)

    def test_inquiry_moves_no_money_and_needs_no_dispute_account(self):
        self.backend.stripe_dispute_account_id = False
        self.assertApplied(self.apply(sync_engine_event("created", T0)))  # 2020-03-02
        inquiry = self.dispute(INQUIRY)
        self.assertRecordValues(
            inquiry,
            [
                {
                    "status": "warning_needs_response",
                    "reason": "general",
                    "is_charge_refundable": True,
                }
            ],
        )
        self.assertFalse(inquiry.move_ids)
        self.assertEqual(self.evidence_todo(inquiry).date_deadline, date(2023, 1, 21))
        # Stripe gives more time: the to-do follows.
        self.assertApplied(
            self.apply(
                sync_engine_event(
                    "updated",
                    T0 + 60,
                    evidence_details={"due_by": 1675209599, "has_evidence": False},
                )
            )
        )
        self.assertEqual(self.evidence_todo(inquiry).date_deadline, date(2023, 1, 31))
        self.assertApplied(
            self.apply(sync_engine_event("closed", T0 + 120, status="warning_closed"))
        )
        self.assertEqual(inquiry.status, "warning_closed")
        self.assertFalse(self.evidence_todo(inquiry))
        self.assertFalse(inquiry.move_ids)

    def test_closed_inquiry_of_basil(self):
        self.assertApplied(self.apply(fixture(LAGO_BASIL_INQUIRY_CLOSED)))  # 2025-04-30.basil
        inquiry = self.dispute("dp_1RWXieQ8iJWBZFaM572opwWo")
        self.assertRecordValues(
            inquiry,
            [
                {
                    "status": "warning_closed",
                    "amount": 1.0,
                    "charge_ref": "ch_3RWXidQ8iJWBZFaM07eC54Yk",
                    "payment_intent_ref": "pi_3RWXidQ8iJWBZFaM0hwfe7LL",
                }
            ],
        )
        self.assertFalse(inquiry.move_ids)
        self.assertFalse(self.evidence_todo(inquiry))

    def test_payout_finds_the_withdrawal_already_booked(self):
        payload = fixture(LAGO_2020_LOST)
        self.assertApplied(self.apply(payload))
        # The balance transaction as a payout lists it (GET /v1/balance_transactions).
        transaction = normalize_object(payload["data"]["object"]["balance_transactions"][0])
        self.assertEqual(
            self.env["saas.stripe.payout.handler"]._transaction_document(
                self.backend, transaction
            ),
            self.bound("account.move", LAGO_WITHDRAWAL),
        )

    def test_movement_of_a_closed_period_lands_in_the_first_open_day(self):
        self.company.fiscalyear_lock_date = date(2021, 12, 31)
        self.assertApplied(self.apply(fixture(DJ_CREATED)))  # withdrawn on 2021-07-08
        withdrawal = self.bound("account.move", DJ_TXN_A)
        self.assertRecordValues(withdrawal, [{"state": "posted", "date": date(2022, 1, 1)}])

    # ---------------------------------------------------------------------------------------
    # Redelivery, replay, order
    # ---------------------------------------------------------------------------------------
    def test_redelivered_replayed_and_repeated_events_book_each_movement_once(self):
        first = self.apply(fixture(DJ_WITHDRAWN))
        self.assertApplied(first)
        self.apply(fixture(DJ_WITHDRAWN))  # the same delivery again
        first.action_replay()
        self.run_jobs()
        # charge.dispute.updated of the same dispute later, still listing the withdrawal.
        self.assertApplied(
            self.apply(
                dj_event(
                    DJ_WITHDRAWN,
                    "evt_dj_updated",
                    fixture(DJ_WITHDRAWN)["created"] + 60,
                    event_type="charge.dispute.updated",
                )
            )
        )
        dispute = self.dispute(DJ_DISPUTE)
        self.assertEqual(len(dispute.move_ids), 1)
        self.assertEqual(self.balance(self.dispute_account), 10.0)
        self.assertEqual(len(self.evidence_todo(dispute)), 1)

    def test_closed_before_funds_withdrawn_ends_with_the_same_entries(self):
        lost = fixture(LAGO_2020_LOST)
        withdrawn = variant(
            lost,
            event_id="evt_lago_funds_withdrawn",
            created=lost["created"] - 60,
            event_type="charge.dispute.funds_withdrawn",
            status="needs_response",
        )
        self.assertApplied(self.apply(lost))
        (late,) = self.apply(withdrawn)
        self.assertEqual(late.state, "stale")
        # Nor can an event of the same second, earlier in a dispute's lifecycle.
        same_second = variant(withdrawn, event_id="evt_lago_same_second", created=lost["created"])
        (same_second,) = self.apply(same_second)
        self.assertEqual(same_second.state, "stale")
        dispute = self.dispute(LAGO_DISPUTE)
        self.assertEqual(dispute.status, "lost")
        self.assertEqual(len(dispute.move_ids), 2)
        self.assertEqual(self.balance(self.dispute_account), 0.0)
        self.assertEqual(self.balance(self.loss_account), 45.16)
        self.assertEqual(self.balance(self.stripe_balance()), -45.16)

    # ---------------------------------------------------------------------------------------
    # The disputed payment
    # ---------------------------------------------------------------------------------------
    def test_dispute_before_its_payment_gets_it_when_the_payment_comes(self):
        event = fixture(LAGO_2020_LOST)
        dispute_object = event["data"]["object"]
        dispute_object.update(
            charge="ch_LsPay0002", payment_intent="pi_LsPay0002", currency="eur", amount=7735
        )
        dispute_object["balance_transactions"][0].update(currency="eur", amount=-7735)
        self.assertApplied(self.apply(event))
        dispute = self.dispute(LAGO_DISPUTE)
        self.assertFalse(dispute.payment_id)
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        self.apply(fixture(LOCALSTRIPE_INVOICE_PAID))
        invoice = self.bound("account.move", "in_LsInv0002")
        self.assertRecordValues(
            dispute,
            [
                {
                    "payment_id": self.bound("account.payment", "pi_LsPay0002").id,
                    "invoice_id": invoice.id,
                    "partner_id": invoice.commercial_partner_id.id,
                }
            ],
        )
        self.assertEqual(invoice.stripe_dispute_count, 1)
        self.assertIn(
            "The disputed payment is now in Odoo", " ".join(dispute.message_ids.mapped("body"))
        )

    def test_dispute_of_an_imported_payment_links_it_and_books_in_its_currency(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        self.apply(fixture(LOCALSTRIPE_INVOICE_PAID))
        invoice = self.bound("account.move", "in_LsInv0002")
        payment = self.bound("account.payment", "pi_LsPay0002")
        self.assertTrue(payment)
        # Lago's lost dispute pointed at the 2017-08-15 invoice's payment, in EUR.
        event = fixture(LAGO_2020_LOST)
        dispute_object = event["data"]["object"]
        dispute_object.update(
            charge="ch_LsPay0002", payment_intent="pi_LsPay0002", currency="eur", amount=7735
        )
        dispute_object["balance_transactions"][0].update(currency="eur", amount=-7735)
        stripe_balance = self.balance(self.stripe_balance("EUR"), currency=True)
        self.assertApplied(self.apply(event))
        dispute = self.dispute(LAGO_DISPUTE)
        self.assertRecordValues(
            dispute,
            [
                {
                    "payment_id": payment.id,
                    "invoice_id": invoice.id,
                    "partner_id": invoice.commercial_partner_id.id,
                    "amount": 77.35,
                    "currency_id": self.env.ref("base.EUR").id,
                }
            ],
        )
        withdrawal = self.bound("account.move", LAGO_WITHDRAWAL)
        eur = self.env.ref("base.EUR")
        expected = eur._convert(77.35, self.usd, self.company, withdrawal.date)
        self.assertRecordValues(
            withdrawal.line_ids.sorted("balance"),
            [
                {
                    "account_id": self.stripe_balance("EUR").id,
                    "amount_currency": -77.35,
                    "balance": -expected,
                    "partner_id": invoice.commercial_partner_id.id,
                },
                {
                    "account_id": self.dispute_account.id,
                    "amount_currency": 77.35,
                    "balance": expected,
                    "partner_id": invoice.commercial_partner_id.id,
                },
            ],
        )
        self.assertEqual(
            self.balance(self.stripe_balance("EUR"), currency=True), stripe_balance - 77.35
        )
        self.assertNotIn("is not in Odoo", " ".join(dispute.message_ids.mapped("body")))
        # The invoice shows its dispute.
        self.assertEqual(invoice.stripe_dispute_count, 1)
        action = invoice.action_view_stripe_disputes()
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), dispute)

    def test_payment_imported_after_its_dispute_is_linked_by_the_next_event(self):
        event = fixture(LAGO_2020_LOST)
        dispute_object = event["data"]["object"]
        # Lago's dispute, still open and without money moved yet, on the 2017-08-15 payment.
        dispute_object.update(
            charge="ch_LsPay0002",
            payment_intent="pi_LsPay0002",
            currency="eur",
            amount=7735,
            status="needs_response",
            balance_transactions=[],
        )
        self.assertApplied(self.apply(event))
        dispute = self.dispute(LAGO_DISPUTE)
        self.assertFalse(dispute.payment_id)
        self.apply(fixture(LOCALSTRIPE_CUSTOMER), fixture(LOCALSTRIPE_INVOICE_PAID))
        later = variant(
            event,
            event_id="evt_lago_updated",
            created=event["created"] + 60,
            event_type="charge.dispute.updated",
            status="under_review",
        )
        self.assertApplied(self.apply(later))
        self.assertEqual(dispute.payment_id, self.bound("account.payment", "pi_LsPay0002"))
        self.assertEqual(dispute.invoice_id, self.bound("account.move", "in_LsInv0002"))

    def test_dispute_of_an_unknown_charge_takes_its_customer(self):
        partner = self.customer("cus_PpUD2ExampleXy")
        # The charge expanded, as Stripe sends it when asked to.
        event = fixture(LAGO_2020_LOST)
        event["data"]["object"]["charge"] = {
            "id": "ch_3OzgpDH4tiDZlIUa0M7QchGT",
            "object": "charge",
            "customer": "cus_PpUD2ExampleXy",
        }
        self.assertApplied(self.apply(event))
        dispute = self.dispute(LAGO_DISPUTE)
        self.assertRecordValues(
            dispute,
            [
                {
                    "partner_id": partner.id,
                    "payment_id": False,
                    "charge_ref": "ch_3OzgpDH4tiDZlIUa0M7QchGT",
                }
            ],
        )
        self.assertEqual(dispute.move_ids.line_ids.partner_id, partner)

    # ---------------------------------------------------------------------------------------
    # Configuration
    # ---------------------------------------------------------------------------------------
    def test_missing_dispute_account_fails_the_event_and_writes_nothing(self):
        self.backend.stripe_dispute_account_id = False
        (event,) = self.apply(fixture(DJ_CREATED))
        self.assertEqual(event.state, "failed")
        self.assertIn("has no Disputed Funds Account", event.last_error)
        self.assertIn("Stripe Accounting", event.last_error)
        self.assertFalse(self.dispute(DJ_DISPUTE))
        self.assertFalse(self.env["saas.stripe.dispute"].search([]))
        self.assertFalse(self.bound("account.move", DJ_TXN_A))
        self.backend.stripe_dispute_account_id = self.dispute_account
        event.action_replay()
        self.run_jobs()
        self.assertApplied(event)
        self.assertEqual(self.balance(self.dispute_account), 10.0)

    def test_missing_loss_account_fails_the_lost_dispute_whole(self):
        self.backend.write(
            {
                "stripe_dispute_loss_policy": "contra_revenue",
                "stripe_dispute_contra_revenue_account_id": False,
            }
        )
        (event,) = self.apply(fixture(LAGO_2020_LOST))
        self.assertEqual(event.state, "failed")
        self.assertIn("has no Dispute Contra Revenue Account", event.last_error)
        self.assertFalse(self.dispute(LAGO_DISPUTE))
        self.assertFalse(self.bound("account.move", LAGO_WITHDRAWAL))
        self.assertEqual(self.balance(self.dispute_account), 0.0)
