"""The write path's queries: promises, events and refs appended, what a ref names, row locks.

History is append-only: nothing here updates or deletes a promise, an event or a ref.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Table, bindparam, func, select

from marrycli.dates import to_micros
from marrycli.domain import Amendment, EventKind, Size, Standing, Value
from marrycli.storage.repo.memo import memo_of
from marrycli.storage.repo.prepared import Prepared
from marrycli.storage.repo.rows import StoredRef, write_amendment
from marrycli.storage.tables import customer_table, event_table, promise_table, ref_table

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.sql.expression import Executable


def insert_unless_taken(dialect: str, table: Table, key: str) -> postgresql.Insert | sqlite.Insert:
    """The INSERT into `table` of the dialect named that does nothing when `key`'s value is
    taken."""
    # Imported here: a SQLite ledger never loads the PostgreSQL dialect (25 ms).
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table).on_conflict_do_nothing(index_elements=[key])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=[key])


def _insert_promise(_dialect: str) -> Executable:
    columns = ("customer_id", "text", "made", "due", "size", "value", "owner", "tags", "recorded")
    terms = ("every", "within", "until", "zone")
    return (
        promise_table.insert()
        .values({name: bindparam(name) for name in columns + terms})
        .returning(promise_table.c.id)
    )


_INSERT_PROMISE = Prepared(_insert_promise)


def insert_promise(
    conn: Connection,
    *,
    customer_id: int,
    text: str,
    made: int,
    due: int | None,
    size: Size,
    value: Value,
    owner: str,
    tags: Sequence[str],
    recorded: int,
    standing: Standing | None = None,
) -> int:
    """Append a promise (times in microseconds), a series of them with `standing`; returns
    its id."""
    row = _INSERT_PROMISE.rows(
        conn,
        {
            "customer_id": customer_id,
            "text": text,
            "made": made,
            "due": due,
            "size": size.value,
            "value": value.value,
            "owner": owner,
            "tags": json.dumps(list(tags), ensure_ascii=False),
            "recorded": recorded,
            "every": str(standing.every) if standing is not None else None,
            "within": str(standing.within) if standing is not None else None,
            "until": to_micros(standing.until)
            if standing is not None and standing.until is not None
            else None,
            "zone": standing.zone if standing is not None else None,
        },
    )[0]
    promise_id = int(row[0])
    memo = memo_of(conn)
    if memo is not None:
        memo.held.add(promise_id)
        memo.no_events.add(promise_id)
    return promise_id


def store_occurrence(
    conn: Connection,
    *,
    series: int,
    k: int,
    made: int,
    due: int,
    recorded: int,
) -> int:
    """The number of occurrence k of a series: stored now if it was not yet. Two writers racing
    store one row (the unique (series_id, occurrence) index: the second waits, then finds it).
    Its terms are copied from the series' row as recorded (reads apply the series' amended
    terms)."""
    found = _occurrence_id(conn, series, k)
    if found is not None:
        return found
    row = conn.execute(
        select(
            promise_table.c.customer_id,
            promise_table.c.text,
            promise_table.c.size,
            promise_table.c.value,
            promise_table.c.owner,
            promise_table.c.tags,
        ).where(promise_table.c.id == series)
    ).one()
    conn.execute(
        _insert_ignoring_occurrence(conn).values(
            customer_id=row.customer_id,
            text=row.text,
            made=made,
            due=due,
            size=row.size,
            value=row.value,
            owner=row.owner,
            tags=row.tags,
            recorded=recorded,
            series_id=series,
            occurrence=k,
        )
    )
    stored = _occurrence_id(conn, series, k)
    assert stored is not None
    return stored


def _occurrence_id(conn: Connection, series: int, k: int) -> int | None:
    found: int | None = conn.execute(
        select(promise_table.c.id).where(
            promise_table.c.series_id == series, promise_table.c.occurrence == k
        )
    ).scalar()
    return found


def _insert_ignoring_occurrence(conn: Connection) -> postgresql.Insert | sqlite.Insert:
    keys = ["series_id", "occurrence"]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(promise_table).on_conflict_do_nothing(index_elements=keys)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(promise_table).on_conflict_do_nothing(index_elements=keys)


_EVENT_COLUMNS = ("promise_id", "kind", "at", "due", "note", "owner", "voids", "recorded")
_INSERT_EVENT = Prepared(
    lambda _dialect: (
        event_table.insert()
        .values({name: bindparam(name) for name in (*_EVENT_COLUMNS, "changes")})
        .returning(event_table.c.id)
    )
)


def insert_event(
    conn: Connection,
    *,
    promise_id: int,
    kind: EventKind,
    at: int,
    due: int | None,
    note: str | None,
    owner: str,
    voids: int | None,
    recorded: int,
    amendment: Amendment | None = None,
) -> int:
    """Append an event (times in microseconds); returns its id."""
    row = _INSERT_EVENT.rows(
        conn,
        {
            "promise_id": promise_id,
            "kind": kind.value,
            "at": at,
            "due": due,
            "note": note,
            "owner": owner,
            "voids": voids,
            "recorded": recorded,
            "changes": write_amendment(amendment) if amendment is not None else None,
        },
    )[0]
    event_id = int(row[0])
    memo = memo_of(conn)
    if memo is not None:
        memo.changed(promise_id)
        memo.no_events.discard(promise_id)
        memo.event_kinds[event_id] = kind.value
    return event_id


def reserve_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """`count` new ids for a bulk insert: from the table's sequence on PostgreSQL; on SQLite,
    which holds the write lock for the whole transaction, the next ones after the highest."""
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        series = func.generate_series(1, count).table_valued("n")
        return list(conn.execute(select(func.nextval(sequence)).select_from(series)).scalars())
    highest = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(highest + 1, highest + 1 + count))


_CLAIM_REF = Prepared(
    lambda dialect: (
        insert_unless_taken(dialect, ref_table, "ref")
        .values(
            ref=bindparam("ref"), promise_id=bindparam("promise_id"), event_id=bindparam("event")
        )
        .returning(ref_table.c.ref)
    )
)


def claim_ref(conn: Connection, ref: str, promise_id: int, event_id: int | None) -> bool:
    """Store a ref for a promise or event; False if the ref was already taken."""
    claimed = _CLAIM_REF.first(conn, {"ref": ref, "promise_id": promise_id, "event": event_id})
    memo = memo_of(conn)
    if memo is not None and claimed is not None:
        memo.changed(promise_id)
        if event_id is None:  # the promise's own ref, read with its row
            memo.rows.pop(promise_id, None)
        if event_id is None or event_id in memo.event_kinds:  # what find_ref would say
            kind = memo.event_kinds[event_id] if event_id is not None else None
            memo.refs[ref] = StoredRef(ref, promise_id, event_id, kind)
    return claimed is not None


_FIND_REF = Prepared(
    lambda _dialect: (
        select(ref_table.c.ref, ref_table.c.promise_id, ref_table.c.event_id, event_table.c.kind)
        .select_from(ref_table.outerjoin(event_table, event_table.c.id == ref_table.c.event_id))
        .where(ref_table.c.ref == bindparam("ref"))
    )
)


def find_ref(conn: Connection, ref: str) -> StoredRef | None:
    """What a ref names, or None."""
    memo = memo_of(conn)
    if memo is not None and ref in memo.refs:
        return memo.refs[ref]
    row = _FIND_REF.first(conn, {"ref": ref})
    if row is None:
        return None
    key, promise_id, event_id, kind = row
    return StoredRef(ref=key, promise_id=promise_id, event_id=event_id, event_kind=kind)


def _lock_promise(dialect: str) -> Executable:
    query = select(promise_table.c.id).where(promise_table.c.id == bindparam("id"))
    return query.with_for_update() if dialect == "postgresql" else query


_LOCK_PROMISE = Prepared(_lock_promise)


def lock_promise(conn: Connection, promise_id: int) -> bool:
    """Take the promise's row lock (PostgreSQL; SQLite locks the database); False if unknown."""
    memo = memo_of(conn)
    if memo is not None and promise_id in memo.held:
        return True  # inserted or locked by this transaction already
    found = _LOCK_PROMISE.first(conn, {"id": promise_id}) is not None
    if memo is not None and found:
        memo.held.add(promise_id)
    return found


_RECORDED_TEXT = Prepared(
    lambda _dialect: select(promise_table.c.text).where(promise_table.c.id == bindparam("id"))
)


def recorded_text(conn: Connection, promise_id: int) -> str | None:
    """A promise's text as first recorded (before any amendment), or None if there is none."""
    row = _RECORDED_TEXT.first(conn, {"id": promise_id})
    return None if row is None else row[0]


def _promise_customer_id(_dialect: str) -> Executable:
    entry = customer_table
    return (
        select(func.coalesce(entry.c.merged_into, entry.c.id))
        .select_from(promise_table.join(entry, entry.c.id == promise_table.c.customer_id))
        .where(promise_table.c.id == bindparam("id"))
    )


_PROMISE_CUSTOMER_ID = Prepared(_promise_customer_id)  # a retried batch asks for each add


def promise_customer_id(conn: Connection, promise_id: int) -> int | None:
    """The customer a promise belongs to now (after merges)."""
    row = _PROMISE_CUSTOMER_ID.first(conn, {"id": promise_id})
    return None if row is None else row[0]
