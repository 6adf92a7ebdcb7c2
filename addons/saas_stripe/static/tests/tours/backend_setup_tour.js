import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

const BASE = "saas_connector_base";
const missingCount = ".alert-warning[name=setup_missing] .o_field_widget[name=setup_missing_count]";

function checklistItem(key, state) {
    const icon = state === "ok" ? "fa-check" : "fa-times";
    return {
        content: `The checklist shows ${key} ${state}`,
        trigger: `.o_field_widget[name=setup_checklist] li[data-item=${key}] .${icon}`,
    };
}

function pickAccount(field, name) {
    return [
        {
            content: `Type the ${field} account`,
            trigger: `.o_field_widget[name=${field}] input`,
            run: `edit ${name}`,
        },
        {
            content: `Pick ${name}`,
            trigger: `.o-autocomplete--dropdown-item:contains('${name}')`,
            run: "click",
        },
    ];
}

/**
 * An administrator creates a Stripe backend and lets the setup checklist guide them: once
 * saved, the checklist names what is missing; after the key, the signing secret, the fees
 * account and the disputed funds account, those four items are ticked and the warning counts
 * four fewer. The keys typed are not shown back. The test creates the two accounts.
 */
registry.category("web_tour.tours").add("saas_stripe_backend_setup_checklist", {
    url: "/odoo",
    steps: () => {
        let missingBefore;
        return [
            ...stepUtils.goToAppSteps(`${BASE}.menu_saas_root`, "Open SaaS Ops"),
            {
                content: "Open Configuration",
                trigger: `.o_menu_sections button[data-menu-xmlid='${BASE}.menu_saas_configuration']`,
                run: "click",
            },
            {
                content: "Open Backends",
                trigger: `.dropdown-item[data-menu-xmlid='${BASE}.menu_saas_backend']`,
                run: "click",
            },
            { content: "New backend", trigger: ".o_list_button_add", run: "click" },
            {
                content: "Name it",
                trigger: ".o_field_widget[name=name] input",
                run: "edit Stripe tour account",
            },
            {
                content: "Open the providers",
                trigger: ".o_field_widget[name=provider] .o_select_menu_toggler",
                run: "click",
            },
            {
                content: "Provider Stripe",
                trigger: ".o_select_menu_item:contains('Stripe')",
                run: "click",
            },
            {
                content: "The signing secret is asked on the Stripe page only",
                trigger: ".o_form_view:not(:has(.o_field_widget[name=new_webhook_secret]))",
            },
            { content: "Save", trigger: ".o_form_button_save", run: "click" },
            {
                content: "The form warns that setup items are missing",
                trigger: missingCount,
                run() {
                    missingBefore = parseInt(this.anchor.textContent);
                    if (!(missingBefore >= 5)) {
                        throw new Error(`unexpected count of missing items: ${missingBefore}`);
                    }
                },
            },
            checklistItem("api_key", "missing"),
            checklistItem("webhook_secret", "missing"),
            checklistItem("fee_account", "missing"),
            checklistItem("dispute_account", "missing"),
            {
                content: "Open the Stripe page",
                trigger: ".o_notebook .nav-link[name=stripe]",
                run: "click",
            },
            {
                content: "Paste the secret key",
                trigger: ".o_field_widget[name=stripe_api_key] input",
                run: "edit sk_test_tour_checklist",
            },
            {
                content: "Paste the webhook signing secret",
                trigger: ".o_field_widget[name=stripe_webhook_secret] input",
                run: "edit whsec_tour_checklist",
            },
            {
                content: "Open the Stripe Accounting page",
                trigger: ".o_notebook .nav-link[name=stripe_accounting]",
                run: "click",
            },
            ...pickAccount("stripe_fee_account_id", "Stripe Fees Tour"),
            ...pickAccount("stripe_dispute_account_id", "Disputed Funds Tour"),
            { content: "Save", trigger: ".o_form_button_save", run: "click" },
            {
                content: "Saved",
                trigger: ".o_form_view .o_form_saved",
            },
            {
                content: "Back to the Stripe page",
                trigger: ".o_notebook .nav-link[name=stripe]",
                run: "click",
            },
            {
                content: "The key is in use, masked, and the field is empty again",
                trigger:
                    ".o_field_widget[name=stripe_api_key_status]:not(:contains('tour_checklist')):not(:empty)",
            },
            {
                content: "The key typed is not sent back, only its mask",
                trigger:
                    ".o_field_widget[name=stripe_api_key] input:not(:value('sk_test_tour_checklist'))",
            },
            {
                content: "The signing secret typed is not sent back",
                trigger:
                    ".o_field_widget[name=stripe_webhook_secret] input:not(:value('whsec_tour_checklist'))",
            },
            {
                content: "Back to the checklist",
                trigger: ".o_notebook .nav-link[name=setup_checklist]",
                run: "click",
            },
            checklistItem("api_key", "ok"),
            checklistItem("webhook_secret", "ok"),
            checklistItem("fee_account", "ok"),
            checklistItem("dispute_account", "ok"),
            {
                content: "The warning counts four items fewer",
                trigger: missingCount,
                run() {
                    const missingAfter = parseInt(this.anchor.textContent);
                    if (missingAfter !== missingBefore - 4) {
                        throw new Error(`${missingAfter} items missing, ${missingBefore} before`);
                    }
                },
            },
            { content: "No error dialog", trigger: "body:not(:has(.o_error_dialog))" },
        ];
    },
});
