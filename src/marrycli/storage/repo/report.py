"""The report's read: every promise with its events in one ordered, streamed pass.

A million rows must cost little memory and no per-row SQLAlchemy overhead, so the rows
come straight from the driver (`stream`) and are folded into promises with a few
comparisons each (`_group_rows`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from typing import Any

from sqlalchemy import Connection

from marrycli.dates import from_micros
from marrycli.domain import Event, Promise
from marrycli.storage.repo.directory import directory_roots
from marrycli.storage.repo.rows import (
    END_MICROS,
    FIRST_MICROS,
    KINDS,
    SIZES,
    VALUES,
    Damage,
    optional_time,
    read_amendment,
    read_member,
    read_standing,
    read_time,
)

# Every promise made by :as_of with all of its events (voids apply whatever their time),
# ordered by customer entry, then as made: the indexes on marry_promise (customer_id, made)
# and marry_event (promise_id) give this order without a temporary sort, so rows stream
# from disk customer by customer. Text, owner and tags are not needed for scoring; an
# amendment's changes are (its size or value, SPEC §6).
REPORT_SQL = (
    "SELECT p.customer_id, p.id, p.made, p.due, p.size, p.value,"
    " e.id, e.kind, e.at, e.due, e.voids, e.changes,"
    " p.every, p.within, p.until, p.zone, p.series_id, p.occurrence"
    " FROM marry_promise p LEFT JOIN marry_event e ON e.promise_id = p.id"
    " WHERE p.made <= :as_of"
    " ORDER BY p.customer_id, p.made, p.id, e.id"
)

# A row of REPORT_SQL: the raw driver values, in its column order.
ReportRow = tuple[Any, ...]


def report_promises(conn: Connection, as_of: int) -> Iterator[tuple[int, list[Promise]]]:
    """Each customer's promises made by `as_of`, one customer at a time (for scoring).

    Rows stream in REPORT_SQL's order, so memory holds one customer's promises; a
    customer with names merged into it is held until all of its entries were read.
    The promises carry no text, owner or tags: scoring does not read them.
    """
    root_of, merged_roots = directory_roots(conn)
    held: dict[int, list[Promise]] = defaultdict(list)
    # closing(): the cursor is closed here, also when a row turns out damaged, and not
    # later by the garbage collector on a connection closed by then.
    with closing(stream(conn, REPORT_SQL, {"as_of": as_of})) as rows:
        for entry_id, promises in _group_rows(rows):
            root = root_of.get(entry_id)
            if root is None:
                raise Damage(
                    f"promise {promises[0].id} belongs to customer {entry_id}, which does not exist"
                )
            if root in merged_roots:
                held[root].extend(promises)
            else:
                yield root, promises
    for root, promises in held.items():
        promises.sort(key=lambda p: p.id)
        yield root, promises


def stream(conn: Connection, sql: str, params: dict[str, Any]) -> Generator[ReportRow, None, None]:
    """Rows of a big read, fetched in batches straight from the driver (a server-side
    cursor on PostgreSQL), inside the connection's transaction: a million rows cost
    little memory and no per-row SQLAlchemy overhead. `sql` uses `:name` parameters.
    """
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name="marry_stream")
        cursor.itersize = 10_000
        sql = re.sub(r":(\w+)", r"%(\1)s", sql)
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(10_000):
            yield from batch
    finally:
        cursor.close()


def _group_rows(rows: Iterable[ReportRow]) -> Iterator[tuple[int, list[Promise]]]:
    """Fold REPORT_SQL's rows (one per event, or one per promise without events) into promises.

    Each row is checked as it comes (sizes, values, kinds, times in range) with a few
    comparisons; a row that fails them is damage, described by `_row_damage`.
    """
    customer: int | None = None
    promises: list[Promise] = []
    head: ReportRow | None = None
    events: list[Event] = []
    sizes, values, kinds = SIZES, VALUES, KINDS
    lo, hi = FIRST_MICROS, END_MICROS

    amended = False  # the promise being read has an amendment

    def finish() -> None:
        assert head is not None
        pid, made, due, size, value, every, within, until, zone, series, k = head
        promise = Promise(
            id=pid,
            customer="",
            text="",
            made=from_micros(made),
            due=from_micros(due) if due is not None else None,
            size=sizes[size],
            value=values[value],
            owner="",
            events=tuple(events),
            standing=read_standing(every, within, until, zone, pid) if every is not None else None,
            series=series,
            occurrence=k,
        )
        promises.append(promise.amended() if amended else promise)

    row: ReportRow = ()
    try:
        for row in rows:
            # Unpacked in REPORT_SQL's column order.
            (cid, pid, made, due, size, value, eid, kind, at, new_due, voids, changes) = row[:12]
            if head is None or pid != head[0]:
                if not (
                    lo <= made < hi
                    and (due is None or lo <= due < hi)
                    and size in sizes
                    and value in values
                ):
                    raise _row_damage(row)
                if head is not None:
                    finish()
                if cid != customer:
                    if customer is not None:
                        yield customer, promises
                    customer, promises = cid, []
                head = (pid, made, due, size, value, *row[12:])
                events = []
                amended = False
            if eid is not None:
                if not (
                    kind in kinds and lo <= at < hi and (new_due is None or lo <= new_due < hi)
                ):
                    raise _row_damage(row)
                events.append(
                    Event(
                        id=eid,
                        promise_id=pid,
                        kind=kinds[kind],
                        at=from_micros(at),
                        due=from_micros(new_due) if new_due is not None else None,
                        voids=voids,
                        amendment=read_amendment(changes, f"the changes of event {eid}")
                        if kind == "amended"
                        else None,
                    )
                )
                if kind == "amended":
                    amended = True
    except (TypeError, KeyError, ValueError, OverflowError):  # a value of the wrong type
        raise _row_damage(row) from None
    if head is not None:
        finish()
        assert customer is not None
        yield customer, promises


def _row_damage(row: ReportRow) -> Damage:
    """What is wrong with a row of REPORT_SQL."""
    _cid, pid, made, due, size, value, eid, kind, at, new_due, _voids, _changes, *_ = row
    try:
        read_time(made, f"the time promise {pid} was made")
        optional_time(due, f"the due time of promise {pid}")
        read_member(SIZES, size, f"the size of promise {pid}")
        read_member(VALUES, value, f"the value of promise {pid}")
        if eid is not None:
            read_member(KINDS, kind, f"the kind of event {eid}")
            read_time(at, f"the time of event {eid}")
            optional_time(new_due, f"the new due time of event {eid}")
    except Damage as damage:
        return damage
    return Damage(f"promise {pid} cannot be read")
