"""An opportunity won in Salesforce becomes exactly one Stripe subscription, end to end: the
fake Salesforce org's Flow sends its outbound message to a real Odoo server, which checks the
organization, reads the opportunity back over REST, creates the customer and the
subscription in localstripe and receives them from localstripe's webhooks as a subscription
in Odoo, linked to the opportunity's activation; the billing status is then written to the
opportunity's ``Odoo_*__c`` fields. An acknowledgement lost on its way back is redelivered
by Salesforce and stored once; a message of another organization is refused and stores
nothing.

As in test_crm_activation.py, the backend charges automatically (localstripe emails no
invoices): Stripe refuses the subscription until a card is added to the new customer."""

from decimal import Decimal

from salesforce_peer import API_VERSION, SalesforcePeer
from stripe_peer import activated_for, stripe_client
from waiting import settled, wait_until

from odoo.addons.saas_crm_sync.lib import writeback
from odoo.addons.saas_crm_sync.tests.common import salesforce_opportunity

TIMEOUT = 120
OTHER_ORGANIZATION_ID = "00D5g00000OTHERAAA"
# The fields the Flow's outbound message selects (the readme's advice: IsWon spares a call).
MESSAGE_FIELDS = ("StageName", "IsWon", "SystemModstamp")


def lose_first_acknowledgement(peer):
    """The first acknowledgement Odoo sends never reaches Salesforce (a connection dropped on
    the way back): for Salesforce it is missing, and the message is delivered again."""
    acknowledged = peer.emitter.accepted
    lost = []

    def accepted(status, headers, body):
        if not lost:
            lost.append(body)
            return False
        return acknowledged(status, headers, body)

    peer.emitter.accepted = accepted


def test_a_won_opportunity_becomes_one_stripe_subscription_written_back(
    env, salesforce, salesforce_backend, crm_subscribed, localstripe_url
):
    crm = salesforce_backend
    # The Flow: an outbound message of every opportunity won, created or changed.
    salesforce.outbound_message(
        crm.webhook_url, "Opportunity", MESSAGE_FIELDS, when=lambda record: record["IsWon"]
    )
    opportunity = salesforce_opportunity(salesforce, "Negotiation/Review")
    lose_first_acknowledgement(salesforce)
    salesforce.user_update("Opportunity", opportunity, {"StageName": "Closed Won"})
    assert salesforce.wait_idle()

    (delivery,) = salesforce.emitter.deliveries
    assert delivery.state == "accepted"
    assert [status for _number, status, _body in delivery.attempts] == [200, 200]
    assert all(b"<Ack>true</Ack>" in body for _number, _status, body in delivery.attempts)
    events = wait_until(settled(crm), env, timeout=TIMEOUT)
    assert len(events) == 1, "the redelivered message is stored once"
    assert events.event_type == "Opportunity.outbound"
    assert events.object_external_id == f"Opportunity/{opportunity}"

    activation = crm_subscribed(crm)
    assert activation.deal_external_id == f"Opportunity/{opportunity}"
    assert activation.partner_id.name == "Globex"
    assert activation.partner_id.child_ids.mapped("email") == ["hank@globex.example"]
    assert activation.subscription_id.partner_id == activation.partner_id

    client = stripe_client(localstripe_url)
    customers = [
        customer
        for customer in client.v1.customers.list(params={"limit": 100}).auto_paging_iter()
        # Scoped to this test's backend: localstripe outlives the fake CRMs, whose ids
        # start afresh with each test.
        if activated_for(customer, crm, opportunity)
    ]
    assert [customer.id for customer in customers] == [activation.stripe_customer_id]
    subscription = client.v1.subscriptions.retrieve(activation.stripe_subscription_id).to_dict()
    assert subscription["items"]["data"][0]["quantity"] == 3
    assert subscription["metadata"]["crm"] == "salesforce"

    def written_back(env):
        record = salesforce.record("Opportunity", opportunity)
        return record if record["Odoo_Subscription_Status__c"] == "active" else False

    record = wait_until(written_back, env, timeout=TIMEOUT)
    assert record, salesforce.record("Opportunity", opportunity)
    assert record["Odoo_Stripe_Subscription_Id__c"] == activation.stripe_subscription_id
    assert record["Odoo_MRR__c"] == Decimal("147.00")
    assert record["Odoo_ARR__c"] == Decimal("1764.00")
    assert record["Odoo_Currency__c"] == "USD"
    assert record["Odoo_Partner_Id__c"] == str(activation.partner_id.id)
    assert record["Odoo_Correlation_Id__c"] == activation.correlation_id
    composite = f"/services/data/{API_VERSION}/composite/sobjects"
    assert ("PATCH", composite, writeback.SALESFORCE_CLIENT) in salesforce.writes

    # The write-back changed the won opportunity: the Flow sends it again, which reads it and
    # makes nothing more.
    assert salesforce.wait_idle()
    events = wait_until(settled(crm), env, timeout=TIMEOUT)
    assert len(events) > 1 and set(events.mapped("state")) == {"done"}, events.mapped("last_error")
    assert env["saas.crm.activation"].search_count([("backend_id", "=", crm.id)]) == 1
    subscriptions = client.v1.subscriptions.list(
        params={"customer": activation.stripe_customer_id}
    ).data
    # localstripe keeps the subscription of the call it refused, incomplete (Stripe makes
    # nothing of a refused call): that one aside, the customer has the activation's only.
    made = [sub.id for sub in subscriptions if sub.status != "incomplete"]
    assert made == [activation.stripe_subscription_id]


def test_a_message_of_another_organization_is_refused_and_stores_nothing(env, salesforce_backend):
    with SalesforcePeer(organization_id=OTHER_ORGANIZATION_ID, retry_delays=(0.2,)) as other:
        other.outbound_message(salesforce_backend.webhook_url, "Opportunity", MESSAGE_FIELDS)
        salesforce_opportunity(other, "Negotiation/Review")
        assert other.wait_idle()

    (delivery,) = other.emitter.deliveries
    assert delivery.state == "failed"
    assert [status for _number, status, _body in delivery.attempts] == [403, 403]
    assert b"another organization" in delivery.attempts[0][2]
    env.cr.rollback()
    assert not env["saas.event"].search_count([("backend_id", "=", salesforce_backend.id)])
