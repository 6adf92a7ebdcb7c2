from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AccountMoveLine(models.Model):
    """Canonical line attributes every provider fills and every consumer (deferred revenue,
    reports) reads, whatever system the line came from."""

    _inherit = "account.move.line"

    saas_service_start = fields.Date(
        string="Service Start", help="First day of the service this line bills (inclusive)."
    )
    saas_service_end = fields.Date(
        string="Service End", help="Last day of the service this line bills (inclusive)."
    )
    saas_is_proration = fields.Boolean(
        string="Proration", help="This line adjusts a period already billed (plan change)."
    )
    saas_proration_label = fields.Selection(
        [("proration", "Proration")],
        string="Proration Badge",
        compute="_compute_saas_proration_label",
        help="Shows the line as a proration in the invoice's lines.",
    )
    saas_source_line_id = fields.Char(
        string="Source Line ID", index="btree_not_null", help="The line's id in the source."
    )

    @api.depends("saas_is_proration")
    def _compute_saas_proration_label(self):
        for line in self:
            line.saas_proration_label = "proration" if line.saas_is_proration else False

    @api.constrains("saas_service_start", "saas_service_end")
    def _check_saas_service_period(self):
        for line in self:
            if (
                line.saas_service_start
                and line.saas_service_end
                and line.saas_service_end < line.saas_service_start
            ):
                raise ValidationError(
                    self.env._("The service end of line '%s' is before its start.", line.name)
                )
