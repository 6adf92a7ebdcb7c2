"""Records merged in the CRM leave one partner in Odoo, end to end. HubSpot sends a signed
``company.merge`` event; Salesforce sends nothing of a merge, and the next outbound message of
the kept account's opportunity finds the merged account deleted, naming the kept one. The
activations' Stripe calls run too, against localstripe, but are not what is looked at here."""

from waiting import settled, wait_until

from odoo.addons.saas_crm_sync.tests.common import (
    hubspot_event,
    salesforce_opportunity,
    won_hubspot_deal,
)

TIMEOUT = 120


def activation_of(env, backend, deal_key):
    return env["saas.crm.activation"].search(
        [("backend_id", "=", backend.id), ("deal_external_id", "=", deal_key)]
    )


def settle(env, backend):
    events = wait_until(settled(backend), env, timeout=TIMEOUT)
    assert events and set(events.mapped("state")) == {"done"}, events.mapped("last_error")


def test_a_company_merged_in_hubspot_keeps_one_partner(env, hubspot, hubspot_backend):
    crm = hubspot_backend
    hubspot.subscribe(crm.webhook_url, "deal.propertyChange")
    first = won_hubspot_deal(hubspot, stage="contractsent")
    hubspot.crm_update("deals", first, {"dealstage": "closedwon"})
    assert hubspot.wait_idle()
    settle(env, crm)
    partner = activation_of(env, crm, f"deal/{first}").partner_id
    assert partner
    (merged_company,) = hubspot.associations[("deals", str(first), "companies")]
    primary = hubspot.crm_create("companies", {"name": "Acme Rockets Group"})["id"]

    # A user merges the deal's company into another one, never synced.
    merge = hubspot_event(
        primary,
        subscription_type="company.merge",
        primaryObjectId=int(primary),
        mergedObjectIds=[int(merged_company)],
    )
    assert hubspot.emit([merge], crm.webhook_url)
    assert hubspot.wait_idle()
    settle(env, crm)
    renewal = hubspot.crm_create(
        "deals",
        {"dealname": "Acme renewal", "pipeline": "default", "dealstage": "contractsent"},
        associations=[
            ("companies", primary, True),
            (
                "line_items",
                hubspot.crm_create("line_items", {"hs_sku": "PRO", "quantity": "1"})["id"],
            ),
        ],
    )["id"]
    hubspot.crm_update("deals", renewal, {"dealstage": "closedwon"})
    assert hubspot.wait_idle()
    settle(env, crm)

    assert activation_of(env, crm, f"deal/{renewal}").partner_id == partner
    companies = env["saas.binding"].search(
        [("backend_id", "=", crm.id), ("external_id", "=like", "company/%")]
    )
    assert sorted(companies.mapped("external_id")) == sorted(
        [f"company/{merged_company}", f"company/{primary}"]
    )
    assert set(companies.mapped("res_id")) == {partner.id}
    # The kept company's name, which the CRM owns.
    assert partner.name == "Acme Rockets Group"


def test_an_account_merged_in_salesforce_keeps_one_partner(env, salesforce, salesforce_backend):
    crm = salesforce_backend
    salesforce.outbound_message(
        crm.webhook_url, "Opportunity", ("IsWon",), when=lambda record: record["IsWon"]
    )
    kept, merged = (salesforce_opportunity(salesforce, "Negotiation/Review") for _ in "ab")
    for opportunity in (kept, merged):
        salesforce.user_update("Opportunity", opportunity, {"StageName": "Closed Won"})
    assert salesforce.wait_idle()
    settle(env, crm)
    partner = activation_of(env, crm, f"Opportunity/{kept}").partner_id
    duplicate = activation_of(env, crm, f"Opportunity/{merged}").partner_id
    assert partner and duplicate and partner != duplicate

    kept_account = salesforce.record("Opportunity", kept)["AccountId"]
    merged_account = salesforce.record("Opportunity", merged)["AccountId"]
    salesforce.user_merge("Account", kept_account, merged_account)
    salesforce.user_update("Opportunity", merged, {"Amount": 1764})
    assert salesforce.wait_idle()
    settle(env, crm)

    assert not duplicate.exists()
    assert activation_of(env, crm, f"Opportunity/{merged}").partner_id == partner
    assert env["saas.binding"].lookup(crm, "res.partner", f"Account/{merged_account}") == partner
