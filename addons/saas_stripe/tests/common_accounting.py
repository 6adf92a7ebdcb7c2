"""A company with a chart of accounts, a Stripe backend mapping the 19 % VAT rate of the
2017-08-15 fixtures, and helpers to derive invoice events the fixtures do not hold."""

import copy

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.saas_connector_base.tests.common import run_jobs

from .common import create_stripe_backend, deliver, fixture, variant

LOCALSTRIPE_CUSTOMER = "localstripe-2017-08-15/customer_created.json"
LOCALSTRIPE_INVOICE_PAID = "localstripe-2017-08-15/invoice_payment_succeeded.json"
LOCALSTRIPE_CHARGE = "localstripe-2017-08-15/charge_succeeded.json"
ZULIP_CUSTOMER = "zulip/upgrade_by_card--Event.list.2.json"
ZULIP_INVOICE_EVENTS = "zulip/upgrade_by_card--Event.list.4.json"
ZULIP_INVOICE_PAYMENT = "zulip/stripe_billing_portal_urls_for_remote_server--Event.list.1.json"
ZULIP_INVOICE_ID = "upgrade_by_card--Event.list.3.json"
ZULIP_CUSTOMER_ID = "upgrade_by_card--Customer.create.1.json"


def zulip_event(page, event_type):
    """One event of a Zulip ``GET /v1/events`` page. Zulip normalized every event id of a page
    to the page's name, so each gets an id of its own here, or intake would keep only one."""
    event = next(event for event in fixture(page)["data"] if event["type"] == event_type)
    return variant(event, event_id=f"evt_zulip_{event_type}")


def in_currency(payload, code):
    """The invoice event ``payload`` billed in currency ``code``, with the same integers: how
    the JPY and BHD tests derive invoices no fixture holds (48000 cents become 48000 yen,
    7735 cents 7.735 dinars)."""
    event = copy.deepcopy(payload)
    invoice = event["data"]["object"]
    invoice["currency"] = code
    for line in invoice["lines"]["data"]:
        line["currency"] = code
    return event


class StripeAccountingCase(AccountTestInvoicingCommon):
    @classmethod
    def get_default_groups(cls):
        # The accountant of these tests also configures the connector.
        return super().get_default_groups() | cls.quick_ref(
            "saas_connector_base.group_saas_manager"
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        for code in ("EUR", "JPY", "BHD"):
            cls.setup_other_currency(code)
        cls.backend = create_stripe_backend(cls.env)
        cls.bindings = cls.env["saas.binding"]
        cls.vat_19 = cls.env["account.tax"].create(
            {
                "name": "DE VAT 19%",
                "amount": 19,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "company_id": cls.company.id,
            }
        )
        cls.tax_map = cls.env["saas.stripe.tax.map"].create(
            {
                "backend_id": cls.backend.id,
                "stripe_tax_rate_id": "txr_LsVat19",
                "description": "VAT DE 19 % exclusive",
                "tax_id": cls.vat_19.id,
            }
        )

    def apply(self, *payloads):
        events = deliver(self.env, self.backend, *payloads)
        self.run_jobs()
        return events

    def run_jobs(self):
        # Reading the queue is the job runner's privilege; each job still runs as the user
        # who enqueued it.
        return run_jobs(self.env(su=True))

    def bound(self, model, external_id):
        return self.bindings.lookup(self.backend, model, external_id)

    def customer(self, customer_id):
        """A partner bound to ``customer_id``, for invoices whose customer no fixture holds."""
        partner = self.env["res.partner"].create({"name": customer_id, "is_company": True})
        self.bindings.bind(self.backend, partner, customer_id)
        return partner
