from odoo import fields, models


class SaasStripeTaxMap(models.Model):
    """Which Odoo tax stands for a Stripe tax rate on imported invoices.

    Stripe has already computed the tax of every invoice line; the mapped Odoo tax must give
    the same amount, which the import checks to the cent. A line taxed by a rate that has no
    mapping fails its event, so that no invoice is posted with a guessed tax.
    """

    _name = "saas.stripe.tax.map"
    _description = "Stripe Tax Rate Mapping"
    _order = "backend_id, stripe_tax_rate_id"
    _rec_name = "stripe_tax_rate_id"
    _check_company_auto = True

    backend_id = fields.Many2one(
        "saas.backend",
        required=True,
        ondelete="cascade",
        index=True,
        domain=[("provider", "=", "stripe")],
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    stripe_tax_rate_id = fields.Char(
        string="Stripe Tax Rate ID",
        required=True,
        help="The tax rate's id in Stripe (txr_…), as invoice lines name it.",
    )
    description = fields.Char(
        help="What the rate is in Stripe (e.g. DE VAT 19 % exclusive), for the people who "
        "maintain the mapping."
    )
    tax_id = fields.Many2one(
        "account.tax",
        string="Odoo Tax",
        required=True,
        ondelete="restrict",
        check_company=True,
        domain="[('type_tax_use', '=', 'sale')]",
        help="A sales tax with the same rate, and included in the price exactly when the "
        "Stripe rate is inclusive.",
    )

    _stripe_tax_rate_unique = models.Constraint(
        "UNIQUE (backend_id, stripe_tax_rate_id)",
        "A Stripe tax rate is mapped once per Stripe account.",
    )
