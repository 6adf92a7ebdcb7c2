from odoo import api, fields, models

OWNERS = [("crm", "CRM"), ("stripe", "Stripe"), ("odoo", "Odoo")]
# (key, label, default owner): who is the source of truth of each shared field, as the
# well-regarded billing connectors name it (one owner per field, never two writers).
FIELD_OWNERSHIP = [
    ("company_name", "Company name", "crm"),
    ("company_domain", "Company domain (website)", "crm"),
    ("deal_stage", "Deal stage", "crm"),
    ("deal_lines", "Deal lines and quantities", "crm"),
    ("billing_state", "Subscription and billing state", "stripe"),
    ("billing_email", "Billing email", "stripe"),
    ("billing_address", "Billing address", "stripe"),
    ("tax_ids", "Tax IDs", "stripe"),
    ("accounting", "Invoices, payments and journal entries", "odoo"),
    ("writeback", "Billing fields written back to the CRM", "odoo"),
]
DEFAULT_OWNERS = {key: owner for key, _label, owner in FIELD_OWNERSHIP}


class SaasCrmFieldOwner(models.Model):
    """Which system owns a field shared by the CRM, Stripe and Odoo on one CRM backend. A
    value coming from a system that does not own the field is not applied, and the conflict
    is noted on the record it concerns."""

    _name = "saas.crm.field.owner"
    _description = "CRM Field Owner"
    _order = "backend_id, sequence, id"

    backend_id = fields.Many2one(
        "saas.backend", string="CRM Backend", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    field_key = fields.Selection(
        [(key, label) for key, label, _owner in FIELD_OWNERSHIP], string="Field", required=True
    )
    owner = fields.Selection(OWNERS, required=True)

    _field_unique = models.Constraint(
        "UNIQUE (backend_id, field_key)", "This field already has an owner on this backend."
    )

    @api.model
    def _default_rows(self):
        """One2many commands of the default matrix."""
        return [
            (0, 0, {"sequence": index, "field_key": key, "owner": owner})
            for index, (key, _label, owner) in enumerate(FIELD_OWNERSHIP)
        ]
