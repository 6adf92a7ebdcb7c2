"""Stripe's API as the suite uses it: the only module that imports the ``stripe`` SDK.

Every call answers plain dicts, and every error of the SDK leaves here translated once into
the engine's ``TransientError`` (worth a retry: rate limit, network, Stripe's 5xx) or
``PermanentError`` (anything else). Both carry Stripe's HTTP status (``http_status``) and
Stripe's own words (``user_message``) for the callers whose message quotes them, and
``readable``: what a finance user can act on, which is what Test Connection shows.
"""

import stripe

from odoo.addons.saas_connector_base.lib.errors import PermanentError, TransientError

DEFAULT_API_BASE = "https://api.stripe.com"


def _format(message, *args, **kwargs):
    """The stand-in for Odoo's ``env._`` when no translation is asked for."""
    return message % (kwargs or args) if args or kwargs else message


class StripeApiError(Exception):
    """What both translated errors share (catch it to handle any answer of Stripe)."""

    def __init__(self, readable, http_status=None, user_message=None):
        # The exception's text quotes Stripe when it says more than our explanation.
        quoted = user_message and user_message not in readable
        super().__init__(f"{readable} Stripe said: {user_message}" if quoted else readable)
        self.readable = readable
        self.http_status = http_status
        self.user_message = user_message


class StripeTransientError(StripeApiError, TransientError):
    """Stripe could not answer now (rate limit, network, its own 5xx)."""


class StripePermanentError(StripeApiError, PermanentError):
    """Stripe answered no: a bad key, a missing object, a refused parameter."""


class StripeApi:
    """One Stripe account reached with one key.

    ``key_hint`` (the masked key) and ``gettext`` (``env._``) only shape the messages of the
    errors: the key itself never appears in them.
    """

    def __init__(self, api_key, *, api_version=None, api_base=None, key_hint="", gettext=None):
        self.api_base = api_base or DEFAULT_API_BASE
        self.key_hint = key_hint
        self.gettext = gettext or _format
        self.client = stripe.StripeClient(
            api_key,
            stripe_version=api_version or None,
            base_addresses={"api": api_base} if api_base else None,
        )

    def _call(self, call, not_found=None):
        """``call()``, with the SDK's errors translated; ``not_found`` replaces the readable
        message of a 404 when it means something else than a missing object."""
        try:
            return call()
        except stripe.StripeError as error:
            raise self.translate(error, not_found=not_found) from None

    def translate(self, error, not_found=None):
        """The engine's error for an error of the ``stripe`` SDK."""
        status = getattr(error, "http_status", None) or 0
        transient = isinstance(error, (stripe.RateLimitError, stripe.APIConnectionError))
        transient = transient or status >= 500
        if isinstance(error, stripe.AuthenticationError):
            readable = self.gettext(
                "Stripe rejected the API key %s: it is mistyped, revoked or rolled. Paste a "
                "current secret key (sk_…) or restricted key (rk_…) of the account.",
                self.key_hint,
            )
        elif isinstance(error, stripe.PermissionError):
            readable = self.gettext(
                "The API key %s is valid but not allowed to read this account: give the "
                "restricted key read access (at least Account, Customers, Invoices, Charges, "
                "Balance) in Stripe's dashboard, or use a secret key.",
                self.key_hint,
            )
        elif isinstance(error, stripe.APIConnectionError):
            readable = self.gettext(
                "Stripe could not be reached at %s: check the server's network access "
                "(firewall, proxy, DNS) and the API base URL.",
                self.api_base,
            )
        elif isinstance(error, stripe.RateLimitError):
            readable = self.gettext(
                "Stripe is limiting requests right now: try again in a minute."
            )
        elif status >= 500:
            readable = self.gettext(
                "Stripe had a problem on its side (HTTP %s): try again in a few minutes.", status
            )
        elif status == 404 and not_found:
            readable = not_found
        else:
            readable = self.gettext(
                "Stripe refused the request (HTTP %(status)s): %(reason)s",
                status=status or "?",
                reason=error.user_message or self.gettext("no reason given"),
            )
        error_class = StripeTransientError if transient else StripePermanentError
        user_message = error.user_message
        return error_class(readable, http_status=status or None, user_message=user_message)

    # ---------------------------------------------------------------------------------------
    # Calls
    # ---------------------------------------------------------------------------------------
    def current_account(self):
        """The account the key belongs to."""
        not_found = self.gettext(
            "Stripe does not know this address: check the API base URL (%s).", self.api_base
        )
        return self._call(
            lambda: self.client.v1.accounts.retrieve_current().to_dict(), not_found=not_found
        )

    def retrieve(self, service, external_id):
        """The object ``external_id`` of an SDK service (``customers``, ``tax_rates``…)."""
        return self._call(lambda: getattr(self.client.v1, service).retrieve(external_id).to_dict())

    def list(self, service, params=None):
        """Every object a list of an SDK service (``invoices``, ``balance_transactions``…)
        answers for ``params``, page after page."""
        resource = getattr(self.client.v1, service)
        return self._call(
            lambda: [
                obj.to_dict() for obj in resource.list(params=params or {}).auto_paging_iter()
            ]
        )

    def line_items(self, service, document_id):
        """Every line of an invoice (``invoices``) or credit note (``credit_notes``)."""
        resource = getattr(self.client.v1, service).line_items
        return self._call(
            lambda: [
                obj.to_dict()
                for obj in resource.list(document_id, params={"limit": 100}).auto_paging_iter()
            ]
        )

    def iterate(self, service, params):
        """``(total, objects)``: the total of a list Stripe announces (``None`` if it does
        not), and an iterator over its objects as JSON-ready dicts, page after page, that
        raises the translated error where a page cannot be read, so that the caller keeps
        what it read before."""
        listing = self._call(lambda: getattr(self.client.v1, service).list(params=params))

        def objects():
            pages = listing.auto_paging_iter()
            while True:
                obj = self._call(lambda: next(pages, None))
                if obj is None:
                    return
                yield obj.to_dict(for_json=True)

        return getattr(listing, "total_count", None), objects()
