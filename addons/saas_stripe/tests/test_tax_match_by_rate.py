"""A Stripe tax rate without a mapping, on a backend that matches taxes by rate: the rate is
read from Stripe and mapped to the one Odoo sales tax that fits it, or the event fails naming
the candidates.

Stripe's API is played over HTTP by ``stripe_api_peer``; it describes the invoice's rate
``txr_LsVat19`` with Stripe's example tax rate (fixtures/openapi, VAT 19 % exclusive, DE).
"""

import json

from odoo.tests import tagged

from .common import FIXTURES, fixture
from .common_accounting import LOCALSTRIPE_CUSTOMER, StripeAccountingCase
from .stripe_api_peer import start_api_peer
from .test_invoice import localstripe_invoice

RATE_ID = "txr_LsVat19"
RATE_PATH = f"/v1/tax_rates/{RATE_ID}"
EXAMPLE_RATE = json.loads((FIXTURES / "openapi" / "fixtures3.2026-08.tax_rate.json").read_text())


@tagged("post_install", "-at_install")
class TestStripeTaxMatchByRate(StripeAccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_api_peer(cls, cls.backend)
        cls.germany, france = cls.env.ref("base.de"), cls.env.ref("base.fr")
        groups = {
            country: cls.env["account.tax.group"].create(
                {"name": f"VAT {country.code}", "country_id": country.id}
            )
            for country in (cls.germany, france)
        }
        # A German company, whose invoices may carry German taxes.
        cls.company.account_fiscal_country_id = cls.germany
        cls.vat_19.write({"country_id": cls.germany.id, "tax_group_id": groups[cls.germany].id})
        # Same percentage, but another country, a purchase tax, a price-included one: none
        # of them fits an exclusive German sales rate.
        cls.others = (
            cls.vat_19.copy(
                {"name": "FR TVA 19%", "country_id": france.id, "tax_group_id": groups[france].id}
            )
            + cls.vat_19.copy({"name": "DE Vorsteuer 19%", "type_tax_use": "purchase"})
            + cls.vat_19.copy(
                {"name": "DE VAT 19% incl.", "price_include_override": "tax_included"}
            )
        )
        cls.tax_map.unlink()
        cls.backend.stripe_tax_match_by_rate = True

    def setUp(self):
        super().setUp()
        self.peer.requests.clear()
        self.describe_rate()
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))

    def describe_rate(self, **changes):
        rate = {**EXAMPLE_RATE, "id": RATE_ID, **changes}
        self.peer.answers[RATE_PATH] = lambda query: (200, rate)

    def mappings(self):
        return self.env["saas.stripe.tax.map"].search([("backend_id", "=", self.backend.id)])

    def test_the_one_fitting_tax_is_mapped_recorded_and_the_invoice_ties(self):
        event = self.apply(localstripe_invoice())
        self.assertEqual(event.state, "done", event.last_error)
        self.assertRecordValues(
            self.bound("account.move", "in_LsInv0002"),
            [{"state": "posted", "amount_tax": 12.35, "amount_total": 77.35}],
        )
        self.assertEqual(
            self.bound("account.move", "in_LsInv0002").invoice_line_ids.tax_ids, self.vat_19
        )
        self.assertRecordValues(
            self.mappings(),
            [
                {
                    "stripe_tax_rate_id": RATE_ID,
                    "tax_id": self.vat_19.id,
                    "matched_by_rate": True,
                    "description": "VAT 19 % exclusive, DE",
                }
            ],
        )
        # Asked once: the other lines of the invoice use the recorded mapping.
        self.assertEqual([path for path, query in self.peer.requests], [RATE_PATH])

    def test_a_tax_chosen_by_hand_is_no_longer_marked_as_matched(self):
        self.apply(localstripe_invoice())
        mapping = self.mappings()
        mapping.tax_id = self.vat_19.copy({"name": "DE VAT 19% (services)"})
        self.assertFalse(mapping.matched_by_rate)

    def test_several_fitting_taxes_fail_naming_them(self):
        self.vat_19.copy({"name": "DE VAT 19% (services)"})
        event = self.apply(localstripe_invoice())
        self.assertEqual(event.state, "failed")
        self.assertEqual(
            event.last_error,
            f"Stripe tax rate {RATE_ID} (19 % exclusive, DE) has no mapping and matches several "
            "Odoo sales taxes: DE VAT 19%, DE VAT 19% (services). Map it in the Tax Mapping of "
            f"backend {self.backend.name}, then replay the event.",
        )
        self.assertFalse(self.mappings())
        self.assertFalse(self.bound("account.move", "in_LsInv0002"))

    def test_no_fitting_tax_fails_saying_so(self):
        self.describe_rate(percentage=7)
        event = self.apply(localstripe_invoice())
        self.assertEqual(event.state, "failed")
        self.assertEqual(
            event.last_error,
            f"Stripe tax rate {RATE_ID} (7 % exclusive, DE) has no mapping and no Odoo sales "
            f"tax has that rate. Map it in the Tax Mapping of backend {self.backend.name}, then "
            "replay the event.",
        )
        self.assertFalse(self.mappings())

    def test_a_state_rate_is_never_matched(self):
        self.describe_rate(country="US", state="CA", jurisdiction="US - CA")
        event = self.apply(localstripe_invoice())
        self.assertEqual(event.state, "failed")
        self.assertIn("is a rate of CA, which cannot be told apart by rate", event.last_error)
        self.assertFalse(self.mappings())

    def test_without_the_setting_the_rate_is_not_looked_up(self):
        self.backend.stripe_tax_match_by_rate = False
        event = self.apply(localstripe_invoice())
        self.assertEqual(event.state, "failed")
        self.assertIn(
            f"Stripe tax rate {RATE_ID} (line il_LsLine0001) has no Odoo tax", event.last_error
        )
        self.assertFalse(self.peer.requests)
