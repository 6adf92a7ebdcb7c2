"""The ledger of a company as a finance user reads it, normalized so that two deliveries of
the same book compare equal: records are named by the provider ids they are bound to (or by
their content), never by database ids, sequence numbers or the order of their creation."""

from collections import defaultdict

from odoo.addons.saas_connector_base.lib.money import to_minor_units


def ledger_dump(env, backend):
    """A plain, sorted structure of everything the book produced in Odoo: posted documents
    with their lines, reconciliations, subscriptions (state, MRR, items), disputes and revenue
    schedules. A subscription's history of MRR movements is not part of it: it records the
    states Odoo saw, and an object re-read from the provider skips the states in between.
    Accounts are named,
    not numbered: the connector numbers the accounts it creates (a Stripe balance per currency)
    in the order it first needs them."""
    names = _external_names(env, backend)
    company = backend.company_id

    def key_of(record):
        return names.get((record._name, record.id)) or f"unbound {record._name}"

    def minor(amount, currency):
        return to_minor_units(amount, currency.name)

    moves = env["account.move"].search([("company_id", "=", company.id), ("state", "=", "posted")])

    def move_key(move):
        bound = names.get(("account.move", move.id))
        if bound:
            return ("bound", bound)
        # An entry nothing is bound to (recognition, a contra entry…): its content names it.
        return (
            move.move_type,
            move.journal_id.code,
            str(move.date),
            tuple(
                sorted(
                    (line.account_id.name, minor(line.balance, company.currency_id))
                    for line in move.line_ids
                )
            ),
        )

    dump = {
        "partners": sorted(
            (key_of(partner), partner.name, partner.email or "", partner.country_id.code or "")
            for partner in env["res.partner"].browse(
                [res_id for (model, res_id) in names if model == "res.partner"]
            )
        ),
        "moves": sorted(
            (
                move_key(move),
                move.move_type,
                str(move.date),
                move.currency_id.name,
                key_of(move.partner_id.commercial_partner_id) if move.partner_id else "",
                minor(move.amount_total, move.currency_id),
                minor(move.amount_residual, move.currency_id),
                tuple(
                    sorted(
                        (
                            line.account_id.name,
                            line.display_type,
                            minor(line.amount_currency, line.currency_id),
                            minor(line.balance, company.currency_id),
                            line.product_id.default_code or line.product_id.name or "",
                            str(line.saas_service_start or ""),
                            str(line.saas_service_end or ""),
                            bool(line.saas_is_proration),
                        )
                        for line in move.line_ids
                    )
                ),
            )
            for move in moves
        ),
        "reconciliations": sorted(
            (
                move_key(partial.debit_move_id.move_id),
                move_key(partial.credit_move_id.move_id),
                minor(partial.amount, company.currency_id),
            )
            for partial in env["account.partial.reconcile"].search(
                [("company_id", "=", company.id)]
            )
        ),
        "subscriptions": sorted(
            (
                subscription.name,
                subscription.state,
                subscription.currency_id.name,
                minor(subscription.mrr_in_currency, subscription.currency_id),
                tuple(
                    sorted((item.price_ref or "", item.quantity) for item in subscription.item_ids)
                ),
            )
            for subscription in env["saas.subscription"].search([("backend_id", "=", backend.id)])
        ),
        "disputes": sorted(
            (
                key_of(dispute),
                dispute.status,
                dispute.currency_id.name,
                minor(dispute.amount, dispute.currency_id),
                key_of(dispute.partner_id.commercial_partner_id) if dispute.partner_id else "",
                tuple(sorted(move_key(move) for move in dispute.move_ids)),
            )
            for dispute in env["saas.stripe.dispute"].search([("backend_id", "=", backend.id)])
        ),
        "schedules": sorted(
            (
                move_key(schedule.move_id),
                schedule.move_line_id.saas_source_line_id or "",
                schedule.currency_id.name,
                minor(schedule.amount_currency, schedule.currency_id),
                str(schedule.start_date),
                str(schedule.end_date),
                schedule.subscription_id.name or "",
                tuple(
                    sorted(
                        (str(line.date), minor(line.amount, company.currency_id), line.state)
                        for line in schedule.line_ids
                    )
                ),
            )
            for schedule in env["saas.revenue.schedule"].search([("company_id", "=", company.id)])
        ),
    }
    return dump


def _external_names(env, backend):
    """``{(model, id): external ids}`` of the records bound to ``backend``."""
    names = defaultdict(list)
    for binding in env["saas.binding"].search([("backend_id", "=", backend.id)]):
        names[(binding.res_model, binding.res_id)].append(binding.external_id)
        if binding.res_model == "account.payment":
            # A payment's journal entry is named by the payment's ids.
            move = env["account.payment"].browse(binding.res_id).move_id
            names[("account.move", move.id)].append(binding.external_id)
    return {key: " ".join(sorted(ids)) for key, ids in names.items()}


def receivable_by_customer(env, backend):
    """``{(Stripe customer id, currency): open receivable in minor units}`` in Odoo."""
    names = _external_names(env, backend)
    open_amounts = defaultdict(int)
    lines = env["account.move.line"].search(
        [
            ("company_id", "=", backend.company_id.id),
            ("account_id.account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
        ]
    )
    for line in lines:
        partner = line.partner_id.commercial_partner_id
        customer = names.get(("res.partner", partner.id), f"unbound partner {partner.name}")
        currency = line.currency_id
        open_amounts[(customer, currency.name.lower())] += to_minor_units(
            line.amount_residual_currency, currency.name
        )
    return {key: amount for key, amount in open_amounts.items() if amount}


def stripe_open_by_customer(book):
    """What Stripe shows open per customer and currency: the unpaid invoices."""
    open_amounts = defaultdict(int)
    for obj in book.objects.values():
        if obj.get("object") == "invoice" and obj["status"] == "open":
            open_amounts[(obj["customer"], obj["currency"])] += obj["amount_remaining"]
    return {key: amount for key, amount in open_amounts.items() if amount}


def ledger_difference(expected, actual):
    """What differs between two dumps, section by section: the entries only one of them has
    (empty when they are equal)."""
    lines = []
    for section in sorted(set(expected) | set(actual)):
        missing = [
            entry for entry in expected.get(section, ()) if entry not in actual.get(section, ())
        ]
        extra = [
            entry for entry in actual.get(section, ()) if entry not in expected.get(section, ())
        ]
        for label, entries in (("only in the first", missing), ("only in the second", extra)):
            lines.extend(f"{section}, {label}: {entry!r}" for entry in entries)
    return "\n".join(lines)
