"""HTTP calls to a CRM's REST API, their errors translated once into the engine's
``TransientError`` (worth a retry: rate limit, network, the CRM's 5xx) or ``PermanentError``
(anything else), with a message a finance user can act on and never a credential."""

import requests

from odoo.addons.saas_connector_base.lib.errors import PermanentError, TransientError

DEFAULT_TIMEOUT = 30
DEFAULT_RETRY_AFTER = 10
"""Seconds to wait after a 429 that says nothing about when to come back."""
DEFAULT_LIMIT_BACKOFF = 600
"""Seconds to wait after Salesforce's REQUEST_LIMIT_EXCEEDED, which names no moment."""


class CrmTransientError(TransientError):
    """The CRM could not answer now."""


class CrmPermanentError(PermanentError):
    """The CRM answered no: bad credentials, a missing record, a refused request."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def send(session, crm, method, url, **kwargs):
    """The response to a request ``crm`` (its name, for the messages) answered with a 2xx.
    Raises CrmTransientError or CrmPermanentError."""
    kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
    try:
        response = session.request(method, url, **kwargs)
    except requests.RequestException as error:
        raise CrmTransientError(
            f"{crm} could not be reached ({error.__class__.__name__}): check the server's "
            "network access and the API base URL."
        ) from None
    if response.status_code < 300:
        return response
    if response.status_code == 429:
        retry_after = response.headers.get("Retry-After", "")
        raise CrmTransientError(
            f"{crm} is limiting requests right now.",
            retry_after=int(retry_after) if retry_after.isdigit() else DEFAULT_RETRY_AFTER,
        )
    if response.status_code >= 500:
        raise CrmTransientError(f"{crm} had a problem on its side (HTTP {response.status_code}).")
    if response.status_code == 403 and _error_code(response) == "REQUEST_LIMIT_EXCEEDED":
        # Salesforce's API request limit: a 403, but it lifts as the rolling 24 h move on.
        raise CrmTransientError(
            f"{crm} refused the request: the API request limit is reached.",
            retry_after=DEFAULT_LIMIT_BACKOFF,
        )
    raise CrmPermanentError(
        f"{crm} refused the request (HTTP {response.status_code}): {_reason(response)}",
        status=response.status_code,
    )


def _error_code(response):
    """Salesforce's ``errorCode`` of the first error of the answer, if any."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return body[0].get("errorCode")
    return None


def _reason(response):
    """The CRM's own words: HubSpot's ``message``, Salesforce's ``[{"message", "errorCode"}]``
    or OAuth's ``error_description``."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or "no reason given"
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if isinstance(body, dict):
        for key in ("message", "error_description", "error"):
            if body.get(key):
                code = body.get("errorCode") or body.get("category")
                return f"{body[key]} ({code})" if code else str(body[key])
    return response.reason or "no reason given"
