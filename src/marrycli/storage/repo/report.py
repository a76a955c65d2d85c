"""The report's read: every promise with its events in one ordered, streamed pass.

A million rows must cost little memory and little Python per row, so the rows come straight
from the driver (`stream`) and each plain promise becomes what scoring reads (a `Scorable`:
integers, no `Promise`, `Event` or datetime) with a few comparisons per row
(`_read_customer`); the few others are built as every read builds them (`_promises`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from marrycli.dates import from_micros
from marrycli.domain import (
    RANK_SHIFT,
    Event,
    EventKind,
    Promise,
    Scorable,
    ScoredEvent,
)
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
# ordered by customer entry, then by number; events in the order recorded. Only what scoring
# reads of a plain promise (`_read_customer`); the few others are read again whole
# (`_SPECIAL_SQL`). Text, owner and tags are not needed for scoring.
#
# The order is a sort of both tables read through in table order, not a walk of the index on
# (customer_id, made): that walk fetches each promise, then its events, by number, one page
# read of its own per row (a customer's promises lie all over the file), which took twice as
# long as reading the tables through and sorting (7.7 s against 3.4 s for 1,000,000 promises:
# the events of promises made about the same time lie together). SQLite's sorter spills to
# temporary files, so memory stays small. `NOT INDEXED` (SQLite's words; PostgreSQL's planner
# chooses for itself) keeps SQLite from taking the index for the order. Each column more
# costs the sort and the fetch: the 6 columns of voids, amendments and standing promises
# that only a few promises need made the query 20% slower.
_REPORT_SELECT = (
    "SELECT p.customer_id, p.id, p.made, p.due, p.size, p.value,"
    " e.id, e.kind, e.at, e.due, p.every, p.series_id"
    " FROM marry_promise p{hint} LEFT JOIN marry_event e ON e.promise_id = p.id"
    " WHERE p.made <= :as_of"
    " ORDER BY p.customer_id, p.id, e.id"
)
REPORT_SQL = _REPORT_SELECT.format(hint=" NOT INDEXED")  # SQLite's
REPORT_SQL_POSTGRES = _REPORT_SELECT.format(hint="")

# The promises numbered :p0, :p1 ... whole, as `_promises` folds them.
_SPECIAL_SQL = (
    "SELECT p.customer_id, p.id, p.made, p.due, p.size, p.value,"
    " e.id, e.kind, e.at, e.due, e.voids, e.changes,"
    " p.every, p.within, p.until, p.zone, p.series_id, p.occurrence"
    " FROM marry_promise p LEFT JOIN marry_event e ON e.promise_id = p.id"
    " WHERE p.id IN ({ids})"
    " ORDER BY p.id, e.id"
)
# Promises read whole by one query: the customers read meanwhile wait for them, and holding
# many costs more than the queries save (50: 5.9 s for 1,000,000 promises, 500: 6.6 s).
_SPECIAL_CHUNK = 50

# A row of REPORT_SQL or _SPECIAL_SQL: the raw driver values, in its column order.
ReportRow = tuple[Any, ...]

_CUSTOMER = itemgetter(0)
_WEIGHT_OF_SIZE = {name: size.weight for name, size in SIZES.items()}
_WEIGHT_OF_VALUE = {name: value.weight for name, value in VALUES.items()}
# Each kind of event as a plain promise has it (its history as recorded is its standing
# history), or None for a void and an amendment, which make a promise one to read whole.
_SCORED_KINDS = {
    name: None if kind in (EventKind.VOID, EventKind.AMENDED) else kind
    for name, kind in KINDS.items()
}


def report_sql(dialect: str) -> str:
    """REPORT_SQL as the backend `dialect` (SQLAlchemy's name) takes it."""
    return REPORT_SQL_POSTGRES if dialect == "postgresql" else REPORT_SQL


def report_scorables(
    conn: Connection, as_of: int
) -> Iterator[tuple[int, list[Scorable], list[Promise]]]:
    """Each customer's promises made by `as_of`, one customer at a time (for scoring): the
    plain ones as `Scorable`s, the others (series, occurrences, promises with an amendment or
    a void) as `Promise`s, which the service expands and makes scorable.

    Rows stream in REPORT_SQL's order, so memory holds a few customers' promises: those
    read since the last of them whose other promises were read whole (`_SPECIAL_CHUNK` of
    those are read at a time, not a query per customer); a customer with names merged into
    it is held until all of its entries were read. The promises carry no text, owner or
    tags: scoring does not read them.
    """
    root_of, merged_roots = directory_roots(conn)
    held: dict[int, tuple[list[Scorable], list[Promise]]] = defaultdict(lambda: ([], []))
    read: list[tuple[int, list[Scorable], set[int]]] = []  # not given yet
    waiting = 0  # promises among them to read whole

    def ready() -> Iterator[tuple[int, list[Scorable], list[Promise]]]:
        for root, scorables, promises in _whole(conn, read):
            if root in merged_roots:
                held[root][0].extend(scorables)
                held[root][1].extend(promises)
            else:
                yield root, scorables, promises
        read.clear()

    # closing(): the cursor is closed here, also when a row turns out damaged, and not
    # later by the garbage collector on a connection closed by then.
    with closing(stream(conn, report_sql(conn.dialect.name), {"as_of": as_of})) as rows:
        for entry_id, group in groupby(rows, _CUSTOMER):
            scorables, special = _read_customer(group)
            root = root_of.get(entry_id)
            if root is None:
                raise Damage(
                    f"promise {scorables[0][1]} belongs to customer {entry_id}, "
                    "which does not exist"
                )
            read.append((root, scorables, special))
            waiting += len(special)
            if not waiting or waiting >= _SPECIAL_CHUNK:
                yield from ready()
                waiting = 0
        yield from ready()
    for root, (scorables, promises) in held.items():
        yield root, scorables, promises


def _whole(
    conn: Connection, read: list[tuple[int, list[Scorable], set[int]]]
) -> Iterator[tuple[int, list[Scorable], list[Promise]]]:
    """Customers as `_read_customer` read them, in order, their promises that are not plain
    read whole (by one query for all of them) in place of their `Scorable`s."""
    ids = sorted({pid for _root, _scorables, special in read for pid in special})
    whole = {promise.id: promise for promise in _special_promises(conn, ids)} if ids else {}
    for root, scorables, special in read:
        if not special:
            yield root, scorables, []
        else:
            plain = [s for s in scorables if s[1] not in special]
            yield root, plain, [whole[pid] for pid in sorted(special)]


def stream(conn: Connection, sql: str, params: dict[str, Any]) -> Generator[ReportRow, None, None]:
    """Every row of a big read, fetched in batches straight from the driver (a server-side
    cursor on PostgreSQL, named `marry_stream`), inside the connection's transaction: a
    million rows cost little memory and no per-row SQLAlchemy overhead. `sql` uses `:name`
    parameters.
    """
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        # Every row is read: PostgreSQL must not plan the cursor for its first rows (by default
        # it plans for 10%, and took an index walk with a nested loop for the report, 1.6
        # times as long as reading both tables through and sorting); for this transaction.
        raw.execute("SET LOCAL cursor_tuple_fraction = 1.0")
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


def _read_customer(rows: Iterable[ReportRow]) -> tuple[list[Scorable], set[int]]:
    """One customer's rows of REPORT_SQL as the `Scorable` of each of its promises, and the
    numbers of those that are not plain. A plain promise (not a series nor an occurrence,
    with no amendment nor void among its events: its events are its standing history and its
    terms are as stored) becomes straight what `scoring.scorable` makes of it as a `Promise`
    (tests/test_report_read.py); the others are read again whole (`_special_promises`).

    Each row is checked as it comes (sizes, values, kinds, times in range) with a few
    comparisons; a row that fails them is damage, described by `_row_damage`.
    """
    scorables: list[Scorable] = []
    append = scorables.append
    special: set[int] = set()
    sizes, values, kinds = _WEIGHT_OF_SIZE, _WEIGHT_OF_VALUE, _SCORED_KINDS
    cancelled = EventKind.CANCELLED
    lo, hi = FIRST_MICROS, END_MICROS
    current = None
    events: list[ScoredEvent] = []
    row: ReportRow = ()
    try:
        for row in rows:
            # Unpacked in REPORT_SQL's column order.
            (_cid, pid, made, due, size, value, eid, kind, at, new_due, every, series) = row
            if pid != current:
                z = sizes.get(size)
                v = values.get(value)
                if (
                    z is None
                    or v is None
                    or not (lo <= made < hi and (due is None or lo <= due < hi))
                ):
                    raise _row_damage(row)
                current = pid
                events = []  # filled by this row and the next of the promise
                # Its rank as `Promise.rank` gives it: a stored promise's number, shifted.
                append((pid << RANK_SHIFT, pid, made, due, z, v, events, ()))
                if every is not None or series is not None:
                    special.add(pid)
            if eid is not None:
                if kind not in kinds or not (
                    lo <= at < hi and (new_due is None or lo <= new_due < hi)
                ):
                    raise _row_damage(row)
                scored = kinds[kind]
                if scored is None:  # a void or an amendment
                    special.add(pid)
                elif scored is cancelled:  # rare: the promise's tuple (the last) made again
                    last = scorables[-1]
                    scorables[-1] = (*last[:7], (*last[7], at))
                else:
                    events.append((at, scored, new_due))
    except (TypeError, KeyError, ValueError, OverflowError):  # a value of the wrong type
        raise _row_damage(row) from None
    return scorables, special


def _special_promises(conn: Connection, ids: list[int]) -> list[Promise]:
    """The promises numbered `ids`, whole (`_SPECIAL_SQL`), as every read builds them."""
    raw: Any = conn.connection.driver_connection
    marker = "%s" if conn.dialect.name == "postgresql" else "?"
    found: list[Promise] = []
    cursor = raw.cursor()
    try:
        for start in range(0, len(ids), _SPECIAL_CHUNK):
            chunk = ids[start : start + _SPECIAL_CHUNK]
            cursor.execute(_SPECIAL_SQL.format(ids=", ".join([marker] * len(chunk))), chunk)
            found.extend(_promises(cursor.fetchall()))
    finally:
        cursor.close()
    return found


def _promises(rows: Iterable[ReportRow]) -> Iterator[Promise]:
    """Fold rows of _SPECIAL_SQL (one per event, or one per promise without events) into
    promises, as every read builds them (amendments applied).

    Each row is checked as it comes (sizes, values, kinds, times in range) with a few
    comparisons; a row that fails them is damage, described by `_row_damage`.
    """
    head: ReportRow | None = None
    events: list[Event] = []
    sizes, values, kinds = SIZES, VALUES, KINDS
    lo, hi = FIRST_MICROS, END_MICROS

    amended = False  # the promise being read has an amendment

    def finish() -> Promise:
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
        return promise.amended() if amended else promise

    row: ReportRow = ()
    try:
        for row in rows:
            # Unpacked in REPORT_SQL's column order.
            (_cid, pid, made, due, size, value, eid, kind, at, new_due, voids, changes) = row[:12]
            if head is None or pid != head[0]:
                if not (
                    lo <= made < hi
                    and (due is None or lo <= due < hi)
                    and size in sizes
                    and value in values
                ):
                    raise _row_damage(row)
                if head is not None:
                    yield finish()
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
        yield finish()


def _row_damage(row: ReportRow) -> Damage:
    """What is wrong with a row of REPORT_SQL or _SPECIAL_SQL (the same first ten columns)."""
    _cid, pid, made, due, size, value, eid, kind, at, new_due, *_ = row
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
