"""The fake CRMs the connector's end-to-end tests will talk to, checked on their own with
``requests``: no Odoo server is involved. Where the peers emit webhooks, the receiver checks
them with the connector's own readers (signature, envelope, normalizers), which the peers do
not use: the two sides are written apart and must agree."""

import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from crm_peer_server import PeerServer, Response
from hubspot_peer import CLIENT_SECRET, TOKEN, HubSpotPeer
from salesforce_peer import (
    API_VERSION,
    CLIENT_ID,
    ORGANIZATION_ID,
    SalesforcePeer,
    id18,
    record_id,
)
from salesforce_peer import CLIENT_SECRET as SF_SECRET

from odoo.addons.saas_crm_sync.lib import hubspot_signature, salesforce_outbound
from odoo.addons.saas_crm_sync.lib.hubspot_deal import (
    DEAL_PROPERTIES,
    LINE_ITEM_PROPERTIES,
    deal_from_hubspot,
    won_stages,
)
from odoo.addons.saas_crm_sync.lib.hubspot_events import parse_batch
from odoo.addons.saas_crm_sync.lib.salesforce_opportunity import (
    deal_from_salesforce,
    opportunity_query,
)

FIXTURES = Path(__file__).resolve().parents[2] / "addons/saas_crm_sync/tests/fixtures"
FAST = (0.02, 0.02, 0.02)


class Receiver(PeerServer):
    """A webhook endpoint answering from a script: ``answers`` are ``(status, body,
    headers)`` used in turn, the last one for ever after (a test may replace them)."""

    def __init__(self, *answers):
        super().__init__()
        self.answers = list(answers) or [(200, b"", {})]
        self.received = []

    def handle(self, request):
        self.received.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        status, body, headers = answer
        return Response(status, body, headers)


@pytest.fixture
def receiver():
    servers = []

    def start(*answers):
        server = Receiver(*answers).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# HubSpot ----------------------------------------------------------------------------------


@pytest.fixture
def hubspot():
    with HubSpotPeer(retry_delays=FAST) as peer:
        yield peer


def hs(peer, method, path, token=TOKEN, **kwargs):
    return requests.request(
        method,
        peer.url + path,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
        **kwargs,
    )


def test_hubspot_needs_the_private_app_token(hubspot):
    for token in ("", "pat-na1-wrong"):
        answer = hs(hubspot, "GET", "/crm/v3/objects/deals", token=token)
        assert answer.status_code == 401
        assert answer.json()["category"] == "INVALID_AUTHENTICATION"


def test_a_deal_with_its_associations_reads_into_a_canonical_deal(hubspot):
    company = hs(
        hubspot, "POST", "/crm/v3/objects/companies", json={"properties": {"name": "Acme"}}
    )
    assert company.status_code == 201
    company_id = company.json()["id"]
    contact_id = hubspot.crm_create("contacts", {"email": "ada@acme.example"})["id"]
    item_id = hs(
        hubspot,
        "POST",
        "/crm/v3/objects/line_items",
        json={
            "properties": {
                "name": "Seats",
                "quantity": 10,
                "price": "120.05",
                "hs_sku": "SEAT-Y",
                "hs_product_id": "77",
            }
        },
    ).json()["id"]
    deal = hubspot.crm_create(
        "deals",
        {"dealname": "Acme annual", "dealstage": "contractsent", "amount": "1200.50"},
        associations=[
            ("companies", company_id, True),
            ("contacts", contact_id),
            ("line_items", item_id),
        ],
    )
    # Ids are unique per type only: the first company and the first deal share theirs.
    assert deal["id"] == company_id

    hs(
        hubspot,
        "PATCH",
        f"/crm/v3/objects/deals/{deal['id']}",
        json={"properties": {"dealstage": "closedwon"}},
    )
    read = hs(
        hubspot,
        "GET",
        f"/crm/v3/objects/deals/{deal['id']}",
        params={
            "properties": ",".join(DEAL_PROPERTIES),
            "associations": "companies,contacts,line_items",
        },
    ).json()
    assert read["properties"]["hs_is_closed_won"] == "true"
    assert {r["type"] for r in read["associations"]["companies"]["results"]} == {
        "deal_to_company",
        "deal_to_company_unlabeled",
    }
    items = hs(
        hubspot,
        "POST",
        "/crm/v3/objects/line_items/batch/read",
        json={"properties": list(LINE_ITEM_PROPERTIES), "inputs": [{"id": item_id}]},
    ).json()["results"]
    pipelines = hs(hubspot, "GET", "/crm/v3/pipelines/deals").json()
    canonical = deal_from_hubspot(read, items, won_stages(pipelines))
    assert canonical.is_won
    assert (canonical.company, canonical.contacts) == (company_id, (contact_id,))
    assert canonical.amount == Decimal("1200.50")
    [line] = canonical.line_items
    assert (line.sku, line.product_id, line.quantity, line.unit_price) == (
        "SEAT-Y",
        "77",
        Decimal(10),
        Decimal("120.05"),
    )


def test_won_follows_the_pipeline_metadata_not_the_stage_name(hubspot):
    hubspot.add_pipeline(
        "renewals",
        "Renewals",
        [("a1b2-guid", "Signed", True, "1.0"), ("closedwon", "Not renewed", True, "0.0")],
    )
    signed = hubspot.crm_create("deals", {"pipeline": "renewals", "dealstage": "a1b2-guid"})
    lost = hubspot.crm_create("deals", {"pipeline": "renewals", "dealstage": "closedwon"})
    for deal, won in ((signed, "true"), (lost, "false")):
        read = hs(
            hubspot,
            "GET",
            f"/crm/v3/objects/deals/{deal['id']}",
            params={"properties": "hs_is_closed_won"},
        )
        assert read.json()["properties"]["hs_is_closed_won"] == won
    wrong = hs(
        hubspot,
        "PATCH",
        f"/crm/v3/objects/deals/{signed['id']}",
        json={"properties": {"dealstage": "contractsent"}},
    )
    assert wrong.status_code == 400
    assert wrong.json()["category"] == "VALIDATION_ERROR"


def test_hubspot_properties(hubspot):
    definition = {
        "name": "odoo_status",
        "label": "Billing status",
        "type": "string",
        "fieldType": "text",
        "groupName": "dealinformation",
    }
    assert hs(hubspot, "POST", "/crm/v3/properties/deals", json=definition).status_code == 201
    again = hs(hubspot, "POST", "/crm/v3/properties/deals", json=definition)
    assert again.status_code == 409
    assert again.json()["category"] == "OBJECT_ALREADY_EXISTS"
    assert (
        hs(hubspot, "GET", "/crm/v3/properties/deals/odoo_status").json()["label"]
        == "Billing status"
    )
    deal = hubspot.crm_create("deals", {"dealname": "x"})
    ok = hs(
        hubspot,
        "PATCH",
        f"/crm/v3/objects/deals/{deal['id']}",
        json={"properties": {"odoo_status": "active"}},
    )
    assert ok.json()["properties"]["odoo_status"] == "active"
    for name, error in (
        ("nope", "PROPERTY_DOESNT_EXIST"),
        ("hs_is_closed_won", "READ_ONLY_VALUE"),
    ):
        bad = hs(
            hubspot,
            "PATCH",
            f"/crm/v3/objects/deals/{deal['id']}",
            json={"properties": {name: "1"}},
        )
        assert bad.status_code == 400
        assert error in bad.json()["message"]


def test_hubspot_lists_objects_in_pages(hubspot):
    ids = [hubspot.crm_create("companies", {"name": f"C{n}"})["id"] for n in range(3)]
    first = hs(hubspot, "GET", "/crm/v3/objects/companies", params={"limit": 2}).json()
    after = first["paging"]["next"]["after"]
    rest = hs(hubspot, "GET", "/crm/v3/objects/companies", params={"limit": 2, "after": after})
    assert [r["id"] for r in first["results"] + rest.json()["results"]] == ids
    assert "paging" not in rest.json()


def test_hubspot_batches(hubspot):
    ids = [hubspot.crm_create("companies", {"name": f"C{n}"})["id"] for n in range(3)]
    read = hs(
        hubspot,
        "POST",
        "/crm/v3/objects/companies/batch/read",
        json={"properties": ["name"], "inputs": [{"id": ids[0]}, {"id": "999999"}]},
    )
    assert read.status_code == 207
    assert read.json()["errors"][0]["context"]["ids"] == ["999999"]
    updated = hs(
        hubspot,
        "POST",
        "/crm/v3/objects/companies/batch/update",
        json={"inputs": [{"id": i, "properties": {"domain": f"c{i}.example"}} for i in ids]},
    )
    assert updated.status_code == 200
    assert [r["properties"]["domain"] for r in updated.json()["results"]] == [
        f"c{i}.example" for i in ids
    ]
    too_many = hs(
        hubspot,
        "POST",
        "/crm/v3/objects/companies/batch/update",
        json={"inputs": [{"id": ids[0], "properties": {}}] * 101},
    )
    assert too_many.status_code == 400
    upsert = {
        "inputs": [
            {"id": "ada@acme.example", "idProperty": "email", "properties": {"firstname": "Ada"}}
        ]
    }
    first = hs(hubspot, "POST", "/crm/v3/objects/contacts/batch/upsert", json=upsert).json()[
        "results"
    ][0]
    upsert["inputs"][0]["properties"]["firstname"] = "Ada L."
    second = hs(hubspot, "POST", "/crm/v3/objects/contacts/batch/upsert", json=upsert).json()[
        "results"
    ][0]
    assert (first["new"], second["new"], first["id"]) == (True, False, second["id"])
    assert len(hubspot.objects["contacts"]) == 1
    not_unique = {"inputs": [{"id": "x", "idProperty": "firstname", "properties": {}}]}
    assert (
        hs(hubspot, "POST", "/crm/v3/objects/contacts/batch/upsert", json=not_unique).status_code
        == 400
    )


def test_hubspot_search(hubspot):
    for n in range(5):
        hubspot.crm_create(
            "deals",
            {
                "dealname": f"D{n}",
                "amount": str(100 * n),
                "dealstage": "closedwon" if n % 2 else "contractsent",
            },
        )
    query = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "amount", "operator": "GTE", "value": "100"},
                    {
                        "propertyName": "dealstage",
                        "operator": "IN",
                        "values": ["closedwon", "contractsent"],
                    },
                ]
            }
        ],
        "sorts": [{"propertyName": "amount", "direction": "DESCENDING"}],
        "properties": ["dealname", "amount"],
        "limit": 3,
    }
    page = hs(hubspot, "POST", "/crm/v3/objects/deals/search", json=query).json()
    assert page["total"] == 4
    assert [r["properties"]["dealname"] for r in page["results"]] == ["D4", "D3", "D2"]
    rest = hs(
        hubspot,
        "POST",
        "/crm/v3/objects/deals/search",
        json={**query, "after": page["paging"]["next"]["after"]},
    ).json()
    assert [r["properties"]["dealname"] for r in rest["results"]] == ["D1"]
    assert "paging" not in rest
    won = {
        "filterGroups": [
            {"filters": [{"propertyName": "hs_is_closed_won", "operator": "EQ", "value": "true"}]}
        ]
    }
    assert hs(hubspot, "POST", "/crm/v3/objects/deals/search", json=won).json()["total"] == 2
    assert (
        hs(hubspot, "POST", "/crm/v3/objects/deals/search", json={"limit": 201}).status_code == 400
    )


def test_hubspot_associations_v4(hubspot):
    deal = hubspot.crm_create("deals", {"dealname": "x"})["id"]
    company = hubspot.crm_create("companies", {"name": "y"})["id"]
    assert (
        hs(
            hubspot,
            "PUT",
            f"/crm/v4/objects/deals/{deal}/associations/default/companies/{company}",
        ).status_code
        == 200
    )
    listed = hs(hubspot, "GET", f"/crm/v4/objects/deals/{deal}/associations/companies").json()[
        "results"
    ]
    assert listed == [
        {
            "toObjectId": int(company),
            "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 341, "label": None}],
        }
    ]
    labelled = hs(
        hubspot,
        "PUT",
        f"/crm/v4/objects/deals/{deal}/associations/companies/{company}",
        json=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}],
    )
    assert labelled.status_code == 200
    batch = hs(
        hubspot,
        "POST",
        "/crm/v4/associations/companies/deals/batch/read",
        json={"inputs": [{"id": company}]},
    ).json()
    [result] = batch["results"]
    assert [t["typeId"] for t in result["to"][0]["associationTypes"]] == [6, 342]
    assert (
        hs(
            hubspot, "DELETE", f"/crm/v4/objects/deals/{deal}/associations/companies/{company}"
        ).status_code
        == 204
    )
    assert (
        hs(hubspot, "GET", f"/crm/v4/objects/deals/{deal}/associations/companies").json()[
            "results"
        ]
        == []
    )


# Windows long enough that a busy machine cannot make them expire within a test, except
# where a test waits for one to.
def test_hubspot_ten_secondly_limit():
    with HubSpotPeer(rate_limit=3, rate_window=60, retry_delays=FAST) as peer:
        answers = [hs(peer, "GET", "/crm/v3/objects/deals") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        limited = answers[-1]
        assert limited.json()["errorType"] == "RATE_LIMIT"
        assert limited.json()["policyName"] == "SECONDLY"
        assert limited.headers["X-HubSpot-RateLimit-Remaining"] == "0"
        assert limited.headers["X-HubSpot-RateLimit-Max"] == "3"
        assert limited.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "60000"


def test_hubspot_rate_window_slides():
    with HubSpotPeer(rate_limit=1, rate_window=0.2, retry_delays=FAST) as peer:
        assert hs(peer, "GET", "/crm/v3/objects/deals").status_code == 200
        time.sleep(0.3)
        assert hs(peer, "GET", "/crm/v3/objects/deals").status_code == 200


def test_hubspot_daily_limit():
    with HubSpotPeer(daily_limit=2, retry_delays=FAST) as peer:
        answers = [hs(peer, "GET", "/crm/v3/objects/deals") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[-1].json()["policyName"] == "DAILY"
        assert answers[-1].headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
        peer.reset_daily()
        assert hs(peer, "GET", "/crm/v3/objects/deals").status_code == 200


def test_hubspot_search_has_its_own_rate():
    with HubSpotPeer(search_rate_limit=2, search_rate_window=60, retry_delays=FAST) as peer:
        search = "/crm/v3/objects/deals/search"
        statuses = [hs(peer, "POST", search, json={}).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert hs(peer, "GET", "/crm/v3/objects/deals").status_code == 200


def verified_events(request, url):
    """The events of a delivery, after checking its v3 signature as the connector will."""
    hubspot_signature.verify("POST", url, request.body, request.headers, [CLIENT_SECRET])
    return parse_batch(request.body)


def test_hubspot_webhooks_are_signed_batched_and_redelivered_until_2xx(hubspot, receiver):
    endpoint = receiver((503, b"", {}), (500, b"", {}), (200, b"", {}))
    url = endpoint.url + "/saas/webhook/tok"
    hubspot.subscribe(url, "deal.creation", "deal.propertyChange")
    deal = hubspot.crm_create("deals", {"dealname": "x", "dealstage": "contractsent"})
    hubspot.crm_update("deals", deal["id"], {"dealstage": "closedwon", "amount": "10"})
    assert hubspot.wait_idle(10)
    [delivery] = hubspot.emitter.deliveries
    assert delivery.state == "accepted"
    assert [status for _n, status, _b in delivery.attempts] == [503, 500, 200]
    attempts = [verified_events(r, url) for r in endpoint.received]
    # Every attempt is signed anew and counts its attempts; the events keep their keys.
    assert [json.loads(r.body)[0]["attemptNumber"] for r in endpoint.received] == [0, 1, 2]
    assert len({tuple(e.key for e in events) for events in attempts}) == 1
    events = attempts[-1]
    assert [(e.action, e.property_name) for e in events] == [
        ("creation", None),
        ("propertyChange", "dealstage"),
        ("propertyChange", "amount"),
    ]
    assert {e.object_key for e in events} == {f"deal/{deal['id']}"}
    assert {e.change_source for e in events} == {"CRM"}
    assert endpoint.received[0].headers["x-hubspot-signature-version"] == "v1"


def test_hubspot_batches_at_most_100_events(receiver):
    endpoint = receiver()
    with HubSpotPeer(batch_delay=60, retry_delays=FAST) as peer:
        peer.subscribe(endpoint.url, "company.creation")
        for n in range(150):
            peer.crm_create("companies", {"name": f"C{n}"})
        assert peer.wait_idle(10)
    sizes = [len(verified_events(request, endpoint.url)) for request in endpoint.received]
    assert sizes == [100, 50]


def test_hubspot_webhooks_of_api_writes_say_integration(hubspot, receiver):
    endpoint = receiver()
    hubspot.subscribe(endpoint.url, "deal.propertyChange:dealstage")
    deal = hubspot.crm_create("deals", {"dealname": "x"})
    hs(
        hubspot,
        "PATCH",
        f"/crm/v3/objects/deals/{deal['id']}",
        json={"properties": {"dealstage": "closedwon", "dealname": "y"}},
    )
    assert hubspot.wait_idle(10)
    [event] = verified_events(endpoint.received[0], endpoint.url)
    assert (event.property_name, event.change_source, event.source_id) == (
        "dealstage",
        "INTEGRATION",
        str(hubspot.app_id),
    )


@pytest.mark.parametrize(
    ("status", "attempts"), [(400, 1), (401, 1), (404, 1), (429, 1 + len(FAST))]
)
def test_hubspot_does_not_retry_4xx_but_429(hubspot, receiver, status, attempts):
    endpoint = receiver((status, b"", {"Retry-After": "1"}))
    real = json.loads((FIXTURES / "hubspot-contact-creation-batch.json").read_bytes())
    delivery = hubspot.emit(real, url=endpoint.url)
    assert hubspot.wait_idle(10)
    assert len(delivery.attempts) == attempts == len(endpoint.received)
    assert delivery.state == "failed"


def test_hubspot_emits_exact_batches(hubspot, receiver):
    endpoint = receiver()
    body = (FIXTURES / "hubspot-contact-creation-batch.json").read_bytes()
    hubspot.emit(json.loads(body), url=endpoint.url)
    assert hubspot.wait_idle(10)
    [request] = endpoint.received
    assert json.loads(request.body) == json.loads(body)
    assert verified_events(request, endpoint.url)[0].key == "25458:1:123:1539145399845"


# Salesforce -------------------------------------------------------------------------------


@pytest.fixture
def salesforce():
    with SalesforcePeer(retry_delays=FAST) as peer:
        peer.add_field("Account", "Ext__c", external_id=True)
        yield peer


def sf_token(peer):
    answer = requests.post(
        peer.url + "/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": SF_SECRET,
        },
        timeout=10,
    )
    assert answer.status_code == 200
    return answer.json()


def sf(peer, method, path, token=None, **kwargs):
    token = token or sf_token(peer)["access_token"]
    return requests.request(
        method,
        f"{peer.url}/services/data/{API_VERSION}{path}",
        headers={"Authorization": f"Bearer {token}", "Sforce-Call-Options": "client=odoo-saas"},
        timeout=10,
        **kwargs,
    )


@pytest.mark.parametrize(
    "real",
    # The ids of the real outbound message (fixtures): org, action, notification, records.
    ["00D7F00000107XsUAI", "04k7F0000008V3hQAE", "04l7F000008aeAyQAI", "0067F000003pmdWQAQ"],
)
def test_salesforce_ids_carry_their_case_suffix(real):
    assert id18(real[:15]) == real


def test_salesforce_record_ids_are_18_characters_of_their_type():
    ids = {record_id("006", n) for n in range(1, 100)}
    assert len(ids) == 99
    assert all(len(i) == 18 and i.startswith("006") and id18(i[:15]) == i for i in ids)


def test_salesforce_client_credentials_and_expiry(salesforce):
    token = sf_token(salesforce)
    assert token["instance_url"] == salesforce.url
    assert token["token_type"] == "Bearer"
    bad = requests.post(
        salesforce.url + "/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "no"},
        timeout=10,
    )
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_client")
    password = requests.post(
        salesforce.url + "/services/oauth2/token", data={"grant_type": "password"}, timeout=10
    )
    assert password.json()["error"] == "unsupported_grant_type"
    assert (
        sf(
            salesforce,
            "GET",
            "/query",
            token=token["access_token"],
            params={"q": "SELECT Id FROM Account"},
        ).status_code
        == 200
    )
    salesforce.expire_tokens()
    expired = sf(
        salesforce,
        "GET",
        "/query",
        token=token["access_token"],
        params={"q": "SELECT Id FROM Account"},
    )
    assert expired.status_code == 401
    assert expired.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_salesforce_crud_and_the_opportunity_query(salesforce):
    token = sf_token(salesforce)["access_token"]
    account = sf(salesforce, "POST", "/sobjects/Account", token, json={"Name": "Acme"}).json()[
        "id"
    ]
    contact = salesforce.user_create("Contact", {"LastName": "Lovelace", "AccountId": account})
    product = salesforce.user_create("Product2", {"Name": "Seats", "ProductCode": "SEAT-Y"})
    opportunity = sf(
        salesforce,
        "POST",
        "/sobjects/Opportunity",
        token,
        json={
            "Name": "Acme annual",
            "StageName": "Negotiation/Review",
            "CloseDate": "2026-12-01",
            "AccountId": account,
            "Amount": 1200.5,
            "CurrencyIsoCode": "EUR",
        },
    ).json()["id"]
    salesforce.user_create(
        "OpportunityLineItem",
        {
            "OpportunityId": opportunity,
            "Product2Id": product,
            "ProductCode": "SEAT-Y",
            "Name": "Seats",
            "Quantity": 10,
            "UnitPrice": 120.05,
        },
    )
    salesforce.user_create(
        "OpportunityContactRole", {"OpportunityId": opportunity, "ContactId": contact}
    )
    assert (
        sf(
            salesforce,
            "PATCH",
            f"/sobjects/Opportunity/{opportunity}",
            token,
            json={"StageName": "Closed Won"},
        ).status_code
        == 204
    )
    answer = sf(salesforce, "GET", "/query", token, params={"q": opportunity_query(opportunity)})
    [record] = json.loads(answer.content, parse_float=Decimal)["records"]
    deal = deal_from_salesforce(record)
    assert deal.is_won and deal.stage == "Closed Won"
    assert (deal.company, deal.contacts, deal.currency) == (account, (contact,), "EUR")
    [line] = deal.line_items
    assert (line.sku, line.product_id, line.quantity, line.unit_price) == (
        "SEAT-Y",
        product,
        10,
        Decimal("120.05"),
    )
    read = sf(
        salesforce,
        "GET",
        f"/sobjects/Opportunity/{opportunity}",
        token,
        params={"fields": "IsWon,IsClosed"},
    ).json()
    assert (read["IsWon"], read["IsClosed"]) == (True, True)
    assert read["attributes"]["type"] == "Opportunity"
    assert (
        sf(
            salesforce,
            "PATCH",
            f"/sobjects/Opportunity/{opportunity}",
            token,
            json={"IsWon": True},
        ).json()[0]["errorCode"]
        == "INVALID_FIELD_FOR_INSERT_UPDATE"
    )
    assert (
        sf(
            salesforce, "PATCH", f"/sobjects/Opportunity/{opportunity}", token, json={"Nope__c": 1}
        ).json()[0]["errorCode"]
        == "INVALID_FIELD"
    )
    assert sf(salesforce, "DELETE", f"/sobjects/Contact/{contact}", token).status_code == 204
    assert sf(salesforce, "GET", f"/sobjects/Contact/{contact}", token).status_code == 404
    assert {client for _m, _p, client in salesforce.writes} == {"odoo-saas"}


def test_salesforce_merged_records_are_deleted_naming_their_master(salesforce):
    token = sf_token(salesforce)["access_token"]
    master = salesforce.user_create("Account", {"Name": "Acme"})
    merged = salesforce.user_create("Account", {"Name": "ACME Inc."})
    contact = salesforce.user_create("Contact", {"LastName": "Lovelace", "AccountId": merged})
    salesforce.user_merge("Account", master, merged)

    assert sf(salesforce, "GET", f"/sobjects/Account/{merged}", token).status_code == 404
    assert salesforce.record("Contact", contact)["AccountId"] == master
    soql = f"SELECT Id, IsDeleted FROM Account WHERE MasterRecordId = '{master}'"
    live = sf(salesforce, "GET", "/query", token, params={"q": soql}).json()
    assert live["records"] == []
    everything = sf(salesforce, "GET", "/queryAll", token, params={"q": soql}).json()
    assert [(r["Id"], r["IsDeleted"]) for r in everything["records"]] == [(merged, True)]
    kept = sf(salesforce, "GET", f"/sobjects/Account/{master}", token).json()
    assert (kept["IsDeleted"], kept["MasterRecordId"]) == (False, None)


def test_salesforce_won_is_the_stage_flag_not_its_name(salesforce):
    salesforce.add_stage("Signed", 100, True, True)
    signed = salesforce.user_create(
        "Opportunity", {"Name": "a", "StageName": "Signed", "CloseDate": "2026-01-01"}
    )
    assert salesforce.record("Opportunity", signed)["IsWon"] is True
    bad = sf(
        salesforce,
        "POST",
        "/sobjects/Opportunity",
        json={"Name": "b", "StageName": "Won!", "CloseDate": "2026-01-01"},
    )
    assert bad.json()[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_soql_subset(salesforce):
    token = sf_token(salesforce)["access_token"]
    for n in range(5):
        salesforce.user_create(
            "Account", {"Name": f"Acme {n}", "Website": f"acme{n}.example" if n % 2 else None}
        )

    def query(text):
        answer = sf(salesforce, "GET", "/query", token, params={"q": text})
        return answer.status_code, answer.json()

    status, page = query(
        "SELECT Id, Name FROM Account WHERE Name LIKE 'Acme%' AND Website != null "
        "ORDER BY Name DESC LIMIT 1"
    )
    assert (status, [r["Name"] for r in page["records"]]) == (200, ["Acme 3"])
    _status, page = query(
        "select name from account where Name in ('Acme 0', 'Acme 4') order by Name"
    )
    assert [r["Name"] for r in page["records"]] == ["Acme 0", "Acme 4"]
    _status, page = query("SELECT Id FROM Account WHERE SystemModstamp > 2000-01-01T00:00:00Z")
    assert page["totalSize"] == 5
    status, errors = query("SELECT Foo FROM Account")
    assert (status, errors[0]["errorCode"]) == (400, "INVALID_FIELD")
    status, errors = query("SELECT Id FROM Widget")
    assert (status, errors[0]["errorCode"]) == (400, "INVALID_TYPE")
    status, errors = query("SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b'")
    assert (status, errors[0]["errorCode"]) == (400, "MALFORMED_QUERY")


def test_soql_pages_with_next_records_url():
    with SalesforcePeer(query_batch_size=2, retry_delays=FAST) as peer:
        for n in range(5):
            peer.user_create("Account", {"Name": f"A{n}"})
        token = sf_token(peer)["access_token"]
        page = sf(
            peer, "GET", "/query", token, params={"q": "SELECT Name FROM Account ORDER BY Name"}
        ).json()
        names = [r["Name"] for r in page["records"]]
        while not page["done"]:
            page = requests.get(
                peer.url + page["nextRecordsUrl"],
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            ).json()
            names += [r["Name"] for r in page["records"]]
        assert names == [f"A{n}" for n in range(5)]


def test_salesforce_external_id_upsert(salesforce):
    token = sf_token(salesforce)["access_token"]
    created = sf(
        salesforce, "PATCH", "/sobjects/Account/Ext__c/odoo-7", token, json={"Name": "Acme"}
    )
    assert created.status_code == 201 and created.json()["created"] is True
    updated = sf(
        salesforce, "PATCH", "/sobjects/Account/Ext__c/odoo-7", token, json={"Name": "Acme Ltd"}
    )
    assert updated.status_code == 200 and updated.json() == {
        "id": created.json()["id"],
        "success": True,
        "errors": [],
        "created": False,
    }
    assert salesforce.record("Account", created.json()["id"])["Name"] == "Acme Ltd"
    missing = sf(
        salesforce,
        "PATCH",
        "/sobjects/Account/Ext__c/odoo-8?updateOnly=true",
        token,
        json={"Name": "x"},
    )
    assert missing.status_code == 404
    salesforce.user_create("Account", {"Name": "dup", "Ext__c": "odoo-9"})
    salesforce.user_create("Account", {"Name": "dup", "Ext__c": "odoo-9"})
    several = sf(salesforce, "PATCH", "/sobjects/Account/Ext__c/odoo-9", token, json={"Name": "x"})
    assert several.status_code == 300 and len(several.json()) == 2
    not_external = sf(salesforce, "PATCH", "/sobjects/Account/Name/Acme", token, json={})
    assert not_external.status_code == 404


def test_salesforce_tokens_expire_after_their_lifetime():
    with SalesforcePeer(token_lifetime=0.2, retry_delays=FAST) as peer:
        token = sf_token(peer)["access_token"]
        query = {"q": "SELECT Id FROM Account"}
        assert sf(peer, "GET", "/query", token, params=query).status_code == 200
        time.sleep(0.3)
        assert sf(peer, "GET", "/query", token, params=query).status_code == 401
        assert sf(peer, "GET", "/query", params=query).status_code == 200  # a new token


def test_salesforce_composite_create(salesforce):
    token = sf_token(salesforce)["access_token"]
    records = [{"attributes": {"type": "Account"}, "Name": f"N{n}"} for n in range(2)]
    answer = sf(salesforce, "POST", "/composite/sobjects", token, json={"records": records})
    assert [r["success"] for r in answer.json()] == [True, True]
    assert [salesforce.record("Account", r["id"])["Name"] for r in answer.json()] == ["N0", "N1"]


def test_salesforce_composite_update(salesforce):
    token = sf_token(salesforce)["access_token"]
    ids = [salesforce.user_create("Account", {"Name": f"A{n}"}) for n in range(3)]
    records = [{"attributes": {"type": "Account"}, "Id": i, "Website": "x.example"} for i in ids]
    answer = sf(
        salesforce,
        "PATCH",
        "/composite/sobjects",
        token,
        json={"allOrNone": False, "records": records},
    )
    assert [r["success"] for r in answer.json()] == [True] * 3
    broken = [*records, {"attributes": {"type": "Account"}, "Id": ids[0], "Nope__c": 1}]
    broken[0] = {**broken[0], "Website": "changed.example"}
    rolled = sf(
        salesforce,
        "PATCH",
        "/composite/sobjects",
        token,
        json={"allOrNone": True, "records": broken},
    ).json()
    assert rolled[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert rolled[-1]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert salesforce.record("Account", ids[0])["Website"] == "x.example"
    too_many = sf(
        salesforce, "PATCH", "/composite/sobjects", token, json={"records": records * 67}
    )
    assert too_many.status_code == 400


def test_salesforce_request_limit():
    with SalesforcePeer(api_limit=2, retry_delays=FAST) as peer:
        token = sf_token(peer)["access_token"]
        answers = [
            sf(peer, "GET", "/query", token, params={"q": "SELECT Id FROM Account"})
            for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [200, 200, 403]
        assert answers[0].headers["Sforce-Limit-Info"] == "api-usage=1/2"
        assert answers[-1].json() == [
            {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
        ]


def test_outbound_messages_are_redelivered_until_acknowledged(salesforce, receiver):
    ack = (200, salesforce_outbound.ACK, {"Content-Type": salesforce_outbound.ACK_CONTENT_TYPE})
    endpoint = receiver((500, b"", {}), (200, b"<ok/>", {}), ack)
    salesforce.outbound_message(
        endpoint.url,
        "Opportunity",
        ["Name", "StageName", "IsWon", "Amount", "AccountId"],
        when=lambda r: r["IsWon"],
    )
    opportunity = salesforce.user_create(
        "Opportunity",
        {"Name": "A", "StageName": "Prospecting", "CloseDate": "2026-01-01", "Amount": 100},
    )
    assert salesforce.wait_idle(10)
    assert endpoint.received == []  # not won: the flow's condition does not hold
    salesforce.user_update("Opportunity", opportunity, {"StageName": "Closed Won"})
    assert salesforce.wait_idle(10)
    [delivery] = salesforce.emitter.deliveries
    assert delivery.state == "accepted"
    assert [status for _n, status, _b in delivery.attempts] == [500, 200, 200]
    messages = [salesforce_outbound.parse(r.body) for r in endpoint.received]
    assert {m.organization_id for m in messages} == {ORGANIZATION_ID}
    assert len({m.notifications[0].id for m in messages}) == 1  # the same notification, retried
    [notification] = messages[-1].notifications
    assert notification.sobject_type == "Opportunity"
    assert notification.fields == {
        "Id": opportunity,
        "Amount": "100.0",
        "IsWon": "true",
        "Name": "A",
        "StageName": "Closed Won",
    }
    assert deal_from_salesforce(notification.fields).is_won
    assert endpoint.received[0].headers["content-type"].startswith("text/xml")


def test_changes_made_together_are_one_message(receiver):
    endpoint = receiver((200, salesforce_outbound.ACK, {}))
    # Gathered until wait_idle sends them, however slow the machine.
    with SalesforcePeer(batch_delay=60, retry_delays=FAST) as peer:
        peer.outbound_message(endpoint.url, "Account", ["Name"])
        ids = [peer.user_create("Account", {"Name": f"A{n}"}) for n in range(3)]
        assert peer.wait_idle(10)
    [request] = endpoint.received
    message = salesforce_outbound.parse(request.body)
    assert [n.record_id for n in message.notifications] == ids
    assert len({n.id for n in message.notifications}) == 3


def test_outbound_retries_carry_the_latest_values(receiver):
    endpoint = receiver((503, b"", {}))
    with SalesforcePeer(retry_delays=(0.05,) * 100) as peer:
        peer.outbound_message(endpoint.url, "Account", ["Name"])
        account = peer.user_create("Account", {"Name": "Before"})
        deadline = time.monotonic() + 10
        while not endpoint.received and time.monotonic() < deadline:
            time.sleep(0.01)
        peer.user_update("Account", account, {"Name": "After"})
        endpoint.answers = [(200, salesforce_outbound.ACK, {})]
        assert peer.wait_idle(10)
    attempts = {}
    for request in endpoint.received:
        [notification] = salesforce_outbound.parse(request.body).notifications
        attempts.setdefault(notification.id, []).append(notification.fields["Name"])
    # The creation's notification was refused while the name was "Before", and went again
    # with the update's values, as did the update's own notification.
    creation, update = attempts.values()
    assert creation[0] == "Before"
    assert creation[-1] == update[-1] == "After"
