"""Helpers of the CRM provider tests: HubSpot and Salesforce backends pointed at the fake CRMs
of ``tests/e2e`` (``hubspot_peer.py``, ``salesforce_peer.py``), run in this process on
127.0.0.1, and deliveries signed or enveloped as the CRMs make them."""

import json
import sys
import time
import uuid
from pathlib import Path

from odoo.addons.saas_connector_base.tests.common import store_delivery
from odoo.addons.saas_stripe.tests.common import create_stripe_backend

# The fake CRMs are plain modules beside the end-to-end tests that also use them (their
# imports are relative to that folder): the same peers serve both kinds of tests.
PEERS = Path(__file__).resolve().parents[3] / "tests" / "e2e"
if str(PEERS) not in sys.path:
    sys.path.append(str(PEERS))

import hubspot_peer  # noqa: E402
import salesforce_peer  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
PRICE_PRO = "price_pro_monthly"
PRICE_SEATS = "price_seats_monthly"


def start_hubspot(case):
    """A fake HubSpot for the class ``case``, stopped after it."""
    peer = hubspot_peer.HubSpotPeer()
    peer.start()
    case.addClassCleanup(peer.stop)
    return peer


def start_salesforce(case, **options):
    peer = salesforce_peer.SalesforcePeer(**options)
    peer.start()
    case.addClassCleanup(peer.stop)
    return peer


def create_hubspot_backend(env, peer, **values):
    stripe = create_stripe_backend(env, name="Stripe for HubSpot")
    backend = env["saas.backend"].create(
        {
            "name": "HubSpot (fake)",
            "provider": "hubspot",
            "hubspot_api_base": peer.url,
            "hubspot_portal_id": str(hubspot_peer.PORTAL_ID),
            "crm_stripe_backend_id": stripe.id,
            "crm_product_map_ids": [
                (0, 0, {"crm_product_ref": "PRO", "stripe_price_id": PRICE_PRO}),
                (0, 0, {"crm_product_ref": "SEATS", "stripe_price_id": PRICE_SEATS}),
            ],
            **values,
        }
    )
    backend.hubspot_access_token = hubspot_peer.TOKEN
    backend.hubspot_client_secret = hubspot_peer.CLIENT_SECRET
    return backend


def create_salesforce_backend(env, peer, **values):
    stripe = create_stripe_backend(env, name="Stripe for Salesforce")
    backend = env["saas.backend"].create(
        {
            "name": "Salesforce (fake)",
            "provider": "salesforce",
            "salesforce_my_domain_url": peer.url,
            "salesforce_client_id": salesforce_peer.CLIENT_ID,
            "salesforce_organization_id": salesforce_peer.ORGANIZATION_ID,
            "salesforce_api_version": salesforce_peer.API_VERSION,
            "crm_stripe_backend_id": stripe.id,
            "crm_product_map_ids": [
                (0, 0, {"crm_product_ref": "PRO", "stripe_price_id": PRICE_PRO}),
            ],
            **values,
        }
    )
    backend.salesforce_client_secret = salesforce_peer.CLIENT_SECRET
    return backend


def hubspot_event(object_id, subscription_type="deal.propertyChange", event_id=1, **extra):
    """One event of a HubSpot webhook batch, as HubSpot writes it."""
    return {
        "eventId": event_id,
        "subscriptionId": 25_001,
        "portalId": hubspot_peer.PORTAL_ID,
        "appId": hubspot_peer.APP_ID,
        "occurredAt": int(time.time() * 1000),
        "subscriptionType": subscription_type,
        "attemptNumber": 0,
        "objectId": int(object_id),
        "changeSource": "CRM",
        "sourceId": "userId:1",
        **extra,
    }


def hubspot_headers(url, body, secret=hubspot_peer.CLIENT_SECRET, timestamp_ms=None):
    """The headers HubSpot sends with ``body`` POSTed to ``url``, signed by the peer's own
    implementation of the v3 signature."""
    timestamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Request-Timestamp": str(timestamp),
        "X-HubSpot-Signature-v3": hubspot_peer.sign_v3(secret, "POST", url, body, timestamp),
    }


def deliver_hubspot(env, backend, *events):
    """``events`` as one signed batch, verified and stored as the webhook route does."""
    body = json.dumps(list(events)).encode()
    url = backend.sudo().webhook_url
    return store_delivery(
        env, backend, body, hubspot_headers(url, body), [hubspot_peer.CLIENT_SECRET]
    )


def won_hubspot_deal(peer, stage="closedwon", pipeline="default", lines=(("PRO", 1),)):
    """A deal in ``stage`` with its company, two contacts and line items of ``lines`` (SKU,
    quantity), made by a user in the fake HubSpot. Returns the deal's id."""
    company = peer.crm_create("companies", {"name": "Acme Rockets", "domain": "acme.example"})
    # Emails are unique in HubSpot, and a peer serves a whole test class.
    mailbox = uuid.uuid4().hex[:8]
    contacts = [
        peer.crm_create(
            "contacts",
            {
                "email": f"{name.lower()}.{mailbox}@acme.example",
                "firstname": name,
                "lastname": "Coyote",
            },
        )
        for name in ("Wile", "Road")
    ]
    items = [
        peer.crm_create(
            "line_items",
            {"name": f"{sku} plan", "hs_sku": sku, "quantity": str(quantity), "price": "49"},
        )
        for sku, quantity in lines
    ]
    deal = peer.crm_create(
        "deals",
        {"dealname": "Acme annual", "pipeline": pipeline, "dealstage": stage, "amount": "588"},
        associations=[
            ("companies", company["id"], True),
            *(("contacts", contact["id"]) for contact in contacts),
            *(("line_items", item["id"]) for item in items),
        ],
    )
    return deal["id"]


def salesforce_opportunity(peer, stage, account=None):
    """An opportunity in ``stage`` for 3 of product PRO, of ``account`` (a new account Globex
    with one contact, Hank Scorpio, by default), made by a user in the fake Salesforce.
    Returns its id."""
    if account is None:
        account = peer.user_create("Account", {"Name": "Globex", "Website": "globex.example"})
        contact = peer.user_create(
            "Contact",
            {
                "AccountId": account,
                "FirstName": "Hank",
                "LastName": "Scorpio",
                "Email": "hank@globex.example",
            },
        )
    else:
        contact = None
    product = peer.user_create("Product2", {"Name": "Pro", "ProductCode": "PRO", "IsActive": True})
    opportunity = peer.user_create(
        "Opportunity",
        {
            "Name": "Globex Pro",
            "StageName": stage,
            "CloseDate": "2026-12-01",
            "AccountId": account,
        },
    )
    peer.user_create(
        "OpportunityLineItem",
        {
            "OpportunityId": opportunity,
            "Product2Id": product,
            "ProductCode": "PRO",
            "Quantity": 3,
            "UnitPrice": 49,
        },
    )
    if contact:
        peer.user_create(
            "OpportunityContactRole", {"OpportunityId": opportunity, "ContactId": contact}
        )
    return opportunity


def outbound_message(opportunity, notification_id, **fields):
    """An outbound message of ``opportunity`` shaped like the recorded one
    (fixtures/salesforce-outbound-message-opportunity.xml), which is of a real opportunity
    that is not won: a won one is derived here by its fields."""
    values = "".join(
        f"<sf:{name}>{value}</sf:{name}>" for name, value in {"Id": opportunity, **fields}.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        f"<OrganizationId>{salesforce_peer.ORGANIZATION_ID}</OrganizationId>"
        '<ActionId>04k7F0000008V3hQAE</ActionId><SessionId xsi:nil="true"/>'
        f"<Notification><Id>{notification_id}</Id>"
        '<sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
        f"{values}</sObject></Notification></notifications></soapenv:Body></soapenv:Envelope>"
    ).encode()


def deliver_salesforce(env, backend, body):
    """An outbound message stored as the webhook route does; they are not signed."""
    return store_delivery(env, backend, body, {"Content-Type": "text/xml"}, [])
