"""What a provider tells a backfill run: which object types it can list, and one page of a
listing. Plain data; the engine's ``saas.backfill`` owns the run, its jobs and cursors."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class BackfillType:
    """An object type a backfill can read. ``default``: read unless the user leaves it out
    (a type another one covers is not)."""

    key: str
    label: str
    default: bool = True


@dataclass
class BackfillPage:
    """What one read of a listing gave, after a cursor.

    ``read`` counts every object listed; ``objects`` are those to import (the ones in the
    run's period). ``cursor`` is where the next read starts (None when nothing was read);
    ``total`` is how many objects the listing holds, when the provider says so (for the ETA).
    ``error`` is the provider's message when the reading was interrupted — the objects read
    before it are kept — and ``transient`` says whether to try again later (rate limit,
    outage) or fail the run.
    """

    read: int = 0
    objects: list = field(default_factory=list)
    cursor: str | None = None
    total: int | None = None
    error: str | None = None
    transient: bool = False
