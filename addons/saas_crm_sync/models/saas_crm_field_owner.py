from odoo import api, fields, models
from odoo.tools import html2plaintext

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
# The partner fields each shared field stands for, where the CRM's and Stripe's values meet.
PARTNER_FIELD_KEYS = {
    "name": "company_name",
    "website": "company_domain",
    "email": "billing_email",
    "street": "billing_address",
    "street2": "billing_address",
    "zip": "billing_address",
    "city": "billing_address",
    "state_id": "billing_address",
    "country_id": "billing_address",
    "vat": "tax_ids",
}
CONFLICT_SUBTYPE = "saas_crm_sync.mt_field_conflict"


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

    @api.model
    def _note_conflict(self, record, body):
        """Note on ``record`` that two systems disagreed on one of its fields and which one
        decided: a message of the *Field Ownership Conflict* subtype, which the backends'
        *Field Conflicts* lists. A system that repeats the same value (Stripe sends the whole
        customer on every change) notes it once, not at every event."""
        last = (
            self.env["mail.message"]
            .sudo()
            .search(
                [
                    ("model", "=", record._name),
                    ("res_id", "=", record.id),
                    ("subtype_id", "=", self.env.ref(CONFLICT_SUBTYPE).id),
                ],
                order="id desc",
                limit=1,
            )
        )
        if last and html2plaintext(last.body or "") == body:
            return
        record.message_post(body=body, subtype_xmlid=CONFLICT_SUBTYPE)

    @api.model
    def _owner_label(self, owner):
        return dict(self._fields["owner"]._description_selection(self.env))[owner]
