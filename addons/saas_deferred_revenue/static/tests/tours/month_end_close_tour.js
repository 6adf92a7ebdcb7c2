import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

const MODULE = "saas_deferred_revenue";
const noErrorDialog = { content: "No error dialog", trigger: "body:not(:has(.o_error_dialog))" };

function openDeferredRevenueMenu(item) {
    return [
        {
            content: "Open the Deferred Revenue menu",
            trigger: `.o_menu_sections button[data-menu-xmlid='${MODULE}.menu_saas_deferred_revenue_root']`,
            run: "click",
        },
        {
            content: `Open ${item}`,
            trigger: `.dropdown-item[data-menu-xmlid='${MODULE}.${item}']`,
            run: "click",
        },
    ];
}

/**
 * Month-end close by a billing administrator: Invoicing → Deferred Revenue → Month-End Close,
 * the preview of the last month end, Post Entries, the journal entries posted, and one of
 * them with its journal items. The test bills 100.00 a month of service from two months ago.
 */
registry.category("web_tour.tours").add("saas_deferred_revenue_month_end_close", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),
        ...openDeferredRevenueMenu("menu_saas_revenue_recognize"),
        {
            content: "The close previews two entries for the months due",
            trigger: ".modal .o_saas_close_message:contains('Entries to post: 2')",
        },
        {
            content: "Preview: the revenue account gets 200.00",
            trigger:
                ".modal .o_field_widget[name=preview_line_ids] .o_data_row:contains('Deferred Revenue'):contains('200.00')",
        },
        {
            content: "Post the entries",
            trigger: ".modal button[name=action_recognize]",
            run: "click",
        },
        {
            content: "The entries posted, as journal entries",
            trigger: ".o_breadcrumb:contains('Revenue Recognition Entries')",
        },
        {
            content: "Two entries listed",
            trigger: ".o_list_view:has(.o_data_row:nth-child(2)):not(:has(.o_data_row:nth-child(3)))",
        },
        {
            content: "Open an entry",
            trigger: ".o_list_view .o_data_row:contains('Revenue recognition') .o_data_cell[name=ref]",
            run: "click",
        },
        {
            content: "Its journal items",
            trigger: ".o_notebook .nav-link[name=saas_entry_items]",
            run: "click",
        },
        {
            content: "Deferred revenue debited, revenue credited: 100.00",
            trigger:
                ".o_field_widget[name=journal_line_ids] .o_data_row:contains('Deferred Revenue'):contains('100.00')",
        },
        noErrorDialog,
    ],
});

/**
 * A billing user (Invoicing role only) walks every Deferred Revenue menu and opens what each
 * shows; the closing actions are not offered.
 */
registry.category("web_tour.tours").add("saas_deferred_revenue_billing_menus", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),
        {
            content: "Open the Deferred Revenue menu",
            trigger: `.o_menu_sections button[data-menu-xmlid='${MODULE}.menu_saas_deferred_revenue_root']`,
            run: "click",
        },
        {
            content: "No closing action for a billing user",
            trigger: `.o-dropdown--menu:has(.dropdown-item[data-menu-xmlid='${MODULE}.menu_saas_revenue_schedule']):not(:has([data-menu-xmlid='${MODULE}.menu_saas_revenue_recognize'])):not(:has([data-menu-xmlid='${MODULE}.menu_saas_revenue_undo']))`,
        },
        {
            content: "Open Revenue Schedules",
            trigger: `.dropdown-item[data-menu-xmlid='${MODULE}.menu_saas_revenue_schedule']`,
            run: "click",
        },
        {
            content: "Open a schedule",
            trigger: ".o_list_view .o_data_row .o_data_cell[name=partner_id]",
            run: "click",
        },
        {
            content: "The schedule and its months",
            trigger: ".o_form_view .o_field_widget[name=line_ids] .o_data_row:contains('100.00')",
        },
        noErrorDialog,
        ...openDeferredRevenueMenu("menu_saas_revenue_waterfall"),
        { content: "The waterfall", trigger: ".o_pivot_view .o_pivot table" },
        noErrorDialog,
        {
            content: "The pivot's gear menu",
            trigger: ".o_pivot_view .o_cp_action_menus i.fa-cog",
            run: "click",
        },
        {
            content: "It exports the report's workbook",
            trigger: ".o-dropdown--menu .o_saas_report_export_xlsx",
        },
        {
            content: "Close the gear menu",
            trigger: ".o_pivot_view .o_cp_action_menus i.fa-cog",
            run: "click",
        },
        { content: "As a list", trigger: ".o_switch_view.o_list", run: "click" },
        {
            content: "Its rows, months read as months",
            trigger: ".o_list_view .o_data_row .o_data_cell[name=billed_month_label]:contains(' 20')",
        },
        {
            content: "The list exports too",
            trigger: ".o_control_panel button[name=action_export_xlsx]",
        },
        noErrorDialog,
        ...openDeferredRevenueMenu("menu_saas_revenue_rollforward"),
        { content: "The roll-forward", trigger: ".o_list_view .o_data_row" },
        noErrorDialog,
        ...openDeferredRevenueMenu("menu_saas_deferred_balance"),
        {
            content: "Open the balance at the date",
            trigger: ".modal button[name=action_open]",
            run: "click",
        },
        { content: "The deferred balance", trigger: ".o_pivot_view .o_pivot table" },
        noErrorDialog,
    ],
});

/** Searching the settings for "Deferred" finds the deferred revenue settings. */
registry.category("web_tour.tours").add("saas_deferred_revenue_settings_search", {
    url: "/odoo/settings",
    steps: () => [
        {
            content: "Search the settings",
            trigger: ".o_control_panel .o_searchview_input",
            run: "edit Deferred",
        },
        {
            content: "The Deferred Revenue block is found",
            trigger: "h2:contains('Deferred Revenue')",
        },
        {
            content: "With its accounts and policies",
            trigger: ".o_setting_box:contains('Deferred revenue'):contains('Cancellations')",
        },
        {
            content: "And the default for recurring products",
            trigger: ".o_setting_box:contains('Defer revenue of recurring products by default')",
        },
        {
            content: "Other settings are filtered out",
            trigger: ".o_form_view:not(:has(.o_setting_box:contains('Fiscal Localization')))",
        },
    ],
});
