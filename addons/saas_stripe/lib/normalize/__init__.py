"""Stripe payloads of any API version → canonical, frozen dataclasses.

A webhook endpoint receives objects shaped by its own API version, and several versions meet
in one database (old endpoints, backfills, replays). Handlers never read Stripe JSON: they get
the types exported here. Where a field moved between versions it is read from its newer place
first, then from the older one, and the comment names the version that moved it. Read so far:
2017-08-15 (as localstripe renders it), 2020-03-02, 2020-08-27, 2023-10-16, 2024-09-30.acacia,
2025-03-31.basil and later, 2025-11-17.clover.

Conventions:

- Amounts are ``Decimal`` in the currency's major unit, converted from Stripe's integer minor
  units by the currency's exponent (``lib.money``): JPY 500 → 500, USD 500 → 5.00,
  KWD 500 → 0.500. Never a float. Currency codes are upper-case ISO 4217.
- Every timestamp is an aware UTC ``datetime``, service periods included. A Stripe period is an
  instant to the second (a proration starts at the second of the change), and its calendar
  dates depend on the company's time zone, which only the caller knows.
- Related objects are given by id, whether Stripe sent the id or the expanded object.
- ``Event.previous_attributes`` stays as Stripe sent it: a partial object is not normalizable.
- An object type without a canonical class: ``normalize_object`` raises ``NormalizeError``,
  while ``normalize_event`` keeps the raw dict as ``Event.object``, so that every event can be
  stored and routed even when no handler will ever read its object.

One module per area: ``common`` (field readers), ``customer``, ``catalog`` (products, prices,
plans), ``subscription``, ``invoice`` (lines, discounts, taxes, tax rates), ``payment``
(charges, payment intents, invoice payments, refunds), ``credit_note``, ``dispute``,
``balance`` (balance transactions, payouts), ``event`` (envelopes, dispatch by type) and
``object_events`` (an object read from the API as the webhook events that apply it).
"""

from .balance import BalanceTransaction, Payout
from .catalog import Price, Product
from .common import NormalizeError
from .credit_note import CreditNote, CreditNoteLine
from .customer import Address, Customer, TaxId
from .dispute import (
    DISPUTE_CLOSED,
    DISPUTE_CLOSED_EVENT_STATUSES,
    DISPUTE_NEEDS_RESPONSE,
    DISPUTE_STATUSES,
    Dispute,
)
from .event import Event, normalize_event, normalize_object
from .invoice import DiscountAmount, Invoice, InvoiceLine, TaxAmount, TaxRate
from .object_events import sync_event_types
from .payment import (
    PAYMENT_CANCELED,
    PAYMENT_FAILED,
    PAYMENT_PENDING,
    PAYMENT_SUCCEEDED,
    Payment,
    Refund,
    payment_from_invoice,
)
from .subscription import PauseCollection, Subscription, SubscriptionItem
