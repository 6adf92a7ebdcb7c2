import base64

from odoo import fields, models

from ..lib.xlsx import workbook


class SaasRevenueReportXlsx(models.AbstractModel):
    """Download of a deferred revenue report as an .xlsx file."""

    _name = "saas.revenue.report.xlsx"
    _description = "Deferred Revenue Report Export"

    def _xlsx_download(self, name, sheets):
        """An action downloading ``sheets`` (see ``lib.xlsx.workbook``) as ``name``.xlsx."""
        filename = f"{name} {fields.Date.context_today(self)}.xlsx"
        # The file is the user's own download: it lives as a private attachment of theirs.
        attachment = self.env["ir.attachment"].create(
            {
                "name": filename,
                "datas": base64.b64encode(workbook(sheets)),
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }
