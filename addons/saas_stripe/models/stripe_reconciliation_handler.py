from collections import defaultdict
from decimal import Decimal

from odoo import models
from odoo.addons.saas_connector_base.lib.reconciliation import (
    ProviderRecord,
    SubscriptionItemState,
    SubscriptionState,
)

from ..lib.normalize import (
    PAYMENT_SUCCEEDED,
    Dispute,
    Invoice,
    NormalizeError,
    Payment,
    Refund,
    normalize_object,
)
from .stripe_invoice_handler import FINALIZED_STATUSES
from .stripe_refund_handler import REFUND_SENT


class SaasStripeReconciliationHandler(models.AbstractModel):
    """Stripe's side of a reconciliation, one object at a time: what an object read from the
    API is for the engine's comparison, read through ``lib/normalize`` like every event. The
    backend lists and fetches the objects; what is compared for each type, and why, is told
    in ``stripe_reconciliation.py``."""

    _name = "saas.stripe.reconciliation.handler"
    _inherit = "saas.stripe.handler"
    _description = "Stripe Reconciliation Handler"

    _provider = "stripe"

    def _listed(self, backend, object_type, obj):
        """The ``ProviderRecord`` of ``obj`` (a dict of the API) as a document of
        ``object_type`` (a key of ``_provider_reconciled_types``), or None when Odoo makes
        nothing of it."""
        if object_type == "payment":
            try:
                payment = normalize_object(obj)
            except NormalizeError:
                return None  # a charge status no payment is made of
            return self._listed_payment(payment)
        return getattr(self, f"_listed_{object_type}")(normalize_object(obj))

    def _listed_invoice(self, invoice):
        if invoice.status not in FINALIZED_STATUSES:
            return None  # a draft makes nothing in Odoo
        return ProviderRecord(invoice.id, invoice.currency, invoice.total, invoice.status)

    def _listed_credit_note(self, credit_note):
        return ProviderRecord(
            credit_note.id, credit_note.currency, credit_note.total, credit_note.status
        )

    def _listed_payment(self, payment):
        if payment.status != PAYMENT_SUCCEEDED:
            return None
        return ProviderRecord(
            payment.id,
            payment.currency,
            payment.amount,
            "succeeded",
            keys=tuple(filter(None, (payment.payment_intent_id, payment.charge_id))),
            optional=not payment.invoice_id,
        )

    def _listed_refund(self, refund):
        status = "succeeded" if refund.status in REFUND_SENT else (refund.status or "pending")
        # A refund that never left makes no payment.
        return ProviderRecord(
            refund.id, refund.currency, refund.amount, status, optional=status != "succeeded"
        )

    def _listed_dispute(self, dispute):
        return ProviderRecord(dispute.id, dispute.currency, dispute.amount, dispute.status)

    def _listed_payout(self, payout):
        return ProviderRecord(payout.id, payout.currency, payout.amount, payout.status)

    def _subscription_state(self, obj):
        """A Stripe subscription (a dict of the API) as the engine compares it."""
        subscription = normalize_object(obj)
        items = []
        for item in subscription.items:
            price = item.price
            items.append(
                SubscriptionItemState(
                    price=item.price_id,
                    quantity=item.quantity or 0,
                    unit_amount=price and price.unit_amount,
                    interval=price and price.interval,
                    interval_count=(price and price.interval_count) or 1,
                )
            )
        return SubscriptionState(
            external_id=subscription.id,
            status=subscription.status,
            currency=(subscription.currency or "").upper(),
            items=tuple(items),
            ended_at=subscription.ended_at,
        )

    def _missing_prerequisites(self, backend, obj):
        """``(Stripe object type, id)`` of what Odoo needs before ``obj`` (a dict of the API)
        and does not have: the customer of an invoice, the invoice of a charge, the charge of
        a refund or a dispute — what an event lost along with ``obj``'s would have brought.
        An object the normalizer cannot read needs nothing: its own event reports it."""
        try:
            document = normalize_object(obj)
        except NormalizeError:
            return []
        bindings = self.env["saas.binding"]
        if isinstance(document, Invoice):
            customer_id = document.customer_id
            if customer_id and not bindings.lookup(backend, "res.partner", customer_id):
                return [("customer", customer_id)]
        elif isinstance(document, Payment) and document.object_type == "charge":
            invoice_id = document.invoice_id
            if invoice_id and not bindings.lookup(backend, "account.move", invoice_id):
                return [("invoice", invoice_id)]
        elif isinstance(document, Refund | Dispute):
            charge_id = document.charge_id
            payment_keys = (document.payment_intent_id, charge_id)
            if charge_id and not any(
                key and bindings.lookup(backend, "account.payment", key) for key in payment_keys
            ):
                return [("charge", charge_id)]
        return []

    def _fee_summary(self, backend, objects, label, sequence):
        """Summary values of the fees of balance transactions (dicts of the API), one line a
        currency: Stripe's fees against those an Odoo entry booked."""
        fees = self.env["saas.stripe.fee.handler"]
        transactions = fees._read_transactions(backend, objects)
        unbooked = {txn.id for txn in fees._unbooked_fees(backend, transactions)}
        figures_of = defaultdict(lambda: [0, Decimal(0), 0, Decimal(0)])
        for txn in transactions:
            if not txn.fee:
                continue
            figures = figures_of[txn.currency]
            figures[0] += 1
            figures[1] += txn.fee
            if txn.id not in unbooked:
                figures[2] += 1
                figures[3] += txn.fee
        return [
            {
                "sequence": sequence,
                "object_type": "fee",
                "name": label,
                "currency_id": self._currency(backend, currency).id,
                "provider_count": count,
                "provider_total": float(total),
                "odoo_count": odoo_count,
                "odoo_total": float(odoo_total),
            }
            for currency, (count, total, odoo_count, odoo_total) in figures_of.items()
        ]
