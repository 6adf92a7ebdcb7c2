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

from odoo.addons.saas_crm_sync.lib import hubspot_signature
from odoo.addons.saas_crm_sync.lib.hubspot_deal import (
    DEAL_PROPERTIES,
    LINE_ITEM_PROPERTIES,
    deal_from_hubspot,
    won_stages,
)
from odoo.addons.saas_crm_sync.lib.hubspot_events import parse_batch

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
