from odoo import api, fields, models
from odoo.exceptions import UserError


class SaasReconciliationLine(models.Model):
    """One object type of a reconciliation run in one currency: how many objects and how
    much money the provider lists for the period, and how many of them Odoo has, for how
    much."""

    _name = "saas.reconciliation.line"
    _description = "SaaS Reconciliation Summary Line"
    _order = "run_id, sequence, object_type, currency_id"

    run_id = fields.Many2one(
        "saas.reconciliation.run", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    backend_id = fields.Many2one(related="run_id.backend_id", store=True)
    sequence = fields.Integer(default=10)
    object_type = fields.Char(
        string="Object Type Key",
        required=True,
        help="Technical key of the object type, e.g. invoice:paid, refund.",
    )
    name = fields.Char(string="Object Type", required=True)
    currency_id = fields.Many2one("res.currency", required=True)
    provider_count = fields.Integer(string="Count at Provider")
    provider_total = fields.Monetary(string="Total at Provider")
    odoo_count = fields.Integer(string="Count in Odoo")
    odoo_total = fields.Monetary(string="Total in Odoo")
    count_difference = fields.Integer(compute="_compute_differences", store=True)
    difference = fields.Monetary(
        compute="_compute_differences",
        store=True,
        help="Total at the provider minus total in Odoo.",
    )

    @api.depends("provider_count", "provider_total", "odoo_count", "odoo_total")
    def _compute_differences(self):
        for line in self:
            line.count_difference = line.provider_count - line.odoo_count
            line.difference = line.currency_id.round(line.provider_total - line.odoo_total)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_done_run(self):
        if any(line.run_id.state == "done" for line in self):
            raise UserError(self.env._("A finished reconciliation keeps its summary."))
