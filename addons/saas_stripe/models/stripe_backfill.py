import itertools
from datetime import UTC, datetime
from urllib.parse import urlparse

from odoo import models
from odoo.addons.saas_connector_base.lib.backfill import BackfillPage, BackfillType
from odoo.addons.saas_connector_base.lib.errors import TransientError

from ..lib.api import StripeApiError

# Objects per API page: Stripe's largest.
PAGE_SIZE = 100
# The SDK service of each object type a backfill reads, and the list parameters it needs
# beyond the defaults.
LISTINGS = {
    "customers": ("customers", {}),
    "products": ("products", {}),
    "prices": ("prices", {}),
    "plans": ("plans", {}),
    # Without it Stripe leaves out canceled subscriptions.
    "subscriptions": ("subscriptions", {"status": "all"}),
    "invoices": ("invoices", {}),
    "credit_notes": ("credit_notes", {}),
    "charges": ("charges", {}),
    "refunds": ("refunds", {}),
    "disputes": ("disputes", {}),
    "payouts": ("payouts", {}),
    "balance_transactions": ("balance_transactions", {}),
}
# Customers, the catalogue and subscriptions are read whatever their creation date: documents
# of the period refer to customers and prices created long before it, and a subscription's
# current state matters whenever it started. The date range selects the money documents.
UNDATED_TYPES = frozenset({"customers", "products", "prices", "plans", "subscriptions"})


class SaasBackend(models.Model):
    """What a backfill of a Stripe account reads (the engine's ``saas.backfill`` runs it):
    Stripe's lists, one page after a cursor — the id of the last object read."""

    _inherit = "saas.backend"  # pylint: disable=consider-merging-classes-inherited

    def _provider_backfill_types(self):
        """In the order they are read: what an object refers to is imported before it
        (customers and prices before subscriptions, invoices before the charges that pay
        them, charges before their refunds and disputes). Balance transactions come last:
        they book the fees that the payouts read before them did not settle. Prices cover
        plans (every recurring price is also listed as a plan): legacy plans are read only
        when asked for."""
        if self.provider != "stripe":
            return super()._provider_backfill_types()
        return [
            BackfillType("customers", self.env._("Customers")),
            BackfillType("products", self.env._("Products")),
            BackfillType("prices", self.env._("Prices")),
            BackfillType("plans", self.env._("Plans (legacy API)"), default=False),
            BackfillType("subscriptions", self.env._("Subscriptions")),
            BackfillType("invoices", self.env._("Invoices")),
            BackfillType("credit_notes", self.env._("Credit Notes")),
            BackfillType("charges", self.env._("Charges")),
            BackfillType("refunds", self.env._("Refunds")),
            BackfillType("disputes", self.env._("Disputes")),
            BackfillType("payouts", self.env._("Payouts")),
            BackfillType("balance_transactions", self.env._("Balance Transactions (fees)")),
        ]

    def _provider_check_reads(self):
        if self.provider != "stripe":
            return super()._provider_check_reads()
        self._stripe_api()
        return None

    def _provider_backfill_page(self, run, object_type, cursor, limit):
        """Stripe's list of ``object_type`` after ``cursor``, with the SDK's auto-pagination;
        an API error keeps the objects read before it."""
        if self.provider != "stripe":
            return super()._provider_backfill_page(run, object_type, cursor, limit)
        service_name, params = LISTINGS[object_type]
        params = {**params, "limit": PAGE_SIZE, "starting_after": cursor}
        if object_type not in UNDATED_TYPES and self._stripe_filters_by_date():
            params["created"] = {
                key: int(value.replace(tzinfo=UTC).timestamp())
                for key, value in (("gte", run.date_from), ("lt", run.date_to))
                if value
            } or None
        api = self._stripe_api()
        objects = []
        page = BackfillPage()
        try:
            page.total, listed = api.iterate(
                service_name, {key: value for key, value in params.items() if value}
            )
            objects.extend(itertools.islice(listed, limit))
        except StripeApiError as error:
            page.error = error.user_message or str(error) or error.__class__.__name__
            page.transient = isinstance(error, TransientError)
        page.read = len(objects)
        page.cursor = objects[-1]["id"] if objects else None
        page.objects = [obj for obj in objects if _in_period(run, object_type, obj)]
        return page

    def _provider_backfill_store(self, run, object_type, objects):
        """Balance transactions are no event of their own: their fees are booked at once
        (``stripe_fee_handler.py``)."""
        if self.provider != "stripe" or object_type != "balance_transactions":
            return super()._provider_backfill_store(run, object_type, objects)
        fees = self.env["saas.stripe.fee.handler"]
        fees._book_fees(self, fees._read_transactions(self, objects))
        return self.env["saas.event"]

    def _stripe_filters_by_date(self):
        """Whether the API filters lists by creation date. Stripe does; stand-ins such as
        localstripe reject the parameter, so the objects read are filtered here in any case."""
        host = urlparse(self.stripe_api_base or "https://api.stripe.com").hostname
        return host == "api.stripe.com"


def _in_period(run, object_type, obj):
    if object_type in UNDATED_TYPES:
        return True
    created = datetime.fromtimestamp(obj.get("created") or 0, UTC).replace(tzinfo=None)
    return (not run.date_from or created >= run.date_from) and (
        not run.date_to or created < run.date_to
    )
