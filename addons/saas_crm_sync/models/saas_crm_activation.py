import json
import uuid
from collections import defaultdict
from dataclasses import dataclass

from odoo import api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.saas_connector_base.lib.errors import PermanentError, TransientError
from odoo.addons.saas_connector_base.lib.money import odoo_decimal
from odoo.addons.saas_connector_base.models.saas_event_processing import CONNECTION_LOST
from odoo.exceptions import UserError
from odoo.fields import Domain

from ..lib import writeback

DEAL_STATES = [
    ("won", "Won"),
    ("not_won", "Not Won Any More"),
    ("deleted", "Deleted in the CRM"),
    ("merged", "Merged into Another Activated Deal"),
]
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
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
    items_revision = fields.Integer(
        readonly=True,
        copy=False,
        help="How many times the deal's lines changed the subscription's items since the "
        "deal was won: each change is its own Stripe call with its own idempotency key.",
    )
    deal_state = fields.Selection(
        DEAL_STATES,
        string="Deal Status",
        default="won",
        required=True,
        readonly=True,
        tracking=True,
        help="Whether the CRM still shows the deal won. A deal lost, reopened or deleted after "
        "its activation never cancels its billing: the activation is flagged and a person "
        "decides, in Stripe, what happens to the subscription.",
    )
    writeback_pending = fields.Boolean(
        string="Write-Back Pending",
        readonly=True,
        copy=False,
        help="What Odoo writes back to the deal changed since it was last written.",
    )
    writeback_date = fields.Datetime(string="Written Back", readonly=True, copy=False)
    writeback_error = fields.Text(string="Write-Back Error", readonly=True, copy=False)

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
            # Another won event or a re-delivery: the activation runs on, once. A deal won
            # again after being flagged is won again; its lines may have changed.
            if activation.deal_state != "won":
                activation.deal_state = "won"
            # The company's fields it owns follow the CRM; contacts added since are linked.
            self._partner(backend, company, contacts)
            activation._apply_deal_lines(deal)
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
    def _apply_party(self, backend, partner, party):
        """The CRM's values of an already linked customer (name, domain, and the email and
        VAT number it sends), applied where the CRM owns them; a value it does not own —
        Stripe's billing email and tax ids, by default — is kept as it is in Odoo. Either way
        the conflict is noted on the partner."""
        owners = self.env["saas.crm.field.owner"]
        for key, field_name, value in (
            ("company_name", "name", party.name),
            ("company_domain", "website", party.website),
            ("billing_email", "email", party.email),
            ("tax_ids", "vat", party.vat),
        ):
            current = partner[field_name] or False
            if not value or _same(field_name, current, value):
                continue
            owner = backend._crm_owner(key)
            if owner == "crm":
                partner[field_name] = value
                body = self.env._(
                    "%(field)s changed in %(crm)s from %(old)s to %(new)s: the CRM owns it.",
                    field=partner._fields[field_name].string,
                    crm=backend.name,
                    old=current or "-",
                    new=value,
                )
            else:
                body = self.env._(
                    "%(field)s is %(new)s in %(crm)s but stays %(old)s: %(owner)s owns it.",
                    field=partner._fields[field_name].string,
                    crm=backend.name,
                    old=current or "-",
                    new=value,
                    owner=owners._owner_label(owner),
                )
            owners._note_conflict(partner, body)

    def _apply_deal_lines(self, deal):
        """Follow a change of the won deal's lines or quantities in the Stripe subscription:
        the new items are kept on the activation, and one job per activation sends the
        items the activation shows when it runs. Before the subscription exists, the
        activation's own call sends the items it was won with: a change then waits for the
        next event of the deal."""
        self.ensure_one()
        if self.state != "done":
            return
        items = self._stripe_items(self.backend_id, deal)
        if _by_plan(items) == _by_plan(json.loads(self.stripe_items)):
            return
        if self.backend_id._crm_owner("deal_lines") != "crm":
            self.env["saas.crm.field.owner"]._note_conflict(
                self,
                self.env._(
                    "The deal's lines changed in the CRM, which does not own them here: the "
                    "Stripe subscription's items stay as they are."
                ),
            )
            return
        self.write({"stripe_items": json.dumps(items), "items_revision": self.items_revision + 1})
        self.message_post(
            body=self.env._(
                "The deal's lines changed: the Stripe subscription's items become %s.",
                ", ".join(f"{item['quantity']} of {item['plan']}" for item in items),
            )
        )
        self.with_delay(
            channel=self.backend_id.channel,
            identity_key=f"saas.crm.activation:{self.id}:items",
            description=self.env._("Update the Stripe items of deal %s", self.name),
        )._update_stripe_items()

    def _update_stripe_items(self):
        """Job: make the Stripe subscription's items those the activation shows now. Items of
        a price already subscribed change their quantity, new prices are added, prices
        gone are deleted; Stripe prorates item changes by default (create_prorations) —
        the parameter is left unsaid, as localstripe refuses it."""
        self.ensure_one()
        wanted = _by_plan(json.loads(self.stripe_items))
        api = self.stripe_backend_id._stripe_api()
        try:
            subscription = api.retrieve("subscriptions", self.stripe_subscription_id)
            current = {
                (item.get("price") or item.get("plan") or {}).get("id"): item
                for item in subscription["items"]["data"]
            }
            items = [
                {"id": current[plan]["id"], "quantity": quantity}
                if plan in current
                else {"plan": plan, "quantity": quantity}
                for plan, quantity in wanted.items()
            ] + [
                {"id": item["id"], "deleted": True}
                for plan, item in current.items()
                if plan not in wanted
            ]
            if all(
                plan in current and current[plan].get("quantity") == quantity
                for plan, quantity in wanted.items()
            ) and len(current) == len(wanted):
                return self.env._("The Stripe subscription already has these items.")
            api.update_object(
                "subscriptions",
                self.stripe_subscription_id,
                {"items": items},
                idempotency_key=self._idempotency_key(f"items-{self.items_revision}"),
            )
        except TransientError as error:
            raise RetryableJobError(str(error), seconds=error.retry_after or 60) from None
        except PermanentError as error:
            self.write({"error": str(error)})
            self.message_post(body=self.env._("Stripe refused the new items: %s", error))
            self.backend_id._notify_failure()
            return str(error)
        self.write({"error": False})
        return self.env._("Stripe subscription items updated.")

    def _flag_deal(self, deal_state):
        """Policy for a deal lost, reopened or deleted after its activation: billing goes
        on untouched; the activation is flagged and its backend's responsible gets a to-do
        to decide, in Stripe, whether to cancel the subscription."""
        for activation in self.filtered(lambda a: a.deal_state != deal_state):
            activation.deal_state = deal_state
            activation.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=(
                    activation.backend_id.responsible_id or self.env.ref("base.user_admin")
                ).id,
                summary=self.env._("Deal %s is not won any more", activation.name),
                note=self.env._(
                    "The CRM shows this deal %(state)s, but its Stripe subscription %(sub)s "
                    "goes on billing: Odoo never cancels it on its own. Decide with the "
                    "account owner, then cancel or keep it in Stripe.",
                    state=dict(DEAL_STATES)[deal_state].lower(),
                    sub=activation.stripe_subscription_id,
                )
                if activation.stripe_subscription_id
                else self.env._(
                    "The CRM shows this deal %s before its Stripe subscription was made: the "
                    "activation is held, and goes on only if the deal is won again.",
                    dict(DEAL_STATES)[deal_state].lower(),
                ),
            )

    @api.model
    def _merge_deals(self, backend, primary_key, merged_keys):
        """Deals ``merged_keys`` merged in the CRM into ``primary_key``. The primary's
        activation, else the oldest of the merged deals', now follows the primary deal: its
        next changes reach the same Stripe subscription, and the write-back goes to it. Any
        other activation means a second subscription billing for the one deal left: it is
        flagged for a person, never cancelled. Returns the activations."""
        keys = list(dict.fromkeys([primary_key, *merged_keys]))
        activations = self.search(
            [("backend_id", "=", backend.id), ("deal_external_id", "in", keys)]
        )
        kept = (
            activations.filtered(lambda a: a.deal_external_id == primary_key)
            or (activations.sorted("id")[:1])
        )
        others = activations - kept
        for activation in others:
            activation.message_post(
                body=self.env._(
                    "Deal %(deal)s was merged into %(primary)s, whose activation is %(kept)s.",
                    deal=activation.deal_external_id,
                    primary=primary_key,
                    kept=kept.display_name,
                )
            )
        others._flag_deal("merged")
        if kept and kept.deal_external_id != primary_key:
            kept.message_post(
                body=self.env._(
                    "Deal %(deal)s was merged into %(primary)s: this activation follows it.",
                    deal=kept.deal_external_id,
                    primary=primary_key,
                )
            )
            kept.deal_external_id = primary_key
            kept._enqueue_writeback()
        return activations

    @api.model
    def _of_deal(self, backend, deal_key):
        return self.search([("backend_id", "=", backend.id), ("deal_external_id", "=", deal_key)])

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
        found = bool(partner)
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
        if found:
            self._apply_party(backend, partner, main)
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
        if self.deal_state != "won":
            # Lost before its subscription was made: nothing is subscribed until the deal is
            # won again, whose event enqueues this step anew.
            return self.env._("Held: the deal is not won any more.")
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
            self._fail(str(error))
            return str(error)
        self._enqueue_step()
        return message

    def _on_step_job_failed(self, exc_name=None, exc_message=None, exc_info=None):
        """queue_job calls this when it gives up on a Stripe call of the activation: a
        transient error retried up to queue_job's limit, or a crash. Without it the
        activation would wait for a call nobody makes, with no word of it: it fails with the
        reason, for someone to retry. A job that lost its database connection did nothing
        (its transaction went with it): the call is enqueued again."""
        if exc_name in CONNECTION_LOST:
            self._enqueue_step()
            return
        for activation in self.filtered(lambda a: a.state in ("pending", "customer")):
            activation._fail(
                self.env._("The Stripe call was given up: %s", exc_message or exc_name)
            )

    def _fail(self, message):
        self.write({"state": "failed", "error": message})
        self.backend_id._notify_failure()

    @api.model
    def _of_stripe_customer(self, stripe_backend, customer):
        """The activation that created ``customer`` (a normalized Stripe customer of
        ``stripe_backend``), named by the metadata it gave the customer. Metadata can be
        edited in Stripe: it counts only where the activation agrees — same Stripe account,
        same CRM backend, and no other customer of its own."""
        metadata = customer.metadata or {}
        activation_id = str(metadata.get("odoo_activation") or "")
        if not activation_id.isdigit():
            return self.browse()
        activation = self.sudo().browse(int(activation_id)).exists()
        if (
            activation.stripe_backend_id != stripe_backend
            or str(activation.backend_id.id) != metadata.get("crm_backend")
            or activation.stripe_customer_id not in (False, customer.id)
        ):
            return self.browse()
        return activation

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
        # The customer's own webhook updates this partner instead of creating another: after
        # this commit it finds the binding, before it the activation named in the metadata.
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
        self._enqueue_writeback()
        return self.env._("Stripe subscription %s created.", subscription["id"])

    # ---------------------------------------------------------------------------------------
    # Write-back: billing status to the CRM deal
    # ---------------------------------------------------------------------------------------
    @api.model
    def _of_subscriptions(self, subscriptions):
        """The activations whose Stripe subscription is one of ``subscriptions``."""
        bindings = (
            self.env["saas.binding"]
            .sudo()
            .search([("res_model", "=", "saas.subscription"), ("res_id", "in", subscriptions.ids)])
        )
        if not bindings:
            return self.browse()
        return self.sudo().search(
            Domain.OR(
                [
                    ("stripe_backend_id", "=", binding.backend_id.id),
                    ("stripe_subscription_id", "=", binding.external_id),
                ]
                for binding in bindings
            )
        )

    def _enqueue_writeback(self):
        """Mark the activations' deals for write-back and enqueue one job per deal. The job
        reads the values when it runs, never a snapshot taken now; while a job of the deal
        waits, its identity key makes it the only one, and it will write the newest values."""
        activations = self.sudo().filtered(lambda a: a.state == "done")
        if not activations:
            return
        activations.write({"writeback_pending": True})
        for activation in activations:
            activation.with_delay(
                channel=activation.backend_id.channel,
                identity_key=(
                    f"saas.crm.writeback:{activation.backend_id.id}:{activation.deal_external_id}"
                ),
                description=self.env._("Write billing status back to %s", activation.name),
            )._run_writeback()

    def _run_writeback(self):
        """Job: write back the deals of this activation's backend that wait for it, this one
        among them, in batches the CRM takes (HubSpot 100, Salesforce 200). Deals another
        write-back is writing right now are left to it (their rows are locked); a change made
        meanwhile marks them again once that one commits."""
        self.ensure_one()
        backend = self.backend_id
        self.flush_model(["backend_id", "writeback_pending"])
        self.env.cr.execute(
            """SELECT id FROM saas_crm_activation
                WHERE backend_id = %s AND writeback_pending
                ORDER BY id FOR UPDATE SKIP LOCKED""",
            (backend.id,),
        )
        pending = self.browse(row[0] for row in self.env.cr.fetchall())
        if not pending:
            return self.env._("Nothing to write back: already written.")
        try:
            if backend.provider == "hubspot":
                refused = pending._writeback_hubspot()
            else:
                refused = pending._writeback_salesforce()
        except TransientError as error:
            raise RetryableJobError(str(error), seconds=error.retry_after or 60) from None
        except (PermanentError, UserError) as error:
            # Still pending: written with the next change, or once the setup is fixed.
            pending.write({"writeback_error": str(error)})
            backend._notify_failure()
            return str(error)
        written = pending.filtered(lambda a: a.id not in refused)
        written.write(
            {
                "writeback_pending": False,
                "writeback_date": fields.Datetime.now(),
                "writeback_error": False,
            }
        )
        for activation in pending - written:
            activation.write(
                {"writeback_pending": False, "writeback_error": refused[activation.id]}
            )
        return self.env._(
            "%(written)s deals written back, %(refused)s refused.",
            written=len(written),
            refused=len(pending - written),
        )

    def _deal_id(self):
        return self.deal_external_id.partition("/")[2]

    def _writeback_hubspot(self):
        """Batch updates of the deals; ``{activation id: reason}`` of those HubSpot does not
        have (deleted or merged away)."""
        api = self.backend_id._crm_api()
        refused = {}
        for ids in writeback.chunks(self.ids, writeback.HUBSPOT_BATCH_LIMIT):
            batch = self.browse(ids)
            missing = api.batch_update(
                "deals",
                [writeback.hubspot_input(a._deal_id(), a._writeback_values()) for a in batch],
            )
            refused.update(
                (a.id, self.env._("HubSpot has no deal %s any more.", a._deal_id()))
                for a in batch
                if a._deal_id() in missing
            )
        return refused

    def _writeback_salesforce(self):
        """Composite updates of the opportunities, marked as ours with
        ``Sforce-Call-Options``; ``{activation id: reason}`` of the records refused."""
        api = self.backend_id._crm_api()
        refused = {}
        for ids in writeback.chunks(self.ids, writeback.SALESFORCE_COMPOSITE_LIMIT):
            batch = self.browse(ids)
            errors = api.update_records(
                [
                    writeback.salesforce_record("Opportunity", a._deal_id(), a._writeback_values())
                    for a in batch
                ],
                writeback.SALESFORCE_CLIENT,
            )
            refused.update((a.id, errors[a._deal_id()]) for a in batch if a._deal_id() in errors)
        return refused

    def _writeback_values(self):
        """``{writeback key: value}`` as Odoo shows the deal's billing now: the subscription
        (state, MRR and ARR in its own currency), its last posted invoice and the last
        payment of its invoices. Amounts are Decimals at their currency's precision (98.00
        EUR, 500 JPY, 12.345 BHD): ARR is twelve times the MRR to the last digit."""
        self.ensure_one()
        subscription = self.subscription_id.sudo()
        currency = subscription.currency_id
        invoices = self.env["account.move"]
        if subscription:
            invoices = invoices.sudo().search(
                [
                    ("saas_subscription_id", "=", subscription.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                ],
                order="invoice_date desc, id desc",
            )
        invoice = invoices[:1]
        payments = invoices._get_reconciled_payments() if invoices else ()
        payment = max(payments, key=lambda p: (p.date, p.id), default=None)
        mrr = odoo_decimal(subscription.mrr_in_currency, currency) if subscription else None
        return {
            "subscription_status": subscription.state or None,
            "mrr": mrr,
            "arr": mrr * 12 if subscription else None,
            "currency": currency.name or None,
            "last_invoice_status": invoice.payment_state or None,
            "last_invoice_amount": (
                odoo_decimal(invoice.amount_total, invoice.currency_id) if invoice else None
            ),
            "last_payment_status": payment.state if payment else None,
            "last_payment_date": payment.date.isoformat() if payment else None,
            "stripe_subscription_id": self.stripe_subscription_id or None,
            "odoo_partner_id": str(self.partner_id.id) if self.partner_id else None,
            "correlation_id": self.correlation_id or None,
        }

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
        # An answer XML-RPC can carry: the button is also called from scripts.
        return True

    def action_view_subscription(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "saas.subscription",
            "res_id": self.subscription_id.id,
            "view_mode": "form",
        }


def _by_plan(items):
    """``{price: quantity}`` of Stripe items: equal items in any order are the same."""
    return {item["plan"]: item["quantity"] for item in items}


def _same(field_name, current, value):
    """Whether the CRM's ``value`` is what the partner already has: a website that contains
    the CRM's domain, an email or VAT number written differently, are the same."""
    if not current:
        return False
    if field_name == "website":
        return value in current
    if field_name in ("email", "vat"):
        return "".join(current.split()).lower() == "".join(value.split()).lower()
    return current == value
