"""`marry db check`: the database's own integrity check, then the ledger's rules."""

from __future__ import annotations

from sqlalchemy import Connection

from marrycli import history
from marrycli.domain import EventKind
from marrycli.storage import repo
from marrycli.storage.ledger import Ledger


def check(ledger: Ledger) -> list[str]:
    """Every problem found, as one line each; an empty list for a sound ledger."""
    with ledger.read() as conn:
        if conn is None:
            return []
        problems = _database(conn) if ledger.is_sqlite else []
        return problems + _rules(conn)


def _database(conn: Connection) -> list[str]:
    problems = [
        f"SQLite integrity check: {row}"
        for (row,) in conn.exec_driver_sql("PRAGMA integrity_check")
        if row != "ok"
    ]
    for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check"):
        problems.append(f"{table} row {rowid} points to a missing row of {parent}")
    return problems


def _rules(conn: Connection) -> list[str]:
    """Each promise's history replayed through the rules every write follows (history.py):
    outcomes after outcomes, events out of time order, voids of anything but the last."""
    problems = []
    for promise in repo.load_promises(conn):
        ids = {e.id for e in promise.events}
        if promise.due is not None and promise.due <= promise.made:
            problems.append(f"promise {promise.id} falls due before it was made")
        foreign = set()
        for event in promise.events:
            if event.kind is EventKind.VOID and event.voids not in ids:
                problems.append(f"void {event.id} cancels an event of another promise")
                foreign.add(event.id)
        for event, found in history.replay(promise):
            if event.id not in foreign:
                problems.append(
                    f"event {event.id} of promise {promise.id}: "
                    f"{history.describe(found, event.kind)}"
                )
    return problems
