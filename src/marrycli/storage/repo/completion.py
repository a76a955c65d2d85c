"""What shell completion offers, read from the ledger: one bounded query on an index each.

Completion runs on every TAB, on ledgers of a million promises too, so no query here reads
more than a bounded stretch of an index: customer names from the directory's key index,
owners and tags from the most recent promises (by primary key), unresolved promises from
the ids that begin with what was typed, newest first.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    exists,
    literal,
    select,
    union_all,
)

from marrycli.domain import EventKind
from marrycli.storage.repo.rows import read_tags
from marrycli.storage.tables import customer_table, event_table, promise_table

OFFERED = 200  # values offered at most (a shell shows a screenful)
RECENT = 5000  # the promises whose owners and tags are offered (the active ones)
CANDIDATES = 20000  # the promises looked at for unresolved ones, newest first
_ID_MAX = 2**63 - 1
_RESOLVING = (EventKind.KEPT.value, EventKind.BROKEN.value, EventKind.CANCELLED.value)


def customer_names(conn: Connection, key_prefix: str) -> list[str]:
    """The names (customers' and merged ones) whose key begins with `key_prefix`, by key."""
    rows = conn.execute(
        select(customer_table.c.key, customer_table.c.name)
        .where(customer_table.c.key >= key_prefix)
        .order_by(customer_table.c.key)
        .limit(OFFERED)
    ).all()
    # The key index gives the keys from the prefix on; those that begin with it come first.
    return [row.name for row in rows if type(row.key) is str and row.key.startswith(key_prefix)]


def recent_owners(conn: Connection) -> list[str]:
    """The owners of the most recent promises, the most recent first, each once."""
    rows = conn.execute(
        select(promise_table.c.owner).order_by(promise_table.c.id.desc()).limit(RECENT)
    ).scalars()
    return list(dict.fromkeys(owner for owner in rows if type(owner) is str))


def recent_tags(conn: Connection) -> list[str]:
    """The tags of the most recent promises, the most recent first, each once."""
    rows = conn.execute(
        select(promise_table.c.id, promise_table.c.tags)
        .order_by(promise_table.c.id.desc())
        .limit(RECENT)
    ).all()
    found: dict[str, None] = {}
    for row in rows:
        for tag in read_tags(row.tags, f"the tags of promise {row.id}"):
            found.setdefault(tag)
    return list(found)


def unresolved_promises(conn: Connection, digits: str) -> list[tuple[int, str]]:
    """(id, text) of the unresolved promises whose number begins with `digits`, newest first.

    Unresolved: no kept, broken or cancelled event stands (one not voided). The candidates
    are the newest CANDIDATES ids of each length that begin with `digits`: one range of the
    primary key each, read from its end.
    """
    parts = []
    for first, last in _id_ranges(digits):
        newest = (
            select(promise_table.c.id, promise_table.c.text)
            .where(promise_table.c.id >= first, promise_table.c.id <= last)
            .order_by(promise_table.c.id.desc())
            .limit(CANDIDATES)
            .subquery()
        )
        parts.append(select(newest.c.id, newest.c.text))
    if not parts:
        return []
    candidates = union_all(*parts).subquery()
    outcome = event_table.alias("outcome")
    void = event_table.alias("void")
    resolved = exists().where(
        outcome.c.promise_id == candidates.c.id,
        outcome.c.kind.in_(_RESOLVING),
        ~exists().where(void.c.voids == outcome.c.id),
    )
    rows = conn.execute(
        select(candidates.c.id, candidates.c.text)
        .where(~resolved)
        .order_by(candidates.c.id.desc())
        .limit(OFFERED)
    ).all()
    return [(row.id, row.text) for row in rows if type(row.text) is str]


def _id_ranges(digits: str) -> list[tuple[ColumnElement[int], ColumnElement[int]]]:
    """The ranges of ids whose decimal form begins with `digits`: one per length."""
    if not digits:
        return [(_bigint(1), _bigint(_ID_MAX))]
    if not (digits.isascii() and digits.isdigit()) or digits.startswith("0"):
        return []
    ranges = []
    low, high = int(digits), int(digits)
    while low <= _ID_MAX:
        ranges.append((_bigint(low), _bigint(min(high, _ID_MAX))))
        low, high = low * 10, high * 10 + 9
    return ranges


def _bigint(number: int) -> ColumnElement[int]:
    # As BIGINT: PostgreSQL's ids are INTEGER, and a bound value cast to that would overflow.
    return literal(number, BigInteger)
