import { Component } from "@odoo/owl";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { STATIC_ACTIONS_GROUP_NUMBER } from "@web/search/action_menus/action_menus";

// The deferred revenue reports that export themselves (saas.revenue.report.xlsx).
const REPORT_MODELS = ["saas.revenue.waterfall", "saas.revenue.rollforward"];

/**
 * "Export XLSX" in the gear menu of a report's pivot and graph: these views have no header
 * buttons (the list has its own), and the report's workbook — every currency with its own
 * decimals — is what finance takes away, not the pivot's generic download.
 */
export class ReportExportXlsx extends Component {
    static template = "saas_deferred_revenue.ReportExportXlsx";
    static components = { DropdownItem };
    static props = {};

    setup() {
        this.action = useService("action");
    }

    onExport() {
        return this.action.doActionButton({
            type: "object",
            name: "action_export_xlsx",
            resModel: this.env.searchModel.resModel,
            resIds: [],
        });
    }
}

registry.category("cogMenu").add(
    "saas-deferred-revenue-export-xlsx",
    {
        Component: ReportExportXlsx,
        groupNumber: STATIC_ACTIONS_GROUP_NUMBER,
        isDisplayed: ({ config, searchModel }) =>
            REPORT_MODELS.includes(searchModel.resModel) &&
            ["pivot", "graph"].includes(config.viewType),
    },
    { sequence: 20 }
);
