from odoo import fields, models
from odoo.addons.saas_connector_base.lib.errors import PermanentError
from odoo.fields import Command

# A payout only moves forward; a paid payout may still fail (its money comes back).
PAYOUT_PROGRESS = {"pending": 0, "in_transit": 1, "paid": 2, "failed": 3, "canceled": 3}
# Events that say what became of the payout, whatever status their payload shows.
PAYOUT_EVENT_STATES = {
    "payout.paid": "paid",
    "payout.failed": "failed",
    "payout.canceled": "canceled",
}


class SaasStripePayoutHandler(models.AbstractModel):
    """Stripe payouts → one journal entry per paid payout, in the payout's bank journal.

    ``payout.created|updated`` record the payout (``saas.stripe.payout``). ``payout.paid``
    lists the balance transactions the payout settles (only an automatic payout can: Stripe
    does not tie a manual one to transactions) and posts one entry:

    - the fees Stripe took on those transactions (charges, refunds, disputes, the payout
      itself) that are not booked yet (``stripe_fee_handler.py``): fees expense account / Stripe
      balance clearing account;
    - each transaction no Odoo document stands for (Stripe's own fees billed on the balance,
      manual adjustments, a charge outside Billing…): other Stripe movements account /
      clearing account, so that the clearing account keeps mirroring the balance, and the
      payout shows it as a line without document for finance to look at;
    - the payout amount: clearing account / outstanding receipts of the bank journal, which
      is the one line the bank statement line of the payout is matched with.

    The entry's clearing lines are reconciled with those of the payments, refunds and dispute
    entries the payout settles, so that their money is known to have reached the bank.

    A payout failing after it was paid gets a second entry taking its amount back from the
    bank to the Stripe balance (Stripe credits the balance back); failing before, nothing is
    booked. Each entry is bound to the payout's balance transaction (and its failure's), so
    that a later payout settling them recognizes them.
    """

    _name = "saas.stripe.payout.handler"
    _inherit = "saas.stripe.handler"
    _description = "Stripe Payout Handler"

    _provider = "stripe"
    _handles = {
        "payout.created": "_payout_event",
        "payout.updated": "_payout_event",
        "payout.paid": "_payout_event",
        "payout.failed": "_payout_event",
        "payout.canceled": "_payout_event",
    }

    # ---------------------------------------------------------------------------------------
    # Handler
    # ---------------------------------------------------------------------------------------
    def _payout_event(self, backend, event):
        payout = self._event_object(backend, event)
        state = PAYOUT_EVENT_STATES.get(event.event_type, payout.status)
        if state not in PAYOUT_PROGRESS:
            raise PermanentError(
                self.env._(
                    "Payout %(payout)s has an unknown status %(status)s.",
                    payout=payout.id,
                    status=state,
                )
            )
        record = self._payout_record(backend, payout)
        if PAYOUT_PROGRESS[state] < PAYOUT_PROGRESS[record.state] or record.state in (
            "failed",
            "canceled",
        ):
            # An older state reported late, or news of a payout that is over.
            return record
        if state == "paid" and not record.move_id:
            self._post_payout(backend, record, payout)
        elif state == "failed" and record.move_id and not record.failure_move_id:
            self._post_payout_failure(backend, record, payout)
        values = {
            "state": state,
            "amount": payout.amount,
            "arrival_date": self._company_date(backend, payout.arrival_date),
        }
        if state == "failed":
            values["failure_message"] = payout.failure_message or payout.failure_code
        record.write(values)
        return [record, record.move_id, record.failure_move_id]

    def _payout_record(self, backend, payout):
        return self.env["saas.binding"].lookup_or_create(
            backend,
            "saas.stripe.payout",
            payout.id,
            lambda: {
                "name": payout.id,
                "backend_id": backend.id,
                "currency_id": self._currency(backend, payout.currency).id,
                "amount": payout.amount,
                "automatic": payout.automatic,
                "arrival_date": self._company_date(backend, payout.arrival_date),
            },
        )

    # ---------------------------------------------------------------------------------------
    # Entries
    # ---------------------------------------------------------------------------------------
    def _post_payout(self, backend, record, payout):
        balance = self.env["saas.stripe.balance.handler"]._balance(backend, record.currency_id)
        journal = balance.payout_journal_id
        if not journal:
            raise PermanentError(
                self.env._(
                    "Payout %(payout)s cannot be booked: set the payout bank journal of the "
                    "%(currency)s Stripe balance of %(backend)s (Stripe Accounting tab).",
                    payout=payout.id,
                    currency=record.currency_id.name,
                    backend=backend.name,
                )
            )
        transactions = self._payout_transactions(backend, payout) if payout.automatic else []
        clearing = balance.account_id
        currency = record.currency_id
        transfers = []
        documents = []
        for transaction in transactions:
            is_transfer = _is_transfer_of(transaction, payout)
            document = False if is_transfer else self._transaction_document(backend, transaction)
            documents.append(document)
            if not document and not is_transfer and transaction.amount:
                transfers.append(
                    (
                        clearing,
                        self._other_balance_account(backend, payout),
                        currency,
                        transaction.amount,
                        self.env._(
                            "%(transaction)s %(type)s %(origin)s",
                            transaction=transaction.id,
                            type=transaction.type,
                            origin=transaction.source_id or transaction.description or "",
                        ),
                    )
                )
        # Fees the daily booking or a backfill already booked stay where they are.
        fee_handler = self.env["saas.stripe.fee.handler"]
        fee_entries = fee_handler._fee_entries(backend, transactions)
        unbooked_fees = fee_handler._unbooked_fees(backend, transactions, fee_entries)
        fees = sum(transaction.fee for transaction in unbooked_fees)
        if fees:
            transfers.append(
                (
                    fee_handler._fee_account(backend, self.env._("Payout %s", payout.id)),
                    clearing,
                    currency,
                    fees,
                    self.env._("Stripe fees settled by %s", payout.id),
                )
            )
        transfers.append(
            (
                self._bank_outstanding_account(backend, journal),
                clearing,
                currency,
                payout.amount,
                self.env._("Stripe payout %s", payout.id),
            )
        )
        move = (
            self.env["account.move"]
            .with_company(backend.company_id)
            .create(
                self.env["saas.stripe.balance.handler"]._balance_move_values(
                    backend,
                    journal,
                    self._company_date(backend, payout.arrival_date or payout.created)
                    or fields.Date.today(),
                    self.env._("Stripe payout %s", payout.id),
                    transfers,
                )
            )
        )
        move.action_post()
        record.write(
            {
                "journal_id": journal.id,
                "move_id": move.id,
                "line_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "transaction_id": transaction.id,
                            "type": transaction.type,
                            "amount": transaction.amount,
                            "fee": transaction.fee,
                            "net": transaction.net,
                            "source_id": transaction.source_id,
                            "description": transaction.description,
                            # The payout's own transaction is the entry's transfer.
                            "document": _reference(
                                move if _is_transfer_of(transaction, payout) else document
                            ),
                        }
                    )
                    for transaction, document in zip(transactions, documents, strict=True)
                ],
            }
        )
        bindings = self.env["saas.binding"]
        bindings.bind(backend, move, payout.id)
        if payout.balance_transaction_id:
            bindings.bind(backend, move, payout.balance_transaction_id)
        fee_handler._bind_fees(backend, move, unbooked_fees)
        # The fee entries of the settled transactions too: the payout empties the balance of
        # all that Stripe booked on them.
        settled = self.env["account.move"].union(*fee_entries.values())
        for document in filter(None, documents):
            settled |= document.move_id if document._name == "account.payment" else document
        if settled:
            (move | settled).line_ids.filtered(
                lambda line: line.account_id == clearing and not line.reconciled
            ).reconcile()
        return move

    def _post_payout_failure(self, backend, record, payout):
        """Take a paid payout's amount back from the bank to the Stripe balance."""
        outstanding = self._bank_outstanding_account(backend, record.journal_id)
        transfer = record.move_id.line_ids.filtered(lambda line: line.account_id == outstanding)
        reason = payout.failure_message or payout.failure_code or self.env._("no reason given")
        move = (
            self.env["account.move"]
            .with_company(backend.company_id)
            .create(
                self.env["saas.stripe.balance.handler"]._balance_move_values(
                    backend,
                    record.journal_id,
                    fields.Date.context_today(backend),
                    self.env._("Stripe payout %s failed", payout.id),
                    [
                        (
                            self.env["saas.stripe.balance.handler"]._balance_account(
                                backend, record.currency_id
                            ),
                            outstanding,
                            record.currency_id,
                            payout.amount,
                            self.env._(
                                "Stripe payout %(payout)s failed: %(reason)s",
                                payout=payout.id,
                                reason=reason,
                            ),
                        )
                    ],
                )
            )
        )
        move.action_post()
        record.failure_move_id = move
        if payout.failure_balance_transaction_id:
            self.env["saas.binding"].bind(backend, move, payout.failure_balance_transaction_id)
        # The bank never received the money: the payout's transfer and its undoing cancel out.
        (transfer + move.line_ids).filtered(
            lambda line: line.account_id == outstanding and not line.reconciled
        ).reconcile()
        return move

    # ---------------------------------------------------------------------------------------
    # Lookups
    # ---------------------------------------------------------------------------------------
    def _payout_transactions(self, backend, payout):
        """The balance transactions an automatic payout settles, from the Stripe API, with
        their sources expanded (a charge names its payment intent, to which Odoo binds the
        payment)."""
        return self.env["saas.stripe.fee.handler"]._read_transactions(
            backend,
            backend._stripe_api().list(
                "balance_transactions",
                {"payout": payout.id, "expand": ["data.source"], "limit": 100},
            ),
        )

    def _transaction_document(self, backend, transaction):
        """The Odoo document standing for a balance transaction: an entry bound to the
        transaction itself (dispute, earlier payout or its failure), else the payment or refund
        bound to its source (a charge's payment is bound to its payment intent when it has
        one); False when there is none."""
        bindings = self.env["saas.binding"]
        document = bindings.lookup(backend, "account.move", transaction.id)
        for key in (transaction.source_id, transaction.source_payment_intent_id):
            if not document and key:
                document = bindings.lookup(backend, "account.payment", key)
        return document or False

    def _other_balance_account(self, backend, payout):
        if not backend.stripe_other_balance_account_id:
            raise PermanentError(
                self.env._(
                    "Payout %(payout)s settles balance transactions no Odoo document stands "
                    "for: set the other Stripe movements account of %(backend)s (Stripe "
                    "Accounting tab) to book them.",
                    payout=payout.id,
                    backend=backend.name,
                )
            )
        return backend.stripe_other_balance_account_id

    def _bank_outstanding_account(self, backend, journal):
        """Where a payout waits for its bank statement line: the bank journal's outstanding
        receipts account, the company's default one if the journal has none."""
        account = journal.inbound_payment_method_line_ids.payment_account_id[:1]
        account = account or (
            self.env["account.chart.template"]
            .with_company(journal.company_id)
            .ref("account_journal_payment_debit_account_id", raise_if_not_found=False)
        )
        if not account:
            raise PermanentError(
                self.env._(
                    "Set the outstanding receipts account of bank journal %s: Stripe payouts "
                    "wait there for their bank statement line.",
                    journal.display_name,
                )
            )
        return account


def _is_transfer_of(transaction, payout):
    """Whether ``transaction`` is the payout's own movement (the transfer to the bank)."""
    return transaction.type == "payout" and transaction.source_id == payout.id


def _reference(record):
    """The value of a Reference field pointing at ``record`` (False for no record)."""
    return f"{record._name},{record.id}" if record else False
