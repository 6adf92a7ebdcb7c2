"""A stateful fake Salesforce org for tests, on loopback: the REST API a connector uses and the
outbound messages a record-triggered Flow sends (no public package emulates Salesforce; see
the CRM facts).

- ``POST /services/oauth2/token``: OAuth 2.0 client credentials (``client_id``,
  ``client_secret``) or JWT bearer (an RS256 assertion for a user ``pre_authorize``d with the
  public key of the certificate uploaded to the connected app); a token lives
  ``token_lifetime`` seconds (``expire_tokens()`` ends every token now), after which the API
  answers 401 ``INVALID_SESSION_ID``.
- ``/services/data/vXX.X/sobjects/{type}[/{id}]``: create, read (``fields``), ``PATCH``,
  ``DELETE``; ``PATCH …/sobjects/{type}/{external id field}/{value}``: upsert (201 created,
  200 updated, 300 several matches, 404 with ``updateOnly=true`` and no match).
- ``/services/data/vXX.X/query?q=``: a SOQL subset — fields, parent fields (``Account.Name``),
  child subqueries (``(SELECT … FROM OpportunityLineItems)``), ``WHERE`` with ``AND`` of
  ``= != < <= > >= IN LIKE`` on literals (strings, numbers, booleans, null, dates and
  datetimes), ``ORDER BY``, ``LIMIT``; ``nextRecordsUrl`` paging after ``query_batch_size``.
  ``/queryAll`` also reads the recycle bin: records deleted, and Accounts and Contacts merged
  into another (``user_merge``), which are deleted with ``IsDeleted`` true and their
  ``MasterRecordId``.
- ``POST|PATCH /services/data/vXX.X/composite/sobjects``: at most 200 records, ``allOrNone``.
- Every API call counts against ``api_limit`` (``Sforce-Limit-Info: api-usage=n/m``); past it,
  403 ``REQUEST_LIMIT_EXCEEDED``. Writes record their ``Sforce-Call-Options`` client in
  ``writes``.

Outbound messages: ``outbound_message(url, sobject, fields, when=None)`` sends a SOAP
notification of each created or updated record (for which ``when(record)`` holds) to ``url``,
in the envelope Salesforce uses — the changes of ``batch_delay`` seconds in one message of at
most 100 notifications — with the records' *latest* values at each attempt, until the answer
carries ``<Ack>true</Ack>``. ``user_create``/``user_update`` change records as a user
would, without an API call.

The org is multi-currency (``CurrencyIsoCode`` on Account and Opportunity) unless made with
``multi_currency=False``; ``Organization`` has its ``DefaultCurrencyIsoCode`` either way.

Opportunity stages carry the won/closed flags (``add_stage``): ``IsWon`` and ``IsClosed`` are
derived from ``StageName``, never written.
"""

import base64
import binascii
import itertools
import json
import re
import secrets
import time
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from crm_peer_server import Batcher, Emitter, PeerServer, Response, json_response
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

API_VERSION = "v62.0"
CLIENT_ID = "3MVG9peer.client.id"
CLIENT_SECRET = "peer-client-secret-0123456789"
ORGANIZATION_ID = "00D5g00000PEERsEAA"
USER_ID = "0055g00000PEERuAAA"
COMPOSITE_LIMIT = 200
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6)
"""Salesforce retries an outbound message for 24 h, intervals growing up to 2 h: the same
curve, in seconds."""

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"

# The schema of the peer's org: key prefix, fields (name -> kind), and what is derived.
SCHEMA = {
    "Account": (
        "001",
        {"Name": "string", "Website": "string", "CurrencyIsoCode": "string"},
    ),
    "Contact": (
        "003",
        {"AccountId": "reference", "FirstName": "string", "LastName": "string", "Email": "string"},
    ),
    "Opportunity": (
        "006",
        {
            "Name": "string",
            "StageName": "string",
            "Amount": "number",
            "CurrencyIsoCode": "string",
            "CloseDate": "date",
            "AccountId": "reference",
            "Probability": "number",
            "Description": "string",
            "LeadSource": "string",
        },
    ),
    "Product2": ("01t", {"Name": "string", "ProductCode": "string", "IsActive": "boolean"}),
    "OpportunityLineItem": (
        "00k",
        {
            "OpportunityId": "reference",
            "Product2Id": "reference",
            "Name": "string",
            "ProductCode": "string",
            "Quantity": "number",
            "UnitPrice": "number",
        },
    ),
    "OpportunityContactRole": (
        "00K",
        {"OpportunityId": "reference", "ContactId": "reference", "Role": "string"},
    ),
    "Organization": ("00D", {"Name": "string", "DefaultCurrencyIsoCode": "string"}),
}
MULTI_CURRENCY_FIELDS = {"Account": "CurrencyIsoCode", "Opportunity": "CurrencyIsoCode"}
"""Fields an org has only once multiple currencies are enabled (off by default)."""
SYSTEM_FIELDS = {
    "Id": "id",
    "CreatedDate": "datetime",
    "LastModifiedDate": "datetime",
    "SystemModstamp": "datetime",
    "LastModifiedById": "reference",
}
DERIVED = {
    "Opportunity": {"IsWon": "boolean", "IsClosed": "boolean"},
    "OpportunityLineItem": {"TotalPrice": "number"},
    "Contact": {"Name": "string"},
}
# Records that can be merged: a merged record is deleted, and names the one it was merged
# into (the master record), as only ``queryAll`` shows.
MERGED_FIELDS = {"IsDeleted": "boolean", "MasterRecordId": "reference"}
for _sobject in ("Account", "Contact"):
    DERIVED[_sobject] = {**DERIVED.get(_sobject, {}), **MERGED_FIELDS}
# Parent relationships (Account.Name) and child relationships (OpportunityLineItems).
PARENTS = {
    ("Opportunity", "Account"): ("AccountId", "Account"),
    ("Contact", "Account"): ("AccountId", "Account"),
    ("OpportunityLineItem", "Opportunity"): ("OpportunityId", "Opportunity"),
    ("OpportunityLineItem", "Product2"): ("Product2Id", "Product2"),
    ("OpportunityContactRole", "Contact"): ("ContactId", "Contact"),
}
CHILDREN = {
    ("Opportunity", "OpportunityLineItems"): ("OpportunityLineItem", "OpportunityId"),
    ("Opportunity", "OpportunityContactRoles"): ("OpportunityContactRole", "OpportunityId"),
    ("Account", "Opportunities"): ("Opportunity", "AccountId"),
    ("Account", "Contacts"): ("Contact", "AccountId"),
}
# (stage, probability, closed, won): Salesforce's standard opportunity stages.
STANDARD_STAGES = [
    ("Prospecting", 10, False, False),
    ("Qualification", 10, False, False),
    ("Needs Analysis", 20, False, False),
    ("Value Proposition", 50, False, False),
    ("Id. Decision Makers", 60, False, False),
    ("Perception Analysis", 70, False, False),
    ("Proposal/Price Quote", 75, False, False),
    ("Negotiation/Review", 90, False, False),
    ("Closed Won", 100, True, True),
    ("Closed Lost", 0, True, False),
]
_ID_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def record_id(prefix, number):
    """The 18-character id of the ``number``-th record with key ``prefix`` (``006``)."""
    digits = ""
    for _ in range(10):
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    return id18(f"{prefix}5g{digits}")


def id18(short):
    """The 18-character form of a 15-character id: a suffix encoding which of its characters
    are upper case, computed as Salesforce does."""
    suffix = ""
    for chunk in range(3):
        part = short[chunk * 5 : chunk * 5 + 5]
        suffix += _ID_CHECKSUM[sum(1 << i for i, char in enumerate(part) if "A" <= char <= "Z")]
    return short + suffix


def _stamp():
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


class SalesforceError(Exception):
    def __init__(self, status, code, message, fields=()):
        super().__init__(message)
        self.status, self.code, self.fields = status, code, list(fields)

    def body(self):
        error = {"message": str(self), "errorCode": self.code}
        if self.fields:
            error["fields"] = self.fields
        return [error]


class SalesforcePeer(PeerServer):
    def __init__(
        self,
        *,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        organization_id=ORGANIZATION_ID,
        token_lifetime=7200.0,
        api_limit=100_000,
        query_batch_size=2000,
        retry_delays=RETRY_DELAYS,
        outbound_timeout=5.0,
        batch_delay=0.02,
        currency="USD",
        multi_currency=True,
    ):
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.organization_id = organization_id
        self.token_lifetime = token_lifetime
        self.api_limit = api_limit
        self.api_usage = 0
        self.query_batch_size = query_batch_size
        self.tokens = {}
        self.certificates = {}
        """username -> the public key the JWT bearer assertions of that user must verify with."""
        self.records = {sobject: {} for sobject in SCHEMA}
        self.deleted = {sobject: {} for sobject in SCHEMA}
        """The recycle bin: deleted and merged records, which only ``queryAll`` reads."""
        self.fields = {sobject: dict(fields) for sobject, (_prefix, fields) in SCHEMA.items()}
        if not multi_currency:
            for sobject, name in MULTI_CURRENCY_FIELDS.items():
                del self.fields[sobject][name]
        self.records["Organization"][organization_id] = {
            "Id": organization_id,
            "Name": "Peer Org",
            "DefaultCurrencyIsoCode": currency,
        }
        self.external_ids = {sobject: set() for sobject in SCHEMA}
        self.stages = {name: (p, closed, won) for name, p, closed, won in STANDARD_STAGES}
        self.writes = []
        """``(method, path, Sforce-Call-Options client or None)`` of every API write."""
        self.outbound = []
        self._numbers = itertools.count(1)
        self._cursors = {}
        self._batcher = Batcher(self._send, size=100, delay=batch_delay)
        self.emitter = Emitter(
            accepted=lambda status, headers, body: 200 <= status < 300 and _acknowledged(body),
            retryable=lambda status: True,  # anything but an Ack is retried
            retry_delays=retry_delays,
            timeout=outbound_timeout,
        )

    def stop(self):
        self._batcher.cancel()
        self.emitter.stop()
        super().stop()

    # Setup knobs ---------------------------------------------------------------------------

    def add_field(self, sobject, name, kind="string", external_id=False):
        """A custom field (``Odoo_Id__c``); ``external_id`` makes it usable for upserts."""
        with self.lock:
            self.fields[sobject][name] = kind
            if external_id:
                self.external_ids[sobject].add(name)

    def add_stage(self, name, probability, closed, won):
        with self.lock:
            self.stages[name] = (probability, closed, won)

    def pre_authorize(self, username, public_key):
        """The admin uploads the certificate of ``public_key`` to the connected app and
        pre-authorizes ``username`` for the JWT bearer flow."""
        with self.lock:
            self.certificates[username] = public_key

    def expire_tokens(self):
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0

    def outbound_message(self, url, sobject, fields, when=None):
        """A Flow's outbound message: on each create or update of an ``sobject`` record for
        which ``when(record)`` holds, send its ``fields`` (plus ``Id``) to ``url``."""
        with self.lock:
            action = {
                "id": record_id("04k", next(self._numbers)),
                "url": url,
                "sobject": sobject,
                "fields": list(fields),
                "when": when,
            }
            self.outbound.append(action)
            return action

    def wait_idle(self, timeout=30.0):
        """Send the notifications gathered so far, then wait until every outbound message is
        acknowledged or given up; returns whether that happened within ``timeout`` seconds."""
        self._batcher.flush()
        return self.emitter.wait_idle(timeout)

    def user_create(self, sobject, values):
        """A user creates a record in Salesforce's UI; returns its id."""
        with self.lock:
            return self._create(sobject, values)

    def user_update(self, sobject, id_, values):
        with self.lock:
            self._update(sobject, id_, values)

    def user_merge(self, sobject, master_id, *merged_ids):
        """A user merges ``merged_ids`` into ``master_id`` (Accounts or Contacts): the
        records that pointed to a merged one point to the master, and the merged ones are
        deleted with their ``MasterRecordId``."""
        with self.lock:
            master = self._get(sobject, master_id)["Id"]
            for merged_id in merged_ids:
                merged = self._get(sobject, merged_id)
                for name, records in self.records.items():
                    references = [
                        field for field, kind in self.fields[name].items() if kind == "reference"
                    ]
                    for record in records.values():
                        for field_name in references:
                            if record.get(field_name) == merged["Id"]:
                                record[field_name] = master
                self._delete(sobject, merged["Id"], master=master)

    def record(self, sobject, id_):
        """A record with its derived fields, as the API would show it."""
        with self.lock:
            return self._view(sobject, self._get(sobject, id_))

    # HTTP ----------------------------------------------------------------------------------

    def handle(self, request):
        if request.path == "/services/oauth2/token" and request.method == "POST":
            return self._token(request)
        try:
            self._authenticate(request)
            self.api_usage += 1
            if self.api_usage > self.api_limit:
                raise SalesforceError(
                    403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
                )
            status, payload = self._route(request)
        except SalesforceError as error:
            status, payload = error.status, error.body()
        usage = min(self.api_usage, self.api_limit)
        headers = {"Sforce-Limit-Info": f"api-usage={usage}/{self.api_limit}"}
        if payload is None:
            return Response(status, b"", headers)
        return json_response(status, payload, headers)

    def _token(self, request):
        form = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
        grant = form.get("grant_type", "")
        if grant == JWT_GRANT:
            refusal = self._jwt_refusal(form.get("assertion", ""))
        elif grant == "client_credentials":
            known = (form.get("client_id"), form.get("client_secret")) == (
                self.client_id,
                self.client_secret,
            )
            refusal = None if known else ("invalid_client", "invalid client credentials")
        else:
            refusal = ("unsupported_grant_type", "grant type not supported")
        if refusal:
            return json_response(400, {"error": refusal[0], "error_description": refusal[1]})
        token = f"{self.organization_id[:15]}!{secrets.token_urlsafe(40)}"
        self.tokens[token] = time.monotonic() + self.token_lifetime
        issued = str(int(time.time() * 1000))
        return json_response(
            200,
            {
                "access_token": token,
                "signature": secrets.token_urlsafe(32),
                "scope": "api",
                "instance_url": self.url,
                "id": f"{self.url}/id/{self.organization_id}/{USER_ID}",
                "token_type": "Bearer",
                "issued_at": issued,
            },
        )

    def _jwt_refusal(self, assertion):  # noqa: PLR0911 (one answer per check Salesforce makes)
        """``(error, description)`` as Salesforce words why it refuses a JWT bearer assertion,
        or ``None`` when it is good."""
        try:
            header, claims, signature = (
                _unb64(part) for part in assertion.encode().split(b".", 2)
            )
            header, claims = json.loads(header), json.loads(claims)
        except (ValueError, binascii.Error):
            return ("invalid_grant", "invalid assertion")
        if header.get("alg") != "RS256":
            return ("invalid_grant", "invalid assertion")
        if claims.get("iss") != self.client_id:
            return ("invalid_client_id", "client identifier invalid")
        if claims.get("aud") not in JWT_AUDIENCES:
            return ("invalid_grant", "audience is invalid")
        if not isinstance(claims.get("exp"), int) or not (
            time.time() < claims["exp"] <= time.time() + 300
        ):
            return ("invalid_grant", "expired authorization code")
        public_key = self.certificates.get(claims.get("sub"))
        if public_key is None:
            return ("invalid_grant", "user hasn't approved this consumer")
        signing_input = assertion.rsplit(".", 1)[0].encode()
        try:
            public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return ("invalid_grant", "invalid assertion")
        return None

    def _authenticate(self, request):
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        if token is None or self.tokens.get(token, 0) < time.monotonic():
            raise SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")

    def _route(self, request):  # noqa: PLR0911, PLR0912 (one branch per endpoint)
        prefix = f"/services/data/{API_VERSION}/"
        if not request.path.startswith(prefix):
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        parts = request.path[len(prefix) :].strip("/").split("/")
        method = request.method
        if method != "GET":
            client = None
            for option in request.headers.get("sforce-call-options", "").split(","):
                name, _eq, value = option.strip().partition("=")
                if name == "client":
                    client = value
            self.writes.append((method, request.path, client))
        if parts[0] in ("query", "queryAll") and method == "GET":
            if len(parts) == 2:
                return 200, self._next_page(parts[1])
            return 200, self._query(request.param("q") or "", deleted=parts[0] == "queryAll")
        if parts[:2] == ["composite", "sobjects"] and method in ("POST", "PATCH"):
            return 200, self._composite(method, request.json() or {})
        if parts[0] == "sobjects" and len(parts) >= 2:
            sobject = self._sobject(parts[1])
            if len(parts) == 2 and method == "POST":
                id_ = self._create(sobject, request.json() or {})
                return 201, {"id": id_, "success": True, "errors": []}
            if len(parts) == 3:
                if method == "GET":
                    fields = request.param("fields")
                    return 200, self._view(
                        sobject, self._get(sobject, parts[2]), fields and fields.split(",")
                    )
                if method == "PATCH":
                    self._update(sobject, parts[2], request.json() or {})
                    return 204, None
                if method == "DELETE":
                    self._delete(sobject, self._get(sobject, parts[2])["Id"])
                    return 204, None
            if len(parts) == 4 and method == "PATCH":
                return self._upsert(sobject, parts[2], parts[3], request)
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")

    # Records -------------------------------------------------------------------------------

    def _sobject(self, name):
        if name not in SCHEMA:
            raise SalesforceError(
                404, "NOT_FOUND", f"The requested resource does not exist: {name}"
            )
        return name

    def _get(self, sobject, id_):
        record = self.records[sobject].get(id_) or next(
            (r for key, r in self.records[sobject].items() if key[:15] == id_), None
        )
        if record is None:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        return record

    def _check_fields(self, sobject, values):
        for name in values:
            if name == "attributes":
                continue
            if name in DERIVED.get(sobject, {}) or name in SYSTEM_FIELDS:
                raise SalesforceError(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {name}. Please check the security "
                    "settings of this field and verify that it is read/write for your "
                    "profile or permission set.",
                    [name],
                )
            if name not in self.fields[sobject]:
                raise SalesforceError(
                    400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}"
                )
        stage = values.get("StageName")
        if sobject == "Opportunity" and stage is not None and stage not in self.stages:
            raise SalesforceError(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"Stage: bad value for restricted picklist field: {stage}",
                ["StageName"],
            )

    def _clean(self, sobject, values):
        # Numbers are kept exact, whatever JSON parser the client used.
        return {
            name: Decimal(str(value))
            if value is not None and self.fields[sobject][name] == "number"
            else value
            for name, value in values.items()
            if name != "attributes"
        }

    def _create(self, sobject, values):
        self._check_fields(sobject, values)
        prefix = SCHEMA[sobject][0]
        id_ = record_id(prefix, next(self._numbers))
        stamp = _stamp()
        record = {
            "Id": id_,
            **self._clean(sobject, values),
            "CreatedDate": stamp,
            "LastModifiedDate": stamp,
            "SystemModstamp": stamp,
            "LastModifiedById": USER_ID,
        }
        if sobject == "Opportunity" and "Probability" not in values and values.get("StageName"):
            record["Probability"] = Decimal(self.stages[values["StageName"]][0])
        self.records[sobject][id_] = record
        self._notify(sobject, record)
        return id_

    def _update(self, sobject, id_, values):
        record = self._get(sobject, id_)
        self._check_fields(sobject, values)
        record.update(self._clean(sobject, values))
        stamp = _stamp()
        record["LastModifiedDate"] = record["SystemModstamp"] = stamp
        self._notify(sobject, record)

    def _delete(self, sobject, id_, master=None):
        record = self.records[sobject].pop(id_)
        if sobject in ("Account", "Contact"):
            record.update(IsDeleted=True, MasterRecordId=master)
        self.deleted[sobject][id_] = record

    def _upsert(self, sobject, field, value, request):
        if field not in self.external_ids[sobject] and field != "Id":
            raise SalesforceError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {field}",
            )
        values = request.json() or {}
        if field in values and values[field] != value:
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"The external ID field {field} in the body does not match the URL",
            )
        matches = [r for r in self.records[sobject].values() if str(r.get(field)) == value]
        if len(matches) > 1:
            urls = [f"/services/data/{API_VERSION}/sobjects/{sobject}/{r['Id']}" for r in matches]
            return 300, urls
        if matches:
            self._update(sobject, matches[0]["Id"], values)
            return 200, {"id": matches[0]["Id"], "success": True, "errors": [], "created": False}
        if request.param("updateOnly") == "true":
            raise SalesforceError(
                404, "NOT_FOUND", f"Provided external ID field value does not exist: {value}"
            )
        id_ = self._create(sobject, {**values, field: value})
        return 201, {"id": id_, "success": True, "errors": [], "created": True}

    def _composite(self, method, payload):
        records = payload.get("records") or []
        if len(records) > COMPOSITE_LIMIT:
            raise SalesforceError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {COMPOSITE_LIMIT} records "
                "into this call",
            )
        all_or_none = bool(payload.get("allOrNone"))
        snapshot = {s: {i: dict(r) for i, r in recs.items()} for s, recs in self.records.items()}
        results, failed = [], False
        for item in records:
            sobject = (item.get("attributes") or {}).get("type")
            values = {k: v for k, v in item.items() if k not in ("attributes", "Id")}
            try:
                sobject = self._sobject(sobject or "")
                if method == "POST":
                    id_ = self._create(sobject, values)
                else:
                    id_ = item.get("Id") or ""
                    self._update(sobject, id_, values)
                results.append({"id": id_, "success": True, "errors": []})
            except SalesforceError as error:
                failed = True
                results.append(
                    {
                        "success": False,
                        "errors": [
                            {
                                "statusCode": error.code,
                                "message": str(error),
                                "fields": error.fields,
                            }
                        ],
                    }
                )
        if failed and all_or_none:
            self.records = snapshot
            return [
                result
                if not result["success"]
                else {
                    "success": False,
                    "errors": [
                        {
                            "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                            "message": "Record rolled back because not all records were "
                            "valid and the request was using AllOrNone header",
                            "fields": [],
                        }
                    ],
                }
                for result in results
            ]
        return results

    def _view(self, sobject, record, fields=None):
        """The record as the API returns it: with ``attributes`` and derived fields."""
        derived = dict(record)
        if sobject == "Opportunity":
            _probability, closed, won = self.stages.get(record.get("StageName"), (0, False, False))
            derived["IsWon"], derived["IsClosed"] = won, closed
        elif sobject == "OpportunityLineItem":
            quantity, price = record.get("Quantity"), record.get("UnitPrice")
            derived["TotalPrice"] = None if quantity is None or price is None else quantity * price
        elif sobject == "Contact":
            derived["Name"] = " ".join(
                filter(None, (record.get("FirstName"), record.get("LastName")))
            )
        if "IsDeleted" in DERIVED.get(sobject, {}):
            derived.setdefault("IsDeleted", False)
        names = fields or ["Id", *self.fields[sobject], *DERIVED.get(sobject, {}), *SYSTEM_FIELDS]
        return {
            "attributes": self._attributes(sobject, record["Id"]),
            **{name: derived.get(name) for name in dict.fromkeys(names)},
        }

    def _attributes(self, sobject, id_):
        return {"type": sobject, "url": f"/services/data/{API_VERSION}/sobjects/{sobject}/{id_}"}

    # SOQL ----------------------------------------------------------------------------------

    def _query(self, text, deleted=False):
        query = Soql(text).parse(self)
        rows = self._select(query, deleted=deleted)
        return self._page(query["from"], rows, query, 0)

    def _page(self, sobject, rows, query, start):
        page = rows[start : start + self.query_batch_size]
        answer = {
            "totalSize": len(rows),
            "done": start + len(page) >= len(rows),
            "records": [self._shape(sobject, row, query) for row in page],
        }
        if not answer["done"]:
            locator = f"01g5g00000PEER{next(self._numbers)}-{start + len(page)}"
            self._cursors[locator] = (sobject, rows, query, start + len(page))
            answer["nextRecordsUrl"] = f"/services/data/{API_VERSION}/query/{locator}"
        return answer

    def _next_page(self, locator):
        if locator not in self._cursors:
            raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(*self._cursors.pop(locator))

    def _select(self, query, parent=(), deleted=False):
        """The rows of ``query``; ``parent`` adds a condition (a subquery's link to its row),
        ``deleted`` the records of the recycle bin (``queryAll``)."""
        sobject = query["from"]
        conditions = [*query["where"], *parent]
        records = [*self.records[sobject].values()]
        if deleted:
            records += self.deleted[sobject].values()
        rows = [
            self._view(sobject, record)
            for record in records
            if all(self._holds(sobject, record, condition) for condition in conditions)
        ]
        for name, descending in reversed(query["order"]):
            rows.sort(key=lambda row, name=name: _sort_key(row.get(name)), reverse=descending)
        if query["limit"] is not None:
            rows = rows[: query["limit"]]
        return rows

    def _holds(self, sobject, record, condition):
        name, operator, literal = condition
        value = self._view(sobject, record).get(name)
        if operator in ("IN", "NOT IN"):
            return (value in literal) == (operator == "IN")
        if operator in ("=", "!="):
            return (value == literal) == (operator == "=")
        if value is None or literal is None:
            return False
        if operator == "LIKE":
            pattern = re.escape(literal).replace("%", ".*").replace("_", ".")
            return re.fullmatch(pattern, str(value), re.IGNORECASE) is not None
        key, other = _sort_key(value), _sort_key(literal)
        comparisons = {"<": key < other, "<=": key <= other, ">": key > other, ">=": key >= other}
        return comparisons[operator]

    def _shape(self, sobject, row, query):
        shaped = {"attributes": row["attributes"]}
        for item in query["fields"]:
            if item[0] == "field":
                shaped[item[1]] = row.get(item[1])
            elif item[0] == "parent":
                _kind, relationship, names = item
                reference, parent_type = PARENTS[(sobject, relationship)]
                parent_id = row.get(reference)
                if parent_id is None or parent_id not in self.records[parent_type]:
                    shaped[relationship] = None
                    continue
                parent = self._view(parent_type, self.records[parent_type][parent_id])
                # Several fields of one parent fill one nested object.
                nested = shaped.get(relationship) or {"attributes": parent["attributes"]}
                nested.update({name: parent.get(name) for name in names})
                shaped[relationship] = nested
            else:
                _kind, relationship, subquery = item
                child_type, reference = CHILDREN[(sobject, relationship)]
                children = self._select(subquery, [(reference, "=", row["Id"])])
                shaped[relationship] = (
                    {
                        "totalSize": len(children),
                        "done": True,
                        "records": [
                            self._shape(child_type, child, subquery) for child in children
                        ],
                    }
                    if children
                    else None
                )
        return shaped

    # Outbound messages ---------------------------------------------------------------------

    def _notify(self, sobject, record):
        for action in self.outbound:
            if action["sobject"] != sobject:
                continue
            if action["when"] is not None and not action["when"](self._view(sobject, record)):
                continue
            notification_id = record_id("04l", next(self._numbers))
            self._batcher.add(action["id"], (notification_id, record["Id"]))

    def _send(self, action_id, notifications):
        action = next(a for a in self.outbound if a["id"] == action_id)
        self.emitter.deliver(action["url"], self._envelope(action, notifications))

    def _envelope(self, action, notifications):
        sobject = action["sobject"]
        names = ["Id", *sorted(set(action["fields"]) - {"Id"})]
        base = f"{self.url}/services/Soap"
        org = self.organization_id[:15]
        version = API_VERSION[1:]

        def notification(notification_id, id_):
            record = self._view(sobject, self.records[sobject].get(id_) or {"Id": id_})
            fields = "".join(
                f"<sf:{name}>{escape(_soap_value(record[name]))}</sf:{name}>"
                for name in names
                if record.get(name) is not None
            )
            return (
                f"<Notification><Id>{notification_id}</Id>"
                f'<sObject xsi:type="sf:{sobject}" '
                'xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
                f"{fields}</sObject></Notification>"
            )

        def build(_attempt):
            # Each retry carries the records' latest values, as Salesforce's do.
            with self.lock:
                body = "".join(notification(*item) for item in notifications)
            envelope = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
                'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                "<soapenv:Body>"
                f'<notifications xmlns="{OUTBOUND_NS}">'
                f"<OrganizationId>{self.organization_id}</OrganizationId>"
                f"<ActionId>{action['id']}</ActionId>"
                '<SessionId xsi:nil="true"/>'
                f"<EnterpriseUrl>{base}/c/{version}/{org}</EnterpriseUrl>"
                f"<PartnerUrl>{base}/u/{version}/{org}</PartnerUrl>"
                f"{body}</notifications></soapenv:Body></soapenv:Envelope>"
            )
            return envelope.encode(), {
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": '""',
                "User-Agent": "Salesforce - not Mozilla",
            }

        return build


def _acknowledged(body):
    """Whether Salesforce would take ``body`` as an acknowledgement: a SOAP envelope whose
    body holds an outbound ``notificationsResponse`` with ``Ack`` true."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return False
    ack = root.find(
        "{http://schemas.xmlsoap.org/soap/envelope/}Body"
        f"/{{{OUTBOUND_NS}}}notificationsResponse/{{{OUTBOUND_NS}}}Ack"
    )
    return (
        root.tag == "{http://schemas.xmlsoap.org/soap/envelope/}Envelope"
        and ack is not None
        and (ack.text or "").strip() == "true"
    )


def _soap_value(value):
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Decimal):
        # Salesforce writes numbers as doubles: 120000.0
        return repr(float(value))
    return str(value)


def _sort_key(value):
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float, Decimal)):
        return (1, Decimal(str(value)))
    return (2, str(value))


class SoqlError(SalesforceError):
    def __init__(self, message, code="MALFORMED_QUERY"):
        super().__init__(400, code, message)


_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<op><=|>=|!=|=|<|>|\(|\)|,)"
    r"|(?P<datetime>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2}))"
    r"|(?P<date>\d{4}-\d{2}-\d{2})|(?P<number>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_][\w.]*))"
)


class Soql:
    """A parser for the SOQL subset the module docstring lists; unknown fields and
    relationships are errors, as in Salesforce."""

    def __init__(self, text):
        self.text = text
        self.tokens = []
        position = 0
        while position < len(text):
            if text[position:].strip() == "":
                break
            match = _TOKEN.match(text, position)
            if not match:
                raise SoqlError(
                    f"unexpected token at {position}: {text[position : position + 20]!r}"
                )
            kind = match.lastgroup
            self.tokens.append((kind, match[kind]))
            position = match.end()
        self.position = 0

    def parse(self, peer):
        query = self._select(peer)
        if self.position != len(self.tokens):
            raise SoqlError(f"unexpected token: {self.tokens[self.position][1]}")
        return query

    def _peek(self, upper=True):
        if self.position >= len(self.tokens):
            return None
        kind, value = self.tokens[self.position]
        return value.upper() if upper and kind == "word" else value

    def _take(self, expected=None):
        if self.position >= len(self.tokens):
            raise SoqlError("unexpected end of query")
        kind, value = self.tokens[self.position]
        if expected is not None and (value.upper() if kind == "word" else value) != expected:
            raise SoqlError(f"expected {expected}, found {value}")
        self.position += 1
        return kind, value

    def _select(self, peer):
        self._take("SELECT")
        items = []
        while True:
            if self._peek() == "(":
                self._take("(")
                start, depth = self.position, 1
                while depth:
                    _kind, value = self._take()
                    depth += {"(": 1, ")": -1}.get(value, 0)
                items.append(("subquery", self.tokens[start : self.position - 1]))
            else:
                kind, value = self._take()
                if kind != "word":
                    raise SoqlError(f"expected a field, found {value}")
                items.append(("name", value))
            if self._peek() != ",":
                break
            self._take(",")
        self._take("FROM")
        sobject = self._sobject(self._take()[1])
        fields = [self._item(peer, sobject, item) for item in items]
        where = self._where(peer, sobject)
        order = self._order(peer, sobject)
        limit = None
        if self._peek() == "LIMIT":
            self._take()
            kind, value = self._take()
            if kind != "number":
                raise SoqlError("LIMIT needs a number")
            limit = int(value)
        return {"from": sobject, "fields": fields, "where": where, "order": order, "limit": limit}

    def _where(self, peer, sobject):
        where = []
        if self._peek() == "WHERE":
            self._take()
            where.append(self._condition(peer, sobject))
            while self._peek() == "AND":
                self._take()
                where.append(self._condition(peer, sobject))
            if self._peek() == "OR":
                raise SoqlError("OR is not supported by this peer")
        return where

    def _order(self, peer, sobject):
        order = []
        if self._peek() == "ORDER":
            self._take()
            self._take("BY")
            while True:
                name = self._field(peer, sobject, self._take()[1])
                descending = False
                if self._peek() in ("ASC", "DESC"):
                    descending = self._take()[1].upper() == "DESC"
                order.append((name, descending))
                if self._peek() != ",":
                    break
                self._take(",")
        return order

    def _item(self, peer, sobject, item):
        kind, value = item
        if kind == "subquery":
            sub = Soql("")
            sub.tokens = value
            # The child relationship stands where a subquery's sObject would.
            relationship_index = (
                next(i for i, (k, v) in enumerate(value) if k == "word" and v.upper() == "FROM")
                + 1
            )
            relationship = value[relationship_index][1]
            key = next(
                (k for k in CHILDREN if k[0] == sobject and k[1].lower() == relationship.lower()),
                None,
            )
            if key is None:
                raise SoqlError(
                    f"Didn't understand relationship '{relationship}' in FROM part of query call.",
                    "INVALID_TYPE",
                )
            child_type = CHILDREN[key][0]
            sub.tokens = [
                *value[:relationship_index],
                ("word", child_type),
                *value[relationship_index + 1 :],
            ]
            return ("children", key[1], sub.parse(peer))
        if "." in value:
            relationship, _dot, name = value.partition(".")
            key = next(
                (k for k in PARENTS if k[0] == sobject and k[1].lower() == relationship.lower()),
                None,
            )
            if key is None:
                raise SoqlError(
                    f"Didn't understand relationship '{relationship}' in field path.",
                    "INVALID_FIELD",
                )
            return ("parent", key[1], [self._field(peer, PARENTS[key][1], name)])
        return ("field", self._field(peer, sobject, value))

    def _sobject(self, value):
        for name in SCHEMA:
            if name.lower() == value.lower():
                return name
        raise SoqlError(f"sObject type '{value}' is not supported.", "INVALID_TYPE")

    def _field(self, peer, sobject, value):
        for name in ["Id", *peer.fields[sobject], *DERIVED.get(sobject, {}), *SYSTEM_FIELDS]:
            if name.lower() == value.lower():
                return name
        raise SoqlError(f"No such column '{value}' on entity '{sobject}'.", "INVALID_FIELD")

    def _condition(self, peer, sobject):
        name = self._field(peer, sobject, self._take()[1])
        operator = self._peek()
        if operator == "NOT":
            self._take()
            self._take("IN")
            operator = "NOT IN"
        elif operator in ("IN", "LIKE", "=", "!=", "<", "<=", ">", ">="):
            self._take()
        else:
            raise SoqlError(f"unexpected operator {operator}")
        if operator in ("IN", "NOT IN"):
            self._take("(")
            values = [self._literal()]
            while self._peek() == ",":
                self._take(",")
                values.append(self._literal())
            self._take(")")
            return (name, operator, values)
        return (name, operator, self._literal())

    def _literal(self):
        kind, value = self._take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", value[1:-1])
        if kind == "number":
            return Decimal(value)
        if kind == "date":
            return date.fromisoformat(value).isoformat()
        if kind == "datetime":
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
            return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
        if kind == "word" and value.upper() in ("TRUE", "FALSE"):
            return value.upper() == "TRUE"
        if kind == "word" and value.upper() == "NULL":
            return None
        raise SoqlError(f"unexpected literal {value}")


def _unb64(part):
    return base64.urlsafe_b64decode(part + b"=" * (-len(part) % 4))
