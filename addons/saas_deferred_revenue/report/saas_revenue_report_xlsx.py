from odoo import models
from odoo.addons.saas_connector_base.lib.xlsx import Amount, workbook


class SaasRevenueReportXlsx(models.AbstractModel):
    """Download of a deferred revenue report as an .xlsx file.

    The file is built when the browser asks for it (``controllers/report_export``) and streamed:
    nothing is stored, so an export leaves no attachment behind."""

    _name = "saas.revenue.report.xlsx"
    _description = "Deferred Revenue Report Export"

    def action_export_xlsx(self):
        """Download the report: a wizard exports its own values, a report all it shows."""
        url = f"/saas_deferred_revenue/xlsx/{self._name}"
        if self._transient:
            self.ensure_one()
            url += f"/{self.id}"
        return {"type": "ir.actions.act_url", "url": url, "target": "download"}

    def _xlsx_export(self):
        """The report as ``(file name without extension, sheets)``: the sheets as
        ``saas_connector_base.lib.xlsx.workbook`` takes them."""
        raise NotImplementedError

    def _xlsx_file(self):
        """``(file name, bytes)`` of the report's workbook."""
        name, sheets = self._xlsx_export()
        return f"{name}.xlsx", workbook(sheets)

    def _xlsx_amount(self, value, currency):
        """A cell showing ``value`` with the decimals of ``currency``."""
        return Amount(value, currency.decimal_places)
