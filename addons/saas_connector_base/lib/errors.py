"""Exceptions through which providers tell the engine what went wrong.

The engine decides what to do from the class, not from the message: a rejected delivery
answers 4xx, a transient error is retried with backoff, a permanent one fails the event with
its message shown to finance users — so messages must be readable and free of secrets.
"""


class WebhookRejected(Exception):
    """A delivery that must not be stored: bad signature, stale timestamp, malformed body.
    ``status`` is the HTTP status answered; the message is sent back to the caller."""

    def __init__(self, reason, status=400):
        super().__init__(reason)
        self.status = status


class TransientError(Exception):
    """Worth retrying later: a lock, a rate limit, the provider's 5xx, a document that has
    not arrived yet. ``retry_after`` (seconds) overrides the backoff schedule when known.
    ``awaits`` names the document that has not arrived, as ``(model, external id)`` of its
    binding: the event is retried as soon as a job binds it, not at the end of its backoff."""

    def __init__(self, message, retry_after=None, awaits=None):
        super().__init__(message)
        self.retry_after = retry_after
        self.awaits = awaits


class PermanentError(Exception):
    """Retrying cannot help until someone changes data or configuration (unknown mapping,
    amounts that do not tie). The event fails with this message."""
