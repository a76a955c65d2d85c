"""Reads and appends on an open connection; rows become domain objects before they leave.

Every function takes a Connection inside a transaction opened by `Ledger`.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, select, update

from marrycli.dates import EARLIEST, LATEST, RANGE_WORDS, from_micros, to_micros
from marrycli.domain import Event, EventKind, Promise, Size, Value
from marrycli.errors import LedgerUnusable
from marrycli.storage.tables import (
    CustomerChangeRow,
    CustomerRow,
    EventRow,
    PromiseRow,
    RefRow,
)

_customer = CustomerRow.__table__  # type: ignore[attr-defined]
_change = CustomerChangeRow.__table__  # type: ignore[attr-defined]
_promise = PromiseRow.__table__  # type: ignore[attr-defined]
_event = EventRow.__table__  # type: ignore[attr-defined]
_ref = RefRow.__table__  # type: ignore[attr-defined]


# -- rows that no write of marry's could have made ----------------------------------------------


class Damage(LedgerUnusable):
    """A row no marry write could have made: the ledger was changed behind marry's back.

    Raised while rows become domain objects, so that every read refuses a damaged ledger
    with one line (exit 3) instead of failing somewhere later; `Ledger` adds where it is.
    """

    def __init__(self, problem: str) -> None:
        super().__init__(f"the ledger is damaged: {problem}; `marry db check` lists its problems")
        self.problem = problem


_SIZES = {s.value: s for s in Size}
_VALUES = {v.value: v for v in Value}
_KINDS = {k.value: k for k in EventKind}
FIRST_MICROS = to_micros(EARLIEST)  # the times a ledger may hold: [FIRST_MICROS, END_MICROS)
END_MICROS = to_micros(LATEST)


def read_time(us: Any, what: str) -> datetime:
    """A stored time as an aware datetime; Damage if it is not one the ledger may hold."""
    if type(us) is int and FIRST_MICROS <= us < END_MICROS:
        return from_micros(us)
    raise Damage(f"{what} is not a time marry can hold ({RANGE_WORDS})")


def _optional_time(us: Any, what: str) -> datetime | None:
    return None if us is None else read_time(us, what)


def read_text(value: Any, what: str) -> str:
    """A stored text; Damage if it is something else (a number, bytes, NULL)."""
    if type(value) is str:
        return value
    raise Damage(f"{what} is not text")


def read_tags(raw: Any, what: str) -> tuple[str, ...]:
    """Stored tags (a JSON array of texts) as a tuple; Damage if they are not that."""
    try:
        tags = json.loads(raw) if type(raw) is str else None
    except (ValueError, RecursionError):
        tags = None
    if type(tags) is list and all(type(tag) is str for tag in tags):
        return tuple(tags)
    raise Damage(f"{what} are not a JSON list of texts")


def _member(table: dict[str, Any], value: Any, what: str) -> Any:
    found = table.get(value) if type(value) is str else None
    if found is None:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
        raise Damage(f"{what} is {shown}, not one of {', '.join(table)}")
    return found


@dataclass(frozen=True, slots=True)
class CustomerEntry:
    """A directory entry resolved to its customer: `id` is the customer a name leads to."""

    id: int
    name: str  # the customer's display name
    entry_id: int  # the entry the key matched (an alias after a merge)


@dataclass(frozen=True, slots=True)
class StoredRef:
    """What a `--ref` names: a promise (event_id None) or one event of it."""

    ref: str
    promise_id: int
    event_id: int | None
    event_kind: str | None


def _insert(conn: Connection, table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


# -- customers ----------------------------------------------------------------


def _find_customer_query() -> Any:
    entry = _customer.alias("entry")
    root = _customer.alias("root")
    return (
        select(root.c.id, root.c.name, entry.c.id)
        .select_from(entry)
        .join(root, root.c.id == func.coalesce(entry.c.merged_into, entry.c.id))
        .where(entry.c.key == bindparam("key"))
    )


_FIND_CUSTOMER = _find_customer_query()  # built once: an import looks up thousands


def find_customer(conn: Connection, key: str) -> CustomerEntry | None:
    """The customer a key leads to (through a merge), or None."""
    row = conn.execute(_FIND_CUSTOMER, {"key": key}).first()
    return CustomerEntry(row[0], row[1], row[2]) if row else None


def ensure_customer(conn: Connection, key: str, name: str, now: int) -> CustomerEntry:
    """The customer for a key, created with this display name if new (safe under concurrency)."""
    conn.execute(
        _insert(conn, _customer)
        .values(key=key, name=name, created=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    found = find_customer(conn, key)
    assert found is not None
    return found


def list_customers(conn: Connection) -> list[tuple[int, str, list[str]]]:
    """Every customer (not aliases): (id, display name, names merged into it)."""
    rows = conn.execute(
        select(_customer.c.id, _customer.c.name, _customer.c.merged_into).order_by(_customer.c.id)
    ).all()
    _check_merges((cid, into) for cid, _name, into in rows)
    merged: dict[int, list[str]] = defaultdict(list)
    for cid, name, into in rows:
        read_text(name, f"the name of customer {cid}")
        if into is not None:
            merged[into].append(name)
    return [(cid, name, merged[cid]) for cid, name, into in rows if into is None]


def _check_merges(entries: Iterable[tuple[int, int | None]]) -> dict[int, int]:
    """Each directory entry's customer (itself, or the one it is merged into); Damage for
    a merge no `customer merge` makes: into itself, into a missing entry or into an alias."""
    into_of = dict(entries)
    for entry_id, into in into_of.items():
        if into is None:
            continue
        if into == entry_id:
            raise Damage(f"customer {entry_id} is merged into itself")
        if into not in into_of:
            raise Damage(
                f"customer {entry_id} is merged into customer {into}, which does not exist"
            )
        if into_of[into] is not None:
            raise Damage(
                f"customer {entry_id} is merged into customer {into}, which is merged itself"
            )
    return {entry_id: entry_id if into is None else into for entry_id, into in into_of.items()}


def rename_customer(
    conn: Connection, customer: CustomerEntry, key: str, name: str, owner: str, now: int
) -> None:
    """Give a customer a new name (and key); the change is recorded."""
    conn.execute(update(_customer).where(_customer.c.id == customer.id).values(key=key, name=name))
    conn.execute(
        _change.insert().values(
            kind="rename",
            customer_id=customer.id,
            into_id=None,
            old_name=customer.name,
            new_name=name,
            owner=owner,
            at=now,
        )
    )


def merge_customers(
    conn: Connection, source: CustomerEntry, into: CustomerEntry, owner: str, now: int
) -> None:
    """Make `source` (and its aliases) lead to `into`; the change is recorded."""
    conn.execute(
        update(_customer)
        .where((_customer.c.id == source.id) | (_customer.c.merged_into == source.id))
        .values(merged_into=into.id)
    )
    conn.execute(
        _change.insert().values(
            kind="merge",
            customer_id=source.id,
            into_id=into.id,
            old_name=source.name,
            new_name=into.name,
            owner=owner,
            at=now,
        )
    )


# -- promises and events ---------------------------------------------------------


def insert_promise(conn: Connection, **values: Any) -> int:
    """Append a promise; returns its id."""
    if "tags" in values:
        values["tags"] = json.dumps(list(values["tags"]), ensure_ascii=False)
    return int(
        conn.execute(_promise.insert().values(**values).returning(_promise.c.id)).scalar_one()
    )


def insert_event(conn: Connection, **values: Any) -> int:
    """Append an event; returns its id."""
    return int(conn.execute(_event.insert().values(**values).returning(_event.c.id)).scalar_one())


def reserve_ids(conn: Connection, table: Any, count: int) -> list[int]:
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


def claim_ref(conn: Connection, ref: str, promise_id: int, event_id: int | None) -> bool:
    """Store a ref for a promise or event; False if the ref was already taken."""
    claimed = conn.execute(
        _insert(conn, _ref)
        .values(ref=ref, promise_id=promise_id, event_id=event_id)
        .on_conflict_do_nothing(index_elements=["ref"])
        .returning(_ref.c.ref)
    ).first()
    return claimed is not None


def find_ref(conn: Connection, ref: str) -> StoredRef | None:
    """What a ref names, or None."""
    row = conn.execute(
        select(_ref.c.ref, _ref.c.promise_id, _ref.c.event_id, _event.c.kind)
        .select_from(_ref.outerjoin(_event, _event.c.id == _ref.c.event_id))
        .where(_ref.c.ref == ref)
    ).first()
    return StoredRef(row[0], row[1], row[2], row[3]) if row else None


def lock_promise(conn: Connection, promise_id: int) -> bool:
    """Take the promise's row lock (PostgreSQL; SQLite locks the database); False if unknown."""
    query = select(_promise.c.id).where(_promise.c.id == promise_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first() is not None


def promise_customer_id(conn: Connection, promise_id: int) -> int | None:
    """The customer a promise belongs to now (after merges)."""
    entry = _customer
    return conn.execute(
        select(func.coalesce(entry.c.merged_into, entry.c.id))
        .select_from(_promise.join(entry, entry.c.id == _promise.c.customer_id))
        .where(_promise.c.id == promise_id)
    ).scalar()


def load_promises(
    conn: Connection,
    ids: Sequence[int] | None = None,
    customer_id: int | None = None,
    made_until: int | None = None,
    owner: str | None = None,
) -> list[Promise]:
    """Promises with their events and refs, in id order; filtered by ids, customer, made or
    owner (case-insensitively; callers match owners by key)."""
    entry = _customer.alias("entry")
    root = _customer.alias("root")
    root_id = func.coalesce(entry.c.merged_into, entry.c.id)
    query = (
        select(
            _promise.c.id,
            root.c.name,
            _promise.c.text,
            _promise.c.made,
            _promise.c.due,
            _promise.c.size,
            _promise.c.value,
            _promise.c.owner,
            _promise.c.tags,
        )
        .select_from(_promise)
        # Outer joins: a promise of a missing customer is damage to report, not to hide.
        .outerjoin(entry, entry.c.id == _promise.c.customer_id)
        .outerjoin(root, root.c.id == root_id)
        .order_by(_promise.c.id)
    )
    conditions = []
    if ids is not None:
        conditions.append(_promise.c.id.in_(list(ids)))
    if customer_id is not None:
        conditions.append(root_id == customer_id)
    if made_until is not None:
        conditions.append(_promise.c.made <= made_until)
    if owner is not None:
        # The database's own lower() on both sides: the same folding, whatever it covers.
        conditions.append(func.lower(_promise.c.owner) == func.lower(owner))
    if conditions:
        query = query.where(and_(*conditions))
    rows = conn.execute(query).all()
    if not rows:
        return []
    # A short list is fetched by id; a long one with everything (cheaper than a huge IN).
    wanted = [row[0] for row in rows] if len(rows) <= 900 else None
    events = _load_events(conn, wanted)
    refs = _load_promise_refs(conn, wanted)
    return [
        Promise(
            id=pid,
            customer=_customer_name(name, pid),
            text=read_text(text_, f"the text of promise {pid}"),
            made=read_time(made, f"the time promise {pid} was made"),
            due=_optional_time(due, f"the due time of promise {pid}"),
            size=_member(_SIZES, size, f"the size of promise {pid}"),
            value=_member(_VALUES, value, f"the value of promise {pid}"),
            owner=read_text(owner, f"the owner of promise {pid}"),
            tags=read_tags(tags, f"the tags of promise {pid}"),
            ref=refs.get(pid),
            events=tuple(events.get(pid, ())),
        )
        for pid, name, text_, made, due, size, value, owner, tags in rows
    ]


def _customer_name(name: Any, promise_id: int) -> str:
    if name is None:
        raise Damage(f"promise {promise_id} belongs to a customer that does not exist")
    return read_text(name, f"the name of the customer of promise {promise_id}")


def _load_events(conn: Connection, promise_ids: Iterable[int] | None) -> dict[int, list[Event]]:
    query = (
        select(
            _event.c.id,
            _event.c.promise_id,
            _event.c.kind,
            _event.c.at,
            _event.c.due,
            _event.c.note,
            _event.c.owner,
            _event.c.voids,
            _ref.c.ref,
        )
        .select_from(_event.outerjoin(_ref, _ref.c.event_id == _event.c.id))
        .order_by(_event.c.promise_id, _event.c.id)
    )
    if promise_ids is not None:
        query = query.where(_event.c.promise_id.in_(list(promise_ids)))
    events: dict[int, list[Event]] = defaultdict(list)
    for eid, pid, kind, at, due, note, owner, voids, ref_key in conn.execute(query):
        events[pid].append(
            Event(
                id=eid,
                promise_id=pid,
                kind=_member(_KINDS, kind, f"the kind of event {eid}"),
                at=read_time(at, f"the time of event {eid}"),
                due=_optional_time(due, f"the new due time of event {eid}"),
                note=None if note is None else read_text(note, f"the note of event {eid}"),
                owner=read_text(owner, f"the owner of event {eid}"),
                ref=ref_key,
                voids=voids,
            )
        )
    return events


def _load_promise_refs(conn: Connection, promise_ids: Iterable[int] | None) -> dict[int, str]:
    query = select(_ref.c.promise_id, _ref.c.ref).where(_ref.c.event_id.is_(None))
    if promise_ids is not None:
        query = query.where(_ref.c.promise_id.in_(list(promise_ids)))
    return {pid: ref for pid, ref in conn.execute(query)}


def counts(conn: Connection) -> dict[str, int]:
    """How many customers, promises and events the ledger holds."""
    customers = conn.execute(
        select(func.count()).select_from(_customer).where(_customer.c.merged_into.is_(None))
    ).scalar_one()
    promises = conn.execute(select(func.count()).select_from(_promise)).scalar_one()
    events = conn.execute(select(func.count()).select_from(_event)).scalar_one()
    return {"customers": customers, "promises": promises, "events": events}


# -- the report's read: one ordered pass ---------------------------------------------------

# Every promise made by :as_of with all of its events (voids apply whatever their time),
# ordered by customer entry, then as made: the indexes on marry_promise (customer_id, made)
# and marry_event (promise_id) give this order without a temporary sort, so rows stream
# from disk customer by customer. Text, owner and tags are not needed for scoring.
REPORT_SQL = (
    "SELECT p.customer_id, p.id, p.made, p.due, p.size, p.value,"
    " e.id, e.kind, e.at, e.due, e.voids"
    " FROM marry_promise p LEFT JOIN marry_event e ON e.promise_id = p.id"
    " WHERE p.made <= :as_of"
    " ORDER BY p.customer_id, p.made, p.id, e.id"
)


def report_promises(conn: Connection, as_of: int) -> Iterator[tuple[int, list[Promise]]]:
    """Each customer's promises made by `as_of`, one customer at a time (for scoring).

    Rows stream in REPORT_SQL's order, so memory holds one customer's promises; a
    customer with names merged into it is held until all of its entries were read.
    The promises carry no text, owner or tags: scoring does not read them.
    """
    root_of, merged_roots = _directory_roots(conn)
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


def stream(
    conn: Connection, sql: str, params: dict[str, Any]
) -> Generator[tuple[Any, ...], None, None]:
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


def customer_names(conn: Connection) -> dict[int, str]:
    """The display name of every customer (not of aliases), by id."""
    rows = conn.execute(
        select(_customer.c.id, _customer.c.name).where(_customer.c.merged_into.is_(None))
    )
    return {cid: read_text(name, f"the name of customer {cid}") for cid, name in rows}


def _directory_roots(conn: Connection) -> tuple[dict[int, int], set[int]]:
    rows = conn.execute(select(_customer.c.id, _customer.c.merged_into)).all()
    root_of = _check_merges((entry_id, into) for entry_id, into in rows)
    merged_roots = {into for _entry_id, into in rows if into is not None}
    return root_of, merged_roots


def _group_rows(rows: Iterable[Any]) -> Iterator[tuple[int, list[Promise]]]:
    """Fold REPORT_SQL's rows (one per event, or one per promise without events) into promises.

    Each row is checked as it comes (sizes, values, kinds, times in range) with a few
    comparisons; a row that fails them is damage, described by `_row_damage`.
    """
    customer: int | None = None
    promises: list[Promise] = []
    head: tuple[Any, ...] | None = None
    events: list[Event] = []
    sizes, values, kinds = _SIZES, _VALUES, _KINDS
    lo, hi = FIRST_MICROS, END_MICROS

    def finish() -> None:
        assert head is not None
        pid, made, due, size, value = head
        # Positional: Promise(id, customer, text, made, due, size, value, owner, tags, ref, events)
        promises.append(
            Promise(
                pid,
                "",
                "",
                from_micros(made),
                from_micros(due) if due is not None else None,
                sizes[size],
                values[value],
                "",
                (),
                None,
                tuple(events),
            )
        )

    row: tuple[Any, ...] = ()
    try:
        for row in rows:
            cid, pid, made, due, size, value, eid, kind, at, new_due, voids = row
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
                head = (pid, made, due, size, value)
                events = []
            if eid is not None:
                if not (
                    kind in kinds and lo <= at < hi and (new_due is None or lo <= new_due < hi)
                ):
                    raise _row_damage(row)
                # Positional: Event(id, promise_id, kind, at, due, note, owner, ref, voids)
                events.append(
                    Event(
                        eid,
                        pid,
                        kinds[kind],
                        from_micros(at),
                        from_micros(new_due) if new_due is not None else None,
                        None,
                        None,
                        None,
                        voids,
                    )
                )
    except (TypeError, KeyError, ValueError, OverflowError):  # a value of the wrong type
        raise _row_damage(row) from None
    if head is not None:
        finish()
        assert customer is not None
        yield customer, promises


def _row_damage(row: tuple[Any, ...]) -> Damage:
    """What is wrong with a row of REPORT_SQL."""
    _cid, pid, made, due, size, value, eid, kind, at, new_due, _voids = row
    try:
        read_time(made, f"the time promise {pid} was made")
        _optional_time(due, f"the due time of promise {pid}")
        _member(_SIZES, size, f"the size of promise {pid}")
        _member(_VALUES, value, f"the value of promise {pid}")
        if eid is not None:
            _member(_KINDS, kind, f"the kind of event {eid}")
            read_time(at, f"the time of event {eid}")
            _optional_time(new_due, f"the new due time of event {eid}")
    except Damage as damage:
        return damage
    return Damage(f"promise {pid} cannot be read")
