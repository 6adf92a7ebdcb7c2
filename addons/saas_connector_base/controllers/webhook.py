import json
import logging
import re

import psycopg2
from psycopg2 import errors as pg_errors

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..lib.errors import WebhookRejected
from ..lib.inbound import WebhookAnswer, WebhookRequest, delivery_problem

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
ROUTE_PREFIX = "/saas/webhook/"
# Tokens are ``secrets.token_urlsafe(32)``: anything else cannot be one, and is refused before
# it reaches a query (a NUL in a URL would otherwise reach the SQL literal).
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")
# Storing failed because of what was sent, not because of the database: retrying the same
# delivery cannot help, so the sender must hear 4xx, not 5xx. (ProgramLimitExceeded — e.g. a
# key too large for its index — is an OperationalError for psycopg2.)
INVALID_DATA_ERRORS = (psycopg2.DataError, pg_errors.ProgramLimitExceeded)


def _answer(status, headers=None, **body):
    """An answer of the engine's own, before the provider is known or when its shape does not
    matter to the sender (a 5xx is retried whatever it says)."""
    return _respond(WebhookAnswer.json(status, headers, **body))


def _respond(answer):
    response = request.make_response(
        answer.body, headers=[("Content-Type", answer.content_type)], status=answer.status
    )
    for name, value in answer.headers.items():
        response.headers[name] = value
    return response


def _unavailable():
    return _answer(503, {"Retry-After": "30"}, error="temporarily unavailable, retry later")


class SaasWebhookController(http.Controller):
    """Intake: store what the provider sends, durably and fast, and answer.

    method, path and size → backend and secrets by URL token → media type → provider
    verification → insert (duplicates ignored) → make sure a dispatcher job will run → commit →
    the provider's success answer. No API call and no business logic here: processing happens
    in queue jobs. Bad input gets a 4xx with a short reason (in the provider's shape once the
    backend is known), never a 500; when the database cannot store, the answer is 503 so that
    the sender retries.

    The route is also served when Odoo cannot reach the database (``saas_connector_base`` in
    ``server_wide_modules``): Odoo then serves requests without a database, and without this
    route there it would answer 404, which some senders take as final.
    """

    @http.route(
        f"{ROUTE_PREFIX}<string:token>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def receive(self, token, **_params):
        httprequest = request.httprequest
        refusal = self._refuse_off_contract(httprequest, token)
        if refusal is not None:
            return refusal
        # Cached: Odoo replays the request after a serialization failure.
        body = httprequest.get_data(cache=True)
        if len(body) > MAX_BODY_BYTES:
            return _answer(413, error="payload too large")
        try:
            return self._receive(token, body, httprequest)
        except (psycopg2.OperationalError, psycopg2.InterfaceError, psycopg2.DataError) as error:
            if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                # Odoo replays the request (a concurrent duplicate delivery ends here).
                raise
            return self._database_failure(error)

    @staticmethod
    def _refuse_off_contract(httprequest, token):
        """The answer to a request that is not a delivery this route takes, or ``None``."""
        # Odoo's routing also lets OPTIONS through: one method per endpoint, and nothing
        # stored off the contract.
        if httprequest.method != "POST":
            return _answer(405, {"Allow": "POST"}, error="method not allowed")
        # PATH_INFO, not werkzeug's ``path``, which hides a trailing slash.
        path = httprequest.environ.get("PATH_INFO")
        if path != f"{ROUTE_PREFIX}{token}" or not TOKEN_PATTERN.fullmatch(token):
            return _answer(404, error="unknown endpoint")
        if not request.db:
            # The database is unreachable (Odoo fell back to serving without one).
            _logger.warning("saas webhook: no database available, delivery refused with 503")
            return _unavailable()
        if (httprequest.content_length or 0) > MAX_BODY_BYTES:
            return _answer(413, error="payload too large")
        return None

    def _database_failure(self, error):
        if isinstance(error, INVALID_DATA_ERRORS):
            _logger.info("saas webhook: delivery refused by the database: %s", error)
            request.env.cr.rollback()
            return _answer(400, error="the delivery holds values that cannot be stored")
        # The database is unreachable, overloaded or the connection was lost: ask the sender
        # to retry later.
        _logger.warning("saas webhook: database unavailable: %s", error)
        self._abandon_transaction()
        return _unavailable()

    @staticmethod
    def _abandon_transaction():
        """Give up the request's transaction after a lost connection. Rolling back on a
        closed connection raises, and Odoo would then commit on it after the route returns:
        closing the cursor avoids both (Odoo skips the commit of a closed cursor)."""
        cr = request.env.cr
        for give_up in (cr.rollback, cr.close):
            try:
                give_up()
            except psycopg2.Error as error:
                _logger.debug("saas webhook: %s on a lost connection: %s", give_up.__name__, error)

    @staticmethod
    def _public_url(env, httprequest):
        """The URL the sender called, which is what some providers sign: the configured public
        base URL, then the path and query as received. Behind a proxy the request's own Host
        and scheme are the proxy's upstream, not what the sender called."""
        base_url = env["saas.backend"]._webhook_public_base_url()
        query = httprequest.environ.get("QUERY_STRING")
        path = httprequest.environ.get("PATH_INFO")
        return f"{base_url}{path}?{query}" if query else f"{base_url}{path}"

    def _receive(self, token, body, httprequest):
        env = request.env(su=True)
        try:
            endpoint = env["saas.secret"]._webhook_endpoint(token)
        except UserError:
            # Server misconfiguration (e.g. no master key): nothing is stored, so make the
            # sender retry once it is fixed.
            _logger.exception("saas webhook: cannot read the signing secrets")
            return _answer(503, error="endpoint not ready, retry later")
        if endpoint is None:
            return _answer(404, error="unknown endpoint")
        backend, signing_secrets = endpoint
        delivery = WebhookRequest(
            method=httprequest.method,
            url=self._public_url(env, httprequest),
            headers=httprequest.headers,
            body=body,
            mimetype=httprequest.mimetype,
        )
        if delivery.mimetype not in backend._provider_webhook_content_types():
            return self._reject(backend, delivery, 415, "unsupported content type")
        try:
            if not signing_secrets:
                raise WebhookRejected("no signing secret configured for this endpoint")
            inbound_events = backend._provider_parse_webhook(delivery, signing_secrets)
            if problem := delivery_problem(inbound_events, body):
                raise WebhookRejected(problem)
        except WebhookRejected as rejection:
            _logger.info("saas webhook rejected for backend %s: %s", backend.id, rejection)
            return self._reject(backend, delivery, rejection.status, str(rejection))
        except Exception:
            _logger.exception("saas webhook: backend %s could not read a delivery", backend.id)
            return self._reject(backend, delivery, 400, "payload could not be read")
        headers = delivery.headers
        audit = json.dumps(
            {
                name: headers[name]
                for name in backend._provider_webhook_audit_headers()
                if name in headers
            }
        )
        new_events = env["saas.event"]._receive(backend, inbound_events, audit, body=body)
        # Asked before the commit: should the provider fail to answer, nothing is kept and
        # the sender retries.
        answer = backend._provider_webhook_answer(delivery, duplicate=not new_events)
        env.cr.commit()
        return _respond(answer)

    @staticmethod
    def _reject(backend, delivery, status, reason):
        return _respond(backend._provider_webhook_rejection(delivery, status, reason))
