from odoo import api, fields, models

# Stripe's dispute statuses, inquiries (warning_*) first; see lib/normalize.py.
DISPUTE_STATUS_SELECTION = [
    ("warning_needs_response", "Inquiry: Needs Response"),
    ("warning_under_review", "Inquiry: Under Review"),
    ("warning_closed", "Inquiry: Closed"),
    ("needs_response", "Needs Response"),
    ("under_review", "Under Review"),
    ("won", "Won"),
    ("lost", "Lost"),
    ("charge_refunded", "Charge Refunded"),
    ("prevented", "Prevented"),
]


class SaasStripeDispute(models.Model):
    """A dispute (chargeback) or inquiry a cardholder's bank opened on a Stripe charge.

    Stripe owns it: Odoo keeps its status, the deadline for evidence and the journal entries
    of the money it moved on the Stripe balance (``stripe_dispute_handler.py``). The Stripe id
    is on the record's binding too (External IDs), like every imported record's.
    """

    _name = "saas.stripe.dispute"
    _description = "Stripe Dispute"
    _inherit = ["mail.thread", "mail.activity.mixin", "saas.binding.mixin"]
    _order = "disputed_at desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Stripe Dispute", required=True, readonly=True, index=True)
    backend_id = fields.Many2one(
        "saas.backend", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    status = fields.Selection(
        DISPUTE_STATUS_SELECTION, required=True, readonly=True, tracking=True
    )
    reason = fields.Char(
        readonly=True,
        help="Stripe's reason code, as the cardholder's bank gave it (fraudulent, duplicate, "
        "product_not_received…).",
    )
    amount = fields.Monetary(string="Disputed Amount", readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    disputed_at = fields.Datetime(string="Opened On", readonly=True)
    evidence_due_by = fields.Datetime(
        readonly=True,
        tracking=True,
        help="Deadline Stripe gives to submit evidence; past it, the dispute is lost.",
    )
    is_charge_refundable = fields.Boolean(
        string="Charge Refundable",
        readonly=True,
        help="An inquiry can still be settled by refunding the charge, which avoids a "
        "chargeback and its fee.",
    )
    charge_ref = fields.Char(string="Stripe Charge", readonly=True, index=True)
    payment_intent_ref = fields.Char(string="Stripe Payment Intent", readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index=True)
    payment_id = fields.Many2one(
        "account.payment",
        string="Disputed Payment",
        readonly=True,
        check_company=True,
        index="btree_not_null",
        help="Empty when the disputed charge is not in Odoo (paid before the import, or "
        "outside Stripe Billing).",
    )
    invoice_id = fields.Many2one(
        "account.move",
        string="Disputed Invoice",
        readonly=True,
        check_company=True,
        index="btree_not_null",
    )
    move_ids = fields.Many2many(
        "account.move",
        "saas_stripe_dispute_account_move_rel",
        "dispute_id",
        "move_id",
        string="Journal Entries",
        readonly=True,
        help="Funds withdrawn from and reinstated to the Stripe balance, and what a lost "
        "dispute cost.",
    )
    move_count = fields.Integer(compute="_compute_move_count")
    _stripe_id_unique = models.Constraint(
        "UNIQUE (backend_id, name)", "A Stripe dispute is recorded once per backend."
    )

    @api.depends("move_ids")
    def _compute_move_count(self):
        for dispute in self:
            dispute.move_count = len(dispute.move_ids)

    def action_view_moves(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Journal Entries"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", self.move_ids.ids)],
            "context": {"create": False},
        }


class AccountMove(models.Model):
    """The disputes of an invoice's payments, one click away from the invoice."""

    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    stripe_dispute_count = fields.Integer(
        string="Stripe Disputes",
        compute="_compute_stripe_dispute_count",
        groups="saas_connector_base.group_saas_user",
    )

    def _compute_stripe_dispute_count(self):
        counts = dict(
            self.env["saas.stripe.dispute"]._read_group(
                [("invoice_id", "in", self.ids)], ["invoice_id"], ["__count"]
            )
        )
        for move in self:
            move.stripe_dispute_count = counts.get(move, 0)

    def action_view_stripe_disputes(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Stripe Disputes"),
            "res_model": "saas.stripe.dispute",
            "view_mode": "list,form",
            "domain": [("invoice_id", "=", self.id)],
        }
