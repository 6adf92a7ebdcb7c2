import dataclasses
from datetime import UTC, timedelta
from decimal import Decimal

from odoo import models
from odoo.addons.saas_connector_base.lib.errors import PermanentError, TransientError
from odoo.addons.saas_connector_base.lib.money import odoo_decimal
from odoo.fields import Command

from ..lib.api import StripePermanentError
from ..lib.normalize import NormalizeError, normalize_object

# Event types whose handler begins by importing the invoice when it is finalized: what a job
# may import beforehand, together with the other invoices of the job.
IMPORTING_TYPES = frozenset(
    {
        "invoice.created",
        "invoice.updated",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    }
)
# Statuses of an invoice Stripe has finalized: it has a number, its lines and amounts are
# frozen. A draft can still change, so it creates nothing in Odoo.
FINALIZED_STATUSES = frozenset({"open", "paid", "uncollectible", "void"})


class SaasStripeInvoiceHandler(models.AbstractModel):
    """Stripe invoices → posted customer invoices.

    An invoice is imported once, from the first event that shows it finalized (any of
    ``invoice.finalized``, ``.updated``, ``.paid``, ``.payment_failed``, … — whichever comes
    first), as a posted ``out_invoice`` in the invoice's currency, one Odoo line per Stripe
    line, and bound to the invoice id (each line to its line id). Later events change its
    state only: Stripe never changes a finalized invoice's lines.

    What a Stripe invoice becomes depends on its total:

    - above zero: a customer invoice;
    - zero (a trial, a free tier, a change fully offset by a credit): a posted customer
      invoice at zero all the same. It has nothing to collect, but its lines and service
      periods belong to the subscription's history, as they do in Stripe;
    - below zero (a downgrade whose unused-time credit exceeds the new charges): a posted
      credit note (``out_refund``) with each line's sign turned, so that it reads as Odoo
      users expect one to, with positive amounts for what is credited. Stripe keeps that
      amount as the customer's credit balance and takes it off the next invoices: the credit
      note stays open on the customer's receivable until an invoice uses it (see below).

    Decisions worth knowing:

    - Amounts tie to the cent or the event fails: after posting, the untaxed amount, the tax
      and the total are compared with Stripe's, and any difference fails the event with both
      figures (the event's savepoint takes the invoice back). There is never a balancing line.
    - A line's unit price is its amount divided by its quantity only when that is exact in
      Odoo's *Product Price* accuracy; otherwise the line is quantity 1 at its amount (Stripe's
      description, which names the quantity, stays as the label). A discount is a percentage
      only when that percentage is exact in the *Discount* accuracy, else the unit price is
      the discounted one.
    - Taxes come from the backend's tax mapping (``saas.stripe.tax.map``). An unmapped tax rate
      fails the event with a message naming it, unless the backend matches taxes by rate: the
      rate is then read from Stripe and mapped to the one Odoo sales tax with its percentage,
      inclusiveness and country, a mapping recorded for finance to review (several or no such
      taxes fail the event, naming them).
    - Stripe pays an invoice from the customer's credit balance first (its
      ``starting_balance`` is negative): the import reconciles that much of the customer's
      open Stripe credit notes with the invoice, so that the card payment Stripe then reports
      (the rest, ``amount_paid``) settles it exactly.
    - Service periods are calendar dates in the company's time zone (that of the company's
      partner, UTC without one). Stripe's period end is the instant the next period starts, so
      the last day of service is the day before it; a one-off item whose period starts and ends
      at the same instant covers its single day.
    - A currency that is not active in Odoo fails the event: activating a currency (and
      keeping its rates) is a decision for finance, not for an import.
    - A customer whose event has not been applied yet makes the event retry: an invoice is
      addressed to the partner the customer's own event creates.
    - An event embeds an invoice's first lines only (``lines.has_more``): all of its lines are
      then listed through the API before anything is written. Stripe being unreachable or busy
      there makes the event retry.
    """

    _name = "saas.stripe.invoice.handler"
    _inherit = "saas.stripe.handler"
    _description = "Stripe Invoice Handler"

    _provider = "stripe"
    _handles = {
        "invoice.created": "_invoice_updated",
        "invoice.updated": "_invoice_updated",
        "invoice.finalized": "_invoice_updated",
        "invoice.voided": "_invoice_voided",
        "invoice.marked_uncollectible": "_invoice_uncollectible",
        "invoice.payment_failed": "_invoice_payment_failed",
    }

    # ---------------------------------------------------------------------------------------
    # Handlers
    # ---------------------------------------------------------------------------------------
    def _invoice_updated(self, backend, event):
        return self._invoice_move(backend, self._event_object(backend, event), event)

    def _invoice_voided(self, backend, event):
        invoice = self._event_object(backend, event)
        move = self._invoice_move(backend, invoice, event)
        if move.state == "posted":
            self._void_move(backend, move, event)
        elif move.state == "draft":
            # Reset to draft in Odoo: nothing was left to reverse.
            move.button_cancel()
            move.message_post(body=self.env._("Voided in Stripe."))
        return move

    def _void_move(self, backend, move, event):
        """Cancel a posted invoice or credit note Stripe voided, or reverse it when its period
        is closed."""
        lock_date = move.company_id._get_user_fiscal_lock_date(move.journal_id)
        if lock_date and move.date <= lock_date:
            # A closed period keeps its entries: the void lands in the first open one.
            move._reverse_moves(
                [
                    {
                        "invoice_date": self._company_date(backend, event.source_created),
                        "ref": self.env._("Voided in Stripe: %s", move.name),
                    }
                ],
                cancel=True,
            )
        else:
            move.button_cancel()
        move.message_post(body=self.env._("Voided in Stripe."))

    def _invoice_uncollectible(self, backend, event):
        invoice = self._event_object(backend, event)
        move = self._invoice_move(backend, invoice, event)
        if not move or move.state != "posted":
            return move
        if backend.stripe_uncollectible_policy != "write_off":
            move.message_post(
                body=self.env._("Marked uncollectible in Stripe; left open as the policy says.")
            )
            return move
        return [move, self._write_off(backend, move, event)]

    def _invoice_payment_failed(self, backend, event):
        invoice = self._event_object(backend, event)
        move = self._invoice_move(backend, invoice, event)
        if move.state != "posted":
            return move
        failure = self.env._(
            "Stripe could not collect %(amount)s %(currency)s on %(date)s.",
            # 2017-08-15 payloads carry no amount_remaining; amount_due is then what was asked.
            amount=(
                invoice.amount_remaining
                if invoice.amount_remaining is not None
                else invoice.amount_due
            ),
            currency=invoice.currency,
            date=self._company_date(backend, event.source_created),
        )
        values = {
            "stripe_payment_failed": True,
            "stripe_payment_failure": failure,
            # Stripe names no next attempt once its retries are exhausted.
            "stripe_next_payment_attempt": _naive(invoice.next_payment_attempt),
        }
        if invoice.failure_reason:
            # Otherwise the failed charge's own event brings it (charge.failed).
            values["stripe_decline_reason"] = invoice.failure_reason
        move.write(values)
        todo = self.env.ref("mail.mail_activity_data_todo")
        user = backend.responsible_id or self.env.ref("base.user_admin")
        # One open to-do per invoice, however many attempts fail.
        if not move.activity_ids.filtered(
            lambda activity: activity.activity_type_id == todo and activity.user_id == user
        ):
            move.activity_schedule(
                activity_type_id=todo.id,
                user_id=user.id,
                summary=self.env._("Stripe payment failed"),
                note=failure,
            )
        return move

    # ---------------------------------------------------------------------------------------
    # Import
    # ---------------------------------------------------------------------------------------
    def _invoice_move(self, backend, invoice, event):
        """The invoice's posted move, imported now if the invoice is finalized and not yet in
        Odoo; an empty recordset for a draft."""
        bindings = self.env["saas.binding"]
        move = bindings.lookup(backend, "account.move", invoice.id)
        if not move and invoice.status in FINALIZED_STATUSES:
            move = self._import_invoice(backend, invoice)
            self._apply_customer_credit(backend, move, invoice.starting_balance)
        elif move and move.state != "posted" and invoice.status in FINALIZED_STATUSES - {"void"}:
            self._repost_move(backend, move, invoice)
        if move:
            bindings.bind(backend, move, invoice.id, updated=event.source_created)
        return move

    def _repost_move(self, backend, move, invoice):
        """Post again an invoice that was reset to draft (or cancelled) in Odoo while Stripe
        shows it finalized: Stripe owns it. Its amounts must still be Stripe's — lines edited
        in the meantime fail the event with both figures, and the invoice stays as it was."""
        if move.state == "cancel":
            move.button_draft()
        move.action_post()
        invoice = dataclasses.replace(
            invoice, lines=self._document_lines(backend, invoice, "invoice")
        )
        self._check_invoice_totals(
            backend, move, _turned(invoice) if invoice.total < 0 else invoice
        )
        move.message_post(
            body=self.env._(
                "Posted again: Stripe shows invoice %(invoice)s %(status)s.",
                invoice=invoice.id,
                status=invoice.status,
            )
        )

    def _import_invoice(self, backend, invoice):
        partner = self.env["saas.binding"].lookup(backend, "res.partner", invoice.customer_id)
        if not partner:
            raise TransientError(
                self.env._(
                    "Customer %(customer)s of invoice %(invoice)s is not imported yet.",
                    customer=invoice.customer_id,
                    invoice=invoice.id,
                ),
                awaits=("res.partner", invoice.customer_id),
            )
        return self._import_invoices(backend, [self._move_values(backend, invoice, partner)])

    def _move_values(self, backend, invoice, partner):
        """``(values of the move, invoice as the move must tie to it)`` of a finalized Stripe
        invoice addressed to ``partner``: all of its lines, its signs turned when it stands
        for a credit note."""
        currency = self._active_currency(backend, invoice.currency)
        invoice = dataclasses.replace(
            invoice, lines=self._document_lines(backend, invoice, "invoice")
        )
        credit = (invoice.total or 0) < 0
        if credit:
            invoice = _turned(invoice)
        invoice_date = self._company_date(backend, invoice.finalized_at or invoice.created)
        values = {
            "move_type": "out_refund" if credit else "out_invoice",
            "company_id": backend.company_id.id,
            "journal_id": self._sales_journal(backend).id,
            "partner_id": partner.id,
            "currency_id": currency.id,
            "invoice_date": invoice_date,
            # Stripe set the due date; a payment term would compute another one.
            "invoice_payment_term_id": False,
            "invoice_date_due": self._company_date(backend, invoice.due_date) or invoice_date,
            "ref": invoice.number,
            "payment_reference": invoice.number,
            "stripe_invoice_number": invoice.number,
            "invoice_origin": invoice.subscription_id,
            "saas_subscription_ref": invoice.subscription_id,
            "invoice_line_ids": [
                Command.create(self._invoice_line_values(backend, line, sequence))
                for sequence, line in enumerate(invoice.lines, start=1)
            ],
        }
        return values, invoice

    def _import_invoices(self, backend, moves_values):
        """The posted moves of ``moves_values`` (from :meth:`_move_values`), created in one
        ``create`` and posted in one ``action_post``, each tied to its invoice to the cent
        and its lines bound to Stripe's."""
        moves = (
            self.env["account.move"]
            .with_company(backend.company_id)
            .create([values for values, _invoice in moves_values])
        )
        moves.action_post()
        bindings = self.env["saas.binding"]
        for move, (_values, invoice) in zip(moves, moves_values, strict=True):
            self._check_invoice_totals(backend, move, invoice)
            for line in move.invoice_line_ids:
                bindings.bind(backend, line, line.saas_source_line_id)
        return moves

    def _prepare_invoices(self, backend, events):
        """Import at once the invoices that ``events``, the waiting events of one job, would
        import one by one; the events they were imported for.

        An invoice is prepared when its object's first event in source order imports it
        (an event of ``IMPORTING_TYPES`` showing it finalized, not waiting for a retry,
        which time places: not tied) and nothing would differ: no move is bound to it yet,
        its customer is, and Stripe took nothing from the customer's credit balance (that
        import reconciles credit notes, left to the handler). The move is bound without a
        source time, so that the event still applies it as the state it brings; an invoice
        whose values cannot be made (an unmapped tax…) is left to its event, which reports
        why."""
        by_object = events.filtered(lambda event: event.object_type == "invoice").grouped(
            "object_external_id"
        )
        bindings = self.env["saas.binding"]
        imported = bindings.lookup_many(backend, "account.move", list(by_object))
        candidates = []
        for object_id, object_events in by_object.items():
            ordered, tied = backend._in_source_order(object_events)
            first = ordered[0]
            if (
                object_id in imported
                or tied
                or first.event_type not in IMPORTING_TYPES
                or first.next_attempt_at
            ):
                continue
            try:
                invoice = self._event_object(backend, first)
            except PermanentError:
                continue
            if invoice.status in FINALIZED_STATUSES and (invoice.starting_balance or 0) >= 0:
                candidates.append((first, invoice))
        partners = bindings.lookup_many(
            backend, "res.partner", {invoice.customer_id for _event, invoice in candidates}
        )
        prepared = self.env["saas.event"]
        moves_values = []
        for event, invoice in candidates:
            partner = partners.get(invoice.customer_id)
            if not partner:
                continue
            try:
                with self.env.cr.savepoint():
                    moves_values.append(self._move_values(backend, invoice, partner))
            except Exception:
                # Left to the event's handler, which meets the error again and reports it.
                continue
            prepared |= event
        if not moves_values:
            return prepared
        moves = self._import_invoices(backend, moves_values)
        for move, (_values, invoice) in zip(moves, moves_values, strict=True):
            bindings.bind(backend, move, invoice.id)
        return prepared

    def _document_lines(self, backend, document, label):
        """All lines of an invoice or credit note ``document``: those of the payload, or when
        Stripe truncated them (``lines.has_more``), every line listed by the API, page after
        page. ``label`` names the document in messages ("invoice", "credit note")."""
        if not document.lines_has_more:
            return document.lines
        service = "credit_notes" if label == "credit note" else "invoices"
        try:
            entries = backend._stripe_api().line_items(service, document.id)
        except StripePermanentError as error:
            raise PermanentError(
                self.env._(
                    "Stripe did not list the lines of %(label)s %(document)s: %(error)s",
                    label=label,
                    document=document.id,
                    error=error.user_message or error.http_status,
                )
            ) from None
        try:
            # Line items carry no currency of their own (invoice lines of older API versions,
            # credit note lines always).
            return tuple(
                normalize_object({"currency": document.currency, **entry}) for entry in entries
            )
        except NormalizeError as error:
            raise PermanentError(self.env._("Unreadable Stripe payload: %s", error)) from None

    def _apply_customer_credit(self, backend, move, starting_balance):
        """Reconcile ``move`` with the customer's open Stripe credit notes for as much as
        Stripe took from the customer's credit balance (``-starting_balance``, at most the
        invoice's total), oldest credit first."""
        if move.move_type != "out_invoice" or not starting_balance or starting_balance >= 0:
            return
        receivables = move.line_ids.filtered(lambda line: line.display_type == "payment_term")
        credits = self.env["account.move.line"].search(
            [
                ("company_id", "=", move.company_id.id),
                ("partner_id", "=", move.commercial_partner_id.id),
                ("account_id", "in", receivables.account_id.ids),
                ("currency_id", "=", move.currency_id.id),
                ("move_id.move_type", "=", "out_refund"),
                ("move_id.journal_id", "=", move.journal_id.id),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual_currency", "<", 0),
            ],
            order="date, id",
        )
        wanted = min(-starting_balance, odoo_decimal(move.amount_total, move.currency_id))
        used = self.env["account.move.line"]
        available = odoo_decimal(0.0, move.currency_id)
        for line in credits:
            if available >= wanted:
                break
            used |= line
            available += -odoo_decimal(line.amount_residual_currency, move.currency_id)
        if used:
            (receivables + used).reconcile()
        if available < wanted:
            move.message_post(
                body=self.env._(
                    "Stripe paid %(wanted)s %(currency)s of this invoice from the customer's "
                    "credit balance, but only %(available)s %(currency)s of Stripe credit notes "
                    "are open in Odoo for this customer: the rest stays due here.",
                    wanted=wanted,
                    available=available,
                    currency=move.currency_id.name,
                )
            )

    def _invoice_line_values(self, backend, line, sequence):
        quantity, price_unit, discount = self._line_pricing(backend, line)
        start, end = self._service_dates(backend, line)
        return {
            "sequence": sequence,
            "display_type": "product",
            "name": line.description or line.id,
            "product_id": line.product_id
            and self.env["saas.stripe.product.handler"]
            ._product_template(backend, line.product_id)
            .product_variant_id.id,
            "quantity": quantity,
            "price_unit": price_unit,
            "discount": discount,
            "tax_ids": [Command.set(self._line_taxes(backend, line).ids)],
            "saas_service_start": start,
            "saas_service_end": end,
            "saas_is_proration": line.proration,
            "saas_source_line_id": line.id,
        }

    def _line_pricing(self, backend, line):
        """``(quantity, unit price, discount %)`` whose Odoo subtotal is exactly the line's
        amount after discounts (see the class docstring)."""
        line_fields = self.env["account.move.line"]._fields
        price_digits = line_fields["price_unit"].get_digits(self.env)[1]
        discount_digits = line_fields["discount"].get_digits(self.env)[1]
        quantity_digits = line_fields["quantity"].get_digits(self.env)[1]
        discount = sum((entry.amount for entry in line.discount_amounts), Decimal(0))
        quantity = line.quantity
        if not quantity or not _fits(quantity, quantity_digits):
            quantity = Decimal(1)
        if discount and line.amount:
            percent = discount * 100 / line.amount
            unit = line.amount / quantity
            if (
                _fits(percent, discount_digits)
                and _fits(unit, price_digits)
                and unit * quantity == line.amount
            ):
                return quantity, unit, percent
        net = line.amount - discount
        unit = net / quantity
        if _fits(unit, price_digits) and unit * quantity == net:
            return quantity, unit, Decimal(0)
        if _fits(net, price_digits):
            return Decimal(1), net, Decimal(0)
        raise PermanentError(
            self.env._(
                "Line %(line)s amounts to %(amount)s, finer than the %(digits)s decimals of "
                "the Product Price accuracy. Raise that accuracy, then replay the event.",
                line=line.id,
                amount=net,
                digits=price_digits,
            )
        )

    def _line_taxes(self, backend, line):
        taxes = self.env["account.tax"]
        for tax in line.tax_amounts:
            if not tax.tax_rate_id:
                if tax.amount:
                    raise PermanentError(
                        self.env._(
                            "Line %(line)s carries a tax of %(amount)s without a tax rate; "
                            "it cannot be mapped to an Odoo tax.",
                            line=line.id,
                            amount=tax.amount,
                        )
                    )
                continue
            tax_maps = self.env["saas.stripe.tax.map"]
            mapping = tax_maps.search(
                [("backend_id", "=", backend.id), ("stripe_tax_rate_id", "=", tax.tax_rate_id)],
                limit=1,
            )
            if not mapping and backend.stripe_tax_match_by_rate:
                mapping = tax_maps._stripe_match_by_rate(backend, tax.tax_rate_id)
            if not mapping:
                raise PermanentError(
                    self.env._(
                        "Stripe tax rate %(rate)s (line %(line)s) has no Odoo tax. Map it in "
                        "the Tax Mapping of backend %(backend)s, then replay the event.",
                        rate=tax.tax_rate_id,
                        line=line.id,
                        backend=backend.name,
                    )
                )
            if mapping.tax_id.price_include != tax.inclusive:
                raise PermanentError(
                    self.env._(
                        "Stripe tax rate %(rate)s is %(kind)s but its Odoo tax %(tax)s is not: "
                        "map it to a tax that is %(kind)s.",
                        rate=tax.tax_rate_id,
                        tax=mapping.tax_id.display_name,
                        kind=self.env._("included in the price")
                        if tax.inclusive
                        else self.env._("excluded from the price"),
                    )
                )
            taxes |= mapping.tax_id
        return taxes

    def _service_dates(self, backend, line):
        if not line.period_start or not line.period_end:
            return False, False
        start = self._company_date(backend, line.period_start)
        return start, max(start, self._company_date(backend, line.period_end) - timedelta(days=1))

    def _check_invoice_totals(self, backend, move, invoice):
        """Fail unless the posted move's amounts are Stripe's, to the currency's unit."""
        currency = move.currency_id
        tax = invoice.tax or Decimal(0)
        inclusive_tax = sum(
            (
                tax_line.amount
                for line in invoice.lines
                for tax_line in line.tax_amounts
                if tax_line.inclusive
            ),
            Decimal(0),
        )
        # Stripe's subtotal is before discounts and includes inclusive taxes.
        expected = {
            "untaxed": invoice.subtotal - (invoice.discount or 0) - inclusive_tax,
            "tax": tax,
            "total": invoice.total,
        }
        actual = {
            "untaxed": odoo_decimal(move.amount_untaxed, currency),
            "tax": odoo_decimal(move.amount_tax, currency),
            "total": odoo_decimal(move.amount_total, currency),
        }
        differences = [
            self.env._(
                "%(figure)s %(odoo)s in Odoo, %(stripe)s in Stripe",
                figure=figure,
                odoo=actual[figure],
                stripe=expected[figure],
            )
            for figure in ("untaxed", "tax", "total")
            if actual[figure] != expected[figure]
        ]
        if differences:
            raise PermanentError(
                self.env._(
                    "Invoice %(invoice)s does not tie to Stripe (%(currency)s): "
                    "%(differences)s. Check the tax mapping and the decimal accuracy.",
                    invoice=invoice.id,
                    currency=currency.name,
                    differences="; ".join(differences),
                )
            )

    def _write_off(self, backend, move, event):
        """Settle what is left of ``move`` against the write-off account: one entry that
        credits the receivable, reconciled with the invoice."""
        receivables = move.line_ids.filtered(
            lambda line: line.display_type == "payment_term" and not line.reconciled
        )
        if not receivables:
            return self.env["account.move"]
        if not backend.stripe_writeoff_account_id:
            raise PermanentError(
                self.env._(
                    "Backend %s writes off uncollectible invoices but has no write-off "
                    "account. Set one, then replay the event.",
                    backend.name,
                )
            )
        residual = sum(receivables.mapped("amount_residual"))
        residual_currency = sum(receivables.mapped("amount_residual_currency"))
        common = {"partner_id": move.commercial_partner_id.id, "currency_id": move.currency_id.id}
        entry = (
            self.env["account.move"]
            .with_company(backend.company_id)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": move.journal_id.id,
                    "date": self._company_date(backend, event.source_created),
                    "ref": self.env._("Uncollectible in Stripe: %s", move.name),
                    "line_ids": [
                        Command.create(
                            {
                                **common,
                                "account_id": receivables[0].account_id.id,
                                "balance": -residual,
                                "amount_currency": -residual_currency,
                            }
                        ),
                        Command.create(
                            {
                                **common,
                                "account_id": backend.stripe_writeoff_account_id.id,
                                "balance": residual,
                                "amount_currency": residual_currency,
                            }
                        ),
                    ],
                }
            )
        )
        entry.action_post()
        (
            receivables
            + entry.line_ids.filtered(lambda line: line.account_id == receivables[0].account_id)
        ).reconcile()
        return entry

    def _sales_journal(self, backend):
        # A backend created before its company had a chart of accounts has no journal yet.
        journal = backend.stripe_journal_id or backend._stripe_company_sales_journal()
        if not journal:
            raise PermanentError(
                self.env._(
                    "Company %s has no sales journal for Stripe invoices.", backend.company_id.name
                )
            )
        return journal

    def _active_currency(self, backend, code):
        currency = self._currency(backend, code)
        if not currency.active:
            raise PermanentError(
                self.env._(
                    "Currency %s is not active. Activate it (with its rates) in the "
                    "Accounting settings, then replay the event.",
                    currency.name,
                )
            )
        return currency


def _turned(invoice):
    """``invoice`` with the sign of every amount turned: a negative invoice as the credit note
    that stands for it."""

    def turn(amount):
        return -amount if amount is not None else None

    def turn_line(line):
        return dataclasses.replace(
            line,
            amount=-line.amount,
            unit_amount=turn(line.unit_amount),
            discount_amounts=tuple(
                dataclasses.replace(entry, amount=-entry.amount) for entry in line.discount_amounts
            ),
            tax_amounts=tuple(
                dataclasses.replace(
                    entry, amount=-entry.amount, taxable_amount=turn(entry.taxable_amount)
                )
                for entry in line.tax_amounts
            ),
        )

    return dataclasses.replace(
        invoice,
        subtotal=turn(invoice.subtotal),
        discount=turn(invoice.discount),
        tax=turn(invoice.tax),
        total=turn(invoice.total),
        lines=tuple(turn_line(line) for line in invoice.lines),
    )


def _fits(number, digits):
    """Whether ``number`` has at most ``digits`` decimals, i.e. survives Odoo's rounding."""
    return number == number.quantize(Decimal(1).scaleb(-digits))


def _naive(moment):
    """An aware timestamp of ``lib/normalize`` as Odoo stores datetimes: naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else False
