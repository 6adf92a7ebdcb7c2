from odoo import models
from odoo.addons.saas_connector_base.lib.errors import PermanentError, TransientError
from odoo.addons.saas_connector_base.lib.money import (
    allocate,
    from_minor_units,
    odoo_decimal,
    to_minor_units,
)
from odoo.fields import Command

# Refund statuses where the money has left the Stripe balance (a pending refund is already
# deducted from it), and those where it came back.
REFUND_SENT = frozenset({"pending", "succeeded"})
REFUND_UNDONE = frozenset({"failed", "canceled"})


class SaasStripeRefundHandler(models.AbstractModel):
    """Stripe refunds → posted outbound payments in the backend's Stripe journal.

    ``charge.refunded`` (which embedded the charge's refunds until 2022-11-15),
    ``charge.refund.updated`` and ``refund.created|updated|failed`` report refunds. Each refund
    is one outbound payment bound to the refund id — never to the charge, which partial refunds
    share — so two partial refunds are two payments and a refund reported twice is one.

    The payment settles the credit note Stripe issued with the refund (bound to the refund id
    by ``stripe_credit_note_handler.py``, whichever comes first), so that the customer owes in Odoo
    what Stripe shows open. A refund without credit note is settled per the backend's policy:
    *Credit Note* credits the refunded invoice for the refunded amount (a full refund reverses
    it; a partial one credits each line in proportion, with its taxes and service period, so
    that revenue schedules are credited too); *Contra-Revenue Entry* debits the contra-revenue
    account, leaving the invoice and its schedules as billed. Either is bound to the refund id
    and reconciled with the payment. When Stripe's credit note comes after all, it takes their
    place: the credit note becomes Stripe's, the entry is canceled.

    A failed or canceled refund cancels its payment (the money is back on the Stripe balance)
    and leaves a to-do for finance: the credit it was paying out is open again.
    """

    _name = "saas.stripe.refund.handler"
    _inherit = "saas.stripe.handler"
    _description = "Stripe Refund Handler"

    _provider = "stripe"
    _handles = {
        "charge.refunded": "_charge_refunded",
        "charge.refund.updated": "_refund_updated",
        "refund.created": "_refund_updated",
        "refund.updated": "_refund_updated",
        "refund.failed": "_refund_failed",
    }

    # ---------------------------------------------------------------------------------------
    # Handlers
    # ---------------------------------------------------------------------------------------
    def _charge_refunded(self, backend, event):
        return [
            self._apply_refund(backend, refund, refund.status)
            for refund in self._event_object(backend, event).refunds
        ]

    def _refund_updated(self, backend, event):
        refund = self._event_object(backend, event)
        return self._apply_refund(backend, refund, refund.status)

    def _refund_failed(self, backend, event):
        # The event says the refund failed, whatever status its payload shows.
        return self._apply_refund(backend, self._event_object(backend, event), "failed")

    # ---------------------------------------------------------------------------------------
    # Refunds
    # ---------------------------------------------------------------------------------------
    def _apply_refund(self, backend, refund, status):
        record = self.env["saas.binding"].lookup(backend, "account.payment", refund.id)
        if status in REFUND_UNDONE:
            if record.state in ("in_process", "paid"):
                self._cancel_refund(backend, record, refund)
            return record
        if record or status not in REFUND_SENT:
            return record
        return self._record_refund(backend, refund)

    def _record_refund(self, backend, refund):
        bindings = self.env["saas.binding"]
        # Payments are bound to their payment intent, else to their charge.
        refunded = bindings.lookup(backend, "account.payment", refund.payment_intent_id or "")
        refunded = refunded or bindings.lookup(backend, "account.payment", refund.charge_id or "")
        if not refunded:
            raise TransientError(
                self.env._(
                    "Payment %(payment)s refunded by %(refund)s is not imported yet.",
                    payment=refund.payment_intent_id or refund.charge_id,
                    refund=refund.id,
                ),
                awaits=("account.payment", refund.payment_intent_id or refund.charge_id),
            )
        if refund.currency != refunded.currency_id.name:
            raise PermanentError(
                self.env._(
                    "Refund %(refund)s is in %(refunded)s but payment %(payment)s in %(paid)s.",
                    refund=refund.id,
                    refunded=refund.currency,
                    payment=refunded.name,
                    paid=refunded.currency_id.name,
                )
            )
        invoice = refunded.invoice_ids[:1]
        # Two events may report the same refund at once (the charge's and the refund's):
        # the lock of lookup_or_create lets only one of them create its payment.
        record = bindings.lookup_or_create(
            backend,
            "account.payment",
            refund.id,
            lambda: {
                "payment_type": "outbound",
                "partner_type": "customer",
                "partner_id": refunded.partner_id.id,
                "journal_id": self.env["saas.stripe.payment.handler"]._payment_journal(backend).id,
                # Refunds leave the Stripe balance: its clearing account, like payments.
                "payment_method_line_id": self.env["saas.stripe.payment.handler"]
                ._payment_method_line(backend, "outbound", refunded.currency_id)
                .id,
                "currency_id": refunded.currency_id.id,
                "amount": refund.amount,
                "date": self._company_date(backend, refund.created) or refunded.date,
                "payment_reference": refund.id,
                "memo": invoice.ref or invoice.name or refunded.memo,
            },
        )
        if record.state != "draft":
            return record
        record.action_post()
        settlement = bindings.lookup(backend, "account.move", refund.id)
        if not settlement and invoice:
            settlement = self._refund_settlement(backend, refund, invoice, record)
        if settlement:
            self.env["saas.stripe.credit.note.handler"]._reconcile_receivables(
                backend, record.move_id, settlement
            )
        return record

    def _refund_settlement(self, backend, refund, invoice, payment):
        """The posted document that takes the refund of ``invoice`` off the customer's
        receivable while Stripe has issued no credit note for it, per the backend's policy
        (see the class docstring), bound to the refund id."""
        if backend.stripe_refund_without_credit_note == "contra_revenue":
            settlement = self._refund_contra_entry(backend, refund, invoice, payment)
        else:
            settlement = self._refund_credit_note(backend, refund, invoice)
        settlement.action_post()
        self.env["saas.binding"].bind(backend, settlement, refund.id)
        return settlement

    def _refund_credit_note(self, backend, refund, invoice):
        """A draft credit note of ``invoice`` for the refunded amount: the reversal of the
        invoice for a full refund, else its lines in proportion to what each billed, so that
        each keeps its product, taxes and service period."""
        currency = invoice.currency_id
        values = {
            "invoice_date": self._company_date(backend, refund.created) or invoice.invoice_date,
            "ref": self.env._("Refunded in Stripe: %s", refund.id),
        }
        if refund.amount == odoo_decimal(invoice.amount_total, currency):
            return invoice._reverse_moves([values])
        code = currency.name
        lines = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        totals = [to_minor_units(odoo_decimal(line.price_total, currency), code) for line in lines]
        credited = allocate(to_minor_units(refund.amount, code), totals)
        line_values = []
        for line, total, amount in zip(lines, totals, credited, strict=True):
            if not amount:
                continue
            # The price as the line states it: with its taxes when they are included in it.
            price = line.price_subtotal
            if any(line.tax_ids.mapped("price_include")):
                price = line.price_total
            price = to_minor_units(odoo_decimal(price, currency), code)
            line_values.append(
                Command.create(
                    {
                        "display_type": "product",
                        "name": line.name,
                        "product_id": line.product_id.id,
                        "quantity": 1,
                        "price_unit": float(
                            from_minor_units(allocate(amount, [price, total - price])[0], code)
                        ),
                        "tax_ids": [Command.set(line.tax_ids.ids)],
                        "saas_service_start": line.saas_service_start,
                        "saas_service_end": line.saas_service_end,
                        "saas_is_proration": line.saas_is_proration,
                    }
                )
            )
        credit_note = (
            self.env["account.move"]
            .with_company(backend.company_id)
            .create(
                {
                    **values,
                    "move_type": "out_refund",
                    "company_id": backend.company_id.id,
                    "journal_id": invoice.journal_id.id,
                    "partner_id": invoice.partner_id.id,
                    "currency_id": currency.id,
                    "reversed_entry_id": invoice.id,
                    "invoice_payment_term_id": False,
                    "invoice_date_due": values["invoice_date"],
                    "invoice_origin": invoice.name,
                    "saas_subscription_ref": invoice.saas_subscription_ref,
                    "invoice_line_ids": line_values,
                }
            )
        )
        self._round_taxes_to(backend, credit_note, refund.amount)
        return credit_note

    def _round_taxes_to(self, backend, move, amount):
        """Bring the total of the draft ``move`` to ``amount`` by its largest tax, as a user
        edits a tax amount: taxes computed line by line on proportional prices may miss the
        refunded amount by a few minor units."""
        difference = amount - odoo_decimal(move.amount_total, move.currency_id)
        if difference:
            totals = move.tax_totals
            groups = [
                group for subtotal in totals["subtotals"] for group in subtotal["tax_groups"]
            ]
            if groups:
                group = max(groups, key=lambda group: abs(group["tax_amount_currency"]))
                group["tax_amount_currency"] += float(difference)
                move.tax_totals = totals
        if amount != odoo_decimal(move.amount_total, move.currency_id):
            raise PermanentError(
                self.env._(
                    "Credit note %(ref)s should come to %(amount)s %(currency)s but comes to "
                    "%(total)s: check the taxes of the refunded invoice.",
                    ref=move.ref,
                    amount=amount,
                    currency=move.currency_id.name,
                    total=move.amount_total,
                )
            )

    def _refund_contra_entry(self, backend, refund, invoice, payment):
        """A draft entry debiting the contra-revenue account and crediting the customer's
        receivable with what ``payment`` paid out: the invoice, its taxes and its revenue
        schedules stay as billed."""
        account = backend.stripe_refund_contra_revenue_account_id
        if not account:
            raise PermanentError(
                self.env._(
                    "Backend %s books refunds without credit note as contra revenue but has "
                    "no Refunds Contra-Revenue Account. Set one on the backend's Stripe "
                    "Accounting page, then replay the event.",
                    backend.name,
                )
            )
        receivable = payment.move_id.line_ids.filtered(
            lambda line: line.account_id == payment.destination_account_id
        )
        common = {
            "partner_id": payment.partner_id.commercial_partner_id.id,
            "currency_id": payment.currency_id.id,
            "name": self.env._(
                "Refund %(refund)s of %(invoice)s", refund=refund.id, invoice=invoice.name
            ),
        }
        return (
            self.env["account.move"]
            .with_company(backend.company_id)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": invoice.journal_id.id,
                    "date": payment.date,
                    "ref": self.env._("Refunded in Stripe: %s", refund.id),
                    "line_ids": [
                        Command.create(
                            {
                                **common,
                                "account_id": account.id,
                                "balance": receivable.balance,
                                "amount_currency": receivable.amount_currency,
                            }
                        ),
                        Command.create(
                            {
                                **common,
                                "account_id": receivable.account_id.id,
                                "balance": -receivable.balance,
                                "amount_currency": -receivable.amount_currency,
                            }
                        ),
                    ],
                }
            )
        )

    def _refund_made(self, backend, move):
        """Whether ``move`` is one a refund made without a Stripe credit note: bound to the
        refund alone, where Stripe's credit notes are bound to their own id too."""
        return (
            self.env["saas.binding"].search_count(
                [
                    ("backend_id", "=", backend.id),
                    ("res_model", "=", move._name),
                    ("res_id", "=", move.id),
                ]
            )
            == 1
        )

    def _cancel_refund(self, backend, record, refund):
        record.action_draft()
        record.action_cancel()
        # What settled the refund in the absence of a Stripe credit note goes with it; a
        # credit note of Stripe's stays, as in Stripe.
        settlement = self.env["saas.binding"].lookup(backend, "account.move", refund.id)
        if settlement.state == "posted" and self._refund_made(backend, settlement):
            settlement.button_cancel()
        failure = self.env._(
            "Stripe could not refund %(amount)s %(currency)s (%(refund)s): %(reason)s.",
            amount=refund.amount,
            currency=refund.currency,
            refund=refund.id,
            reason=refund.failure_reason or self.env._("no reason given"),
        )
        record.message_post(body=failure)
        record.activity_schedule(
            activity_type_id=self.env.ref("mail.mail_activity_data_todo").id,
            user_id=(backend.responsible_id or self.env.ref("base.user_admin")).id,
            summary=self.env._("Stripe refund failed"),
            note=failure,
        )
