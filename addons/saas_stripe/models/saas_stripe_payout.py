from odoo import api, fields, models

PAYOUT_STATES = [
    ("pending", "Pending"),
    ("in_transit", "In Transit"),
    ("paid", "Paid"),
    ("failed", "Failed"),
    ("canceled", "Canceled"),
]


class SaasStripePayout(models.Model):
    """A Stripe payout: money sent from a Stripe balance to a bank account.

    Once paid, its journal entry books the fees Stripe took on what it settles and moves its
    amount from the Stripe balance's clearing account to the bank journal's outstanding
    receipts, where the bank statement line of the payout finds it. Its lines are the balance
    transactions it settles, each with the Odoo document that stands for it.
    """

    _name = "saas.stripe.payout"
    _inherit = ["mail.thread"]
    _description = "Stripe Payout"
    _order = "arrival_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Payout ID", required=True, readonly=True, help="po_… in Stripe.")
    backend_id = fields.Many2one(
        "saas.backend", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    state = fields.Selection(
        PAYOUT_STATES, required=True, default="pending", readonly=True, tracking=True
    )
    amount = fields.Monetary(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    automatic = fields.Boolean(
        readonly=True,
        help="Paid out by Stripe's payout schedule. Only such a payout tells which balance "
        "transactions it settles, hence their fees; a manual payout books its transfer alone.",
    )
    arrival_date = fields.Date(readonly=True, help="When the money is expected at the bank.")
    journal_id = fields.Many2one(
        "account.journal", string="Bank Journal", readonly=True, check_company=True
    )
    move_id = fields.Many2one(
        "account.move", string="Journal Entry", readonly=True, copy=False, check_company=True
    )
    failure_move_id = fields.Many2one(
        "account.move",
        string="Failure Entry",
        readonly=True,
        copy=False,
        check_company=True,
        help="Takes the amount back from the bank to the Stripe balance when a paid payout fails.",
    )
    failure_message = fields.Char(readonly=True)
    line_ids = fields.One2many(
        "saas.stripe.payout.line", "payout_id", string="Balance Transactions", readonly=True
    )
    fee_total = fields.Monetary(string="Fees", compute="_compute_totals", store=True)
    unmatched_count = fields.Integer(
        string="Without Document",
        compute="_compute_totals",
        store=True,
        help="Balance transactions booked on the other Stripe movements account because no "
        "Odoo document stands for them.",
    )

    _name_unique = models.Constraint(
        "UNIQUE (backend_id, name)", "A Stripe payout is recorded once per Stripe account."
    )

    @api.depends("line_ids.fee", "line_ids.document")
    def _compute_totals(self):
        for payout in self:
            payout.fee_total = sum(payout.line_ids.mapped("fee"))
            payout.unmatched_count = len(
                payout.line_ids.filtered(lambda line: not line.document and line.amount)
            )


class SaasStripePayoutLine(models.Model):
    """A balance transaction a payout settles: its amount, the fee Stripe took on it, and the
    Odoo document (payment, refund, dispute entry…) that stands for it."""

    _name = "saas.stripe.payout.line"
    _description = "Stripe Payout Balance Transaction"
    _order = "payout_id, id"
    _rec_name = "transaction_id"

    payout_id = fields.Many2one(
        "saas.stripe.payout", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="payout_id.company_id", store=True)
    currency_id = fields.Many2one(related="payout_id.currency_id")
    transaction_id = fields.Char(string="Balance Transaction", required=True, help="txn_…")
    type = fields.Char(help="Stripe's type of the transaction: charge, refund, adjustment…")
    amount = fields.Monetary()
    fee = fields.Monetary()
    net = fields.Monetary()
    source_id = fields.Char(help="The charge, refund, dispute… in Stripe.")
    description = fields.Char()
    document = fields.Reference(
        [("account.payment", "Payment"), ("account.move", "Journal Entry")],
        help="Empty: no Odoo document stands for the transaction, its amount went to the "
        "other Stripe movements account.",
    )
