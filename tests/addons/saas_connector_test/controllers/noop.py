from odoo import http
from odoo.http import request


class SaasTestNoopController(http.Controller):
    """A route that does nothing: what Odoo's HTTP stack alone costs per request, the ceiling
    the webhook intake is measured against (tests/bench/webhook_ingest).

    Declared like the intake route except ``readonly`` (``auth='none'`` makes it read-only):
    without a read replica Odoo serves both on the same read/write cursor. It sends no
    statement of its own; Odoo's registry check and the rollback are all its database work.
    """

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
