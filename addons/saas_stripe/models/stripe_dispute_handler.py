from collections import defaultdict
from datetime import UTC
from decimal import Decimal

from odoo import fields, models
from odoo.addons.saas_connector_base.lib.errors import PermanentError
from odoo.fields import Command
from odoo.tools import format_amount

from ..lib.normalize import DISPUTE_CLOSED, DISPUTE_NEEDS_RESPONSE
from .stripe_subscription_handler import _naive


class SaasStripeDisputeHandler(models.AbstractModel):
    """Stripe disputes → ``saas.stripe.dispute`` records and the entries of the money they move.

    Every ``charge.dispute.*`` event carries the whole dispute, whose ``balance_transactions``
    list every movement of its money on the Stripe balance so far. The books follow that list,
    not the event type, so that events arriving late, twice or out of order end in the same
    entries: each balance transaction is one entry bound to its ``txn_…`` id — the disputed
    amount withdrawn (debit the disputed funds account, credit the Stripe balance) or
    reinstated (the reverse, for what Stripe gave back). The dispute fee on the same balance
    transaction is booked with the other fees (``stripe_fee_handler.py``).

    A lost dispute's money is gone: what stays withdrawn moves from the disputed funds account
    to a loss, as an expense or as contra revenue depending on the backend's policy. A won
    dispute needs nothing more: Stripe reinstates the funds, which is a balance transaction
    like the others. Inquiries (``warning_*``) move no money. A dispute's lines on the disputed
    funds account are reconciled once they cancel out (when the account allows it), so that
    its open items are the open disputes.

    While Stripe waits for evidence, the backend's responsible has a to-do on the dispute due
    on Stripe's deadline; it is marked done when the dispute moves on.
    """

    _name = "saas.stripe.dispute.handler"
    _inherit = "saas.stripe.handler"
    _description = "Stripe Dispute Handler"

    _provider = "stripe"
    _handles = dict.fromkeys(
        (
            "charge.dispute.created",
            "charge.dispute.updated",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.funds_reinstated",
            "charge.dispute.closed",
        ),
        "_dispute_changed",
    )

    # ---------------------------------------------------------------------------------------
    # Handler
    # ---------------------------------------------------------------------------------------
    def _dispute_changed(self, backend, event):
        dispute = self._event_object(backend, event)
        record = self._dispute_record(backend, dispute)
        moves = self._dispute_funds_moves(backend, record, dispute)
        if record.status == "lost":
            moves |= self._dispute_loss(backend, record, dispute, event)
        new_moves = moves - record.move_ids
        if new_moves:
            record.move_ids = [Command.link(move.id) for move in new_moves]
            self._dispute_reconcile(backend, record)
        self._dispute_evidence_activity(backend, record)
        self.env["saas.binding"].bind(backend, record, dispute.id, updated=event.source_created)
        return [record, moves]

    # ---------------------------------------------------------------------------------------
    # The dispute record
    # ---------------------------------------------------------------------------------------
    def _dispute_record(self, backend, dispute):
        bindings = self.env["saas.binding"]
        values = {
            "reason": dispute.reason,
            "amount": dispute.amount,
            "currency_id": self._currency(backend, dispute.currency).id,
            "disputed_at": _naive(dispute.created),
            "evidence_due_by": _naive(dispute.evidence_due_by),
            "is_charge_refundable": dispute.is_charge_refundable,
            "charge_ref": dispute.charge_id,
            "payment_intent_ref": dispute.payment_intent_id,
        }
        known = bindings.lookup(backend, "saas.stripe.dispute", dispute.id)
        record = known or bindings.lookup_or_create(
            backend,
            "saas.stripe.dispute",
            dispute.id,
            lambda: {
                **values,
                **self._disputed_documents(backend, dispute),
                "backend_id": backend.id,
                "name": dispute.id,
                "status": dispute.status,
            },
        )
        if not known and not record.payment_id:
            record.message_post(
                body=self.env._(
                    "The disputed payment (%s) is not in Odoo: the dispute and its funds are "
                    "booked without it.",
                    dispute.payment_intent_id or dispute.charge_id,
                )
            )
        # A closed dispute stays closed: an event of the same second cannot reopen it.
        if record.status not in DISPUTE_CLOSED or dispute.closed:
            values["status"] = dispute.status
        if not record.payment_id:
            values.update(
                {
                    key: value
                    for key, value in self._disputed_documents(backend, dispute).items()
                    if value
                }
            )
        record.write(values)
        return record

    def _dispute_payment_found(self, backend, payment, external_ids):
        """A dispute that came before its payment gets the payment, its invoice and customer
        once the payment is recorded, as if it had come after."""
        disputes = self.env["saas.stripe.dispute"].search(
            [
                ("backend_id", "=", backend.id),
                ("payment_id", "=", False),
                "|",
                ("charge_ref", "in", external_ids),
                ("payment_intent_ref", "in", external_ids),
            ]
        )
        for dispute in disputes:
            invoice = payment.invoice_ids[:1] or dispute.invoice_id
            dispute.write(
                {
                    "payment_id": payment.id,
                    "invoice_id": invoice.id,
                    "partner_id": (payment.partner_id or invoice.commercial_partner_id).id,
                }
            )
            dispute.message_post(
                body=self.env._("The disputed payment is now in Odoo: %s.", payment.display_name)
            )

    def _disputed_documents(self, backend, dispute):
        """The disputed payment, its invoice and customer, as far as Odoo knows them."""
        bindings = self.env["saas.binding"]
        # Payments are bound to their payment intent, else to their charge.
        payment = bindings.lookup(backend, "account.payment", dispute.payment_intent_id or "")
        payment = payment or bindings.lookup(backend, "account.payment", dispute.charge_id or "")
        invoice = payment.invoice_ids[:1] or bindings.lookup(
            backend, "account.move", dispute.invoice_id or ""
        )
        partner = payment.partner_id or invoice.commercial_partner_id
        if not partner and dispute.customer_id:
            partner = bindings.lookup(backend, "res.partner", dispute.customer_id)
        return {"payment_id": payment.id, "invoice_id": invoice.id, "partner_id": partner.id}

    def _dispute_evidence_activity(self, backend, record):
        """A to-do for finance while Stripe waits for evidence, due on its deadline."""
        evidence = self.env.ref("saas_stripe.mail_activity_type_dispute_evidence")
        activities = record.activity_ids.filtered(
            lambda activity: activity.activity_type_id == evidence
        )
        if record.status in DISPUTE_NEEDS_RESPONSE and record.evidence_due_by:
            deadline = self._company_date(backend, record.evidence_due_by)
            if activities:
                activities.filtered(
                    lambda activity: activity.date_deadline != deadline
                ).date_deadline = deadline
                return
            record.activity_schedule(
                activity_type_id=evidence.id,
                user_id=(backend.responsible_id or self.env.ref("base.user_admin")).id,
                date_deadline=deadline,
                summary=self.env._("Submit evidence for Stripe dispute %s", record.name),
                note=self.env._(
                    "The cardholder's bank disputes %(amount)s (%(reason)s). Submit evidence "
                    "in Stripe before the deadline, or accept the dispute.",
                    amount=format_amount(self.env, record.amount, record.currency_id),
                    reason=record.reason or self.env._("no reason given"),
                ),
            )
        elif activities:
            status = dict(record._fields["status"]._description_selection(self.env))
            activities.action_feedback(
                feedback=self.env._("The dispute is now: %s.", status[record.status])
            )

    # ---------------------------------------------------------------------------------------
    # Accounting
    # ---------------------------------------------------------------------------------------
    def _dispute_funds_moves(self, backend, record, dispute):
        """One posted entry per balance transaction of the dispute, each made once."""
        moves = self.env["account.move"]
        for transaction in dispute.balance_transactions:
            moves |= self._dispute_entry(
                backend,
                transaction.id,
                lambda transaction=transaction: self._dispute_funds_move_values(
                    backend, record, transaction
                ),
            )
        return moves

    def _dispute_funds_move_values(self, backend, record, transaction):
        balance_account = self.env["saas.stripe.balance.handler"]._balance_account(
            backend, transaction.currency
        )
        dispute_account = self._dispute_account(backend)
        currency = self._currency(backend, transaction.currency)
        if transaction.amount < 0:
            ref = self.env._(
                "Dispute %(dispute)s: funds withdrawn (%(transaction)s)",
                dispute=record.name,
                transaction=transaction.id,
            )
            transfer = (dispute_account, balance_account, currency, -transaction.amount)
        else:
            ref = self.env._(
                "Dispute %(dispute)s: funds reinstated (%(transaction)s)",
                dispute=record.name,
                transaction=transaction.id,
            )
            transfer = (balance_account, dispute_account, currency, transaction.amount)
        return self._dispute_move_values(
            backend,
            record,
            self._company_date(backend, transaction.created) or fields.Date.context_today(backend),
            ref,
            [transfer],
        )

    def _dispute_loss(self, backend, record, dispute, event):
        """The entry moving what stays withdrawn of a lost dispute to its loss account."""
        withdrawn = defaultdict(Decimal)
        for transaction in dispute.balance_transactions:
            withdrawn[transaction.currency] -= transaction.amount
        withdrawn = {code: amount for code, amount in withdrawn.items() if amount > 0}
        if not withdrawn:
            return self.env["account.move"]

        def values():
            loss_account = self._dispute_loss_account(backend)
            dispute_account = self._dispute_account(backend)
            return self._dispute_move_values(
                backend,
                record,
                self._company_date(backend, _loss_time(dispute, event)),
                self.env._("Dispute %s lost", record.name),
                [
                    (loss_account, dispute_account, self._currency(backend, code), amount)
                    for code, amount in sorted(withdrawn.items())
                ],
            )

        return self._dispute_entry(backend, f"{dispute.id}/loss", values)

    def _dispute_reconcile(self, backend, record):
        """Match a dispute's lines on the disputed funds account once they cancel out (funds
        all reinstated, or lost), so that the account's open items are the open disputes."""
        lines = record.move_ids.line_ids.filtered(
            lambda line: (
                line.account_id.reconcile
                and line.account_id == backend.stripe_dispute_account_id
                and not line.reconciled
            )
        )
        for currency, same_currency in lines.grouped("currency_id").items():
            if len(same_currency) > 1 and currency.is_zero(
                sum(same_currency.mapped("amount_currency"))
            ):
                same_currency.reconcile()

    def _dispute_entry(self, backend, key, values):
        """The posted entry bound to ``key``, created from ``values()`` the first time."""
        move = self.env["saas.binding"].lookup_or_create(backend, "account.move", key, values)
        if move.state == "draft":
            move.action_post()
        return move

    def _dispute_move_values(self, backend, record, date, ref, transfers):
        """An entry of ``transfers`` (``(debit account, credit account, currency, amount)``)
        in the Stripe journal, on the dispute's customer."""
        return self.env["saas.stripe.balance.handler"]._balance_move_values(
            backend,
            self.env["saas.stripe.payment.handler"]._payment_journal(backend),
            date,
            ref,
            [(*transfer, ref) for transfer in transfers],
            partner=record.partner_id,
        )

    def _dispute_account(self, backend):
        if not backend.stripe_dispute_account_id:
            raise PermanentError(
                self.env._(
                    "Backend %s has no Disputed Funds Account to book the money of Stripe "
                    "disputes. Set one on the backend's Stripe Accounting page, then replay "
                    "the event.",
                    backend.name,
                )
            )
        return backend.stripe_dispute_account_id

    def _dispute_loss_account(self, backend):
        if backend.stripe_dispute_loss_policy == "contra_revenue":
            account = backend.stripe_dispute_contra_revenue_account_id
            field = backend._fields["stripe_dispute_contra_revenue_account_id"]
        else:
            account = backend.stripe_dispute_loss_account_id
            field = backend._fields["stripe_dispute_loss_account_id"]
        if not account:
            raise PermanentError(
                self.env._(
                    "Backend %(backend)s has no %(account)s to book lost Stripe disputes. Set "
                    "one on the backend's Stripe Accounting page, then replay the event.",
                    backend=backend.name,
                    account=field._description_string(self.env),
                )
            )
        return account


def _loss_time(dispute, event):
    """When a lost dispute's money is a loss. Stripe's dispute carries no closing date, and
    its ``closed`` event may be lost, late or stand behind a read of the current dispute,
    dated when it was read. So that every order of delivery books the same entry, the loss
    is dated once the dispute could no longer be answered: at its evidence deadline (not
    before its last movement of money) — or when Stripe reported it lost, if that came
    earlier (a dispute accepted before its deadline)."""
    decided = max(
        (
            moment
            for moment in (
                dispute.evidence_due_by,
                *(transaction.created for transaction in dispute.balance_transactions),
            )
            if moment
        ),
        default=None,
    )
    # Event times are naive UTC in Odoo; Stripe's are aware.
    reported = event.source_created and event.source_created.replace(tzinfo=UTC)
    if decided is None or (reported and reported < decided):
        return reported
    return decided
