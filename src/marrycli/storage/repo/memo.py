"""What one write transaction has written, remembered for its own later reads (`marry batch`).

A batch's lines read back what its earlier lines wrote: `keep ref:KEY` looks up the ref an
add claimed, locks and reads that promise, and an add looks up a customer an earlier add
made. Within the transaction these answers cannot change behind its back, so they are
remembered instead of asked again:

- a promise this transaction inserted, or locked: on SQLite the whole ledger is locked for
  the transaction; on PostgreSQL a promise inserted is seen by no one else before the commit,
  and one locked stays locked until then (every writer of events locks the promise first).
  Its last read is kept until this transaction writes to it again (an event, a ref), and
  its own row after that too (history is appended: an event changes no promise row); not
  for an occurrence of a series, which reads the series' terms too. One inserted here has
  no events but those this transaction appends;
- a ref this transaction claimed (refs are never changed or removed);
- the directory entry a customer key led to, once found or made (entries are never removed;
  a rename or merge by another writer meanwhile leads the key's promises to the same customer).

What was not written or locked here is always read from the ledger. The memo lives in the
connection's `info` only while `remember_writes` is open, and the caller opens it inside
the transaction, so a rollback leaves nothing behind; single commands never open one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from marrycli.domain import Promise
    from marrycli.storage.repo.rows import CustomerEntry, StoredRef

_KEY = "marry.memo"


@dataclass(slots=True)
class Memo:
    """What the open transaction wrote or holds (see the module)."""

    held: set[int] = field(default_factory=set)  # promises inserted or locked here
    promises: dict[int, Promise] = field(default_factory=dict)  # held ones, as last read
    # Held ones' own rows (with their customer's name and their ref) as last read: what an
    # event never changes, so that reading one again after its event reads the events alone.
    rows: dict[int, tuple[Sequence[Any], str | None]] = field(default_factory=dict)
    no_events: set[int] = field(default_factory=set)  # inserted here, no event yet
    refs: dict[str, StoredRef] = field(default_factory=dict)  # refs claimed here
    event_kinds: dict[int, str] = field(default_factory=dict)  # events inserted here
    customers: dict[str, CustomerEntry] = field(default_factory=dict)  # by key

    def changed(self, promise_id: int) -> None:
        """A promise was written to (an event, a ref): its last read is stale."""
        self.promises.pop(promise_id, None)


@contextmanager
def remember_writes(conn: Connection) -> Iterator[None]:
    """Remember, while open, what this transaction writes (for its own reads; see the module).
    Open it inside the transaction and close it before the transaction ends."""
    conn.info[_KEY] = Memo()
    try:
        yield
    finally:
        conn.info.pop(_KEY, None)


def memo_of(conn: Connection) -> Memo | None:
    """The open memo of this connection's transaction, or None (the usual case)."""
    found: Memo | None = conn.info.get(_KEY)
    return found


def forget_directory(conn: Connection) -> None:
    """The directory changed here (a rename, a merge): names and entries read are stale."""
    memo = memo_of(conn)
    if memo is not None:
        memo.promises.clear()
        memo.rows.clear()
        memo.customers.clear()
