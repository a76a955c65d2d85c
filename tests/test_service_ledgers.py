"""`marry db info` reports the ledger's own schema version, read from the ledger, next to
this marry's (`service.ledgers.ledger_info`)."""

from __future__ import annotations

import sqlite3

from marrycli.storage import ledger


def test_db_info_reads_the_schema_version_from_the_ledger(sqlite_marry, monkeypatch):
    # Only the first version: the ledger below stays as it says, whatever migrations follow.
    monkeypatch.setattr(ledger, "MIGRATIONS", ledger.MIGRATIONS[:1])
    sqlite_marry.add()
    info = sqlite_marry.json("db", "info")
    assert (info["schema_version"], info["marry_schema_version"]) == (1, 1)
    # A ledger that says another version than this marry's. A SQLite ledger is upgraded
    # when opened and a PostgreSQL one refused until `marry db upgrade`, so after opening
    # the two agree unless the ledger records a version no migration raises: version 1
    # creates the ledger, so one that says 0 stays at 0 (and opens).
    with sqlite3.connect(sqlite_marry.db) as conn:
        conn.execute("UPDATE marry_schema SET version = 0")
    conn.close()
    info = sqlite_marry.json("db", "info")
    assert (info["schema_version"], info["marry_schema_version"]) == (0, 1)
    assert info["exists"] is True and info["promises"] == 1


def test_db_info_without_a_ledger_has_no_schema_version(marry):
    info = marry.json("db", "info")
    assert (info["exists"], info["schema_version"]) == (False, None)
    assert info["marry_schema_version"] == ledger.schema_version()
