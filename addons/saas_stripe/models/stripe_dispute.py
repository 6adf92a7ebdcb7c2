from collections import defaultdict
from datetime import UTC
from decimal import Decimal

from odoo import fields, models
from odoo.addons.saas_connector_base.lib.errors import PermanentError
from odoo.fields import Command
from odoo.tools import format_amount

from ..lib.normalize import DISPUTE_CLOSED, DISPUTE_NEEDS_RESPONSE
from .stripe_subscription import _naive


class SaasBackend(models.Model):
    """Stripe disputes → ``saas.stripe.dispute`` records and the entries of the money they move.

    Every ``charge.dispute.*`` event carries the whole dispute, whose ``balance_transactions``
    list every movement of its money on the Stripe balance so far. The books follow that list,
    not the event type, so that events arriving late, twice or out of order end in the same
    entries: each balance transaction is one entry bound to its ``txn_…`` id — the disputed
    amount withdrawn (debit the disputed funds account, credit the Stripe balance) or
    reinstated (the reverse, for what Stripe gave back). The dispute fee on the same balance
    transaction is booked with the other fees (``stripe_fee.py``).

    A lost dispute's money is gone: what stays withdrawn moves from the disputed funds account
    to a loss, as an expense or as contra revenue depending on the backend's policy. A won
    dispute needs nothing more: Stripe reinstates the funds, which is a balance transaction
    like the others. Inquiries (``warning_*``) move no money. A dispute's lines on the disputed
    funds account are reconciled once they cancel out (when the account allows it), so that
    its open items are the open disputes.

    While Stripe waits for evidence, the backend's responsible has a to-do on the dispute due
    on Stripe's deadline; it is marked done when the dispute moves on.
    """

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    stripe_dispute_account_id = fields.Many2one(
        "account.account",
        string="Disputed Funds Account",
        check_company=True,
        help="Holds the money Stripe withdrew from the balance for open disputes (a current "
        "asset): debited when funds are withdrawn, credited when they are reinstated or the "
        "dispute is lost.",
    )
    stripe_dispute_loss_policy = fields.Selection(
        [("expense", "Expense"), ("contra_revenue", "Contra Revenue")],
        string="Lost Disputes",
        default="expense",
        required=True,
        help="Where the money of a lost dispute goes: an expense (chargeback losses), or a "
        "contra revenue account that lowers the revenue it was once recognized as.",
    )
    stripe_dispute_loss_account_id = fields.Many2one(
        "account.account",
        string="Dispute Losses Account",
        check_company=True,
        help="Expense account of lost disputes.",
    )
    stripe_dispute_contra_revenue_account_id = fields.Many2one(
        "account.account",
        string="Dispute Contra Revenue Account",
        check_company=True,
        help="Contra revenue account of lost disputes.",
    )

    def _stripe_event_handlers(self):
        return {
            **super()._stripe_event_handlers(),
            **dict.fromkeys(
                (
                    "charge.dispute.created",
                    "charge.dispute.updated",
                    "charge.dispute.funds_withdrawn",
                    "charge.dispute.funds_reinstated",
                    "charge.dispute.closed",
                ),
                self._stripe_dispute_changed,
            ),
        }

    # ---------------------------------------------------------------------------------------
    # Handler
    # ---------------------------------------------------------------------------------------
    def _stripe_dispute_changed(self, event):
        dispute = self._stripe_object(event)
        record = self._stripe_dispute_record(dispute)
        moves = self._stripe_dispute_funds_moves(record, dispute)
        if record.status == "lost":
            moves |= self._stripe_dispute_loss(record, dispute, event)
        new_moves = moves - record.move_ids
        if new_moves:
            record.move_ids = [Command.link(move.id) for move in new_moves]
            self._stripe_dispute_reconcile(record)
        self._stripe_dispute_evidence_activity(record)
        self.env["saas.binding"].bind(self, record, dispute.id, updated=event.source_created)
        return [record, moves]

    # ---------------------------------------------------------------------------------------
    # The dispute record
    # ---------------------------------------------------------------------------------------
    def _stripe_dispute_record(self, dispute):
        bindings = self.env["saas.binding"]
        values = {
            "reason": dispute.reason,
            "amount": dispute.amount,
            "currency_id": self._stripe_currency(dispute.currency).id,
            "disputed_at": _naive(dispute.created),
            "evidence_due_by": _naive(dispute.evidence_due_by),
            "is_charge_refundable": dispute.is_charge_refundable,
            "charge_ref": dispute.charge_id,
            "payment_intent_ref": dispute.payment_intent_id,
        }
        known = bindings.lookup(self, "saas.stripe.dispute", dispute.id)
        record = known or bindings.lookup_or_create(
            self,
            "saas.stripe.dispute",
            dispute.id,
            lambda: {
                **values,
                **self._stripe_disputed_documents(dispute),
                "backend_id": self.id,
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
        if record.status not in DISPUTE_CLOSED or dispute.status in DISPUTE_CLOSED:
            values["status"] = dispute.status
        if not record.payment_id:
            values.update(
                {
                    key: value
                    for key, value in self._stripe_disputed_documents(dispute).items()
                    if value
                }
            )
        record.write(values)
        return record

    def _stripe_dispute_payment_found(self, payment, external_ids):
        """A dispute that came before its payment gets the payment, its invoice and customer
        once the payment is recorded, as if it had come after."""
        disputes = self.env["saas.stripe.dispute"].search(
            [
                ("backend_id", "=", self.id),
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

    def _stripe_disputed_documents(self, dispute):
        """The disputed payment, its invoice and customer, as far as Odoo knows them."""
        bindings = self.env["saas.binding"]
        # Payments are bound to their payment intent, else to their charge.
        payment = bindings.lookup(self, "account.payment", dispute.payment_intent_id or "")
        payment = payment or bindings.lookup(self, "account.payment", dispute.charge_id or "")
        invoice = payment.invoice_ids[:1] or bindings.lookup(
            self, "account.move", dispute.invoice_id or ""
        )
        partner = payment.partner_id or invoice.commercial_partner_id
        if not partner and dispute.customer_id:
            partner = bindings.lookup(self, "res.partner", dispute.customer_id)
        return {"payment_id": payment.id, "invoice_id": invoice.id, "partner_id": partner.id}

    def _stripe_dispute_evidence_activity(self, record):
        """A to-do for finance while Stripe waits for evidence, due on its deadline."""
        evidence = self.env.ref("saas_stripe.mail_activity_type_dispute_evidence")
        activities = record.activity_ids.filtered(
            lambda activity: activity.activity_type_id == evidence
        )
        if record.status in DISPUTE_NEEDS_RESPONSE and record.evidence_due_by:
            deadline = self._stripe_date(record.evidence_due_by)
            if activities:
                activities.filtered(
                    lambda activity: activity.date_deadline != deadline
                ).date_deadline = deadline
                return
            record.activity_schedule(
                activity_type_id=evidence.id,
                user_id=(self.responsible_id or self.env.ref("base.user_admin")).id,
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
    def _stripe_dispute_funds_moves(self, record, dispute):
        """One posted entry per balance transaction of the dispute, each made once."""
        moves = self.env["account.move"]
        for transaction in dispute.balance_transactions:
            moves |= self._stripe_dispute_entry(
                transaction.id,
                lambda transaction=transaction: self._stripe_dispute_funds_move_values(
                    record, transaction
                ),
            )
        return moves

    def _stripe_dispute_funds_move_values(self, record, transaction):
        balance_account = self._stripe_balance_account(transaction.currency)
        dispute_account = self._stripe_dispute_account()
        currency = self._stripe_currency(transaction.currency)
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
        return self._stripe_dispute_move_values(
            record,
            self._stripe_date(transaction.created) or fields.Date.context_today(self),
            ref,
            [transfer],
        )

    def _stripe_dispute_loss(self, record, dispute, event):
        """The entry moving what stays withdrawn of a lost dispute to its loss account."""
        withdrawn = defaultdict(Decimal)
        for transaction in dispute.balance_transactions:
            withdrawn[transaction.currency] -= transaction.amount
        withdrawn = {code: amount for code, amount in withdrawn.items() if amount > 0}
        if not withdrawn:
            return self.env["account.move"]

        def values():
            loss_account = self._stripe_dispute_loss_account()
            dispute_account = self._stripe_dispute_account()
            return self._stripe_dispute_move_values(
                record,
                self._stripe_date(_loss_time(dispute, event)),
                self.env._("Dispute %s lost", record.name),
                [
                    (loss_account, dispute_account, self._stripe_currency(code), amount)
                    for code, amount in sorted(withdrawn.items())
                ],
            )

        return self._stripe_dispute_entry(f"{dispute.id}/loss", values)

    def _stripe_dispute_reconcile(self, record):
        """Match a dispute's lines on the disputed funds account once they cancel out (funds
        all reinstated, or lost), so that the account's open items are the open disputes."""
        lines = record.move_ids.line_ids.filtered(
            lambda line: (
                line.account_id.reconcile
                and line.account_id == self.stripe_dispute_account_id
                and not line.reconciled
            )
        )
        for currency, same_currency in lines.grouped("currency_id").items():
            if len(same_currency) > 1 and currency.is_zero(
                sum(same_currency.mapped("amount_currency"))
            ):
                same_currency.reconcile()

    def _stripe_dispute_entry(self, key, values):
        """The posted entry bound to ``key``, created from ``values()`` the first time."""
        move = self.env["saas.binding"].lookup_or_create(self, "account.move", key, values)
        if move.state == "draft":
            move.action_post()
        return move

    def _stripe_dispute_move_values(self, record, date, ref, transfers):
        """An entry of ``transfers`` (``(debit account, credit account, currency, amount)``)
        in the Stripe journal, on the dispute's customer."""
        return self._stripe_balance_move_values(
            self._stripe_payment_journal(),
            date,
            ref,
            [(*transfer, ref) for transfer in transfers],
            partner=record.partner_id,
        )

    def _stripe_dispute_account(self):
        if not self.stripe_dispute_account_id:
            raise PermanentError(
                self.env._(
                    "Backend %s has no Disputed Funds Account to book the money of Stripe "
                    "disputes. Set one on the backend's Stripe Accounting page, then replay "
                    "the event.",
                    self.name,
                )
            )
        return self.stripe_dispute_account_id

    def _stripe_dispute_loss_account(self):
        if self.stripe_dispute_loss_policy == "contra_revenue":
            account = self.stripe_dispute_contra_revenue_account_id
            field = self._fields["stripe_dispute_contra_revenue_account_id"]
        else:
            account = self.stripe_dispute_loss_account_id
            field = self._fields["stripe_dispute_loss_account_id"]
        if not account:
            raise PermanentError(
                self.env._(
                    "Backend %(backend)s has no %(account)s to book lost Stripe disputes. Set "
                    "one on the backend's Stripe Accounting page, then replay the event.",
                    backend=self.name,
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
