"""Import at the storage level: checked records appended in bulk, in the caller's one
transaction, with what the whole file needs kept small (the directory, the standing
promises' numbers); promises and their events are held one chunk at a time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from marrycli.dates import to_micros
from marrycli.domain import EventKind, ImportCounts, Size, Value, customer_key
from marrycli.errors import BadInput
from marrycli.formats.records import ImportChange, ImportCustomer, ImportPromise, Record, show_value
from marrycli.storage import repo
from marrycli.storage.ledger import PG_LOCK_KEY
from marrycli.storage.tables import (
    change_table,
    customer_table,
    event_table,
    promise_table,
    ref_table,
)

CHUNK = 5000  # promises written per bulk insert

# -- import ------------------------------------------------------------------------------------

# Every table an import appends to: locked against other writers (not readers) on PostgreSQL.
_PG_LOCK_TABLES = (
    "LOCK TABLE marry_customer, marry_customer_change, marry_promise, marry_event, marry_ref "
    "IN SHARE ROW EXCLUSIVE MODE"
)

_PROMISE_COLUMNS = (
    "id", "customer_id", "text", "made", "due", "size", "value", "owner", "tags", "recorded",
    "every", "within", "until", "zone", "series_id", "occurrence",
)  # fmt: skip
_EVENT_COLUMNS = (
    "id", "promise_id", "kind", "at", "due", "note", "owner", "voids", "recorded", "changes",
)  # fmt: skip
_REF_COLUMNS = ("ref", "promise_id", "event_id")
_CUSTOMER_COLUMNS = ("id", "key", "name", "merged_into", "created")

# Every directory entry with the customer it leads to (through a merge): read once.
_DIRECTORY_SQL = (
    "SELECT e.key, e.id, r.id, r.name FROM marry_customer e"
    " JOIN marry_customer r ON r.id = COALESCE(e.merged_into, e.id)"
)


class _BulkWriter:
    """Appends rows of tuples through the driver itself, with each statement built once.

    SQLAlchemy's executemany builds a parameter dict per row and processes each value; an
    import of a million promises spends more there than in the database. SQLite gets
    sqlite3's executemany; PostgreSQL gets COPY, its bulk load. Both run in the caller's
    transaction (the same driver connection), so the import stays all or nothing.
    """

    def __init__(self, conn: Connection) -> None:
        self.raw: Any = conn.connection.driver_connection
        self.copy = conn.dialect.name == "postgresql"
        self.quote = conn.dialect.identifier_preparer.quote
        self.statements: dict[tuple[str, tuple[str, ...]], str] = {}

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        sql = self.statements.get((table, columns))
        if sql is None:
            names = ", ".join(self.quote(name) for name in columns)
            if self.copy:
                sql = f"COPY {table} ({names}) FROM STDIN"
            else:
                sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
            self.statements[table, columns] = sql
        cursor = self.raw.cursor()
        try:
            if self.copy:
                with cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(sql, rows)
        finally:
            cursor.close()


class Importer:
    """Appends checked records in chunks, inside the caller's one transaction.

    On PostgreSQL it first takes the ledger-wide lock: the advisory lock that creation and
    upgrades take (so imports run one at a time) and the tables' write lock (so no other
    writer appends meanwhile); what is already there is read only once both are held.
    SQLite's write transaction (BEGIN IMMEDIATE) already holds the whole file. With the
    ledger to itself, it reads the directory once and adds to it without asking again.

    What it keeps for the whole file is small: the directory (one entry per customer) and
    the ledger's number of each standing promise of the file; promises and their events are
    kept one chunk at a time.
    """

    def __init__(self, conn: Connection, now: int, progress: Callable[[int], None]) -> None:
        self.conn = conn
        self.now = now
        self.progress = progress
        self.counts = ImportCounts()
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(PG_LOCK_KEY)))
            conn.exec_driver_sql(_PG_LOCK_TABLES)
        self.bulk = _BulkWriter(conn)
        # customer key -> (its entry's id, the customer it leads to, that one's name)
        self.directory: dict[str, tuple[int, int, str]] = {
            key: (entry, root, name)
            for key, entry, root, name in conn.exec_driver_sql(_DIRECTORY_SQL)
        }
        self.by_name: dict[str, tuple[int, int, str]] = {}  # the same, by a name of the file
        self.changes: list[ImportChange] = []
        self.pending: list[ImportPromise] = []
        has_promises = conn.execute(select(promise_table.c.id).limit(1)).first() is not None
        # The ledger's number of each standing promise of the file, by its number in the
        # file: an occurrence names its series by it (SPEC §7).
        self.numbers: dict[int, int] = {}
        self.existing: dict[tuple[int, int, str, int], int] | None = None
        if has_promises:
            # (customer, made, text, what it is) of what is there, with its number: a second
            # import of a file skips it. What it is: 0 a promise, -1 a series, k an occurrence.
            self.existing = {}
            root = customer_table.alias("root_entry")
            query = select(
                root.c.merged_into,
                root.c.id,
                promise_table.c.made,
                promise_table.c.text,
                promise_table.c.every,
                promise_table.c.occurrence,
                promise_table.c.id,
            ).select_from(promise_table.join(root, root.c.id == promise_table.c.customer_id))
            for into, entry, made, text_, every, k, pid in conn.execute(query):
                kind = k if k is not None else (-1 if every is not None else 0)
                self.existing[(into or entry, made, text_, kind)] = pid

    def add(self, records: Iterable[Record]) -> ImportCounts:
        """Write every record; BadInput (with its line) on a conflict with the ledger."""
        customers: list[ImportCustomer] = []
        directory_done = False
        for record in records:
            if isinstance(record, ImportCustomer):
                customers.append(record)
                continue
            if not directory_done:
                self._directory(customers)
                directory_done = True
            if isinstance(record, ImportChange):
                self.changes.append(record)
            else:
                if self.changes:
                    self._changes()
                self.pending.append(record)
                if len(self.pending) >= CHUNK:
                    self._flush()
        if not directory_done:
            self._directory(customers)
        self._changes()
        self._flush()
        return self.counts

    # -- customers --

    def _found(self, name: str, created: datetime | None = None) -> tuple[int, int, str]:
        """The target's directory entry for a name (entry, customer, its name), created (as a
        customer) if new."""
        found = self.by_name.get(name)
        if found is None:
            key = customer_key(name)
            found = self.directory.get(key)
            if found is None:
                stamp = to_micros(created) if created is not None else self.now
                self._add_customers([(key, name, stamp)])
                found = self.directory[key]
            self.by_name[name] = found
        return found

    def _entry(self, name: str, created: datetime | None = None) -> int:
        """The id of the target's directory entry for a name, created if new."""
        return self._found(name, created)[0]

    def _root(self, name: str) -> int:
        """The customer a name leads to in the target (the directory is settled by now)."""
        return self._found(name)[1]

    def _add_customers(self, rows: list[tuple[str, str, int]]) -> None:
        """Insert customers (key, name, created), in this order: one statement."""
        ids = repo.reserve_ids(self.conn, customer_table, len(rows))
        self.bulk.insert(
            customer_table.name,
            _CUSTOMER_COLUMNS,
            [
                (cid, key, name, None, created)
                for cid, (key, name, created) in zip(ids, rows, strict=True)
            ],
        )
        for cid, (key, name, _created) in zip(ids, rows, strict=True):
            self.directory[key] = (cid, cid, name)
        self.counts.customers += len(rows)

    def _directory(self, customers: list[ImportCustomer]) -> None:
        """Add the file's customers and merges the ledger lacks; refuse what contradicts it.

        Nothing the ledger holds is changed: a name the file merges must be new, or merged
        into the same customer already. (A name the ledger has merged, the file may still
        list as a customer: its promises then count for the one the ledger merged it into.)
        """
        fresh = [
            (key, customer.name, to_micros(customer.created))
            for customer in customers
            if customer.into is None and (key := customer_key(customer.name)) not in self.directory
        ]
        if fresh:
            self._add_customers(fresh)
        merges: list[tuple[str, str, int | None, int]] = []
        names: dict[int, str] = {}
        for customer in customers:
            if customer.into is None:
                continue
            target, into_name = self._found(customer.into.name)[1:]
            key = customer_key(customer.name)
            entry = self.directory.get(key)
            if entry is None:
                merges.append((key, customer.name, target, to_micros(customer.created)))
                names[target] = into_name
                continue
            entry_id, root, root_name = entry
            if root == target and entry_id != root:
                continue  # merged there already
            held = (
                "a customer of its own"
                if entry_id == root
                else f"merged into {show_value(root_name)}"
            )
            raise BadInput(
                f"line {customer.line}: the file has {show_value(customer.name)} merged into "
                f"{show_value(customer.into.name)}, but in the ledger it is {held}; an import "
                "never changes the ledger's customers: make the file agree with the ledger "
                "(or, if the merge is right, run `marry customer merge` first)"
            )
        if merges:
            ids = repo.reserve_ids(self.conn, customer_table, len(merges))
            self.bulk.insert(
                customer_table.name,
                _CUSTOMER_COLUMNS,
                [(cid, *row) for cid, row in zip(ids, merges, strict=True)],  # in file order
            )
            for cid, (key, _name, into, _created) in zip(ids, merges, strict=True):
                assert into is not None
                self.directory[key] = (cid, into, names[into])
            self.counts.customers += len(merges)

    def _changes(self) -> None:
        """Copy the file's directory history: each change the ledger has not recorded yet."""
        if not self.changes:
            return
        known = {
            (row.kind, row.old_name, row.new_name, row.at, row.tag, row.level, row.note)
            for row in self.conn.execute(select(change_table))
        }
        for change in self.changes:
            stamp = to_micros(change.at)
            level = change.level.value if change.level is not None else None
            seen = (
                change.kind, change.old_name, change.new_name, stamp, change.tag, level,
                change.note,
            )  # fmt: skip
            if seen in known:
                continue
            known.add(seen)
            self.conn.execute(
                change_table.insert().values(
                    kind=change.kind,
                    customer_id=self._entry(change.customer),
                    into_id=self._entry(change.into) if change.into is not None else None,
                    old_name=change.old_name,
                    new_name=change.new_name,
                    owner=change.owner,
                    at=stamp,
                    tag=change.tag,
                    level=level,
                    note=change.note,
                )
            )
        self.changes = []

    # -- promises --

    def _flush(self) -> None:
        """Write the pending promises with their events and refs: three bulk inserts."""
        if not self.pending:
            return
        chunk = self._new_promises(self.pending)
        self.progress(len(self.pending))
        self.pending = []
        if not chunk:
            return
        conn = self.conn
        promise_ids = repo.reserve_ids(conn, promise_table, len(chunk))
        event_ids = iter(repo.reserve_ids(conn, event_table, sum(len(p.events) for p in chunk)))
        micros, plain = to_micros, _PLAIN
        promises: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        refs: list[tuple[str, int, int | None]] = []
        standing: dict[int, tuple[Any, ...]] = {}  # the standing columns of those that have them
        for p, new_id in zip(chunk, promise_ids, strict=True):
            due = p.due
            row = (
                new_id, self._found(p.customer)[0], p.text, micros(p.made),
                micros(due) if due is not None else None, plain[p.size], plain[p.value], p.owner,
                _tags_json(p.tags) if p.tags else "[]",
                micros(p.recorded),
            )  # fmt: skip
            promises.append(row)
            if p.standing is not None or p.series is not None:
                standing[len(promises) - 1] = _standing_columns(p, new_id, self.numbers)
            if p.ref is not None:
                refs.append((p.ref, new_id, None))
            # A void names an earlier event of its own promise, by the file's id.
            by_file_id: dict[int, int] = {}
            for event in p.events:
                event_id = next(event_ids)
                due, voids, amendment = event.due, event.voids, event.amendment
                events.append(
                    (
                        event_id, new_id, plain[event.kind], micros(event.at),
                        micros(due) if due is not None else None, event.note, event.owner,
                        by_file_id[voids] if voids is not None else None,
                        micros(event.recorded),
                        repo.write_amendment(amendment) if amendment is not None else None,
                    )
                )  # fmt: skip
                by_file_id[event.id] = event_id
                if event.ref is not None:
                    refs.append((event.ref, new_id, event_id))
        bulk = self.bulk
        if standing:
            rows = [row + standing.get(i, _NOT_STANDING) for i, row in enumerate(promises)]
            bulk.insert(promise_table.name, _PROMISE_COLUMNS, rows)
        else:  # none standing: their columns are left to their default (NULL)
            bulk.insert(promise_table.name, _PROMISE_COLUMNS[:10], promises)
        bulk.insert(event_table.name, _EVENT_COLUMNS, events)  # in file order: history order
        bulk.insert(ref_table.name, _REF_COLUMNS, refs)
        self.counts.promises += len(chunk)
        self.counts.events += len(events)

    def _new_promises(self, promises: list[ImportPromise]) -> list[ImportPromise]:
        """The promises not in the ledger yet; BadInput for a ref used there for something else."""
        existing = self.existing
        if existing is None:  # a ledger without promises (and so without refs): all are new
            return promises
        wanted = [r for p in promises for r in _refs(p)]  # unique in the file: transfer checks
        stored: dict[str, tuple[int, int | None]] = {}
        if wanted:
            for ref, pid, eid in self.conn.execute(
                select(ref_table.c.ref, ref_table.c.promise_id, ref_table.c.event_id).where(
                    ref_table.c.ref.in_([ref for ref, _line in wanted])
                )
            ):
                stored[ref] = (pid, eid)
        fresh = []
        for promise in promises:
            root = self._root(promise.customer)
            key = (root, to_micros(promise.made), promise.text, _kind(promise))
            if promise.ref is not None and promise.ref in stored:
                pid, eid = stored[promise.ref]
                same = eid is None and repo.promise_customer_id(self.conn, pid) == root
                if same and key in existing:
                    self._skip(promise, pid)
                    continue
                raise BadInput(
                    f"line {promise.line}: ref {show_value(promise.ref)} is already used in the "
                    f"ledger for something else (promise {pid})"
                )
            if key in existing:
                self._skip(promise, existing[key])
                continue
            for event in promise.events:
                if event.ref is not None and event.ref in stored:
                    raise BadInput(
                        f"line {event.line}: ref {show_value(event.ref)} "
                        "is already used in the ledger"
                    )
            fresh.append(promise)
        return fresh

    def _skip(self, promise: ImportPromise, number: int) -> None:
        """A promise the ledger holds already, as `number`."""
        if promise.standing is not None:  # its occurrences name it
            self.numbers[promise.id] = number
        self.counts.skipped += 1


def _kind(promise: ImportPromise) -> int:
    """What an imported promise is, for finding it in the ledger: 0 a promise, -1 a series,
    k occurrence k."""
    if promise.occurrence is not None:
        return promise.occurrence
    return -1 if promise.standing is not None else 0


# The tags as stored, a JSON array: json.dumps(list(tags), ensure_ascii=False), with its
# encoder made once rather than per call.
_tags_json = json.JSONEncoder(ensure_ascii=False).encode

# Each member of the enums a row holds, as its value (as stored): `.value` costs a call.
_PLAIN: dict[Any, str] = {
    member: member.value for enum in (Size, Value, EventKind) for member in enum
}

_NOT_STANDING = (None, None, None, None, None, None)  # _standing_columns of another promise


def _standing_columns(
    promise: ImportPromise, number: int, numbers: dict[int, int]
) -> tuple[Any, ...]:
    """The columns of a standing promise (SPEC §7), now numbered `number` (which its
    occurrences will name), or of an occurrence (its series by the ledger's number)."""
    terms = promise.standing
    if terms is not None:
        numbers[promise.id] = number
        until = to_micros(terms.until) if terms.until else None
        return (str(terms.every), str(terms.within), until, terms.zone, None, None)
    assert promise.series is not None
    return (None, None, None, None, numbers[promise.series], promise.occurrence)


def _refs(promise: ImportPromise) -> Iterator[tuple[str, int]]:
    if promise.ref is not None:
        yield promise.ref, promise.line
    for event in promise.events:
        if event.ref is not None:
            yield event.ref, event.line
