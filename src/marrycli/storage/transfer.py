"""Export and import at the storage level: one streamed read, bulk appends in one transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, text

from marrycli.dates import format_utc, to_micros
from marrycli.domain import ImportCounts, customer_key
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

CHUNK = 5000  # promises written per executemany round


def _time(us: int | None) -> str | None:
    return format_utc(repo.read_time(us, "a stored time")) if us is not None else None


# -- export ----------------------------------------------------------------------------------

_EXPORT_SQL = (
    "SELECT p.id, p.customer_id, p.text, p.made, p.due, p.size, p.value, p.owner, p.tags,"
    " p.recorded, pr.ref,"
    " e.id, e.kind, e.at, e.due, e.note, e.owner, e.voids, e.recorded, er.ref, e.changes,"
    " p.every, p.within, p.until, p.zone, p.series_id, p.occurrence"
    " FROM marry_promise p"
    " LEFT JOIN marry_ref pr ON pr.promise_id = p.id AND pr.event_id IS NULL"
    " LEFT JOIN marry_event e ON e.promise_id = p.id"
    " LEFT JOIN marry_ref er ON er.event_id = e.id"
    " ORDER BY p.id, e.id"
)


def export_records(conn: Connection) -> Generator[dict[str, Any], None, None]:
    """Every customer, directory change, promise and event, as JSON-ready records."""
    for cid, name, key, into, created in conn.execute(
        select(
            customer_table.c.id,
            customer_table.c.name,
            customer_table.c.key,
            customer_table.c.merged_into,
            customer_table.c.created,
        ).order_by(customer_table.c.id)
    ):
        yield {
            "type": "customer",
            "id": cid,
            "name": name,
            "key": key,
            "merged_into": into,
            "created": _time(created),
        }
    for row in conn.execute(select(change_table).order_by(change_table.c.id)):
        change = {
            "type": "customer_change",
            "id": row.id,
            "kind": row.kind,
            "customer_id": row.customer_id,
            "into_id": row.into_id,
            "old_name": row.old_name,
            "new_name": row.new_name,
            "owner": row.owner,
            "at": _time(row.at),
        }
        if row.kind == "value":  # a rename or merge is written as before schema version 2
            change.update(tag=row.tag, level=row.level, note=row.note)
        yield change
    # The result (a server-side cursor on PostgreSQL) is closed while the connection is
    # open: when the rows end, when the reader stops early, and when a row is damaged.
    stream = conn.execution_options(stream_results=True, yield_per=10_000)
    with stream.execute(text(_EXPORT_SQL)) as rows:
        yield from _promise_records(rows)


def _promise_records(rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
    last = None
    # Unpacked in _EXPORT_SQL's column order.
    for (pid, cid, text_, made, due, size, value, owner, tags, recorded, ref,
         eid, kind, at, new_due, note, eowner, voids, erecorded, eref,
         changes, every, within, until, zone, series, k) in rows:  # fmt: skip
        if pid != last:
            last = pid
            record = {
                "type": "promise",
                "id": pid,
                "customer_id": cid,
                "text": text_,
                "made": _time(made),
                "due": _time(due),
                "size": size,
                "value": value,
                "owner": owner,
                "tags": list(repo.read_tags(tags, f"the tags of promise {pid}")),
                "ref": ref,
                "recorded": _time(recorded),
            }
            if every is not None:  # a standing promise (SPEC §7): its terms
                record.update(every=every, within=within, until=_time(until), zone=zone)
            if series is not None:  # one of its occurrences, stored
                record.update(series_id=series, occurrence=k)
            yield record
        if eid is not None:
            event = {
                "type": "event",
                "id": eid,
                "promise_id": pid,
                "kind": kind,
                "at": _time(at),
                "due": _time(new_due),
                "note": note,
                "owner": eowner,
                "ref": eref,
                "voids": voids,
                "recorded": _time(erecorded),
            }
            if kind == "amended":
                what = f"the changes of event {eid}"
                event["changes"] = repo.read_amendment(changes, what).changes()
            yield event


# -- import ------------------------------------------------------------------------------------

# Every table an import appends to: locked against other writers (not readers) on PostgreSQL.
_PG_LOCK_TABLES = (
    "LOCK TABLE marry_customer, marry_customer_change, marry_promise, marry_event, marry_ref "
    "IN SHARE ROW EXCLUSIVE MODE"
)


class Importer:
    """Appends checked records in chunks, inside the caller's one transaction.

    On PostgreSQL it first takes the ledger-wide lock: the advisory lock that creation and
    upgrades take (so imports run one at a time) and the tables' write lock (so no other
    writer appends meanwhile); what is already there is read only once both are held.
    SQLite's write transaction (BEGIN IMMEDIATE) already holds the whole file.
    """

    def __init__(self, conn: Connection, now: int, progress: Callable[[int], None]) -> None:
        self.conn = conn
        self.now = now
        self.progress = progress
        self.counts = ImportCounts()
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(PG_LOCK_KEY)))
            conn.exec_driver_sql(_PG_LOCK_TABLES)
        self.entries: dict[str, int] = {}  # customer key -> target entry id
        self.roots: dict[str, int] = {}  # customer key -> the customer it leads to
        self.changes: list[ImportChange] = []
        self.pending: list[ImportPromise] = []
        has_promises = conn.execute(select(promise_table.c.id).limit(1)).first() is not None
        # The ledger's number of each promise of the file, by its number in the file: an
        # occurrence names its series by it (SPEC §7).
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

    def _entry(self, name: str, created: datetime | None = None) -> int:
        """The target's directory entry for a name, created (as a customer) if new."""
        key = customer_key(name)
        found = self.entries.get(key)
        if found is None:
            entry = repo.find_customer(self.conn, key)
            if entry is None:
                stamp = to_micros(created) if created is not None else self.now
                entry = repo.ensure_customer(self.conn, key, name, stamp)
                self.counts.customers += 1
            found = self.entries[key] = entry.entry_id
        return found

    def _root(self, name: str) -> int:
        """The customer a name leads to in the target (the directory is settled by now)."""
        key = customer_key(name)
        found = self.roots.get(key)
        if found is None:
            self._entry(name)
            entry = repo.find_customer(self.conn, key)
            assert entry is not None
            found = self.roots[key] = entry.id
        return found

    def _directory(self, customers: list[ImportCustomer]) -> None:
        """Add the file's customers and merges the ledger lacks; refuse what contradicts it.

        Nothing the ledger holds is changed: a name the file merges must be new, or merged
        into the same customer already. (A name the ledger has merged, the file may still
        list as a customer: its promises then count for the one the ledger merged it into.)
        """
        for customer in customers:
            if customer.into is None:
                self._entry(customer.name, customer.created)
        for customer in customers:
            if customer.into is None:
                continue
            target = self._root(customer.into.name)
            key = customer_key(customer.name)
            entry = repo.find_customer(self.conn, key)
            if entry is None:
                self.conn.execute(
                    customer_table.insert().values(
                        key=key,
                        name=customer.name,
                        merged_into=target,
                        created=to_micros(customer.created),
                    )
                )
                self.counts.customers += 1
                continue
            if entry.id == target and entry.entry_id != entry.id:
                continue  # merged there already
            held = (
                "a customer of its own"
                if entry.entry_id == entry.id
                else f"merged into {show_value(entry.name)}"
            )
            raise BadInput(
                f"line {customer.line}: the file has {show_value(customer.name)} merged into "
                f"{show_value(customer.into.name)}, but in the ledger it is {held}; an import "
                "never changes the ledger's customers: make the file agree with the ledger "
                "(or, if the merge is right, run `marry customer merge` first)"
            )

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
        """Write the pending promises with their events and refs: three executemany calls."""
        if not self.pending:
            return
        chunk = self._new_promises(self.pending)
        self.progress(len(self.pending))
        self.pending = []
        if not chunk:
            return
        conn = self.conn
        promise_ids = repo.reserve_ids(conn, promise_table, len(chunk))
        for p, new_id in zip(chunk, promise_ids, strict=True):
            self.numbers[p.id] = new_id
        events = [
            (event, new_id)
            for promise, new_id in zip(chunk, promise_ids, strict=True)
            for event in promise.events
        ]
        event_ids = repo.reserve_ids(conn, event_table, len(events))
        # A void names an earlier event of its own promise, by the file's id: map as we go.
        by_file_id: dict[int, int] = {}
        event_rows = []
        refs = [
            {"ref": p.ref, "promise_id": new_id, "event_id": None}
            for p, new_id in zip(chunk, promise_ids, strict=True)
            if p.ref is not None
        ]
        for (event, promise_id), event_id in zip(events, event_ids, strict=True):
            event_rows.append(
                {
                    "id": event_id,
                    "promise_id": promise_id,
                    "kind": event.kind.value,
                    "at": to_micros(event.at),
                    "due": to_micros(event.due) if event.due is not None else None,
                    "note": event.note,
                    "owner": event.owner,
                    "voids": by_file_id[event.voids] if event.voids is not None else None,
                    "recorded": to_micros(event.recorded),
                    "changes": repo.write_amendment(event.amendment)
                    if event.amendment is not None
                    else None,
                }
            )
            by_file_id[event.id] = event_id
            if event.ref is not None:
                refs.append({"ref": event.ref, "promise_id": promise_id, "event_id": event_id})
        conn.execute(
            promise_table.insert(),
            [
                {
                    "id": new_id,
                    "customer_id": self._entry(p.customer),
                    "text": p.text,
                    "made": to_micros(p.made),
                    "due": to_micros(p.due) if p.due is not None else None,
                    "size": p.size.value,
                    "value": p.value.value,
                    "owner": p.owner,
                    "tags": json.dumps(list(p.tags), ensure_ascii=False),
                    "recorded": to_micros(p.recorded),
                    **_standing_columns(p, self.numbers),
                }
                for p, new_id in zip(chunk, promise_ids, strict=True)
            ],
        )
        if event_rows:  # in file order, so a promise's events keep their order
            conn.execute(event_table.insert(), event_rows)
        if refs:
            conn.execute(ref_table.insert(), refs)
        self.counts.promises += len(chunk)
        self.counts.events += len(events)

    def _new_promises(self, promises: list[ImportPromise]) -> list[ImportPromise]:
        """The promises not in the ledger yet; BadInput for a ref used there for something else."""
        wanted = [r for p in promises for r in _refs(p)]  # unique in the file: transfer checks
        stored: dict[str, tuple[int, int | None]] = {}
        if self.existing is not None and wanted:
            for ref, pid, eid in self.conn.execute(
                select(ref_table.c.ref, ref_table.c.promise_id, ref_table.c.event_id).where(
                    ref_table.c.ref.in_([ref for ref, _line in wanted])
                )
            ):
                stored[ref] = (pid, eid)
        fresh = []
        for promise in promises:
            root = self._root(promise.customer) if self.existing is not None else None
            key = (root or 0, to_micros(promise.made), promise.text, _kind(promise))
            if promise.ref is not None and promise.ref in stored:
                pid, eid = stored[promise.ref]
                same = eid is None and repo.promise_customer_id(self.conn, pid) == root
                if same and key in (self.existing or {}):
                    self.numbers[promise.id] = pid
                    self.counts.skipped += 1
                    continue
                raise BadInput(
                    f"line {promise.line}: ref {show_value(promise.ref)} is already used in the "
                    f"ledger for something else (promise {pid})"
                )
            existing = self.existing
            if existing is not None and key in existing:
                self.numbers[promise.id] = existing[key]
                self.counts.skipped += 1
                continue
            for event in promise.events:
                if event.ref is not None and event.ref in stored:
                    raise BadInput(
                        f"line {event.line}: ref {show_value(event.ref)} "
                        "is already used in the ledger"
                    )
            fresh.append(promise)
        return fresh


def _kind(promise: ImportPromise) -> int:
    """What an imported promise is, for finding it in the ledger: 0 a promise, -1 a series,
    k occurrence k."""
    if promise.occurrence is not None:
        return promise.occurrence
    return -1 if promise.standing is not None else 0


def _standing_columns(promise: ImportPromise, numbers: dict[int, int]) -> dict[str, Any]:
    """The columns of a standing promise (SPEC §7), or of an occurrence (its series by the
    ledger's number); none for another promise."""
    terms = promise.standing
    return {
        "every": str(terms.every) if terms is not None else None,
        "within": str(terms.within) if terms is not None else None,
        "until": to_micros(terms.until) if terms is not None and terms.until else None,
        "zone": terms.zone if terms is not None else None,
        "series_id": numbers[promise.series] if promise.series is not None else None,
        "occurrence": promise.occurrence,
    }


def _refs(promise: ImportPromise) -> Iterator[tuple[str, int]]:
    if promise.ref is not None:
        yield promise.ref, promise.line
    for event in promise.events:
        if event.ref is not None:
            yield event.ref, event.line
