from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.saas_connector_base.lib.money import from_minor_units, to_minor_units
from odoo.exceptions import UserError
from odoo.tools import SQL, date_utils

from ..lib.schedule import ScheduleRow, build_schedule, remaining_from, split_from
from .res_company import REVENUE_BASIS_SELECTION


class SaasRevenueSchedule(models.Model):
    """The revenue of one invoice line, deferred on posting and recognized month by month.

    Amounts are fixed when the invoice posts: in company currency at the invoice's rate (what
    the deferred revenue account received) and in the invoice currency. Each line of
    ``line_ids`` is one month's share; recognition posts them and never changes them.
    """

    _name = "saas.revenue.schedule"
    _description = "Revenue Schedule"
    _inherit = ["analytic.mixin"]
    _order = "start_date desc, id desc"
    _check_company_auto = True

    move_line_id = fields.Many2one(
        "account.move.line",
        string="Invoice Line",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    move_id = fields.Many2one(
        related="move_line_id.move_id", string="Invoice", store=True, index=True
    )
    name = fields.Char(related="move_line_id.name", string="Description")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index=True)
    product_id = fields.Many2one("product.product", readonly=True, index=True)
    subscription_id = fields.Many2one(
        related="move_id.saas_subscription_id",
        store=True,
        index="btree_not_null",
        help="Subscription the invoice bills (linked whichever of the two came first).",
    )
    income_account_id = fields.Many2one(
        "account.account",
        required=True,
        readonly=True,
        check_company=True,
        help="Where recognized revenue goes: the account the invoice line had before deferral.",
    )
    deferred_account_id = fields.Many2one(
        "account.account", required=True, readonly=True, check_company=True
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    amount = fields.Monetary(
        currency_field="company_currency_id",
        readonly=True,
        help="Revenue of the line in company currency at the invoice's rate; negative for a "
        "credit note.",
    )
    amount_currency = fields.Monetary(
        string="Amount in Currency", currency_field="currency_id", readonly=True
    )
    start_date = fields.Date(string="Service Start", required=True, readonly=True)
    end_date = fields.Date(string="Service End", required=True, readonly=True)
    basis = fields.Selection(REVENUE_BASIS_SELECTION, required=True, readonly=True)
    deferral_move_id = fields.Many2one(
        "account.move",
        string="Deferral Entry",
        readonly=True,
        index="btree_not_null",
        check_company=True,
        help="Entry that moved the line's revenue to the deferred revenue account, for an "
        "invoice posted before its product deferred revenue; empty when the invoice line "
        "itself posted there.",
    )
    billed_date = fields.Date(
        string="Deferred On",
        compute="_compute_billed_date",
        store=True,
        help="Date the deferred revenue account received the amount: the invoice's, or its "
        "deferral entry's.",
    )
    line_ids = fields.One2many("saas.revenue.schedule.line", "schedule_id", readonly=True)
    origin_schedule_id = fields.Many2one(
        "saas.revenue.schedule",
        string="Amends",
        readonly=True,
        index="btree_not_null",
        # History is never rewritten: a schedule that others amend stays.
        ondelete="restrict",
        check_company=True,
        help="Schedule this one amends: the invoice line a credit note or a proration changes.",
    )
    amendment_ids = fields.One2many(
        "saas.revenue.schedule", "origin_schedule_id", string="Amended By", readonly=True
    )
    recognized_amount = fields.Monetary(
        currency_field="company_currency_id", compute="_compute_recognized_amount"
    )
    deferred_amount = fields.Monetary(
        string="Remaining Deferred",
        currency_field="company_currency_id",
        compute="_compute_recognized_amount",
    )

    @api.depends("move_id.date", "deferral_move_id.date")
    def _compute_billed_date(self):
        for schedule in self:
            schedule.billed_date = (schedule.deferral_move_id or schedule.move_id).date

    @api.depends("amount", "line_ids.state", "line_ids.amount")
    def _compute_recognized_amount(self):
        for schedule in self:
            code = schedule.company_currency_id.name
            recognized = sum(
                to_minor_units(line.amount, code)
                for line in schedule.line_ids
                if line.state == "posted"
            )
            schedule.recognized_amount = from_minor_units(recognized, code)
            schedule.deferred_amount = from_minor_units(
                to_minor_units(schedule.amount, code) - recognized, code
            )

    @api.depends("move_id.name", "product_id")
    def _compute_display_name(self):
        for schedule in self:
            schedule.display_name = " - ".join(
                filter(None, (schedule.move_id.name, schedule.product_id.display_name))
            )

    @api.model
    def _create_for_invoice_lines(self, lines):
        """Schedules of posted invoice lines already moved to the deferred account. Revenue is
        the credit side of a line, so a credit note line (a debit) gets a negative schedule.

        A line gets one schedule over its service period, except a line of a credit note that
        reverses a whole invoice: it settles its invoice line's schedule from the credit note's
        date instead (:meth:`_settle_vals`).
        """
        credited = self._credited_schedules(lines)
        schedules_rows = []
        for line in lines:
            company_code, code = line.company_id.currency_id.name, line.currency_id.name
            amount = -to_minor_units(line.balance, company_code)
            amount_currency = -to_minor_units(line.amount_currency, code)
            if line in credited:
                line_schedules = self._settle_vals(line, credited[line], amount, amount_currency)
            else:
                line_schedules = [self._ratable_vals(line, amount, amount_currency)]
            # A schedule's amount is the sum of its rows: the schedules of a line sum to it.
            for vals, rows in line_schedules:
                vals["amount"] = from_minor_units(sum(row[1] for row in rows), company_code)
                vals["amount_currency"] = from_minor_units(sum(row[2] for row in rows), code)
            schedules_rows += line_schedules

        schedules = self.create([vals for vals, _rows in schedules_rows])
        rows_vals = []
        for schedule, (_vals, rows) in zip(schedules, schedules_rows, strict=True):
            company_code = schedule.company_currency_id.name
            code = schedule.currency_id.name
            rows_vals += [
                {
                    "schedule_id": schedule.id,
                    "date": row_date,
                    "amount": from_minor_units(amount, company_code),
                    "amount_currency": from_minor_units(amount_currency, code),
                }
                for row_date, amount, amount_currency in rows
            ]
        self.env["saas.revenue.schedule.line"].create(rows_vals)
        # The invoice of a subscription already cancelled (it waited for its customer, or a
        # backfill brought the subscriptions first) ends as if it had come before.
        for subscription in schedules.subscription_id.filtered(
            lambda sub: sub.state == "canceled"
        ):
            subscription._end_revenue_service(schedules)
        return schedules

    @api.model
    def _ratable_vals(self, line, amount, amount_currency):
        """The schedule of ``line`` over its own service period: ``(values, rows)``, each row
        ``(date, amount, amount in currency)`` in minor units. A proration line (an upgrade or a
        downgrade) is a new schedule from its own start that amends the billed one."""
        vals = self._line_vals(line)
        if line.saas_is_proration:
            vals["origin_schedule_id"] = self._prorated_schedule(line).id
        period = (vals["start_date"], vals["end_date"], vals["basis"])
        # Both splits use the same weights: every month converts at the invoice's rate, to the
        # rounding.
        rows = [
            (row.period_end, row.amount, row_currency.amount)
            for row, row_currency in zip(
                build_schedule(amount, *period),
                build_schedule(amount_currency, *period),
                strict=True,
            )
        ]
        return vals, rows

    @api.model
    def _line_vals(self, line):
        """Schedule values taken from ``line``, its amounts aside. A line posted on its
        income account, before its product deferred revenue, is recognized back into that
        account from the deferred revenue account its deferral entry moved it to."""
        company = line.company_id
        if line.saas_deferred_income_account_id:
            income_account, deferred_account = (
                line.saas_deferred_income_account_id,
                line.account_id,
            )
        else:
            income_account, deferred_account = line.account_id, company._saas_deferred_account()
        return {
            "move_line_id": line.id,
            "company_id": company.id,
            "partner_id": line.partner_id.id,
            "product_id": line.product_id.id,
            "income_account_id": income_account.id,
            "deferred_account_id": deferred_account.id,
            "analytic_distribution": line.analytic_distribution,
            "currency_id": line.currency_id.id,
            "start_date": line.saas_service_start,
            "end_date": line.saas_service_end,
            "basis": company.saas_revenue_basis,
        }

    @api.model
    def _credited_schedules(self, lines):
        """``{credit note line: schedule}`` for the lines of credit notes reversing a whole
        invoice, each paired with the schedule of the invoice line it reverses (same product,
        service period and amount)."""
        credited = {}
        for credit_note, credit_lines in lines.grouped("move_id").items():
            invoice = credit_note.reversed_entry_id
            if not (
                credit_note.move_type == "out_refund"
                and invoice.move_type == "out_invoice"
                and credit_note.currency_id == invoice.currency_id
                and not credit_note.currency_id.compare_amounts(
                    credit_note.amount_total, invoice.amount_total
                )
            ):
                continue
            # An invoice line has exactly one schedule.
            candidates = invoice.invoice_line_ids.saas_revenue_schedule_ids
            for line in credit_lines:
                schedule = candidates.filtered(
                    lambda schedule, line=line: (
                        schedule.move_line_id.product_id == line.product_id
                        and schedule.start_date == line.saas_service_start
                        and schedule.end_date == line.saas_service_end
                        and not line.currency_id.compare_amounts(
                            schedule.move_line_id.amount_currency, -line.amount_currency
                        )
                    )
                )[:1]
                if schedule:
                    credited[line] = schedule
                    candidates -= schedule
        return credited

    @api.model
    def _settle_vals(self, line, schedule, amount, amount_currency):
        """Schedules of the credit note ``line`` reversing the invoice line of ``schedule``:

        * the negative of what ``schedule`` plans from the credit note's date, so the two net
          to zero from then on, month by month;
        * the rest of the credit, i.e. the revenue earned before that date, taken back on that
          date into the company's contra revenue account or the income account, per its
          refund policy.

        Returns ``[(schedule values, [(date, amount, amount in currency)])]``.
        """
        company = line.company_id
        settle_date = line.move_id.invoice_date or line.move_id.date
        rows = schedule._schedule_rows()
        remaining = split_from(rows["amount"], settle_date)[1]
        remaining_currency = split_from(rows["amount_currency"], settle_date)[1]
        result = []
        if remaining:
            vals = self._line_vals(line)
            vals.update(
                origin_schedule_id=schedule.id,
                start_date=remaining[0].period_start,
                end_date=schedule.end_date,
                basis=schedule.basis,
            )
            result.append(
                (
                    vals,
                    [
                        (row.period_end, -row.amount, -row_currency.amount)
                        for row, row_currency in zip(remaining, remaining_currency, strict=True)
                    ],
                )
            )
        earned = amount + remaining_from(rows["amount"], settle_date)
        earned_currency = amount_currency + remaining_from(rows["amount_currency"], settle_date)
        if earned or earned_currency:
            income_account = schedule.income_account_id
            if company.saas_refund_policy == "contra":
                income_account = company.saas_contra_revenue_account_id
                if not income_account:
                    raise UserError(
                        self.env._(
                            "Set a contra revenue account in the accounting settings of %s: "
                            "credit notes take recognized revenue back there.",
                            company.display_name,
                        )
                    )
            vals = self._line_vals(line)
            vals.update(
                origin_schedule_id=schedule.id,
                income_account_id=income_account.id,
                start_date=settle_date,
                end_date=settle_date,
                basis=schedule.basis,
            )
            result.append((vals, [(settle_date, earned, earned_currency)]))
        return result

    def _schedule_rows(self):
        """The schedule's lines as :class:`ScheduleRow` tuples, for the amounts in company
        currency and in currency: ``{"amount": rows, "amount_currency": rows}``. Each line
        covers the service days since the previous one."""
        self.ensure_one()
        company_code, code = self.company_currency_id.name, self.currency_id.name
        result = {"amount": [], "amount_currency": []}
        first_day = self.start_date
        for line in self.line_ids.sorted(lambda line: (line.date, line.id)):
            # A line dated like the previous one (the remainder brought to a month end by
            # recognize_remaining) still counts one day, the day it falls due.
            days = max((line.date - first_day).days + 1, 1)
            result["amount"].append(
                ScheduleRow(line.date, to_minor_units(line.amount, company_code), days)
            )
            result["amount_currency"].append(
                ScheduleRow(line.date, to_minor_units(line.amount_currency, code), days)
            )
            first_day = max(first_day, line.date + timedelta(days=1))
        return result

    @api.model
    def _prorated_schedule(self, line):
        """The billed schedule a proration line amends: the latest schedule of the same
        subscription (the same customer without one) whose service covers the proration's
        start, of the same product if there is one. Otherwise the line bills a plan change to a
        new product, and its schedule is created from the old product's schedule, the one
        prorated the other way from the same day."""
        domain = [
            ("company_id", "=", line.company_id.id),
            ("start_date", "<=", line.saas_service_start),
            ("end_date", ">=", line.saas_service_start),
            ("origin_schedule_id", "=", False),
            ("move_id", "!=", line.move_id.id),
        ]
        # By the provider's reference: the subscription itself may not be in Odoo yet.
        if line.move_id.saas_subscription_ref:
            domain.append(
                ("move_id.saas_subscription_ref", "=", line.move_id.saas_subscription_ref)
            )
        else:
            domain.append(("partner_id", "=", line.partner_id.id))
        candidates = self.search(domain, order="start_date desc, id desc")
        same_product = candidates.filtered(lambda schedule: schedule.product_id == line.product_id)
        if same_product:
            return same_product[:1]
        # A plan change prorates the old product one way and the new one the other, from the
        # same day: in this document, or in an earlier one that already amended the old
        # product's schedule.
        replaced = line.move_id.invoice_line_ids.filtered(
            lambda other: (
                other.saas_is_proration
                and other.product_id != line.product_id
                and other.balance * line.balance < 0
            )
        )
        return candidates.filtered(
            lambda schedule: (
                schedule.product_id in replaced.product_id
                or schedule.amendment_ids.filtered(
                    lambda amendment: (
                        amendment.move_line_id.saas_is_proration
                        and amendment.start_date == line.saas_service_start
                        and amendment.amount * line.balance > 0
                    )
                )
            )
        )[:1]

    def recognize_remaining(self, date):
        """Move every planned line dated after ``date`` into one line dated ``date``: the
        service ended then (a subscription cancelled without refund), so the revenue still
        deferred is earned and falls due for recognition on that date. Posted lines stay."""
        date = fields.Date.to_date(date)
        rows_vals = []
        for schedule in self:
            later = schedule.line_ids.filtered(
                lambda line: line.state == "planned" and line.date > date
            )
            if not later:
                continue
            company_code, code = schedule.company_currency_id.name, schedule.currency_id.name
            rows_vals.append(
                {
                    "schedule_id": schedule.id,
                    "date": date,
                    "amount": from_minor_units(
                        sum(to_minor_units(line.amount, company_code) for line in later),
                        company_code,
                    ),
                    "amount_currency": from_minor_units(
                        sum(to_minor_units(line.amount_currency, code) for line in later), code
                    ),
                    "note": self.env._("Service ended on %s: remaining revenue.", date),
                }
            )
            later.unlink()
        self.env["saas.revenue.schedule.line"].create(rows_vals)

    def end_service(self, date):
        """Entry point of a provider when a subscription ends on ``date`` without a refund:
        the remaining revenue is recognized then, or kept on its schedule, per the company's
        cancellation policy."""
        self.filtered(
            lambda schedule: schedule.company_id.saas_cancel_policy == "recognize_remaining"
        ).recognize_remaining(date)

    @api.model
    def _action_open_schedules(self, domain):
        """The schedules matching ``domain``, as the smart buttons of invoices and
        subscriptions open them."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Revenue Schedules"),
            "res_model": "saas.revenue.schedule",
            "view_mode": "list,form",
            "domain": domain,
        }

    @api.model
    def _company_ids(self, company_ids):
        """The ``company_ids`` argument of the public methods as a list of ids: RPC callers
        pass a list, Python callers may pass a ``res.company`` recordset as well."""
        if isinstance(company_ids, models.BaseModel):
            return company_ids.ids
        return list(company_ids or ())

    @api.model
    def recognize_until(self, until, company_ids=None):
        """Post the revenue of every planned schedule line due by ``until``: one entry per
        company, journal, month and currency, moving the amounts from the deferred revenue
        account to the income account. ``company_ids`` (a list of ids, or a recordset) limits
        it to those companies; by default every company the user may access.

        A line falls due on its date, the last service day of its month. Up to a month end,
        that recognizes whole months, each entry dated at its month's end. Up to a day within
        a month, it recognizes the lines of that month whose service ended by then (a service
        period or a cancelled service ending mid-month) and dates their entry on ``until``:
        no entry is ever dated after the day asked for. The other lines of that month fall due
        at its end and wait for a later run.

        Posted lines are skipped, so a second run posts nothing. Returns the entries posted.
        """
        until = fields.Date.to_date(until)
        if until > fields.Date.context_today(self):
            raise UserError(self.env._("Revenue cannot be recognized before it is earned."))
        # A concurrent run posts the rows it holds; this one takes the rest.
        lines = self._due_lines(until, company_ids).try_lock_for_update(allow_referencing=True)
        moves = self.env["account.move"]
        if not lines:
            return moves
        lines.check_access("write")
        # Pending writes (an undone month) would otherwise overwrite the rows marked below.
        self.env.flush_all()
        periods = defaultdict(list)
        for (
            *period,
            deferred_account,
            income_account,
            analytic,
            amount,
            amount_currency,
            ids,
        ) in self._recognition_totals(lines, until):
            periods[tuple(period)].append(
                (deferred_account, income_account, analytic, amount, amount_currency, ids)
            )
        for (company_id, currency_id, period_end), totals in periods.items():
            moves |= self._post_recognition(
                self.env["res.company"].browse(company_id),
                self.env["res.currency"].browse(currency_id),
                period_end,
                totals,
            )
        # The rows changed in the database: what the cache holds of them is stale.
        self.env.invalidate_all()
        return moves

    @api.model
    def _due_lines(self, until, company_ids=None):
        """The planned schedule lines due by ``until`` in ``company_ids`` (every company the
        user may access when empty): what recognition up to ``until`` posts."""
        domain = [("state", "=", "planned"), ("date", "<=", until)]
        company_ids = self._company_ids(company_ids)
        if company_ids:
            domain.append(("company_id", "in", company_ids))
        return self.env["saas.revenue.schedule.line"].search(domain, order="date, id")

    @api.model
    def _recognition_totals(self, lines, until):
        """The schedule ``lines`` summed as recognition up to ``until`` posts them: rows of
        ``(company id, currency id, period end, deferred account id, income account id,
        analytic distribution, amount, amount in currency, line ids)``, one per line of an
        entry. The period end is the month's end, or ``until`` within its month."""
        # Month-end closing handles every schedule of the books at once: the rows are summed
        # in the database, never loaded one by one.
        return self.env.execute_query(
            SQL(
                """
                SELECT line.company_id,
                       schedule.currency_id,
                       LEAST(
                           (date_trunc('month', line.date) + interval '1 month - 1 day')::date,
                           %s
                       ),
                       schedule.deferred_account_id,
                       schedule.income_account_id,
                       schedule.analytic_distribution,
                       SUM(line.amount),
                       SUM(line.amount_currency),
                       array_agg(line.id)
                  FROM saas_revenue_schedule_line line
                  JOIN saas_revenue_schedule schedule ON schedule.id = line.schedule_id
                 WHERE line.id = ANY(%s)
                 GROUP BY 1, 2, 3, 4, 5, 6
                 ORDER BY 3, 1, 2, 4, 5, schedule.analytic_distribution::text
                    """,
                until,
                list(lines.ids),
            )
        )

    @api.model
    def _close_preview(self, lines, until):
        """What recognizing (or undoing) ``lines`` up to ``until`` moves, for finance to check
        before it posts: ``(rows, periods)``. ``rows`` are the amounts per company, deferred
        account, income account and currency (values of ``saas.revenue.close.line``);
        ``periods`` the ``(company, currency, period end)`` of the entries, each with an
        amount to post."""
        rows = {}
        periods = set()
        for (
            company_id,
            currency_id,
            period_end,
            deferred_account_id,
            income_account_id,
            _analytic,
            amount,
            amount_currency,
            ids,
        ) in self._recognition_totals(lines, until):
            row = rows.setdefault(
                (company_id, deferred_account_id, income_account_id, currency_id),
                {
                    "company_id": company_id,
                    "deferred_account_id": deferred_account_id,
                    "income_account_id": income_account_id,
                    "currency_id": currency_id,
                    "amount": 0,
                    "amount_currency": 0,
                    "line_count": 0,
                    "months": set(),
                },
            )
            # Sums of amounts rounded to their currency (Decimal): exact, like the entries.
            row["amount"] += amount
            row["amount_currency"] += amount_currency
            row["line_count"] += len(ids)
            row["months"].add(period_end.strftime("%Y-%m"))
            if amount or amount_currency:
                periods.add((company_id, currency_id, period_end))
        for row in rows.values():
            months = sorted(row["months"])
            row["months"] = (
                months[0]
                if len(months) == 1
                else self.env._("%(first)s to %(last)s", first=months[0], last=months[-1])
            )
            row["amount"] = float(row["amount"])
            row["amount_currency"] = float(row["amount_currency"])
        return list(rows.values()), sorted(periods, key=lambda period: (period[2], period[:2]))

    @api.model
    def _action_open_entries(self, moves, name):
        """``moves`` in Odoo's journal entry views: what a close posted or reversed."""
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "account.move",
            "views": [
                (self.env.ref("account.view_move_tree").id, "list"),
                (self.env.ref("account.view_move_form").id, "form"),
            ],
            "search_view_id": [self.env.ref("account.view_account_move_filter").id, "search"],
            "domain": [("id", "in", moves.ids)],
            "context": {"default_move_type": "entry", "create": False},
        }

    @api.model
    def _post_recognition(self, company, currency, period_end, totals):
        """Post one period's entry from ``totals``, the sums of its schedule lines by deferred
        account, income account and analytic distribution, each with the ids of its lines,
        and mark those lines posted. ``period_end`` is the month's end, or the day recognition
        ran up to within the month."""
        journal = company._saas_revenue_journal()
        entry_date = self._first_open_date(company, period_end, journal)
        note = entry_date != period_end and self.env._(
            "Period ending %(period)s is locked: recognized on %(date)s.",
            period=period_end,
            date=entry_date,
        )

        label = self.env._("Revenue recognition %s", period_end.strftime("%Y-%m"))
        move_lines = []
        line_ids = []
        for (
            deferred_account_id,
            income_account_id,
            analytic,
            amount,
            amount_currency,
            ids,
        ) in totals:
            line_ids += ids
            # Sums of amounts rounded to their currency: exact, whatever their number.
            if not amount and not amount_currency:
                continue
            common = {"name": label, "currency_id": currency.id}
            move_lines += [
                {
                    **common,
                    "account_id": deferred_account_id,
                    "balance": float(amount),
                    "amount_currency": float(amount_currency),
                },
                {
                    **common,
                    "account_id": income_account_id,
                    "balance": -float(amount),
                    "amount_currency": -float(amount_currency),
                    "analytic_distribution": analytic or False,
                },
            ]

        move = self.env["account.move"]
        if move_lines:
            move = move.create(
                {
                    "move_type": "entry",
                    "company_id": company.id,
                    "journal_id": journal.id,
                    "date": entry_date,
                    "ref": label,
                    "currency_id": currency.id,
                    "line_ids": [fields.Command.create(vals) for vals in move_lines],
                }
            )
            move._post(soft=False)
        # Rows that net to nothing (an invoice and its full credit note) are recognized without
        # an entry.
        self.env.execute_query(
            SQL(
                """
            UPDATE saas_revenue_schedule_line
               SET state = 'posted', move_id = %s, posted_date = %s, note = COALESCE(%s, note),
                   write_uid = %s, write_date = %s
             WHERE id = ANY(%s)
                """,
                move.id or None,
                entry_date,
                note or None,
                self.env.uid,
                self.env.cr.now(),
                line_ids,
            )
        )
        return move

    @api.model
    def _first_open_date(self, company, date, journal):
        """``date``, or the first day after the lock dates of ``company`` that close it for
        ``journal``: a closed period stays closed, what belongs to it is booked on the first
        day still open."""
        lock_dates = company._get_violated_lock_dates(date, False, journal)
        return lock_dates[-1][0] + timedelta(days=1) if lock_dates else date

    @api.model
    def undo_period(self, date, company_ids=None):
        """Undo the recognition of the month of ``date``: reverse its recognition entries on
        their own date and put its schedule lines back to planned, so that the next recognition
        posts them again. ``company_ids`` (a list of ids, or a recordset) limits it to those
        companies; by default every company the user may access. Nothing posted for the month,
        nothing to undo: returns the reversals posted."""
        period_end = date_utils.end_of(fields.Date.to_date(date), "month")
        lines = self._posted_lines_of_month(period_end, company_ids)
        lines.lock_for_update()
        entries = lines.move_id
        for entry in entries:
            if entry.company_id._get_violated_lock_dates(entry.date, False, entry.journal_id):
                raise UserError(
                    self.env._(
                        "The revenue of %(month)s was recognized on %(date)s, in a locked "
                        "period of %(company)s: unlock it to undo the recognition.",
                        month=period_end.strftime("%Y-%m"),
                        date=entry.date,
                        company=entry.company_id.display_name,
                    )
                )
        reversals = entries._reverse_moves(
            [
                {
                    "date": entry.date,
                    "ref": self.env._("Undo of %s", entry.ref),
                }
                for entry in entries
            ]
        )
        reversals._post(soft=False)
        # The note of a line posted late says its month was locked; that no longer holds.
        late = lines.filtered(
            lambda line: line.posted_date > date_utils.end_of(line.date, "month")
        )
        late.note = False
        lines.write({"state": "planned", "move_id": False, "posted_date": False})
        return reversals

    @api.model
    def _posted_lines_of_month(self, date, company_ids=None):
        """The schedule lines of the month of ``date`` recognized in ``company_ids`` (every
        company the user may access when empty): what undoing that month plans again."""
        domain = [
            ("state", "=", "posted"),
            ("date", ">=", date_utils.start_of(date, "month")),
            ("date", "<=", date_utils.end_of(date, "month")),
        ]
        company_ids = self._company_ids(company_ids)
        if company_ids:
            domain.append(("company_id", "in", company_ids))
        return self.env["saas.revenue.schedule.line"].search(domain)

    @api.model
    def _cron_recognize(self):
        """Month-end closing for every company, whatever companies the cron user can access."""
        self.sudo().recognize_until(fields.Date.context_today(self))
