"""A won HubSpot deal gets through what goes wrong on the way, end to end: HubSpot's rate limit
refusing the write-back (429) is waited out and the status written after all; a deal whose
product is not mapped fails its event into the exception queue, and once the product is
mapped, Replay makes the subscription. The signature checks are covered where they are made
(addons/saas_crm_sync/tests/test_hubspot_webhook.py), whatever the transport.

As in test_crm_activation.py, the backend charges automatically (localstripe emails no
invoices): Stripe refuses the subscription until a card is added to the new customer."""

from stripe_peer import create_plan, stripe_client
from waiting import settled, wait_until

from odoo.addons.saas_crm_sync.tests.common import won_hubspot_deal

TIMEOUT = 120


def win(env, hubspot, backend, lines=(("PRO", 1),)):
    """A deal won by a sales rep, its event processed; returns the deal id and the events."""
    hubspot.subscribe(backend.webhook_url, "deal.propertyChange")
    deal_id = won_hubspot_deal(hubspot, stage="contractsent", lines=lines)
    hubspot.crm_update("deals", deal_id, {"dealstage": "closedwon"})
    assert hubspot.wait_idle()
    events = wait_until(settled(backend), env, timeout=TIMEOUT)
    assert events
    return deal_id, events


def test_a_rate_limited_write_back_waits_and_completes(
    env, hubspot, hubspot_backend, crm_subscribed
):
    crm = hubspot_backend
    crm.action_crm_setup_writeback()
    env.cr.commit()
    deal_id, events = win(env, hubspot, crm)
    assert events.state == "done", events.last_error
    # The portal's other integrations used up HubSpot's limit: from now on every call is
    # refused with a 429, until it lifts.
    limit, hubspot.rate_limit = hubspot.rate_limit, 0

    activation = crm_subscribed(crm)

    def refused(env):
        return any(path.endswith("/deals/batch/update") for _method, path in hubspot.requests)

    assert wait_until(refused, env, timeout=TIMEOUT), hubspot.requests
    assert "odoo_subscription_status" not in hubspot.objects["deals"][str(deal_id)]["properties"]
    hubspot.rate_limit = limit

    def written_back(env):
        properties = hubspot.objects["deals"][str(deal_id)]["properties"]
        return properties if properties.get("odoo_subscription_status") == "active" else False

    properties = wait_until(written_back, env, timeout=TIMEOUT)
    assert properties, hubspot.objects["deals"][str(deal_id)]["properties"]
    assert properties["odoo_stripe_subscription_id"] == activation.stripe_subscription_id
    job = env["queue.job"].search(
        [("identity_key", "=", f"saas.crm.writeback:{crm.id}:deal/{deal_id}")]
    )
    assert job.state == "done"
    assert job.retry >= 1, "the same job, retried after the refusal"
    activation.invalidate_recordset()
    assert not activation.writeback_pending
    assert not activation.writeback_error


def test_a_failed_event_replayed_from_the_exception_queue_subscribes_the_deal(
    env, hubspot, hubspot_backend, crm_subscribed, localstripe_url
):
    crm = hubspot_backend
    # localstripe makes subscriptions of one item: the deal sells one product.
    deal_id, event = win(env, hubspot, crm, lines=(("SSO", 2),))
    assert event.state == "failed"
    assert "SSO" in event.last_error and "not mapped to a Stripe price" in event.last_error
    assert not env["saas.crm.activation"].search_count([("backend_id", "=", crm.id)])

    # Finance maps the product, then replays the event from the exception queue.
    client = stripe_client(localstripe_url)
    sso = create_plan(client, "Single sign-on", 1500, "month")
    crm.crm_product_map_ids = [(0, 0, {"crm_product_ref": "SSO", "stripe_price_id": sso.id})]
    event.action_replay()
    env.cr.commit()

    activation = crm_subscribed(crm)
    assert activation.deal_external_id == f"deal/{deal_id}"
    event.invalidate_recordset()
    assert event.state == "done"
    subscription = client.v1.subscriptions.retrieve(activation.stripe_subscription_id).to_dict()
    (item,) = subscription["items"]["data"]
    assert (item["plan"]["id"], item["quantity"]) == (sso.id, 2)
    # Two seats at 15.00 a month, in Odoo as in Stripe.
    assert activation.subscription_id.mrr == 30.0
