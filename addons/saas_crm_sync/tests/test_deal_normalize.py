"""HubSpot deals and Salesforce opportunities read into one canonical Deal.

No public repository holds a recorded HubSpot deal read with its associations or a Salesforce
query result with line items under a licence that allows copying them (see
fixtures/PROVENANCE.md): the HubSpot and SOQL answers here are built in the shapes of the
vendors' API references. The Salesforce notification is the real outbound message, and its won
variant is derived from it in code.
"""

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest

from odoo.addons.saas_crm_sync.lib.deal import Deal, LineItem, to_date, to_decimal
from odoo.addons.saas_crm_sync.lib.hubspot_deal import (
    associated_ids,
    deal_from_hubspot,
    won_stages,
)
from odoo.addons.saas_crm_sync.lib.salesforce_opportunity import (
    deal_from_salesforce,
    is_record_id,
    opportunity_query,
)
from odoo.addons.saas_crm_sync.lib.salesforce_outbound import parse

FIXTURES = Path(__file__).parent / "fixtures"
OUTBOUND = (FIXTURES / "salesforce-outbound-message-opportunity.xml").read_bytes()

# GET /crm/v3/pipelines/deals: the default pipeline and a custom one whose stages are GUIDs
# and whose won stage is not called "closedwon"; metadata values are text.
PIPELINES = {
    "results": [
        {
            "id": "default",
            "label": "Sales Pipeline",
            "stages": [
                {
                    "id": "appointmentscheduled",
                    "metadata": {"isClosed": "false", "probability": "0.2"},
                },
                {"id": "closedwon", "metadata": {"isClosed": "true", "probability": "1.0"}},
                {"id": "closedlost", "metadata": {"isClosed": "true", "probability": "0.0"}},
            ],
        },
        {
            "id": "7d3e8a3e-2f1c-4d4b-9a51-3f2f0c1d9e10",
            "label": "Renewals",
            "stages": [
                {
                    "id": "0e1f5c9a-77aa-4f0b-8f6e-7f3c2d1b0a99",
                    "label": "Signed",
                    "metadata": {"isClosed": "true", "probability": "1.0"},
                },
                {
                    "id": "closedwon",  # a stage named like the default one, but lost
                    "label": "Closed (not renewed)",
                    "metadata": {"isClosed": "true", "probability": "0.0"},
                },
                {
                    "id": "b9c1",
                    "label": "Verbal yes",
                    "metadata": {"isClosed": "false", "probability": "1.0"},
                },
            ],
        },
    ]
}
WON = won_stages(PIPELINES)
RENEWALS = "7d3e8a3e-2f1c-4d4b-9a51-3f2f0c1d9e10"


def hubspot_deal(associations=True, **properties):
    """GET /crm/v3/objects/deals/123?properties=…&associations=companies,contacts,line_items"""
    deal = {
        "id": "123",
        "properties": {
            "amount": "1500.50",
            "closedate": "2025-02-28T16:35:02.296Z",
            "createdate": "2025-02-05T16:35:33.362Z",
            "dealname": "Acme annual",
            "dealstage": "closedwon",
            "deal_currency_code": "eur",
            "hs_object_id": "123",
            "pipeline": "default",
            **properties,
        },
        "createdAt": "2025-02-05T16:35:33.362Z",
        "updatedAt": "2025-02-05T16:35:37.609Z",
        "archived": False,
    }
    if associations:
        deal["associations"] = {
            "companies": {
                "results": [
                    {"id": "456", "type": "deal_to_company_unlabeled"},
                    {"id": "457", "type": "deal_to_company"},
                    {"id": "457", "type": "deal_to_company_unlabeled"},
                ]
            },
            "contacts": {
                "results": [
                    {"id": "901", "type": "deal_to_contact"},
                    {"id": "902", "type": "deal_to_contact"},
                ]
            },
            # HubSpot spells this association "line items" in some answers.
            "line items": {
                "results": [
                    {"id": "28902434116", "type": "deal_to_line_item"},
                    {"id": "28902434115", "type": "deal_to_line_item"},
                ]
            },
        }
    return deal


# POST /crm/v3/objects/line_items/batch/read, results in HubSpot's (any) order.
LINE_ITEMS = [
    {
        "id": "28902434115",
        "properties": {
            "name": "Seats",
            "hs_product_id": "1642736",
            "hs_sku": "SEAT-Y",
            "quantity": "10",
            "price": "120.05",
        },
    },
    {
        "id": "28902434116",
        "properties": {
            "name": "Onboarding",
            "hs_product_id": None,
            "hs_sku": "",
            "quantity": "1",
            "price": "300",
        },
    },
]
SEATS = LineItem("28902434115", "Seats", "1642736", "SEAT-Y", Decimal(10), Decimal("120.05"))
ONBOARDING = LineItem("28902434116", "Onboarding", None, None, Decimal(1), Decimal(300))


def test_a_hubspot_deal_whole():
    assert deal_from_hubspot(hubspot_deal(), LINE_ITEMS, WON) == Deal(
        id="123",
        name="Acme annual",
        stage="closedwon",
        pipeline="default",
        is_won=True,
        amount=Decimal("1500.50"),
        currency="EUR",
        close_date=datetime.date(2025, 2, 28),
        company="457",
        contacts=("901", "902"),
        line_items=(ONBOARDING, SEATS),
    )


# (case, deal properties, expected is_won). Won comes from hs_is_closed_won when the deal was
# read with it, else from the stage's metadata; never from the stage's name.
WON_CASES = [
    ("default pipeline won stage", {}, True),
    ("default pipeline lost", {"dealstage": "closedlost"}, False),
    (
        "custom won stage (a GUID)",
        {"pipeline": RENEWALS, "dealstage": "0e1f5c9a-77aa-4f0b-8f6e-7f3c2d1b0a99"},
        True,
    ),
    (
        "custom stage named closedwon, lost",
        {"pipeline": RENEWALS, "dealstage": "closedwon"},
        False,
    ),
    ("probability 1.0 but open", {"pipeline": RENEWALS, "dealstage": "b9c1"}, False),
    ("unknown stage", {"dealstage": "archived-stage"}, False),
    ("hs_is_closed_won true", {"dealstage": "closedlost", "hs_is_closed_won": "true"}, True),
    ("hs_is_closed_won false", {"hs_is_closed_won": "false"}, False),
    ("hs_is_closed_won blank", {"hs_is_closed_won": "", "dealstage": "closedlost"}, False),
]


@pytest.mark.parametrize(
    ("properties", "won"), [c[1:] for c in WON_CASES], ids=[c[0] for c in WON_CASES]
)
def test_hubspot_won(properties, won):
    assert deal_from_hubspot(hubspot_deal(**properties), LINE_ITEMS, WON).is_won is won


def test_hubspot_won_without_stages_needs_hs_is_closed_won():
    assert deal_from_hubspot(hubspot_deal(hs_is_closed_won="true"), LINE_ITEMS).is_won
    with pytest.raises(ValueError, match="cannot tell whether the deal is won"):
        deal_from_hubspot(hubspot_deal(), LINE_ITEMS)


def test_won_stages_are_the_closed_ones_at_probability_one():
    assert WON == {("default", "closedwon"), (RENEWALS, "0e1f5c9a-77aa-4f0b-8f6e-7f3c2d1b0a99")}
    # Some clients send the metadata as JSON booleans and numbers.
    assert won_stages(
        {
            "results": [
                {
                    "id": "p",
                    "stages": [{"id": "s", "metadata": {"isClosed": True, "probability": 1}}],
                }
            ]
        }
    ) == {("p", "s")}


def test_a_hubspot_deal_without_associations_or_optional_properties():
    deal = deal_from_hubspot(
        hubspot_deal(associations=False, amount="", deal_currency_code=None, closedate=None),
        won=WON,
    )
    assert (deal.company, deal.contacts, deal.line_items) == (None, (), ())
    assert (deal.amount, deal.currency, deal.close_date) == (None, None, None)


def test_the_first_company_is_taken_when_none_is_primary():
    raw = hubspot_deal()
    raw["associations"]["companies"]["results"] = [
        {"id": "456", "type": "deal_to_company_unlabeled"}
    ]
    assert deal_from_hubspot(raw, LINE_ITEMS, WON).company == "456"


def test_v4_association_results_are_read_too():
    raw = hubspot_deal()
    raw["associations"] = {"line_items": {"results": [{"toObjectId": 28902434115}]}}
    assert associated_ids(raw, "line_items") == ["28902434115"]
    assert deal_from_hubspot(raw, LINE_ITEMS, WON).line_items == (SEATS,)


def test_a_line_item_not_read_fails_the_deal():
    with pytest.raises(ValueError, match="28902434116"):
        deal_from_hubspot(hubspot_deal(), LINE_ITEMS[:1], WON)


def test_a_line_item_without_quantity_fails_the_deal():
    items = [LINE_ITEMS[0], {"id": "28902434116", "properties": {"name": "x", "price": "1"}}]
    with pytest.raises(ValueError, match="no quantity"):
        deal_from_hubspot(hubspot_deal(), items, WON)


def test_a_bad_amount_fails_the_deal():
    with pytest.raises(ValueError, match="amount"):
        deal_from_hubspot(hubspot_deal(amount="1,500.50"), LINE_ITEMS, WON)


# The real outbound message's notification: it carries no IsWon (its action did not select
# it), so it cannot say whether the opportunity is won.
[NOTIFICATION] = parse(OUTBOUND).notifications


def test_a_notification_without_is_won_asks_for_a_re_read():
    with pytest.raises(ValueError, match="re-read it over REST"):
        deal_from_salesforce(NOTIFICATION.fields)


def test_the_real_notification_with_is_won_selected():
    # Derived: the same message from an action that also selects IsWon and CurrencyIsoCode,
    # once the opportunity is won (Closed Won is the standard won stage).
    won = OUTBOUND.replace(
        b"<sf:StageName>Perception Analysis</sf:StageName>",
        b"<sf:CurrencyIsoCode>USD</sf:CurrencyIsoCode><sf:IsWon>true</sf:IsWon>"
        b"<sf:StageName>Closed Won</sf:StageName>",
    )
    [notification] = parse(won).notifications
    assert deal_from_salesforce(notification.fields) == Deal(
        id="0067F000003pmdWQAQ",
        name="Express Logistics SLA",
        stage="Closed Won",
        pipeline=None,
        is_won=True,
        amount=Decimal("120000.0"),
        currency="USD",
        close_date=datetime.date(2017, 4, 3),
        company="0017F000007ydJmQAI",
    )
    lost = dict(notification.fields, IsWon="false", StageName="Perception Analysis")
    assert not deal_from_salesforce(lost).is_won


# GET /services/data/v62.0/query?q=<opportunity_query>, parsed with parse_float=Decimal.
QUERY_RESULT = """{
  "totalSize": 1,
  "done": true,
  "records": [{
    "attributes": {
      "type": "Opportunity",
      "url": "/services/data/v62.0/sobjects/Opportunity/0067F000003pmdWQAQ"
    },
    "Id": "0067F000003pmdWQAQ",
    "Name": "Express Logistics SLA",
    "StageName": "Negotiated (custom won stage)",
    "IsWon": true,
    "Amount": 120000.0,
    "CurrencyIsoCode": "EUR",
    "CloseDate": "2017-04-03",
    "AccountId": "0017F000007ydJmQAI",
    "OpportunityLineItems": {
      "totalSize": 2,
      "done": true,
      "records": [
        {"attributes": {"type": "OpportunityLineItem", "url": "/x"}, "Id": "00k7F000002AaAaQAK",
         "Name": "Express Logistics SLA GenWatt Diesel 200kW", "Product2Id": "01t7F000001ZaZaQAK",
         "ProductCode": "GC1020", "Quantity": 2.0, "UnitPrice": 50000.00},
        {"attributes": {"type": "OpportunityLineItem", "url": "/y"}, "Id": "00k7F000002AaAbQAK",
         "Name": "Installation", "Product2Id": "01t7F000001ZaZbQAK",
         "ProductCode": null, "Quantity": 1.0, "UnitPrice": 20000.0}
      ]
    },
    "OpportunityContactRoles": {
      "totalSize": 2,
      "done": true,
      "records": [
        {"attributes": {"type": "OpportunityContactRole", "url": "/z"},
         "ContactId": "0037F00000AbCdEQAZ"},
        {"attributes": {"type": "OpportunityContactRole", "url": "/w"},
         "ContactId": "0037F00000AbCdEQAZ"}
      ]
    }
  }]
}"""


def query_record(parse_float=Decimal, **changes):
    [record] = json.loads(QUERY_RESULT, parse_float=parse_float)["records"]
    return {**record, **changes}


def test_a_queried_opportunity_whole():
    assert deal_from_salesforce(query_record()) == Deal(
        id="0067F000003pmdWQAQ",
        name="Express Logistics SLA",
        stage="Negotiated (custom won stage)",
        pipeline=None,
        is_won=True,
        amount=Decimal("120000.0"),
        currency="EUR",
        close_date=datetime.date(2017, 4, 3),
        company="0017F000007ydJmQAI",
        contacts=("0037F00000AbCdEQAZ",),
        line_items=(
            LineItem(
                "00k7F000002AaAaQAK",
                "Express Logistics SLA GenWatt Diesel 200kW",
                "01t7F000001ZaZaQAK",
                "GC1020",
                Decimal("2.0"),
                Decimal("50000.00"),
            ),
            LineItem(
                "00k7F000002AaAbQAK",
                "Installation",
                "01t7F000001ZaZbQAK",
                None,
                Decimal("1.0"),
                Decimal("20000.0"),
            ),
        ),
    )


SALESFORCE_CASES = [
    ("won", {}, {"is_won": True}),
    (
        "closed won by name, not won",
        {"StageName": "Closed Won", "IsWon": False},
        {"is_won": False},
    ),
    ("single-currency org", {"CurrencyIsoCode": None}, {"currency": None}),
    ("no line items (null subquery)", {"OpportunityLineItems": None}, {"line_items": ()}),
    ("no contact roles", {"OpportunityContactRoles": None}, {"contacts": ()}),
    ("no amount", {"Amount": None}, {"amount": None}),
    (
        "account as a parent field",
        {"AccountId": None, "Account": {"Id": "0017F000007ydJnQAI"}},
        {"company": "0017F000007ydJnQAI"},
    ),
    (
        "close date as a datetime",
        {"CloseDate": "2017-04-03T23:30:00.000+0000"},
        {"close_date": datetime.date(2017, 4, 3)},
    ),
]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [c[1:] for c in SALESFORCE_CASES],
    ids=[c[0] for c in SALESFORCE_CASES],
)
def test_salesforce_cases(changes, expected):
    deal = deal_from_salesforce(query_record(**changes))
    assert {name: getattr(deal, name) for name in expected} == expected


def test_float_amounts_are_read_as_the_number_salesforce_wrote():
    deal = deal_from_salesforce(query_record(parse_float=float))
    assert deal.amount == Decimal("120000.0")
    assert deal.line_items[0].unit_price == Decimal("50000.0")


def test_a_subquery_with_more_pages_fails_the_deal():
    record = query_record()
    record["OpportunityLineItems"]["done"] = False
    with pytest.raises(ValueError, match="more pages"):
        deal_from_salesforce(record)


def test_the_opportunity_query_takes_only_record_ids():
    assert is_record_id("0067F000003pmdWQAQ") and is_record_id("0067F000003pmdW")
    for bad in ("0067F000003pmdWQA'", "' OR Name != '", "", None, "0067F000003pmdWQAQX"):
        assert not is_record_id(bad)
    query = opportunity_query("0067F000003pmdWQAQ")
    assert query.endswith("FROM Opportunity WHERE Id = '0067F000003pmdWQAQ'")
    assert "CurrencyIsoCode" in query
    assert "CurrencyIsoCode" not in opportunity_query("0067F000003pmdWQAQ", multi_currency=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2017-04-03", datetime.date(2017, 4, 3)),
        ("2025-02-28T16:35:02.296Z", datetime.date(2025, 2, 28)),
        ("2025-02-28T23:30:00-05:00", datetime.date(2025, 3, 1)),
        ("1740760502296", datetime.date(2025, 2, 28)),
        ("", None),
        (None, None),
    ],
)
def test_dates(value, expected):
    assert to_date(value, "d") == expected


@pytest.mark.parametrize("value", ["28/02/2025", "2025-02-30", "tomorrow"])
def test_bad_dates(value):
    with pytest.raises(ValueError):
        to_date(value, "d")


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1,5", True, "abc"])
def test_bad_numbers(value):
    with pytest.raises(ValueError):
        to_decimal(value, "n")
