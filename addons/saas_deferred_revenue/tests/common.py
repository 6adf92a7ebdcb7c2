"""A company set up for deferred revenue on the generic chart of accounts, with deferrable
subscription products, and helpers to bill them."""

from datetime import date, timedelta

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.saas_connector_base.lib.money import to_minor_units
from odoo.fields import Command
from odoo.tools import date_utils

YEAR_2025 = {"start": "2025-01-01", "end": "2025-12-31"}
SECOND_HALF_2025 = {"start": "2025-07-01", "end": "2025-12-31"}


class DeferredRevenueCase(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.currency_code = cls.company_data["currency"].name
        cls.deferred_account = cls.env["account.account"].create(
            {"name": "Deferred Revenue", "code": "289100", "account_type": "liability_current"}
        )
        cls.recognition_journal = cls.company_data["default_journal_misc"]
        cls.company.write(
            {
                "saas_deferred_revenue_account_id": cls.deferred_account.id,
                "saas_revenue_journal_id": cls.recognition_journal.id,
                "saas_revenue_basis": "months",
            }
        )
        cls.income_plans = cls.company_data["default_account_revenue"]
        cls.income_support = cls.copy_account(cls.income_plans)
        cls.plan = cls._create_product(
            name="Annual plan", saas_defer_revenue=True, taxes_id=[Command.clear()]
        )
        cls.pro_plan = cls._create_product(
            name="Pro plan", saas_defer_revenue=True, taxes_id=[Command.clear()]
        )
        cls.support = cls._create_product(
            name="Premium support",
            saas_defer_revenue=True,
            taxes_id=[Command.clear()],
            property_account_income_id=cls.income_support.id,
        )
        cls.setup_fee = cls._create_product(name="Setup fee", taxes_id=[Command.clear()])

    @classmethod
    def bill(cls, *lines, move_type="out_invoice", invoice_date="2025-01-01", **invoice_args):
        """A posted customer document; each line is a dict of invoice line values, with
        ``start``/``end`` as the service period."""
        return cls._create_invoice(
            move_type=move_type,
            invoice_date=invoice_date,
            invoice_line_ids=[
                cls._prepare_invoice_line(
                    saas_service_start=line.pop("start", None),
                    saas_service_end=line.pop("end", None),
                    **line,
                )
                for line in map(dict, lines)
            ],
            post=True,
            **invoice_args,
        )

    @classmethod
    def bill_upgrade(cls, **invoice_args):
        """The invoice of a move to the Pro plan on 1 July 2025: credit for the unused half of
        the yearly plan (-600.00), charge for the rest of the year on Pro (1,200.00)."""
        return cls.bill(
            {
                "product_id": cls.plan,
                "price_unit": -600.0,
                "saas_is_proration": True,
                **SECOND_HALF_2025,
            },
            {
                "product_id": cls.pro_plan,
                "price_unit": 1200.0,
                "saas_is_proration": True,
                **SECOND_HALF_2025,
            },
            invoice_date="2025-07-01",
            **invoice_args,
        )

    def minor(self, amount):
        return to_minor_units(amount, self.currency_code)

    def gl_balance(self, account, at=None):
        """Posted balance of ``account`` in company currency, in minor units, on the date
        ``at`` (a date) if given."""
        domain = [("account_id", "=", account.id), ("parent_state", "=", "posted")]
        if at:
            domain.append(("date", "<=", at))
        lines = self.env["account.move.line"].search(domain)
        return sum(self.minor(line.balance) for line in lines)

    def recognize(self, until):
        return self.env["saas.revenue.schedule"].recognize_until(date.fromisoformat(until))

    def assertBilledIsDeferredPlusRecognized(self, moves):
        """Per deferred line, to the cent: the line's schedules, their rows, and their
        deferred and recognized parts all sum to what the line billed."""
        lines = moves.line_ids.filtered("saas_deferred_income_account_id")
        self.assertTrue(lines)
        for line in lines:
            billed = -self.minor(line.balance)
            schedules = line.saas_revenue_schedule_ids
            self.assertEqual(
                sum(self.minor(amount) for amount in schedules.mapped("amount")), billed
            )
            self.assertEqual(
                sum(self.minor(amount) for amount in schedules.line_ids.mapped("amount")), billed
            )
            self.assertEqual(
                sum(
                    self.minor(schedule.deferred_amount) + self.minor(schedule.recognized_amount)
                    for schedule in schedules
                ),
                billed,
            )

    def assertRecognitionIsDone(self, until):
        """A second run up to ``until`` posts nothing and changes no balance."""
        before = self.gl_balance(self.deferred_account)
        self.assertFalse(self.recognize(until))
        self.assertEqual(self.gl_balance(self.deferred_account), before)

    def assertLedgerIsUnrecognizedAtEveryMonthEnd(self, until):
        """At every month end up to ``until``, the deferred revenue account holds exactly what
        the schedules billed by then have not recognized by then."""
        schedules = self.env["saas.revenue.schedule"].search(
            [("deferred_account_id", "=", self.deferred_account.id)]
        )
        self.assertTrue(schedules)
        month_end = date_utils.end_of(min(schedules.move_id.mapped("date")), "month")
        until = date.fromisoformat(until)
        while month_end <= until:
            unrecognized = sum(
                self.minor(line.amount)
                for line in schedules.line_ids
                if line.billed_date <= month_end
                and (line.state == "planned" or line.posted_date > month_end)
            )
            self.assertEqual(
                -self.gl_balance(self.deferred_account, at=month_end),
                unrecognized,
                f"deferred revenue on {month_end}",
            )
            month_end = date_utils.end_of(month_end + timedelta(days=1), "month")

    def assertInvariants(self, moves, until):
        """The invariants of deferred revenue after a scenario billed by ``moves`` and
        recognized up to ``until``: billed = deferred + recognized per line to the cent, the
        ledger's deferred balance is the schedules' unrecognized amount at every month end, and
        recognizing again changes nothing."""
        self.assertBilledIsDeferredPlusRecognized(moves)
        self.assertLedgerIsUnrecognizedAtEveryMonthEnd(until)
        self.assertRecognitionIsDone(until)
        self.assertLedgerIsUnrecognizedAtEveryMonthEnd(until)

    def unrecognized(self, schedules):
        """Planned amount of ``schedules``, in minor units."""
        return sum(
            self.minor(line.amount) for line in schedules.line_ids if line.state == "planned"
        )
