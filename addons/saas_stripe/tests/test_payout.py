"""Stripe payouts: the fees Stripe took on what a payout settles, and the payout's amount moved
from the Stripe balance's clearing account to the bank journal, where the payout's bank
statement line matches it in one step.

The payout events wrap Stripe's example payout (OpenAPI fixtures, see PROVENANCE.md) turned
into a EUR payout of the 2017-08-15 invoice's payment. The balance transactions it settles
come from Stripe's API, played over HTTP by ``stripe_api_peer`` (``GET
/v1/balance_transactions?payout=…``), answering with Stripe's example balance transaction
turned into this payout's charge, refund, Stripe fee and payout transactions, over two pages.
Nothing leaves the machine.
"""

from datetime import date

from odoo.tests import tagged

from .common import fixture
from .common_accounting import LOCALSTRIPE_CUSTOMER, LOCALSTRIPE_INVOICE_PAID, StripeAccountingCase
from .stripe_api_peer import error_body, start_api_peer
from .test_refund import CHARGE, PAYMENT_INTENT, refund_event

PAYOUT = "openapi/fixtures3.2026-08.payout.json"
BALANCE_TRANSACTION = "openapi/fixtures3.2026-08.balance_transaction.json"
PAYOUT_ID = "po_1Pgc79B7WZ01zgkWu1KToYf4"
TRANSACTIONS_PATH = "/v1/balance_transactions"
REFUND = "re_1Nispe2eZvKYlo2Cd31jOCgZ"
# 2017-10-02 00:00:00 UTC: the payout reaches the bank three days after the invoice's payment.
ARRIVAL = 1506902400

# The payout settles the invoice's charge (77.35, Stripe fee 2.54), a partial refund (20.00),
# a Stripe fee billed on the balance (5.00) and sends the rest: 77.35 - 2.54 - 20 - 5 = 49.81.
PAYOUT_CENTS = 4981


def transaction(txn_id, txn_type, amount, fee=0, source=None):
    """Stripe's example balance transaction as one of this payout's."""
    return {
        **fixture(BALANCE_TRANSACTION),
        "id": txn_id,
        "type": txn_type,
        "reporting_category": txn_type,
        "amount": amount,
        "fee": fee,
        "fee_details": [
            {"amount": fee, "currency": "eur", "type": "stripe_fee", "description": "Stripe fee"}
        ]
        if fee
        else [],
        "net": amount - fee,
        "currency": "eur",
        "source": source,
        "created": ARRIVAL - 86400,
        "available_on": ARRIVAL - 86400,
    }


TRANSACTIONS = [
    # Sources are expanded, as the handler asks: a charge names its payment intent, and so
    # does a refund (the refunded one), which must not be taken for the refund.
    transaction(
        "txn_LsPay0002",
        "charge",
        7735,
        fee=254,
        source={"id": CHARGE, "object": "charge", "payment_intent": PAYMENT_INTENT},
    ),
    transaction(
        "txn_LsRefund1",
        "refund",
        -2000,
        source={"id": REFUND, "object": "refund", "payment_intent": PAYMENT_INTENT},
    ),
    transaction("txn_LsBillingFee", "stripe_fee", -500),
    transaction(
        "txn_1PgaxNB7WZ01zgkWEV3TLf40",
        "payout",
        -PAYOUT_CENTS,
        source={"id": PAYOUT_ID, "object": "payout"},
    ),
]


def balance_transactions(listings):
    """Stripe's ``GET /v1/balance_transactions?payout=…`` over ``listings`` (payout id →
    its transactions), two per page whatever the limit asked, so that paging is exercised."""

    def answer(query):
        entries = listings.get(query.get("payout"))
        if entries is None:
            return 404, error_body("invalid_request_error", "No such payout")
        ids = [entry["id"] for entry in entries]
        start = ids.index(query["starting_after"]) + 1 if "starting_after" in query else 0
        return 200, {
            "object": "list",
            "url": TRANSACTIONS_PATH,
            "has_more": start + 2 < len(entries),
            "data": entries[start : start + 2],
        }

    return answer


def payout_event(event_type, n=1, **changes):
    """A payout event of the API version 2025-03-31.basil around Stripe's example payout, made
    the EUR payout of this scenario (``changes`` on top)."""
    payout = {
        **fixture(PAYOUT),
        "amount": PAYOUT_CENTS,
        "currency": "eur",
        "arrival_date": ARRIVAL,
        "created": ARRIVAL - 86400,
        **changes,
    }
    return {
        "id": f"evt_payout_{event_type.replace('.', '_')}_{n}",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": ARRIVAL - 86400 + n,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": payout},
    }


class StripeBalanceCase(StripeAccountingCase):
    """A EUR balance holding the invoice's payment (77.35) and a partial refund (20.00), paid
    out to a EUR bank journal, with the fees and other movements accounts set; Stripe's API
    answers the balance transactions of ``PAYOUT_ID``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_api_peer(cls, cls.backend)
        cls.eur = cls.env.ref("base.EUR")
        # Stripe pays the EUR balance out to a EUR bank account.
        cls.bank_journal = cls.env["account.journal"].create(
            {"name": "Bank EUR", "type": "bank", "code": "BEUR", "currency_id": cls.eur.id}
        )
        cls.fee_account = cls.company_data["default_account_expense"].copy(
            {"name": "Stripe Fees", "code": "627100"}
        )
        cls.other_account = cls.company_data["default_account_expense"].copy(
            {"name": "Other Stripe Movements", "code": "627200"}
        )
        cls.backend.write(
            {
                "stripe_fee_account_id": cls.fee_account.id,
                "stripe_other_balance_account_id": cls.other_account.id,
            }
        )

    def setUp(self):
        super().setUp()
        self.peer.requests.clear()
        self.peer.answers.clear()
        self.peer.answers[TRANSACTIONS_PATH] = balance_transactions({PAYOUT_ID: TRANSACTIONS})
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        self.apply(fixture(LOCALSTRIPE_INVOICE_PAID))
        self.payment = self.bound("account.payment", PAYMENT_INTENT)
        self.refund = self.apply(refund_event(amount=2000))
        self.assertEqual(self.refund.state, "done", self.refund.last_error)
        self.refund = self.bound("account.payment", REFUND)
        self.balance = self.env["saas.stripe.balance.handler"]._balance(self.backend, self.eur)
        self.balance.payout_journal_id = self.bank_journal
        self.clearing = self.balance.account_id

    def payout(self):
        return self.bound("saas.stripe.payout", PAYOUT_ID)

    def clearing_balance(self):
        lines = self.env["account.move.line"].search(
            [("account_id", "=", self.clearing.id), ("parent_state", "=", "posted")]
        )
        return round(sum(lines.mapped("amount_currency")), 2)

    def assert_applied(self, *payloads):
        events = self.apply(*payloads)
        self.assertEqual(set(events.mapped("state")), {"done"}, events.mapped("last_error"))
        return events


@tagged("post_install", "-at_install")
class TestStripePayout(StripeBalanceCase):
    def test_payments_and_refunds_go_through_the_stripe_balance(self):
        self.assertEqual(self.clearing.name, f"Stripe Balance {self.backend.name} (EUR)")
        self.assertRecordValues(self.clearing, [{"currency_id": self.eur.id, "reconcile": True}])
        self.assertEqual(self.payment.outstanding_account_id, self.clearing)
        self.assertEqual(self.refund.outstanding_account_id, self.clearing)
        # 77.35 received, 20.00 sent back: what Stripe holds before fees.
        self.assertEqual(self.clearing_balance(), 57.35)
        self.assertEqual(
            self.env["saas.stripe.balance.handler"]._balance_account(self.backend, "EUR"),
            self.clearing,
        )

    def test_balance_added_by_hand_gets_its_clearing_account(self):
        """A currency's payout journal can be set before its first payment."""
        jpy = self.env.ref("base.JPY")
        balance = self.env["saas.stripe.balance"].create(
            {"backend_id": self.backend.id, "currency_id": jpy.id}
        )
        self.assertRecordValues(
            balance.account_id,
            [
                {
                    "name": f"Stripe Balance {self.backend.name} (JPY)",
                    "currency_id": jpy.id,
                    "reconcile": True,
                }
            ],
        )
        self.assertEqual(
            self.env["saas.stripe.balance.handler"]._balance_account(self.backend, "JPY"),
            balance.account_id,
        )

    def test_paid_payout_books_its_fees_and_transfer_in_one_entry(self):
        self.assert_applied(payout_event("payout.paid", status="paid"))
        payout = self.payout()
        move = payout.move_id
        self.assertRecordValues(
            payout,
            [
                {
                    "state": "paid",
                    "amount": 49.81,
                    "currency_id": self.eur.id,
                    "automatic": True,
                    "journal_id": self.bank_journal.id,
                    "fee_total": 2.54,
                    "unmatched_count": 1,
                }
            ],
        )
        self.assertEqual(str(payout.arrival_date), "2017-10-02")
        self.assertRecordValues(
            payout.line_ids,
            [
                {"transaction_id": "txn_LsPay0002", "type": "charge", "amount": 77.35,
                 "fee": 2.54, "net": 74.81, "source_id": CHARGE},
                {"transaction_id": "txn_LsRefund1", "type": "refund", "amount": -20.0,
                 "fee": 0.0, "net": -20.0, "source_id": REFUND},
                {"transaction_id": "txn_LsBillingFee", "type": "stripe_fee", "amount": -5.0,
                 "fee": 0.0, "net": -5.0, "source_id": False},
                {"transaction_id": "txn_1PgaxNB7WZ01zgkWEV3TLf40", "type": "payout",
                 "amount": -49.81, "fee": 0.0, "net": -49.81, "source_id": PAYOUT_ID},
            ],
        )  # fmt: skip
        # No Odoo document stands for Stripe's own fee billed on the balance; the payout's own
        # transaction is the payout's entry.
        self.assertEqual(
            [line.document for line in payout.line_ids], [self.payment, self.refund, None, move]
        )
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.journal_id, self.bank_journal)
        self.assertEqual(str(move.date), "2017-10-02")
        outstanding = self.env["saas.stripe.payout.handler"]._bank_outstanding_account(
            self.backend, self.bank_journal
        )
        amounts = {}
        for line in move.line_ids:
            key = line.account_id
            amounts[key] = round(amounts.get(key, 0.0) + line.amount_currency, 2)
        self.assertEqual(
            amounts,
            {
                self.fee_account: 2.54,
                self.other_account: 5.0,
                outstanding: 49.81,
                self.clearing: -57.35,
            },
        )
        self.assertEqual(set(move.line_ids.currency_id.mapped("name")), {"EUR"})
        # The payout settles the Stripe balance: payment, refund and payout entry reconciled.
        self.assertEqual(self.clearing_balance(), 0.0)
        settled = (self.payment.move_id | self.refund.move_id | move).line_ids.filtered(
            lambda line: line.account_id == self.clearing
        )
        self.assertTrue(all(settled.mapped("reconciled")))
        self.assertEqual(self.bound("account.move", PAYOUT_ID), move)
        self.assertEqual(self.bound("account.move", "txn_1PgaxNB7WZ01zgkWEV3TLf40"), move)
        # Both pages of the payout's transactions were asked for, their sources expanded.
        pages = [query for path, query in self.peer.requests if path == TRANSACTIONS_PATH]
        self.assertEqual(len(pages), 2)
        self.assertEqual(pages[0]["expand[0]"], "data.source")
        self.assertEqual(pages[1]["starting_after"], "txn_LsRefund1")

    def test_bank_statement_line_of_the_payout_reconciles_in_one_step(self):
        self.assert_applied(payout_event("payout.paid", status="paid"))
        payout_line = self.payout().move_id.line_ids.filtered(
            lambda line: (
                line.account_id.account_type != "expense" and line.account_id != self.clearing
            )
        )
        statement_line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": "2017-10-02",
                "payment_ref": f"STRIPE PAYOUT {PAYOUT_ID}",
                "amount": 49.81,
            }
        )
        # What the bank reconciliation proposes for the line: the payout, and nothing else
        # of that amount.
        candidates = self.env["account.move.line"].search(
            [
                *statement_line._get_default_amls_matching_domain(),
                ("amount_residual_currency", "=", 49.81),
                ("currency_id", "=", self.eur.id),
            ]
        )
        self.assertEqual(candidates, payout_line)
        # The one step (Odoo's community way, the reconciliation widget being enterprise):
        # the statement line's suspense item takes the payout's account and they reconcile.
        _liquidity, suspense, _other = statement_line.with_context(
            skip_account_move_synchronization=True
        )._seek_for_lines()
        suspense.account_id = payout_line.account_id
        (suspense | payout_line).reconcile()
        self.assertTrue(statement_line.is_reconciled)
        self.assertTrue(payout_line.reconciled)

    def test_payout_of_a_closed_period_lands_in_the_first_open_day(self):
        self.company.fiscalyear_lock_date = date(2017, 10, 31)
        self.assert_applied(payout_event("payout.paid", status="paid"))
        self.assertEqual(self.payout().move_id.date, date(2017, 11, 1))
        self.assertEqual(self.clearing_balance(), 0.0)

    def test_payout_reported_many_times_is_booked_once(self):
        self.assert_applied(
            payout_event("payout.created", 1, status="pending"),
            payout_event("payout.updated", 2, status="in_transit"),
        )
        self.assertRecordValues(self.payout(), [{"state": "in_transit", "move_id": False}])
        self.assert_applied(payout_event("payout.paid", 3, status="paid"))
        move = self.payout().move_id
        self.assertTrue(move)
        # Delivered again, and an older update reported late: nothing more, nothing back.
        self.assert_applied(
            payout_event("payout.paid", 4, status="paid"),
            payout_event("payout.updated", 5, status="in_transit"),
        )
        self.assertRecordValues(self.payout(), [{"state": "paid", "move_id": move.id}])
        self.assertEqual(
            self.env["account.move"].search_count([("ref", "=", f"Stripe payout {PAYOUT_ID}")]),
            1,
        )
        self.assertEqual(self.clearing_balance(), 0.0)

    def test_payout_failing_after_paid_brings_the_money_back_to_stripe(self):
        self.assert_applied(payout_event("payout.paid", 1, status="paid"))
        self.assert_applied(
            payout_event(
                "payout.failed",
                2,
                status="failed",
                failure_code="account_closed",
                failure_message="The bank account has been closed.",
                failure_balance_transaction="txn_LsPayoutFailure",
            )
        )
        payout = self.payout()
        self.assertRecordValues(
            payout, [{"state": "failed", "failure_message": "The bank account has been closed."}]
        )
        failure = payout.failure_move_id
        self.assertEqual(failure.state, "posted")
        # The fees stay booked; the 49.81 is on the Stripe balance again, not at the bank.
        self.assertEqual(self.clearing_balance(), 49.81)
        outstanding = self.env["saas.stripe.payout.handler"]._bank_outstanding_account(
            self.backend, self.bank_journal
        )
        at_bank = (payout.move_id | failure).line_ids.filtered(
            lambda line: line.account_id == outstanding
        )
        self.assertEqual(sum(at_bank.mapped("amount_currency")), 0.0)
        self.assertTrue(all(at_bank.mapped("reconciled")))
        self.assertEqual(self.bound("account.move", "txn_LsPayoutFailure"), failure)

    def test_payout_failing_before_paid_books_nothing(self):
        self.assert_applied(
            payout_event("payout.created", 1, status="pending"),
            payout_event("payout.failed", 2, status="failed", failure_code="could_not_process"),
        )
        self.assertRecordValues(
            self.payout(),
            [
                {
                    "state": "failed",
                    "move_id": False,
                    "failure_move_id": False,
                    "failure_message": "could_not_process",
                }
            ],
        )
        self.assertFalse(self.peer.requests)
        self.assertEqual(self.clearing_balance(), 57.35)

    def test_manual_payout_books_its_transfer_alone(self):
        self.assert_applied(payout_event("payout.paid", status="paid", automatic=False))
        move = self.payout().move_id
        # Stripe ties no transaction to a manual payout: nothing is asked, no fee is known.
        self.assertFalse(self.peer.requests)
        self.assertFalse(self.payout().line_ids)
        self.assertEqual(sorted(move.line_ids.mapped("amount_currency")), [-49.81, 49.81])
        self.assertEqual(self.clearing_balance(), 7.54)  # 57.35 - 49.81

    def test_missing_configuration_fails_the_event_with_what_to_set(self):
        self.balance.payout_journal_id = False
        event = self.apply(payout_event("payout.paid", 1, status="paid"))
        self.assertEqual(event.state, "failed")
        self.assertIn("set the payout bank journal of the EUR Stripe balance", event.last_error)
        self.assertFalse(self.payout())
        self.balance.payout_journal_id = self.bank_journal
        self.backend.stripe_fee_account_id = False
        event = self.apply(payout_event("payout.paid", 2, status="paid"))
        self.assertEqual(event.state, "failed")
        self.assertIn("set the Stripe fees account", event.last_error)
        self.assertFalse(self.env["account.move"].search([("ref", "like", PAYOUT_ID)]))

    def test_transactions_without_document_need_the_other_movements_account(self):
        self.backend.stripe_other_balance_account_id = False
        event = self.apply(payout_event("payout.paid", status="paid"))
        self.assertEqual(event.state, "failed")
        self.assertIn("set the other Stripe movements account", event.last_error)

    def test_later_payout_recognizes_an_earlier_payout_failure(self):
        """A failed payout's money comes back to the balance and leaves with a later payout:
        its failure transaction is the failure entry, not another Stripe movement."""
        self.assert_applied(payout_event("payout.paid", 1, status="paid"))
        self.assert_applied(
            payout_event(
                "payout.failed", 2, status="failed", failure_balance_transaction="txn_LsFailure"
            )
        )
        failure = self.payout().failure_move_id
        second = "po_LsSecondPayout"
        self.peer.answers[TRANSACTIONS_PATH] = balance_transactions(
            {
                second: [
                    transaction("txn_LsFailure", "payout_failure", PAYOUT_CENTS,
                                source={"id": PAYOUT_ID, "object": "payout"}),
                    transaction("txn_LsSecond", "payout", -PAYOUT_CENTS,
                                source={"id": second, "object": "payout"}),
                ]
            }
        )  # fmt: skip
        self.assert_applied(
            payout_event(
                "payout.paid", 3, id=second, status="paid", balance_transaction="txn_LsSecond"
            )
        )
        payout = self.bound("saas.stripe.payout", second)
        self.assertRecordValues(
            payout.line_ids,
            [
                {"transaction_id": "txn_LsFailure", "document": failure},
                {"transaction_id": "txn_LsSecond", "document": payout.move_id},
            ],
        )
        self.assertEqual(payout.unmatched_count, 0)
        self.assertNotIn(self.other_account, payout.move_id.line_ids.account_id)
        self.assertEqual(self.clearing_balance(), 0.0)
