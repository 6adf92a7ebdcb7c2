import logging

import psycopg2
from markupsafe import Markup, escape

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import RedirectWarning, UserError
from odoo.modules.registry import Registry

_logger = logging.getLogger(__name__)

# Operations on a provider's document that break its sync, with what the chatter calls them.
GUARDED_LINE_FIELDS = frozenset({"invoice_line_ids", "line_ids"})


class AccountMove(models.Model):
    """Invoices and credit notes imported from a provider are the provider's: the provider
    changes them through its events, and reconciliation compares them with it. Resetting one
    to draft (or cancelling it, which resets it first), editing its lines or registering a
    payment on it by hand makes Odoo disagree with the provider. A connector manager does it
    only after confirming it with a reason, which the document's chatter keeps (the
    operation then asks again: ``RedirectWarning`` to ``saas.document.override.wizard``);
    anyone else is refused. The connector's own processing (``saas_connector_processing`` in
    the context, or superuser) is not concerned."""

    _name = "account.move"
    _inherit = ["account.move", "saas.binding.mixin"]

    saas_subscription_ref = fields.Char(
        string="Provider Subscription",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The provider's id of the subscription this document bills.",
    )
    saas_subscription_id = fields.Many2one(
        "saas.subscription",
        string="Subscription",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The subscription this document bills. Set when both are in Odoo, whichever came "
        "first: an invoice imported before its subscription is linked when the subscription "
        "arrives.",
    )
    saas_unlocked = fields.Boolean(
        string="Unlocked by a Connector Manager",
        readonly=True,
        copy=False,
        help="A connector manager reset this provider's document to draft or unlocked its "
        "lines, with the reason in the chatter: its lines can be edited until it is posted "
        "again.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        moves.filtered("saas_subscription_ref")._link_saas_subscription()
        return moves

    def write(self, vals):
        if GUARDED_LINE_FIELDS.intersection(vals):
            self._saas_guard("edit")
        result = super().write(vals)
        if vals.get("saas_subscription_ref"):
            self._link_saas_subscription()
        return result

    def _reverse_moves(self, default_values_list=None, cancel=False):
        # A credit note bills (back) the same subscription as the invoice it reverses.
        default_values_list = default_values_list or [{} for _move in self]
        for move, values in zip(self, default_values_list, strict=True):
            values.setdefault("saas_subscription_ref", move.saas_subscription_ref)
        return super()._reverse_moves(default_values_list, cancel=cancel)

    def _link_saas_subscription(self, again_after_commit=True):
        subscriptions = (
            self.env["saas.subscription"]
            .sudo()
            .search(
                [
                    ("name", "in", list(set(self.mapped("saas_subscription_ref")))),
                    ("company_id", "in", self.company_id.ids),
                ]
            )
        )
        by_key = {(sub.company_id.id, sub.name): sub for sub in subscriptions}
        unlinked = set()
        for move in self:
            subscription = by_key.get((move.company_id.id, move.saas_subscription_ref))
            if subscription and move.saas_subscription_id != subscription:
                move.sudo().saas_subscription_id = subscription
            elif not subscription:
                unlinked.add(move.saas_subscription_ref)
        if again_after_commit:
            self._link_saas_subscription_after_commit(unlinked)

    @api.model
    def _link_saas_subscription_after_commit(self, refs):
        """Link the documents naming the subscriptions ``refs`` once this transaction is
        committed. An invoice and its subscription imported at the same time by two jobs
        each look for the other before it is committed, and neither finds it: whichever
        transaction commits last finds both from its post-commit hook."""
        refs = set(filter(None, refs))
        if not refs:
            return
        postcommit = self.env.cr.postcommit
        pending = postcommit.data.get("saas_subscription_refs")
        if pending is None:
            pending = postcommit.data["saas_subscription_refs"] = set()
            dbname = self.env.cr.dbname

            @postcommit.add
            def link():
                # The transaction is committed whatever happens here: a document changed
                # meanwhile by another transaction is tried again, then logged.
                for attempt in range(3):
                    try:
                        with Registry(dbname).cursor() as cr:
                            env = api.Environment(cr, SUPERUSER_ID, {})
                            env["account.move"].search(
                                [
                                    ("saas_subscription_ref", "in", list(pending)),
                                    ("saas_subscription_id", "=", False),
                                ]
                            )._link_saas_subscription(again_after_commit=False)
                        return
                    except psycopg2.OperationalError as error:
                        if attempt == 2:
                            _logger.warning(
                                "Documents of subscriptions %s not linked: %s",
                                ", ".join(sorted(pending)),
                                error,
                            )

        pending |= refs

    # ---------------------------------------------------------------------------------------
    # Documents a provider owns
    # ---------------------------------------------------------------------------------------
    def button_draft(self):
        self._saas_guard("draft")
        return super().button_draft()

    def action_register_payment(self):
        self._saas_guard("payment")
        return super().action_register_payment()

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.filtered("saas_unlocked").write({"saas_unlocked": False})
        return posted

    def _saas_provider_owned(self):
        """The invoices and credit notes of ``self`` a provider's backend is bound to."""
        invoices = self.filtered(lambda move: move.is_invoice(include_receipts=True))
        if not invoices.ids:
            return invoices
        bound = (
            self.env["saas.binding"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "in", invoices.ids)])
        )
        return invoices.browse(set(bound.mapped("res_id")))

    def _saas_guard(self, operation):
        """Let ``operation`` (``draft``, ``edit`` or ``payment``) through on documents a
        provider owns only for the connector, or for a connector manager who gave a reason
        (``saas_override_reason`` in the context); otherwise raise."""
        if self.env.su or self.env.context.get("saas_connector_processing"):
            return
        owned = self._saas_provider_owned()
        if not owned:
            return
        names = ", ".join(owned.mapped("display_name"))
        what = self._saas_operation_labels()[operation]
        if not self.env.user.has_group("saas_connector_base.group_saas_manager"):
            raise UserError(
                self.env._(
                    "%(documents)s come from a connected provider, which Odoo follows: only a "
                    "connector manager may %(operation)s. Ask one, or re-sync the document "
                    "from its reconciliation drift.",
                    documents=names,
                    operation=what,
                )
            )
        if self.env.context.get("saas_override_reason"):
            return
        if operation == "edit" and all(owned.mapped("saas_unlocked")):
            return  # a manager gave the reason when unlocking them
        raise RedirectWarning(
            self.env._(
                "%(documents)s come from a connected provider: to %(operation)s makes Odoo "
                "disagree with it until it is re-synced. Confirm with a reason, which the "
                "chatter keeps.",
                documents=names,
                operation=what,
            ),
            "saas_connector_base.action_saas_document_override_wizard",
            self.env._("Give a Reason"),
            {
                "default_move_ids": owned.ids,
                "default_operation": operation,
                "active_model": "account.move",
                "active_ids": owned.ids,
            },
        )

    def _saas_operation_labels(self):
        return {
            "draft": self.env._("reset them to draft or cancel them"),
            "edit": self.env._("edit their lines"),
            "payment": self.env._("register a payment on them by hand"),
        }

    def _saas_log_override(self, operation, reason):
        """Keep, on each document, who overrode its provider, how and why."""
        titles = {
            "draft": self.env._("Reset to draft by hand"),
            "edit": self.env._("Lines unlocked for editing by hand"),
            "payment": self.env._("Payment registered by hand"),
        }
        body = Markup("<p><strong>%s</strong></p><p>%s</p>") % (
            titles[operation],
            escape(reason),
        )
        for move in self:
            move.message_post(body=body)
