from odoo import http
from odoo.http import request


class SaasTestNoopController(http.Controller):
    """A route that does nothing: what Odoo's HTTP stack alone costs per request, the ceiling
    the webhook intake is measured against (tests/bench/webhook_ingest)."""

    @http.route(
        "/saas_test/noop",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def noop(self, **_params):
        return request.make_json_response({"ok": True})
