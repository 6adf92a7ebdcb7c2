"""Stripe customers and their tax ids of each API version, read into canonical objects."""

import pytest

from odoo.addons.saas_stripe.lib.normalize import (
    Address,
    Customer,
    NormalizeError,
    TaxId,
    normalize_object,
)

from .common_normalize import (
    LAGO_2020,
    LAGO_BASIL,
    LOCALSTRIPE,
    SYNC_ENGINE,
    ZULIP_CUSTOMER,
    stripe_object,
)

# The tax id localstripe embeds in its customer.
ADA_TAX_ID = TaxId(
    value="DE123456789",
    type="eu_vat",
    country="DE",
    id="txi_LsVat0001",
    customer_id="cus_LsAda0001",
)


@pytest.mark.parametrize(
    ("fixture", "index", "expected"),
    [
        (
            f"{LOCALSTRIPE}/customer_created.json",
            0,
            Customer(
                id="cus_LsAda0001",
                name="Ada Lovelace",
                email="ada@example.com",
                phone="+49 30 1234567",
                address=Address(
                    line1="Unter den Linden 1", postal_code="10117", city="Berlin", country="DE"
                ),
                currency="EUR",
                tax_ids=(ADA_TAX_ID,),
                metadata={"odoo_ref": "42"},
            ),
        ),
        (
            f"{SYNC_ENGINE}/customer_updated.json",
            0,
            Customer(
                id="cus_IhGfebO16cMIGN",
                name="Copple",
                email="billz@supabase.io",
                phone="+6587498462",
                currency="USD",
                metadata={"supabase_org_id": "35"},
            ),
        ),
        (
            f"{SYNC_ENGINE}/customer_deleted.json",
            0,
            Customer(id="cus_IhGfebO16cMIGN", deleted=True),
        ),
        (
            f"{LAGO_2020}/customer_updated.json",
            0,
            Customer(id="cus_123456789", name="Test 5", email="test@getlago.com"),
        ),
        (
            f"{LAGO_BASIL}/customer_updated.json",
            0,
            Customer(
                id="cus_SR8o2vcGRkVb6v",
                name="Integration Test UPDATED 2025-06-04T12:35:09Z",
                address=Address(country="FR"),
                metadata={
                    "lago_customer_id": "2c0f0f00-c378-4915-8ea4-c26304e1968a",
                    "customer_id": "cust_2025-06-04T12:34:59Z--d2ac6d",
                },
            ),
        ),
        (
            ZULIP_CUSTOMER,
            0,
            Customer(
                id="upgrade_by_card--Customer.create.1.json",
                email="hamlet@zulip.com",
                metadata={"realm_id": "1", "realm_str": "zulip"},
            ),
        ),
    ],
)
def test_customer_of_each_version(fixture, index, expected):
    assert normalize_object(stripe_object(fixture, index)) == expected


def test_legacy_vat_number_is_a_tax_id():
    # Stripe before customer tax ids: the VAT number only in business_vat_id.
    customer = stripe_object(f"{LOCALSTRIPE}/customer_created.json")
    del customer["tax_ids"]
    assert normalize_object(customer).tax_ids == (TaxId(value="DE123456789"),)


def test_tax_id_reads_alone_as_customer_tax_id_events_carry_it():
    # No fixture holds a customer.tax_id.* event: its object is the tax id a customer embeds.
    tax_id = stripe_object(f"{LOCALSTRIPE}/customer_created.json")["tax_ids"]["data"][0]
    assert normalize_object(tax_id) == ADA_TAX_ID


def test_tax_id_of_the_account_itself_has_no_customer():
    # Derived: the Stripe account's own tax ids name no customer.
    tax_id = stripe_object(f"{LOCALSTRIPE}/customer_created.json")["tax_ids"]["data"][0]
    tax_id["customer"] = None
    assert normalize_object(tax_id).customer_id is None


def test_tax_id_without_value_is_refused():
    tax_id = stripe_object(f"{LOCALSTRIPE}/customer_created.json")["tax_ids"]["data"][0]
    del tax_id["value"]
    with pytest.raises(NormalizeError, match="tax_id has no value"):
        normalize_object(tax_id)


def test_address_is_read_whatever_the_case_of_its_country_and_blank_parts_are_none():
    # Derived: a lower-case country and an empty line, as a hand-typed address may hold.
    customer = stripe_object(f"{LOCALSTRIPE}/customer_created.json")
    customer["address"].update(country="de", line2="")
    assert normalize_object(customer).address == Address(
        line1="Unter den Linden 1", postal_code="10117", city="Berlin", country="DE"
    )
