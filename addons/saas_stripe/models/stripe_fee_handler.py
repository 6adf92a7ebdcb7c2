import logging
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from odoo import fields, models
from odoo.addons.saas_connector_base.lib.errors import PermanentError, TransientError
from odoo.exceptions import UserError

from ..lib.normalize import NormalizeError, normalize_object

_logger = logging.getLogger(__name__)


def fee_key(transaction_id):
    """External id binding a balance transaction's fee to the entry that booked it."""
    return f"{transaction_id}:fee"


class SaasStripeFeeHandler(models.AbstractModel):
    """Stripe fees in the books when Stripe takes them, not only when a payout settles them.

    Every balance transaction with a fee (a charge, a refund, a dispute, an instant payout…)
    gives fees expense / Stripe balance clearing account, summed per currency and per day of
    the transactions into one entry of the Stripe journal. Each transaction's fee is bound to
    the entry that booked it (``<transaction>:fee``), so that whichever comes first books it
    and the others leave it: the daily scheduled action (fees of the day before, so that a
    month's fees are in that month), a backfill of balance transactions, or the payout that
    settles the transaction (``stripe_payout_handler.py``).
    """

    _name = "saas.stripe.fee.handler"
    _inherit = "saas.stripe.handler"
    _description = "Stripe Fee Handler"

    _provider = "stripe"

    def _book_fees_until(self, backend, until=None):
        """Book the fees of the balance transactions created since the backend's last run
        and before ``until`` (a datetime in UTC, the start of today by default), read from
        the API. Returns the entries posted."""
        backend.ensure_one()
        until = until or datetime.combine(fields.Date.today(), time.min)
        since = backend.stripe_fees_booked_until or self._first_fee_day(backend, until)
        if since >= until:
            return self.env["account.move"]
        transactions = self._read_transactions(
            backend,
            backend._stripe_api().list(
                "balance_transactions",
                {"created": {"gte": _timestamp(since), "lt": _timestamp(until)}, "limit": 100},
            ),
        )
        moves = self._book_fees(backend, transactions)
        backend.stripe_fees_booked_until = until
        return moves

    def _book_daily_fees(self):
        """Each Stripe account with a fees account books the fees of the day before."""
        backends = self.env["saas.backend"].search(
            [("provider", "=", "stripe"), ("stripe_fee_account_id", "!=", False)]
        )
        for backend in backends:
            # One account's failure (an API outage, a missing setting) leaves the others'
            # entries alone; the next run books the days it missed.
            try:
                with self.env.cr.savepoint():
                    self._book_fees_until(backend)
            except (TransientError, UserError, PermanentError) as error:
                _logger.warning("Stripe fees of backend %s not booked: %s", backend.id, error)
                backend.message_post(body=self.env._("Stripe fees could not be booked: %s", error))

    def _first_fee_day(self, backend, until):
        """Where the first booking starts: the first day of the month before ``until`` ends
        (of the previous month on the 1st), or the backend's creation if later. Earlier fees
        belong to periods whose payouts booked them; an import of balance transactions
        brings those payouts did not."""
        month_start = datetime.combine((until - timedelta(days=1)).replace(day=1), time.min)
        return max(month_start, backend.create_date)

    def _read_transactions(self, backend, objects):
        """Balance transactions (API dicts) as ``lib/normalize`` objects."""
        try:
            return [normalize_object(obj) for obj in objects]
        except NormalizeError as error:
            raise PermanentError(
                self.env._("Unreadable Stripe balance transaction: %s", error)
            ) from None

    def _fee_entries(self, backend, transactions):
        """``{transaction id: entry}`` of the transactions among ``transactions`` whose fee an
        entry has booked."""
        keys = {fee_key(txn.id): txn.id for txn in transactions if txn.fee}
        entries = self.env["saas.binding"].lookup_many(backend, "account.move", keys)
        return {keys[key]: move for key, move in entries.items()}

    def _unbooked_fees(self, backend, transactions, fee_entries=None):
        """The transactions among ``transactions`` whose fee no entry has booked yet
        (``fee_entries``: their :meth:`_fee_entries`, when the caller has them)."""
        booked = self._fee_entries(backend, transactions) if fee_entries is None else fee_entries
        return [txn for txn in transactions if txn.fee and txn.id not in booked]

    def _bind_fees(self, backend, move, transactions):
        # A concurrent booking of the same fee surfaces here as a conflict: the job is
        # retried and then finds the fee booked.
        self.env["saas.binding"].bind_many(
            backend, move, [fee_key(transaction.id) for transaction in transactions]
        )

    def _fee_account(self, backend, document):
        if not backend.stripe_fee_account_id:
            raise PermanentError(
                self.env._(
                    "%(document)s cannot be booked: set the Stripe fees account of "
                    "%(backend)s (Stripe Accounting tab).",
                    document=document,
                    backend=backend.name,
                )
            )
        return backend.stripe_fee_account_id

    def _book_fees(self, backend, transactions):
        """Book the fees of ``transactions`` that are not booked yet: one posted entry per
        currency and day. Returns the entries."""
        backend.ensure_one()
        days = defaultdict(list)
        for transaction in self._unbooked_fees(backend, transactions):
            days[(transaction.currency, self._company_date(backend, transaction.created))].append(
                transaction
            )
        balances = self.env["saas.stripe.balance.handler"]
        moves = self.env["account.move"]
        for (currency_code, day), booked in sorted(days.items()):
            currency = self._currency(backend, currency_code)
            label = self.env._("Stripe fees of %s", fields.Date.to_string(day))
            move = (
                self.env["account.move"]
                .with_company(backend.company_id)
                .create(
                    balances._balance_move_values(
                        backend,
                        self.env["saas.stripe.payment.handler"]._payment_journal(backend),
                        day,
                        label,
                        [
                            (
                                self._fee_account(backend, label),
                                balances._balance_account(backend, currency),
                                currency,
                                sum(transaction.fee for transaction in booked),
                                self.env._(
                                    "%(label)s (%(count)s transactions)",
                                    label=label,
                                    count=len(booked),
                                ),
                            )
                        ],
                    )
                )
            )
            move.action_post()
            self._bind_fees(backend, move, booked)
            moves |= move
        return moves


def _timestamp(moment):
    return int(moment.replace(tzinfo=UTC).timestamp())
