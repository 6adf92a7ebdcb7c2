"""Salesforce's REST API as the connector reads it: OAuth 2.0 client credentials (or the JWT
bearer flow) on the org's My Domain, SOQL queries (paged), an opportunity whole as the
canonical ``Deal``, an account and contacts."""

import requests

from .crm_http import CrmPermanentError, send
from .salesforce_opportunity import deal_from_salesforce, is_record_id, opportunity_query

DEFAULT_API_VERSION = "v62.0"


class SalesforceApi:
    """One org reached through its My Domain URL with a connected app's client credentials
    (the app's run-as user is the integration user), or with ``jwt`` (a
    ``salesforce_jwt.JwtBearer``: the token is issued for its user) instead of the secret."""

    def __init__(self, my_domain_url, client_id, client_secret=None, api_version=None, jwt=None):
        self.my_domain_url = my_domain_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.jwt = jwt
        self.api_version = api_version or DEFAULT_API_VERSION
        self.session = requests.Session()
        self.instance_url = None

    def _authenticate(self):
        answer = send(
            self.session,
            "Salesforce",
            "POST",
            f"{self.my_domain_url}/services/oauth2/token",
            data=self._token_form(),
        ).json()
        self.session.headers["Authorization"] = f"Bearer {answer['access_token']}"
        self.instance_url = (answer.get("instance_url") or self.my_domain_url).rstrip("/")

    def _token_form(self):
        if self.jwt is not None:
            return self.jwt.token_form(self.client_id)
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def _call(self, method, path, **kwargs):
        if self.instance_url is None:
            self._authenticate()
        try:
            return send(self.session, "Salesforce", method, f"{self.instance_url}{path}", **kwargs)
        except CrmPermanentError as error:
            if error.status != 401:
                raise
        # INVALID_SESSION_ID: the token expired; one new token, one more try.
        self._authenticate()
        return send(self.session, "Salesforce", method, f"{self.instance_url}{path}", **kwargs)

    def _get(self, path, params=None):
        return self._call("GET", path, params=params).json()

    def update_records(self, records, client):
        """``PATCH /composite/sobjects`` of at most 200 ``records`` (each with
        ``attributes.type`` and ``Id``), not all or none: one bad record does not hold back
        the others. ``client`` goes into ``Sforce-Call-Options`` so that the changes we cause
        can be recognised. Returns ``{record id: error message}`` of the records refused."""
        answer = self._call(
            "PATCH",
            f"/services/data/{self.api_version}/composite/sobjects",
            json={"allOrNone": False, "records": records},
            headers={"Sforce-Call-Options": f"client={client}"},
        ).json()
        refused = {}
        for record, result in zip(records, answer, strict=False):
            if not result.get("success"):
                errors = result.get("errors") or [{}]
                refused[record["Id"]] = "; ".join(
                    f"{error.get('message')} ({error.get('statusCode')})" for error in errors
                )
        return refused

    def query(self, soql, deleted=False):
        """Every record ``soql`` selects, following ``nextRecordsUrl``; with ``deleted``, the
        records of the recycle bin too (``queryAll``)."""
        resource = "queryAll" if deleted else "query"
        answer = self._get(f"/services/data/{self.api_version}/{resource}", {"q": soql})
        records = list(answer.get("records", ()))
        while not answer.get("done", True) and answer.get("nextRecordsUrl"):
            answer = self._get(answer["nextRecordsUrl"])
            records.extend(answer.get("records", ()))
        return records

    def opportunity(self, opportunity_id):
        """The ``Deal`` of an opportunity, with its line items and contact roles."""
        record_id = _checked(opportunity_id)
        try:
            records = self.query(opportunity_query(record_id))
        except CrmPermanentError as error:
            if not _is_single_currency_org(error):
                raise
            records = [
                {**record, "CurrencyIsoCode": self.default_currency()}
                for record in self.query(opportunity_query(record_id, multi_currency=False))
            ]
        if not records:
            raise CrmPermanentError(f"Salesforce has no opportunity {opportunity_id}.", 404)
        return deal_from_salesforce(records[0])

    def default_currency(self):
        """The org's currency, that of every record of a single-currency org."""
        [organization] = self.query("SELECT DefaultCurrencyIsoCode FROM Organization")
        return organization["DefaultCurrencyIsoCode"]

    def account(self, account_id, extra_fields=()):
        """The fields of an account (``Name``, ``Website`` and ``extra_fields``)."""
        fields = ", ".join(("Id", "Name", "Website", *extra_fields))
        records = self.query(f"SELECT {fields} FROM Account WHERE Id = '{_checked(account_id)}'")
        if not records:
            raise CrmPermanentError(f"Salesforce has no account {account_id}.", 404)
        return records[0]

    def merged_into(self, sobject, record_ids):
        """``{record id: [ids of the records merged into it]}`` of ``record_ids`` (Accounts
        or Contacts). Salesforce deletes a merged record and keeps the record it was merged
        into as its ``MasterRecordId``, which only ``queryAll`` reads."""
        if not record_ids:
            return {}
        ids = ", ".join(f"'{_checked(record_id)}'" for record_id in record_ids)
        records = self.query(
            f"SELECT Id, MasterRecordId FROM {sobject} WHERE MasterRecordId IN ({ids})",
            deleted=True,
        )
        merged = {}
        for record in records:
            merged.setdefault(record["MasterRecordId"], []).append(record["Id"])
        return merged

    def contacts(self, contact_ids):
        """``{contact id: fields}`` of the contacts ``contact_ids``."""
        if not contact_ids:
            return {}
        ids = ", ".join(f"'{_checked(contact_id)}'" for contact_id in contact_ids)
        records = self.query(
            f"SELECT Id, FirstName, LastName, Email FROM Contact WHERE Id IN ({ids})"
        )
        return {record["Id"]: record for record in records}


def _is_single_currency_org(error):
    # The org refused the query for its CurrencyIsoCode: multiple currencies are not enabled.
    return (
        error.status == 400 and "INVALID_FIELD" in str(error) and "CurrencyIsoCode" in str(error)
    )


def _checked(record_id):
    # Ids go into SOQL text: only a well-formed Salesforce id may.
    if not is_record_id(record_id):
        raise CrmPermanentError(f"{record_id!r} is not a Salesforce record id.")
    return record_id
