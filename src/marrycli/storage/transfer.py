"""Export at the storage level: one streamed read (the import is storage/importer.py)."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, select, text

from marrycli.dates import format_utc
from marrycli.storage import repo
from marrycli.storage.tables import (
    change_table,
    customer_table,
)


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
