"""Keep secrets out of the server log, whatever its level.

Two places of Odoo's own log carry them otherwise:

- at debug level, every RPC call is logged with its arguments (``odoo.service.model``:
  ``call saas.backend.web_save({'stripe_api_key': 'sk_live_…'}, …)``), so a backend created or
  edited from the web form or through RPC would put its API key and signing secret in clear;
- at info level, the access log (``werkzeug``) names every request's path, and a webhook's path
  holds the endpoint's token, which is all it takes to send it deliveries.

The filters below sit on those two loggers. Fields declared with ``secret_input=True`` are the
ones redacted from RPC arguments, wherever they appear (values of ``create``, ``write``,
``web_save``, ``onchange``…).
"""

import logging
import re

REDACTED = "[redacted]"
WEBHOOK_PATH = re.compile(r"(/saas/webhook/)([A-Za-z0-9_-]{0,4})[^\s\"?#]*")
"""A webhook path in the access log: its first four characters are kept, to tell endpoints
apart, the rest goes."""


def redact_webhook_token(text):
    return WEBHOOK_PATH.sub(r"\1\2…", text)


class AccessLogTokenFilter(logging.Filter):
    """Takes the webhook token out of access-log lines."""

    def filter(self, record):
        if "/saas/webhook/" in str(record.msg) or any(
            "/saas/webhook/" in str(arg) for arg in _args_of(record)
        ):
            record.msg = redact_webhook_token(record.getMessage())
            record.args = ()
        return True


class RpcSecretFilter(logging.Filter):
    """Redacts the values of secret input fields from logged RPC calls."""

    def filter(self, record):
        args = _args_of(record)
        # ``call %s.%s(%s)``: the recordset, the method name and the call's parameters.
        if len(args) == 3 and hasattr(args[2], "args") and hasattr(args[2], "kwargs"):
            names = secret_field_names(args[0])
            if names:
                record.args = (args[0], args[1], _RedactedParams(args[2], names))
        return True


def secret_field_names(records):
    fields_by_name = getattr(records, "_fields", None) or {}
    return frozenset(
        name for name, field in fields_by_name.items() if getattr(field, "secret_input", False)
    )


def redact(value, names):
    """``value`` with the values of the keys in ``names`` replaced, at any depth."""
    if isinstance(value, dict):
        return {
            key: REDACTED if key in names and item else redact(item, names)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(redact(item, names) for item in value)
    return value


class _RedactedParams:
    def __init__(self, params, names):
        self.args = redact(list(params.args), names)
        self.kwargs = redact(dict(params.kwargs), names)

    def __str__(self):
        params = [repr(arg) for arg in self.args]
        params.extend(f"{key}={value!r}" for key, value in sorted(self.kwargs.items()))
        return ", ".join(params)


def _args_of(record):
    args = record.args
    if isinstance(args, tuple):
        return args
    return (args,) if args else ()


def install():
    """Attach the filters (once per process) to the loggers that need them."""
    for name, filter_class in (
        ("odoo.service.model", RpcSecretFilter),
        ("werkzeug", AccessLogTokenFilter),
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, filter_class) for existing in logger.filters):
            logger.addFilter(filter_class())
