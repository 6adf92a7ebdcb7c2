from odoo import api, fields, models
from odoo.addons.saas_connector_base.lib.errors import PermanentError
from odoo.tools import float_compare

from ..lib.api import StripePermanentError


class SaasStripeTaxMap(models.Model):
    """Which Odoo tax stands for a Stripe tax rate on imported invoices.

    Stripe has already computed the tax of every invoice line; the mapped Odoo tax must give
    the same amount, which the import checks to the cent. A line taxed by a rate that has no
    mapping fails its event, so that no invoice is posted with a guessed tax — unless the
    backend matches taxes by rate, and exactly one Odoo tax fits the rate: that match is then
    recorded here, marked, for finance to review.
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
    matched_by_rate = fields.Boolean(
        readonly=True,
        help="Recorded by an invoice import that found exactly one Odoo sales tax with the "
        "Stripe rate's percentage, inclusiveness and country (the backend's Match Taxes by "
        "Rate). Changing the tax makes it a mapping like any other.",
    )

    _stripe_tax_rate_unique = models.Constraint(
        "UNIQUE (backend_id, stripe_tax_rate_id)",
        "A Stripe tax rate is mapped once per Stripe account.",
    )

    def write(self, vals):
        if "tax_id" in vals and "matched_by_rate" not in vals:
            # A tax chosen by hand is no longer the import's guess.
            vals = {**vals, "matched_by_rate": False}
        return super().write(vals)

    @api.model
    def _stripe_match_by_rate(self, backend, tax_rate_id):
        """The mapping of ``tax_rate_id`` to the one Odoo sales tax that fits the rate Stripe
        describes, created now; a PermanentError naming the candidates when none or several
        fit."""
        rate = self._stripe_tax_rate(backend, tax_rate_id)
        # A rate of an older API version may lack some of these fields.
        country, inclusive = rate.get("country"), bool(rate.get("inclusive"))
        label = self.env._(
            "%(percentage)s %% %(kind)s%(country)s",
            percentage=rate.get("percentage"),
            kind=self.env._("inclusive") if inclusive else self.env._("exclusive"),
            country=f", {country}" if country else "",
        )
        if rate.get("state"):
            # Odoo taxes have a country but no state: two states' rates of the same percentage
            # would both land on one tax.
            raise PermanentError(
                self.env._(
                    "Stripe tax rate %(rate)s (%(label)s) is a rate of %(state)s, which "
                    "cannot be told apart by rate. Map it in the Tax Mapping of backend "
                    "%(backend)s, then replay the event.",
                    rate=tax_rate_id,
                    label=label,
                    state=rate.get("state"),
                    backend=backend.name,
                )
            )
        taxes = self.env["account.tax"].with_company(backend.company_id)
        candidates = taxes.search(
            [
                *taxes._check_company_domain(backend.company_id),
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
                *([("country_id.code", "=", country.upper())] if country else []),
            ]
        ).filtered(
            lambda tax: (
                tax.price_include == inclusive
                and float_compare(tax.amount, rate.get("percentage") or 0, 4) == 0
            )
        )
        if len(candidates) != 1:
            raise PermanentError(
                self.env._(
                    "Stripe tax rate %(rate)s (%(label)s) has no mapping and %(found)s. Map it "
                    "in the Tax Mapping of backend %(backend)s, then replay the event.",
                    rate=tax_rate_id,
                    label=label,
                    found=self.env._(
                        "matches several Odoo sales taxes: %s",
                        ", ".join(candidates.mapped("display_name")),
                    )
                    if candidates
                    else self.env._("no Odoo sales tax has that rate"),
                    backend=backend.name,
                )
            )
        # The import records what it matched whoever runs it: mappings are otherwise a
        # manager's to write.
        mapping = self.sudo().create(
            {
                "backend_id": backend.id,
                "stripe_tax_rate_id": tax_rate_id,
                "description": " ".join(filter(None, [rate.get("display_name"), label])),
                "tax_id": candidates.id,
                "matched_by_rate": True,
            }
        )
        return mapping.sudo(False)

    @api.model
    def _stripe_tax_rate(self, backend, tax_rate_id):
        """The Stripe tax rate ``tax_rate_id`` as a dict; transient API errors propagate so
        that the event is retried."""
        try:
            return backend._stripe_api().retrieve("tax_rates", tax_rate_id)
        except StripePermanentError as error:
            raise PermanentError(
                self.env._(
                    "Stripe did not describe tax rate %(rate)s: %(error)s",
                    rate=tax_rate_id,
                    error=error.user_message or error.http_status,
                )
            ) from None
