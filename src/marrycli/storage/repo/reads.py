"""Promises and their events read into domain objects; what the ledger holds, in numbers."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.sql.expression import Executable

from marrycli.domain import Event, EventKind, Promise
from marrycli.storage.repo.memo import memo_of
from marrycli.storage.repo.prepared import Prepared
from marrycli.storage.repo.rows import (
    KINDS,
    SIZES,
    VALUES,
    Damage,
    optional_time,
    read_amendment,
    read_member,
    read_standing,
    read_tags,
    read_text,
    read_time,
)
from marrycli.storage.tables import (
    customer_table,
    event_table,
    promise_table,
    ref_table,
    schema_table,
)

# Up to this many promises are fetched with their events by id; more, with everything
# (cheaper than a huge IN list).
_BY_ID_MAX = 900


def load_promises(
    conn: Connection,
    ids: Sequence[int] | None = None,
    customer_id: int | None = None,
    made_until: int | None = None,
    owner: str | None = None,
    *,
    series_id: int | None = None,
    tags: Sequence[str] = (),
    due_ever_within: tuple[int | None, int | None] | None = None,
    text_matches: Callable[[str], bool] | None = None,
) -> list[Promise]:
    """Promises with their events and refs, in id order; filtered by ids, customer, made,
    owner (case-insensitively; callers match owners by key), tags (every one, exactly), a
    due date that ever lay within [low, high] (first or by any renegotiation, voided too:
    callers check the current one), and their text (`text_matches`, before events load);
    with `series_id`, a series and its stored occurrences."""
    if (
        ids is not None
        and len(ids) == 1
        and _no_filter(
            customer_id, made_until, owner, series_id, tags, due_ever_within, text_matches
        )
    ):
        return _load_one(conn, ids[0])
    entry = customer_table.alias("entry")
    root = customer_table.alias("root")
    root_id = func.coalesce(entry.c.merged_into, entry.c.id)
    # Owner, tags and text are terms an amendment may have changed (SPEC §6): a promise
    # with an amendment is read whatever its recorded terms, and tested on its amended ones.
    by_terms = owner is not None or bool(tags) or text_matches is not None
    amended = exists().where(
        event_table.c.promise_id == promise_table.c.id,
        event_table.c.kind == EventKind.AMENDED.value,
    )
    query = (
        select(*_promise_columns(root), (amended if by_terms else literal(False)).label("amended"))
        .select_from(promise_table)
        # Outer joins: a promise of a missing customer is damage to report, not to hide.
        .outerjoin(entry, entry.c.id == promise_table.c.customer_id)
        .outerjoin(root, root.c.id == root_id)
        .order_by(promise_table.c.id)
    )
    conditions: list[ColumnElement[bool]] = []
    if ids is not None:
        conditions.append(promise_table.c.id.in_(list(ids)))
    if customer_id is not None:
        # The customer's own entry and the names merged into it, by their indexes (a test
        # of root_id itself would read every promise of the ledger).
        entries = select(customer_table.c.id).where(
            or_(
                and_(customer_table.c.id == customer_id, customer_table.c.merged_into.is_(None)),
                customer_table.c.merged_into == customer_id,
            )
        )
        conditions.append(promise_table.c.customer_id.in_(entries))
    if made_until is not None:
        conditions.append(promise_table.c.made <= made_until)
    if series_id is not None:  # a series and its stored occurrences
        conditions.append(
            or_(promise_table.c.id == series_id, promise_table.c.series_id == series_id)
        )
    terms: list[ColumnElement[bool]] = []
    if owner is not None:
        # The database's own lower() on both sides: the same folding, whatever it covers.
        terms.append(func.lower(promise_table.c.owner) == func.lower(owner))
    terms.extend(_tag_prefilter(tag) for tag in tags if _PLAIN_TAG.fullmatch(tag))
    if terms:
        conditions.append(or_(and_(*terms), amended))
    if due_ever_within is not None:
        conditions.append(_due_ever_within(*due_ever_within))
    if conditions:
        query = query.where(and_(*conditions))
    rows = conn.execute(query).all()
    if tags or text_matches is not None:
        # Before the rows become promises: most of a search's rows are read this far only.
        rows = [
            row
            for row in rows
            if row.amended
            or (
                all(tag in read_tags(row.tags, f"the tags of promise {row.id}") for tag in tags)
                and (
                    text_matches is None
                    or text_matches(read_text(row.text, f"the text of promise {row.id}"))
                )
            )
        ]
    if not rows:
        return []
    wanted = [row.id for row in rows] if len(rows) <= _BY_ID_MAX else None
    events = _load_events(conn, wanted)
    refs = _load_promise_refs(conn, wanted)
    promises = [_promise(row, refs.get(row[0]), events.get(row[0], ())) for row in rows]
    if not any(row.amended for row in rows) and not _any_amended(events):
        return promises
    promises = [p.amended() for p in promises]
    if not by_terms:
        return promises
    # Read for an amendment whatever their recorded terms: tested now on the terms they have.
    retest = {row.id for row in rows if row.amended}
    return [
        p
        for p in promises
        if p.id not in retest
        or (
            (owner is None or p.owner.casefold() == owner.casefold())
            and all(tag in p.tags for tag in tags)
            and (text_matches is None or text_matches(p.text))
        )
    ]


def _promise_columns(root: FromClause) -> tuple[ColumnElement[Any], ...]:
    """What a promise is read from, in the order `_promise` unpacks: its row, and the name
    of its customer (`root`: the entry its own entry is merged into, or that entry)."""
    p = promise_table.c
    return (
        p.id, root.c.name, p.text, p.made, p.due, p.size, p.value, p.owner, p.tags,
        p.every, p.within, p.until, p.zone, p.series_id, p.occurrence,
    )  # fmt: skip


def _promise(row: Sequence[Any], ref: str | None, events: Iterable[Event]) -> Promise:
    """A promise from the columns of `_promise_columns` (more may follow), checked as read."""
    pid, name, text, made, due, size, value, owner, tags, every, within, until, zone = row[:13]
    return Promise(
        id=pid,
        customer=_customer_name(name, pid),
        text=read_text(text, f"the text of promise {pid}"),
        made=read_time(made, f"the time promise {pid} was made"),
        due=optional_time(due, f"the due time of promise {pid}"),
        size=read_member(SIZES, size, f"the size of promise {pid}"),
        value=read_member(VALUES, value, f"the value of promise {pid}"),
        owner=read_text(owner, f"the owner of promise {pid}"),
        tags=read_tags(tags, f"the tags of promise {pid}"),
        ref=ref,
        events=tuple(events),
        standing=read_standing(every, within, until, zone, pid),
        series=row[13],
        occurrence=row[14],
    )


def _no_filter(*filters: object) -> bool:
    return all(f is None or f == () for f in filters)


def _one_promise(_dialect: str) -> Executable:
    entry = customer_table.alias("entry")
    root = customer_table.alias("root")
    refs = ref_table.alias("refs")
    # A row for each ref of the promise (its own and its events'), found by the index on
    # promise_id; `_load_one` keeps its own (see `_load_promise_refs`).
    return (
        select(*_promise_columns(root), refs.c.ref, refs.c.event_id)
        .select_from(promise_table)
        .outerjoin(entry, entry.c.id == promise_table.c.customer_id)
        .outerjoin(root, root.c.id == func.coalesce(entry.c.merged_into, entry.c.id))
        .outerjoin(refs, refs.c.promise_id == promise_table.c.id)
        .where(promise_table.c.id == bindparam("id"))
    )


_ONE_PROMISE = Prepared(_one_promise)
_EVENTS_OF_ONE = Prepared(
    lambda _dialect: _events_query().where(event_table.c.promise_id == bindparam("id"))
)


def _load_one(conn: Connection, promise_id: int) -> list[Promise]:
    """`load_promises(conn, ids=[promise_id])`, by two narrow statements compiled once: every
    write reads the promise it writes on, before and after (`marry batch`: thousands)."""
    memo = memo_of(conn)
    if memo is not None and promise_id in memo.promises:
        return [memo.promises[promise_id]]
    remembered = memo.rows.get(promise_id) if memo is not None else None
    if remembered is not None:
        row, own_ref = remembered
    else:
        found = _ONE_PROMISE.rows(conn, {"id": promise_id})
        if not found:
            return []
        row = found[0]
        own_ref = next((r[15] for r in found if r[15] is not None and r[16] is None), None)
    if memo is not None and promise_id in memo.no_events:
        events = []
    else:
        events = [_event(r) for r in _EVENTS_OF_ONE.rows(conn, {"id": promise_id})]
    promise = _promise(row, own_ref, events)
    if any(e.kind is EventKind.AMENDED for e in events):
        promise = promise.amended()
    # Not an occurrence: it reads its series' terms too, which a write to the series changes.
    if memo is not None and promise_id in memo.held and promise.series is None:
        memo.promises[promise_id] = promise
        memo.rows[promise_id] = (row, own_ref)
    return [promise]


def _any_amended(events: dict[int, list[Event]]) -> bool:
    return any(e.kind is EventKind.AMENDED for found in events.values() for e in found)


# A tag that every JSON writer stores as itself between quotes (no escape it could choose
# differently): only for those is a LIKE on the stored JSON array a safe prefilter. It never
# drops a match (SQLite's LIKE ignores ASCII case, PostgreSQL's does not: either way a
# superset); the exact test is in Python.
_PLAIN_TAG = re.compile(r"[ !#-\[\]-~]+", re.ASCII)


def _tag_prefilter(tag: str) -> ColumnElement[bool]:
    quoted = json.dumps(tag)
    pattern = quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return promise_table.c.tags.like(f"%{pattern}%", escape="\\")


def _due_ever_within(low: int | None, high: int | None) -> ColumnElement[bool]:
    """The first due date, or that of any renegotiation, in [low, high] (None: unbounded)."""

    def within(column: ColumnElement[int | None]) -> ColumnElement[bool]:
        bounds: list[ColumnElement[bool]] = [column.is_not(None)]
        if low is not None:
            bounds.append(column >= low)
        if high is not None:
            bounds.append(column <= high)
        return and_(*bounds)

    renegotiated = exists().where(
        event_table.c.promise_id == promise_table.c.id,
        event_table.c.kind == EventKind.RENEGOTIATED.value,
        within(event_table.c.due),
    )
    # A series has no due date of its own: its occurrences are tested once expanded.
    return or_(within(promise_table.c.due), renegotiated, promise_table.c.every.is_not(None))


def _customer_name(name: object, promise_id: int) -> str:
    if name is None:
        raise Damage(f"promise {promise_id} belongs to a customer that does not exist")
    return read_text(name, f"the name of the customer of promise {promise_id}")


def _events_query() -> Select[Any]:
    """Events with their refs, in the order `_event` unpacks, by promise and then id."""
    e = event_table.c
    columns = (e.id, e.promise_id, e.kind, e.at, e.due, e.note, e.owner, e.voids, ref_table.c.ref,
               e.changes)  # fmt: skip
    return (
        select(*columns)
        .select_from(event_table.outerjoin(ref_table, ref_table.c.event_id == event_table.c.id))
        .order_by(event_table.c.promise_id, event_table.c.id)
    )


def _event(row: Sequence[Any]) -> Event:
    """An event from the columns of `_events_query`, checked as read."""
    eid, pid, kind, at, due, note, owner, voids, ref_key, changes = row
    member = read_member(KINDS, kind, f"the kind of event {eid}")
    return Event(
        id=eid,
        promise_id=pid,
        kind=member,
        at=read_time(at, f"the time of event {eid}"),
        due=optional_time(due, f"the new due time of event {eid}"),
        note=None if note is None else read_text(note, f"the note of event {eid}"),
        owner=read_text(owner, f"the owner of event {eid}"),
        ref=ref_key,
        voids=voids,
        amendment=read_amendment(changes, f"the changes of event {eid}")
        if member is EventKind.AMENDED
        else None,
    )


def _load_events(conn: Connection, promise_ids: Iterable[int] | None) -> dict[int, list[Event]]:
    query = _events_query()
    if promise_ids is not None:
        query = query.where(event_table.c.promise_id.in_(list(promise_ids)))
    events: dict[int, list[Event]] = defaultdict(list)
    for row in conn.execute(query):
        events[row[1]].append(_event(row))
    return events


def _load_promise_refs(conn: Connection, promise_ids: Iterable[int] | None) -> dict[int, str]:
    if promise_ids is None:
        own = select(ref_table.c.promise_id, ref_table.c.ref).where(ref_table.c.event_id.is_(None))
        return {row.promise_id: row.ref for row in conn.execute(own)}
    # Every ref of these promises, by the index on promise_id, and theirs kept here: SQLite
    # would look `event_id IS NULL` up in the unique index on event_id, where every
    # promise's ref sits (a scan of them all).
    query = select(ref_table.c.promise_id, ref_table.c.ref, ref_table.c.event_id).where(
        ref_table.c.promise_id.in_(list(promise_ids))
    )
    return {row.promise_id: row.ref for row in conn.execute(query) if row.event_id is None}


class Counts(NamedTuple):
    """How many customers (not aliases), promises and events a ledger holds."""

    customers: int
    promises: int
    events: int


def counts(conn: Connection) -> Counts:
    """How many customers, promises and events the ledger holds."""
    customers = conn.execute(
        select(func.count())
        .select_from(customer_table)
        .where(customer_table.c.merged_into.is_(None))
    ).scalar_one()
    promises = conn.execute(select(func.count()).select_from(promise_table)).scalar_one()
    events = conn.execute(select(func.count()).select_from(event_table)).scalar_one()
    return Counts(customers=customers, promises=promises, events=events)


def ledger_version(conn: Connection) -> int | None:
    """The ledger's own schema version: the highest it has applied (None if it records none)."""
    version = conn.execute(select(func.max(schema_table.c.version))).scalar()
    return None if version is None else int(version)
