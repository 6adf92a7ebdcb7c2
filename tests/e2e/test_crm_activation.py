"""A deal won in HubSpot becomes exactly one Stripe subscription, end to end: the fake HubSpot
signs and sends its webhooks to a real Odoo server, which reads the deal back from it, creates
the customer and the subscription in localstripe, and then receives them from localstripe's
own webhooks as a subscription in Odoo, linked to the deal's activation. Re-deliveries, a
later change of the won deal and a refused call retried create nothing more in Stripe.
The billing status is then written back to the deal, and the events HubSpot's emitter sends
about that write are ignored as our own; a quantity changed on the won deal updates the
Stripe subscription's item.

localstripe has no invoices sent by email (``collection_method=send_invoice``, the backend's
default): the backend charges automatically, so Stripe first refuses the subscription of the
new customer, who has no card yet; the card is added in Stripe, and the activation retried."""

from stripe_peer import activated_for, stripe_client
from waiting import settled, wait_until

from odoo.addons.saas_crm_sync.tests.common import won_hubspot_deal

TIMEOUT = 120


def test_a_won_deal_becomes_one_stripe_subscription(
    env, hubspot, hubspot_backend, crm_subscribed, localstripe_url
):
    client = stripe_client(localstripe_url)
    crm = hubspot_backend
    crm.action_crm_setup_writeback()
    env.cr.commit()
    hubspot.subscribe(crm.webhook_url, "deal.creation", "deal.propertyChange")

    deal_id = won_hubspot_deal(hubspot, stage="contractsent", lines=(("PRO", 3),))
    hubspot.crm_update("deals", deal_id, {"dealstage": "closedwon"})
    assert hubspot.wait_idle()

    activation = crm_subscribed(crm)
    assert activation.deal_external_id == f"deal/{deal_id}"
    subscription = activation.subscription_id
    assert subscription.partner_id == activation.partner_id
    assert activation.partner_id.name == "Acme Rockets"

    # HubSpot delivers every batch again, and the won deal changes once more.
    for delivery in list(hubspot.emitter.deliveries):
        hubspot.emitter.deliver(delivery.url, delivery.build)
    hubspot.crm_update("deals", deal_id, {"amount": "700"})
    assert hubspot.wait_idle()

    events = wait_until(settled(crm), env, timeout=TIMEOUT)
    assert events and set(events.mapped("state")) == {"done"}, events.mapped("last_error")
    assert env["saas.crm.activation"].search_count([("backend_id", "=", crm.id)]) == 1

    customers = [
        customer
        for customer in client.v1.customers.list(params={"limit": 100}).auto_paging_iter()
        # Scoped to this test's backend: localstripe outlives the fake CRMs, whose ids
        # start afresh with each test.
        if activated_for(customer, crm, deal_id)
    ]
    assert [customer.id for customer in customers] == [activation.stripe_customer_id]
    subscriptions = [
        sub.to_dict()
        for sub in client.v1.subscriptions.list(
            params={"customer": activation.stripe_customer_id}
        ).data
    ]
    # localstripe keeps the subscription of a call it refused, incomplete (Stripe makes
    # nothing of a refused call): that one aside, the customer has the activation's only.
    made = [sub for sub in subscriptions if sub["status"] != "incomplete"]
    assert [sub["id"] for sub in made] == [activation.stripe_subscription_id]
    assert len(subscriptions) == 2
    assert made[0]["metadata"]["correlation_id"] == activation.correlation_id
    assert made[0]["metadata"]["crm_deal_id"] == deal_id
    assert made[0]["items"]["data"][0]["quantity"] == 3

    _written_back_then_quantity_changed(env, hubspot, client, activation, deal_id)


def _written_back_then_quantity_changed(env, hubspot, client, activation, deal_id):
    # The status written back to the deal; HubSpot sends its changes back as events of our
    # app, which read nothing and change nothing.
    def written_back(env):
        properties = hubspot.objects["deals"][str(deal_id)]["properties"]
        return properties if properties.get("odoo_subscription_status") == "active" else False

    properties = wait_until(written_back, env, timeout=TIMEOUT)
    assert properties, hubspot.objects["deals"][str(deal_id)]["properties"]
    assert properties["odoo_stripe_subscription_id"] == activation.stripe_subscription_id
    assert properties["odoo_mrr"] == "147.00"
    assert properties["odoo_currency"] == "USD"
    assert properties["odoo_partner_id"] == str(activation.partner_id.id)
    assert hubspot.wait_idle()
    events = wait_until(settled(activation.backend_id), env, timeout=TIMEOUT)
    own = events.filtered(lambda event: "Odoo's own write" in (event.note or ""))
    assert own, events.mapped("note")
    assert set(events.mapped("state")) == {"done"}, events.mapped("last_error")

    # Five seats instead of three: the next event of the deal updates the Stripe item.
    (line_item,) = hubspot.associations[("deals", str(deal_id), "line_items")]
    hubspot.crm_update("line_items", line_item, {"quantity": "5"})
    hubspot.crm_update("deals", deal_id, {"amount": "1000"})
    assert hubspot.wait_idle()

    def quantity_in_stripe(env):
        sub = client.v1.subscriptions.retrieve(activation.stripe_subscription_id).to_dict()
        return sub["items"]["data"][0]["quantity"] == 5

    assert wait_until(quantity_in_stripe, env, timeout=TIMEOUT), (
        env["saas.crm.activation"]
        .browse(activation.id)
        .read(["stripe_items", "items_revision", "error"])
    )
