"""HubSpot's CRM v3 API as the connector reads it: a deal whole (company, contacts, line items)
as the canonical ``Deal``, a company and contacts. Private-app bearer token; the base URL is a
setting (HubSpot serves dated paths, and tests point it at a fake)."""

import requests

from .crm_http import CrmPermanentError, send
from .hubspot_deal import (
    DEAL_PROPERTIES,
    LINE_ITEM_PROPERTIES,
    associated_ids,
    deal_from_hubspot,
    won_stages,
)

DEFAULT_API_BASE = "https://api.hubapi.com"
BATCH_LIMIT = 100
"""HubSpot's batch endpoints take at most 100 inputs."""
COMPANY_PROPERTIES = ("name", "domain")
CONTACT_PROPERTIES = ("email", "firstname", "lastname")


class HubSpotApi:
    """One HubSpot portal reached with one private-app access token."""

    def __init__(self, access_token, api_base=None):
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {access_token}"

    def _json(self, method, path, **kwargs):
        return send(self.session, "HubSpot", method, f"{self.api_base}{path}", **kwargs).json()

    def pipelines(self):
        """``GET /crm/v3/pipelines/deals``: the deal pipelines with their stages' metadata."""
        return self._json("GET", "/crm/v3/pipelines/deals")

    def deal(self, deal_id):
        """The ``Deal`` of ``deal_id``, read with its associations and line items. Won comes
        from ``hs_is_closed_won``, or from the pipelines' stage metadata when the answer
        lacks it (``deal_from_hubspot`` asks for it then)."""
        deal = self._json(
            "GET",
            f"/crm/v3/objects/deals/{deal_id}",
            params={
                "properties": ",".join(DEAL_PROPERTIES),
                "associations": "companies,contacts,line_items",
            },
        )
        line_items = self.batch_read(
            "line_items", associated_ids(deal, "line_items"), LINE_ITEM_PROPERTIES
        )
        won = None
        if (deal.get("properties") or {}).get("hs_is_closed_won") in (None, ""):
            # Some answers lack the computed property: the pipelines' metadata decides.
            won = won_stages(self.pipelines())
        return deal_from_hubspot(deal, line_items, won)

    def batch_read(self, object_type, ids, properties):
        """The objects ``ids`` of ``object_type`` with ``properties``, 100 per request."""
        results = []
        for start in range(0, len(ids), BATCH_LIMIT):
            answer = self._json(
                "POST",
                f"/crm/v3/objects/{object_type}/batch/read",
                json={
                    "properties": list(properties),
                    "inputs": [
                        {"id": object_id} for object_id in ids[start : start + BATCH_LIMIT]
                    ],
                },
            )
            results.extend(answer.get("results", ()))
        return results

    def company(self, company_id, extra_properties=()):
        """The properties of a company (``name``, ``domain`` and ``extra_properties``)."""
        answer = self._json(
            "GET",
            f"/crm/v3/objects/companies/{company_id}",
            params={"properties": ",".join((*COMPANY_PROPERTIES, *extra_properties))},
        )
        return answer.get("properties") or {}

    def contacts(self, contact_ids):
        """``{contact id: properties}`` of the contacts ``contact_ids``."""
        return {
            str(contact["id"]): contact.get("properties") or {}
            for contact in self.batch_read("contacts", list(contact_ids), CONTACT_PROPERTIES)
        }

    def ensure_properties(self, object_type, group, definitions):
        """Create the property ``group`` (``{"name", "label"}``) and the properties
        ``definitions`` of ``object_type`` that do not exist yet (HubSpot answers 409 for
        those that do). Returns the names created."""
        try:
            self._json("POST", f"/crm/v3/properties/{object_type}/groups", json=group)
        except CrmPermanentError as error:
            if error.status != 409:
                raise
        created = []
        for definition in definitions:
            try:
                self._json("POST", f"/crm/v3/properties/{object_type}", json=definition)
            except CrmPermanentError as error:
                if error.status != 409:
                    raise
                continue
            created.append(definition["name"])
        return created

    def batch_update(self, object_type, inputs):
        """``POST …/batch/update`` of at most 100 ``inputs`` (``{"id", "properties"}``).
        Returns the ids HubSpot does not have (any more)."""
        if len(inputs) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} inputs per batch")
        path = f"/crm/v3/objects/{object_type}/batch/update"
        try:
            self._json("POST", path, json={"inputs": inputs})
            return set()
        except CrmPermanentError as error:
            if error.status != 404:
                raise
        # One object gone (deleted, merged away) fails the whole batch: find which, then
        # update the others.
        ids = [str(item["id"]) for item in inputs]
        found = {str(obj["id"]) for obj in self.batch_read(object_type, ids, ("hs_object_id",))}
        others = [item for item in inputs if str(item["id"]) in found]
        if others:
            self._json("POST", path, json={"inputs": others})
        return set(ids) - found
