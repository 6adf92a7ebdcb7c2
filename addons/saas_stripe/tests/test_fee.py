"""Stripe's fees in the books on the day Stripe takes them: the daily booking reads the
account's balance transactions of the days before, a backfill of balance transactions books
those of the past, and a payout books only the fees nobody booked before it — each fee once,
whichever comes first.

The balance transactions are Stripe's example balance transaction (OpenAPI fixtures) made the
transactions of the payout scenario (``test_payout``), plus a dispute fee and a USD charge on the
next day. Stripe's API is played over HTTP by ``stripe_api_peer``: ``GET
/v1/balance_transactions`` filtered by ``created`` as Stripe does, or by ``payout``.
"""

from datetime import UTC, date, datetime

from odoo import fields
from odoo.addons.queue_job.job import Job
from odoo.addons.saas_connector_base.lib.errors import PermanentError
from odoo.tests import tagged

from .test_backfill import list_answer
from .test_payout import (
    ARRIVAL,
    PAYOUT_ID,
    TRANSACTIONS,
    TRANSACTIONS_PATH,
    StripeBalanceCase,
    balance_transactions,
    payout_event,
    transaction,
)

DAY = 86400
# 2017-10-02: a dispute fee, and a charge of the USD balance.
DISPUTE_FEE = {
    **transaction("txn_LsDisputeFee", "adjustment", -1500, fee=1500),
    "created": ARRIVAL,
}
USD_CHARGE = {
    **transaction("txn_LsUsdCharge", "charge", 2000, fee=89),
    "currency": "usd",
    "created": ARRIVAL,
}
# 2017-10-05: after the period the tests book.
LATER_FEE = {**transaction("txn_LsLater", "charge", 1000, fee=59), "created": ARRIVAL + 3 * DAY}
ACCOUNT = [*TRANSACTIONS, DISPUTE_FEE, USD_CHARGE, LATER_FEE]


def unix(moment):
    """A naive UTC datetime as the Unix time a query string carries."""
    return str(int(moment.replace(tzinfo=UTC).timestamp()))


def account_transactions(account, payouts):
    """``GET /v1/balance_transactions``: the transactions of a payout when one is asked for,
    else those of the account created in the asked range, newest first as Stripe lists them."""
    by_payout = balance_transactions(payouts)

    def answer(query):
        if "payout" in query:
            return by_payout(query)
        since = int(query.get("created[gte]", 0))
        until = int(query.get("created[lt]", 2**40))
        listed = [txn for txn in account if since <= txn["created"] < until]
        listed.sort(key=lambda txn: -txn["created"])
        return list_answer(listed, TRANSACTIONS_PATH)(query)

    return answer


@tagged("post_install", "-at_install")
class TestStripeFees(StripeBalanceCase):
    def setUp(self):
        super().setUp()
        self.peer.answers[TRANSACTIONS_PATH] = account_transactions(
            ACCOUNT, {PAYOUT_ID: TRANSACTIONS}
        )
        self.backend.stripe_fees_booked_until = datetime(2017, 9, 1)

    def book_until(self, moment):
        return self.env["saas.stripe.fee.handler"]._book_fees_until(self.backend, until=moment)

    def fee_entries(self):
        return self.env["account.move"].search(
            [("ref", "=like", "Stripe fees of %"), ("company_id", "=", self.company.id)],
            order="date, id",
        )

    def fee_amounts(self, move):
        """``{account: amount in the entry's currency}`` of an entry."""
        amounts = {}
        for line in move.line_ids:
            amounts[line.account_id] = round(
                amounts.get(line.account_id, 0.0) + line.amount_currency, 2
            )
        return amounts

    def test_fees_are_booked_per_currency_on_the_day_stripe_takes_them(self):
        moves = self.book_until(datetime(2017, 10, 3))
        usd_clearing = self.env["saas.stripe.balance.handler"]._balance_account(
            self.backend, "USD"
        )
        self.assertEqual(moves, self.fee_entries())
        self.assertEqual(
            [
                (str(move.date), move.line_ids.currency_id.name, self.fee_amounts(move))
                for move in moves
            ],
            [
                ("2017-10-01", "EUR", {self.fee_account: 2.54, self.clearing: -2.54}),
                ("2017-10-02", "EUR", {self.fee_account: 15.0, self.clearing: -15.0}),
                ("2017-10-02", "USD", {self.fee_account: 0.89, usd_clearing: -0.89}),
            ],
        )
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        self.assertEqual(moves.journal_id, self.backend.stripe_payment_journal_id)
        # 77.35 received, 20.00 refunded, 2.54 and 15.00 taken by Stripe.
        self.assertEqual(self.clearing_balance(), 39.81)
        self.assertEqual(self.backend.stripe_fees_booked_until, datetime(2017, 10, 3))
        # Stripe was asked for exactly the period, in pages.
        first = next(query for path, query in self.peer.requests if path == TRANSACTIONS_PATH)
        self.assertEqual(
            (first["created[gte]"], first["created[lt]"]),
            (
                unix(datetime(2017, 9, 1)),
                unix(datetime(2017, 10, 3)),
            ),
        )

    def test_each_fee_is_booked_once(self):
        first = self.book_until(datetime(2017, 10, 3))
        self.assertFalse(self.book_until(datetime(2017, 10, 3)), "nothing new in the period")
        # The same period read again (a restored setting, an overlapping range): nothing more.
        self.backend.stripe_fees_booked_until = datetime(2017, 9, 1)
        later = self.book_until(datetime(2017, 10, 6))
        self.assertEqual(len(later), 1)
        self.assertEqual(self.fee_amounts(later)[self.fee_account], 0.59)
        self.assertEqual(self.fee_entries(), first | later)

    def test_payout_settles_the_fees_booked_before_it_without_booking_them_again(self):
        fees = self.book_until(datetime(2017, 10, 2))
        self.assertEqual(len(fees), 1)
        self.assert_applied(payout_event("payout.paid", status="paid"))
        move = self.payout().move_id
        self.assertNotIn(self.fee_account, move.line_ids.account_id)
        self.assertEqual(self.payout().fee_total, 2.54, "the payout still shows what it settles")
        # Payment, refund, fee and payout: the balance is empty and every line of it settled.
        self.assertEqual(self.clearing_balance(), 0.0)
        settled = (self.payment.move_id | self.refund.move_id | fees | move).line_ids.filtered(
            lambda line: line.account_id == self.clearing
        )
        self.assertTrue(all(settled.mapped("reconciled")))

    def test_fees_a_payout_booked_are_left_to_it(self):
        self.assert_applied(payout_event("payout.paid", status="paid"))
        self.assertIn(self.fee_account, self.payout().move_id.line_ids.account_id)
        moves = self.book_until(datetime(2017, 10, 3))
        self.assertEqual([str(move.date) for move in moves], ["2017-10-02", "2017-10-02"])
        self.assertEqual(self.clearing_balance(), -15.0)  # the dispute fee, not paid out yet

    def test_backfill_of_balance_transactions_books_the_fees_of_the_past(self):
        run = self.backend.backfill(
            date_from=datetime(2017, 10, 1),
            date_to=datetime(2017, 10, 3),
            object_types=["balance_transactions"],
        )
        # The job runner's privilege, as in ``run_jobs``.
        for record in self.env(su=True)["queue.job"].search([("model_name", "=", run._name)]):
            Job.load(self.env, record.uuid).perform()
        self.assertEqual(run.state, "done", run.last_error)
        self.assertRecordValues(run.line_ids, [{"read_count": 7, "done_count": 6}])
        self.assertEqual(
            [(str(move.date), move.line_ids.currency_id.name) for move in self.fee_entries()],
            [("2017-10-01", "EUR"), ("2017-10-02", "EUR"), ("2017-10-02", "USD")],
        )

    def test_daily_scheduled_action_books_the_days_before(self):
        today = fields.Date.today()
        self.backend.stripe_fees_booked_until = datetime(2017, 10, 2)
        without_fee_account = self.backend.copy({"name": "No fees account"})
        without_fee_account.stripe_fee_account_id = False
        self.env["saas.backend"]._cron_stripe_book_fees()
        self.assertEqual(
            [str(move.date) for move in self.fee_entries()],
            ["2017-10-02", "2017-10-02", "2017-10-05"],
        )
        self.assertEqual(
            self.backend.stripe_fees_booked_until, datetime.combine(today, datetime.min.time())
        )
        self.assertFalse(without_fee_account.stripe_fees_booked_until)

    def test_first_booking_starts_with_the_month(self):
        """Without a previous run, the month of the day before ``until`` is booked: earlier
        periods' fees came with their payouts."""
        self.env.cr.execute(
            "UPDATE saas_backend SET create_date = '2017-01-01' WHERE id = %s", [self.backend.id]
        )
        self.backend.invalidate_recordset(["create_date"])
        self.backend.stripe_fees_booked_until = False
        moves = self.book_until(datetime(2017, 10, 2))
        first = next(query for path, query in self.peer.requests if path == TRANSACTIONS_PATH)
        self.assertEqual(first["created[gte]"], unix(datetime(2017, 10, 1)))
        self.assertEqual([str(move.date) for move in moves], ["2017-10-01"])
        # On the 1st of a month, the month before.
        self.backend.stripe_fees_booked_until = False
        self.peer.requests.clear()
        self.book_until(datetime(2017, 10, 1))
        first = next(query for path, query in self.peer.requests if path == TRANSACTIONS_PATH)
        self.assertEqual(first["created[gte]"], unix(datetime(2017, 9, 1)))

    def test_missing_fees_account_is_named(self):
        self.backend.stripe_fee_account_id = False
        with self.assertRaisesRegex(PermanentError, "set the Stripe fees account"):
            self.book_until(datetime(2017, 10, 3))
        self.assertFalse(self.fee_entries())
        self.assertEqual(date(2017, 9, 1), self.backend.stripe_fees_booked_until.date())
