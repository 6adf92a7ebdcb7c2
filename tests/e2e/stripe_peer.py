"""The Stripe side of the billing scenarios: customers, plans, subscriptions and invoices made
through the ``stripe`` SDK against localstripe, and the few deliveries localstripe does not
make, built and signed here the way Stripe builds and signs them."""

import json
import time
import uuid

import requests
import stripe

from odoo.addons.saas_stripe.lib.signature import sign

API_KEY = "sk_test_e2e_0123456789"
GOOD_CARD = "4242424242424242"
# localstripe charges SEPA debits asynchronously and fails the debits of this IBAN (Stripe's
# test IBAN for a failed debit). That is the only failure it reports with
# invoice.payment_failed: a declined card (4000000000000341) fails the API call and sends
# no event at all.
FAILING_IBAN = "DE62370400440532013001"


def stripe_client(localstripe_url):
    return stripe.StripeClient(API_KEY, base_addresses={"api": localstripe_url})


def unique(label):
    return f"{label}-{uuid.uuid4().hex[:8]}"


def create_customer(client, name, card=GOOD_CARD):
    """A customer with a unique email, paying by ``card`` by default."""
    customer = client.v1.customers.create(
        params={"name": name, "email": f"{unique('billing')}@example.com"}
    )
    card_method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": card, "exp_month": 12, "exp_year": 2035, "cvc": "123"},
        }
    )
    set_default_payment_method(client, customer.id, card_method.id)
    return customer


def set_default_payment_method(client, customer_id, payment_method_id):
    client.v1.payment_methods.attach(payment_method_id, params={"customer": customer_id})
    client.v1.customers.update(
        customer_id, params={"invoice_settings": {"default_payment_method": payment_method_id}}
    )


def create_plan(client, name, amount_cents, interval, currency="usd"):
    """A product and its plan, in USD unless told (localstripe has plans, not prices)."""
    product = client.v1.products.create(params={"name": name})
    return client.v1.plans.create(
        params={
            "product": product.id,
            "amount": amount_cents,
            "currency": currency,
            "interval": interval,
        }
    )


def subscribe(client, customer_id, plan_id, quantity):
    return client.v1.subscriptions.create(
        params={"customer": customer_id, "items": [{"plan": plan_id, "quantity": quantity}]}
    )


def event_ids(client):
    """The ids of every event localstripe has emitted so far."""
    events = client.v1.events.list(params={"limit": 100})
    return {event.id for event in events.auto_paging_iter()}


def subscription_updated_payload(client, subscription_id):
    """The ``customer.subscription.updated`` event Stripe sends after an update, which
    localstripe does not send: the subscription as the API returns it now, in the envelope of
    localstripe's own events (API version 2017-08-15)."""
    subscription = client.v1.subscriptions.retrieve(subscription_id)
    event = {
        "id": f"evt_{uuid.uuid4().hex[:14]}",
        "object": "event",
        "api_version": "2017-08-15",
        "created": int(time.time()),
        "livemode": False,
        "type": "customer.subscription.updated",
        "data": {"object": subscription.to_dict()},
    }
    return json.dumps(event, indent=2, sort_keys=True).encode()


def deliver(webhook_url, payload, secret):
    """POST ``payload`` (bytes) to the webhook URL, signed now with ``secret``."""
    return requests.post(
        webhook_url,
        data=payload,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(payload, secret, time.time()),
        },
        timeout=30,
    )


def activated_for(customer, crm, deal_id):
    """Whether the localstripe ``customer`` was made by the activation of ``deal_id`` on the
    CRM backend ``crm`` (the metadata activations give their customers)."""
    metadata = customer.to_dict().get("metadata") or {}
    return metadata.get("crm_backend") == str(crm.id) and metadata.get("crm_deal_id") == deal_id
