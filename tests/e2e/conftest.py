"""End to end: a real Odoo server (2 HTTP workers, cron, the queue_job runner) on the test
database, and localstripe as the Stripe peer, both started as processes on loopback.

Stripe's side of the network is played by localstripe: it keeps state, answers the ``stripe``
SDK and sends signed webhooks (2017-08-15 payload shapes) to the Odoo server, which verifies,
stores and processes them exactly as in production.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import hubspot_peer
import pytest
import requests
import salesforce_peer
from waiting import wait_until

import odoo.release
from odoo.api import SUPERUSER_ID, Environment
from odoo.modules.registry import Registry
from odoo.tools import config

ROOT = Path(__file__).resolve().parents[2]
LOCALSTRIPE = Path(os.environ.get("LOCALSTRIPE_BIN", ROOT / ".venv-localstripe/bin/localstripe"))
RUN = ROOT / ".run"


def _free_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url, process, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} process exited; see {log}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=10).status_code < 500:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s; see {log}")


@contextlib.contextmanager
def _process(command, name):
    RUN.mkdir(exist_ok=True)
    log = RUN / f"e2e-{name}.log"
    with log.open("w") as output:
        # The test process disables its own job runner; the server must run one.
        env = {k: v for k, v in os.environ.items() if k != "ODOO_QUEUE_JOB_CHANNELS"}
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        yield process, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def database():
    return config["db_name"] if isinstance(config["db_name"], str) else config["db_name"][0]


@contextlib.contextmanager
def odoo_server(database, name="odoo", options=()):
    """A production-like Odoo server on ``database`` (two HTTP workers and the job runner,
    the connector served even while the database is unreachable); yields its URL."""
    port = _free_port()
    command = [
        sys.executable,
        str(Path(odoo.release.__file__).resolve().parents[1] / "odoo-bin"),
        "-c",
        config["config"],
        "-d",
        database,
        "--workers=2",
        "--max-cron-threads=0",
        "--load=base,web,queue_job,saas_connector_base",
        f"--http-port={port}",
        f"--gevent-port={_free_port()}",
        "--log-level=info",
        *options,
    ]
    with _process(command, name) as (process, log):
        url = f"http://127.0.0.1:{port}"
        _wait_for(f"{url}/web/health", process, log)
        yield url


@pytest.fixture(scope="session")
def odoo_url(database):
    """A production-like Odoo server on the test database."""
    with odoo_server(database) as url:
        yield url


@contextlib.contextmanager
def localstripe_process(name="localstripe"):
    """An empty localstripe on a free port, stopped on exit; yields its URL."""
    if not LOCALSTRIPE.exists():
        raise RuntimeError(f"localstripe not found at {LOCALSTRIPE}: run `make setup`")
    port = _free_port()
    # --from-scratch: localstripe otherwise loads the state another instance left in its
    # (machine-wide) store file, and fails to start while that instance is rewriting it.
    command = [str(LOCALSTRIPE), "--port", str(port), "--from-scratch"]
    with _process(command, name) as (process, log):
        url = f"http://127.0.0.1:{port}"
        _wait_for(f"{url}/v1/customers", process, log)
        yield url


@pytest.fixture(scope="session")
def localstripe_url():
    with localstripe_process() as url:
        yield url


def create_backend(env, localstripe_url, secret, name="Stripe (localstripe)"):
    """A Stripe backend pointed at localstripe, committed so that the server sees it."""
    backend = env["saas.backend"].create(
        {
            "name": name,
            "provider": "stripe",
            "environment": "test",
            "stripe_api_base": localstripe_url,
            "stripe_api_key": "sk_test_e2e_0123456789",
            "stripe_webhook_secret": secret,
            # An event that arrives before the one it depends on (an invoice before its
            # customer) is retried: after a second here, not after the production backoff.
            "retry_base_seconds": 1,
            "retry_cap_seconds": 2,
        }
    )
    env.cr.commit()
    return backend


@pytest.fixture(scope="session")
def accounting(database):
    """The test database is installed without demo data: make sure its company has a chart
    of accounts (the sales and bank journals the invoice and payment import use)."""
    with Registry(database).cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {})
        if not env.company.chart_template:
            env["account.chart.template"].try_loading(
                "generic_coa", company=env.company, install_demo=False
            )
            cr.commit()


@pytest.fixture
def webhook_secret():
    """The signing secret of the test's endpoint, shared by localstripe and Odoo."""
    return f"whsec_e2e_{_free_port()}"


@pytest.fixture
def stripe_backend(env, odoo_url, localstripe_url, accounting, webhook_secret):
    """A Stripe backend pointed at localstripe, whose webhooks localstripe sends to Odoo."""
    secret = webhook_secret
    backend = create_backend(env, localstripe_url, secret)
    url = f"{odoo_url}/saas/webhook/{backend.webhook_token}"
    endpoint = f"{localstripe_url}/_config/webhooks/odoo_{backend.id}"
    requests.post(endpoint, data={"url": url, "secret": secret}, timeout=10).raise_for_status()
    yield backend
    # localstripe cannot forget an endpoint: narrow it to an event type that never occurs, so
    # that later tests' events do not keep this backend's workers busy.
    requests.post(
        endpoint, data={"url": url, "secret": secret, "events[0]": "e2e.none"}, timeout=10
    ).raise_for_status()


@pytest.fixture
def env(database):
    """An environment on its own committed transaction, like a user session."""
    registry = Registry(database)
    with registry.cursor() as cr:
        yield Environment(cr, SUPERUSER_ID, {})


# CRM backends ------------------------------------------------------------------------------
CRM_TIMEOUT = 120


@pytest.fixture
def crm_public_url(odoo_url, env):
    """The Odoo server's URL, made the public base URL of its webhooks: HubSpot signs the URL
    it calls, which is this one."""
    # Addons (and the helpers importing them) are importable once pytest-odoo has loaded
    # Odoo, after this module.
    from odoo.addons.saas_connector_base.models.saas_backend import (  # noqa: PLC0415
        PUBLIC_BASE_URL_PARAM,
    )

    env["ir.config_parameter"].set_param(PUBLIC_BASE_URL_PARAM, odoo_url)
    env.cr.commit()
    # The server's workers read system parameters from their cache: tell them it changed.
    env.registry.signal_changes()
    return odoo_url


@pytest.fixture
def crm_backend(env, stripe_backend, localstripe_url, crm_public_url):
    """Makes a CRM backend (``provider`` and its values), committed, whose won deals go to
    ``stripe_backend``, its product ``PRO`` sold at a new localstripe plan of 49.00 USD a
    month; its ``webhook_url`` is on the Odoo server. Charged automatically: localstripe
    emails no invoices."""
    from stripe_peer import create_plan, stripe_client  # noqa: PLC0415 (see crm_public_url)

    def create(provider, **values):
        plan = create_plan(stripe_client(localstripe_url), "Pro", 4900, "month")
        backend = env["saas.backend"].create(
            {
                "name": f"{provider} (fake)",
                "provider": provider,
                "crm_stripe_backend_id": stripe_backend.id,
                "crm_product_map_ids": [
                    (0, 0, {"crm_product_ref": "PRO", "stripe_price_id": plan.id})
                ],
                "crm_collection_method": "charge_automatically",
                "retry_base_seconds": 1,
                "retry_cap_seconds": 2,
                **values,
            }
        )
        env.cr.commit()
        return backend

    return create


@pytest.fixture
def crm_subscribed(env, localstripe_url):
    """Waits for the won deal of a CRM backend to become a subscription in Odoo, and returns
    its activation. Stripe first refuses the subscription of the new customer, who has no
    payment method to charge: a card is added in Stripe and the activation retried, as a
    person would; then Stripe's webhooks bring the subscription into Odoo."""
    from stripe_peer import (  # noqa: PLC0415 (see crm_public_url)
        GOOD_CARD,
        set_default_payment_method,
        stripe_client,
    )

    def activation_of(backend, check):
        def found(env):
            activation = env["saas.crm.activation"].search([("backend_id", "=", backend.id)])
            return activation if check(activation) else False

        activation = wait_until(found, env, timeout=CRM_TIMEOUT)
        assert activation, (
            env["saas.crm.activation"].search_read([("backend_id", "=", backend.id)]),
            env["saas.event"]
            .search([("backend_id", "=", backend.id), ("state", "=", "failed")])
            .mapped("last_error"),
        )
        return activation

    def subscribed(backend):
        activation = activation_of(backend, lambda activation: activation.state == "failed")
        assert "no payment method" in activation.error
        client = stripe_client(localstripe_url)
        card = client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": GOOD_CARD, "exp_month": 12, "exp_year": 2035, "cvc": "123"},
            }
        )
        set_default_payment_method(client, activation.stripe_customer_id, card.id)
        activation.action_retry()
        env.cr.commit()
        activation = activation_of(backend, lambda activation: activation.subscription_id)
        assert activation.state == "done"
        return activation

    return subscribed


@pytest.fixture
def hubspot(crm_public_url):
    """A fake HubSpot whose webhooks are signed for the URL the Odoo server is called at."""
    with hubspot_peer.HubSpotPeer(retry_delays=(0.5, 1, 2, 4)) as peer:
        yield peer


@pytest.fixture
def hubspot_backend(crm_backend, hubspot):
    return crm_backend(
        "hubspot",
        hubspot_api_base=hubspot.url,
        hubspot_portal_id=str(hubspot_peer.PORTAL_ID),
        hubspot_access_token=hubspot_peer.TOKEN,
        hubspot_client_secret=hubspot_peer.CLIENT_SECRET,
    )


@pytest.fixture
def salesforce():
    """A fake Salesforce org with the custom fields Odoo writes back (the readme lists them
    for the org's admin to create)."""
    from odoo.addons.saas_crm_sync.lib import writeback  # noqa: PLC0415 (see crm_public_url)

    with salesforce_peer.SalesforcePeer(retry_delays=(0.5, 1, 2, 4)) as peer:
        for field in writeback.FIELDS:
            peer.add_field("Opportunity", field.salesforce, field.kind)
        yield peer


@pytest.fixture
def salesforce_backend(crm_backend, salesforce):
    return crm_backend(
        "salesforce",
        salesforce_my_domain_url=salesforce.url,
        salesforce_client_id=salesforce_peer.CLIENT_ID,
        salesforce_client_secret=salesforce_peer.CLIENT_SECRET,
        salesforce_organization_id=salesforce_peer.ORGANIZATION_ID,
        salesforce_api_version=salesforce_peer.API_VERSION,
    )
