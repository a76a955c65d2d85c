"""Unusable ledgers exit 3 and stay untouched; schema versions and upgrades (SPEC §4)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import Marry
from marrycli.storage.ledger import schema_version

COMMANDS = [
    ["promise", "list"],
    ["promise", "add", "x", "-c", "acme"],
    ["keep", "1"],
    ["db", "info"],
    ["db", "check"],
]


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file in the ledger's folder, byte for byte."""
    return {p.name: p.read_bytes() for p in sorted(path.parent.iterdir()) if p.is_file()}


def make_text_file(path: Path) -> None:
    path.write_text("shopping list\n- milk\n- eggs\n")


def make_foreign_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('hello')")
    conn.close()


def make_ledger(path: Path) -> None:
    Marry(db=str(path), backend="sqlite").ok("promise", "add", "x", "-c", "acme")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")  # fold the WAL in: one file to compare
    conn.close()


def make_newer(path: Path) -> None:
    make_ledger(path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO marry_schema VALUES (99, 'from the future', 0)")
    conn.close()


def make_corrupt(path: Path) -> None:
    make_ledger(path)
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xa5" * (4096 - 100)  # the schema page, past the file header
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (make_text_file, "not a marry ledger"),
        (make_foreign_sqlite, "not a marry ledger"),
        (make_newer, "newer than this marry"),
        (make_corrupt, "corrupt"),
    ],
    ids=["text file", "another application's SQLite file", "newer schema", "corrupt"],
)
@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_unusable_files_exit_3_and_stay_byte_identical(tmp_path, make, says, args):
    path = tmp_path / "ledger.db"
    make(path)
    before = snapshot(path)
    result = Marry(db=str(path), backend="sqlite")(*args)
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(path) == before


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_a_directory_is_not_a_ledger(tmp_path, args):
    folder = tmp_path / "ledger.db"
    folder.mkdir()
    result = Marry(db=str(folder), backend="sqlite")(*args)
    assert result.exit_code == 3 and "is a directory" in result.stderr
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_unreachable_postgres_never_prints_the_password(args):
    url = "postgresql+psycopg://marry:s3cr3t-pw@127.0.0.1:1/ledger"
    result = Marry(db=url, backend="postgresql")(*args)
    assert result.exit_code == 3, result.stderr
    assert "cannot reach" in result.stderr
    assert "s3cr3t-pw" not in result.stderr + result.stdout
    assert "***" in result.stderr


def test_an_empty_file_becomes_a_ledger(tmp_path):
    path = tmp_path / "ledger.db"
    path.touch()
    marry = Marry(db=str(path), backend="sqlite")
    assert marry.json("promise", "list") == []
    assert path.read_bytes() == b""  # a read creates nothing
    marry.ok("promise", "add", "x", "-c", "acme")
    assert marry.json("db", "info")["exists"] is True


def test_the_ledger_uses_wal_and_its_folders_are_created(tmp_path):
    path = tmp_path / "deep" / "er" / "ledger.db"
    Marry(db=f"sqlite:///{path}", backend="sqlite").ok("promise", "add", "x", "-c", "acme")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_db_check_reports_a_broken_rule(sqlite_marry):
    pid = sqlite_marry.add()
    sqlite_marry.ok("keep", str(pid))
    with sqlite3.connect(sqlite_marry.db) as conn:  # a second outcome, written behind marry's back
        conn.execute(
            "INSERT INTO marry_event (promise_id, kind, at, owner, recorded) "
            "SELECT promise_id, 'broken', at + 1, owner, recorded FROM marry_event"
        )
    conn.close()
    result = sqlite_marry("db", "check")
    assert result.exit_code == 3
    assert "follows its kept outcome" in result.stderr


def test_db_check_reports_corruption(tmp_path):
    path = tmp_path / "ledger.db"
    make_corrupt(path)
    result = Marry(db=str(path), backend="sqlite")("db", "check")
    assert result.exit_code == 3 and "corrupt" in result.stderr


# -- versions and upgrades -----------------------------------------------------------------


CURRENT = schema_version()
NEXT = CURRENT + 1


@pytest.fixture
def next_version(monkeypatch):
    """Pretend this marry knows one more schema version (an extra index)."""
    from sqlalchemy import Connection, text

    from marrycli.storage import ledger

    def add_index(conn: Connection) -> None:
        conn.execute(text("CREATE INDEX ix_marry_event_at ON marry_event (at)"))

    monkeypatch.setattr(
        ledger, "MIGRATIONS", [*ledger.MIGRATIONS, (NEXT, "index events by time", add_index)]
    )


def test_sqlite_upgrades_in_place_on_first_use(sqlite_marry, request):
    sqlite_marry.add()
    request.getfixturevalue("next_version")
    assert sqlite_marry.json("promise", "list")[0]["text"] == "Ship SSO"
    versions = [row[0] for row in sqlite_marry.rows()["marry_schema"]]
    assert versions == [CURRENT, NEXT]


@pytest.mark.postgres
def test_postgres_upgrades_only_through_db_upgrade(pg_marry, request):
    marry = pg_marry
    marry.add()
    request.getfixturevalue("next_version")
    refused = marry("promise", "list")
    assert refused.exit_code == 3 and "marry db upgrade" in refused.stderr
    upgraded = marry("db", "upgrade")
    assert upgraded.exit_code == 0 and f"from schema version {CURRENT} to {NEXT}" in upgraded.stderr
    assert marry.json("promise", "list")[0]["text"] == "Ship SSO"
    assert "already" in marry("db", "upgrade").stderr


@pytest.mark.postgres
def test_newer_postgres_ledger_is_refused(pg_marry):
    marry = pg_marry
    marry.add()
    from sqlalchemy import create_engine, text

    engine = create_engine(marry.db)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO marry_schema VALUES (99, 'future', 0)"))
    engine.dispose()
    result = marry("promise", "list")
    assert result.exit_code == 3 and "newer than this marry" in result.stderr


def test_upgrade_without_a_ledger(sqlite_marry):
    result = sqlite_marry("db", "upgrade")
    assert result.exit_code == 3 and "no ledger" in result.stderr
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()
