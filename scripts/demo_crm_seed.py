"""Seed the demo's CRM: deals won in a fake HubSpot become subscriptions in localstripe and
documents in Odoo, and their billing status is written back to the deals.

Run by scripts/demo.sh after scripts/demo_seed.py (whose Stripe backend and plans it uses),
once Odoo, localstripe and the fake HubSpot (scripts/hubspot_server.py) are up:

    .venv/bin/python scripts/demo_crm_seed.py --odoo http://127.0.0.1:8069 --db saas_demo \
        --localstripe http://127.0.0.1:8169 --hubspot http://127.0.0.1:8269

It makes sure a backend "HubSpot (demo)" exists, points at the fake HubSpot and activates won
deals in the Stripe backend of the demo, creates its write-back properties in HubSpot and
subscribes the HubSpot app's webhooks to Odoo. Then — only when the backend has never
received an event — a sales rep wins a handful of deals in HubSpot: each comes to Odoo as a
signed webhook, is read back from HubSpot and becomes one customer and one subscription in
localstripe. localstripe bills only customers with a card (it has no emailed invoices): Stripe
refuses the first subscription of each new customer, the customer adds a card in Stripe, and
the activation is retried, as finance would. Stripe's webhooks then bring the subscriptions,
invoices and payments into Odoo, and the deals get their Odoo billing properties.
"""

import argparse
import collections
import sys
import time
from pathlib import Path

import requests
import stripe
from demo_seed import API_KEY, BACKEND_NAME, CARD_OK, Odoo, say

# The fake HubSpot's private app: its token, the client secret that signs its webhooks, its
# portal (the peer is standard library only).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from hubspot_peer import CLIENT_SECRET, PORTAL_ID, TOKEN

CRM_BACKEND_NAME = "HubSpot (demo)"
PUBLIC_BASE_URL_PARAM = "saas_connector_base.public_base_url"
SUBSCRIPTIONS = ("deal.creation", "deal.propertyChange", "deal.deletion")
WAIT_SECONDS = 180

# HubSpot SKU → (the demo book's plan, unit price in HubSpot)
PRODUCTS = {
    "STARTER": ("demo-starter-usd-month", "29"),
    "TEAM": ("demo-team-usd-month", "99"),
    "BUSINESS": ("demo-business-usd-month", "299"),
}
# (company, domain, contact, lines as (SKU, quantity)): one line each, as localstripe answers
# "Not implemented" to a subscription of several items.
DEALS = [
    ("Northwind Traders", "northwind.example", ("Nancy", "Davolio"), [("TEAM", 5)]),
    ("Contoso Pharmaceuticals", "contoso.example", ("Kim", "Abercrombie"), [("BUSINESS", 2)]),
    ("Fabrikam Robotics", "fabrikam.example", ("Jo", "Brown"), [("STARTER", 10)]),
    ("Tailspin Toys", "tailspin.example", ("Mark", "Hanson"), [("STARTER", 3)]),
    ("Adventure Works Cycles", "adventure-works.example", ("Ana", "Trujillo"), [("TEAM", 12)]),
]


class HubSpotUser:
    """A sales rep in the fake HubSpot's screens (its ``/_config`` API), and its REST API."""

    def __init__(self, url):
        self.url = url

    def _call(self, method, path, payload=None):
        response = requests.request(method, f"{self.url}{path}", json=payload, timeout=10)
        response.raise_for_status()
        return response.json()

    def create(self, object_type, properties, associations=()):
        return self._call(
            "POST",
            f"/_config/objects/{object_type}",
            {"properties": properties, "associations": [list(a) for a in associations]},
        )

    def update(self, object_type, object_id, properties):
        return self._call(
            "PATCH", f"/_config/objects/{object_type}/{object_id}", {"properties": properties}
        )

    def subscribe(self, url):
        return self._call("POST", "/_config/webhook", {"url": url, "subscriptions": SUBSCRIPTIONS})

    def deal(self, deal_id, properties):
        response = requests.get(
            f"{self.url}/crm/v3/objects/deals/{deal_id}",
            params={"properties": ",".join(properties)},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["properties"]


def ensure_backend(odoo, stripe_backend_id, hubspot_url):
    ids = odoo("saas.backend", "search", [("name", "=", CRM_BACKEND_NAME)], limit=1)
    if ids:
        odoo("saas.backend", "write", ids, {"hubspot_api_base": hubspot_url})
        return ids[0]
    say(f"creating the backend {CRM_BACKEND_NAME!r}")
    return odoo(
        "saas.backend",
        "create",
        {
            "name": CRM_BACKEND_NAME,
            "provider": "hubspot",
            "environment": "test",
            "hubspot_api_base": hubspot_url,
            "hubspot_portal_id": str(PORTAL_ID),
            "hubspot_access_token": TOKEN,
            "hubspot_client_secret": CLIENT_SECRET,
            "crm_stripe_backend_id": stripe_backend_id,
            # localstripe has no emailed invoices.
            "crm_collection_method": "charge_automatically",
            "crm_product_map_ids": [
                (0, 0, {"crm_product_ref": sku, "stripe_price_id": plan})
                for sku, (plan, _price) in PRODUCTS.items()
            ],
        },
    )


def win_deals(hubspot):
    """Each deal is worked in HubSpot up to *Contract Sent*, then won."""
    for company_name, domain, (first, last), lines in DEALS:
        company = hubspot.create("companies", {"name": company_name, "domain": domain})
        contact = hubspot.create(
            "contacts",
            {"email": f"{first.lower()}@{domain}", "firstname": first, "lastname": last},
        )
        items = [
            hubspot.create(
                "line_items",
                {
                    "name": f"{sku.title()} plan",
                    "hs_sku": sku,
                    "quantity": str(quantity),
                    "price": PRODUCTS[sku][1],
                },
            )
            for sku, quantity in lines
        ]
        amount = sum(int(PRODUCTS[sku][1]) * quantity for sku, quantity in lines)
        deal = hubspot.create(
            "deals",
            {
                "dealname": f"{company_name} — annual plan",
                "dealstage": "contractsent",
                "amount": str(amount * 12),
            },
            [
                ("companies", company["id"], True),
                ("contacts", contact["id"]),
                *(("line_items", item["id"]) for item in items),
            ],
        )
        hubspot.update("deals", deal["id"], {"dealstage": "closedwon"})
        say(f"deal won in HubSpot: {company_name} ({amount} USD a month)")


def activations(odoo, backend_id):
    return odoo(
        "saas.crm.activation",
        "search_read",
        [("backend_id", "=", backend_id)],
        [
            "name",
            "deal_external_id",
            "state",
            "error",
            "stripe_customer_id",
            "stripe_subscription_id",
            "subscription_id",
            "partner_id",
            "writeback_date",
            "writeback_pending",
            "retry_count",
        ],
        order="id",
    )


def add_card_and_retry(odoo, client, activation):
    """The new customer adds a card in Stripe; finance retries the activation."""
    card = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": CARD_OK, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    customer = activation["stripe_customer_id"]
    client.v1.payment_methods.attach(card.id, params={"customer": customer})
    client.v1.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": card.id}}
    )
    odoo("saas.crm.activation", "action_retry", [activation["id"]])
    say(f"{activation['name']}: card added in Stripe, activation retried")


def posted_invoices(odoo, activation):
    """How many posted invoices the activation's subscription has in Odoo."""
    subscription = activation["subscription_id"]
    if not subscription:
        return 0
    return odoo(
        "account.move",
        "search_count",
        [
            ("saas_subscription_id", "=", subscription[0]),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
        ],
    )


def wait_for_activations(odoo, client, backend_id):
    """Until every won deal is subscribed, invoiced in Odoo, and written back (its first
    invoice's webhook may come after the subscription's first write-back: wait for both)."""
    deadline = time.monotonic() + WAIT_SECONDS
    last = None
    while time.monotonic() < deadline:
        found = activations(odoo, backend_id)
        for activation in found:
            if (
                activation["state"] == "failed"
                and activation["stripe_customer_id"]
                and not activation["retry_count"]
            ):
                add_card_and_retry(odoo, client, activation)
        states = collections.Counter(
            "written back"
            if a["writeback_date"] and not a["writeback_pending"] and posted_invoices(odoo, a)
            else a["state"]
            for a in found
        )
        if len(found) >= len(DEALS) and states["written back"] == len(found):
            return True
        if states != last:
            say("activations: " + ", ".join(f"{s} {n}" for s, n in sorted(states.items())))
        last = states
        time.sleep(2)
    say(f"gave up waiting after {WAIT_SECONDS} s; the queue keeps working in the background")
    return False


def summary(odoo, hubspot, backend_id):
    print()
    print(f"Deals won in {CRM_BACKEND_NAME!r} (SaaS Ops → Subscriptions → Deal Activations)")
    for activation in activations(odoo, backend_id):
        invoices = posted_invoices(odoo, activation)
        properties = hubspot.deal(
            activation["deal_external_id"].partition("/")[2],
            ("odoo_subscription_status", "odoo_mrr", "odoo_currency", "odoo_last_invoice_status"),
        )
        print(
            f"  {activation['name']:<42} {activation['state']:<7} "
            f"{activation['stripe_subscription_id'] or '-':<28} {invoices} posted invoice(s)"
        )
        print(
            f"  {'':<42} in HubSpot: {properties.get('odoo_subscription_status') or '-'}, "
            f"MRR {properties.get('odoo_mrr') or '-'} {properties.get('odoo_currency') or ''}, "
            f"last invoice {properties.get('odoo_last_invoice_status') or '-'}"
        )
        if activation["error"]:
            print(f"  {'':<42} {activation['error']}")
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odoo", required=True, help="URL of the running Odoo server")
    parser.add_argument("--db", required=True)
    parser.add_argument("--localstripe", required=True, help="URL of the running localstripe")
    parser.add_argument("--hubspot", required=True, help="URL of the running fake HubSpot")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    args = parser.parse_args()

    odoo = Odoo(args.odoo, args.db, args.login, args.password)
    stripe_ids = odoo("saas.backend", "search", [("name", "=", BACKEND_NAME)], limit=1)
    if not stripe_ids:
        say(f"no backend {BACKEND_NAME!r}: the CRM demo needs the Stripe one first")
        return 1
    # HubSpot signs the URL it calls: the webhook URLs Odoo shows and checks are the ones the
    # fake HubSpot (and localstripe) call.
    odoo("ir.config_parameter", "set_param", PUBLIC_BASE_URL_PARAM, args.odoo)
    backend_id = ensure_backend(odoo, stripe_ids[0], args.hubspot)
    odoo("saas.backend", "action_crm_setup_writeback", [backend_id])
    hubspot = HubSpotUser(args.hubspot)
    [backend] = odoo("saas.backend", "read", [backend_id], ["webhook_url"])
    hubspot.subscribe(backend["webhook_url"])
    say(f"the fake HubSpot delivers deal webhooks to {backend['webhook_url']}")

    if odoo("saas.event", "search_count", [("backend_id", "=", backend_id)]):
        say("the HubSpot backend already has its events: not winning deals again")
    else:
        win_deals(hubspot)
        client = stripe.StripeClient(API_KEY, base_addresses={"api": args.localstripe})
        wait_for_activations(odoo, client, backend_id)
    summary(odoo, hubspot, backend_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
