import json
import uuid
from collections import defaultdict
from dataclasses import dataclass

from odoo import api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.saas_connector_base.lib.errors import PermanentError, TransientError

ACTIVATION_STATES = [
    ("pending", "Waiting for Stripe"),
    ("customer", "Customer Created"),
    ("done", "Subscribed"),
    ("failed", "Failed"),
]


@dataclass(frozen=True)
class CrmParty:
    """A CRM company or contact as the activation needs it: ``key`` is its type-prefixed id
    (``company/123``, ``Account/001…``), the external id of its partner's binding."""

    key: str
    name: str
    email: str | None = None
    website: str | None = None
    vat: str | None = None


class SaasCrmActivation(models.Model):
    """A won deal on its way to one Stripe subscription, exactly once.

    The record is created by the deal's event, in the event's transaction, and the Stripe
    calls run afterwards in their own jobs: so it is committed before any Stripe call. Each
    call writes what Stripe answered before the next one starts, and every run reads the
    record first — a customer or subscription already there is never created again, whatever
    the number of deliveries, won events or retries. The calls carry idempotency keys derived
    from the record, so that a call whose answer was lost (the job died before its commit) is
    answered by Stripe with the object the first one created.
    """

    _name = "saas.crm.activation"
    _description = "CRM Deal Activation"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(string="Deal", required=True, readonly=True)
    backend_id = fields.Many2one(
        "saas.backend", string="CRM Backend", required=True, readonly=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    provider = fields.Selection(related="backend_id.provider")
    deal_external_id = fields.Char(
        string="CRM Deal ID", required=True, readonly=True, help="deal/123, Opportunity/006…"
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    stripe_backend_id = fields.Many2one(
        "saas.backend", string="Stripe Account", required=True, readonly=True
    )
    stripe_items = fields.Text(
        readonly=True,
        help="The subscription's items as sent to Stripe, fixed when the deal was won, so "
        "that a retried call sends what the first one sent.",
    )
    stripe_customer_id = fields.Char(readonly=True, copy=False)
    stripe_subscription_id = fields.Char(readonly=True, copy=False)
    subscription_id = fields.Many2one(
        "saas.subscription",
        compute="_compute_subscription_id",
        help="The subscription as Stripe's webhooks brought it into Odoo.",
    )
    state = fields.Selection(
        ACTIVATION_STATES, default="pending", required=True, readonly=True, tracking=True
    )
    activation_key = fields.Char(
        readonly=True,
        copy=False,
        default=lambda self: uuid.uuid4().hex,
        help="Prefix of the idempotency keys of the Stripe calls.",
    )
    retry_count = fields.Integer(
        readonly=True,
        help="Retries after Stripe refused a call: each makes new idempotency keys, since "
        "Stripe answers a key it refused with the same refusal for 24 hours.",
    )
    correlation_id = fields.Char(
        readonly=True, help="The correlation id of the event that won the deal."
    )
    error = fields.Text(readonly=True)

    _deal_unique = models.Constraint(
        "UNIQUE (backend_id, deal_external_id)", "This deal is already being activated."
    )

    def _compute_subscription_id(self):
        bindings = self.env["saas.binding"]
        for activation in self:
            activation.subscription_id = activation.stripe_subscription_id and bindings.lookup(
                activation.stripe_backend_id,
                "saas.subscription",
                activation.stripe_subscription_id,
            )

    # ---------------------------------------------------------------------------------------
    # From the deal's event
    # ---------------------------------------------------------------------------------------
    @api.model
    def _activate(self, backend, deal, company, contacts):
        """The activation of the won canonical ``deal`` of ``backend``, created on its first
        won event with its partner (the CRM ``company`` as a company partner, ``contacts``
        as its children; ``CrmParty`` each) and its Stripe items. Raises PermanentError when
        a line item's product maps to no Stripe price."""
        deal_key = self._deal_key(backend, deal)
        activation = self.search(
            [("backend_id", "=", backend.id), ("deal_external_id", "=", deal_key)]
        )
        if activation:
            # Another won event or a re-delivery: the activation runs on, once.
            activation._enqueue_step()
            return activation
        stripe_backend = backend.crm_stripe_backend_id
        if not stripe_backend:
            raise PermanentError(
                self.env._("Choose the Stripe account of %s: won deals go there.", backend.name)
            )
        items = self._stripe_items(backend, deal)
        partner = self._partner(backend, company, contacts)
        activation = self.create(
            {
                "name": deal.name or deal_key,
                "backend_id": backend.id,
                "deal_external_id": deal_key,
                "partner_id": partner.id,
                "stripe_backend_id": stripe_backend.id,
                "stripe_items": json.dumps(items),
                "correlation_id": self.env.context.get("saas_correlation_id"),
            }
        )
        activation._enqueue_step()
        return activation

    @api.model
    def _deal_key(self, backend, deal):
        return f"deal/{deal.id}" if backend.provider == "hubspot" else f"Opportunity/{deal.id}"

    @api.model
    def _stripe_items(self, backend, deal):
        """``[{"plan": price id, "quantity": n}]`` of the deal's line items, one per price."""
        if not deal.line_items:
            raise PermanentError(
                self.env._("Deal %s has no line items: nothing to subscribe to.", deal.id)
            )
        quantities = defaultdict(int)
        for line in deal.line_items:
            price = self.env["saas.crm.product.map"]._price_of(backend, line)
            if not price:
                raise PermanentError(
                    self.env._(
                        "Deal %(deal)s: product %(product)s (line item %(line)s) is not mapped "
                        "to a Stripe price. Map it in the backend's Product Mapping, then "
                        "replay the event.",
                        deal=deal.id,
                        product=" / ".join(filter(None, (line.name, line.product_id, line.sku))),
                        line=line.id,
                    )
                )
            if line.quantity != line.quantity.to_integral_value() or line.quantity <= 0:
                raise PermanentError(
                    self.env._(
                        "Deal %(deal)s: line item %(line)s has quantity %(quantity)s; a Stripe "
                        "subscription takes whole positive quantities.",
                        deal=deal.id,
                        line=line.id,
                        quantity=line.quantity,
                    )
                )
            quantities[price] += int(line.quantity)
        # ``plan`` rather than ``price``: Stripe takes a price id there too (prices and plans
        # share their ids), and so does localstripe, which knows no prices.
        return [{"plan": price, "quantity": quantity} for price, quantity in quantities.items()]

    @api.model
    def _partner(self, backend, company, contacts):
        """The company partner of ``company`` with ``contacts`` as its children: found by
        binding, then by VAT number, otherwise created; each bound for the next deal. A deal
        without a company is its first contact's."""
        bindings = self.env["saas.binding"]
        main = company or (contacts[0] if contacts else None)
        if main is None:
            raise PermanentError(self.env._("The deal has neither a company nor a contact."))
        partner = bindings.lookup(backend, "res.partner", main.key)
        if not partner and main.vat:
            partner = self.env["res.partner"].search(
                [
                    ("vat", "=", main.vat),
                    ("is_company", "=", True),
                    ("company_id", "in", (False, backend.company_id.id)),
                ],
                limit=1,
            )
            if partner:
                bindings.bind(backend, partner, main.key)
        if not partner:
            partner = bindings.lookup_or_create(
                backend,
                "res.partner",
                main.key,
                lambda: {
                    "name": main.name,
                    "company_id": backend.company_id.id,
                    "is_company": main is company,
                    "email": main.email,
                    "website": main.website,
                    "vat": main.vat,
                },
            )
        for contact in contacts if company else contacts[1:]:
            child = bindings.lookup_or_create(
                backend,
                "res.partner",
                contact.key,
                lambda contact=contact: {
                    "name": contact.name,
                    "company_id": backend.company_id.id,
                    "email": contact.email,
                    "parent_id": partner.id,
                    "type": "contact",
                },
            )
            if not child.parent_id:
                child.parent_id = partner
        return partner

    # ---------------------------------------------------------------------------------------
    # Stripe, one call per job
    # ---------------------------------------------------------------------------------------
    def _enqueue_step(self):
        """Enqueue the next Stripe call of an activation that is not through. One job per
        call: each commits what Stripe answered before the next call is made."""
        for activation in self.filtered(lambda a: a.state in ("pending", "customer")):
            step = "customer" if activation.state == "pending" else "subscription"
            activation.with_delay(
                channel=activation.backend_id.channel,
                identity_key=f"saas.crm.activation:{activation.id}:{step}",
                description=self.env._("Activate deal %s in Stripe", activation.name),
            )._run_step()

    def _run_step(self):
        """Job: the next Stripe call of the activation, as its state says."""
        self.ensure_one()
        if self.state not in ("pending", "customer"):
            return self.env._("Nothing to do: the activation is %s.", self.state)
        try:
            if self.state == "pending":
                message = self._create_stripe_customer()
            else:
                message = self._create_stripe_subscription()
        except TransientError as error:
            raise RetryableJobError(
                str(error), seconds=getattr(error, "retry_after", None) or 60
            ) from None
        except PermanentError as error:
            self.write({"state": "failed", "error": str(error)})
            self.backend_id._notify_failure()
            return str(error)
        self._enqueue_step()
        return message

    def _stripe_metadata(self):
        return {
            "crm": self.backend_id.provider,
            "crm_backend": str(self.backend_id.id),
            "crm_deal_id": self.deal_external_id.partition("/")[2],
            "odoo_activation": str(self.id),
            "correlation_id": self.correlation_id or "",
        }

    def _idempotency_key(self, call):
        """The same for every run of a call, so that Stripe answers a repeated call with the
        object the first one made; new after a retry of a call Stripe refused (which made
        nothing)."""
        return f"saas-crm-{self.activation_key}-{call}-{self.retry_count}"

    def _create_stripe_customer(self):
        partner = self.partner_id
        customer = self.stripe_backend_id._stripe_api().create_object(
            "customers",
            {
                "name": partner.name,
                **({"email": partner.email} if partner.email else {}),
                "metadata": {**self._stripe_metadata(), "odoo_partner": str(partner.id)},
            },
            idempotency_key=self._idempotency_key("customer"),
        )
        self.write({"stripe_customer_id": customer["id"], "state": "customer", "error": False})
        # The customer's own webhook then updates this partner instead of creating another.
        self.env["saas.binding"].bind(self.stripe_backend_id, partner, customer["id"])
        return self.env._("Stripe customer %s created.", customer["id"])

    def _create_stripe_subscription(self):
        # Charging automatically is Stripe's default, left unsaid (localstripe takes nothing
        # else).
        collection = {}
        if self.backend_id.crm_collection_method == "send_invoice":
            collection = {
                "collection_method": "send_invoice",
                "days_until_due": self.backend_id.crm_days_until_due,
            }
        subscription = self.stripe_backend_id._stripe_api().create_object(
            "subscriptions",
            {
                "customer": self.stripe_customer_id,
                "items": json.loads(self.stripe_items),
                "metadata": self._stripe_metadata(),
                **collection,
            },
            idempotency_key=self._idempotency_key("subscription"),
        )
        self.write({"stripe_subscription_id": subscription["id"], "state": "done", "error": False})
        return self.env._("Stripe subscription %s created.", subscription["id"])

    def action_retry(self):
        """Run a failed activation again, from the call that failed."""
        for activation in self.filtered(lambda a: a.state == "failed"):
            activation.write(
                {
                    "state": "customer" if activation.stripe_customer_id else "pending",
                    "error": False,
                    "retry_count": activation.retry_count + 1,
                }
            )
            activation.message_post(body=self.env._("Retried by %s.", self.env.user.name))
        self._enqueue_step()

    def action_view_subscription(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "saas.subscription",
            "res_id": self.subscription_id.id,
            "view_mode": "form",
        }
