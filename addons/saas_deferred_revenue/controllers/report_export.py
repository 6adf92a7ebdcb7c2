from odoo import http
from odoo.http import content_disposition, request

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DeferredRevenueReportExport(http.Controller):
    @http.route(
        [
            "/saas_deferred_revenue/xlsx/<string:model>",
            "/saas_deferred_revenue/xlsx/<string:model>/<int:res_id>",
        ],
        type="http",
        auth="user",
    )
    def export_xlsx(self, model, res_id=None):
        """A deferred revenue report (``model``, or one record of it for a wizard) as a
        workbook, for whoever may read it; only report models export."""
        reports = request.env.registry["saas.revenue.report.xlsx"]._inherit_children
        if model not in reports:
            raise request.not_found()
        report = request.env[model]
        if res_id is not None:
            report = report.browse(res_id).exists()
            # A wizard's values are its user's own, as the web client treats them.
            if not report or report.create_uid != request.env.user:
                raise request.not_found()
        report.check_access("read")
        filename, content = report._xlsx_file()
        return request.make_response(
            content,
            headers=[
                ("Content-Type", XLSX_MIMETYPE),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )
