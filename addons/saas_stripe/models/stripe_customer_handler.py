from datetime import timedelta

from odoo import fields, models, tools
from odoo.addons.saas_connector_base.lib.errors import TransientError

ADDRESS_FIELDS = {"line1": "street", "line2": "street2", "city": "city", "postal_code": "zip"}
# How long a stand-in partner waits for its customer's own event before the customer is read
# from Stripe: past Stripe's usual delivery delay, well before its retries give up (3 days).
STAND_IN_GRACE = timedelta(minutes=15)


class SaasStripeCustomerHandler(models.AbstractModel):
    """Stripe customers → partners.

    Stripe fills, never erases: a value the customer lacks (no phone, a null address line)
    leaves the partner's own alone, so a partner linked by email keeps what Odoo knew. The
    customer's tax id becomes the partner's ``vat`` when Odoo accepts it for the partner's
    country: with ``base_vat`` installed its check decides, without it any tax id is kept as
    Stripe has it.
    """

    _name = "saas.stripe.customer.handler"
    _inherit = "saas.stripe.handler"
    _description = "Stripe Customer Handler"

    _provider = "stripe"
    _handles = {
        "customer.created": "_customer_updated",
        "customer.updated": "_customer_updated",
        "customer.deleted": "_customer_deleted",
        "customer.tax_id.created": "_tax_id_updated",
        "customer.tax_id.updated": "_tax_id_updated",
        "customer.tax_id.deleted": "_tax_id_deleted",
    }

    def _customer_updated(self, backend, event):
        customer = self._event_object(backend, event)
        bindings = self.env["saas.binding"]
        partner = bindings.lookup(backend, "res.partner", customer.id)
        if not partner:
            partner = self._partner_created_for(backend, customer)
        if not partner and backend.stripe_match_partner_by_email and customer.email:
            partner = self._partner_by_email(backend, customer.email)
        if not partner:
            # Created whole, so that the partner's chatter starts with its creation rather
            # than with a change of every field.
            partner = bindings.lookup_or_create(
                backend,
                "res.partner",
                customer.id,
                lambda: {
                    "is_company": True,
                    "company_id": backend.company_id.id,
                    **self._partner_values(backend, customer, self.env["res.partner"]),
                    "name": customer.name or customer.email or customer.id,
                },
                updated=event.source_created,
            )
        # Only what changed is written: the chatter tracks real changes, and an unchanged
        # customer (a redelivery, a backfill of known customers) costs no write.
        changes = self._partner_changes(
            backend,
            partner,
            {
                name: value
                for name, value in self._partner_values(backend, customer, partner).items()
                if partner._fields[name].convert_to_write(partner[name], partner) != value
            },
        )
        if changes:
            partner.write(changes)
        bindings.bind(backend, partner, customer.id, updated=event.source_created)
        return partner

    def _customer_deleted(self, backend, event):
        """The partner is archived, not deleted: its invoices and payments stay, and the
        binding keeps telling which customer it was."""
        customer_id = event.object_external_id
        bindings = self.env["saas.binding"]
        partner = bindings.lookup(backend, "res.partner", customer_id)
        if partner:
            partner.active = False
            bindings.bind(backend, partner, customer_id, updated=event.source_created)
        return partner

    def _tax_id_updated(self, backend, event):
        tax_id = self._event_object(backend, event)
        partner = self._tax_id_partner(backend, tax_id)
        if partner:
            value = self._vat(backend, partner, partner.country_id, [tax_id])
            # A customer may have several tax ids: one of another country does not replace
            # the partner's own.
            if (
                value
                and value != partner.vat
                and (not partner.vat or tax_id.country == partner.country_id.code)
                and self._partner_changes(backend, partner, {"vat": value})
            ):
                partner.vat = value
            self.env["saas.binding"].bind(
                backend, partner, tax_id.id, updated=event.source_created
            )
        return partner

    def _tax_id_deleted(self, backend, event):
        tax_id = self._event_object(backend, event)
        partner = self._tax_id_partner(backend, tax_id)
        if partner:
            if (
                partner.vat
                and _compact(partner.vat) == _compact(tax_id.value)
                and self._partner_changes(backend, partner, {"vat": False})
            ):
                partner.vat = False
            self.env["saas.binding"].bind(
                backend, partner, tax_id.id, updated=event.source_created
            )
        return partner

    # ---------------------------------------------------------------------------------------
    def _partner_changes(self, backend, partner, changes):
        """The ``changes`` (``{field: value}``, only what differs) of a customer's partner
        that Stripe applies: all of them here. An addon that shares the partner's fields with
        another system overrides it to keep those that system owns, so that the fields of a
        partner are never decided by whichever system wrote last."""
        return changes

    def _partner_created_for(self, backend, customer):
        """The partner Odoo itself created ``customer`` for, known by what Odoo put in the
        customer (its metadata); empty here. A module that creates Stripe customers overrides
        it: the customer's own event may be handled before the call that created it has
        committed its binding, and would otherwise make a second partner of it."""
        return self.env["res.partner"]

    def _complete_stand_in_later(self, backend, customer_id):
        """A stand-in partner is filled in by its customer's event; if that event was lost,
        nothing else would ever bring the customer's name, address and tax id. After a grace
        period the customer is read from Stripe, unless its event came meanwhile."""
        backend.with_delay(
            eta=fields.Datetime.now() + STAND_IN_GRACE,
            identity_key=f"saas_stripe_stand_in:{backend.id}:{customer_id}",
            description=self.env._("Read Stripe customer %s", customer_id),
        )._stripe_complete_stand_in(customer_id)

    def _partner_by_email(self, backend, email):
        """The oldest partner of the backend's company (or shared) with this email that is
        not yet some other customer's: two Stripe customers never share a partner."""
        candidates = self.env["res.partner"].search(
            [
                ("email_normalized", "=", tools.email_normalize(email)),
                ("company_id", "in", [backend.company_id.id, False]),
            ],
            order="id",
        )
        bound = (
            self.env["saas.binding"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", candidates.ids),
                ]
            )
            .mapped("res_id")
        )
        return candidates.filtered(lambda partner: partner.id not in bound)[:1]

    def _partner_values(self, backend, customer, partner):
        values = {
            key: value
            for key, value in (
                ("name", customer.name),
                ("email", customer.email),
                ("phone", customer.phone),
            )
            if value
        }
        values.update(self._address_values(backend, customer.address))
        if customer.currency:
            values["stripe_currency_id"] = self._currency(backend, customer.currency).id
        country = self.env["res.country"].browse(values.get("country_id")) or partner.country_id
        vat = self._vat(backend, partner, country, customer.tax_ids)
        if vat:
            values["vat"] = vat
        return values

    def _address_values(self, backend, address):
        if not address:
            return {}
        values = {
            field: getattr(address, key)
            for key, field in ADDRESS_FIELDS.items()
            if getattr(address, key)
        }
        country = address.country and self.env["res.country"].search(
            [("code", "=", address.country)], limit=1
        )
        if country:
            values["country_id"] = country.id
            # Stripe takes a state as typed (a code in most countries, a name in others).
            state = address.state and self.env["res.country.state"].search(
                [
                    ("country_id", "=", country.id),
                    "|",
                    ("code", "=ilike", address.state),
                    ("name", "=ilike", address.state),
                ],
                limit=1,
            )
            if state:
                values["state_id"] = state.id
        return values

    def _vat(self, backend, partner, country, tax_ids):
        """The first of ``tax_ids`` Odoo accepts as the VAT of a partner in ``country``, those
        of that very country first; None when there is none."""
        ordered = sorted(tax_ids, key=lambda tax_id: tax_id.country != country.code)
        for tax_id in ordered:
            vat, _country_code = partner._run_vat_checks(
                country, tax_id.value, partner_name=partner.name, validation="setnull"
            )
            if vat:
                return vat
        return None

    def _tax_id_partner(self, backend, tax_id):
        """The partner of a tax id's customer; none for the account's own tax ids, which
        belong to no customer."""
        customer_id = tax_id.customer_id
        if not customer_id:
            return self.env["res.partner"]
        partner = self.env["saas.binding"].lookup(backend, "res.partner", customer_id)
        if not partner:
            # The customer's own events arrive at the same time and another job applies them:
            # wait for it rather than lose the tax id.
            raise TransientError(
                self.env._("Customer %s is not imported yet.", customer_id),
                awaits=("res.partner", customer_id),
            )
        return partner


def _compact(vat):
    return (vat or "").replace(" ", "").upper()
