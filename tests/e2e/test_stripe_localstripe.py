"""Stripe → Odoo through real webhooks: localstripe sends signed events to a real Odoo
server, whose queue_job runner turns them into documents."""

import stripe
from waiting import wait_until


def stripe_client(localstripe_url):
    return stripe.StripeClient("sk_test_e2e_0123456789", base_addresses={"api": localstripe_url})


def bound(env, backend, model, external_id):
    return env["saas.binding"].lookup(backend.with_env(env), model, external_id)


def test_new_customer_becomes_a_partner(env, stripe_backend, localstripe_url):
    client = stripe_client(localstripe_url)
    customer = client.v1.customers.create(
        params={"email": "finance@northwind.example", "name": "Northwind Traders"}
    )

    partner = wait_until(lambda env: bound(env, stripe_backend, "res.partner", customer.id), env)

    assert partner, "the customer.created webhook was not turned into a partner"
    assert (partner.name, partner.email) == ("Northwind Traders", "finance@northwind.example")
    events = env["saas.event"].search([("backend_id", "=", stripe_backend.id)])
    assert "customer.created" in events.mapped("event_type")
    assert set(events.mapped("state")) <= {"done", "ignored", "stale"}


def test_customer_update_reaches_the_partner(env, stripe_backend, localstripe_url):
    client = stripe_client(localstripe_url)
    customer = client.v1.customers.create(
        params={"email": "ap@contoso.example", "name": "Contoso"}
    )
    assert wait_until(lambda env: bound(env, stripe_backend, "res.partner", customer.id), env)

    client.v1.customers.update(customer.id, params={"name": "Contoso Ltd"})

    partner = wait_until(
        lambda env: bound(env, stripe_backend, "res.partner", customer.id).filtered(
            lambda partner: partner.name == "Contoso Ltd"
        ),
        env,
    )
    assert partner.name == "Contoso Ltd"
