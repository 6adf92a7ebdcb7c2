from odoo import http
from odoo.http import content_disposition, request


class ReconciliationExport(http.Controller):
    @http.route("/saas/reconciliation/<int:run_id>/xlsx", type="http", auth="user")
    def export_xlsx(self, run_id):
        """A reconciliation run as a workbook, for whoever may read the run."""
        run = request.env["saas.reconciliation.run"].browse(run_id).exists()
        if not run:
            raise request.not_found()
        run.check_access("read")
        return request.make_response(
            run._xlsx_content(),
            headers=[
                (
                    "Content-Type",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                ("Content-Disposition", content_disposition(run._xlsx_filename())),
            ],
        )
