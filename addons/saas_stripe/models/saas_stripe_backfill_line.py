from odoo import api, fields, models

# The object types a backfill reads, in the order it reads them: what an object refers to is
# imported before it (customers and prices before subscriptions, invoices before the charges
# that pay them, charges before their refunds and disputes). Balance transactions come last:
# they book the fees that the payouts read before them did not settle.
OBJECT_TYPES = [
    ("customers", "Customers"),
    ("products", "Products"),
    ("prices", "Prices"),
    ("plans", "Plans (legacy API)"),
    ("subscriptions", "Subscriptions"),
    ("invoices", "Invoices"),
    ("credit_notes", "Credit Notes"),
    ("charges", "Charges"),
    ("refunds", "Refunds"),
    ("disputes", "Disputes"),
    ("payouts", "Payouts"),
    ("balance_transactions", "Balance Transactions (fees)"),
]
OBJECT_TYPE_SEQUENCE = {
    object_type: index for index, (object_type, _label) in enumerate(OBJECT_TYPES)
}
# Customers, the catalogue and subscriptions are read whatever their creation date: documents
# of the period refer to customers and prices created long before it, and a subscription's
# current state matters whenever it started. The date range selects the money documents.
UNDATED_TYPES = frozenset({"customers", "products", "prices", "plans", "subscriptions"})
# Prices cover plans on Stripe (every recurring price is also listed as a plan): by default
# only prices are read.
DEFAULT_TYPES = [object_type for object_type, _label in OBJECT_TYPES if object_type != "plans"]


class SaasStripeBackfillLine(models.Model):
    """The progress of one object type within a backfill run: where its listing stands (the
    cursor is the id of the last object read, from which the next page starts) and how many
    objects were imported."""

    _name = "saas.stripe.backfill.line"
    _description = "Stripe Backfill Progress"
    _order = "backfill_id, sequence, id"

    backfill_id = fields.Many2one(
        "saas.stripe.backfill", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="backfill_id.company_id", store=True)
    object_type = fields.Selection(OBJECT_TYPES, required=True)
    sequence = fields.Integer(compute="_compute_sequence", store=True)
    cursor = fields.Char(
        readonly=True, help="Id of the last object read; the next page starts after it."
    )
    done_count = fields.Integer(
        string="Imported", readonly=True, help="Objects of the period handed to the engine."
    )
    read_count = fields.Integer(string="Read", readonly=True)
    expected_count = fields.Integer(
        string="Expected",
        readonly=True,
        help="How many objects the listing holds, when Stripe says so; used for the ETA.",
    )
    is_done = fields.Boolean(string="Done", readonly=True)

    _object_type_unique = models.Constraint(
        "UNIQUE (backfill_id, object_type)", "Each object type is read once per backfill."
    )

    @api.depends("object_type")
    def _compute_sequence(self):
        for line in self:
            line.sequence = OBJECT_TYPE_SEQUENCE.get(line.object_type, 0)
