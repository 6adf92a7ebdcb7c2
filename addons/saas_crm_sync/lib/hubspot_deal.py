"""A HubSpot deal, read with its associations, as the canonical ``Deal``.

``dealstage`` is a stage id, and in custom pipelines often a GUID: a deal is won when its
``hs_is_closed_won`` says so (HubSpot computes it from the stage when the deal is read) or,
when the deal was read without it, when its stage is closed with probability 1.0 in the
pipeline's metadata (``GET /crm/v3/pipelines/deals``, see ``won_stages``). The stage's name,
``closedwon`` in the default pipeline, proves nothing.
"""

from .deal import Deal, LineItem, to_bool, to_date, to_decimal

DEAL_PROPERTIES = (
    "dealname",
    "dealstage",
    "pipeline",
    "amount",
    "deal_currency_code",
    "closedate",
    "hs_is_closed_won",
)
"""The properties to ask for when reading a deal (``properties=`` of the API)."""

LINE_ITEM_PROPERTIES = ("name", "hs_product_id", "hs_sku", "quantity", "price")


def won_stages(pipelines):
    """The ``(pipeline id, stage id)`` pairs of won stages, from the answer of
    ``GET /crm/v3/pipelines/deals`` (metadata values are text: ``"true"``, ``"1.0"``)."""
    won = set()
    for pipeline in pipelines.get("results", ()):
        for stage in pipeline.get("stages", ()):
            metadata = stage.get("metadata") or {}
            closed = to_bool(metadata.get("isClosed"), "isClosed")
            probability = to_decimal(metadata.get("probability"), "probability")
            if closed and probability == 1:
                won.add((str(pipeline["id"]), str(stage["id"])))
    return frozenset(won)


def associated_ids(deal, association):
    """The ids of the objects of one ``association`` (``companies``, ``contacts``,
    ``line_items``) of a deal, in HubSpot's order, each once (HubSpot lists an object once per
    association label, e.g. ``deal_to_company`` and ``deal_to_company_unlabeled``)."""
    associations = deal.get("associations") or {}
    # HubSpot names the line items' association "line items" in some answers.
    found = associations.get(association) or associations.get(association.replace("_", " "))
    ids = []
    for result in (found or {}).get("results", ()):
        object_id = str(result.get("id", result.get("toObjectId")))
        if object_id not in ids:
            ids.append(object_id)
    return ids


def deal_from_hubspot(deal, line_items=(), won=None):
    """The ``Deal`` of a deal object as ``GET /crm/v3/objects/deals/{id}`` answers it (with
    ``associations=companies,contacts,line_items``), its ``line_items`` as
    ``POST /crm/v3/objects/line_items/batch/read`` answers them, and ``won`` the result of
    ``won_stages``. Raises ValueError when the deal cannot be read whole."""
    properties = deal.get("properties") or {}
    pipeline = properties.get("pipeline")
    stage = properties.get("dealstage")
    return Deal(
        id=str(deal["id"]),
        name=properties.get("dealname"),
        stage=stage,
        pipeline=pipeline,
        is_won=_is_won(properties, won),
        amount=to_decimal(properties.get("amount"), "amount"),
        currency=(properties.get("deal_currency_code") or "").upper() or None,
        close_date=to_date(properties.get("closedate"), "closedate"),
        company=_primary_company(deal),
        contacts=tuple(associated_ids(deal, "contacts")),
        line_items=_line_items(deal, line_items),
    )


def _is_won(properties, won):
    closed_won = to_bool(properties.get("hs_is_closed_won"), "hs_is_closed_won")
    if closed_won is not None:
        return closed_won
    if won is None:
        raise ValueError(
            "cannot tell whether the deal is won: read it with hs_is_closed_won or give the "
            "pipelines' won stages"
        )
    return (properties.get("pipeline"), properties.get("dealstage")) in won


def _primary_company(deal):
    associations = (deal.get("associations") or {}).get("companies") or {}
    results = associations.get("results", ())
    # The primary company is labelled deal_to_company; unlabelled ones come after it.
    for result in results:
        if result.get("type") == "deal_to_company":
            return str(result["id"])
    ids = associated_ids(deal, "companies")
    return ids[0] if ids else None


def _line_items(deal, line_items):
    by_id = {str(item["id"]): item for item in line_items}
    wanted = associated_ids(deal, "line_items")
    missing = [item_id for item_id in wanted if item_id not in by_id]
    if missing:
        raise ValueError(f"line items {', '.join(missing)} of the deal were not read")
    return tuple(_line_item(by_id[item_id]) for item_id in wanted)


def _line_item(item):
    properties = item.get("properties") or {}
    quantity = to_decimal(properties.get("quantity"), "quantity")
    if quantity is None:
        raise ValueError(f"line item {item['id']} has no quantity")
    return LineItem(
        id=str(item["id"]),
        name=properties.get("name"),
        product_id=properties.get("hs_product_id") or None,
        sku=properties.get("hs_sku") or None,
        quantity=quantity,
        unit_price=to_decimal(properties.get("price"), "price"),
    )
