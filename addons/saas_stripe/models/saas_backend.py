import json
import logging
from datetime import UTC, datetime

from odoo import api, fields, models
from odoo.addons.saas_connector_base.lib.errors import WebhookRejected
from odoo.addons.saas_connector_base.lib.inbound import InboundEvent
from odoo.exceptions import UserError

from ..lib.api import StripeApi, StripeApiError
from ..lib.signature import DEFAULT_TOLERANCE, SignatureError, verify_header, verify_livemode

_logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Stripe-Signature"
# Stages of a Stripe object's lifecycle, by the last word of an event type: events stamped
# in the same second apply first to last, and when the object cannot be read from the API,
# only a later stage replaces a state of the same second. The other types are in between.
FIRST_STAGES = frozenset({"created", "pending"})
LAST_STAGES = frozenset(
    {
        "deleted",
        "paid",
        "payment_succeeded",
        "voided",
        "marked_uncollectible",
        "refunded",
        "closed",
        "failed",
        "canceled",
    }
)


class SaasBackend(models.Model):
    """A Stripe account: its settings, credentials and the provider contract.

    The events are handled by one handler model per Stripe concept
    (``saas.stripe.customer.handler``, ``saas.stripe.invoice.handler``…, each in the file
    named after it), which receive the backend with each event.
    """

    _inherit = "saas.backend"

    provider = fields.Selection(
        selection_add=[("stripe", "Stripe")], ondelete={"stripe": "cascade"}
    )
    stripe_api_key = fields.Char(
        string="Stripe Secret Key",
        compute="_compute_stripe_api_key",
        inverse="_inverse_stripe_api_key",
        groups="saas_connector_base.group_saas_manager",
        secret_input=True,
        help="Write-only: shows the last characters of the key in use. A new key replaces it; "
        "a restricted key (rk_…) with read access is enough.",
    )
    # The engine's rotation-friendly secret input under the name Stripe users look for.
    stripe_webhook_secret = fields.Char(
        string="Stripe Webhook Signing Secret",
        related="new_webhook_secret",
        readonly=False,
        groups="saas_connector_base.group_saas_manager",
        secret_input=True,
        help="Write-only (whsec_…). Adding one keeps the live ones valid, so the endpoint's "
        "secret can be rolled in Stripe without losing deliveries; retire the old one after.",
    )
    stripe_api_key_status = fields.Char(
        string="Secret Key in Use",
        compute="_compute_stripe_api_key_status",
        groups="saas_connector_base.group_saas_manager",
        help="The key in use, masked, and when it was set. The key itself is never shown.",
    )
    stripe_api_version = fields.Char(
        string="Stripe API Version",
        help="API version of the webhook endpoint, e.g. 2025-03-31.basil; API calls use it too.",
    )
    stripe_api_base = fields.Char(
        string="Stripe API Base URL",
        default="https://api.stripe.com",
        help="Change only to talk to a local Stripe stand-in (e.g. localstripe).",
    )
    stripe_account_id = fields.Char(
        string="Stripe Account ID",
        help="acct_…; the connection test checks that the key belongs to this account.",
    )
    stripe_signature_tolerance = fields.Integer(
        string="Signature Tolerance (s)",
        default=DEFAULT_TOLERANCE,
        help="A delivery signed more than this many seconds before or after our clock is "
        "rejected, which makes a captured delivery useless for replay.",
    )
    stripe_match_partner_by_email = fields.Boolean(
        string="Match Customers by Email",
        help="A Stripe customer not yet linked to a partner is linked to an existing partner "
        "with the same email (ignoring case) instead of creating one.",
    )
    # Invoices and payments (stripe_invoice_handler.py, stripe_payment_handler.py)
    stripe_journal_id = fields.Many2one(
        "account.journal",
        string="Stripe Sales Journal",
        check_company=True,
        domain="[('type', '=', 'sale')]",
        compute="_compute_stripe_journal_id",
        store=True,
        readonly=False,
        help="Journal of the invoices imported from Stripe; the company's first sales "
        "journal unless another is chosen.",
    )
    stripe_payment_journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        domain="[('type', '=', 'bank')]",
        help="Journal of the payments and refunds Stripe makes: each currency has a payment "
        "method whose outstanding account is the Stripe balance (clearing) account of that "
        "currency, emptied by the payouts. Created with the first payment (or the button) "
        "when empty.",
    )
    stripe_uncollectible_policy = fields.Selection(
        [("leave_open", "Leave Open"), ("write_off", "Write Off")],
        string="Uncollectible Invoices",
        default="leave_open",
        required=True,
        help="What an invoice Stripe marks uncollectible becomes: left open on the customer, "
        "or its remaining amount written off to the write-off account.",
    )
    stripe_writeoff_account_id = fields.Many2one(
        "account.account",
        string="Write-off Account",
        check_company=True,
        help="Expense account of the uncollectible invoices written off.",
    )
    stripe_tax_map_ids = fields.One2many("saas.stripe.tax.map", "backend_id", string="Tax Mapping")
    stripe_tax_match_by_rate = fields.Boolean(
        string="Match Taxes by Rate",
        help="A Stripe tax rate without a mapping is mapped to the Odoo sales tax with the "
        "same percentage, included in the price or not as in Stripe, and of the rate's "
        "country, when exactly one such tax exists. The mapping is recorded (marked as matched "
        "by rate) for review. Without this, or when several taxes or none match, the invoice "
        "waits for a mapping made by hand.",
    )
    # Refunds (stripe_refund_handler.py)
    stripe_refund_without_credit_note = fields.Selection(
        [("credit_note", "Credit Note"), ("contra_revenue", "Contra-Revenue Entry")],
        string="Refunds without Stripe Credit Note",
        default="credit_note",
        required=True,
        help="What settles a refund issued in Stripe without a credit note, so that the "
        "customer owes in Odoo what Stripe shows open: a credit note of the refunded invoice "
        "for the refunded amount (a full refund reverses it; revenue schedules are credited "
        "too), or an entry debiting the contra-revenue account, which leaves the invoice and "
        "its revenue schedules as billed. A credit note Stripe issues for the refund later "
        "takes its place.",
    )
    stripe_refund_contra_revenue_account_id = fields.Many2one(
        "account.account",
        string="Refunds Contra-Revenue Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Account debited with refunds issued without a credit note under the "
        "Contra-Revenue Entry policy.",
    )

    # Disputes (stripe_dispute_handler.py)
    stripe_dispute_account_id = fields.Many2one(
        "account.account",
        string="Disputed Funds Account",
        check_company=True,
        help="Holds the money Stripe withdrew from the balance for open disputes (a current "
        "asset): debited when funds are withdrawn, credited when they are reinstated or the "
        "dispute is lost.",
    )
    stripe_dispute_loss_policy = fields.Selection(
        [("expense", "Expense"), ("contra_revenue", "Contra Revenue")],
        string="Lost Disputes",
        default="expense",
        required=True,
        help="Where the money of a lost dispute goes: an expense (chargeback losses), or a "
        "contra revenue account that lowers the revenue it was once recognized as.",
    )
    stripe_dispute_loss_account_id = fields.Many2one(
        "account.account",
        string="Dispute Losses Account",
        check_company=True,
        help="Expense account of lost disputes.",
    )
    stripe_dispute_contra_revenue_account_id = fields.Many2one(
        "account.account",
        string="Dispute Contra Revenue Account",
        check_company=True,
        help="Contra revenue account of lost disputes.",
    )
    # Stripe balances, fees and payouts (stripe_balance_handler.py, stripe_fee_handler.py)
    stripe_balance_ids = fields.One2many(
        "saas.stripe.balance", "backend_id", string="Stripe Balances"
    )
    stripe_fee_account_id = fields.Many2one(
        "account.account",
        string="Stripe Fees Account",
        check_company=True,
        help="Expense account of the fees Stripe takes on charges, refunds and disputes; "
        "booked daily for the day before (or by the payout that settles them, if it comes "
        "first).",
    )
    stripe_fees_booked_until = fields.Datetime(
        string="Fees Booked Until",
        readonly=True,
        copy=False,
        help="The fees of the balance transactions created before this moment are booked. "
        "Set by the daily scheduled action; the first run starts at the beginning of the "
        "month (earlier fees come with their payouts or an import of balance transactions).",
    )
    stripe_other_balance_account_id = fields.Many2one(
        "account.account",
        string="Other Stripe Movements Account",
        check_company=True,
        help="Counterpart of the balance movements a payout settles that no Odoo document "
        "stands for (Stripe's own fees billed on the balance, manual adjustments, "
        "top-ups…).",
    )

    _stripe_signature_tolerance_positive = models.Constraint(
        "CHECK (stripe_signature_tolerance IS NULL OR stripe_signature_tolerance > 0)",
        "The signature tolerance must be a positive number of seconds.",
    )

    def _stripe_api_key_secret(self):
        self.ensure_one()
        return (
            self.env["saas.secret"]
            .sudo()
            .search([("backend_id", "=", self.id), ("purpose", "=", "api_key")], limit=1)
        )

    def _compute_stripe_api_key(self):
        for backend in self:
            backend.stripe_api_key = (
                backend._stripe_api_key_secret().masked if backend.id else False
            )

    def _inverse_stripe_api_key(self):
        for backend in self:
            # Saving the form unchanged sends back the masked value: that is not a new key.
            if backend.stripe_api_key and (
                backend.stripe_api_key != backend._stripe_api_key_secret().masked
            ):
                self.env["saas.secret"]._store(
                    backend, "api_key", backend.stripe_api_key, replace=True
                )

    # ---------------------------------------------------------------------------------------
    # Provider contract
    # ---------------------------------------------------------------------------------------
    def _provider_parse_webhook(self, request, signing_secrets):
        if self.provider != "stripe":
            return super()._provider_parse_webhook(request, signing_secrets)
        body = request.body
        try:
            verify_header(
                body,
                request.headers.get(SIGNATURE_HEADER),
                signing_secrets,
                tolerance=self.stripe_signature_tolerance or DEFAULT_TOLERANCE,
            )
            text = body.decode()
            event = json.loads(text)
            verify_livemode(event, self.environment == "live")
        except SignatureError as error:
            raise WebhookRejected(str(error)) from None
        except ValueError:
            raise WebhookRejected("malformed JSON") from None
        try:
            obj = event["data"]["object"]
            return [
                InboundEvent(
                    external_id=_text(event, "id"),
                    event_type=_text(event, "type"),
                    object_type=_text(obj, "object"),
                    # An object without an id (an upcoming invoice) is an object of its own.
                    object_external_id=_text(obj if obj.get("id") else event, "id"),
                    source_created=_created(event),
                    payload=text,
                )
            ]
        except (KeyError, TypeError, AttributeError) as error:
            raise WebhookRejected(f"not a Stripe event: {error}") from None

    def _provider_webhook_audit_headers(self):
        audit_headers = super()._provider_webhook_audit_headers()
        return (*audit_headers, SIGNATURE_HEADER) if self.provider == "stripe" else audit_headers

    def _provider_event_preparations(self, events):
        if self.provider != "stripe":
            return super()._provider_event_preparations(events)
        # Invoices first: the payments prepared are those of the invoices then posted.
        invoices = self.env["saas.stripe.invoice.handler"]._prepare_invoices(self, events)
        return invoices | self.env["saas.stripe.payment.handler"]._prepare_payments(self, events)

    def _provider_event_rank(self, event_type):
        if self.provider != "stripe":
            return super()._provider_event_rank(event_type)
        stage = event_type.rsplit(".", 1)[-1]
        if stage in FIRST_STAGES:
            return 0
        return 2 if stage in LAST_STAGES else 1

    def _provider_test_connection(self):
        if self.provider != "stripe":
            return super()._provider_test_connection()
        try:
            account_id = self._stripe_api().current_account()["id"]
        except StripeApiError as error:
            raise UserError(error.readable) from None
        if self.stripe_account_id and account_id != self.stripe_account_id:
            raise UserError(
                self.env._(
                    "The API key belongs to Stripe account %(key_account)s, not to "
                    "%(configured)s.",
                    key_account=account_id,
                    configured=self.stripe_account_id,
                )
            )
        return self.env._("Connected to Stripe account %s.", account_id)

    # ---------------------------------------------------------------------------------------
    # Setup
    # ---------------------------------------------------------------------------------------
    @api.depends("company_id")
    def _compute_stripe_journal_id(self):
        for backend in self:
            if backend.stripe_journal_id.company_id != backend.company_id:
                backend.stripe_journal_id = backend._stripe_company_sales_journal()

    def _stripe_company_sales_journal(self):
        return self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(self.company_id),
                ("type", "=", "sale"),
            ],
            limit=1,
        )

    def action_stripe_create_payment_journal(self):
        for backend in self:
            self.env["saas.stripe.payment.handler"]._payment_journal(backend)

    def action_stripe_book_fees(self):
        """Button: book the fees of the balance transactions up to now."""
        for backend in self:
            self.env["saas.stripe.fee.handler"]._book_fees_until(
                backend, until=fields.Datetime.now()
            )

    @api.model
    def _cron_stripe_book_fees(self):
        """Daily: the fees of the day before (``stripe_fee_handler.py``)."""
        self.env["saas.stripe.fee.handler"]._book_daily_fees()

    def _compute_stripe_api_key_status(self):
        for backend in self:
            backend.stripe_api_key_status = backend._secret_status("api_key")

    def _setup_checklist(self):
        items = super()._setup_checklist()
        if self.provider != "stripe":
            return items
        key = self._secret_status("api_key")

        def item(key_, label, ok, why_ok, why_missing):
            return {
                "key": key_,
                "label": label,
                "ok": bool(ok),
                "why": why_ok if ok else why_missing,
            }

        items[:0] = [
            item(
                "api_key",
                self.env._("Stripe API key"),
                key,
                self.env._(
                    "%s: Test Connection, re-syncs, backfills and reconciliation read Stripe.", key
                ),
                self.env._(
                    "Without it nothing reads Stripe: no re-sync, backfill or reconciliation."
                ),
            )
        ]
        balances = self.stripe_balance_ids
        without_payout = balances.filtered(lambda balance: not balance.payout_journal_id)
        items += [
            item(
                "sales_journal",
                self.env._("Sales journal"),
                self.stripe_journal_id,
                self.env._("Invoices from Stripe go to %s.", self.stripe_journal_id.display_name),
                self.env._("Invoices from Stripe fail until a sales journal is set."),
            ),
            item(
                "payment_journal",
                self.env._("Stripe journal"),
                self.stripe_payment_journal_id,
                self.env._(
                    "Payments and refunds go to %s.", self.stripe_payment_journal_id.display_name
                ),
                self.env._("Created with the first payment; create it now to review it first."),
            ),
            item(
                "fee_account",
                self.env._("Stripe fees account"),
                self.stripe_fee_account_id,
                self.env._(
                    "Fees are booked daily to %s.", self.stripe_fee_account_id.display_name
                ),
                self.env._("Stripe's fees are not booked, so the Stripe balance never ties."),
            ),
            item(
                "dispute_account",
                self.env._("Disputed funds account"),
                self.stripe_dispute_account_id,
                self.env._(
                    "Disputed funds are held in %s.", self.stripe_dispute_account_id.display_name
                ),
                self.env._("Dispute events fail until it is set."),
            ),
            item(
                "payout_journals",
                self.env._("Payout bank journals"),
                balances and not without_payout,
                self.env._("Each Stripe balance pays out to its bank journal."),
                self.env._(
                    "Payouts of %s fail: set the bank journal each currency pays out to.",
                    ", ".join(without_payout.currency_id.mapped("name")),
                )
                if without_payout
                else self.env._(
                    "No Stripe balance yet: add a currency and its payout bank journal."
                ),
            ),
        ]
        return items

    # ---------------------------------------------------------------------------------------
    # Helpers for the handlers
    # ---------------------------------------------------------------------------------------
    def _stripe_reads(self):
        """Whether the backend can read Stripe's API (it has a secret key)."""
        self.ensure_one()
        return bool(self.env["saas.secret"]._live_values(self, "api_key"))

    def _stripe_api(self):
        """The account's API (``lib/api``), reached with the key in use."""
        self.ensure_one()
        api_keys = self.env["saas.secret"]._live_values(self, "api_key")
        if not api_keys:
            raise UserError(self.env._("Set the Stripe secret key of %s first.", self.name))
        return StripeApi(
            api_keys[0],
            api_version=self.stripe_api_version,
            api_base=self.stripe_api_base,
            key_hint=self._stripe_api_key_secret().masked or "",
            gettext=self.env._,
        )

    # ---------------------------------------------------------------------------------------
    # Jobs
    # ---------------------------------------------------------------------------------------
    def _stripe_complete_stand_in(self, customer_id):
        """Job: read a customer still known only by its id and apply it through the inbox, as
        a webhook would. A customer deleted in Stripe leaves the stand-in as it is."""
        binding = self.env["saas.binding"].search(
            [
                ("backend_id", "=", self.id),
                ("res_model", "=", "res.partner"),
                ("external_id", "=", customer_id),
            ],
            limit=1,
        )
        # Without a secret key only the customer's event can fill the stand-in in.
        if not binding or binding.external_updated or not self._stripe_reads():
            return
        customer = self._stripe_fetch(self._stripe_api(), "customer", customer_id)
        if customer is None:
            _logger.info("Stripe customer %s of a stand-in partner does not exist", customer_id)
            return
        self._sync_objects([customer])


def _text(mapping, key):
    value = mapping[key]
    if not isinstance(value, str) or not value:
        raise TypeError(f"{key} is not a non-empty string")
    return value


def _created(event):
    value = event["created"]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("created is not a Unix timestamp")
    return datetime.fromtimestamp(value, UTC)
