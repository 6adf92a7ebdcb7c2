"""Secrets and access: a backend's API key and signing secret, set through the web client's
RPC with the server logging at debug level, appear in clear nowhere — not in a ``pg_dump``,
not in the log, not in any answer to any group — and a second company's connector manager
sees and changes nothing of the first company's."""

import subprocess
import uuid

import requests
from chaoskit import PASSWORD, STRIPE_API_KEY, STRIPE_SECRET, TEST_SECRET, USERS, Figure, say


class Client:
    """The web client's RPC (``/web/dataset/call_kw``) as one user."""

    def __init__(self, campaign, login, password=PASSWORD):
        self.url = campaign.url
        self.session = requests.Session()
        answer = self.session.post(
            f"{self.url}/web/session/authenticate",
            json={"params": {"db": campaign.db, "login": login, "password": password}},
            timeout=60,
        ).json()
        if "error" in answer:
            raise RuntimeError(f"{login} cannot log in: {answer['error']['data']['message']}")

    def call(self, model, method, *args, **kwargs):
        """The raw answer text and the decoded answer of ``model.method(*args, **kwargs)``."""
        response = self.session.post(
            f"{self.url}/web/dataset/call_kw/{model}/{method}",
            json={"params": {"model": model, "method": method, "args": args, "kwargs": kwargs}},
            timeout=60,
        )
        return response.text, response.json()


def _refused(answer):
    return "error" in answer


def run(campaign):
    run_id = uuid.uuid4().hex[:6]
    api_key, signing_secret = f"sk_test_{run_id}_rpc_key_0123456789", f"whsec_{run_id}_rpc_0123"
    new_key = f"sk_test_{run_id}_rotated_0123456789"
    secrets = [TEST_SECRET, STRIPE_SECRET, STRIPE_API_KEY, api_key, signing_secret, new_key]
    say("secrets and access: backend created and edited over RPC with the log at debug level")
    campaign.stop()
    campaign.start(log_level="debug")
    try:
        admin = Client(campaign, "admin", "admin")
        _text, created = admin.call(
            "saas.backend",
            "web_save",
            [],
            {
                "name": f"Chaos RPC {run_id}",
                "provider": "stripe",
                "stripe_api_key": api_key,
                "new_webhook_secret": signing_secret,
            },
            specification={"id": {}},
        )
        backend_id = created["result"][0]["id"]
        admin.call("saas.backend", "write", [backend_id], {"stripe_api_key": new_key})
        answers = {}
        for login in USERS:
            client = Client(campaign, login)
            answers[login] = [
                client.call("saas.backend", "search_read", [], [])[0],
                client.call("saas.secret", "search_read", [], [])[0],
                client.call("saas.event", "search_read", [], ["headers", "payload"])[0],
            ]
        reencrypt = Client(campaign, "chaos_connector_manager").call(
            "saas.secret", "_reencrypt_all"
        )[1]
        other_company = Client(campaign, "chaos_manager_b")
        first = campaign.backends["test"]["id"]
        _text, seen = other_company.call("saas.backend", "search_count", [("id", "=", first)])
        _text, read = other_company.call("saas.backend", "read", [first], ["name"])
        _text, written = other_company.call(
            "saas.backend", "write", [first], {"name": "taken over"}
        )
        _text, events_seen = other_company.call(
            "saas.event", "search_count", [("backend_id", "=", first)]
        )
        _text, bindings_seen = other_company.call(
            "saas.binding", "search_count", [("backend_id", "=", first)]
        )
    finally:
        campaign.stop()
        campaign.start()
    dump = subprocess.run(
        ["pg_dump", "--data-only", campaign.db], capture_output=True, text=True, check=True
    ).stdout
    log = campaign.log.read_text(errors="replace")
    in_dump = [secret[:10] + "…" for secret in secrets if secret in dump]
    in_log = [secret[:10] + "…" for secret in secrets if secret in log]
    in_answers = sorted(
        {
            f"{login} ({secret[:10]}…)"
            for login, texts in answers.items()
            for text in texts
            for secret in secrets
            if secret in text
        }
    )
    name = campaign.sql("SELECT name FROM saas_backend WHERE id = %s", (first,))[0][0]
    return [
        Figure("secrets in clear in pg_dump", in_dump, not in_dump),
        Figure("secrets in the debug-level server log", in_log, not in_log),
        Figure("secrets in an RPC answer, by group", in_answers, not in_answers),
        Figure(
            "re-encryption of all secrets over RPC refused",
            _refused(reencrypt),
            _refused(reencrypt),
        ),
        Figure(
            "the other company's manager sees the first company's backend",
            seen.get("result"),
            seen.get("result") == 0,
        ),
        Figure(
            "… reads it / writes it",
            (not _refused(read), not _refused(written)),
            _refused(read) and _refused(written) and name != "taken over",
        ),
        Figure(
            "… sees its events / bindings",
            (events_seen.get("result"), bindings_seen.get("result")),
            events_seen.get("result") == 0 and bindings_seen.get("result") == 0,
        ),
    ]
