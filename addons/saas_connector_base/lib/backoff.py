"""Retry schedule for transient failures: exponential, capped, with optional jitter.

Providers rate-limit bursts of retries (Stripe answers 429), so retries spread out
exponentially; the cap keeps a long outage from pushing the next try days away.
"""

import random


def retry_delay(attempt, *, base=10, factor=2.0, cap=3600, jitter=0.0, rng=random):
    """Seconds to wait before try number ``attempt + 1`` (``attempt`` counts failures, from 1).

    ``jitter`` in [0, 1) spreads retries of simultaneous failures: the delay is drawn uniformly
    from ``[delay * (1 - jitter), delay]``.
    """
    if attempt < 1:
        raise ValueError("attempt counts failures and starts at 1")
    if not 0 <= jitter < 1:
        raise ValueError("jitter is a fraction in [0, 1)")
    delay = min(cap, base * factor ** (attempt - 1))
    if jitter:
        delay = rng.uniform(delay * (1 - jitter), delay)
    return round(delay)
