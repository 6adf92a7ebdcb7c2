from decimal import Decimal

from odoo import models
from odoo.addons.saas_connector_base.lib.errors import PermanentError, TransientError
from odoo.addons.saas_connector_base.lib.money import odoo_decimal
from odoo.fields import Command, Domain

from ..lib.normalize import PAYMENT_FAILED, PAYMENT_SUCCEEDED, payment_from_invoice
from .stripe_invoice_handler import IMPORTING_TYPES

# The events of an invoice object reporting its payment (see ``_prepare_payments``).
PAYING_TYPES = frozenset({"invoice.paid", "invoice.payment_succeeded"})


class SaasStripePaymentHandler(models.AbstractModel):
    """Stripe payments → posted inbound payments reconciled with the invoice they pay.

    The same money is reported by several events — ``invoice.paid`` (``.payment_succeeded``
    before 2019), ``invoice_payment.paid`` (from 2025-03-31.basil), ``charge.succeeded`` (while
    charges still named their invoice) — in any order and any number of times. Each payment is
    bound to its payment intent (else its charge), so one money movement makes one Odoo
    payment. A clover ``invoice.paid`` names no payment at all: it then pays what Stripe says
    is paid beyond the payments already recorded, and the first named payment of the same
    amount to come later adopts that payment instead of making another.

    Every Stripe payment of an invoice is also bound as ``<invoice id>/payment/<n>``: two jobs
    recording a payment of the same invoice at once would take the same ``n``, and the
    database lets only one of them through (the other retries and sees the first).

    Payments go to the backend's Stripe journal (created by *Create Stripe Journal* on the
    backend, or with the first payment) through a payment method per currency whose
    outstanding account is the clearing account of the Stripe balance in that currency
    (``stripe_balance_handler.py``): the money stays there until the payout that sends it to
    the bank settles it. A payment event for an invoice not imported yet is retried until the
    invoice arrives (and fails after the backend's maximum attempts).
    """

    _name = "saas.stripe.payment.handler"
    _inherit = "saas.stripe.handler"
    _description = "Stripe Payment Handler"

    _provider = "stripe"
    _handles = {
        "invoice.paid": "_invoice_paid",
        "invoice.payment_succeeded": "_invoice_paid",
        "invoice_payment.paid": "_payment_succeeded",
        "charge.succeeded": "_payment_succeeded",
        "charge.failed": "_payment_declined",
        "payment_intent.payment_failed": "_payment_declined",
    }

    # ---------------------------------------------------------------------------------------
    # Handlers
    # ---------------------------------------------------------------------------------------
    def _invoice_paid(self, backend, event):
        invoice = self._event_object(backend, event)
        move = self.env["saas.stripe.invoice.handler"]._invoice_move(backend, invoice, event)
        if not move:
            return move
        return [move, self._record_payment(backend, payment_from_invoice(invoice), move)]

    def _payment_succeeded(self, backend, event):
        payment = self._event_object(backend, event)
        if payment.status != PAYMENT_SUCCEEDED or not payment.invoice_id:
            # From 2025-03-31.basil a charge names no invoice: its invoice_payment does.
            return self.env["account.payment"]
        move = self._paid_invoice(backend, payment)
        return [move, self._record_payment(backend, payment, move)]

    def _payment_declined(self, backend, event):
        """A declined charge or payment intent says why an invoice could not be collected:
        the reason goes on the invoice, next to the failure ``invoice.payment_failed`` flags."""
        payment = self._event_object(backend, event)
        if payment.status != PAYMENT_FAILED or not payment.invoice_id:
            # From 2025-03-31.basil a charge names no invoice; one-off charges have none.
            return self.env["account.move"]
        move = self._paid_invoice(backend, payment)
        if move.payment_state not in ("paid", "in_payment") and payment.failure_reason:
            move.stripe_decline_reason = payment.failure_reason
        return move

    def _paid_invoice(self, backend, payment):
        """The invoice a charge or payment intent pays (or failed to pay); the event waits
        for it when it is not imported yet."""
        move = self.env["saas.binding"].lookup(backend, "account.move", payment.invoice_id)
        if not move:
            raise TransientError(
                self.env._(
                    "Invoice %(invoice)s of payment %(payment)s is not imported yet.",
                    invoice=payment.invoice_id,
                    payment=payment.id,
                ),
                awaits=("account.move", payment.invoice_id),
            )
        return move

    # ---------------------------------------------------------------------------------------
    # Payments
    # ---------------------------------------------------------------------------------------
    def _record_payment(self, backend, payment, move):
        """The Odoo payment of ``payment`` against ``move``, created and reconciled unless it
        is already recorded (see the class docstring)."""
        bindings = self.env["saas.binding"]
        key = payment.payment_intent_id or payment.charge_id
        if key and (recorded := bindings.lookup(backend, "account.payment", key)):
            self._bind_payment(backend, recorded, payment)
            # Applied again when the invoice lost it (reset to draft and back, unreconciled).
            self._reconcile_payment(backend, recorded, move)
            return recorded
        if payment.currency != move.currency_id.name:
            raise PermanentError(
                self.env._(
                    "Payment %(payment)s is in %(paid)s but invoice %(invoice)s in %(billed)s.",
                    payment=payment.id,
                    paid=payment.currency,
                    invoice=move.name,
                    billed=move.currency_id.name,
                )
            )
        slots = self._invoice_payments(backend, payment.invoice_id)
        amount = payment.amount
        if key:
            unnamed = slots.filtered(
                lambda record: (
                    odoo_decimal(record.amount, record.currency_id) == amount
                    and bindings.sudo().search_count(
                        [("res_model", "=", "account.payment"), ("res_id", "=", record.id)]
                    )
                    == 1
                )
            )[:1]
            if unnamed:
                self._bind_payment(backend, unnamed, payment)
                return unnamed
        else:
            amount -= sum(
                (odoo_decimal(record.amount, record.currency_id) for record in slots), Decimal(0)
            )
        if amount <= 0:
            return slots
        record = self._create_payment(backend, payment, move, amount)
        bindings.bind(backend, record, f"{payment.invoice_id}/payment/{len(slots) + 1}")
        self._bind_payment(backend, record, payment)
        return record

    def _bind_payment(self, backend, record, payment):
        """Bind ``record`` to the payment intent and to the charge of ``payment``: a refund or
        a dispute names either, and some (refunds created from a charge) only the charge."""
        bindings = self.env["saas.binding"]
        external_ids = [
            key for key in dict.fromkeys((payment.payment_intent_id, payment.charge_id)) if key
        ]
        for external_id in external_ids:
            bindings.bind(backend, record, external_id)
        self.env["saas.stripe.dispute.handler"]._dispute_payment_found(
            backend, record, external_ids
        )

    def _invoice_payments(self, backend, invoice_id):
        """The payments already recorded for a Stripe invoice, in the order they came."""
        prefix = f"{invoice_id}/payment/"
        slots = self._payment_slots(backend, [invoice_id])
        return self.env["account.payment"].browse(
            slots.filtered(lambda slot: slot.external_id.startswith(prefix)).mapped("res_id")
        )

    def _invoices_with_payments(self, backend, invoice_ids):
        """Those of the Stripe invoices ``invoice_ids`` with a payment recorded already."""
        slots = self._payment_slots(backend, invoice_ids)
        return {slot.external_id.partition("/payment/")[0] for slot in slots} & set(invoice_ids)

    def _payment_slots(self, backend, invoice_ids):
        """The ``<invoice id>/payment/<n>`` bindings of the Stripe invoices ``invoice_ids``,
        in one query, oldest first. An id's ``_`` matches any character in ``=like``: callers
        keep the slots of their own invoices."""
        if not invoice_ids:
            return self.env["saas.binding"]
        return (
            self.env["saas.binding"]
            .sudo()
            .search(
                Domain.AND(
                    [
                        [
                            ("backend_id", "=", backend.id),
                            ("res_model", "=", "account.payment"),
                        ],
                        Domain.OR(
                            [("external_id", "=like", f"{invoice_id}/payment/%")]
                            for invoice_id in invoice_ids
                        ),
                    ]
                ),
                order="id",
            )
        )

    def _create_payment(self, backend, payment, move, amount):
        return self._create_payments(backend, [(payment, move, amount)])

    def _create_payments(self, backend, paid):
        """The posted payments of ``paid``, ``(payment, move, amount)`` triples, created in
        one ``create`` and posted in one ``action_post``, each reconciled with its move."""
        records = (
            self.env["account.payment"]
            .with_company(backend.company_id)
            .create(
                [
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": move.commercial_partner_id.id,
                        "journal_id": self._payment_journal(backend).id,
                        "payment_method_line_id": self._payment_method_line(
                            backend, "inbound", move.currency_id
                        ).id,
                        "currency_id": move.currency_id.id,
                        "amount": amount,
                        "date": self._company_date(backend, payment.created) or move.invoice_date,
                        "payment_reference": payment.payment_intent_id
                        or payment.charge_id
                        or payment.id,
                        "memo": move.ref or move.name,
                        "invoice_ids": [Command.link(move.id)],
                    }
                    for payment, move, amount in paid
                ]
            )
        )
        records.action_post()
        for record, (_payment, move, _amount) in zip(records, paid, strict=True):
            self._reconcile_payment(backend, record, move)
        return records

    def _prepare_payments(self, backend, events):
        """Record at once the payments that ``events``, the waiting events of one job, would
        record one by one for the invoices they pay; the events they were recorded for.

        A payment is prepared for an invoice's ``invoice.paid`` (``.payment_succeeded``)
        that comes first or second among its object's events in source order, after an
        event importing it, none of them tied or waiting for a retry, when the invoice is
        posted in Odoo with no payment yet and Stripe names the payment: what the event
        would then do is create it whole, which is done here for all such invoices
        together. Its event then finds it recorded, as a later report of the same money
        does."""
        bindings = self.env["saas.binding"]
        by_object = events.filtered(lambda event: event.object_type == "invoice").grouped(
            "object_external_id"
        )
        moves = bindings.lookup_many(backend, "account.move", list(by_object))
        candidates = []
        for object_id, object_events in by_object.items():
            ordered, tied = backend._in_source_order(object_events)
            paying = ordered[:2].filtered(lambda event: event.event_type in PAYING_TYPES)[:1]
            move = moves.get(object_id)
            if (
                not paying
                or not move
                or move.state != "posted"
                or tied
                or any(event.next_attempt_at for event in ordered[: ordered.ids.index(paying.id)])
                or paying.next_attempt_at
                or ordered[0].event_type not in IMPORTING_TYPES
            ):
                continue
            try:
                invoice = self._event_object(backend, paying)
            except PermanentError:
                continue
            payment = payment_from_invoice(invoice)
            if (
                payment.status == PAYMENT_SUCCEEDED
                and (payment.payment_intent_id or payment.charge_id)
                and payment.currency == move.currency_id.name
                and payment.amount > 0
            ):
                candidates.append((paying, payment, move))
        recorded = bindings.lookup_many(
            backend,
            "account.payment",
            [payment.payment_intent_id or payment.charge_id for _e, payment, _m in candidates],
        )
        paid_before = self._invoices_with_payments(
            backend, [payment.invoice_id for _e, payment, _m in candidates]
        )
        paid = [
            (event, payment, move)
            for event, payment, move in candidates
            if (payment.payment_intent_id or payment.charge_id) not in recorded
            and payment.invoice_id not in paid_before
        ]
        if not paid:
            return self.env["saas.event"]
        records = self._create_payments(
            backend, [(payment, move, payment.amount) for _event, payment, move in paid]
        )
        for record, (_event, payment, _move) in zip(records, paid, strict=True):
            bindings.bind(backend, record, f"{payment.invoice_id}/payment/1")
            self._bind_payment(backend, record, payment)
        return self.env["saas.event"].concat(*(event for event, _payment, _move in paid))

    def _reconcile_payment(self, backend, record, move):
        """Reconcile a posted payment with the posted ``move`` it pays, where both are still
        open."""
        if record.state not in ("in_process", "paid") or move.state != "posted":
            return
        receivable = move.line_ids.filtered(lambda line: line.display_type == "payment_term")
        counterpart = record.move_id.line_ids.filtered(
            lambda line: line.account_id in receivable.account_id
        )
        # Over-payments stay open on the customer; partial ones leave the invoice open.
        open_lines = (receivable + counterpart).filtered(lambda line: not line.reconciled)
        if open_lines.filtered(lambda line: line in receivable) and open_lines - receivable:
            open_lines.reconcile()
        if move.stripe_payment_failed and move.payment_state in ("paid", "in_payment"):
            move.write(
                {
                    "stripe_payment_failed": False,
                    "stripe_payment_failure": False,
                    "stripe_decline_reason": False,
                    "stripe_next_payment_attempt": False,
                }
            )

    def _payment_journal(self, backend):
        """The backend's Stripe journal, created on first use."""
        backend.ensure_one()
        if backend.stripe_payment_journal_id:
            return backend.stripe_payment_journal_id
        company = backend.company_id
        journals = self.env["account.journal"].with_company(company)
        used_codes = set(
            journals.with_context(active_test=False)
            .search(journals._check_company_domain(company))
            .mapped("code")
        )
        backend.stripe_payment_journal_id = journals.create(
            {
                "name": self._journal_name(backend),
                "type": "bank",
                "code": next(
                    code for code in (f"STR{n}" for n in range(1, 100)) if code not in used_codes
                ),
                "company_id": company.id,
            }
        )
        return backend.stripe_payment_journal_id

    def _journal_name(self, backend):
        """ "Stripe (<account>)", once: a backend already named after Stripe ("Stripe (EU)")
        gives its name as it is."""
        if "stripe" in backend.name.lower():
            return backend.name
        return self.env._("Stripe (%s)", backend.name)

    def _payment_method_line(self, backend, payment_type, currency):
        """The payment method of the Stripe journal for money received (``inbound``) or sent
        back (``outbound``) in ``currency``: a manual method whose outstanding account is the
        Stripe balance's clearing account of that currency, created on first use. Stripe's
        own journal takes no currency, so one journal serves every balance."""
        journal = self._payment_journal(backend)
        account = self.env["saas.stripe.balance.handler"]._balance_account(backend, currency)
        lines = journal[f"{payment_type}_payment_method_line_ids"]
        line = lines.filtered(lambda method: method.payment_account_id == account)[:1]
        if not line:
            manual = self.env.ref(
                "account.account_payment_method_manual_in"
                if payment_type == "inbound"
                else "account.account_payment_method_manual_out"
            )
            line = self.env["account.payment.method.line"].create(
                {
                    "name": self.env._("Stripe %s", currency.name),
                    "payment_method_id": manual.id,
                    "journal_id": journal.id,
                    "payment_account_id": account.id,
                }
            )
        return line
