"""The customer directory of SPEC §6: a name before a rename keeps leading to the customer,
shown as "also known as", in ledgers made before that too; and the upgrade of a ledger of
schema version 1 to 2 (SQLite in place, PostgreSQL by `marry db upgrade`), every number kept."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import Marry


def test_a_name_before_a_rename_still_leads_to_the_customer(marry):
    first = marry.add("Ship SSO", "Acme")
    marry.ok("customer", "rename", "acme", "Acme Corporation")
    again = marry.json("promise", "add", "Renewal quote", "--customer", "ACME")
    assert again["customer"] == "Acme Corporation"
    assert [c["customer"] for c in marry.json("customer", "list")] == ["Acme Corporation"]
    report = marry.json("report", "--customer", "acme")
    assert report["customer"] == "Acme Corporation" and report["promises"] == 2
    assert marry.json("promise", "show", str(first))["customer"] == "Acme Corporation"
    table = marry.ok("customer", "list").stdout
    assert "Also known as" in table and "Acme" in table.splitlines()[1]


def test_renames_in_a_chain_keep_every_earlier_name(marry):
    marry.add("a", "One")
    marry.ok("customer", "rename", "one", "Two")
    marry.ok("customer", "rename", "two", "Three")
    assert marry.json("customer", "list")[0]["merged"] == ["One", "Two"]
    for name in ("one", "two", "three"):
        assert marry.json("report", "--customer", name)["customer"] == "Three"


def test_a_change_of_case_keeps_no_alias(marry):
    marry.add("a", "acme")
    marry.ok("customer", "rename", "acme", "ACME")
    assert marry.json("customer", "list")[0]["merged"] == []


def test_renaming_onto_another_name_of_the_same_customer_says_what_to_do(marry):
    marry.add("a", "Acme")
    marry.ok("customer", "rename", "acme", "Acme Corporation")
    before = marry.rows()
    refused = marry("customer", "rename", "acme corporation", "acme")
    assert refused.exit_code == 2
    words = " ".join(refused.stderr.split())
    assert "'acme' is already another name of 'Acme Corporation'" in words
    assert "`--customer 'acme'` records for 'Acme Corporation'" in words
    assert marry.rows() == before


def test_renaming_onto_another_customer_s_old_name_is_refused(marry):
    marry.add("a", "Acme")
    marry.ok("customer", "rename", "acme", "Acme Corporation")
    marry.add("b", "Globex")
    refused = marry("customer", "rename", "globex", "acme")
    assert refused.exit_code == 2 and "customer merge" in refused.stderr


def test_export_and_import_keep_the_old_names(marry, tmp_path):
    marry.add("a", "Acme")
    marry.ok("customer", "rename", "acme", "Acme Corporation")
    export = tmp_path / "ledger.jsonl"
    marry.ok("export", "--output", str(export))
    copy = Marry(db=str(tmp_path / "copy.db"), backend="sqlite", path=tmp_path / "copy.db")
    copy.ok("import", str(export))
    assert copy.json("customer", "list")[0]["merged"] == ["Acme"]
    assert copy.json("promise", "add", "b", "-c", "acme")["customer"] == "Acme Corporation"


V2_COLUMNS = [
    ("marry_event", "changes"),
    ("marry_customer_change", "tag"),
    ("marry_customer_change", "level"),
    ("marry_customer_change", "note"),
]


V3_COLUMNS = ("every", "within", "until", "zone", "series_id", "occurrence")


def as_version_2(path: str) -> None:
    """Make a SQLite ledger (with no standing promise) look as schema version 2 left it."""
    # SQLite cannot drop a column of a foreign key: the table is made again as version 2 had it.
    kept = "id, customer_id, text, made, due, size, value, owner, tags, recorded"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute(
            "CREATE TABLE v2_promise (id INTEGER NOT NULL PRIMARY KEY, customer_id INTEGER NOT "
            "NULL REFERENCES marry_customer (id), text VARCHAR NOT NULL, made BIGINT NOT NULL, "
            "due BIGINT, size VARCHAR NOT NULL, value VARCHAR NOT NULL, owner VARCHAR NOT NULL, "
            "tags VARCHAR NOT NULL, recorded BIGINT NOT NULL)"
        )
        db.execute(f"INSERT INTO v2_promise ({kept}) SELECT {kept} FROM marry_promise")
        db.execute("DROP TABLE marry_promise")
        db.execute("ALTER TABLE v2_promise RENAME TO marry_promise")
        db.execute("CREATE INDEX ix_marry_promise_customer ON marry_promise (customer_id, made)")
        db.execute("UPDATE marry_schema SET version = 2, name = 'amendments, value profiles'")


def _as_version_1(path: str) -> None:
    """Make a ledger look as marry's schema version 1 left it: renames kept no alias (a new
    ledger is created at the latest version directly: one row in marry_schema)."""
    as_version_2(path)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM marry_customer WHERE merged_into IS NOT NULL")
        db.execute("UPDATE marry_schema SET version = 1, name = 'create the ledger'")
        for table, column in V2_COLUMNS:
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def test_a_version_1_ledger_is_upgraded_in_place_and_keeps_every_number(sqlite_marry):
    marry = sqlite_marry
    kept = marry.add("a", "Acme", "--made", "2026-01-01", "--due", "2026-01-10")
    marry.ok("keep", str(kept), "--at", "2026-01-05")
    marry.add("b", "Acme", "--made", "2026-01-02", "--due", "2026-01-08")
    marry.ok("customer", "rename", "acme", "Acme Corporation")
    _as_version_1(marry.db)
    as_of = "2026-02-01T00:00:00Z"
    with sqlite3.connect(marry.db) as db:
        assert db.execute("SELECT max(version) FROM marry_schema").fetchone() == (1,)
    before = marry.json("report", "--as-of", as_of)  # a read upgrades a SQLite ledger
    assert marry.json("db", "info")["schema_version"] == 3
    assert marry.json("report", "--as-of", as_of) == before
    assert marry.json("report", "-c", "acme", "--as-of", as_of)["customer"] == "Acme Corporation"
    assert marry.json("customer", "list")[0]["merged"] == ["Acme"]
    assert marry.ok("db", "check").exit_code == 0
    with sqlite3.connect(marry.db) as db:
        for table, column in V2_COLUMNS:
            assert column in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


@pytest.mark.postgres
def test_a_version_1_postgresql_ledger_needs_db_upgrade(pg_marry):
    from sqlalchemy import create_engine, text

    marry = pg_marry
    marry.add("a", "Acme")
    marry.ok("customer", "rename", "acme", "Acme Corporation")
    engine = create_engine(marry.db)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM marry_customer WHERE merged_into IS NOT NULL"))
        conn.execute(text("UPDATE marry_schema SET version = 1, name = 'create the ledger'"))
        for column in V3_COLUMNS:
            conn.execute(text(f"ALTER TABLE marry_promise DROP COLUMN {column}"))
        for table, column in V2_COLUMNS:
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
    engine.dispose()
    refused = marry("promise", "add", "b", "-c", "acme")
    assert refused.exit_code != 0 and "marry db upgrade" in refused.stderr
    upgraded = marry.ok("db", "upgrade")
    assert "1" in upgraded.stderr + upgraded.stdout and "3" in upgraded.stderr + upgraded.stdout
    assert marry.json("promise", "add", "b", "-c", "acme")["customer"] == "Acme Corporation"
