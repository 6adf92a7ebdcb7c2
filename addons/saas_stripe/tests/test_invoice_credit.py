"""Stripe invoices whose total is below zero or zero, and the customer credit balance Stripe
keeps from the former and spends on the next invoice.

The invoices are the recorded 2017-08-15 one and variants of it derived here: a downgrade
from Platinum to Gold (unused Platinum time credited, remaining Gold time charged, total
-35.70) and a trial (one line at zero), which no fixture holds.
"""

import copy
from datetime import date

from odoo.tests import tagged

from .common import fixture
from .common_accounting import LOCALSTRIPE_CUSTOMER, StripeAccountingCase
from .test_invoice import localstripe_invoice

DOWNGRADE_ID = "in_LsDowngrade0003"
NEXT_ID = "in_LsInv0002"


def downgrade_invoice():
    """The downgrade's invoice: -50.00 unused Platinum, +20.00 remaining Gold, 19 % VAT on
    both; Stripe finalizes and marks it paid at once (nothing is due) and keeps the 35.70 as
    the customer's credit balance."""
    event = localstripe_invoice("invoice.payment_succeeded", 1507000000, "paid")
    event["id"] = "evt_LsDowngradePaid"
    invoice = event["data"]["object"]
    unused_platinum, remaining_gold = (copy.deepcopy(invoice["lines"]["data"][i]) for i in (2, 1))
    unused_platinum.update(
        id="il_LsDownLine0001",
        invoice_item="ii_LsDown0001",
        description="Unused time on Platinum after 3 Oct 2017",
        amount=-5000,
        tax_amounts=[{"amount": -950, "inclusive": False, "tax_rate": "txr_LsVat19"}],
    )
    remaining_gold.update(
        id="il_LsDownLine0002",
        invoice_item="ii_LsDown0002",
        description="Remaining time on Gold after 3 Oct 2017",
        amount=2000,
        tax_amounts=[{"amount": 380, "inclusive": False, "tax_rate": "txr_LsVat19"}],
    )
    for line in (unused_platinum, remaining_gold):
        line.update(
            invoice=DOWNGRADE_ID, proration=True, period={"start": 1507000000, "end": 1509270400}
        )
    invoice.update(
        id=DOWNGRADE_ID,
        number="LS-0003",
        subtotal=-3000,
        tax=-570,
        total=-3570,
        amount_due=0,
        amount_paid=0,
        amount_remaining=0,
        starting_balance=0,
        ending_balance=-3570,
        charge=None,
        payment_intent=None,
        status_transitions={"finalized_at": 1507000000, "paid_at": 1507000000, "voided_at": None},
        lines={**invoice["lines"], "url": f"/v1/invoices/{DOWNGRADE_ID}/lines"},
    )
    invoice["lines"]["data"] = [unused_platinum, remaining_gold]
    return event


def next_invoice(credit_cents):
    """The recorded invoice of 77.35, paid after Stripe took ``credit_cents`` from the
    customer's credit balance: the card paid the rest."""
    event = localstripe_invoice("invoice.payment_succeeded", 1507100000, "paid")
    event["data"]["object"].update(
        starting_balance=-credit_cents,
        ending_balance=0,
        amount_due=7735 - credit_cents,
        amount_paid=7735 - credit_cents,
        amount_remaining=0,
    )
    return event


@tagged("post_install", "-at_install")
class TestStripeInvoiceCredit(StripeAccountingCase):
    def setUp(self):
        super().setUp()
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        self.partner = self.bound("res.partner", "cus_LsAda0001")

    def test_negative_invoice_is_a_credit_note_with_positive_amounts(self):
        event = self.apply(downgrade_invoice())
        self.assertEqual(event.state, "done", event.last_error)
        credit_note = self.bound("account.move", DOWNGRADE_ID)
        self.assertRecordValues(
            credit_note,
            [
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "partner_id": self.partner.id,
                    "currency_id": self.env.ref("base.EUR").id,
                    "ref": "LS-0003",
                    "invoice_date": date(2017, 10, 3),
                    "amount_untaxed": 30.00,
                    "amount_tax": 5.70,
                    "amount_total": 35.70,
                    # Stripe keeps the credit for the next invoices: it stays open here too.
                    "amount_residual": 35.70,
                    "payment_state": "not_paid",
                }
            ],
        )
        self.assertRecordValues(
            credit_note.invoice_line_ids.sorted("sequence"),
            [
                {
                    "name": "Unused time on Platinum after 3 Oct 2017",
                    "price_unit": 50.00,
                    "price_subtotal": 50.00,
                    "price_total": 59.50,
                    "tax_ids": self.vat_19.ids,
                    "saas_service_start": date(2017, 10, 3),
                    "saas_service_end": date(2017, 10, 28),
                    "saas_is_proration": True,
                    "saas_source_line_id": "il_LsDownLine0001",
                },
                {
                    "name": "Remaining time on Gold after 3 Oct 2017",
                    "price_unit": -20.00,
                    "price_subtotal": -20.00,
                    "price_total": -23.80,
                    "tax_ids": self.vat_19.ids,
                    "saas_service_start": date(2017, 10, 3),
                    "saas_service_end": date(2017, 10, 28),
                    "saas_is_proration": True,
                    "saas_source_line_id": "il_LsDownLine0002",
                },
            ],
        )
        # Nothing was paid: the paid event records no payment.
        self.assertFalse(
            self.env["account.payment"].search([("partner_id", "=", self.partner.id)])
        )

    def test_credit_balance_pays_the_next_invoice_with_the_card(self):
        self.apply(downgrade_invoice())
        event = self.apply(next_invoice(3570))
        self.assertEqual(event.state, "done", event.last_error)
        credit_note = self.bound("account.move", DOWNGRADE_ID)
        invoice = self.bound("account.move", NEXT_ID)
        self.assertRecordValues(
            credit_note + invoice,
            [
                {"amount_total": 35.70, "amount_residual": 0.0, "payment_state": "paid"},
                {"amount_total": 77.35, "amount_residual": 0.0, "payment_state": "paid"},
            ],
        )
        payment = self.env["account.payment"].search([("partner_id", "=", self.partner.id)])
        self.assertRecordValues(payment, [{"amount": 41.65, "state": "paid"}])
        # 35.70 of credit and 41.65 by card settle 77.35: nothing is left on the customer.
        self.assertAlmostEqual(self.partner.credit, 0.0)

    def test_credit_balance_larger_than_the_invoice_leaves_the_rest_open(self):
        self.apply(downgrade_invoice())
        # A 20.00 invoice paid entirely from the 35.70 credit: 15.70 stay for later.
        event = next_invoice(2000)
        event["data"]["object"]["lines"]["data"] = event["data"]["object"]["lines"]["data"][:1]
        event["data"]["object"]["lines"]["data"][0].update(
            amount=2000, tax_amounts=[{"amount": 0, "inclusive": False, "tax_rate": None}]
        )
        event["data"]["object"].update(
            subtotal=2000, tax=0, total=2000, amount_due=0, amount_paid=0
        )
        result = self.apply(event)
        self.assertEqual(result.state, "done", result.last_error)
        self.assertRecordValues(
            self.bound("account.move", DOWNGRADE_ID) + self.bound("account.move", NEXT_ID),
            [
                {"amount_residual": 15.70, "payment_state": "partial"},
                # Odoo's word for an invoice settled by a credit note alone.
                {"amount_residual": 0.0, "payment_state": "reversed"},
            ],
        )

    def test_credit_stripe_spent_that_odoo_lacks_is_left_due_and_noted(self):
        event = self.apply(next_invoice(3570))
        self.assertEqual(event.state, "done", event.last_error)
        invoice = self.bound("account.move", NEXT_ID)
        self.assertRecordValues(invoice, [{"amount_residual": 35.70, "payment_state": "partial"}])
        expected = (
            "Stripe paid 35.70 EUR of this invoice from the customer's credit balance, but only "
            "0.00 EUR of Stripe credit notes are open in Odoo"
        )
        self.assertTrue(invoice.message_ids.filtered(lambda message: expected in message.preview))

    def test_trial_invoice_at_zero_is_posted_with_its_period(self):
        event = localstripe_invoice("invoice.payment_succeeded", 1506678400, "paid")
        invoice = event["data"]["object"]
        trial = invoice["lines"]["data"][0]
        trial.update(description="Trial period for Platinum", amount=0)
        trial["tax_amounts"] = [{"amount": 0, "inclusive": False, "tax_rate": "txr_LsVat19"}]
        invoice["lines"]["data"] = [trial]
        invoice.update(
            subtotal=0,
            tax=0,
            total=0,
            amount_due=0,
            amount_paid=0,
            amount_remaining=0,
            charge=None,
            payment_intent=None,
        )
        result = self.apply(event)
        self.assertEqual(result.state, "done", result.last_error)
        move = self.bound("account.move", NEXT_ID)
        self.assertRecordValues(
            move,
            [
                {
                    "move_type": "out_invoice",
                    "state": "posted",
                    "amount_total": 0.0,
                    "amount_residual": 0.0,
                    "payment_state": "paid",
                }
            ],
        )
        self.assertRecordValues(
            move.invoice_line_ids,
            [
                {
                    "name": "Trial period for Platinum",
                    "price_subtotal": 0.0,
                    "saas_service_start": date(2017, 9, 29),
                    "saas_service_end": date(2017, 10, 28),
                }
            ],
        )
        self.assertFalse(
            self.env["account.payment"].search([("partner_id", "=", self.partner.id)])
        )
