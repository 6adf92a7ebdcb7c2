"""Take the README's screenshots of the main screens from a running `make demo` server.

    python3 -m venv /tmp/screenshots && /tmp/screenshots/bin/pip install playwright
    /tmp/screenshots/bin/python scripts/screenshots.py --odoo http://127.0.0.1:8069

Playwright is not a dependency of the suite, and gets its own virtualenv: installed beside
Odoo, it would replace the ``greenlet`` release Odoo pins.

Logs in as the demo's admin in headless Chromium (Debian's /usr/bin/chromium, the one the
browser tests use) and writes one PNG per screen into the ``static/description`` folder of the
addon the screen belongs to, where OCA addons keep their pictures.
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ADDONS = Path(__file__).resolve().parents[1] / "addons"
# (addon, file name, the screen's path in the web client)
SCREENS = [
    ("saas_connector_base", "dashboard", "action-saas_connector_base.action_saas_dashboard"),
    ("saas_connector_base", "backend", "action-saas_connector_base.action_saas_backend/1"),
    (
        "saas_connector_base",
        "exception_queue",
        "action-saas_connector_base.action_saas_event_exceptions",
    ),
    # The demo's own run, the month to date with its drift re-synced: the second, after the
    # daily run the server's scheduler starts as soon as it is up.
    (
        "saas_connector_base",
        "reconciliation",
        "action-saas_connector_base.action_saas_reconciliation_run/2",
    ),
    (
        "saas_connector_base",
        "subscriptions",
        "action-saas_connector_base.action_saas_subscription",
    ),
    (
        "saas_deferred_revenue",
        "waterfall",
        "action-saas_deferred_revenue.saas_revenue_waterfall_action",
    ),
    (
        "saas_deferred_revenue",
        "rollforward",
        "action-saas_deferred_revenue.saas_revenue_rollforward_action",
    ),
    (
        "saas_deferred_revenue",
        "month_end_close",
        "action-saas_deferred_revenue.saas_revenue_recognize_wizard_action",
    ),
    ("saas_crm_sync", "deal_activations", "action-saas_crm_sync.action_saas_crm_activation"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odoo", default="http://127.0.0.1:8069", help="the demo server's URL")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{args.odoo}/web/login")
        page.fill("input[name=login]", args.login)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit]")
        page.wait_for_url("**/odoo**")
        for addon, name, path in SCREENS:
            page.goto(f"{args.odoo}/odoo/{path}")
            # The web client keeps a bus connection open: wait for the view, not for silence.
            page.wait_for_selector(".o_action_manager .o_view_controller, .modal-dialog")
            if page.locator(".modal-dialog").count():
                # A wizard focuses its first field: a date opens its picker over the form.
                page.click(".modal-title")
            page.wait_for_timeout(2000)
            target = ADDONS / addon / "static" / "description" / f"{name}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target))
            print(f"[screenshots] {target.relative_to(ADDONS.parent)}")
        browser.close()


if __name__ == "__main__":
    main()
