from datetime import timedelta

from odoo import models
from odoo.addons.saas_connector_base.lib.errors import PermanentError
from odoo.fields import Command


class SaasStripeBalanceHandler(models.AbstractModel):
    """The Stripe balance in the books: one clearing account per backend and currency.

    Payments debit it; refunds, disputes and Stripe's fees (``stripe_fee_handler.py``) credit
    it, and each payout credits it with the amount sent to the bank
    (``stripe_payout_handler.py``). The clearing account of a currency is created the first
    time the backend books money in it.
    """

    _name = "saas.stripe.balance.handler"
    _inherit = "saas.stripe.handler"
    _description = "Stripe Balance Handler"

    _provider = "stripe"

    def _balance(self, backend, currency):
        """The ``saas.stripe.balance`` of ``currency`` (a ``res.currency`` or an ISO code),
        created with its clearing account on first use."""
        backend.ensure_one()
        if isinstance(currency, str):
            currency = self._currency(backend, currency)
        balance = backend.stripe_balance_ids.filtered(
            lambda record: record.currency_id == currency
        )
        return balance or self.env["saas.stripe.balance"].create(
            {"backend_id": backend.id, "currency_id": currency.id}
        )

    def _new_balance_account(self, backend, currency):
        """A new clearing account for the Stripe balance in ``currency``: a reconcilable
        current asset next to the outstanding receipts accounts of the chart."""
        backend.ensure_one()
        company = backend.company_id
        template = (
            self.env["account.chart.template"]
            .with_company(company)
            .ref("account_journal_payment_debit_account_id", raise_if_not_found=False)
        )
        if not template:
            raise PermanentError(
                self.env._(
                    "Company %s has no chart of accounts with an outstanding receipts account.",
                    company.name,
                )
            )
        accounts = self.env["account.account"].with_company(company)
        return accounts.create(
            {
                "name": self.env._(
                    "Stripe Balance %(backend)s (%(currency)s)",
                    backend=backend.name,
                    currency=currency.name,
                ),
                "code": accounts._search_new_account_code(template.code),
                "account_type": template.account_type,
                # A foreign balance is kept in its own currency, like a bank account would.
                "currency_id": currency.id if currency != company.currency_id else False,
                "reconcile": True,
            }
        )

    def _balance_account(self, backend, currency):
        """The clearing account of the Stripe balance in ``currency`` (a ``res.currency`` or
        an ISO code), created on first use."""
        return self._balance(backend, currency).account_id

    def _balance_move_values(self, backend, journal, date, ref, transfers, *, partner=None):
        """Values of an entry in ``journal`` moving money between accounts. ``transfers`` are
        ``(debit account, credit account, currency, amount, label)``: the amount is a Decimal
        in the currency (a negative one turns the direction), converted to the company's
        currency once, so that each pair balances, at the entry's date — ``date``, or the
        first day after the lock date (a closed period keeps its balances). ``partner`` goes
        on every line."""
        company = backend.company_id
        lock_date = company._get_user_fiscal_lock_date(journal)
        if lock_date and date <= lock_date:
            date = lock_date + timedelta(days=1)
        lines = []
        for debit_account, credit_account, currency, amount, label in transfers:
            balance = currency._convert(float(amount), company.currency_id, company, date)
            for account, sign in ((debit_account, 1), (credit_account, -1)):
                lines.append(
                    Command.create(
                        {
                            "account_id": account.id,
                            "partner_id": partner.id if partner else False,
                            "currency_id": currency.id,
                            "amount_currency": sign * float(amount),
                            "balance": sign * balance,
                            "name": label,
                        }
                    )
                )
        return {
            "move_type": "entry",
            "company_id": company.id,
            "journal_id": journal.id,
            "date": date,
            "ref": ref,
            "line_ids": lines,
        }
