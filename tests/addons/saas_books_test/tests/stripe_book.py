"""A Stripe account's book, generated from a seed: the webhook events Stripe sends while it
happens, in the order Stripe emits them, and the final state of every object, which the
account's API serves.

Objects take the shapes of API version 2020-08-27 (the version of the recorded
stripe-sync-engine payloads the normalizer is tested on). Amounts are integer minor units as
Stripe sends them; prorations are computed by the second, as Stripe computes them. Event times
are whole seconds and several events share one, as at Stripe.
"""

import copy
import random
from datetime import UTC, datetime

API_VERSION = "2020-08-27"
DAY = 86_400

# (product name, currency, unit amount in minor units, interval)
PLANS = (
    ("Starter", "usd", 2_900, "month"),
    ("Pro", "eur", 4_900, "month"),
    ("Team", "jpy", 120_000, "year"),
    ("Business", "usd", 49_000, "year"),
)


def add_interval(timestamp, interval):
    """The same instant one month or one year later (the day clamped to the month's end), the
    way Stripe moves a billing anchor."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    months = 12 if interval == "year" else 1
    year, month = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + year, month + 1
    for day in range(moment.day, 27, -1):
        try:
            return int(moment.replace(year=year, month=month, day=day).timestamp())
        except ValueError:
            continue
    return int(moment.replace(year=year, month=month).timestamp())


class StripeBook:
    """``events`` in emission order; ``objects`` by id, each in its final state."""

    def __init__(self, seed, customers=30, start=datetime(2026, 1, 5, 9, tzinfo=UTC), days=50):
        self.seed = seed
        self.rng = random.Random(seed)
        self.start = int(start.timestamp())
        self.end = self.start + days * DAY
        self.events = []
        self.objects = {}
        self._counter = 0
        self.prices = [self._plan(*plan) for plan in PLANS]
        self.disputes = 0
        for index in range(customers):
            # Every book has a dispute: the last customer disputes if nobody else did.
            self._customer_story(index, dispute=index == customers - 1 and not self.disputes)
        self.events.sort(key=lambda event: event["created"])  # stable: emission order kept

    # Building blocks ------------------------------------------------------------------------
    def new_id(self, prefix):
        self._counter += 1
        return f"{prefix}_s{self.seed}x{self._counter:05d}"

    def emit(self, event_type, obj, at, previous=None):
        """Stripe's event for ``obj`` as it is now (a snapshot), sent at ``at``."""
        self.objects[obj["id"]] = obj
        data = {"object": copy.deepcopy(obj)}
        if previous:
            data["previous_attributes"] = previous
        self.events.append(
            {
                "id": self.new_id("evt"),
                "object": "event",
                "api_version": API_VERSION,
                "created": at,
                "data": data,
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": event_type,
            }
        )

    def _plan(self, name, currency, unit_amount, interval):
        product = {
            "id": self.new_id("prod"),
            "object": "product",
            "active": True,
            "name": f"{name} plan",
            "description": None,
            "created": self.start - DAY,
            "metadata": {},
            "livemode": False,
        }
        self.emit("product.created", product, self.start - DAY)
        price = {
            "id": self.new_id("price"),
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": self.start - DAY,
            "currency": currency,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": f"{name} {interval}ly",
            "product": product["id"],
            "recurring": {
                "aggregate_usage": None,
                "interval": interval,
                "interval_count": 1,
                "trial_period_days": None,
                "usage_type": "licensed",
            },
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        }
        self.emit("price.created", price, self.start - DAY + 1)
        return price

    def _as_plan(self, price):
        return {
            "id": price["id"],
            "object": "plan",
            "active": True,
            "amount": price["unit_amount"],
            "amount_decimal": price["unit_amount_decimal"],
            "billing_scheme": "per_unit",
            "currency": price["currency"],
            "interval": price["recurring"]["interval"],
            "interval_count": 1,
            "nickname": price["nickname"],
            "product": price["product"],
            "usage_type": "licensed",
        }

    # One customer's story ---------------------------------------------------------------
    def _customer_story(self, index, dispute=False):
        rng = self.rng
        price = self.prices[index % len(self.prices)]
        at = self.start + rng.randrange(0, 15 * DAY) // 60 * 60
        customer = {
            "id": self.new_id("cus"),
            "object": "customer",
            "address": {
                "city": "Lyon" if price["currency"] == "eur" else "Austin",
                "country": {"usd": "US", "eur": "FR", "jpy": "JP"}[price["currency"]],
                "line1": f"{index + 1} Market Street",
                "line2": None,
                "postal_code": "69001",
                "state": None,
            },
            "balance": 0,
            "created": at,
            "currency": price["currency"],
            "delinquent": False,
            "description": None,
            "email": f"billing{index}.s{self.seed}@example.com",
            "livemode": False,
            "metadata": {},
            "name": f"Customer {index:02d} (book {self.seed})",
            "phone": None,
            "tax_ids": {"object": "list", "data": [], "has_more": False},
        }
        self.emit("customer.created", customer, at)
        subscription = Subscription(self, customer, price, quantity=rng.randint(1, 4), at=at)
        trial = rng.random() < 0.15 and not dispute
        subscription.start(at, trial_days=14 if trial else 0)

        story = rng.choices(
            (
                "renew",
                "upgrade",
                "downgrade",
                "cancel_at_end",
                "cancel_now",
                "failed_then_paid",
                "unpaid",
                "refund_full",
                "refund_partial",
                "credit_note",
                "dispute",
            ),
            weights=(4, 3, 2, 2, 2, 2, 1, 1, 2, 2, 1),
        )[0]
        if dispute:
            story = "dispute"
        period_end = subscription.obj["current_period_end"]
        # Mid-period, within the book (an annual period outlasts it).
        middle = min(
            (subscription.obj["current_period_start"] + period_end) // 2,
            subscription.obj["current_period_start"] + 12 * DAY,
        )
        if story == "upgrade":
            subscription.change_quantity(
                subscription.quantity + rng.randint(1, 3), middle, invoice_now=True
            )
        elif story == "downgrade" and subscription.quantity > 1:
            subscription.change_quantity(subscription.quantity - 1, middle, invoice_now=False)
        elif story == "cancel_now":
            subscription.cancel(middle)
            return
        elif story == "cancel_at_end":
            subscription.cancel_at_period_end(middle)
        elif story == "dispute" and subscription.paid:
            _invoice, charge = subscription.paid[-1]
            Disputes(self).dispute(charge, middle, won=rng.random() < 0.5)
        elif story in ("refund_full", "refund_partial", "credit_note") and subscription.paid:
            invoice, charge = subscription.paid[-1]
            if story == "credit_note":
                Refunds(self).credit_note(invoice, charge, middle)
            else:
                full = story == "refund_full"
                Refunds(self).refund(
                    charge,
                    charge["amount"]
                    if full
                    else max(1, charge["amount"] * rng.randint(10, 60) // 100),
                    middle,
                )
        # Renewals until the end of the book; the story's twist on the first one.
        renewal = 0
        while subscription.obj["status"] in ("active", "trialing", "past_due") and (
            subscription.obj["current_period_end"] < self.end
        ):
            if subscription.obj["cancel_at_period_end"]:
                subscription.end(subscription.obj["current_period_end"])
                break
            failing = renewal == 0 and story in ("failed_then_paid", "unpaid")
            subscription.renew(fail=failing, recover=story == "failed_then_paid")
            renewal += 1


class Subscription:
    def __init__(self, book, customer, price, quantity, at):
        self.book = book
        self.customer = customer
        self.price = price
        self.quantity = quantity
        self.interval = price["recurring"]["interval"]
        self.pending_prorations = []
        self.paid = []  # (invoice, charge)
        self.obj = {
            "id": book.new_id("sub"),
            "object": "subscription",
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "collection_method": "charge_automatically",
            "created": at,
            "currency": price["currency"],
            "current_period_end": None,
            "current_period_start": None,
            "customer": customer["id"],
            "ended_at": None,
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": book.new_id("si"),
                        "object": "subscription_item",
                        "created": at,
                        "metadata": {},
                        "plan": book._as_plan(price),
                        "price": price,
                        "quantity": quantity,
                        "subscription": None,
                    }
                ],
                "has_more": False,
            },
            "latest_invoice": None,
            "livemode": False,
            "metadata": {},
            "pause_collection": None,
            "plan": book._as_plan(price),
            "quantity": quantity,
            "start_date": at,
            "status": "incomplete",
            "trial_end": None,
            "trial_start": None,
        }
        self.obj["items"]["data"][0]["subscription"] = self.obj["id"]

    @property
    def item(self):
        return self.obj["items"]["data"][0]

    def _set_quantity(self, quantity):
        self.quantity = quantity
        self.item["quantity"] = quantity
        self.obj["quantity"] = quantity

    def _line(self, amount, period_start, period_end, quantity, proration, description):  # noqa: PLR0917
        return {
            "id": self.book.new_id("il"),
            "object": "line_item",
            "amount": amount,
            "currency": self.price["currency"],
            "description": description,
            "discount_amounts": [],
            "discountable": True,
            "discounts": [],
            "livemode": False,
            "metadata": {},
            "period": {"start": period_start, "end": period_end},
            "plan": self.book._as_plan(self.price),
            "price": self.price,
            "proration": proration,
            "quantity": quantity,
            "subscription": self.obj["id"],
            "subscription_item": self.item["id"],
            "tax_amounts": [],
            "tax_rates": [],
            "type": "subscription",
        }

    def _period_line(self, start, end):
        name = self.book.objects[self.price["product"]]["name"]
        return self._line(
            self.price["unit_amount"] * self.quantity,
            start,
            end,
            self.quantity,
            False,
            f"{self.quantity} \u00d7 {name}",
        )

    def start(self, at, trial_days=0):
        if trial_days:
            trial_end = at + trial_days * DAY
            self.obj.update(status="trialing", trial_start=at, trial_end=trial_end)
            self.obj.update(current_period_start=at, current_period_end=trial_end)
            self.book.emit("customer.subscription.created", self.obj, at)
            Invoicing(self).bill(
                [self._line(0, at, trial_end, self.quantity, False, "Trial period")],
                at,
                "subscription_create",
            )
            end = add_interval(trial_end, self.interval)
            self.obj.update(
                status="active", current_period_start=trial_end, current_period_end=end
            )
            invoice = Invoicing(self).bill(
                [self._period_line(trial_end, end)], trial_end, "subscription_cycle"
            )
            self.book.emit(
                "customer.subscription.updated",
                self.obj,
                trial_end + 1,
                previous={"status": "trialing"},
            )
            return invoice
        end = add_interval(at, self.interval)
        self.obj.update(status="active", current_period_start=at, current_period_end=end)
        invoice = Invoicing(self).bill([self._period_line(at, end)], at, "subscription_create")
        self.book.emit("customer.subscription.created", self.obj, at)
        return invoice

    def change_quantity(self, quantity, at, invoice_now):
        """A quantity change mid-period, prorated by the second: credit for the unused time at
        the old quantity, charge for the rest of the period at the new one."""
        start, end = self.obj["current_period_start"], self.obj["current_period_end"]
        unit = self.price["unit_amount"]
        remaining = end - at
        old_quantity = self.quantity

        def prorated(qty):
            return round(unit * qty * remaining / (end - start))

        name = self.book.objects[self.price["product"]]["name"]
        lines = [
            self._line(
                -prorated(old_quantity),
                at,
                end,
                old_quantity,
                True,
                f"Unused time on {old_quantity} \u00d7 {name}",
            ),
            self._line(
                prorated(quantity),
                at,
                end,
                quantity,
                True,
                f"Remaining time on {quantity} \u00d7 {name}",
            ),
        ]
        self._set_quantity(quantity)
        self.book.emit(
            "customer.subscription.updated", self.obj, at, previous={"quantity": old_quantity}
        )
        if invoice_now:
            Invoicing(self).bill(lines, at + 1, "subscription_update")
        else:
            self.pending_prorations.extend(lines)

    def renew(self, fail=False, recover=True):
        start = self.obj["current_period_end"]
        end = add_interval(start, self.interval)
        self.obj.update(current_period_start=start, current_period_end=end)
        lines = [*self.pending_prorations, self._period_line(start, end)]
        self.pending_prorations = []
        self.book.emit(
            "customer.subscription.updated",
            self.obj,
            start,
            previous={"current_period_start": start},
        )
        Invoicing(self).bill(lines, start + 60, "subscription_cycle", fail=fail, recover=recover)

    def cancel_at_period_end(self, at):
        self.obj.update(
            cancel_at_period_end=True, cancel_at=self.obj["current_period_end"], canceled_at=at
        )
        self.book.emit(
            "customer.subscription.updated", self.obj, at, previous={"cancel_at_period_end": False}
        )

    def end(self, at):
        self.obj.update(status="canceled", ended_at=at)
        self.book.emit(
            "customer.subscription.deleted", self.obj, at, previous={"status": "active"}
        )

    def cancel(self, at):
        self.obj.update(canceled_at=at)
        self.end(at)


class Invoicing:
    def __init__(self, subscription):
        self.subscription = subscription
        self.book = subscription.book

    def bill(self, lines, at, billing_reason, fail=False, recover=True):
        book, subscription = self.book, self.subscription
        total = sum(line["amount"] for line in lines)
        invoice = {
            "id": book.new_id("in"),
            "object": "invoice",
            "amount_due": total,
            "amount_paid": 0,
            "amount_remaining": total,
            "attempt_count": 0,
            "attempted": False,
            "billing_reason": billing_reason,
            "charge": None,
            "collection_method": "charge_automatically",
            "created": at,
            "currency": subscription.price["currency"],
            "customer": subscription.customer["id"],
            "customer_email": subscription.customer["email"],
            "customer_name": subscription.customer["name"],
            "discount": None,
            "due_date": None,
            "ending_balance": None,
            "lines": {
                "object": "list",
                "data": lines,
                "has_more": False,
                "total_count": len(lines),
                "url": "",
            },
            "livemode": False,
            "metadata": {},
            "next_payment_attempt": None,
            "number": None,
            "paid": False,
            "payment_intent": None,
            "period_end": at,
            "period_start": at,
            "starting_balance": 0,
            "status": "draft",
            "status_transitions": {"finalized_at": None, "paid_at": None},
            "subscription": subscription.obj["id"],
            "subtotal": total,
            "tax": None,
            "total": total,
            "total_discount_amounts": [],
            "total_tax_amounts": [],
        }
        invoice["lines"]["url"] = f"/v1/invoices/{invoice['id']}/lines"
        subscription.obj["latest_invoice"] = invoice["id"]
        book.emit("invoice.created", invoice, at)
        invoice.update(
            status="open",
            number=f"S{book.seed}-{book._counter:05d}",
            ending_balance=0,
            status_transitions={"finalized_at": at, "paid_at": None},
        )
        book.emit("invoice.finalized", invoice, at)
        if total <= 0:
            invoice.update(status="paid", paid=True, amount_remaining=0, amount_paid=0)
            invoice["status_transitions"]["paid_at"] = at
            book.emit("invoice.paid", invoice, at)
            return invoice
        if fail:
            retry_at = at + 3 * DAY
            self._charge(invoice, at, succeeded=False)
            invoice.update(attempt_count=1, attempted=True, next_payment_attempt=retry_at)
            subscription.obj["status"] = "past_due"
            book.emit("invoice.payment_failed", invoice, at)
            book.emit(
                "customer.subscription.updated",
                subscription.obj,
                at + 1,
                previous={"status": "active"},
            )
            if not recover:
                return invoice
            at = retry_at
        charge = self._charge(invoice, at, succeeded=True)
        invoice.update(
            status="paid",
            paid=True,
            amount_paid=total,
            amount_remaining=0,
            charge=charge["id"],
            payment_intent=charge["payment_intent"],
            attempt_count=invoice["attempt_count"] + 1,
            attempted=True,
            next_payment_attempt=None,
        )
        invoice["status_transitions"]["paid_at"] = at
        book.emit("invoice.paid", invoice, at)
        book.emit("invoice.payment_succeeded", invoice, at)
        if subscription.obj["status"] == "past_due":
            subscription.obj["status"] = "active"
            book.emit(
                "customer.subscription.updated",
                subscription.obj,
                at,
                previous={"status": "past_due"},
            )
        subscription.paid.append((invoice, charge))
        return invoice

    def _charge(self, invoice, at, succeeded):
        book = self.book
        charge = {
            "id": book.new_id("ch"),
            "object": "charge",
            "amount": invoice["amount_due"],
            "amount_captured": invoice["amount_due"] if succeeded else 0,
            "amount_refunded": 0,
            "balance_transaction": book.new_id("txn") if succeeded else None,
            "captured": succeeded,
            "created": at,
            "currency": invoice["currency"],
            "customer": invoice["customer"],
            "description": None,
            "disputed": False,
            "failure_code": None if succeeded else "card_declined",
            "failure_message": None if succeeded else "Your card was declined.",
            "invoice": invoice["id"],
            "livemode": False,
            "metadata": {},
            "paid": succeeded,
            "payment_intent": book.new_id("pi"),
            "refunded": False,
            "refunds": {"object": "list", "data": [], "has_more": False, "total_count": 0},
            "status": "succeeded" if succeeded else "failed",
        }
        book.emit("charge.succeeded" if succeeded else "charge.failed", charge, at)
        return charge


class Refunds:
    def __init__(self, book):
        self.book = book

    def refund(self, charge, amount, at):
        book = self.book
        refund = {
            "id": book.new_id("re"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": book.new_id("txn"),
            "charge": charge["id"],
            "created": at,
            "currency": charge["currency"],
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "reason": "requested_by_customer",
            "status": "succeeded",
        }
        book.objects[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["refunds"]["data"].insert(0, copy.deepcopy(refund))
        charge["refunds"]["total_count"] += 1
        book.emit("charge.refunded", charge, at, previous={"amount_refunded": 0})
        return refund

    def credit_note(self, invoice, charge, at):
        """A credit note for the first line of a paid invoice, refunded to the card."""
        book = self.book
        line = invoice["lines"]["data"][-1]
        amount = line["amount"] // 2
        if amount <= 0:
            return None
        refund = self.refund(charge, amount, at)
        credit_note = {
            "id": book.new_id("cn"),
            "object": "credit_note",
            "amount": amount,
            "created": at,
            "currency": invoice["currency"],
            "customer": invoice["customer"],
            "customer_balance_transaction": None,
            "discount_amount": 0,
            "discount_amounts": [],
            "invoice": invoice["id"],
            "lines": {
                "object": "list",
                "data": [
                    {
                        "id": book.new_id("cnli"),
                        "object": "credit_note_line_item",
                        "amount": amount,
                        "description": line["description"],
                        "discount_amount": 0,
                        "discount_amounts": [],
                        "invoice_line_item": line["id"],
                        "livemode": False,
                        "quantity": 1,
                        "tax_amounts": [],
                        "tax_rates": [],
                        "type": "invoice_line_item",
                        "unit_amount": amount,
                        "unit_amount_decimal": str(amount),
                    }
                ],
                "has_more": False,
            },
            "livemode": False,
            "memo": None,
            "metadata": {},
            "number": f"CN-{book.seed}-{book._counter:05d}",
            "out_of_band_amount": None,
            "reason": "order_change",
            "refund": refund["id"],
            "status": "issued",
            "subtotal": amount,
            "tax_amounts": [],
            "total": amount,
            "type": "post_payment",
            "voided_at": None,
        }
        book.emit("credit_note.created", credit_note, at)
        return credit_note


class Disputes:
    """A card payment disputed by the customer's bank: the disputed amount and Stripe's fee
    withdrawn at once, evidence submitted, then the dispute closed after its deadline, won
    (the amount reinstated) or lost. Each event carries the whole dispute with the balance
    transactions so far."""

    FEE = {"usd": 1_500, "eur": 1_500, "jpy": 2_000}

    def __init__(self, book):
        self.book = book

    def _transaction(self, dispute, amount, fee, at, description):
        return {
            "id": self.book.new_id("txn"),
            "object": "balance_transaction",
            "amount": amount,
            "available_on": at + 2 * DAY,
            "created": at,
            "currency": dispute["currency"],
            "description": description,
            "exchange_rate": None,
            "fee": fee,
            "fee_details": [
                {
                    "amount": fee,
                    "application": None,
                    "currency": dispute["currency"],
                    "description": "Dispute fee",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else [],
            "net": amount - fee,
            "reporting_category": "dispute" if amount < 0 else "dispute_reversal",
            "source": dispute["id"],
            "status": "pending",
            "type": "adjustment",
        }

    def dispute(self, charge, at, won):
        book = self.book
        book.disputes += 1
        dispute = {
            "id": book.new_id("dp"),
            "object": "dispute",
            "amount": charge["amount"],
            "balance_transactions": [],
            "charge": charge["id"],
            "created": at,
            "currency": charge["currency"],
            "evidence_details": {
                "due_by": at + 14 * DAY,
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
            "is_charge_refundable": False,
            "livemode": False,
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "reason": "fraudulent",
            "status": "needs_response",
        }
        charge["disputed"] = True
        book.emit("charge.dispute.created", dispute, at)
        dispute["balance_transactions"].append(
            self._transaction(
                dispute,
                -charge["amount"],
                self.FEE[charge["currency"]],
                at,
                f"Chargeback withdrawal for {charge['id']}",
            )
        )
        book.emit("charge.dispute.funds_withdrawn", dispute, at)
        # Evidence submitted within the deadline (14 days); the bank decides after it.
        closed = at + 20 * DAY
        dispute["evidence_details"]["has_evidence"] = True
        dispute["evidence_details"]["submission_count"] = 1
        dispute["status"] = "under_review"
        book.emit(
            "charge.dispute.updated",
            dispute,
            at + 5 * DAY,
            previous={"status": "needs_response"},
        )
        if won:
            dispute["balance_transactions"].append(
                self._transaction(
                    dispute,
                    charge["amount"],
                    0,
                    closed,
                    f"Chargeback reversal for {charge['id']}",
                )
            )
            dispute["status"] = "won"
            book.emit("charge.dispute.funds_reinstated", dispute, closed)
        else:
            dispute["status"] = "lost"
        book.emit("charge.dispute.closed", dispute, closed, previous={"status": "under_review"})
        return dispute
