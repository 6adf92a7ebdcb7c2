import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

const MODULE = "saas_connector_base";
const noErrorDialog = { content: "No error dialog", trigger: "body:not(:has(.o_error_dialog))" };

function openSaasOpsMenu(section, item) {
    return [
        ...stepUtils.goToAppSteps(`${MODULE}.menu_saas_root`, "Open SaaS Ops"),
        {
            content: `Open the ${section} menu`,
            trigger: `.o_menu_sections button[data-menu-xmlid='${MODULE}.${section}']`,
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
 * An operator opens the exception queue, reads why an event failed, replays it once its cause
 * is fixed (the test fixes it before the tour), confirms, and sees the event done, with the
 * replay noted in its history. The test delivers event evt_tour_failed about contact c_tour.
 */
registry.category("web_tour.tours").add("saas_connector_base_replay_failed_event", {
    url: "/odoo",
    steps: () => [
        ...openSaasOpsMenu("menu_saas_events_root", "menu_saas_event_exceptions"),
        {
            content: "The failed event is in the exception queue",
            trigger: ".o_list_view .o_data_row:contains('c_tour'):contains('Failed')",
        },
        {
            content: "Open it",
            trigger: ".o_list_view .o_data_row:contains('c_tour') .o_data_cell[name=event_type]",
            run: "click",
        },
        {
            content: "The form says why it failed",
            trigger: ".o_form_view .alert-danger:contains('is not configured')",
        },
        {
            content: "Replay it",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_replay]",
            run: "click",
        },
        {
            content: "Replay asks for confirmation",
            trigger: ".modal:contains('Process this event again from its stored payload?')",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The notification says what was queued",
            trigger:
                ".o_notification:contains('Event evt_tour_failed is queued for processing again')",
        },
        {
            content: "The event is done",
            trigger: ".o_form_view .o_statusbar_status [aria-checked=true]:contains('Done')",
        },
        {
            content: "No error shown any more",
            trigger: ".o_form_view:not(:has(.alert-danger:visible))",
        },
        {
            content: "Its history notes the replay",
            trigger: ".o-mail-Message:contains('Replay requested by')",
        },
        noErrorDialog,
    ],
});

/**
 * An operator opens a reconciliation run, finds the contact the provider has and Odoo never
 * received, re-syncs it and sees the line fixed. The test runs the reconciliation of contact
 * c_dropped (named Dropped Ltd at the provider) before the tour.
 */
registry.category("web_tour.tours").add("saas_connector_base_resync_drift", {
    url: "/odoo",
    steps: () => [
        ...openSaasOpsMenu("menu_saas_reconciliation_root", "menu_saas_reconciliation_run"),
        {
            content: "Open the run with open drift",
            trigger: ".o_list_view .o_data_row .o_data_cell[name=backend_id]",
            run: "click",
        },
        {
            content: "Its Drift tab",
            trigger: ".o_notebook .nav-link[name=drift]",
            run: "click",
        },
        {
            content: "The line of the contact Odoo never received is open",
            trigger: ".o_field_widget[name=drift_ids] .o_data_row:contains('c_dropped'):contains('Open')",
        },
        {
            content: "Re-sync it",
            trigger: ".o_field_widget[name=drift_ids] .o_data_row:contains('c_dropped') button[name=action_resync]",
            run: "click",
        },
        {
            content: "The line shows Fixed",
            trigger: ".o_field_widget[name=drift_ids] .o_data_row:contains('c_dropped'):contains('Fixed')",
        },
        noErrorDialog,
    ],
});
