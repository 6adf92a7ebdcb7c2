from odoo import api, models

# Odoo's partner merge takes at most three partners at once.
MERGE_GROUP = 3


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _crm_merge(self, backend, primary_key, merged_keys):
        """The one partner left of CRM records merged in the CRM: ``merged_keys`` (type-prefixed
        ids, ``company/123``, ``Account/001…``) into ``primary_key``. It is the primary's
        partner, else the oldest of the merged records' partners; the others are merged into
        it by Odoo's own partner merge, which the engine extends to move external ids and
        event traces — so their CRM and Stripe bindings, invoices, subscriptions and
        activations follow. Every key is then bound to it, so that a later event of the
        primary or of a merged record finds this one partner. Empty when none of the records
        has a partner."""
        bindings = self.env["saas.binding"]
        partner = bindings.lookup(backend, "res.partner", primary_key)
        merged = self.union(*bindings.lookup_many(backend, "res.partner", merged_keys).values())
        partner = partner or merged.sorted("id")[:1]
        if not partner:
            return partner
        others = merged - partner
        if others:
            # Their activations become the kept partner's: the Odoo customer id written back
            # to their deals changes.
            activations = self.env["saas.crm.activation"].search(
                [("partner_id", "in", others.ids)]
            )
            partner._crm_absorb(others, backend)
            activations._enqueue_writeback()
        bindings.bind_many(backend, partner, [primary_key, *merged_keys])
        return partner

    @api.model
    def _crm_forget(self, backend, keys):
        """The partners of CRM records ``keys`` deleted in the CRM, no longer linked to them:
        the partners stay, with what hangs on them, and a note says why the link ended. A
        record restored in the CRM is found again by the usual matching (VAT, then the opt-in
        domain or email) when a deal of it is won."""
        partners = self.env["saas.binding"].unbind(backend, "res.partner", keys)
        for partner in partners:
            partner.message_post(
                body=self.env._(
                    "%(keys)s deleted in %(crm)s: no longer linked to this partner, which "
                    "keeps its invoices, payments and subscriptions.",
                    keys=", ".join(keys),
                    crm=backend.name,
                )
            )
        return partners

    def _crm_absorb(self, others, backend):
        """Merge the partners ``others`` into this one with Odoo's partner merge."""
        self.ensure_one()
        names = ", ".join(others.mapped("display_name"))
        # Odoo refuses to merge a contact with its parent: a contact merged into its own
        # company partner (or the company into it) leaves the company first.
        group = self | others
        group.filtered(lambda partner: partner.parent_id in group).parent_id = False
        merge = self.env["base.partner.merge.automatic.wizard"].sudo()
        for start in range(0, len(others), MERGE_GROUP - 1):
            chunk = others[start : start + MERGE_GROUP - 1]
            merge._merge((self | chunk).ids, self, extra_checks=False)
        self.message_post(
            body=self.env._(
                "%(names)s merged into this partner in %(crm)s.", names=names, crm=backend.name
            )
        )
