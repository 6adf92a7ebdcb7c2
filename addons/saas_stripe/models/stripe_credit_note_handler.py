import dataclasses

from odoo import models
from odoo.addons.saas_connector_base.lib.errors import PermanentError, TransientError
from odoo.addons.saas_connector_base.lib.money import odoo_decimal
from odoo.exceptions import UserError
from odoo.fields import Command


class SaasStripeCreditNoteHandler(models.AbstractModel):
    """Stripe credit notes → posted customer credit notes of the invoice they credit.

    A credit note is imported once, from the first of its events, as a posted ``out_refund``
    reversing the credited invoice, one Odoo line per Stripe line, and bound to the credit
    note id (each line to its line id). A line that credits an invoice line takes that line's
    product, service period and proration flag, so that revenue schedules see what it takes
    back; amounts and taxes are mapped as the invoice's (``stripe_invoice_handler.py``) and
    must tie to the cent, or the event fails and nothing is written.

    Where the credit goes decides what settles it:

    - ``pre_payment`` (the invoice is still open): reconciled with the invoice, whose amount
      due it lowers;
    - refunded: bound to each refund id as well, so that the refund's outbound payment
      (``stripe_refund_handler.py``) settles it whichever of the two events comes first. A refund
      that came first made a credit note or an entry of its own (the backend's policy for
      refunds without credit note): its credit note becomes this one, keeping its number, so
      that either order ends in the same documents; an entry is canceled;
    - customer balance or out of band: left open on the customer, as the credit Stripe keeps
      for the next invoices or pays back outside Stripe.

    ``credit_note.voided`` cancels the credit note, or reverses it when its period is closed.
    """

    _name = "saas.stripe.credit.note.handler"
    _inherit = "saas.stripe.handler"
    _description = "Stripe Credit Note Handler"

    _provider = "stripe"
    _handles = {
        "credit_note.created": "_credit_note_updated",
        "credit_note.updated": "_credit_note_updated",
        "credit_note.voided": "_credit_note_voided",
    }

    # ---------------------------------------------------------------------------------------
    # Handlers
    # ---------------------------------------------------------------------------------------
    def _credit_note_updated(self, backend, event):
        return self._credit_note_move(backend, self._event_object(backend, event), event)

    def _credit_note_voided(self, backend, event):
        move = self._credit_note_move(backend, self._event_object(backend, event), event)
        if move.state == "posted":
            self.env["saas.stripe.invoice.handler"]._void_move(backend, move, event)
        return move

    # ---------------------------------------------------------------------------------------
    # Import
    # ---------------------------------------------------------------------------------------
    def _credit_note_move(self, backend, credit_note, event):
        bindings = self.env["saas.binding"]
        move = bindings.lookup(backend, "account.move", credit_note.id)
        if not move:
            move = self._import_credit_note(backend, credit_note)
        bindings.bind(backend, move, credit_note.id, updated=event.source_created)
        return move

    def _import_credit_note(self, backend, credit_note):
        credit_note = dataclasses.replace(
            credit_note,
            lines=self.env["saas.stripe.invoice.handler"]._document_lines(
                backend, credit_note, "credit note"
            ),
        )
        bindings = self.env["saas.binding"]
        invoice = bindings.lookup(backend, "account.move", credit_note.invoice_id)
        if not invoice:
            raise TransientError(
                self.env._(
                    "Invoice %(invoice)s credited by %(credit_note)s is not imported yet.",
                    invoice=credit_note.invoice_id,
                    credit_note=credit_note.id,
                ),
                awaits=("account.move", credit_note.invoice_id),
            )
        if credit_note.currency != invoice.currency_id.name:
            raise PermanentError(
                self.env._(
                    "Credit note %(credit_note)s is in %(credited)s but invoice %(invoice)s "
                    "in %(billed)s.",
                    credit_note=credit_note.id,
                    credited=credit_note.currency,
                    invoice=invoice.name,
                    billed=invoice.currency_id.name,
                )
            )
        date = self._company_date(backend, credit_note.created)
        values = {
            "move_type": "out_refund",
            "company_id": backend.company_id.id,
            "journal_id": invoice.journal_id.id,
            "partner_id": invoice.partner_id.id,
            "currency_id": invoice.currency_id.id,
            "reversed_entry_id": invoice.id,
            "invoice_date": date,
            "invoice_payment_term_id": False,
            "invoice_date_due": date,
            "ref": credit_note.number,
            "payment_reference": credit_note.number,
            "invoice_origin": invoice.name,
            "saas_subscription_ref": invoice.saas_subscription_ref,
            "narration": credit_note.memo,
            "invoice_line_ids": [
                Command.create(self._credit_note_line_values(backend, line, sequence))
                for sequence, line in enumerate(credit_note.lines, start=1)
            ],
        }
        # What the refunds of this credit note settled while it was unknown gives way to it:
        # a credit note of a refund becomes this one (one document, whichever event came
        # first), anything else is canceled.
        settlements = bindings.lookup_many(backend, "account.move", credit_note.refund_ids)
        stand_ins = self.env["account.move"].union(*settlements.values())
        stand_ins = stand_ins.filtered(
            lambda move: (
                move.state == "posted"
                and self.env["saas.stripe.refund.handler"]._refund_made(backend, move)
            )
        )
        move = stand_ins.filtered(lambda move: move.move_type == "out_refund")[:1]
        if move:
            if not self._reopen_stand_in(backend, move, credit_note):
                return move
            move.write(
                {
                    **values,
                    "invoice_line_ids": [Command.delete(line.id) for line in move.invoice_line_ids]
                    + values["invoice_line_ids"],
                }
            )
        else:
            move = self.env["account.move"].with_company(backend.company_id).create(values)
        move.action_post()
        if credit_note.type != "pre_payment":
            # Posting reconciles a credit note with the invoice it credits when that is still
            # open — here only because the invoice's payment is not imported yet. A
            # post-payment credit note settles its refund (or stays as the customer's credit):
            # whichever arrives first, the invoice is matched with its payment and the credit
            # note with its refund.
            move.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            ).remove_move_reconcile()
        for stand_in in stand_ins - move:
            stand_in.button_cancel()
            stand_in.message_post(
                body=self.env._("Replaced by credit note %s issued in Stripe.", move.name)
            )
        self.env["saas.stripe.invoice.handler"]._check_invoice_totals(backend, move, credit_note)
        for line in move.invoice_line_ids:
            bindings.bind(backend, line, line.saas_source_line_id)
        if credit_note.type == "pre_payment":
            self._reconcile_receivables(backend, invoice, move)
        for refund_id in credit_note.refund_ids:
            self._settle_refund_credit_note(backend, refund_id, move)
        return move

    def _reopen_stand_in(self, backend, move, credit_note):
        """Reset the credit note a refund made to draft, for Stripe's credit note to take its
        place. Once its period is closed or its revenue recognized it stays as it is: it
        becomes Stripe's credit note when it credits the same total (its number noted), and
        the event fails with the reason otherwise. Returns whether it was reset."""
        try:
            with self.env.cr.savepoint():
                move.button_draft()
            return True
        except UserError as error:
            reason = str(error)
        if odoo_decimal(move.amount_total, move.currency_id) != credit_note.total:
            raise PermanentError(
                self.env._(
                    "Credit note %(credit_note)s of Stripe credits %(stripe)s, but %(move)s, "
                    "which its refund made, credits %(odoo)s and can no longer change: "
                    "%(reason)s Reverse %(move)s by hand, then replay this event.",
                    credit_note=credit_note.id,
                    stripe=credit_note.total,
                    move=move.name,
                    odoo=odoo_decimal(move.amount_total, move.currency_id),
                    reason=reason,
                )
            )
        move.ref = credit_note.number
        move.message_post(
            body=self.env._(
                "Stands for credit note %(number)s issued in Stripe, of the same total; kept as "
                "it is: %(reason)s",
                number=credit_note.number,
                reason=reason,
            )
        )
        return False

    def _credit_note_line_values(self, backend, line, sequence):
        """An Odoo credit note line of a Stripe one: priced and taxed as an invoice line is,
        and with the product, service period and proration flag of the invoice line it
        credits."""
        credited = self.env["account.move.line"]
        if line.invoice_line_id:
            credited = self.env["saas.binding"].lookup(
                backend, "account.move.line", line.invoice_line_id
            )
            if not credited:
                raise PermanentError(
                    self.env._(
                        "Credit note line %(line)s credits invoice line %(invoice_line)s, "
                        "which is not in Odoo.",
                        line=line.id,
                        invoice_line=line.invoice_line_id,
                    )
                )
        quantity, price_unit, discount = self.env["saas.stripe.invoice.handler"]._line_pricing(
            backend, line
        )
        return {
            "sequence": sequence,
            "display_type": "product",
            "name": line.description or credited.name or line.id,
            "product_id": credited.product_id.id,
            "quantity": quantity,
            "price_unit": price_unit,
            "discount": discount,
            "tax_ids": [
                Command.set(self.env["saas.stripe.invoice.handler"]._line_taxes(backend, line).ids)
            ],
            "saas_service_start": credited.saas_service_start,
            "saas_service_end": credited.saas_service_end,
            "saas_is_proration": credited.saas_is_proration,
            "saas_source_line_id": line.id,
        }

    def _settle_refund_credit_note(self, backend, refund_id, move):
        """Bind the credit note to its refund and reconcile it with the refund's payment if
        that came first."""
        bindings = self.env["saas.binding"]
        bindings.bind(backend, move, refund_id)
        payment = bindings.lookup(backend, "account.payment", refund_id)
        if payment.state in ("in_process", "paid"):
            self._reconcile_receivables(backend, payment.move_id, move)

    def _reconcile_receivables(self, backend, first, second):
        """Reconcile the open receivable lines of two entries of the same customer."""
        receivable = first.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).account_id
        lines = (first.line_ids + second.line_ids).filtered(
            lambda line: line.account_id in receivable and not line.reconciled
        )
        if lines.filtered(lambda line: line.balance > 0) and lines.filtered(
            lambda line: line.balance < 0
        ):
            lines.reconcile()
