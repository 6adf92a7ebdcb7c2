import time

from odoo import models
from odoo.addons.saas_connector_base.lib.money import odoo_decimal
from odoo.addons.saas_connector_base.lib.reconciliation import OdooRecord, ReconciledType

from ..lib.api import StripeApiError

# The SDK service that lists the documents of each reconciled type; fees have a summary
# line only.
LISTED_SERVICES = {
    "invoice": "invoices",
    "payment": "charges",
    "refund": "refunds",
    "credit_note": "credit_notes",
    "dispute": "disputes",
    "payout": "payouts",
}
# SDK service that retrieves an object of a Stripe ``object`` type: how Re-sync and stale
# events fetch an object's current state.
SERVICE_OF_OBJECT = {
    "customer": "customers",
    "product": "products",
    "plan": "plans",
    "price": "prices",
    "subscription": "subscriptions",
    "invoice": "invoices",
    "charge": "charges",
    "refund": "refunds",
    "credit_note": "credit_notes",
    "dispute": "disputes",
    "payout": "payouts",
}
# Drift object types → the Stripe object type of their external id.
OBJECT_OF_TYPE = {
    "invoice": "invoice",
    "payment": "charge",
    "refund": "refund",
    "credit_note": "credit_note",
    "dispute": "dispute",
    "payout": "payout",
    "subscription": "subscription",
}
PAYMENT_POSTED = frozenset({"in_process", "paid"})


class SaasBackend(models.Model):
    """Stripe ↔ Odoo reconciliation: the objects Stripe lists for a period, read through the
    API (so that an object whose events never arrived is found), described as the plain
    records the engine compares with the Odoo documents bound to them
    (``run._reconcile_documents``), which Stripe describes in its own words too. What each
    object is for the comparison is read by ``saas.stripe.reconciliation.handler``.

    - Invoices by status (drafts excluded: they make nothing in Odoo): the posted invoice's
      total to the cent and its state — *paid* is a paid (or in payment) invoice, *open* an
      unpaid or partly paid one, *void* a cancelled or reversed one; *uncollectible* is either
      of the first two, as the backend's policy leaves it open or writes it off.
    - Payments: succeeded charges against the payment bound to their payment intent (else
      the charge); a charge that names no invoice is compared only when Odoo has it, as only
      invoice payments are imported.
    - Refunds: pending or succeeded ones against their posted outbound payment; a failed or
      canceled one against a cancelled payment, or none.
    - Credit notes (*issued*: posted, *void*: cancelled or reversed), disputes and payouts
      (their Odoo record's status) — when the account offers them: a list Stripe answers with
      404 (localstripe has no credit notes nor disputes) is noted on the run and skipped.
    - Fees: the fees of the period's balance transactions against those an Odoo entry booked
      (``stripe_fee_handler.py``): a summary line per currency, whose difference is the fees not
      booked yet.
    - Subscriptions: every subscription of the account as it is now (whatever the period: a
      subscription is a state, and an upgrade of last year's subscription is this month's
      MRR), compared by the engine with Odoo's (``run._reconcile_subscriptions``): status,
      prices and quantities, MRR per currency.

    Odoo documents bound to the backend and dated in the period that Stripe does not list are
    fetched one by one (``_provider_has_object``): Stripe dates objects by creation, Odoo by
    finalization or payment, so one created just before the period is no drift; one Stripe
    answers 404 for is missing there.

    The period is listed with Stripe's ``created`` filter. A Stripe stand-in that refuses the
    filter (localstripe) is listed whole and filtered here, with a note on the run.
    """

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    # ---------------------------------------------------------------------------------------
    # Provider contract
    # ---------------------------------------------------------------------------------------
    def _provider_reconciles(self):
        return self.provider == "stripe" or super()._provider_reconciles()

    def _provider_reconcile(self, run):
        if self.provider != "stripe":
            return super()._provider_reconcile(run)
        client = self._stripe_api()
        handler = self.env["saas.stripe.reconciliation.handler"]
        start, end = run._period_bounds()
        period = (int(start.timestamp()), int(end.timestamp()))
        unfiltered = []
        listings = {}
        for kind in self._provider_reconciled_types():
            objects = self._stripe_list_period(
                client, LISTED_SERVICES[kind.key], period, run, kind.label, unfiltered=unfiltered
            )
            if objects is not None:
                listings[kind.key] = [
                    item
                    for item in (handler._listed(self, kind.key, obj) for obj in objects)
                    if item
                ]
        run._reconcile_documents(listings)
        run._record_summary(self._stripe_fees(client, period, run, unfiltered))
        if unfiltered:
            run._add_note(
                self.env._(
                    "Stripe did not filter these lists by creation date; they were read whole "
                    "and filtered in Odoo: %s.",
                    ", ".join(unfiltered),
                )
            )
        self._stripe_reconcile_subscriptions(
            client, run, self._stripe_reconciliation_labels()["subscription"]
        )

    def _provider_reconciled_types(self):
        if self.provider != "stripe":
            return super()._provider_reconciled_types()
        labels = self._stripe_reconciliation_labels()
        return [
            ReconciledType("invoice", labels["invoice"], "account.move", by_status=True),
            ReconciledType("payment", labels["payment"], "account.payment"),
            ReconciledType("refund", labels["refund"], "account.payment"),
            ReconciledType("credit_note", labels["credit_note"], "account.move"),
            ReconciledType("dispute", labels["dispute"], "saas.stripe.dispute"),
            ReconciledType("payout", labels["payout"], "saas.stripe.payout"),
        ]

    def _provider_odoo_record(self, object_type, record):
        if self.provider != "stripe":
            return super()._provider_odoo_record(object_type, record)
        amount = record.amount_total if record._name == "account.move" else record.amount
        return OdooRecord(
            record.currency_id.name,
            odoo_decimal(amount, record.currency_id),
            _record_status(object_type, record),
        )

    def _provider_statuses_agree(self, object_type, status, odoo_status):
        """An uncollectible invoice is open or written off, as the backend's policy has it;
        a payment or a refund is posted when it succeeded, and not posted (whatever its
        state) otherwise."""
        if self.provider != "stripe":
            return super()._provider_statuses_agree(object_type, status, odoo_status)
        if object_type == "invoice" and status == "uncollectible":
            return odoo_status in ("uncollectible", "open", "paid")
        if object_type in ("payment", "refund"):
            return (odoo_status == "succeeded") == (status == "succeeded")
        return status == odoo_status

    def _provider_has_object(self, object_type, external_id):
        if self.provider != "stripe":
            return super()._provider_has_object(object_type, external_id)
        obj = self._stripe_fetch(self._stripe_api(), OBJECT_OF_TYPE[object_type], external_id)
        return obj is not None

    def _provider_resync(self, drifts):
        if self.provider != "stripe":
            return super()._provider_resync(drifts)
        client = self._stripe_api()
        failures = {}
        objects = []
        for drift in drifts:
            obj = self._stripe_fetch(
                client, OBJECT_OF_TYPE.get(drift.object_type), drift.external_id
            )
            if obj is None:
                failures[drift.id] = self.env._(
                    "Stripe answers that %s does not exist: there is nothing to "
                    "re-synchronize. Check the Odoo document, then mark the drift resolved.",
                    drift.external_id,
                )
                continue
            objects += [*self._stripe_prerequisites(client, obj), obj]
        events = self.env["saas.event"]
        if objects:
            events = self._sync_objects(
                _unique(objects), dispatch=False, salt=f"resync {time.time_ns()}"
            )
        return events, failures

    def _provider_recompare(self, drifts):
        if self.provider != "stripe":
            return super()._provider_recompare(drifts)
        client = self._stripe_api()
        handler = self.env["saas.stripe.reconciliation.handler"]
        comparisons = {}
        for drift in drifts:
            object_type = drift.object_type
            run = drift.run_id
            obj = self._stripe_fetch(client, OBJECT_OF_TYPE.get(object_type), drift.external_id)
            if object_type == "subscription":
                record = self.env["saas.binding"].lookup(
                    self, "saas.subscription", drift.external_id
                )
                state = obj and handler._subscription_state(obj)
                comparison = run._compare_subscription(state, record or None)
                comparison.listed = state is not None
            elif obj is None:
                record = drift.res_model and self.env[drift.res_model].browse(drift.res_id)
                comparison = run._compare_missing(
                    object_type, drift.external_id, record and record.exists()
                )
            else:
                item = handler._listed(self, object_type, obj)
                found = run._compare_listed(object_type, [item]) if item else []
                comparison = found[0] if found else None
            comparisons[drift.id] = comparison
        return comparisons

    def _provider_refresh_stale_event(self, event):
        """The object's current state, read from Stripe and stored as the events that apply
        it (``_current_events``); ``None`` without an API key or when Stripe does not
        have the object."""
        if self.provider != "stripe":
            return super()._provider_refresh_stale_event(event)
        if event.object_type not in SERVICE_OF_OBJECT or not self._stripe_reads():
            return None
        obj = self._stripe_fetch(self._stripe_api(), event.object_type, event.object_external_id)
        return self._current_events(obj) if obj else None

    def _stripe_reconciliation_labels(self):
        return {
            "invoice": self.env._("Invoices"),
            "payment": self.env._("Payments"),
            "refund": self.env._("Refunds"),
            "credit_note": self.env._("Credit Notes"),
            "dispute": self.env._("Disputes"),
            "payout": self.env._("Payouts"),
            "fee": self.env._("Fees"),
            "subscription": self.env._("Subscriptions"),
        }

    # ---------------------------------------------------------------------------------------
    # Reading Stripe
    # ---------------------------------------------------------------------------------------
    def _stripe_list_period(self, client, service, period, run, label, *, unfiltered):
        """The dicts of the objects created in ``period`` (Unix bounds, end excluded), or None
        when the account has no such objects (404, noted on the run). ``label`` is added to
        ``unfiltered`` when the list had to be read whole."""
        start, end = period
        try:
            return client.list(service, {"created": {"gte": start, "lt": end}, "limit": 100})
        except StripeApiError as error:
            status = error.http_status or 0
            if status == 404:
                return self._stripe_not_offered(run, label)
            if status != 400 and status < 500:
                raise
        unfiltered.append(label)
        try:
            objects = client.list(service, {"limit": 100})
        except StripeApiError as error:
            if error.http_status != 404:
                raise
            return self._stripe_not_offered(run, label)
        return [obj for obj in objects if start <= obj.get("created", obj.get("date")) < end]

    def _stripe_not_offered(self, run, label):
        run._add_note(self.env._("%s: not offered by this Stripe account; not compared.", label))

    def _stripe_fetch(self, client, object_type, external_id):
        """The current dict of a Stripe object, or None when Stripe does not have it."""
        service = SERVICE_OF_OBJECT.get(object_type)
        if not service:
            return None
        if object_type == "charge" and external_id.startswith("pi_"):
            service = "payment_intents"
        try:
            return client.retrieve(service, external_id)
        except StripeApiError as error:
            if error.http_status == 404:
                return None
            raise

    def _stripe_prerequisites(self, client, obj):
        """The objects Odoo needs before ``obj`` and does not have, read from Stripe, with
        what they need in turn first."""
        objects = []
        handler = self.env["saas.stripe.reconciliation.handler"]
        for object_type, external_id in handler._missing_prerequisites(self, obj):
            if (prerequisite := self._stripe_fetch(client, object_type, external_id)) is not None:
                objects += [*self._stripe_prerequisites(client, prerequisite), prerequisite]
        return objects

    # ---------------------------------------------------------------------------------------
    # Odoo documents of the period
    # ---------------------------------------------------------------------------------------
    def _provider_period_documents(self, object_type, start, end):
        if self.provider != "stripe":
            return super()._provider_period_documents(object_type, start, end)
        model, prefixes, date_field, domain = {
            "invoice": (
                "account.move",
                ("in_",),
                "invoice_date",
                [("move_type", "=", "out_invoice")],
            ),
            "credit_note": (
                "account.move",
                ("cn_",),
                "invoice_date",
                [("move_type", "=", "out_refund")],
            ),
            "payment": ("account.payment", ("pi_", "ch_", "py_"), "date", []),
            "refund": ("account.payment", ("re_", "pyr_"), "date", []),
            "dispute": ("saas.stripe.dispute", ("dp_", "du_"), "disputed_at", []),
            "payout": ("saas.stripe.payout", ("po_",), "arrival_date", []),
        }[object_type]
        if self.env[model]._fields[date_field].type == "datetime":
            low, high = start.replace(tzinfo=None), end.replace(tzinfo=None)
        else:
            handler = self.env["saas.stripe.reconciliation.handler"]
            low, high = handler._company_date(self, start), handler._company_date(self, end)
        records = self.env[model].search(
            [
                *domain,
                ("company_id", "=", self.company_id.id),
                (date_field, ">=", low),
                (date_field, "<", high),
            ]
        )
        bindings = (
            self.env["saas.binding"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", self.id),
                    ("res_model", "=", model),
                    ("res_id", "in", records.ids),
                ]
            )
        )
        documents = [
            (binding.external_id, self.env[model].browse(binding.res_id))
            for binding in bindings
            if binding.external_id.startswith(prefixes)
        ]
        # A document bound under several ids (a payment: its payment intent and its charge) is
        # named by the id of the first prefix, whatever order the bindings came in.
        return sorted(
            documents,
            key=lambda document: next(
                rank for rank, prefix in enumerate(prefixes) if document[0].startswith(prefix)
            ),
        )

    # ---------------------------------------------------------------------------------------
    # Subscriptions
    # ---------------------------------------------------------------------------------------
    def _stripe_reconcile_subscriptions(self, client, run, label):
        """Every subscription of the account, canceled ones included, compared by the engine.
        A Stripe stand-in that refuses ``status=all`` lists the others; the engine asks for
        the subscriptions of Odoo it did not list one by one."""
        try:
            objects = client.list("subscriptions", {"status": "all", "limit": 100})
        except StripeApiError as error:
            status = error.http_status or 0
            if status == 404:
                return self._stripe_not_offered(run, label)
            if status != 400:
                raise
            objects = client.list("subscriptions", {"limit": 100})

        handler = self.env["saas.stripe.reconciliation.handler"]

        def fetch(external_id):
            obj = self._stripe_fetch(client, "subscription", external_id)
            return obj and handler._subscription_state(obj)

        return run._reconcile_subscriptions(
            [handler._subscription_state(obj) for obj in objects], fetch, label
        )

    # ---------------------------------------------------------------------------------------
    # Results
    # ---------------------------------------------------------------------------------------
    def _stripe_fees(self, client, period, run, unfiltered):
        label = self._stripe_reconciliation_labels()["fee"]
        transactions = self._stripe_list_period(
            client, "balance_transactions", period, run, label, unfiltered=unfiltered
        )
        if not transactions:
            return []
        return self.env["saas.stripe.reconciliation.handler"]._fee_summary(
            self, transactions, label, len(LISTED_SERVICES)
        )


def _invoice_status(move):
    """The Stripe status an Odoo invoice stands for."""
    if move.state == "cancel" or move.payment_state == "reversed":
        return "void"
    if move.state != "posted":
        return move.state
    return "paid" if move.payment_state in ("paid", "in_payment") else "open"


def _credit_note_status(move):
    if move.state == "cancel" or move.payment_state == "reversed":
        return "void"
    return "issued" if move.state == "posted" else move.state


def _record_status(object_type, record):
    """The Stripe status an Odoo document of ``object_type`` stands for."""
    if object_type == "invoice":
        return _invoice_status(record)
    if object_type == "credit_note":
        return _credit_note_status(record)
    if record._name == "account.payment":
        return "succeeded" if record.state in PAYMENT_POSTED else record.state
    return record.status if object_type == "dispute" else record.state


def _unique(objects):
    """Each object once (its last fetch), keeping the first position: prerequisites first."""
    latest = {obj["id"]: obj for obj in objects}
    order = list(dict.fromkeys(obj["id"] for obj in objects))
    return [latest[object_id] for object_id in order]
