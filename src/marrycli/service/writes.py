"""The one write path: a write transaction, started over when another writer takes the
same `--ref` first, and the checks every write makes on the times it records.

A use case that writes is planned first (`Write`: its input checked, nothing opened) and
then run on an open write transaction: alone by its command (`run_write`), or with others
in one transaction by `marry batch` (`service.batch`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from marrycli.dates import format_local
from marrycli.domain import Recorded
from marrycli.errors import BadInput
from marrycli.rules import CLOCK_SKEW

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from marrycli.storage.ledger import Ledger

Result = TypeVar("Result")

ATTEMPTS = 3  # transactions a write may take when other writers keep taking its ref


class RefRace(Exception):
    """Another writer took the same ref between our check and our insert: start over."""


def write_transaction(
    ledger: Ledger,
    work: Callable[[Connection | None], Result],
    *,
    ref: str | None,
    create: bool = True,
) -> Result:
    """Run `work` in one write transaction (creating the ledger if `create`; else `work` gets
    None when there is none) and return what it returns; when it raises RefRace, the
    transaction is rolled back and `work` runs again, in a new one, up to ATTEMPTS times."""
    for _attempt in range(ATTEMPTS):
        try:
            with ledger.write(create=create) as conn:
                return work(conn)
        except RefRace:
            continue
    raise BadInput(f"--ref {ref} is being written by another process; try again")


@dataclass(frozen=True, slots=True)
class Write:
    """A write whose input is checked (nothing opened yet): `apply` it on a write transaction's
    connection (None: the ledger does not exist and `create` is off)."""

    apply: Callable[[Connection | None], Recorded]
    ref: str | None
    create: bool  # whether the write creates a ledger that does not exist yet


def run_write(ledger: Ledger, write: Write) -> Recorded:
    """Run one write in a transaction of its own."""
    return write_transaction(ledger, write.apply, ref=write.ref, create=write.create)


def take_ref(conn: Connection, ref: str | None, promise_id: int, event_id: int | None) -> None:
    """Store `ref` (if given) for what was just written; RefRace if another writer has it."""
    from marrycli.storage import repo

    if ref is not None and not repo.claim_ref(conn, ref, promise_id, event_id):
        raise RefRace


def not_in_future(what: str, moment: datetime, now: datetime) -> None:
    """BadInput if `moment` (given as option `what`) is later than now (plus clock skew)."""
    if moment > now + CLOCK_SKEW:
        raise BadInput(
            f"{what} {format_local(moment)} is in the future; "
            "record what has happened, not what will"
        )
