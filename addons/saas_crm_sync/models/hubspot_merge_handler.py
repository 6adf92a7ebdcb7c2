from odoo import models

from ..lib.hubspot_events import object_key

# HubSpot's merge wizard merges records two at a time; Odoo's, at most three partners at once.
MERGE_GROUP = 3


class SaasHubspotMergeHandler(models.AbstractModel):
    """HubSpot company and contact merges: the records merged into the primary one are gone
    from HubSpot, and their partners become the primary's partner.

    The partners are merged by Odoo's own partner merge, which the engine extends to move
    external ids and event traces: the kept partner carries every binding (HubSpot's, and
    the Stripe customers' of the merged partners), their invoices, subscriptions and
    activations. Every id of the merge is then bound to it, so that a later event of the
    primary or of a merged id finds this one partner.
    """

    _name = "saas.hubspot.merge.handler"
    _inherit = "saas.event.handler"
    _description = "HubSpot Company and Contact Merge Handler"

    _provider = "hubspot"
    _handles = {"company.merge": "_merged", "contact.merge": "_merged"}

    def _merged(self, backend, event):
        payload = event.payload_json()
        object_type = event.object_type
        primary = object_key(object_type, payload.get("primaryObjectId") or payload["objectId"])
        keys = list(
            dict.fromkeys(
                object_key(object_type, object_id)
                for object_id in (payload["objectId"], *(payload.get("mergedObjectIds") or ()))
            )
        )
        bindings = self.env["saas.binding"]
        partner = bindings.lookup(backend, "res.partner", primary)
        merged = self.env["res.partner"].union(
            *bindings.lookup_many(backend, "res.partner", keys).values()
        )
        if not partner:
            # The primary was never synced: the oldest partner of the merged ones stays.
            partner = merged.sorted("id")[:1]
        if not partner:
            event.sudo().note = self.env._(
                "Nothing to merge: no partner is linked to %s.", ", ".join([primary, *keys])
            )
            return partner
        others = merged - partner
        # Their activations become the kept partner's: the Odoo customer id written back to
        # their deals changes.
        activations = self.env["saas.crm.activation"].search([("partner_id", "in", others.ids)])
        self._merge_partners(partner, others)
        bindings.bind_many(backend, partner, [primary, *keys])
        activations._enqueue_writeback()
        return [partner, activations]

    def _merge_partners(self, kept, others):
        """Merge ``others`` into ``kept`` with Odoo's partner merge."""
        if not others:
            return
        names = ", ".join(others.mapped("display_name"))
        # Odoo refuses to merge a contact with its parent: a contact merged into its own
        # company partner (or the company into it) leaves the company first.
        group = kept | others
        group.filtered(lambda partner: partner.parent_id in group).parent_id = False
        merge = self.env["base.partner.merge.automatic.wizard"].sudo()
        for start in range(0, len(others), MERGE_GROUP - 1):
            chunk = others[start : start + MERGE_GROUP - 1]
            merge._merge((kept | chunk).ids, kept, extra_checks=False)
        kept.message_post(body=self.env._("%s merged into this partner in HubSpot.", names))
