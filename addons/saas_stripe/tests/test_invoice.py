"""Finalized Stripe invoices of several API versions become posted customer invoices that tie
to Stripe's amounts to the currency's unit, or their event fails with nothing written."""

from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import fixture, variant
from .common_accounting import (
    LOCALSTRIPE_CUSTOMER,
    LOCALSTRIPE_INVOICE_PAID,
    ZULIP_CUSTOMER,
    ZULIP_CUSTOMER_ID,
    ZULIP_INVOICE_EVENTS,
    ZULIP_INVOICE_ID,
    StripeAccountingCase,
    in_currency,
    zulip_event,
)

SYNC_ENGINE_FINALIZED = "stripe-sync-engine/invoice_finalized.json"
SYNC_ENGINE_PAID = "stripe-sync-engine/invoice_paid.json"
SYNC_ENGINE_VOIDED = "stripe-sync-engine/invoice_voided.json"
SYNC_ENGINE_DRAFT = "stripe-sync-engine/invoice_updated.json"
PAY_PAYMENT_FAILED = "pay/invoice.payment_failed.json"


def localstripe_invoice(event_type="invoice.finalized", created=1506678400, status="open"):
    """An event of the 2017-08-15 invoice: the fixture holds only its
    ``invoice.payment_succeeded``, so its other events are derived from it, unpaid."""
    return variant(
        fixture(LOCALSTRIPE_INVOICE_PAID),
        event_id=f"evt_Ls_{event_type}",
        created=created,
        event_type=event_type,
        status=status,
        amount_paid=0,
        amount_remaining=7735,
    )


@tagged("post_install", "-at_install")
class TestStripeInvoice(StripeAccountingCase):
    def test_2017_08_15_invoice_with_prorations_and_vat_ties_line_by_line(self):
        # Service dates are days in the company's time zone: in Tokyo the upgrade of
        # 2017-09-13 21:46:40 UTC happened on the 14th.
        self.company.partner_id.tz = "Asia/Tokyo"
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        event = self.apply(localstripe_invoice())
        move = self.bound("account.move", "in_LsInv0002")
        self.assertEqual(event.state, "done", event.last_error)
        self.assertRecordValues(
            move,
            [
                {
                    "move_type": "out_invoice",
                    "state": "posted",
                    "partner_id": self.bound("res.partner", "cus_LsAda0001").id,
                    "currency_id": self.env.ref("base.EUR").id,
                    "journal_id": self.company_data["default_journal_sale"].id,
                    "invoice_date": date(2017, 9, 29),
                    "invoice_date_due": date(2017, 9, 29),
                    "invoice_origin": "sub_LsSub0001",
                    "amount_untaxed": 65.00,
                    "amount_tax": 12.35,
                    "amount_total": 77.35,
                    "payment_state": "not_paid",
                }
            ],
        )
        platinum = self.bound("product.template", "prod_LsPlatinum0001").product_variant_id
        gold = self.bound("product.template", "prod_LsGold0001").product_variant_id
        self.assertRecordValues(
            move.invoice_line_ids.sorted("sequence"),
            [
                {
                    "name": "Platinum",
                    "product_id": platinum.id,
                    "quantity": 1,
                    "price_unit": 50.00,
                    "discount": 0,
                    "price_subtotal": 50.00,
                    "price_total": 59.50,
                    "tax_ids": self.vat_19.ids,
                    "saas_service_start": date(2017, 9, 29),
                    "saas_service_end": date(2017, 10, 28),
                    "saas_is_proration": False,
                    "saas_source_line_id": "il_LsLine0001",
                },
                {
                    "name": "Unused time on Gold after 13 Sep 2017",
                    "product_id": gold.id,
                    "quantity": 1,
                    "price_unit": -10.00,
                    "discount": 0,
                    "price_subtotal": -10.00,
                    "price_total": -11.90,
                    "tax_ids": self.vat_19.ids,
                    "saas_service_start": date(2017, 9, 14),
                    "saas_service_end": date(2017, 9, 28),
                    "saas_is_proration": True,
                    "saas_source_line_id": "il_LsLine0002",
                },
                {
                    "name": "Remaining time on Platinum after 13 Sep 2017",
                    "product_id": platinum.id,
                    "quantity": 1,
                    "price_unit": 25.00,
                    "discount": 0,
                    "price_subtotal": 25.00,
                    "price_total": 29.75,
                    "tax_ids": self.vat_19.ids,
                    "saas_service_start": date(2017, 9, 14),
                    "saas_service_end": date(2017, 9, 28),
                    "saas_is_proration": True,
                    "saas_source_line_id": "il_LsLine0003",
                },
            ],
        )
        self.assertEqual(
            self.bound("account.move.line", "il_LsLine0002"),
            move.invoice_line_ids.filtered(lambda line: line.price_unit == -10),
        )
        self.assertIn(("account.move", move.id), event.record_ids.mapped(_reference))

    def test_2020_03_02_finalized_free_tier_invoice_posts_at_zero(self):
        self.customer("cus_J7Mkgr8mvbl1eK")
        event = self.apply(fixture(SYNC_ENGINE_FINALIZED))
        move = self.bound("account.move", "in_1KJdKkJDPojXS6LNSwSWkZSN")
        self.assertEqual(event.state, "done", event.last_error)
        self.assertRecordValues(
            move,
            [
                {
                    "state": "posted",
                    "ref": "B1AB464C-0181",
                    "currency_id": self.env.ref("base.USD").id,
                    "invoice_date": date(2022, 1, 19),
                    "amount_total": 0.0,
                }
            ],
        )
        self.assertRecordValues(
            move.invoice_line_ids,
            [
                {
                    "name": "1 \u00d7 Free tier (at $0.00 / month)",
                    "product_id": self.bound(
                        "product.template", "prod_Ip4vqwv3EJ7Mi0"
                    ).product_variant_id.id,
                    "quantity": 1,
                    "price_unit": 0.0,
                    "tax_ids": [],
                    # 2022-01-19 12:30:28 to 2022-02-19 12:30:28 UTC: the 19th is the next
                    # period's first day.
                    "saas_service_start": date(2022, 1, 19),
                    "saas_service_end": date(2022, 2, 18),
                    "saas_source_line_id": "il_1KJdKkJDPojXS6LN2lyAeJz1",
                }
            ],
        )

    def test_draft_invoice_creates_nothing(self):
        self.customer("cus_JVhbiWW9p3F6wq")
        event = self.apply(fixture(SYNC_ENGINE_DRAFT))
        self.assertEqual(event.state, "done")
        self.assertFalse(self.bound("account.move", "in_1KJrLsJDPojXS6LN8xJ2QLQt"))
        self.assertFalse(event.record_ids)

    def test_2025_11_17_clover_paid_invoice_is_imported_with_quantity_and_unit_price(self):
        self.apply(fixture(ZULIP_CUSTOMER)["data"][0])
        event = self.apply(zulip_event(ZULIP_INVOICE_EVENTS, "invoice.paid"))
        move = self.bound("account.move", ZULIP_INVOICE_ID)
        self.assertEqual(event.state, "done", event.last_error)
        self.assertRecordValues(
            move,
            [
                {
                    "partner_id": self.bound("res.partner", ZULIP_CUSTOMER_ID).id,
                    "ref": "NORMALIZED",
                    "invoice_date": date(2001, 9, 9),
                    "amount_untaxed": 480.00,
                    "amount_tax": 0.0,
                    "amount_total": 480.00,
                }
            ],
        )
        self.assertRecordValues(
            move.invoice_line_ids,
            [
                {
                    "name": "Zulip Cloud Standard",
                    "quantity": 6,
                    "price_unit": 80.00,
                    "price_subtotal": 480.00,
                    "saas_service_start": date(2012, 1, 2),
                    "saas_service_end": date(2013, 1, 1),
                    "saas_is_proration": False,
                    "saas_source_line_id": ZULIP_INVOICE_ID,
                }
            ],
        )

    def test_later_events_of_an_imported_invoice_do_not_import_it_again(self):
        self.apply(fixture(ZULIP_CUSTOMER)["data"][0])
        self.apply(
            zulip_event(ZULIP_INVOICE_EVENTS, "invoice.payment_succeeded"),
            zulip_event(ZULIP_INVOICE_EVENTS, "invoice.paid"),
            zulip_event(ZULIP_INVOICE_EVENTS, "invoice.updated"),
        )
        partner = self.bound("res.partner", ZULIP_CUSTOMER_ID)
        invoices = self.env["account.move"].search(
            [("partner_id", "=", partner.id), ("move_type", "=", "out_invoice")]
        )
        self.assertEqual(len(invoices), 1)

    def test_discount_exact_as_percentage_is_a_percentage(self):
        self.apply(fixture(ZULIP_CUSTOMER)["data"][0])
        move = self._zulip_invoice_with_discount(4800)
        self.assertRecordValues(
            move.invoice_line_ids,
            [{"quantity": 6, "price_unit": 80.00, "discount": 10.0, "price_subtotal": 432.00}],
        )
        self.assertEqual(move.amount_total, 432.00)

    def test_discount_not_exact_as_percentage_goes_into_the_unit_price(self):
        # 10.00 off 480.00 is 2.0833… %, and 470.00 / 6 is not a price to the cent either.
        self.apply(fixture(ZULIP_CUSTOMER)["data"][0])
        move = self._zulip_invoice_with_discount(1000)
        self.assertRecordValues(
            move.invoice_line_ids,
            [{"quantity": 1, "price_unit": 470.00, "discount": 0.0, "price_subtotal": 470.00}],
        )
        self.assertEqual(move.amount_total, 470.00)

    def _zulip_invoice_with_discount(self, discount):
        """The Zulip invoice with a coupon of ``discount`` cents, which no fixture holds."""
        event = zulip_event(ZULIP_INVOICE_EVENTS, "invoice.paid")
        invoice = event["data"]["object"]
        amounts = [{"amount": discount, "discount": "di_test"}]
        invoice["total_discount_amounts"] = amounts
        invoice["lines"]["data"][0]["discount_amounts"] = amounts
        for key in ("total", "amount_due", "amount_paid"):
            invoice[key] -= discount
        result = self.apply(event)
        self.assertEqual(result.state, "done", result.last_error)
        return self.bound("account.move", ZULIP_INVOICE_ID)

    def test_line_without_product_keeps_its_description(self):
        self.apply(fixture(ZULIP_CUSTOMER)["data"][0])
        event = zulip_event(ZULIP_INVOICE_EVENTS, "invoice.paid")
        event["data"]["object"]["lines"]["data"][0]["pricing"] = None
        self.apply(event)
        line = self.bound("account.move", ZULIP_INVOICE_ID).invoice_line_ids
        self.assertRecordValues(
            line, [{"product_id": False, "name": "Zulip Cloud Standard", "price_total": 480.0}]
        )

    def test_jpy_invoice_ties_to_the_yen(self):
        self.apply(fixture(ZULIP_CUSTOMER)["data"][0])
        event = self.apply(in_currency(zulip_event(ZULIP_INVOICE_EVENTS, "invoice.paid"), "jpy"))
        move = self.bound("account.move", ZULIP_INVOICE_ID)
        self.assertEqual(event.state, "done", event.last_error)
        self.assertRecordValues(
            move,
            [
                {
                    "currency_id": self.env.ref("base.JPY").id,
                    "amount_untaxed": 48000,
                    "amount_total": 48000,
                }
            ],
        )
        self.assertRecordValues(move.invoice_line_ids, [{"quantity": 6, "price_unit": 8000}])

    def test_bhd_invoice_ties_to_the_fils(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        event = self.apply(in_currency(localstripe_invoice(), "bhd"))
        move = self.bound("account.move", "in_LsInv0002")
        self.assertEqual(event.state, "done", event.last_error)
        self.assertRecordValues(
            move,
            [
                {
                    "currency_id": self.env.ref("base.BHD").id,
                    "amount_untaxed": 6.500,
                    "amount_tax": 1.235,
                    "amount_total": 7.735,
                }
            ],
        )
        self.assertEqual(
            move.invoice_line_ids.sorted("sequence").mapped("price_total"), [5.950, -1.190, 2.975]
        )

    def test_unmapped_tax_rate_fails_the_event_and_writes_nothing(self):
        self.tax_map.unlink()
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        event = self.apply(localstripe_invoice())
        self.assertEqual(event.state, "failed")
        self.assertEqual(
            event.last_error,
            "Stripe tax rate txr_LsVat19 (line il_LsLine0001) has no Odoo tax. Map it in the "
            f"Tax Mapping of backend {self.backend.name}, then replay the event.",
        )
        self.assertFalse(self.bound("account.move", "in_LsInv0002"))
        partner = self.bound("res.partner", "cus_LsAda0001")
        self.assertFalse(self.env["account.move"].search([("partner_id", "=", partner.id)]))

    def test_amounts_that_do_not_tie_fail_with_both_figures_and_roll_back(self):
        self.tax_map.tax_id = self.vat_19.copy({"name": "VAT 20%", "amount": 20})
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        event = self.apply(localstripe_invoice())
        self.assertEqual(event.state, "failed")
        self.assertEqual(
            event.last_error,
            "Invoice in_LsInv0002 does not tie to Stripe (EUR): tax 13.00 in Odoo, 12.35 in "
            "Stripe; total 78.00 in Odoo, 77.35 in Stripe. Check the tax mapping and the "
            "decimal accuracy.",
        )
        partner = self.bound("res.partner", "cus_LsAda0001")
        self.assertFalse(self.env["account.move"].search([("partner_id", "=", partner.id)]))
        self.assertFalse(self.bound("account.move.line", "il_LsLine0001"))

    def test_inclusive_stripe_rate_on_an_exclusive_odoo_tax_fails(self):
        event = localstripe_invoice()
        for line in event["data"]["object"]["lines"]["data"]:
            line["tax_amounts"][0]["inclusive"] = True
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        result = self.apply(event)
        self.assertEqual(result.state, "failed")
        self.assertIn("txr_LsVat19 is included in the price", result.last_error)

    def test_inactive_currency_fails_with_a_clear_message(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        event = self.apply(in_currency(localstripe_invoice(), "kwd"))
        self.assertEqual(event.state, "failed")
        self.assertEqual(
            event.last_error,
            "Currency KWD is not active. Activate it (with its rates) in the Accounting "
            "settings, then replay the event.",
        )

    def test_invoice_before_its_customer_is_retried_then_imported(self):
        start = datetime(2026, 1, 5, 9, 0, 0)
        with freeze_time(start):
            event = self.apply(localstripe_invoice())
            self.assertEqual(event.state, "queued")
            self.assertEqual(
                event.last_error,
                "Customer cus_LsAda0001 of invoice in_LsInv0002 is not imported yet.",
            )
            self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        with freeze_time(start + timedelta(minutes=5)):
            self.run_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(self.bound("account.move", "in_LsInv0002").amount_total, 77.35)

    def test_voided_invoice_is_cancelled(self):
        self.customer("cus_JsuO3bmrj0QlAw")
        self.apply(fixture(SYNC_ENGINE_PAID))
        move = self.bound("account.move", "in_1KJqKBJDPojXS6LNJbvLUgEy")
        self.assertEqual(move.state, "posted")
        # The recorded invoice.voided reuses the invoice.paid event's id and second: redelivered
        # as is, intake would take it for the same delivery, and in the same second it would
        # not replace a payment (both end an invoice's lifecycle).
        voided = fixture(SYNC_ENGINE_VOIDED)
        event = self.apply(
            variant(voided, event_id="evt_sync_voided", created=voided["created"] + 60)
        )
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(move.state, "cancel")

    def test_voided_invoice_in_a_locked_period_is_reversed(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        self.apply(localstripe_invoice())
        move = self.bound("account.move", "in_LsInv0002")
        self.company.fiscalyear_lock_date = date(2017, 12, 31)
        event = self.apply(localstripe_invoice("invoice.voided", 1518000000, "void"))
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.payment_state, "reversed")
        reversal = move.reversal_move_ids
        self.assertRecordValues(
            reversal,
            [{"move_type": "out_refund", "state": "posted", "amount_total": 77.35}],
        )
        self.assertGreater(reversal.date, date(2017, 12, 31))

    def test_uncollectible_invoice_stays_open_by_default(self):
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        self.apply(localstripe_invoice())
        event = self.apply(self._marked_uncollectible())
        move = self.bound("account.move", "in_LsInv0002")
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(move.payment_state, "not_paid")
        self.assertEqual(move.amount_residual, 77.35)

    def test_uncollectible_invoice_is_written_off_when_the_policy_says(self):
        writeoff = self.company_data["default_account_expense"]
        self.backend.write(
            {"stripe_uncollectible_policy": "write_off", "stripe_writeoff_account_id": writeoff.id}
        )
        self.apply(fixture(LOCALSTRIPE_CUSTOMER))
        self.apply(localstripe_invoice())
        event = self.apply(self._marked_uncollectible())
        move = self.bound("account.move", "in_LsInv0002")
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(move.amount_residual, 0.0)
        entry = event.record_ids.filtered(
            lambda record: record.res_model == "account.move" and record.res_id != move.id
        )
        written_off = self.env["account.move"].browse(entry.res_id)
        self.assertRecordValues(
            written_off.line_ids.filtered(lambda line: line.account_id == writeoff),
            [{"amount_currency": 77.35, "currency_id": self.env.ref("base.EUR").id}],
        )

    def _marked_uncollectible(self):
        return localstripe_invoice("invoice.marked_uncollectible", 1509000000, "uncollectible")

    def test_payment_failed_flags_the_invoice_for_finance(self):
        # pay-rails keeps only the event's data section: the envelope is built around it.
        self.customer("cus_1234")
        self.backend.responsible_id = self.env.user
        event = self.apply(
            {
                "id": "evt_pay_payment_failed",
                "object": "event",
                "type": "invoice.payment_failed",
                "created": 1745433906,
                "livemode": False,
                "data": fixture(PAY_PAYMENT_FAILED),
            }
        )
        move = self.bound("account.move", "in_1234")
        self.assertEqual(event.state, "done", event.last_error)
        self.assertRecordValues(
            move,
            [
                {
                    "state": "posted",
                    "amount_total": 249.00,
                    "stripe_payment_failed": True,
                    "stripe_payment_failure": "Stripe could not collect 249.00 USD on 2025-04-23.",
                }
            ],
        )
        self.assertEqual(move.activity_ids.user_id, self.env.user)
        self.assertEqual(move.activity_ids.summary, "Stripe payment failed")


def _reference(record):
    return (record.res_model, record.res_id)
