"""Permutation invariance of the books: a generated Stripe book delivered in order, in random
orders, every event twice and shuffled, or with some events dropped and then recovered
through reconciliation and Re-sync, ends in the same ledger — and after each delivery the
books tie: per customer Odoo's receivable is Stripe's open amount, each deferred line billed
= deferred + recognized, the deferred revenue account holds the unrecognized schedules, and
each subscription's MRR is the sum of its active items.

Each delivery runs in a savepoint rolled back afterwards, so every one starts from the same
empty books. Events arrive in chunks, and the jobs that are due run between two chunks, the
way deliveries and processing interleave on a server; retries waiting for a later event wait
for it, and time is fast-forwarded only once everything has arrived.

Seeds are printed on failure; ``BOOK_SEEDS`` (``1,2,3`` or ``1-40``) overrides the ones
run, ``BOOK_PERMUTATIONS`` the number of random orders per seed, ``BOOK_DELIVERIES=all``
delivers every book in every way (``make soak``), ``BOOK_DELIVERIES=random`` (``twice``,
``dropped``) in one way."""

import logging
import os
import random
from contextlib import contextmanager
from datetime import UTC, datetime

from odoo.addons.saas_connector_base.lib.money import to_minor_units
from odoo.addons.saas_connector_base.tests.common import run_jobs
from odoo.addons.saas_stripe.tests.common import deliver
from odoo.addons.saas_stripe.tests.common_accounting import StripeAccountingCase
from odoo.fields import Command
from odoo.tests import tagged
from odoo.tools import date_utils

from .book_peer import serve_book
from .ledger import (
    ledger_difference,
    ledger_dump,
    receivable_by_customer,
    stripe_open_by_customer,
)
from .stripe_book import StripeBook

_logger = logging.getLogger(__name__)


def _seeds(default):
    text = os.environ.get("BOOK_SEEDS")
    if not text:
        return default
    if "-" in text:
        first, last = text.split("-")
        return range(int(first), int(last) + 1)
    return [int(seed) for seed in text.split(",")]


SEEDS = _seeds(range(1, 21))
PERMUTATIONS = int(os.environ.get("BOOK_PERMUTATIONS", "1"))
# "all", or one kind of delivery: "random", "twice" or "dropped".
DELIVERIES = os.environ.get("BOOK_DELIVERIES")
# A file the run appends its summary line to (``make soak`` prints it).
REPORT = os.environ.get("BOOK_REPORT")


@tagged("post_install", "-at_install")
class TestPermutationInvariance(StripeAccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        deferred = cls.env["account.account"].create(
            {"name": "Deferred Revenue", "code": "289100", "account_type": "liability_current"}
        )
        cls.company.write(
            {
                "saas_deferred_revenue_account_id": deferred.id,
                "saas_revenue_journal_id": cls.company_data["default_journal_misc"].id,
                "saas_revenue_basis": "days",
            }
        )
        cls.deferred_account = deferred
        accounts = cls.env["account.account"]
        cls.backend.write(
            {
                "name": "Book account",
                # Deliveries of a book arrive in any order: an event waiting for another
                # retries until it comes, however many times that takes.
                "max_attempts": 1000,
                "stripe_dispute_account_id": accounts.create(
                    {
                        "name": "Disputed Funds",
                        "code": "129100",
                        "account_type": "asset_current",
                        "reconcile": True,
                    }
                ).id,
                "stripe_dispute_loss_account_id": cls.company_data["default_account_expense"].id,
            }
        )

    def setUp(self):
        super().setUp()
        self.env.flush_all()

    # One book, one delivery ----------------------------------------------------------------
    def prepare(self, book):
        """What a finance user configures before the first event: the plans' products, bound
        to Stripe's, with deferred revenue on; the backend reading the book's account."""
        serve_book(self, self.backend, book)
        for price in book.prices:
            product = self.env["product.product"].create(
                {
                    "name": book.objects[price["product"]]["name"],
                    "type": "service",
                    "saas_defer_revenue": True,
                    "taxes_id": [Command.clear()],
                }
            )
            self.env["saas.binding"].bind(self.backend, product.product_tmpl_id, price["product"])

    def play(self, book, events, chunk_rng, close=True):
        """Deliver ``events`` in chunks, running the due jobs in between; then let time pass
        until every retry has run, and (``close``) recognize revenue up to the book's last
        month end."""
        position = 0
        while position < len(events):
            size = chunk_rng.randint(1, 12)
            deliver(self.env, self.backend, *events[position : position + size])
            position += size
            run_jobs(self.env(su=True), limit=10_000)
            if chunk_rng.random() < 0.25:
                # A slow delivery: the retries waiting meanwhile come due before the next
                # chunk arrives, as they do on a server under load.
                self.make_retries_due()
                run_jobs(self.env(su=True), limit=10_000)
        # Before a recovery, events whose prerequisite was dropped wait for it.
        self.drain(waiting_allowed=not close)
        until = date_utils.end_of(datetime.fromtimestamp(book.end, UTC).date(), "month")
        if close:
            self.env["saas.revenue.schedule"].recognize_until(until)
        return until

    def drain(self, rounds=60, waiting_allowed=False):
        """Run the jobs until none is left, time passing between rounds so that every retry
        comes due. ``waiting_allowed``: until a round settles no event, the events left
        waiting for a prerequisite that has not arrived (it was dropped)."""
        settled = None
        for _round in range(rounds):
            run_jobs(self.env(su=True), limit=10_000)
            self.env.cr.execute(
                "SELECT count(*) FROM queue_job WHERE state = 'pending' "
                "AND model_name = 'saas.backend'"
            )
            if not self.env.cr.fetchone()[0]:
                return
            self.env.cr.execute(
                "SELECT count(*) FROM saas_event WHERE state NOT IN ('received', 'queued')"
            )
            now_settled = self.env.cr.fetchone()[0]
            if waiting_allowed and now_settled == settled:
                return
            settled = now_settled
            self.make_retries_due()
        self.fail("the queue did not drain")

    def make_retries_due(self):
        """Time passes: every retry comes due."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE queue_job SET eta = NULL WHERE state = 'pending' "
            "AND model_name = 'saas.backend'"
        )
        self.env.cr.execute(
            "UPDATE saas_event SET next_attempt_at = NULL "
            "WHERE state IN ('received', 'queued') AND next_attempt_at IS NOT NULL"
        )
        self.env.invalidate_all()

    def outcome(self, book, events, chunk_seed, recover=False):
        """The ledger a delivery of ``events`` ends in, checked against the invariants; the
        delivery itself is rolled back."""
        savepoint = self.env.cr.savepoint()
        try:
            # Lost events are recovered as part of the month-end close: reconcile, Re-sync,
            # then recognize.
            until = self.play(book, events, random.Random(chunk_seed), close=not recover)
            if recover:
                self.recover(book)
                until = self.play(book, [], random.Random(chunk_seed))
            self.assertNoFailedEvents()
            self.assertBooksTie(book, until)
            return ledger_dump(self.env, self.backend)
        finally:
            self.env.flush_all()
            savepoint.close(rollback=True)
            self.env.invalidate_all()

    def recover(self, book):
        """What a finance user does after events were lost: reconcile the book's period,
        Re-sync every drift line, then replay what failed meanwhile."""
        run = self.env["saas.reconciliation.run"].create(
            {
                "backend_id": self.backend.id,
                "date_from": datetime.fromtimestamp(book.start - 86_400, UTC).date(),
                "date_to": datetime.fromtimestamp(book.end, UTC).date(),
            }
        )
        run.action_run()
        self.assertEqual(run.state, "done", run.note)
        drift = run.drift_ids.filtered(lambda line: line.state == "open")
        if drift:
            drift.action_resync()
        self.drain()
        self.env["saas.event"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "failed")]
        ).action_replay()
        self.drain()

    # Invariants ------------------------------------------------------------------------
    def assertNoFailedEvents(self):
        failed = self.env["saas.event"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "failed")]
        )
        self.assertFalse(
            failed,
            "\n".join(f"{e.external_id} {e.event_type}: {e.last_error}" for e in failed[:10])
            + "\n"
            + (failed[:1].sudo().error_details or ""),
        )

    def assertBooksTie(self, book, until):
        # Per customer and currency, Odoo's receivable is what Stripe shows open.
        self.assertEqual(
            receivable_by_customer(self.env, self.backend), stripe_open_by_customer(book)
        )
        # Per deferred line, billed = deferred + recognized, to the cent.
        company_currency = self.company.currency_id.name
        minor = lambda amount: to_minor_units(amount, company_currency)  # noqa: E731
        schedules = self.env["saas.revenue.schedule"].search(
            [("company_id", "=", self.company.id)]
        )
        self.assertTrue(schedules, "deferred revenue must have schedules")
        for line in schedules.move_line_id:
            line_schedules = schedules.filtered(lambda s, line=line: s.move_line_id == line)
            billed = -minor(line.balance)
            self.assertEqual(sum(minor(s.amount) for s in line_schedules), billed)
            self.assertEqual(
                sum(minor(s.deferred_amount) + minor(s.recognized_amount) for s in line_schedules),
                billed,
            )
        # The deferred revenue account holds what the schedules have not recognized.
        balance = sum(
            minor(line.balance)
            for line in self.env["account.move.line"].search(
                [("account_id", "=", self.deferred_account.id), ("parent_state", "=", "posted")]
            )
        )
        unrecognized = sum(
            minor(line.amount) for line in schedules.line_ids if line.state == "planned"
        )
        self.assertEqual(-balance, unrecognized)
        # MRR is the sum of the active items.
        for subscription in self.env["saas.subscription"].search(
            [("backend_id", "=", self.backend.id)]
        ):
            items = sum(subscription.item_ids.mapped("mrr"))
            expected = items if subscription.state in ("active", "trialing", "past_due") else 0
            self.assertAlmostEqual(subscription.mrr_in_currency, expected, places=2)

    # The property ------------------------------------------------------------------------
    def deliveries(self, book, seed):
        """``(name, events, recover)`` of each delivery compared with the in-order one. In
        ``make test`` a book gets one of them, in turn; ``BOOK_DELIVERIES=all`` gives every
        book all of them, with ``BOOK_PERMUTATIONS`` random orders."""
        rng = random.Random(seed)
        events = book.events
        dropped = set(rng.sample(range(len(events)), max(1, len(events) // 20)))
        variants = [
            *(
                ("random", f"random order {n + 1}", rng.sample(events, len(events)), False)
                for n in range(PERMUTATIONS)
            ),
            (
                "twice",
                "every event twice, shuffled",
                rng.sample(events * 2, 2 * len(events)),
                False,
            ),
            (
                "dropped",
                f"{len(dropped)} events dropped, recovered by reconciliation and Re-sync",
                [event for index, event in enumerate(events) if index not in dropped],
                True,
            ),
        ]
        if DELIVERIES == "all":
            chosen = variants
        elif DELIVERIES:
            chosen = [variant for variant in variants if variant[0] == DELIVERIES]
        else:
            chosen = [variants[seed % len(variants)]]
        return [variant[1:] for variant in chosen]

    def assertSameLedger(self, in_order, other, delivery):
        difference = ledger_difference(in_order, other)
        if difference:
            self.fail(f"{delivery}: the ledger differs from the in-order delivery's\n{difference}")

    def test_any_delivery_of_a_book_ends_in_the_same_ledger(self):
        held, failed = 0, []
        for seed in SEEDS:
            book_held, book_failed = self.deliver_book(seed)
            held += book_held
            failed += book_failed
            # A long run reports as it goes, so that one cut short still tells what held.
            self.report(
                f"book {seed}: {book_held} of {book_held + len(book_failed)} held"
                + (f"; failed: {', '.join(book_failed)}" if book_failed else "")
            )
        summary = (
            f"permutation invariance: {held} of {held + len(failed)} deliveries of "
            f"{len(SEEDS)} books held" + (f"; failed: {', '.join(failed)}" if failed else "")
        )
        _logger.info(summary)
        self.report(summary)

    def deliver_book(self, seed):
        """Every delivery of book ``seed`` compared with its in-order one: how many held, and
        the names of those that did not."""
        held, failed = 0, []
        book = StripeBook(seed)
        self.prepare(book)
        in_order = None
        with (
            self.subTest(seed=seed, delivery="in order"),
            self.reporting_failure(seed, "in order"),
        ):
            # The in-order delivery must keep the invariants too.
            in_order = self.outcome(book, book.events, seed)
            held += 1
        if in_order is None:
            return held, [f"{seed} (in order)"]
        for name, events, recover in self.deliveries(book, seed):
            compared = False
            with self.subTest(seed=seed, delivery=name), self.reporting_failure(seed, name):
                self.assertSameLedger(
                    in_order,
                    self.outcome(book, events, seed + 1, recover=recover),
                    f"book {seed}, {name}",
                )
                compared = True
                held += 1
            if not compared:
                failed.append(f"{seed} ({name})")
        return held, failed

    @contextmanager
    def reporting_failure(self, seed, delivery):
        """Write why a delivery did not hold to the report as it happens: a long run cut
        short, or one whose failures arise only under load, keeps the reason."""
        try:
            yield
        except Exception as error:
            self.report(
                f"book {seed}, {delivery} did not hold:\n    "
                + "\n    ".join(str(error).splitlines()[:40])
            )
            raise

    @staticmethod
    def report(line):
        if REPORT:
            with open(REPORT, "a", encoding="utf-8") as report:
                report.write(line + "\n")
