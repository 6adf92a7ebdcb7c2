import json
from datetime import UTC, datetime

from lxml import etree

from odoo import api, fields, models
from odoo.addons.saas_connector_base.lib.errors import WebhookRejected
from odoo.addons.saas_connector_base.lib.inbound import InboundEvent, WebhookAnswer
from odoo.exceptions import UserError
from odoo.fields import Domain

from ..lib import hubspot_events, hubspot_signature, salesforce_outbound, writeback
from ..lib.crm_http import CrmPermanentError, CrmTransientError
from ..lib.hubspot_api import DEFAULT_API_BASE, HubSpotApi
from ..lib.salesforce_api import DEFAULT_API_VERSION, SalesforceApi
from ..lib.salesforce_jwt import AUDIENCES, JwtBearer, PrivateKeyError, load_private_key
from .saas_crm_field_owner import CONFLICT_SUBTYPE, DEFAULT_OWNERS

CRM_PROVIDERS = ("hubspot", "salesforce")
SALESFORCE_MEDIA_TYPE = "text/xml"
# HubSpot's lifecycle of an object, by the action of its subscription type: events stamped in
# the same millisecond-free second apply created first and deleted last.
HUBSPOT_RANKS = {"creation": 0, "deletion": 2, "merge": 2}


class SaasBackend(models.Model):
    """A HubSpot portal or a Salesforce org: its settings, credentials and the provider
    contract. Deals and opportunities are handled by ``saas.hubspot.deal.handler`` and
    ``saas.salesforce.opportunity.handler``; a won one becomes a ``saas.crm.activation``."""

    _inherit = "saas.backend"

    provider = fields.Selection(
        selection_add=[("hubspot", "HubSpot"), ("salesforce", "Salesforce")],
        ondelete={"hubspot": "cascade", "salesforce": "cascade"},
    )
    # Both CRMs --------------------------------------------------------------------------------
    crm_stripe_backend_id = fields.Many2one(
        "saas.backend",
        string="Stripe Account",
        check_company=True,
        domain="[('provider', '=', 'stripe')]",
        help="Won deals become a customer and a subscription in this Stripe account.",
    )
    crm_product_map_ids = fields.One2many(
        "saas.crm.product.map", "backend_id", string="Product Mapping"
    )
    crm_collection_method = fields.Selection(
        [
            ("send_invoice", "Email Invoices"),
            ("charge_automatically", "Charge Automatically"),
        ],
        string="Stripe Collection",
        default="send_invoice",
        required=True,
        help="How Stripe collects the subscriptions of won deals: invoices emailed to the "
        "customer, or charged to the customer's default payment method — which a customer "
        "made from a deal has only once it was added in Stripe: until then Stripe refuses "
        "the subscription and the activation waits for a retry.",
    )
    crm_days_until_due = fields.Integer(
        string="Invoices Due After (days)",
        default=30,
        help="Payment term of the invoices Stripe emails.",
    )
    crm_company_vat_field = fields.Char(
        string="Company VAT Field",
        help="The CRM property (HubSpot) or Account field (Salesforce) holding the company's "
        "VAT number. When set, a company not yet linked to a partner is linked to the "
        "company partner with that VAT number instead of creating one.",
    )
    crm_field_owner_ids = fields.One2many(
        "saas.crm.field.owner",
        "backend_id",
        string="Field Ownership",
        help="Which system owns each shared field. Values from another system are not "
        "applied, and the conflict is noted on the record.",
    )
    crm_field_conflict_count = fields.Integer(
        string="Field Conflicts",
        compute="_compute_crm_field_conflict_count",
        help="Notes of a field the CRM, Stripe and Odoo disagreed on, on this backend's "
        "customers and deal activations, and which of them decided.",
    )
    crm_activation_ids = fields.One2many("saas.crm.activation", "backend_id", string="Activations")
    crm_activation_count = fields.Integer(compute="_compute_crm_activation_count")
    crm_api_secret_status = fields.Char(
        string="Credential in Use",
        compute="_compute_crm_api_secret_status",
        groups="saas_connector_base.group_saas_manager",
        help="The access token or client secret in use, masked, and when it was set.",
    )
    # HubSpot ----------------------------------------------------------------------------------
    hubspot_access_token = fields.Char(
        string="Private App Access Token",
        compute="_compute_crm_api_secret",
        inverse="_inverse_hubspot_access_token",
        groups="saas_connector_base.group_saas_manager",
        secret_input=True,
        help="Write-only (pat-…): the token of the HubSpot private app, with read access to "
        "deals, companies, contacts and line items.",
    )
    # The engine's rotation-friendly signing secret under the name HubSpot users look for.
    hubspot_client_secret = fields.Char(
        string="App Client Secret",
        related="new_webhook_secret",
        readonly=False,
        groups="saas_connector_base.group_saas_manager",
        secret_input=True,
        help="Write-only: the client secret of the app that sends the webhooks, which signs "
        "them (X-HubSpot-Signature-v3). Adding one keeps the live ones valid during a "
        "rotation.",
    )
    hubspot_portal_id = fields.Char(
        string="HubSpot Account ID",
        help="The portal (hub) id: webhook events of another portal are refused.",
    )
    hubspot_app_id = fields.Char(
        string="HubSpot App ID",
        help="The id of the app whose token Odoo writes with. HubSpot events about changes "
        "this app made (changeSource INTEGRATION, sourceId this id) are Odoo's own writes "
        "coming back, and are ignored. Empty: the app that sends the webhooks (appId of the "
        "events), the usual setup of one private app doing both.",
    )
    hubspot_api_base = fields.Char(
        string="HubSpot API Base URL",
        default=DEFAULT_API_BASE,
        help="Change only to use dated API paths or a local HubSpot stand-in.",
    )
    # Salesforce -------------------------------------------------------------------------------
    salesforce_my_domain_url = fields.Char(
        string="My Domain URL",
        help="https://<your domain>.my.salesforce.com: the OAuth token endpoint lives there.",
    )
    salesforce_client_id = fields.Char(
        string="Consumer Key",
        help="Client id of the connected app with the client credentials flow (or JWT bearer "
        "flow) enabled.",
    )
    salesforce_auth_flow = fields.Selection(
        [("client_credentials", "Client Credentials"), ("jwt_bearer", "JWT Bearer")],
        string="OAuth Flow",
        default="client_credentials",
        help="Client Credentials: the connected app's secret, tokens for its run-as user. "
        "JWT Bearer: a private key whose certificate is uploaded to the connected app, tokens "
        "for the Integration Username (pre-authorized in the app's policies); a live backend "
        "asks login.salesforce.com's audience, a test one a sandbox's.",
    )
    salesforce_client_secret = fields.Char(
        string="Consumer Secret",
        compute="_compute_crm_api_secret",
        inverse="_inverse_salesforce_client_secret",
        groups="saas_connector_base.group_saas_manager",
        secret_input=True,
        help="Write-only: the connected app's client secret.",
    )
    salesforce_username = fields.Char(
        string="Integration Username",
        help="JWT bearer: the login (user@example.com) of the user the tokens are issued for.",
    )
    salesforce_private_key = fields.Text(
        string="Private Key",
        compute="_compute_crm_api_secret",
        inverse="_inverse_salesforce_private_key",
        groups="saas_connector_base.group_saas_manager",
        secret_input=True,
        help="Write-only, JWT bearer: the unencrypted PEM RSA private key of the certificate "
        "uploaded to the connected app.",
    )
    salesforce_organization_id = fields.Char(
        string="Organization ID",
        help="00D…: outbound messages of another org are refused. Outbound messages carry no "
        "signature, so without it every message is refused.",
    )
    salesforce_api_version = fields.Char(string="API Version", default=DEFAULT_API_VERSION)
    salesforce_integration_user_id = fields.Char(
        string="Integration User ID",
        help="005…: the connected app's run-as user. Outbound messages about changes this "
        "user made (LastModifiedById, when the message selects it) are ignored, so that "
        "Odoo's own writes do not come back as events.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("provider") in CRM_PROVIDERS and not vals.get("crm_field_owner_ids"):
                vals["crm_field_owner_ids"] = self.env["saas.crm.field.owner"]._default_rows()
        return super().create(vals_list)

    def _crm_owner(self, field_key):
        """``crm``, ``stripe`` or ``odoo``: the owner of ``field_key`` on this backend (the
        default matrix's where the backend names none)."""
        self.ensure_one()
        row = self.crm_field_owner_ids.filtered(lambda r: r.field_key == field_key)[:1]
        return row.owner or DEFAULT_OWNERS[field_key]

    def _crm_field_conflict_domain(self):
        """The field-ownership notes on the partners this backend links and on its
        activations."""
        self.ensure_one()
        partner_ids = (
            self.env["saas.binding"]
            .sudo()
            .search([("backend_id", "=", self.id), ("res_model", "=", "res.partner")])
            .mapped("res_id")
        )
        return Domain("subtype_id", "=", self.env.ref(CONFLICT_SUBTYPE).id) & (
            Domain([("model", "=", "res.partner"), ("res_id", "in", partner_ids)])
            | Domain(
                [
                    ("model", "=", "saas.crm.activation"),
                    ("res_id", "in", self.crm_activation_ids.ids),
                ]
            )
        )

    def _compute_crm_field_conflict_count(self):
        for backend in self:
            backend.crm_field_conflict_count = (
                backend.id
                and backend.provider in CRM_PROVIDERS
                and self.env["mail.message"].search_count(backend._crm_field_conflict_domain())
            )

    def action_view_crm_field_conflicts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "saas_crm_sync.action_saas_crm_field_conflict"
        )
        action["domain"] = list(self._crm_field_conflict_domain())
        return action

    def _compute_crm_activation_count(self):
        counts = dict(
            self.env["saas.crm.activation"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.crm_activation_count = counts.get(backend._origin, 0)

    def _crm_api_secret(self):
        self.ensure_one()
        return (
            self.env["saas.secret"]
            .sudo()
            .search([("backend_id", "=", self.id), ("purpose", "=", "api_key")], limit=1)
        )

    def _compute_crm_api_secret(self):
        for backend in self:
            masked = backend._crm_api_secret().masked if backend.id else False
            backend.hubspot_access_token = masked
            backend.salesforce_client_secret = masked
            backend.salesforce_private_key = masked

    def _store_crm_api_secret(self, field_name):
        for backend in self:
            value = backend[field_name]
            # Saving the form unchanged sends back the masked value: that is not a new one.
            if value and value != backend._crm_api_secret().masked:
                self.env["saas.secret"]._store(backend, "api_key", value, replace=True)

    def _inverse_hubspot_access_token(self):
        self._store_crm_api_secret("hubspot_access_token")

    def _inverse_salesforce_client_secret(self):
        self._store_crm_api_secret("salesforce_client_secret")

    def _inverse_salesforce_private_key(self):
        for backend in self:
            value = backend.salesforce_private_key
            if value and value != backend._crm_api_secret().masked:
                try:
                    load_private_key(value)
                except PrivateKeyError as error:
                    raise UserError(str(error)) from None
        self._store_crm_api_secret("salesforce_private_key")

    def _compute_crm_api_secret_status(self):
        for backend in self:
            backend.crm_api_secret_status = backend._secret_status("api_key")

    def action_crm_setup_writeback(self):
        """Create the deal properties Odoo writes back (HubSpot) in their group, those
        missing only, then write back the deals that waited for them."""
        self.ensure_one()
        if self.provider != "hubspot":
            raise UserError(
                self.env._("Salesforce's custom fields are created by the org's admin.")
            )
        try:
            created = self._crm_api().ensure_properties(
                "deals",
                {"name": writeback.HUBSPOT_GROUP, "label": writeback.HUBSPOT_GROUP_LABEL},
                writeback.hubspot_property_definitions(),
            )
        except (CrmTransientError, CrmPermanentError) as error:
            raise UserError(str(error)) from None
        self.crm_activation_ids.filtered("writeback_pending")._enqueue_writeback()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(created)s deal properties created in the group %(group)s; the others "
                    "were there.",
                    created=len(created),
                    group=writeback.HUBSPOT_GROUP_LABEL,
                ),
            },
        }

    def _hubspot_own_app(self, payload):
        """Whether a HubSpot event's change was made by the app Odoo writes with."""
        app_id = (self.hubspot_app_id or "").strip() or str(payload.get("appId") or "")
        return (
            payload.get("changeSource") == "INTEGRATION"
            and bool(app_id)
            and str(payload.get("sourceId") or "") == app_id
        )

    def action_view_crm_activations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "saas_crm_sync.action_saas_crm_activation"
        )
        action.update(
            domain=[("backend_id", "=", self.id)], context={"default_backend_id": self.id}
        )
        return action

    # ---------------------------------------------------------------------------------------
    # Provider contract
    # ---------------------------------------------------------------------------------------
    def _provider_webhook_signed(self):
        # Salesforce signs no outbound message. What stands in for a signature: the URL's
        # token (32 random bytes, unguessable, regenerable), the OrganizationId checked
        # against the backend here, and the record re-read over REST with our own
        # credentials before anything is done with it — a forged message can at most make
        # Odoo read a record the org really has.
        return self.provider != "salesforce" and super()._provider_webhook_signed()

    def _provider_webhook_content_types(self):
        if self.provider == "salesforce":
            return (SALESFORCE_MEDIA_TYPE,)
        return super()._provider_webhook_content_types()

    def _provider_webhook_audit_headers(self):
        audit_headers = super()._provider_webhook_audit_headers()
        if self.provider == "hubspot":
            return (*audit_headers, hubspot_signature.TIMESTAMP_HEADER)
        return audit_headers

    def _provider_parse_webhook(self, request, signing_secrets):
        if self.provider == "hubspot":
            return self._hubspot_parse_webhook(request, signing_secrets)
        if self.provider == "salesforce":
            return self._salesforce_parse_webhook(request)
        return super()._provider_parse_webhook(request, signing_secrets)

    def _hubspot_parse_webhook(self, request, signing_secrets):
        # ``request.url`` is the public URL HubSpot called; HubSpot signs it with a few
        # percent-escapes decoded, which ``signed_uri`` applies.
        uri = hubspot_signature.signed_uri(request.url, "")
        try:
            hubspot_signature.verify(
                request.method, uri, request.body, request.headers, signing_secrets
            )
            events = hubspot_events.parse_batch(request.body)
        except (hubspot_signature.SignatureError, hubspot_events.BatchError) as error:
            raise WebhookRejected(str(error)) from None
        portal_id = (self.hubspot_portal_id or "").strip()
        if portal_id and any(event.portal_id != portal_id for event in events):
            raise WebhookRejected("an event of another HubSpot account")
        return [
            InboundEvent(
                external_id=event.key,
                event_type=event.subscription_type,
                object_type=event.object_type,
                object_external_id=event.object_key,
                source_created=datetime.fromtimestamp(event.occurred_at / 1000, UTC),
                payload=json.dumps(event.raw),
            )
            for event in events
        ]

    def _salesforce_parse_webhook(self, request):
        try:
            message = salesforce_outbound.parse(request.body)
        except salesforce_outbound.EnvelopeError as error:
            raise WebhookRejected(str(error)) from None
        expected = (self.salesforce_organization_id or "").strip()
        # Salesforce sends the 18-character id; a 15-character one pasted from Setup is the
        # same org (the last three characters only encode the case of the first fifteen).
        if not expected or message.organization_id[:15] != expected[:15]:
            raise WebhookRejected("an outbound message of another organization", status=403)
        if any(not notification.record_id for notification in message.notifications):
            raise WebhookRejected("a notification without the record's Id")
        received = datetime.now(UTC)
        return [
            InboundEvent(
                external_id=notification.id,
                event_type=f"{notification.sobject_type}.outbound",
                object_type=notification.sobject_type,
                object_external_id=f"{notification.sobject_type}/{notification.record_id}",
                source_created=_salesforce_moment(notification.fields) or received,
                payload=json.dumps(
                    {
                        "organizationId": message.organization_id,
                        "actionId": message.action_id,
                        "notificationId": notification.id,
                        "sObjectType": notification.sobject_type,
                        "fields": notification.fields,
                    }
                ),
            )
            for notification in message.notifications
        ]

    def _provider_webhook_answer(self, request, duplicate):
        if self.provider != "salesforce":
            return super()._provider_webhook_answer(request, duplicate)
        # The same acknowledgement for a re-delivery: anything else is delivered again.
        return WebhookAnswer(200, salesforce_outbound.ACK, salesforce_outbound.ACK_CONTENT_TYPE)

    def _provider_webhook_rejection(self, request, status, reason):
        if self.provider != "salesforce":
            return super()._provider_webhook_rejection(request, status, reason)
        soap = salesforce_outbound.SOAP_NS
        envelope = etree.Element(etree.QName(soap, "Envelope"), nsmap={"soapenv": soap})
        body = etree.SubElement(envelope, etree.QName(soap, "Body"))
        fault = etree.SubElement(body, etree.QName(soap, "Fault"))
        etree.SubElement(fault, "faultcode").text = "soapenv:Client"
        etree.SubElement(fault, "faultstring").text = reason
        return WebhookAnswer(
            status,
            etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"),
            salesforce_outbound.ACK_CONTENT_TYPE,
        )

    def _provider_event_rank(self, event_type):
        if self.provider != "hubspot":
            return super()._provider_event_rank(event_type)
        return HUBSPOT_RANKS.get(event_type.partition(".")[2], 1)

    def _provider_test_connection(self):
        if self.provider not in CRM_PROVIDERS:
            return super()._provider_test_connection()
        try:
            if self.provider == "hubspot":
                count = len(self._crm_api().pipelines().get("results", ()))
                return self.env._("Connected to HubSpot: %s deal pipelines.", count)
            self._crm_api().query("SELECT Id FROM Opportunity LIMIT 1")
            return self.env._("Connected to Salesforce at %s.", self.salesforce_my_domain_url)
        except (CrmPermanentError, CrmTransientError) as error:
            raise UserError(str(error)) from None

    def _setup_checklist(self):
        items = super()._setup_checklist()
        if self.provider not in CRM_PROVIDERS:
            return items
        if self.provider == "salesforce":
            # Outbound messages are not signed: the organization id takes the secret's place.
            items = [item for item in items if item["key"] != "webhook_secret"]
            items.insert(
                0,
                _item(
                    "organization_id",
                    self.env._("Organization ID"),
                    self.salesforce_organization_id,
                    self.env._("Outbound messages of this org are accepted."),
                    self.env._("Every outbound message is refused until it is set."),
                ),
            )
        credential = self._secret_status("api_key")
        items[:0] = [
            _item(
                "api_key",
                self.env._("CRM credentials"),
                credential,
                self.env._("%s: won deals are read from the CRM.", credential),
                self.env._("Won deals fail until the CRM can be read."),
            ),
            _item(
                "stripe_backend",
                self.env._("Stripe account"),
                self.crm_stripe_backend_id,
                self.env._(
                    "Won deals are subscribed in %s.", self.crm_stripe_backend_id.display_name
                ),
                self.env._("Won deals fail until a Stripe account is chosen."),
            ),
            _item(
                "product_map",
                self.env._("Product mapping"),
                self.crm_product_map_ids,
                self.env._("%s CRM products map to Stripe prices.", len(self.crm_product_map_ids)),
                self.env._("Won deals fail until their products map to Stripe prices."),
            ),
        ]
        return items

    # ---------------------------------------------------------------------------------------
    # Helpers for the handlers
    # ---------------------------------------------------------------------------------------
    def _crm_api(self):
        """The CRM's API (``lib/hubspot_api`` or ``lib/salesforce_api``), reached with the
        credential in use."""
        self.ensure_one()
        secrets_ = self.env["saas.secret"]._live_values(self, "api_key")
        if not secrets_:
            raise UserError(self.env._("Set the CRM credentials of %s first.", self.name))
        if self.provider == "hubspot":
            return HubSpotApi(secrets_[0], api_base=self.hubspot_api_base)
        if not (self.salesforce_my_domain_url and self.salesforce_client_id):
            raise UserError(
                self.env._("Set the My Domain URL and consumer key of %s first.", self.name)
            )
        if self.salesforce_auth_flow != "jwt_bearer":
            return SalesforceApi(
                self.salesforce_my_domain_url,
                self.salesforce_client_id,
                secrets_[0],
                api_version=self.salesforce_api_version,
            )
        if not self.salesforce_username:
            raise UserError(
                self.env._("Set the integration username of %s first (JWT bearer).", self.name)
            )
        jwt = JwtBearer(self.salesforce_username, secrets_[0], AUDIENCES[self.environment])
        return SalesforceApi(
            self.salesforce_my_domain_url,
            self.salesforce_client_id,
            api_version=self.salesforce_api_version,
            jwt=jwt,
        )


def _item(key, label, ok, why_ok, why_missing):
    return {"key": key, "label": label, "ok": bool(ok), "why": why_ok if ok else why_missing}


def _salesforce_moment(fields_):
    """When the record last changed, if the outbound message selects it."""
    for name in ("SystemModstamp", "LastModifiedDate"):
        value = fields_.get(name)
        if value:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
    return None
