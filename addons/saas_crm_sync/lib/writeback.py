"""What Odoo writes back to a CRM deal, and under which names.

Each written-back value has one canonical key; HubSpot gets it as a deal property of the
``odoo_billing`` group (created by the connector), Salesforce as a custom field of the
Opportunity (created by the org's admin, as the readme lists them). The values are plain
text, amounts (``Decimal`` at their currency's precision) and ISO dates, computed by the
activation when the write-back runs."""

from dataclasses import dataclass
from decimal import Decimal

HUBSPOT_GROUP = "odoo_billing"
HUBSPOT_GROUP_LABEL = "Odoo billing"
HUBSPOT_BATCH_LIMIT = 100
SALESFORCE_COMPOSITE_LIMIT = 200
SALESFORCE_CLIENT = "OdooSaasConnector"
"""The ``Sforce-Call-Options`` client name of every write: Salesforce stamps the change
events our writes cause with it, so that they can be told apart and skipped."""


@dataclass(frozen=True)
class WritebackField:
    key: str
    label: str
    kind: str
    """``string``, ``number`` or ``date``."""
    salesforce: str


FIELDS = (
    WritebackField(
        "subscription_status", "Subscription status", "string", "Odoo_Subscription_Status__c"
    ),
    WritebackField("mrr", "MRR", "number", "Odoo_MRR__c"),
    WritebackField("arr", "ARR", "number", "Odoo_ARR__c"),
    WritebackField("currency", "Billing currency", "string", "Odoo_Currency__c"),
    WritebackField(
        "last_invoice_status", "Last invoice status", "string", "Odoo_Last_Invoice_Status__c"
    ),
    WritebackField(
        "last_invoice_amount", "Last invoice amount", "number", "Odoo_Last_Invoice_Amount__c"
    ),
    WritebackField(
        "last_payment_status", "Last payment status", "string", "Odoo_Last_Payment_Status__c"
    ),
    WritebackField("last_payment_date", "Last payment date", "date", "Odoo_Last_Payment_Date__c"),
    WritebackField(
        "stripe_subscription_id",
        "Stripe subscription ID",
        "string",
        "Odoo_Stripe_Subscription_Id__c",
    ),
    WritebackField("odoo_partner_id", "Odoo customer ID", "string", "Odoo_Partner_Id__c"),
    WritebackField("correlation_id", "Odoo correlation ID", "string", "Odoo_Correlation_Id__c"),
)
KEYS = tuple(field.key for field in FIELDS)


def hubspot_name(key):
    """The HubSpot deal property of ``key``: ``odoo_mrr``. Keys already starting with
    ``odoo_`` keep their name."""
    return key if key.startswith("odoo_") else f"odoo_{key}"


HUBSPOT_PROPERTIES = frozenset(hubspot_name(key) for key in KEYS)
"""The deal properties Odoo owns: a change of one of them is never a reason to sync."""
# HubSpot's (type, fieldType) of each kind.
_HUBSPOT_TYPES = {
    "string": ("string", "text"),
    "number": ("number", "number"),
    "date": ("date", "date"),
}


def hubspot_property_definitions():
    """The ``POST /crm/v3/properties/deals`` bodies of the written-back properties."""
    return [
        {
            "name": hubspot_name(field.key),
            "label": f"Odoo: {field.label}",
            "type": _HUBSPOT_TYPES[field.kind][0],
            "fieldType": _HUBSPOT_TYPES[field.kind][1],
            "groupName": HUBSPOT_GROUP,
            "description": "Written by Odoo; edits made in HubSpot are overwritten.",
        }
        for field in FIELDS
    ]


def hubspot_input(deal_id, values):
    """One input of ``batch/update``: HubSpot takes every value as text, an amount as the
    decimal it is (``98.00``, ``500`` yen: never a float's ``98.0``), and an empty text
    clears a property."""
    return {
        "id": str(deal_id),
        "properties": {hubspot_name(key): _text(values.get(key)) for key in KEYS},
    }


def salesforce_record(sobject, record_id, values):
    """One record of a ``PATCH /composite/sobjects`` body; ``None`` clears a field. An
    amount goes as a JSON number, the type of the Number fields it fills: written-back
    amounts are far within a double's 15 exact digits, and the field's scale (2, or 3 where
    the org bills in three-decimal currencies) keeps every digit."""
    return {
        "attributes": {"type": sobject},
        "Id": record_id,
        **{field.salesforce: _json(values.get(field.key)) for field in FIELDS},
    }


def _text(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        # Fixed point whatever the exponent: "0.00", not "0E-2".
        return format(value, "f")
    return str(value)


def _json(value):
    return float(value) if isinstance(value, Decimal) else value


def chunks(items, size):
    """``items`` in lists of at most ``size``."""
    items = list(items)
    return [items[start : start + size] for start in range(0, len(items), size)]
