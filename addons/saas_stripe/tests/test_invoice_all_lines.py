"""An invoice event embeds the first lines only (``lines.has_more``): the import lists all of
the invoice's lines through the Stripe API, page by page, before it writes anything.

The invoice is the recorded 2017-08-15 one with nine seat lines added (twelve in all, the
event carrying the first ten, as Stripe does). Stripe's API is played over HTTP by
``stripe_api_peer``: localstripe lists invoice lines too, but it rejects ``starting_after``
on that route, so it cannot serve the second page a long invoice needs, nor a 429.
"""

import copy
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import fixture
from .common_accounting import LOCALSTRIPE_CUSTOMER, StripeAccountingCase
from .stripe_api_peer import error_body, start_api_peer
from .test_invoice import localstripe_invoice

INVOICE_ID = "in_LsInv0002"
LINES_PATH = f"/v1/invoices/{INVOICE_ID}/lines"
PAGE_SIZE = 5


def long_invoice_event():
    """The recorded invoice with nine seat lines of 1.00 + 19 % VAT each: 74.00 untaxed,
    14.06 VAT, 88.06 in all. Returns the event (first ten lines, ``has_more``) and all twelve
    lines as the API lists them."""
    event = localstripe_invoice()
    invoice = event["data"]["object"]
    recorded = invoice["lines"]["data"]
    seat = recorded[1]
    lines = list(recorded)
    for number in range(1, 10):
        line = copy.deepcopy(seat)
        line.update(
            {
                "id": f"il_LsSeat{number:04d}",
                "invoice_item": f"ii_LsSeat{number:04d}",
                "description": f"Extra seat {number}",
                "amount": 100,
                "proration": False,
                "tax_amounts": [{"amount": 19, "inclusive": False, "tax_rate": "txr_LsVat19"}],
            }
        )
        lines.append(line)
    invoice["lines"] = {**invoice["lines"], "data": lines[:10], "has_more": True}
    invoice.update(subtotal=7400, tax=1406, total=8806, amount_due=8806, amount_remaining=8806)
    return event, lines


def pages_of(lines):
    """Stripe's list endpoint over ``lines``: pages of PAGE_SIZE after ``starting_after``."""

    def answer(query):
        ids = [line["id"] for line in lines]
        start = ids.index(query["starting_after"]) + 1 if "starting_after" in query else 0
        page = lines[start : start + PAGE_SIZE]
        return 200, {
            "object": "list",
            "url": LINES_PATH,
            "has_more": start + PAGE_SIZE < len(lines),
            "data": page,
        }

    return answer


@tagged("post_install", "-at_install")
class TestStripeInvoiceAllLines(StripeAccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = start_api_peer(cls, cls.backend)

    def setUp(self):
        super().setUp()
        self.peer.requests.clear()
        self.event, self.lines = long_invoice_event()
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))

    def test_lines_beyond_the_event_are_listed_and_the_invoice_ties(self):
        self.peer.answers[LINES_PATH] = pages_of(self.lines)
        event = self.apply(self.event)
        self.assertEqual(event.state, "done", event.last_error)
        move = self.bound("account.move", INVOICE_ID)
        self.assertRecordValues(
            move,
            [
                {
                    "state": "posted",
                    "amount_untaxed": 74.00,
                    "amount_tax": 14.06,
                    "amount_total": 88.06,
                }
            ],
        )
        self.assertEqual(
            move.invoice_line_ids.sorted("sequence").mapped("saas_source_line_id"),
            [line["id"] for line in self.lines],
        )
        self.assertRecordValues(
            self.bound("account.move.line", "il_LsSeat0009"),
            [{"name": "Extra seat 9", "price_subtotal": 1.00, "tax_ids": self.vat_19.ids}],
        )
        # Three pages of five, each asked after the last line of the one before.
        self.assertEqual(
            [query.get("starting_after") for path, query in self.peer.requests],
            [None, "il_LsSeat0002", "il_LsSeat0007"],
        )

    def test_stripe_busy_makes_the_event_retry_with_nothing_written(self):
        start = datetime(2026, 1, 5, 9, 0, 0)
        self.answer_error(429, "rate_limit_error")
        with freeze_time(start):
            event = self.apply(self.event)
        self.assert_retried_with_nothing_written(event, attempts=1)
        self.answer_error(503, "api_error")
        with freeze_time(start + timedelta(days=1)):
            self.run_jobs()
        self.assert_retried_with_nothing_written(event, attempts=2)
        self.peer.answers[LINES_PATH] = pages_of(self.lines)
        with freeze_time(start + timedelta(days=2)):
            self.run_jobs()
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(self.bound("account.move", INVOICE_ID).amount_total, 88.06)

    def answer_error(self, status, error_type):
        self.peer.answers[LINES_PATH] = lambda query: (
            status,
            error_body(error_type, f"Stripe answered {status}"),
        )

    def assert_retried_with_nothing_written(self, event, attempts):
        self.assertRecordValues(event, [{"state": "queued", "attempts": attempts}])
        self.assertIn("Stripe answered", event.last_error)
        self.assertFalse(self.bound("account.move", INVOICE_ID))
        self.assertFalse(self.bound("account.move.line", "il_LsLine0001"))

    def test_an_invoice_stripe_does_not_know_fails_with_its_answer(self):
        event = self.apply(self.event)
        self.assertEqual(event.state, "failed")
        self.assertEqual(
            event.last_error,
            f"Stripe did not list the lines of invoice {INVOICE_ID}: No such object",
        )
        self.assertFalse(self.bound("account.move", INVOICE_ID))

    def test_without_an_api_key_the_event_fails_asking_for_one(self):
        self.backend.env["saas.secret"].sudo().search(
            [("backend_id", "=", self.backend.id), ("purpose", "=", "api_key")]
        ).unlink()
        event = self.apply(self.event)
        self.assertEqual(event.state, "failed")
        self.assertEqual(
            event.last_error, f"Set the Stripe secret key of {self.backend.name} first."
        )
        self.assertFalse(self.peer.requests)
