import json
import logging

import psycopg2

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..lib.errors import WebhookRejected

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
# Kept with each event for audit; never anything carrying credentials.
AUDIT_HEADERS = ("Content-Type", "User-Agent", "Stripe-Signature", "X-Request-Id")


def _answer(status, **body):
    return request.make_json_response(body, status=status)


class SaasWebhookController(http.Controller):
    """Intake: store what the provider sends, durably and fast, and answer.

    size limit → backend and secrets by URL token → provider verification → insert
    (duplicates ignored) → make sure a dispatcher job will run → commit → 200. No API call and
    no business logic here: processing happens in queue jobs. Bad input gets a 4xx with a
    short reason, never a 500.
    """

    @http.route(
        "/saas/webhook/<string:token>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def receive(self, token, **_params):
        httprequest = request.httprequest
        if (httprequest.content_length or 0) > MAX_BODY_BYTES:
            return _answer(413, error="payload too large")
        # Cached: Odoo replays the request after a serialization failure.
        body = httprequest.get_data(cache=True)
        if len(body) > MAX_BODY_BYTES:
            return _answer(413, error="payload too large")
        try:
            return self._receive(token, body, httprequest.headers)
        except psycopg2.OperationalError as error:
            if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                # Odoo replays the request (a concurrent duplicate delivery ends here).
                raise
            # The database is unreachable or overloaded: ask the sender to retry later.
            _logger.exception("saas webhook: database unavailable")
            request.env.cr.rollback()
            return _answer(503, error="temporarily unavailable, retry later")

    def _receive(self, token, body, headers):
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
        try:
            if not signing_secrets:
                raise WebhookRejected("no signing secret configured for this endpoint")
            inbound_events = backend._provider_parse_webhook(body, headers, signing_secrets)
        except WebhookRejected as rejection:
            _logger.info("saas webhook rejected for backend %s: %s", backend.id, rejection)
            return _answer(rejection.status, error=str(rejection))
        except Exception:
            _logger.exception("saas webhook: backend %s could not read a delivery", backend.id)
            return _answer(400, error="payload could not be read")
        audit = json.dumps({name: headers[name] for name in AUDIT_HEADERS if name in headers})
        new_events = env["saas.event"]._receive(backend, inbound_events, audit)
        env.cr.commit()
        return _answer(200, received=True, duplicate=not new_events)
