"""What shell completion offers, read from the ledger: one bounded query on an index each.

Completion runs on every TAB, on ledgers of a million promises too, so no query here reads
more than a bounded stretch of an index: customer names from the directory's key index,
owners and tags from the most recent promises (by primary key), unresolved promises from
the ids that begin with what was typed, newest first.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, and_, exists, false, or_, select

from marrycli.domain import EventKind
from marrycli.storage.repo.rows import read_tags
from marrycli.storage.tables import customer_table, event_table, promise_table

OFFERED = 200  # values offered at most (a shell shows a screenful)
RECENT = 5000  # the promises whose owners and tags are offered (the active ones)
CANDIDATES = 20000  # the promises looked at for unresolved ones, newest first
_ID_DIGITS = 19  # ids are below 2**63
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

    Unresolved: no kept, broken or cancelled event stands (one not voided).
    """
    candidates = (
        select(promise_table.c.id, promise_table.c.text)
        .where(_id_begins_with(digits))
        .order_by(promise_table.c.id.desc())
        .limit(CANDIDATES)
        .subquery()
    )
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


def _id_begins_with(digits: str) -> ColumnElement[bool]:
    """Ids whose decimal form begins with `digits`: one range of the primary key per length."""
    if not digits:
        return promise_table.c.id > 0
    if not (digits.isascii() and digits.isdigit()) or digits.startswith("0"):
        return false()
    low, high = int(digits), int(digits)
    ranges = []
    for _ in range(_ID_DIGITS - len(digits) + 1):
        if low >= 2**63:
            break
        ranges.append(and_(promise_table.c.id >= low, promise_table.c.id <= min(high, 2**63 - 1)))
        low, high = low * 10, high * 10 + 9
    return or_(*ranges)
