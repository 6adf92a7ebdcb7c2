"""A Salesforce Opportunity as the canonical ``Deal``: from an outbound-message notification's
fields (text) or from a SOQL query record (JSON) such as ``opportunity_query`` returns.

Won is ``IsWon``, which Salesforce derives from the ``OpportunityStage`` of ``StageName``; a
stage name proves nothing, so a record without ``IsWon`` (an outbound message whose action
does not select it) cannot say whether it is won: re-read it with ``opportunity_query``.
"""

from .deal import Deal, LineItem, to_bool, to_date, to_decimal

OPPORTUNITY_FIELDS = ("Id", "Name", "StageName", "IsWon", "Amount", "CloseDate", "AccountId")
OPPORTUNITY_CHILDREN = (
    "(SELECT Id, Name, Product2Id, ProductCode, Quantity, UnitPrice FROM OpportunityLineItems)",
    "(SELECT ContactId FROM OpportunityContactRoles)",
)


def opportunity_query(record_id, multi_currency=True):
    """The SOQL that reads an opportunity whole. ``CurrencyIsoCode`` exists only once an org
    enables multiple currencies (off by default): without it, the opportunity is in the org's
    ``DefaultCurrencyIsoCode``. ``record_id`` must be a checked Salesforce id
    (``is_record_id``)."""
    fields = [*OPPORTUNITY_FIELDS, *(("CurrencyIsoCode",) if multi_currency else ())]
    return (
        f"SELECT {', '.join([*fields, *OPPORTUNITY_CHILDREN])} "
        f"FROM Opportunity WHERE Id = '{record_id}'"
    )


def is_record_id(value):
    """Whether ``value`` is a 15- or 18-character Salesforce id, safe to put in SOQL."""
    return (
        isinstance(value, str) and len(value) in (15, 18) and value.isascii() and value.isalnum()
    )


def deal_from_salesforce(record):
    """The ``Deal`` of an Opportunity ``record`` (a dict of its fields). Raises ValueError when
    the record cannot say whether it is won."""
    is_won = to_bool(record.get("IsWon"), "IsWon")
    if is_won is None:
        raise ValueError("the opportunity carries no IsWon: re-read it over REST")
    return Deal(
        id=record["Id"],
        name=record.get("Name"),
        stage=record.get("StageName"),
        pipeline=None,
        is_won=is_won,
        amount=to_decimal(record.get("Amount"), "Amount"),
        currency=(record.get("CurrencyIsoCode") or "").upper() or None,
        close_date=to_date(record.get("CloseDate"), "CloseDate"),
        company=record.get("AccountId") or (record.get("Account") or {}).get("Id"),
        contacts=tuple(
            dict.fromkeys(
                role["ContactId"]
                for role in _children(record, "OpportunityContactRoles")
                if role.get("ContactId")
            )
        ),
        line_items=tuple(_line_item(item) for item in _children(record, "OpportunityLineItems")),
    )


def _children(record, relationship):
    """The records of a child subquery: ``null`` when there are none. A subquery of more
    than 200 rows comes back in pages: the caller must read them all first."""
    children = record.get(relationship)
    if not children:
        return ()
    if not children.get("done", True):
        raise ValueError(f"{relationship} has more pages: read them all first")
    return children.get("records", ())


def _line_item(item):
    product = item.get("Product2") or {}
    quantity = to_decimal(item.get("Quantity"), "Quantity")
    if quantity is None:
        raise ValueError(f"line item {item.get('Id')} has no Quantity")
    return LineItem(
        id=item["Id"],
        name=item.get("Name") or product.get("Name"),
        product_id=item.get("Product2Id") or product.get("Id"),
        sku=item.get("ProductCode") or product.get("ProductCode"),
        quantity=quantity,
        unit_price=to_decimal(item.get("UnitPrice"), "UnitPrice"),
    )
