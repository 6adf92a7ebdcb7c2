from odoo import api, fields, models

DASHBOARD = "https://dashboard.stripe.com"


class AccountMove(models.Model):
    _inherit = "account.move"

    stripe_payment_failed = fields.Boolean(
        readonly=True,
        copy=False,
        help="Stripe's last attempt to collect this invoice failed; cleared once Stripe "
        "reports a payment.",
    )
    stripe_payment_failure = fields.Char(readonly=True, copy=False)
    stripe_decline_reason = fields.Char(
        string="Decline Reason",
        readonly=True,
        copy=False,
        help="Why the customer's bank or card declined Stripe's last attempt, as Stripe says.",
    )
    stripe_next_payment_attempt = fields.Datetime(
        string="Next Retry",
        readonly=True,
        copy=False,
        help="When Stripe tries to collect the invoice again; empty when no retry is planned.",
    )
    stripe_invoice_number = fields.Char(
        readonly=True,
        copy=False,
        help="The number Stripe gave the invoice, the one the customer received.",
    )
    stripe_invoice_ref = fields.Char(
        string="Stripe Invoice ID", compute="_compute_stripe_dashboard_url"
    )
    stripe_dashboard_url = fields.Char(
        string="Stripe Dashboard",
        compute="_compute_stripe_dashboard_url",
        help="The invoice in the Stripe dashboard of its backend's environment (test or live).",
    )

    @api.depends("state")
    def _compute_stripe_dashboard_url(self):
        # Invoices (and credit notes of negative invoices) are bound to their ``in_`` id; a
        # Stripe credit note's own binding has no invoice page.
        bindings = (
            self.env["saas.binding"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("backend_id.provider", "=", "stripe"),
                    ("external_id", "=like", "in\\_%"),
                    ("external_id", "not like", "/"),
                ]
            )
        )
        by_move = {binding.res_id: binding for binding in bindings}
        for move in self:
            binding = by_move.get(move.id)
            move.stripe_invoice_ref = binding.external_id if binding else False
            move.stripe_dashboard_url = (
                stripe_dashboard_url(
                    binding.backend_id.environment, "invoices", binding.external_id
                )
                if binding
                else False
            )


def stripe_dashboard_url(environment, kind, object_id):
    """The page of a Stripe object (``kind`` as in the dashboard's paths: ``invoices``,
    ``customers``…) in the dashboard of ``environment`` (``test`` or ``live``)."""
    prefix = f"{DASHBOARD}/test" if environment == "test" else DASHBOARD
    return f"{prefix}/{kind}/{object_id}"
