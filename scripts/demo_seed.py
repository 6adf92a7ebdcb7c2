"""Seed the demo database with a realistic Stripe book, through localstripe and webhooks.

Run by scripts/demo.sh once Odoo and localstripe are up:

    .venv/bin/python scripts/demo_seed.py --odoo http://127.0.0.1:8069 --db saas_demo \
        --localstripe http://127.0.0.1:8169

It makes sure a Stripe backend "Stripe (localstripe demo)" exists and points at localstripe,
registers its webhook with localstripe, then — only when the backend has never received an
event — has the company defer recurring revenue and plays a small SaaS business against
localstripe: customers with cards, monthly and annual plans in USD and EUR, subscriptions
(annual ones started in the months before, whose revenue last month's close recognizes),
upgrades with prorations, a cancellation and a direct debit that bounces. Nothing of the book
is written into Odoo directly: every document comes in through the signed webhooks localstripe
sends, exactly as from Stripe. It then waits for the inbox to drain, prints what a finance user
will find in Odoo, and — at every run — reconciles the month to date against localstripe.
"""

import argparse
import collections
import datetime
import hashlib
import hmac
import json
import random
import secrets
import sys
import time
import xmlrpc.client
from pathlib import Path

import stripe

BACKEND_NAME = "Stripe (localstripe demo)"
# localstripe accepts any test key; this one only has to look like a Stripe key.
API_KEY = "sk_test_localstripe_demo_0000000000"
WAIT_SECONDS = 180
# Public Stripe payloads recorded by other projects (provenance in the fixtures' PROVENANCE.md),
# for what localstripe cannot do.
STRIPE_EVENTS = (
    Path(__file__).resolve().parents[1] / "addons/saas_stripe/tests/fixtures/stripe-sync-engine"
)

# Payment methods from Stripe's test set that localstripe knows. The card always pays. The IBAN
# is a SEPA direct debit that bounces: its failure is reported asynchronously, which is the one
# way localstripe emits invoice.payment_failed (a declined card paying an invoice emits nothing).
CARD_OK = "4242424242424242"
IBAN_FAILING = "DE62370400440532013001"

# (plan id, product name, currency, interval, amount in cents)
PLANS = [
    ("demo-starter-usd-month", "Starter", "usd", "month", 2900),
    ("demo-team-usd-month", "Team", "usd", "month", 9900),
    ("demo-team-usd-year", "Team", "usd", "year", 99000),
    ("demo-business-usd-month", "Business", "usd", "month", 29900),
    ("demo-starter-eur-month", "Starter", "eur", "month", 2500),
    ("demo-team-eur-month", "Team", "eur", "month", 8900),
    ("demo-team-eur-year", "Team", "eur", "year", 89000),
    ("demo-business-eur-month", "Business", "eur", "month", 26900),
]

# Name and address tables, kept compact.
# fmt: off
COMPANIES = [
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell",
    "Cyberdyne", "Soylent", "Vandelay", "Pied Piper", "Aperture", "Black Mesa", "Gringotts",
    "Monarch", "Oscorp", "Nakatomi", "Dunder Mifflin", "Sterling Cooper", "Prestige Worldwide",
    "Bluth", "Krusty", "Duff", "Massive Dynamic", "Weyland", "Blue Sun", "Virtucon", "Gekko",
]
SUFFIXES = ["Labs", "Analytics", "Logistics", "Studio", "Systems", "Health", "Foods", "Media"]
US_CITIES = [
    ("Austin", "TX", "78701"), ("Denver", "CO", "80202"), ("Boston", "MA", "02108"),
    ("Seattle", "WA", "98101"), ("Chicago", "IL", "60601"), ("Portland", "OR", "97204"),
]
EU_CITIES = [
    ("Berlin", "DE", "10115"), ("Paris", "FR", "75002"), ("Amsterdam", "NL", "1012"),
    ("Brussels", "BE", "1000"), ("Madrid", "ES", "28013"), ("Milan", "IT", "20121"),
]
STREETS = ["Main Street", "Market Street", "Harbour Road", "Station Road", "Park Avenue"]
# fmt: on


def say(message):
    print(f"[demo] {message}", flush=True)


class Odoo:
    """The few XML-RPC calls the seed needs, as admin."""

    def __init__(self, url, db, login, password):
        self.db, self.password = db, password
        self.uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
            db, login, password, {}
        )
        if not self.uid:
            raise SystemExit(f"cannot log in to {db} as {login}")
        self.models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def __call__(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.db, self.uid, self.password, model, method, args, kwargs
        )


# --- backend ---------------------------------------------------------------------------------
def ensure_currencies(odoo):
    """A third of the book is billed in EUR; the demo company (USD) has EUR inactive by default."""
    ids = odoo("res.currency", "search", [("name", "=", "EUR"), ("active", "=", False)])
    if ids:
        say("activating EUR for the European customers")
        odoo("res.currency", "write", ids, {"active": True})


def ensure_deferred_revenue(odoo):
    """Subscriptions are billed ahead: the company defers the revenue of recurring products
    into a deferred revenue account, so the book's invoices come with revenue schedules, and
    recognizes it in the miscellaneous operations journal."""
    [user] = odoo("res.users", "read", [odoo.uid], ["company_id"])
    company_id = user["company_id"][0]
    [company] = odoo("res.company", "read", [company_id], ["saas_deferred_revenue_account_id"])
    if company["saas_deferred_revenue_account_id"]:
        return
    say("deferring the revenue of recurring products (account Deferred Revenue)")
    account_ids = odoo(
        "account.account",
        "search",
        [("name", "=", "Deferred Revenue"), ("account_type", "=", "liability_current")],
        limit=1,
    ) or [
        odoo(
            "account.account",
            "create",
            {"name": "Deferred Revenue", "code": "219100", "account_type": "liability_current"},
        )
    ]
    # Recognition entries go to the miscellaneous operations journal.
    journal_ids = odoo(
        "account.journal", "search", [("type", "=", "general"), ("company_id", "=", company_id)]
    )
    odoo(
        "res.company",
        "write",
        [company_id],
        {
            "saas_deferred_revenue_account_id": account_ids[0],
            "saas_defer_recurring": True,
            "saas_revenue_journal_id": journal_ids[0],
        },
    )


def ensure_backend(odoo, localstripe_url):
    ids = odoo("saas.backend", "search", [("name", "=", BACKEND_NAME)], limit=1)
    values = {"stripe_api_base": localstripe_url, "stripe_api_key": API_KEY}
    if ids:
        odoo("saas.backend", "write", ids, values)
        return ids[0]
    say(f"creating the backend {BACKEND_NAME!r}")
    return odoo(
        "saas.backend",
        "create",
        {"name": BACKEND_NAME, "provider": "stripe", "environment": "test", **values},
    )


def register_webhook(odoo, backend_id, odoo_url, localstripe_url):
    """Give the backend a fresh signing secret and tell localstripe where to deliver.

    The stored secret is write-only, so a new one is added each time localstripe (which forgets
    its configuration on restart) is told about the endpoint; the older ones stay valid.
    """
    secret = "whsec_demo_" + secrets.token_hex(16)
    odoo("saas.backend", "write", [backend_id], {"stripe_webhook_secret": secret})
    token = odoo("saas.backend", "read", [backend_id], ["webhook_token"])[0]["webhook_token"]
    url = f"{odoo_url}/saas/webhook/{token}"
    import requests  # noqa: PLC0415 - only needed here; part of Odoo's requirements

    requests.post(
        f"{localstripe_url}/_config/webhooks/odoo_demo_{backend_id}",
        data={"url": url, "secret": secret},
        timeout=10,
    ).raise_for_status()
    say(f"localstripe delivers webhooks to {url}")
    return url, secret


# --- the book --------------------------------------------------------------------------------
def customers(rng, count):
    """`count` distinct fictitious companies, about a third of them in Europe (billed in EUR)."""
    names = [f"{company} {suffix}" for company in COMPANIES for suffix in SUFFIXES]
    rng.shuffle(names)
    for index, name in enumerate(names[:count]):
        europe = index % 3 == 0
        city, region, postal_code = rng.choice(EU_CITIES if europe else US_CITIES)
        address = {
            "line1": f"{rng.randint(1, 250)} {rng.choice(STREETS)}",
            "city": city,
            "postal_code": postal_code,
            "country": region if europe else "US",
        }
        if not europe:
            address["state"] = region
        slug = name.lower().replace(" ", "")
        yield {
            "name": name,
            "email": f"billing@{slug}.example",
            "address": address,
            "currency": "eur" if europe else "usd",
        }


def seed(client, rng, customer_count):
    """Play the book against localstripe; returns what was done, for the summary."""
    done = collections.Counter()
    for plan_id, product, currency, interval, amount in PLANS:
        # A seed interrupted after this point and run again meets its plans already there.
        try:
            client.v1.plans.retrieve(plan_id)
            continue
        except stripe.InvalidRequestError:
            pass
        client.v1.plans.create(
            params={
                "id": plan_id,
                "amount": amount,
                "currency": currency,
                "interval": interval,
                "nickname": f"{product} ({interval}ly, {currency.upper()})",
                "product": {"name": f"{product} plan"},
            }
        )
    plans_by_currency = collections.defaultdict(list)
    for plan in PLANS:
        plans_by_currency[plan[2]].append(plan)

    subscriptions = []
    profiles = list(customers(rng, customer_count))
    # The last European customer pays by SEPA direct debit, and the debit bounces: Stripe
    # reports the failed payment and cancels the brand-new subscription.
    failing = max(index for index, profile in enumerate(profiles) if profile["currency"] == "eur")
    for index, profile in enumerate(profiles):
        bounces = index == failing
        if bounces:
            method = {"type": "sepa_debit", "sepa_debit": {"iban": IBAN_FAILING}}
        else:
            method = {
                "type": "card",
                "card": {"number": CARD_OK, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
            }
        payment_method = client.v1.payment_methods.create(params=method)
        customer = client.v1.customers.create(
            params={
                "name": profile["name"],
                "email": profile["email"],
                "address": profile["address"],
                "payment_method": payment_method.id,
                "invoice_settings": {"default_payment_method": payment_method.id},
            }
        )
        done["customers"] += 1
        # Mostly monthly plans, some annual ones; the cheapest plan sells most.
        candidates = plans_by_currency[profile["currency"]]
        plan = rng.choices(candidates, weights=[5, 3, 2, 1])[0]
        quantity = rng.choice([1, 1, 1, 2, 3, 5, 10, 25])
        params = {"customer": customer.id, "items": [{"plan": plan[0], "quantity": quantity}]}
        if plan[3] == "year" and not bounces:
            # Annual customers signed up in the last months: their revenue of the months
            # gone by is for the month-end close to recognize.
            params["backdate_start_date"] = int(time.time()) - rng.randint(35, 120) * 86_400
            done["annual subscriptions started earlier"] += 1
        subscription = client.v1.subscriptions.create(params=params)
        done["failed payments" if bounces else "subscriptions"] += 1
        if not bounces:
            subscriptions.append((subscription, plan, quantity))

    # Upgrades: more seats on a monthly plan, prorated from today. Stripe (and localstripe)
    # only record the proration items; an invoice collects them and is paid at once, as
    # Stripe's "always_invoice" behaviour would.
    monthly = [entry for entry in subscriptions if entry[1][3] == "month"]
    for subscription, plan, quantity in monthly[:4]:
        # `items` is also the name of a dict method on stripe objects: index, don't dot.
        item = subscription["items"]["data"][0]
        client.v1.subscriptions.update(
            subscription.id,
            params={
                "items": [{"id": item.id, "plan": plan[0], "quantity": quantity + 5}],
                "prorate": True,
                "proration_date": int(time.time()),
            },
        )
        invoice = client.v1.invoices.create(
            params={"customer": subscription.customer, "subscription": subscription.id}
        )
        client.v1.invoices.pay(invoice.id)
        done["upgrades"] += 1

    # One customer leaves.
    subscription = monthly[-1][0]
    client.v1.subscriptions.cancel(subscription.id)
    done["cancellations"] += 1
    return done


# --- waiting and summary ---------------------------------------------------------------------
def event_states(odoo, backend_id):
    events = odoo("saas.event", "search_read", [("backend_id", "=", backend_id)], ["state"])
    return collections.Counter(event["state"] for event in events)


def wait_for_inbox(odoo, backend_id, expect_events):
    """Wait until the webhooks have arrived and every event is processed (or given up on)."""
    deadline = time.monotonic() + WAIT_SECONDS
    last = None
    while time.monotonic() < deadline:
        states = event_states(odoo, backend_id)
        waiting = states["received"] + states["queued"]
        total = sum(states.values())
        # localstripe sends each event about a second after the call: done when the expected
        # volume is in, nothing waits, and no new event arrived since the previous look.
        if total >= expect_events and not waiting and last == (total, waiting):
            return True
        if (total, waiting) != last:
            say(f"events: {total} received, {waiting} waiting to be processed")
        last = (total, waiting)
        time.sleep(3)
    say(f"gave up waiting after {WAIT_SECONDS} s; the queue keeps working in the background")
    return False


def bound_ids(odoo, backend_id, model):
    bindings = odoo(
        "saas.binding",
        "search_read",
        [("backend_id", "=", backend_id), ("res_model", "=", model)],
        ["res_id"],
    )
    return sorted({binding["res_id"] for binding in bindings})


def summary(odoo, backend_id):
    company = odoo("res.users", "read", [odoo.uid], ["company_id"])[0]["company_id"]
    currency = odoo("res.company", "read", [company[0]], ["currency_id"])[0]["currency_id"][1]
    subscriptions = odoo(
        "saas.subscription", "search_read", [("backend_id", "=", backend_id)], ["state", "mrr"]
    )
    by_state = collections.Counter(sub["state"] or "not yet described" for sub in subscriptions)
    mrr = sum(sub["mrr"] for sub in subscriptions)
    invoices = odoo(
        "account.move",
        "search_read",
        [
            ("id", "in", bound_ids(odoo, backend_id, "account.move")),
            ("state", "=", "posted"),
            ("move_type", "=", "out_invoice"),
        ],
        ["amount_total_signed", "payment_state"],
    )
    paid = collections.Counter(invoice["payment_state"] for invoice in invoices)
    payments = odoo(
        "account.payment",
        "search_read",
        [("id", "in", bound_ids(odoo, backend_id, "account.payment"))],
        ["amount", "state"],
    )
    states = event_states(odoo, backend_id)

    print()
    print(f"Demo book of {BACKEND_NAME!r} (amounts in {currency}, the company currency)")
    print(f"  Partners from Stripe:  {len(bound_ids(odoo, backend_id, 'res.partner'))}")
    print(
        f"  Subscriptions:         {len(subscriptions)} ("
        + ", ".join(f"{state} {count}" for state, count in sorted(by_state.items()))
        + ")"
    )
    print(f"  MRR:                   {mrr:,.2f}   ARR {12 * mrr:,.2f}")
    print(
        f"  Posted invoices:       {len(invoices)}, total "
        f"{sum(inv['amount_total_signed'] for inv in invoices):,.2f} ("
        + ", ".join(f"{state} {count}" for state, count in sorted(paid.items()))
        + ")"
    )
    print(f"  Payments:              {len(payments)}")
    schedules = odoo(
        "saas.revenue.schedule", "search_count", [("move_id", "in", [i["id"] for i in invoices])]
    )
    print(f"  Revenue schedules:     {schedules} (Invoicing → Deferred Revenue)")
    disputes = odoo(
        "saas.stripe.dispute", "search_read", [("backend_id", "=", backend_id)], ["name", "status"]
    )
    payouts = odoo(
        "saas.stripe.payout",
        "search_read",
        [("backend_id", "=", backend_id)],
        ["name", "amount", "state"],
    )
    print(
        f"  Payouts:               {len(payouts)} "
        + " ".join(f"({p['name']}: {p['amount']:,.2f}, {p['state']})" for p in payouts)
    )
    print(
        f"  Disputes:              {len(disputes)} "
        + " ".join(f"({dispute['name']}: {dispute['status']})" for dispute in disputes)
    )
    print(
        "  Events:                "
        + ", ".join(f"{state} {count}" for state, count in sorted(states.items()))
    )
    if states["failed"]:
        failed = odoo(
            "saas.event",
            "search_read",
            [("backend_id", "=", backend_id), ("state", "=", "failed")],
            ["external_id", "event_type", "last_error"],
            order="id",
        )
        print("  Failed events (SaaS Ops → Events → Exception Queue):")
        for event in failed:
            # The last line of the stored error is the message the exception queue shows.
            error = (event["last_error"] or "").strip().splitlines() or [""]
            print(f"    {event['event_type']:<34} {event['external_id']}: {error[-1]}")
    print()


def deliver(endpoint, event):
    """POST ``event`` to Odoo's webhook as Stripe does, signed with the endpoint's secret."""
    import requests  # noqa: PLC0415 - see register_webhook

    url, secret = endpoint
    body = json.dumps(event).encode()
    timestamp = int(time.time())
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    requests.post(
        url,
        data=body,
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": f"t={timestamp},v1={signature}",
        },
        timeout=10,
    ).raise_for_status()


def play_dispute(client, endpoint):
    """A customer disputes a card payment. localstripe has no disputes: Stripe's recorded
    events (the test fixtures of stripe-sync-engine, API 2020-03-02) are pointed at one of the
    book's charges and delivered to the webhook like Stripe's. The dispute is recorded on the
    payment; the withdrawal of its funds then fails, since the demo backend has no disputed
    funds account: the exception queue's example, fixed on the backend's Stripe Accounting
    page, then Replay."""
    charge = next(
        charge
        for charge in client.v1.charges.list(params={"limit": 100}).data
        if charge.currency == "usd" and charge.status == "succeeded" and charge.payment_intent
    )
    now = int(time.time())
    for kind in ("created", "funds_withdrawn"):
        with open(STRIPE_EVENTS / f"charge_dispute_{kind}.json", "rb") as file:
            event = json.load(file)
        dispute = event["data"]["object"]
        dispute.update(
            id="dp_demo_dispute",
            charge=charge.id,
            payment_intent=charge.payment_intent,
            amount=charge.amount,
            currency=charge.currency,
            reason="product_not_received",
            created=now,
        )
        if kind == "funds_withdrawn":
            # The recorded event lists no balance transaction; Stripe expands the
            # withdrawal of the disputed amount and its 15.00 fee, as here.
            dispute["balance_transactions"] = [
                {
                    "id": "txn_demo_dispute_withdrawal",
                    "object": "balance_transaction",
                    "amount": -charge.amount,
                    "currency": charge.currency,
                    "fee": 1500,
                    "net": -charge.amount - 1500,
                    "type": "adjustment",
                    "reporting_category": "dispute",
                    "source": "dp_demo_dispute",
                    "created": now,
                    "description": f"Chargeback withdrawal for {charge.id}",
                }
            ]
        event.update(id=f"evt_demo_dispute_{kind}", created=now, livemode=False)
        deliver(endpoint, event)
    say(f"a customer disputes {charge.id} ({charge.amount / 100:.2f} USD)")


def close_last_month(odoo):
    """The month-end close of last month, as the finance team's wizard does it: the revenue
    the annual customers who signed up earlier earned by then moves from deferred revenue to
    income, one entry per month and currency."""
    until = datetime.date.today().replace(day=1) - datetime.timedelta(days=1)
    entries = odoo("saas.revenue.schedule", "recognize_until", until.isoformat())
    say(f"month-end close to {until}: {len(entries)} revenue recognition entries posted")


def reconcile(odoo, backend_id):
    """Reconcile the month to date, as the backend's button does, and say what differs: the
    book in Odoo against the one in localstripe, at every start of the demo."""
    action = odoo("saas.backend", "action_reconcile", [backend_id])
    [run] = odoo(
        "saas.reconciliation.run",
        "read",
        [action["res_id"]],
        ["display_name", "state", "drift_count", "note"],
    )
    say(f"reconciliation {run['display_name']}: {run['state']}, {run['drift_count']} drift lines")
    if not run["drift_count"]:
        return
    drift = odoo("saas.reconciliation.drift", "search", [("run_id", "=", run["id"])])
    kinds = collections.Counter(
        line["kind"] for line in odoo("saas.reconciliation.drift", "read", drift, ["kind"])
    )
    say("  " + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))
    # localstripe never sends customer.subscription.updated: an upgrade reaches Odoo through
    # its invoice, and the subscription's items through Re-sync, as a finance user would do it.
    odoo("saas.reconciliation.drift", "action_resync", drift)
    states = collections.Counter(
        line["state"] for line in odoo("saas.reconciliation.drift", "read", drift, ["state"])
    )
    say("  Re-sync: " + ", ".join(f"{state} {count}" for state, count in sorted(states.items())))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odoo", required=True, help="URL of the running Odoo server")
    parser.add_argument("--db", required=True)
    parser.add_argument("--localstripe", required=True, help="URL of the running localstripe")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--seed", type=int, default=19, help="random seed: same book each time")
    args = parser.parse_args()

    odoo = Odoo(args.odoo, args.db, args.login, args.password)
    backend_id = ensure_backend(odoo, args.localstripe)
    # localstripe keeps its objects across restarts (scripts/localstripe_server.py) but not
    # its webhook endpoints: tell it again, so that what is done in it now reaches Odoo.
    endpoint = register_webhook(odoo, backend_id, args.odoo, args.localstripe)
    if sum(event_states(odoo, backend_id).values()):
        say(
            "the demo backend already has its events: not seeding again "
            "(to play the book afresh, drop the database and run make demo)"
        )
        summary(odoo, backend_id)
        reconcile(odoo, backend_id)
        return 0

    ensure_currencies(odoo)
    ensure_deferred_revenue(odoo)
    client = stripe.StripeClient(API_KEY, base_addresses={"api": args.localstripe})
    say(f"playing the demo book against localstripe ({args.customers} customers)")
    started = time.monotonic()
    done = seed(client, random.Random(args.seed), args.customers)
    say(
        f"sent in {time.monotonic() - started:.0f} s: "
        + ", ".join(f"{what} {count}" for what, count in done.items())
    )
    # Each customer brings at least customer.created, invoice.created, a payment and
    # customer.subscription.created; waiting for that many avoids stopping on a lull.
    wait_for_inbox(odoo, backend_id, expect_events=4 * done["customers"])
    play_dispute(client, endpoint)
    # A payout of part of the balance to the bank, on its way (localstripe pays out by hand
    # only, in EUR only, and never settles one): in Odoo a payout in transit, booked once it
    # is paid.
    payout = client.v1.payouts.create(params={"amount": 500000, "currency": "eur"})
    say(f"Stripe pays out {payout.amount / 100:,.2f} EUR ({payout.id})")
    wait_for_inbox(odoo, backend_id, expect_events=4 * done["customers"] + 3)
    summary(odoo, backend_id)
    reconcile(odoo, backend_id)
    # After the reconciliation: what it brought in (a webhook Odoo missed) is closed too.
    close_last_month(odoo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
