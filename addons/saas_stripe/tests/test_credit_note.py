"""A Stripe credit note becomes a posted Odoo credit note of the invoice it credits, line by
line and to the cent, settled where Stripe put the credit."""

import copy
from datetime import date

from odoo.tests import tagged

from .common import fixture, variant
from .common_accounting import LOCALSTRIPE_CUSTOMER, LOCALSTRIPE_INVOICE_PAID, StripeAccountingCase
from .stripe_api_peer import error_body, start_api_peer
from .test_invoice import localstripe_invoice

SYNC_ENGINE_CREDIT_NOTE = "stripe-sync-engine/credit_note_created.json"
SYNC_ENGINE_CREDIT_NOTE_VOIDED = "stripe-sync-engine/credit_note_voided.json"

# The lines of the 2017-08-15 invoice (77.35 EUR): (line id, amount, 19 % VAT) in cents.
PLATINUM = ("il_LsLine0001", 5000, 950)
UNUSED_GOLD = ("il_LsLine0002", -1000, -190)
REMAINING_PLATINUM = ("il_LsLine0003", 2500, 475)


def credit_note_event(lines, event_id="evt_cn_created", source=SYNC_ENGINE_CREDIT_NOTE, **changes):
    """The 2020-03-02 credit note of stripe-sync-engine, crediting the 2017-08-15 invoice: its
    one line repeated for each ``(invoice line id, amount, tax)`` with that invoice line, its
    amounts and the invoice's VAT rate, and its totals summed from them."""
    event = variant(fixture(source), event_id=event_id)
    credit_note = event["data"]["object"]
    template = credit_note["lines"]["data"][0]
    credit_note["lines"]["data"] = [
        {
            **copy.deepcopy(template),
            "id": f"cnli_Ls{sequence}",
            "invoice_line_item": line_id,
            "amount": amount,
            "amount_excluding_tax": amount,
            "unit_amount": amount,
            "unit_amount_decimal": str(amount),
            "unit_amount_excluding_tax": str(amount),
            "description": None,
            "tax_amounts": [{"amount": tax, "inclusive": False, "tax_rate": "txr_LsVat19"}],
        }
        for sequence, (line_id, amount, tax) in enumerate(lines, start=1)
    ]
    subtotal = sum(amount for _line_id, amount, _tax in lines)
    tax = sum(tax for _line_id, _amount, tax in lines)
    credit_note.update(
        currency="eur",
        customer="cus_LsAda0001",
        invoice="in_LsInv0002",
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal,
        tax_amounts=[{"amount": tax, "inclusive": False, "tax_rate": "txr_LsVat19"}],
        total=subtotal + tax,
        total_excluding_tax=subtotal,
        amount=subtotal + tax,
    )
    credit_note.update(changes)
    return event


@tagged("post_install", "-at_install")
class TestStripeCreditNote(StripeAccountingCase):
    def setUp(self):
        super().setUp()
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))

    def open_invoice(self):
        self.apply(localstripe_invoice())
        return self.bound("account.move", "in_LsInv0002")

    def paid_invoice(self):
        self.apply(fixture(LOCALSTRIPE_INVOICE_PAID))
        return self.bound("account.move", "in_LsInv0002")

    def test_full_credit_note_of_an_open_invoice_reverses_it(self):
        invoice = self.open_invoice()
        event = self.apply(credit_note_event([PLATINUM, UNUSED_GOLD, REMAINING_PLATINUM]))
        self.assertEqual(event.state, "done", event.last_error)
        credit_note = self.bound("account.move", "cn_1MxvRqLkdIwHu7ixY0xbUcxk")
        self.assertRecordValues(
            credit_note,
            [
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "reversed_entry_id": invoice.id,
                    "partner_id": invoice.partner_id.id,
                    "currency_id": self.env.ref("base.EUR").id,
                    "ref": "C9E0C52C-0036-CN-01",
                    # Created 2023-04-17 17:42:38 UTC.
                    "invoice_date": date(2023, 4, 17),
                    "amount_untaxed": 65.0,
                    "amount_tax": 12.35,
                    "amount_total": 77.35,
                    "amount_residual": 0.0,
                }
            ],
        )
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(
            credit_note.invoice_line_ids.mapped("price_subtotal"), [50.0, -10.0, 25.0]
        )
        self.assertEqual(
            self.bound("account.move.line", "cnli_Ls2"),
            credit_note.invoice_line_ids.filtered(lambda line: line.price_unit == -10),
        )

    def test_partial_credit_note_of_one_line_carries_its_service_period(self):
        invoice = self.open_invoice()
        event = self.apply(credit_note_event([REMAINING_PLATINUM]))
        self.assertEqual(event.state, "done", event.last_error)
        credit_note = self.bound("account.move", "cn_1MxvRqLkdIwHu7ixY0xbUcxk")
        credited = self.bound("account.move.line", "il_LsLine0003")
        self.assertRecordValues(
            credit_note.invoice_line_ids,
            [
                {
                    "product_id": credited.product_id.id,
                    "name": credited.name,
                    "quantity": 1,
                    "price_unit": 25.0,
                    "tax_ids": self.vat_19.ids,
                    # 2017-09-13 21:46:40 to 2017-09-29 09:46:40 UTC, as on the invoice.
                    "saas_service_start": date(2017, 9, 13),
                    "saas_service_end": date(2017, 9, 28),
                    "saas_is_proration": True,
                    "saas_source_line_id": "cnli_Ls1",
                }
            ],
        )
        self.assertEqual(credit_note.amount_total, 29.75)
        # 77.35 billed, 29.75 credited.
        self.assertEqual(invoice.amount_residual, 47.6)
        self.assertEqual(credit_note.amount_residual, 0.0)

    def test_credit_note_to_the_customer_balance_stays_open_as_credit(self):
        invoice = self.paid_invoice()
        event = self.apply(
            credit_note_event(
                [PLATINUM],
                type="post_payment",
                customer_balance_transaction="cbtxn_LsCredit0001",
            )
        )
        self.assertEqual(event.state, "done", event.last_error)
        credit_note = self.bound("account.move", "cn_1MxvRqLkdIwHu7ixY0xbUcxk")
        self.assertRecordValues(
            credit_note,
            [{"state": "posted", "amount_total": 59.5, "amount_residual": 59.5}],
        )
        self.assertEqual(invoice.amount_residual, 0.0)

    def test_replayed_credit_note_event_imports_nothing_twice(self):
        self.open_invoice()
        event = self.apply(credit_note_event([PLATINUM]))
        event.action_replay()
        self.run_jobs()
        updated = credit_note_event([PLATINUM], event_id="evt_cn_updated")
        updated["type"] = "credit_note.updated"
        self.apply(updated)
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(
            self.env["account.move"].search_count([("move_type", "=", "out_refund")]), 1
        )

    def test_credit_note_that_does_not_tie_fails_and_writes_nothing(self):
        self.open_invoice()
        event = self.apply(credit_note_event([PLATINUM], total=5951, amount=5951))
        self.assertEqual(event.state, "failed")
        self.assertIn("total 59.50 in Odoo, 59.51 in Stripe", event.last_error)
        self.assertFalse(self.env["account.move"].search([("move_type", "=", "out_refund")]))
        self.assertFalse(self.bound("account.move.line", "cnli_Ls1"))

    def test_credit_note_before_its_invoice_is_retried(self):
        event = self.apply(credit_note_event([PLATINUM]))
        self.assertEqual(event.state, "queued")
        self.assertEqual(
            event.last_error,
            "Invoice in_LsInv0002 credited by cn_1MxvRqLkdIwHu7ixY0xbUcxk is not imported yet.",
        )

    def test_voided_credit_note_is_cancelled_and_the_invoice_open_again(self):
        invoice = self.open_invoice()
        self.apply(credit_note_event([PLATINUM]))
        credit_note = self.bound("account.move", "cn_1MxvRqLkdIwHu7ixY0xbUcxk")
        self.assertEqual(invoice.amount_residual, 17.85)
        event = self.apply(
            credit_note_event(
                [PLATINUM],
                event_id="evt_cn_voided",
                source=SYNC_ENGINE_CREDIT_NOTE_VOIDED,
                status="void",
            )
        )
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(credit_note.state, "cancel")
        self.assertEqual(invoice.amount_residual, 77.35)

    def test_voided_credit_note_in_a_locked_period_is_reversed(self):
        invoice = self.open_invoice()
        self.apply(credit_note_event([PLATINUM]))
        credit_note = self.bound("account.move", "cn_1MxvRqLkdIwHu7ixY0xbUcxk")
        self.company.fiscalyear_lock_date = date(2023, 12, 31)
        event = self.apply(
            credit_note_event(
                [PLATINUM], event_id="evt_cn_voided", source=SYNC_ENGINE_CREDIT_NOTE_VOIDED
            )
        )
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(credit_note.state, "posted")
        self.assertRecordValues(
            credit_note.reversal_move_ids,
            [{"move_type": "out_invoice", "state": "posted", "amount_total": 59.5}],
        )
        # The reversal settles the credit note, so the invoice is owed in full again.
        self.assertEqual(credit_note.amount_residual, 0.0)
        self.assertEqual(invoice.amount_residual, 77.35)


@tagged("post_install", "-at_install")
class TestStripeCreditNoteAllLines(StripeAccountingCase):
    """A credit note event embeds its first lines only (``lines.has_more``): the import lists
    the others through the API before writing anything. Stripe's API is played over HTTP by
    ``stripe_api_peer`` (localstripe has no credit notes)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_api_peer(cls, cls.backend)

    def test_lines_beyond_the_event_are_listed_and_the_credit_note_ties(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        self.apply(localstripe_invoice())
        event = credit_note_event([PLATINUM, UNUSED_GOLD, REMAINING_PLATINUM])
        credit_note = event["data"]["object"]
        lines = credit_note["lines"]["data"]
        credit_note["lines"] = {**credit_note["lines"], "data": lines[:1], "has_more": True}
        path = f"/v1/credit_notes/{credit_note['id']}/lines"
        self.peer.answers[path] = lambda query: (
            200,
            {"object": "list", "url": path, "has_more": False, "data": lines},
        )
        event = self.apply(event)
        self.assertEqual(event.state, "done", event.last_error)
        move = self.bound("account.move", credit_note["id"])
        self.assertRecordValues(move, [{"state": "posted", "amount_total": 77.35}])
        self.assertEqual(move.invoice_line_ids.mapped("price_subtotal"), [50.0, -10.0, 25.0])

    def test_credit_note_stripe_cannot_list_fails_with_nothing_written(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        self.apply(localstripe_invoice())
        event = credit_note_event([PLATINUM, UNUSED_GOLD])
        credit_note = event["data"]["object"]
        credit_note["lines"] = {**credit_note["lines"], "has_more": True}
        path = f"/v1/credit_notes/{credit_note['id']}/lines"
        self.peer.answers[path] = lambda query: (
            404,
            error_body("invalid_request_error", "No such credit note"),
        )
        event = self.apply(event)
        self.assertEqual(event.state, "failed")
        self.assertEqual(
            event.last_error,
            f"Stripe did not list the lines of credit note {credit_note['id']}: "
            "No such credit note",
        )
        self.assertFalse(self.bound("account.move", credit_note["id"]))
