from odoo import models
from odoo.addons.saas_connector_base.lib.errors import PermanentError, TransientError

from ..lib.normalize import charge_refunds
from .stripe_invoice import odoo_decimal

# Refund statuses where the money has left the Stripe balance (a pending refund is already
# deducted from it), and those where it came back.
REFUND_SENT = frozenset({"pending", "succeeded"})
REFUND_UNDONE = frozenset({"failed", "canceled"})


class SaasBackend(models.Model):
    """Stripe refunds → posted outbound payments in the backend's Stripe journal.

    ``charge.refunded`` (which embedded the charge's refunds until 2022-11-15),
    ``charge.refund.updated`` and ``refund.created|updated|failed`` report refunds. Each refund
    is one outbound payment bound to the refund id — never to the charge, which partial refunds
    share — so two partial refunds are two payments and a refund reported twice is one.

    The payment settles the credit note Stripe issued with the refund (bound to the refund id
    by ``stripe_credit_note.py``, whichever comes first). A refund without credit note follows
    the backend's policy: *Credit the Invoice* reverses the refunded invoice when the whole of
    it is refunded, and settles the reversal with the payment; a partial refund cannot be
    credited line by line to the cent, so it stays on the customer's receivable with a note on
    the invoice, like under *Payment Only*. When Stripe's credit note comes after all, it
    replaces the reversal.

    A failed or canceled refund cancels its payment (the money is back on the Stripe balance)
    and leaves a to-do for finance: the credit it was paying out is open again.
    """

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    def _stripe_event_handlers(self):
        return {
            **super()._stripe_event_handlers(),
            "charge.refunded": self._stripe_charge_refunded,
            "charge.refund.updated": self._stripe_refund_updated,
            "refund.created": self._stripe_refund_updated,
            "refund.updated": self._stripe_refund_updated,
            "refund.failed": self._stripe_refund_failed,
        }

    # ---------------------------------------------------------------------------------------
    # Handlers
    # ---------------------------------------------------------------------------------------
    def _stripe_charge_refunded(self, event):
        return [
            self._stripe_apply_refund(refund, refund.status)
            for refund in charge_refunds(event.payload_json())
        ]

    def _stripe_refund_updated(self, event):
        refund = self._stripe_object(event)
        return self._stripe_apply_refund(refund, refund.status)

    def _stripe_refund_failed(self, event):
        # The event says the refund failed, whatever status its payload shows.
        return self._stripe_apply_refund(self._stripe_object(event), "failed")

    # ---------------------------------------------------------------------------------------
    # Refunds
    # ---------------------------------------------------------------------------------------
    def _stripe_apply_refund(self, refund, status):
        record = self.env["saas.binding"].lookup(self, "account.payment", refund.id)
        if status in REFUND_UNDONE:
            if record.state in ("in_process", "paid"):
                self._stripe_cancel_refund(record, refund)
            return record
        if record or status not in REFUND_SENT:
            return record
        return self._stripe_record_refund(refund)

    def _stripe_record_refund(self, refund):
        bindings = self.env["saas.binding"]
        # Payments are bound to their payment intent, else to their charge.
        refunded = bindings.lookup(self, "account.payment", refund.payment_intent_id or "")
        refunded = refunded or bindings.lookup(self, "account.payment", refund.charge_id or "")
        if not refunded:
            raise TransientError(
                self.env._(
                    "Payment %(payment)s refunded by %(refund)s is not imported yet.",
                    payment=refund.payment_intent_id or refund.charge_id,
                    refund=refund.id,
                )
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
            self,
            "account.payment",
            refund.id,
            lambda: {
                "payment_type": "outbound",
                "partner_type": "customer",
                "partner_id": refunded.partner_id.id,
                "journal_id": self._stripe_payment_journal().id,
                # Refunds leave the Stripe balance: its clearing account, like payments.
                "payment_method_line_id": self._stripe_payment_method_line(
                    "outbound", refunded.currency_id
                ).id,
                "currency_id": refunded.currency_id.id,
                "amount": refund.amount,
                "date": self._stripe_date(refund.created) or refunded.date,
                "payment_reference": refund.id,
                "memo": invoice.ref or invoice.name or refunded.memo,
            },
        )
        if record.state != "draft":
            return record
        record.action_post()
        credit_note = bindings.lookup(self, "account.move", refund.id)
        if not credit_note and invoice:
            credit_note = self._stripe_refund_credit_note(refund, invoice)
        if credit_note:
            self._stripe_reconcile_receivables(record.move_id, credit_note)
        return record

    def _stripe_refund_credit_note(self, refund, invoice):
        """The credit note a refund without one calls for under the backend's policy (see the
        class docstring); an empty recordset when there is none to make."""
        credit_note = self.env["account.move"]
        if self.stripe_refund_without_credit_note != "reverse_invoice":
            return credit_note
        if refund.amount != odoo_decimal(invoice.amount_total, invoice.currency_id):
            invoice.message_post(
                body=self.env._(
                    "Stripe refunded %(amount)s %(currency)s of this invoice (%(refund)s) "
                    "without a credit note: the refund stays on the customer's receivable "
                    "until one is issued.",
                    amount=refund.amount,
                    currency=refund.currency,
                    refund=refund.id,
                )
            )
            return credit_note
        credit_note = invoice._reverse_moves(
            [
                {
                    "invoice_date": self._stripe_date(refund.created) or invoice.invoice_date,
                    "ref": self.env._("Refunded in Stripe: %s", refund.id),
                }
            ]
        )
        credit_note.action_post()
        self.env["saas.binding"].bind(self, credit_note, refund.id)
        return credit_note

    def _stripe_cancel_refund(self, record, refund):
        record.action_draft()
        record.action_cancel()
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
            user_id=(self.responsible_id or self.env.ref("base.user_admin")).id,
            summary=self.env._("Stripe refund failed"),
            note=failure,
        )
