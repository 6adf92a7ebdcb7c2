"""No secret in the server log at any level: a Stripe backend created and edited through RPC
and the web form's calls, and a delivery to its webhook, with every logger at DEBUG."""

import contextlib
import logging

from odoo.tests import HttpCase, new_test_user, tagged

from .common import FIXTURES, create_stripe_backend, stripe_headers

BODY_CUSTOMER_UPDATED = (FIXTURES / "stripe-sync-engine" / "customer_updated.json").read_bytes()

API_KEY = "sk_test_log_probe_51Hx0123456789abcdef"
NEW_API_KEY = "rk_test_log_probe_rotated_0987654321"
SIGNING_SECRET = "whsec_log_probe_fedcba9876543210"
NEW_SIGNING_SECRET = "whsec_log_probe_rolled_0123456789"


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append((record.name, self.format(record)))


@contextlib.contextmanager
def every_logger_at_debug():
    """Every record of every logger, formatted as the server's log would show it."""
    manager = logging.root.manager
    loggers = [logging.root] + [
        logger for logger in manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    levels = {logger: logger.level for logger in loggers}
    collect = _Collect()
    logging.root.addHandler(collect)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield collect.lines
    finally:
        logging.root.removeHandler(collect)
        for logger, level in levels.items():
            logger.setLevel(level)


@tagged("post_install", "-at_install")
class TestSecretsInLogs(HttpCase):
    def call(self, model, method, *args, **kwargs):
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            json={"id": 0, "jsonrpc": "2.0", "method": "call", "params": params},
        )
        answer = response.json()
        self.assertNotIn("error", answer)
        return answer["result"]

    def test_no_secret_in_the_log_at_debug_level(self):
        manager = new_test_user(
            self.env,
            "log_probe_manager",
            groups="base.group_user,base.group_system,saas_connector_base.group_saas_manager",
        )
        self.authenticate(manager.login, manager.login)
        values = {
            "name": "Log probe",
            "provider": "stripe",
            "stripe_api_key": API_KEY,
            "stripe_webhook_secret": SIGNING_SECRET,
        }
        spec = {"name": {}, "stripe_api_key": {}, "stripe_webhook_secret": {}}
        with every_logger_at_debug() as lines:
            # What the web form sends: an onchange with every value, then web_save.
            self.call("saas.backend", "onchange", [], values, [], spec)
            [saved] = self.call("saas.backend", "web_save", [], values, specification={})
            backend_id = saved["id"]
            self.call(
                "saas.backend",
                "web_save",
                [backend_id],
                {"stripe_api_key": NEW_API_KEY, "stripe_webhook_secret": NEW_SIGNING_SECRET},
                specification={},
            )
            # What a script sends.
            self.call("saas.backend", "create", [{**values, "name": "Log probe (RPC)"}])
            self.call("saas.backend", "write", [backend_id], {"stripe_api_key": API_KEY})
            # A delivery: the access log names its path.
            token = create_stripe_backend(self.env).webhook_token
            response = self.url_open(
                f"/saas/webhook/{token}",
                data=BODY_CUSTOMER_UPDATED,
                headers=stripe_headers(BODY_CUSTOMER_UPDATED),
            )
            self.assertEqual(response.status_code, 200)
        # The server's log: not the test's own HTTP client, which stands for the sender.
        lines = [(name, line) for name, line in lines if not name.startswith("urllib3")]
        log = "\n".join(line for _logger, line in lines)
        # The calls and the request were logged, only without their secrets.
        self.assertIn("call saas.backend", log)
        self.assertIn("[redacted]", log)
        self.assertIn(f"/saas/webhook/{token[:4]}…", log)
        for fragment in ("sk_test_log_probe", "rk_test_log_probe", "whsec_log_probe"):
            self.assertNotIn(fragment, log)
        # The token is an address, not a credential (a delivery needs a valid signature): only
        # the SQL statements logged at debug_sql carry it, as the endpoint lookup's parameter.
        self.assertNotIn(token, "\n".join(line for name, line in lines if name != "odoo.sql_db"))
