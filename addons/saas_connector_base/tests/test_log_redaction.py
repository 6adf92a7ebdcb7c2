import logging
from types import SimpleNamespace

from odoo.addons.saas_connector_base.lib import log_redaction

SECRET_FIELDS = {
    "name": SimpleNamespace(),
    "api_key": SimpleNamespace(secret_input=True),
    "signing_secret": SimpleNamespace(secret_input=True),
}


def record(logger, msg, *args):
    return logging.LogRecord(logger, logging.DEBUG, __file__, 1, msg, args, None)


def test_rpc_arguments_lose_the_values_of_secret_inputs_at_any_depth():
    records = SimpleNamespace(_fields=SECRET_FIELDS, _name="saas.backend")
    params = SimpleNamespace(
        args=[[7], {"name": "Acme", "api_key": "sk_live_1", "lines": [{"signing_secret": "w"}]}],
        kwargs={"vals": {"signing_secret": "whsec_2", "name": "B"}, "api_key": False},
    )
    logged = record("odoo.service.model", "call %s.%s(%s)", records, "web_save", params)
    assert log_redaction.RpcSecretFilter().filter(logged)
    message = logged.getMessage()
    for secret in ("sk_live_1", "'w'", "whsec_2"):
        assert secret not in message
    assert "'name': 'Acme'" in message and "'name': 'B'" in message
    assert message.count("[redacted]") == 3
    assert "api_key=False" in message, "an empty value says it is empty"


def test_models_without_secret_inputs_are_logged_as_they_are():
    records = SimpleNamespace(_fields={"name": SimpleNamespace()}, _name="res.partner")
    params = SimpleNamespace(args=[{"name": "x"}], kwargs={})
    logged = record("odoo.service.model", "call %s.%s(%s)", records, "create", params)
    log_redaction.RpcSecretFilter().filter(logged)
    assert logged.args[2] is params


def test_the_access_log_keeps_four_characters_of_a_webhook_token():
    token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde"
    logged = record(
        "werkzeug",
        '%s - - [%s] "%s" %s %s',
        "127.0.0.1",
        "02/Dec/2026",
        f"POST /saas/webhook/{token}?x=1 HTTP/1.1",
        200,
        38,
    )
    assert log_redaction.AccessLogTokenFilter().filter(logged)
    message = logged.getMessage()
    assert token[4:] not in message
    assert '"POST /saas/webhook/AbCd…?x=1 HTTP/1.1" 200 38' in message
    other = record("werkzeug", '"%s" %s', "GET /web HTTP/1.1", 200)
    log_redaction.AccessLogTokenFilter().filter(other)
    assert other.getMessage() == '"GET /web HTTP/1.1" 200'


def test_installing_twice_adds_each_filter_once():
    log_redaction.install()
    log_redaction.install()
    for name in ("odoo.service.model", "werkzeug"):
        filters = logging.getLogger(name).filters
        assert (
            sum(
                isinstance(f, logging.Filter) and "log_redaction" in type(f).__module__
                for f in filters
            )
            == 1
        )
