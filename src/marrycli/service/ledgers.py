"""Use cases of the ledger itself: where it is, what it holds, its check and its upgrade."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marrycli.domain import LedgerInfo

if TYPE_CHECKING:
    from marrycli.settings import Setting
    from marrycli.storage.ledger import Ledger as Ledger  # what cli holds, never opens


def ledger_info(ledger: Ledger) -> LedgerInfo:
    """Where the ledger is, its backend, schema version and counts."""
    from marrycli.storage import repo
    from marrycli.storage.ledger import schema_version

    counts = repo.Counts(customers=0, promises=0, events=0)
    exists = False
    version = None
    with ledger.read() as conn:
        if conn is not None:
            exists = True
            counts = repo.counts(conn)
            version = repo.ledger_version(conn)  # the ledger's own, not this marry's
    return LedgerInfo(
        location=ledger.location.display,
        backend=ledger.location.backend,
        exists=exists,
        schema_version=version,
        marry_schema_version=schema_version(),
        customers=counts.customers,
        promises=counts.promises,
        events=counts.events,
    )


def check_ledger(ledger: Ledger) -> list[str]:
    """An integrity check: the database's own and the ledger's rules; returns the problems."""
    from marrycli.storage import integrity

    return integrity.check(ledger)


def upgrade_ledger(ledger: Ledger) -> tuple[int, int]:
    """Bring the ledger to this marry's schema version; returns (before, after)."""
    return ledger.upgrade()


def open_ledger(db: Setting, *, lock_timeout: float) -> Ledger:
    """The ledger the `db` setting names (None: the default place); nothing opened yet."""
    from marrycli.storage.ledger import Ledger as Ledger  # what cli holds, never opens
    from marrycli.storage.location import resolve_location

    return Ledger(resolve_location(db.value, db.label), lock_timeout=lock_timeout)
