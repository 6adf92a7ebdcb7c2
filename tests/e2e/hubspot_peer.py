"""A stateful fake HubSpot for tests, on loopback: the CRM v3/v4 REST API a connector uses
and the app webhooks HubSpot sends (no public package emulates HubSpot; see the CRM facts).

API (``Authorization: Bearer <private app token>``, else 401):

- ``/crm/v3/objects/{deals,companies,contacts,line_items}``: create, read (``properties``,
  ``associations``), list (``limit``/``after``), ``PATCH`` update, ``DELETE`` (archive);
  ``batch/read``, ``batch/update``, ``batch/upsert`` (``idProperty`` on a unique property), at
  most 100 inputs; ``search`` (filter groups with EQ/NEQ/GT/GTE/LT/LTE/IN/NOT_IN/HAS_PROPERTY/
  NOT_HAS_PROPERTY, sorts, ``after`` paging, at most 200 a page and 10,000 results);
- ``/crm/v3/properties/{type}``: list, read, create (409 when it exists); writing a property
  that does not exist or is read-only (``hs_is_closed_won``) is a 400 VALIDATION_ERROR;
- ``/crm/v3/pipelines/deals``: pipelines with stage metadata (``isClosed``, ``probability``,
  as text); a deal's ``dealstage`` must belong to its pipeline, and ``hs_is_closed_won`` is
  computed from it;
- ``/crm/v4/objects/{from}/{id}/associations/{to}`` (list), ``PUT …/associations/default/{to}/
  {toId}`` and ``PUT …/associations/{to}/{toId}`` (labelled), ``DELETE``, and
  ``POST /crm/v4/associations/{from}/{to}/batch/read``.

Limits (``429`` with HubSpot's body and ``X-HubSpot-RateLimit-*`` headers): ``rate_limit``
requests per ``rate_window`` seconds (policy ``SECONDLY``), ``search_rate_limit`` searches per
``search_rate_window`` seconds, and ``daily_limit`` requests until ``reset_daily()`` (policy
``DAILY``).

Webhooks: ``subscribe(url, *subscription_types)`` makes every change (through the API, or by a
user through ``crm_create``/``crm_update``/``crm_delete``) an event POSTed to ``url`` — the
events of ``batch_delay`` seconds in batches of at most 100 — signed
``X-HubSpot-Signature-v3`` with ``client_secret`` and sent again until a 2xx (4xx other than
429 are not retried); ``emit(events)`` sends exactly the events given. ``wait_idle()`` sends
what is gathered and waits for the deliveries; ``emitter.deliveries`` records every attempt.
"""

import base64
import datetime
import hmac
import itertools
import json
import time
import uuid
from decimal import Decimal
from hashlib import sha256

from crm_peer_server import Batcher, Emitter, PeerServer, Response, json_response

TOKEN = "pat-na1-00000000-1111-2222-3333-444444444444"
CLIENT_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
APP_ID = 177698
PORTAL_ID = 4737818

OBJECT_TYPES = ("deals", "companies", "contacts", "line_items")
# Singular names of webhook subscription types and association labels.
SINGULAR = {
    "deals": "deal",
    "companies": "company",
    "contacts": "contact",
    "line_items": "line_item",
}
BATCH_LIMIT = 100
SEARCH_PAGE_LIMIT = 200
SEARCH_RESULT_LIMIT = 10_000

# HubSpot-defined association type ids (v4) and their v3 names.
ASSOCIATION_TYPES = {
    ("deals", "companies"): (341, "deal_to_company_unlabeled"),
    ("companies", "deals"): (342, "company_to_deal_unlabeled"),
    ("deals", "contacts"): (3, "deal_to_contact"),
    ("contacts", "deals"): (4, "contact_to_deal"),
    ("deals", "line_items"): (19, "deal_to_line_item"),
    ("line_items", "deals"): (20, "line_item_to_deal"),
    ("contacts", "companies"): (279, "contact_to_company_unlabeled"),
    ("companies", "contacts"): (280, "company_to_contact_unlabeled"),
}
PRIMARY_TYPES = {
    ("deals", "companies"): (5, "deal_to_company"),
    ("companies", "deals"): (6, "company_to_deal"),
}

# (name, type, read only, unique): the properties each object type starts with.
BUILTIN_PROPERTIES = {
    "deals": [
        ("dealname", "string", False, False),
        ("dealstage", "enumeration", False, False),
        ("pipeline", "enumeration", False, False),
        ("amount", "number", False, False),
        ("closedate", "datetime", False, False),
        ("deal_currency_code", "enumeration", False, False),
        ("hs_is_closed_won", "bool", True, False),
    ],
    "companies": [("name", "string", False, False), ("domain", "string", False, False)],
    "contacts": [
        ("email", "string", False, True),
        ("firstname", "string", False, False),
        ("lastname", "string", False, False),
    ],
    "line_items": [
        ("name", "string", False, False),
        ("quantity", "number", False, False),
        ("price", "number", False, False),
        ("hs_product_id", "string", False, False),
        ("hs_sku", "string", False, False),
    ],
}
COMMON_PROPERTIES = [
    ("hs_object_id", "number", True, True),
    ("createdate", "datetime", True, False),
    ("hs_lastmodifieddate", "datetime", True, False),
]
DEFAULT_READ = {
    "deals": ["amount", "closedate", "createdate", "dealname", "dealstage", "pipeline"],
    "companies": ["createdate", "domain", "name"],
    "contacts": ["createdate", "email", "firstname", "lastname"],
    "line_items": ["createdate", "name", "price", "quantity"],
}
DEFAULT_STAGES = [
    ("appointmentscheduled", "Appointment Scheduled", False, "0.2"),
    ("qualifiedtobuy", "Qualified To Buy", False, "0.4"),
    ("presentationscheduled", "Presentation Scheduled", False, "0.6"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", False, "0.8"),
    ("contractsent", "Contract Sent", False, "0.9"),
    ("closedwon", "Closed Won", True, "1.0"),
    ("closedlost", "Closed Lost", True, "0.0"),
]
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6)
"""HubSpot retries a webhook up to 10 times over about 24 h: the same curve, in seconds."""


def iso(moment_ms):
    stamp = datetime.datetime.fromtimestamp(moment_ms / 1000, datetime.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment_ms % 1000:03d}Z"


def _text(value):
    if value is None:
        return None
    return str(value).lower() if isinstance(value, bool) else str(value)


def now_ms():
    return int(time.time() * 1000)


def sign_v3(secret, method, uri, body, timestamp_ms):
    """HubSpot's v3 signature, written here from HubSpot's documentation rather than taken
    from the connector, so that the peer checks the connector instead of agreeing with it."""
    message = f"{method}{uri}".encode() + body + str(timestamp_ms).encode()
    return base64.b64encode(hmac.new(secret.encode(), message, sha256).digest()).decode()


class HubSpotError(Exception):
    def __init__(self, status, category, message, **extra):
        super().__init__(message)
        self.status, self.category, self.extra = status, category, extra


class HubSpotPeer(PeerServer):
    def __init__(
        self,
        *,
        token=TOKEN,
        client_secret=CLIENT_SECRET,
        app_id=APP_ID,
        portal_id=PORTAL_ID,
        rate_limit=100,
        rate_window=10.0,
        search_rate_limit=5,
        search_rate_window=1.0,
        daily_limit=250_000,
        retry_delays=RETRY_DELAYS,
        webhook_timeout=5.0,
        batch_delay=0.02,
    ):
        super().__init__()
        self.token = token
        self.client_secret = client_secret
        self.app_id = app_id
        self.portal_id = portal_id
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.search_rate_limit = search_rate_limit
        self.search_rate_window = search_rate_window
        self.daily_limit = daily_limit
        self.daily_used = 0
        self._recent = []
        self._recent_searches = []
        # Ids are unique per object type only: every type counts from the same number.
        self._ids = {object_type: itertools.count(1001) for object_type in OBJECT_TYPES}
        self.objects = {object_type: {} for object_type in OBJECT_TYPES}
        # (from type, from id, to type) -> {to id: [type ids]}
        self.associations = {}
        self.properties = {
            object_type: {
                name: self._property(object_type, name, kind, read_only=read_only, unique=unique)
                for name, kind, read_only, unique in BUILTIN_PROPERTIES[object_type]
                + COMMON_PROPERTIES
            }
            for object_type in OBJECT_TYPES
        }
        self.pipelines = {}
        self.add_pipeline("default", "Sales Pipeline", DEFAULT_STAGES)
        self.webhook_url = None
        self.subscriptions = {}
        self._event_ids = {}
        self._batcher = Batcher(self._deliver, size=BATCH_LIMIT, delay=batch_delay)
        self.emitter = Emitter(
            accepted=lambda status, headers, body: 200 <= status < 300,
            # 4xx are not retried, but 429 is (honouring Retry-After); 5xx and timeouts are.
            retryable=lambda status: status == 429 or status >= 500,
            retry_delays=retry_delays,
            timeout=webhook_timeout,
        )

    def stop(self):
        self._batcher.cancel()
        self.emitter.stop()
        super().stop()

    # Setup knobs ---------------------------------------------------------------------------

    def add_pipeline(self, pipeline_id, label, stages):
        """``stages``: ``(id, label, is closed, probability as text)`` in display order."""
        with self.lock:
            self.pipelines[pipeline_id] = {
                "id": pipeline_id,
                "label": label,
                "displayOrder": len(self.pipelines),
                "archived": False,
                "stages": [
                    {
                        "id": stage_id,
                        "label": stage_label,
                        "displayOrder": order,
                        "metadata": {"isClosed": str(closed).lower(), "probability": probability},
                        "archived": False,
                    }
                    for order, (stage_id, stage_label, closed, probability) in enumerate(stages)
                ],
            }

    def reset_daily(self):
        with self.lock:
            self.daily_used = 0

    def subscribe(self, url, *subscription_types):
        """Send events of ``subscription_types`` (``deal.creation``, ``deal.propertyChange``,
        ``deal.deletion``, …; a ``propertyChange`` may name one property:
        ``deal.propertyChange:dealstage``) to ``url``. Each type gets its subscription id."""
        with self.lock:
            self.webhook_url = url
            for subscription in subscription_types:
                self.subscriptions.setdefault(subscription, 25_000 + len(self.subscriptions))

    def emit(self, events, url=None):
        """POST exactly ``events`` (a list of dicts) as one batch, signed, until accepted."""
        return self._deliver(url or self.webhook_url, list(events))

    def wait_idle(self, timeout=30.0):
        """Send the events batched so far, then wait until every delivery is accepted or
        given up; returns whether that happened within ``timeout`` seconds."""
        self._batcher.flush()
        return self.emitter.wait_idle(timeout)

    def crm_create(self, object_type, properties, associations=()):
        """A user creates a record in HubSpot (``changeSource`` CRM). ``associations``:
        ``(to type, to id)`` or ``(to type, to id, primary)``; returns the object."""
        with self.lock:
            record = self._create(object_type, properties, source=("CRM", "userId:1"))
            for to_type, to_id, *primary in associations:
                self._associate(object_type, record["id"], to_type, to_id, primary=any(primary))
            return self._render(object_type, record, list(record["properties"]))

    def crm_update(self, object_type, object_id, properties):
        """A user edits a record in HubSpot (``changeSource`` CRM)."""
        with self.lock:
            return self._update(object_type, object_id, properties, source=("CRM", "userId:1"))

    def crm_delete(self, object_type, object_id):
        with self.lock:
            self._archive(object_type, object_id, source=("CRM", "userId:1"))

    # HTTP ----------------------------------------------------------------------------------

    def handle(self, request):
        try:
            if request.headers.get("authorization") != f"Bearer {self.token}":
                raise HubSpotError(
                    401,
                    "INVALID_AUTHENTICATION",
                    "Authentication credentials not found. This API supports OAuth 2.0 "
                    "authentication and you can find more details at "
                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                )
            self._count(request)
            status, payload = self._route(request)
        except HubSpotError as error:
            status, payload = error.status, self._error(error)
        if payload is None:
            return Response(status, b"", self._limit_headers())
        return json_response(status, payload, self._limit_headers())

    def _error(self, error):
        body = {
            "status": "error",
            "message": str(error),
            "correlationId": str(uuid.uuid4()),
            **error.extra,
        }
        if error.category:
            body["category"] = error.category
        return body

    def _limit_headers(self):
        return {
            "X-HubSpot-RateLimit-Daily": self.daily_limit,
            "X-HubSpot-RateLimit-Daily-Remaining": max(self.daily_limit - self.daily_used, 0),
            "X-HubSpot-RateLimit-Interval-Milliseconds": int(self.rate_window * 1000),
            "X-HubSpot-RateLimit-Max": self.rate_limit,
            "X-HubSpot-RateLimit-Remaining": max(self.rate_limit - len(self._recent), 0),
        }

    def _count(self, request):
        moment = time.monotonic()
        self._recent = [t for t in self._recent if moment - t < self.rate_window]
        if self.daily_used >= self.daily_limit:
            raise self._rate_limited("DAILY", "You have reached your daily limit.")
        if len(self._recent) >= self.rate_limit:
            raise self._rate_limited("SECONDLY", "You have reached your secondly limit.")
        if request.path.endswith("/search"):
            self._recent_searches = [
                t for t in self._recent_searches if moment - t < self.search_rate_window
            ]
            if len(self._recent_searches) >= self.search_rate_limit:
                raise self._rate_limited("SECONDLY", "You have reached your secondly limit.")
            self._recent_searches.append(moment)
        self._recent.append(moment)
        self.daily_used += 1

    def _rate_limited(self, policy, message):
        return HubSpotError(
            429, None, message, errorType="RATE_LIMIT", policyName=policy, groupName="api"
        )

    def _route(self, request):  # noqa: PLR0911, PLR0912 (one branch per endpoint)
        parts = request.path.strip("/").split("/")
        method = request.method
        if parts[:3] == ["crm", "v3", "objects"] and len(parts) >= 4:
            object_type = self._object_type(parts[3])
            rest = parts[4:]
            if not rest:
                if method == "GET":
                    return 200, self._list(object_type, request)
                if method == "POST":
                    return 201, self._api_create(object_type, request.json())
            elif rest == ["search"] and method == "POST":
                return 200, self._search(object_type, request.json())
            elif len(rest) == 2 and rest[0] == "batch" and method == "POST":
                return self._batch(object_type, rest[1], request.json())
            elif len(rest) == 1:
                object_id = self._resolve_id(object_type, rest[0], request.param("idProperty"))
                if method == "GET":
                    return 200, self._read(object_type, object_id, request)
                if method == "PATCH":
                    properties = (request.json() or {}).get("properties") or {}
                    return 200, self._update(object_type, object_id, properties)
                if method == "DELETE":
                    self._archive(object_type, object_id)
                    return 204, None
        elif parts[:3] == ["crm", "v3", "properties"] and len(parts) in (4, 5):
            object_type = self._object_type(parts[3])
            if len(parts) == 4 and method == "GET":
                return 200, {"results": list(self.properties[object_type].values())}
            if len(parts) == 4 and method == "POST":
                return 201, self._create_property(object_type, request.json() or {})
            if len(parts) == 5 and method == "GET":
                if parts[4] not in self.properties[object_type]:
                    raise HubSpotError(
                        404, "OBJECT_NOT_FOUND", f"Unable to find property {parts[4]}"
                    )
                return 200, self.properties[object_type][parts[4]]
        elif parts[:4] == ["crm", "v3", "pipelines", "deals"] and method == "GET":
            if len(parts) == 4:
                return 200, {"results": list(self.pipelines.values())}
            if len(parts) == 5 and parts[4] in self.pipelines:
                return 200, self.pipelines[parts[4]]
            raise HubSpotError(404, "OBJECT_NOT_FOUND", "Pipeline not found")
        elif parts[:3] == ["crm", "v4", "objects"] and len(parts) >= 7:
            return self._associations_v4(request, parts)
        elif parts[:3] == ["crm", "v4", "associations"] and parts[5:] == ["batch", "read"]:
            return 200, self._associations_batch_read(parts[3], parts[4], request.json())
        raise HubSpotError(404, None, f"No route for {method} {request.path}")

    # Objects -------------------------------------------------------------------------------

    def _object_type(self, name):
        if name not in OBJECT_TYPES:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"Unable to infer object type from: {name}"
            )
        return name

    def _property(self, object_type, name, kind, *, read_only=False, unique=False, label=None):
        return {
            "name": name,
            "label": label or name,
            "type": kind,
            "fieldType": {"bool": "booleancheckbox", "number": "number"}.get(kind, "text"),
            "groupName": f"{SINGULAR[object_type]}information",
            "hasUniqueValue": unique,
            "modificationMetadata": {"readOnlyValue": read_only, "archivable": True},
        }

    def _create_property(self, object_type, definition):
        name = definition.get("name")
        if not name or not definition.get("type"):
            raise HubSpotError(400, "VALIDATION_ERROR", "name and type are required")
        if name in self.properties[object_type]:
            raise HubSpotError(
                409, "OBJECT_ALREADY_EXISTS", f"Property named '{name}' already exists."
            )
        created = self._property(
            object_type,
            name,
            definition["type"],
            unique=bool(definition.get("hasUniqueValue")),
            label=definition.get("label"),
        )
        self.properties[object_type][name] = created
        return created

    def _check_writable(self, object_type, properties):
        problems = []
        for name in properties:
            definition = self.properties[object_type].get(name)
            if definition is None:
                problems.append(
                    {
                        "isValid": False,
                        "message": f'Property "{name}" does not exist',
                        "error": "PROPERTY_DOESNT_EXIST",
                        "name": name,
                    }
                )
            elif definition["modificationMetadata"]["readOnlyValue"]:
                problems.append(
                    {
                        "isValid": False,
                        "message": f'"{name}" is a read only property; its value cannot be set.',
                        "error": "READ_ONLY_VALUE",
                        "name": name,
                    }
                )
        if problems:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"Property values were not valid: {json.dumps(problems)}"
            )

    def _text_values(self, object_type, properties):
        # HubSpot keeps and returns every property value as text.
        return {name: _text(value) for name, value in properties.items()}

    def _check_stage(self, record_properties):
        pipeline = self.pipelines.get(record_properties.get("pipeline") or "default")
        stage = record_properties.get("dealstage")
        if stage is not None and (
            pipeline is None or stage not in {s["id"] for s in pipeline["stages"]}
        ):
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                f"Property values were not valid: dealstage {stage!r} is not a stage of the "
                f"pipeline {record_properties.get('pipeline')!r}",
            )

    def _check_unique(self, object_type, object_id, properties):
        for name, value in properties.items():
            definition = self.properties[object_type][name]
            if not definition["hasUniqueValue"] or value is None:
                continue
            for other_id, other in self.objects[object_type].items():
                if other_id != object_id and other["properties"].get(name) == value:
                    raise HubSpotError(
                        409,
                        "CONFLICT",
                        f"A {SINGULAR[object_type]} with {name} {value} already exists.",
                    )

    def _create(self, object_type, properties, source=("INTEGRATION", None)):
        self._check_writable(object_type, properties)
        values = self._text_values(object_type, properties)
        if object_type == "deals":
            values.setdefault("pipeline", "default")
            self._check_stage(values)
        object_id = str(next(self._ids[object_type]))
        self._check_unique(object_type, object_id, values)
        moment = now_ms()
        record = {
            "id": object_id,
            "properties": {
                **values,
                "hs_object_id": object_id,
                "createdate": iso(moment),
                "hs_lastmodifieddate": iso(moment),
            },
            "createdAt": iso(moment),
            "updatedAt": iso(moment),
            "archived": False,
        }
        self.objects[object_type][object_id] = record
        self._event(object_type, object_id, "creation", source, changeFlag="CREATED")
        return record

    def _update(self, object_type, object_id, properties, source=("INTEGRATION", None)):
        record = self._get(object_type, object_id)
        self._check_writable(object_type, properties)
        values = self._text_values(object_type, properties)
        if object_type == "deals":
            self._check_stage({**record["properties"], **values})
        self._check_unique(object_type, object_id, values)
        changed = {k: v for k, v in values.items() if record["properties"].get(k) != v}
        moment = now_ms()
        record["properties"].update(values)
        record["properties"]["hs_lastmodifieddate"] = iso(moment)
        record["updatedAt"] = iso(moment)
        for name, value in changed.items():
            self._event(
                object_type,
                object_id,
                "propertyChange",
                source,
                propertyName=name,
                propertyValue=value if value is not None else "",
            )
        return self._render(object_type, record, list(values))

    def _archive(self, object_type, object_id, source=("INTEGRATION", None)):
        self._get(object_type, object_id)
        del self.objects[object_type][object_id]
        for key in [k for k in self.associations if k[:2] == (object_type, object_id)]:
            for to_id in self.associations.pop(key):
                self.associations.get((key[2], to_id, object_type), {}).pop(object_id, None)
        self._event(object_type, object_id, "deletion", source, changeFlag="DELETED")

    def _get(self, object_type, object_id):
        record = self.objects[object_type].get(str(object_id))
        if record is None:
            raise HubSpotError(404, "OBJECT_NOT_FOUND", "resource not found")
        return record

    def _resolve_id(self, object_type, value, id_property):
        if not id_property or id_property == "hs_object_id":
            return value
        for object_id, record in self.objects[object_type].items():
            if record["properties"].get(id_property) == value:
                return object_id
        raise HubSpotError(404, "OBJECT_NOT_FOUND", "resource not found")

    def _computed(self, object_type, record):
        properties = dict(record["properties"])
        if object_type == "deals":
            pipeline = self.pipelines.get(properties.get("pipeline") or "default") or {}
            stage = next(
                (s for s in pipeline.get("stages", ()) if s["id"] == properties.get("dealstage")),
                None,
            )
            won = bool(
                stage
                and stage["metadata"]["isClosed"] == "true"
                and Decimal(stage["metadata"]["probability"]) == 1
            )
            properties["hs_is_closed_won"] = str(won).lower()
        return properties

    def _render(self, object_type, record, names=None, associations=()):
        properties = self._computed(object_type, record)
        wanted = names if names else DEFAULT_READ[object_type]
        rendered = {
            "id": record["id"],
            "properties": {
                name: properties.get(name)
                for name in (*wanted, "hs_object_id", "createdate", "hs_lastmodifieddate")
                if name in self.properties[object_type]
            },
            "createdAt": record["createdAt"],
            "updatedAt": record["updatedAt"],
            "archived": False,
        }
        found = {}
        for to_type in associations:
            results = [
                {"id": to_id, "type": self._v3_label(object_type, to_type, type_id)}
                for to_id, type_ids in self.associations.get(
                    (object_type, record["id"], to_type), {}
                ).items()
                for type_id in type_ids
            ]
            if results:
                # HubSpot names the line items' association with a space in these answers.
                found[to_type.replace("_", " ")] = {"results": results}
        if found:
            rendered["associations"] = found
        return rendered

    def _names(self, value):
        if value is None:
            return None
        if isinstance(value, list):
            return [name for item in value for name in item.split(",") if name]
        return [name for name in value.split(",") if name]

    def _read(self, object_type, object_id, request):
        record = self._get(object_type, object_id)
        associations = [
            self._object_type(t) for t in self._names(request.param("associations")) or ()
        ]
        return self._render(
            object_type, record, self._names(request.query.get("properties")), associations
        )

    def _list(self, object_type, request):
        limit = min(int(request.param("limit", "10")), 100)
        after = int(request.param("after", "0"))
        ordered = sorted(self.objects[object_type].values(), key=lambda r: int(r["id"]))
        page = [r for r in ordered if int(r["id"]) > after][:limit]
        names = self._names(request.query.get("properties"))
        answer = {"results": [self._render(object_type, r, names) for r in page]}
        if len(page) == limit and any(int(r["id"]) > int(page[-1]["id"]) for r in ordered):
            answer["paging"] = {"next": {"after": page[-1]["id"]}}
        return answer

    def _api_create(self, object_type, payload):
        payload = payload or {}
        record = self._create(object_type, payload.get("properties") or {})
        for association in payload.get("associations") or ():
            to_id = str(association["to"]["id"])
            for kind in association.get("types") or ():
                to_type = self._type_of(object_type, kind["associationTypeId"])
                self._associate(
                    object_type, record["id"], to_type, to_id, type_id=kind["associationTypeId"]
                )
        return self._render(object_type, record, list(payload.get("properties") or {}))

    def _batch(self, object_type, action, payload):
        payload = payload or {}
        inputs = payload.get("inputs") or []
        if len(inputs) > BATCH_LIMIT:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"Batch input too large: at most {BATCH_LIMIT} inputs"
            )
        started = iso(now_ms())
        results, missing = [], []
        if action == "read":
            names = payload.get("properties") or None
            for item in inputs:
                try:
                    object_id = self._resolve_id(
                        object_type, str(item["id"]), payload.get("idProperty")
                    )
                    results.append(
                        self._render(object_type, self._get(object_type, object_id), names)
                    )
                except HubSpotError:
                    missing.append(str(item["id"]))
        elif action == "update":
            for item in inputs:
                self._get(object_type, str(item["id"]))
            for item in inputs:
                results.append(
                    self._update(object_type, str(item["id"]), item.get("properties") or {})
                )
        elif action == "upsert":
            for item in inputs:
                results.append(self._upsert(object_type, item))
        else:
            raise HubSpotError(404, None, f"No batch action {action}")
        answer = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": iso(now_ms()),
        }
        if missing:
            answer["numErrors"] = 1
            answer["errors"] = [
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": f"Could not get some {object_type.upper()} objects, they may be "
                    "deleted or not exist. Check that ids are valid.",
                    "context": {"ids": missing},
                }
            ]
            return 207, answer
        return 200, answer

    def _upsert(self, object_type, item):
        id_property = item.get("idProperty")
        definition = self.properties[object_type].get(id_property or "")
        if not definition or not definition["hasUniqueValue"]:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"{id_property} is not a unique property of {object_type}"
            )
        properties = dict(item.get("properties") or {})
        try:
            object_id = self._resolve_id(object_type, str(item["id"]), id_property)
        except HubSpotError:
            properties.setdefault(id_property, str(item["id"]))
            record = self._create(object_type, properties)
            return {**self._render(object_type, record, list(properties)), "new": True}
        return {**self._update(object_type, object_id, properties), "new": False}

    # Search --------------------------------------------------------------------------------

    def _search(self, object_type, payload):
        payload = payload or {}
        limit = int(payload.get("limit") or 10)
        if limit > SEARCH_PAGE_LIMIT:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"limit must be at most {SEARCH_PAGE_LIMIT}"
            )
        after = int(payload.get("after") or 0)
        if after + limit > SEARCH_RESULT_LIMIT:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"Search can return at most {SEARCH_RESULT_LIMIT} results"
            )
        groups = payload.get("filterGroups") or []
        found = [
            record
            for record in self.objects[object_type].values()
            if not groups
            or any(
                all(self._matches(object_type, record, f) for f in group.get("filters") or [])
                for group in groups
            )
        ]
        found.sort(key=lambda r: int(r["id"]))
        for sort in reversed(payload.get("sorts") or []):
            # A sort is {"propertyName", "direction"}, or a name ("-name": descending).
            if isinstance(sort, str):
                name, descending = sort.lstrip("-"), sort.startswith("-")
            else:
                name, descending = sort["propertyName"], sort.get("direction") == "DESCENDING"
            found.sort(
                key=lambda r, name=name: self._sortable(
                    object_type, name, self._computed(object_type, r).get(name)
                ),
                reverse=descending,
            )
        page = found[after : after + limit]
        answer = {
            "total": len(found),
            "results": [
                self._render(object_type, r, payload.get("properties") or None) for r in page
            ],
        }
        if after + limit < len(found):
            answer["paging"] = {"next": {"after": str(after + limit)}}
        return answer

    def _sortable(self, object_type, name, value):
        if value is None:
            return (1, 0)
        kind = (self.properties[object_type].get(name) or {}).get("type")
        if kind == "number":
            return (0, Decimal(value))
        if kind == "datetime":
            if value.isdigit():
                return (0, int(value))
            stamp = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return (0, int(stamp.timestamp() * 1000))
        return (0, value.lower())

    def _matches(self, object_type, record, condition):
        name, operator = condition.get("propertyName"), condition.get("operator", "EQ")
        value = self._computed(object_type, record).get(name)
        if operator == "HAS_PROPERTY":
            return value not in (None, "")
        if operator == "NOT_HAS_PROPERTY":
            return value in (None, "")
        if value is None:
            return operator in ("NEQ", "NOT_IN")
        mine = self._sortable(object_type, name, value)
        if operator in ("IN", "NOT_IN"):
            wanted = {
                self._sortable(object_type, name, str(v)) for v in condition.get("values") or []
            }
            return (mine in wanted) == (operator == "IN")
        other = self._sortable(object_type, name, str(condition.get("value")))
        comparisons = {
            "EQ": mine == other,
            "NEQ": mine != other,
            "GT": mine > other,
            "GTE": mine >= other,
            "LT": mine < other,
            "LTE": mine <= other,
        }
        if operator not in comparisons:
            raise HubSpotError(400, "VALIDATION_ERROR", f"Unsupported operator {operator}")
        return comparisons[operator]

    # Associations --------------------------------------------------------------------------

    def _type_of(self, from_type, type_id):
        for table in (ASSOCIATION_TYPES, PRIMARY_TYPES):
            for (source, target), (known_id, _label) in table.items():
                if source == from_type and known_id == int(type_id):
                    return target
        raise HubSpotError(400, "VALIDATION_ERROR", f"Unknown association type {type_id}")

    def _v3_label(self, from_type, to_type, type_id):
        for table in (PRIMARY_TYPES, ASSOCIATION_TYPES):
            known = table.get((from_type, to_type))
            if known and known[0] == type_id:
                return known[1]
        return f"{SINGULAR[from_type]}_to_{SINGULAR[to_type]}"

    def _associate(self, from_type, from_id, to_type, to_id, *, primary=False, type_id=None):
        from_id, to_id = str(from_id), str(to_id)
        self._get(from_type, from_id)
        self._get(to_type, to_id)
        if (from_type, to_type) not in ASSOCIATION_TYPES:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"{from_type} cannot be associated with {to_type}"
            )
        forward = [ASSOCIATION_TYPES[(from_type, to_type)][0]]
        backward = [ASSOCIATION_TYPES[(to_type, from_type)][0]]
        if primary or (
            type_id is not None and type_id == PRIMARY_TYPES.get((from_type, to_type), (None,))[0]
        ):
            forward.insert(0, PRIMARY_TYPES[(from_type, to_type)][0])
            backward.insert(0, PRIMARY_TYPES[(to_type, from_type)][0])
        self.associations.setdefault((from_type, from_id, to_type), {})[to_id] = forward
        self.associations.setdefault((to_type, to_id, from_type), {})[from_id] = backward

    def _v4_results(self, from_type, from_id, to_type):
        results = []
        for to_id, type_ids in self.associations.get((from_type, from_id, to_type), {}).items():
            results.append(
                {
                    "toObjectId": int(to_id),
                    "associationTypes": [
                        {
                            "category": "HUBSPOT_DEFINED",
                            "typeId": type_id,
                            "label": "Primary"
                            if type_id == PRIMARY_TYPES.get((from_type, to_type), (None,))[0]
                            else None,
                        }
                        for type_id in type_ids
                    ],
                }
            )
        return results

    def _associations_v4(self, request, parts):
        from_type, from_id = self._object_type(parts[3]), parts[4]
        if parts[5] != "associations":
            raise HubSpotError(404, None, f"No route for {request.method} {request.path}")
        self._get(from_type, from_id)
        if len(parts) == 7 and request.method == "GET":
            to_type = self._object_type(parts[6])
            return 200, {"results": self._v4_results(from_type, from_id, to_type)}
        if len(parts) == 9 and parts[6] == "default" and request.method == "PUT":
            to_type = self._object_type(parts[7])
            self._associate(from_type, from_id, to_type, parts[8])
            return 200, {"status": "COMPLETE", "results": []}
        if len(parts) == 8 and request.method == "PUT":
            to_type = self._object_type(parts[6])
            for kind in request.json() or []:
                self._associate(
                    from_type, from_id, to_type, parts[7], type_id=int(kind["associationTypeId"])
                )
            return 200, {
                "fromObjectTypeId": from_type,
                "fromObjectId": int(from_id),
                "toObjectId": int(parts[7]),
            }
        if len(parts) == 8 and request.method == "DELETE":
            to_type = self._object_type(parts[6])
            self.associations.get((from_type, from_id, to_type), {}).pop(parts[7], None)
            self.associations.get((to_type, parts[7], from_type), {}).pop(from_id, None)
            return 204, None
        raise HubSpotError(404, None, f"No route for {request.method} {request.path}")

    def _associations_batch_read(self, from_type, to_type, payload):
        from_type, to_type = self._object_type(from_type), self._object_type(to_type)
        results = []
        for item in (payload or {}).get("inputs") or []:
            from_id = str(item["id"])
            if from_id in self.objects[from_type]:
                results.append(
                    {"from": {"id": from_id}, "to": self._v4_results(from_type, from_id, to_type)}
                )
        return {"status": "COMPLETE", "results": results}

    # Webhooks ------------------------------------------------------------------------------

    def _event(self, object_type, object_id, action, source, **extra):
        singular = SINGULAR[object_type]
        subscription_type = f"{singular}.{action}"
        keys = [subscription_type]
        if action == "propertyChange":
            keys.append(f"{subscription_type}:{extra['propertyName']}")
        subscription = next((self.subscriptions[k] for k in keys if k in self.subscriptions), None)
        if subscription is None or not self.webhook_url:
            return
        # HubSpot's eventId is not unique: here it counts per subscription, so that events
        # of two subscriptions share ids as they do in HubSpot.
        counter = self._event_ids.setdefault(subscription, itertools.count(1))
        change_source, source_id = source
        event = {
            "eventId": next(counter),
            "subscriptionId": subscription,
            "portalId": self.portal_id,
            "appId": self.app_id,
            "occurredAt": now_ms(),
            "subscriptionType": subscription_type,
            "attemptNumber": 0,
            "objectId": int(object_id),
            "changeSource": change_source,
            **({"sourceId": source_id or str(self.app_id)} if change_source else {}),
            **extra,
        }
        self._batcher.add(self.webhook_url, event)

    def _deliver(self, url, events):
        def build(attempt):
            # Each attempt is a new request: its attemptNumber, its own timestamp and
            # signature.
            body = json.dumps(
                [
                    {**event, "attemptNumber": attempt} if "attemptNumber" in event else event
                    for event in events
                ],
                separators=(",", ":"),
            ).encode()
            timestamp = now_ms()
            return body, {
                "Content-Type": "application/json",
                "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/) "
                "- WebhooksExecutorDaemon",
                "X-HubSpot-Request-Timestamp": str(timestamp),
                "X-HubSpot-Signature-v3": sign_v3(
                    self.client_secret, "POST", url, body, timestamp
                ),
                "X-HubSpot-Signature-Version": "v1",
                "X-HubSpot-Signature": sha256(self.client_secret.encode() + body).hexdigest(),
            }

        return self.emitter.deliver(url, build)
