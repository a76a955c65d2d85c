"""bench_report.py --postgres URL: the same ledger in PostgreSQL, and its baseline.

The ledger lives in a schema of its own, `bench_report_N_M` (N promises, M customers), in
the database the URL names: created by the real `marry promise add` (so tables, indexes and
the schema version are marry's), then the seeded rows are deleted and bench_report.py's
generated rows copied in (COPY), the id sequences moved past them, and the tables vacuumed
and analysed (as autovacuum would soon do on a real ledger). A schema already holding N
promises is reused; nothing outside it is touched.

The baseline is the report's own query (REPORT_SQL_POSTGRES) through psycopg with a named,
server-side cursor planned for all of its rows (cursor_tuple_fraction 1), fetched in batches
of 10,000 until exhausted, in a fresh process: what `marry report` itself does to read its
rows (storage/repo/report.py, `stream`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench_report import HOUR, MINUTE, generate, marry_executable

BASELINE = """\
import sys, time
import psycopg
with psycopg.connect(sys.argv[1]) as conn, conn.transaction():
    conn.execute("SET LOCAL cursor_tuple_fraction = 1.0")  # as marry: every row is read
    cursor = conn.cursor(name="bench_report")
    cursor.execute(sys.argv[2], {"as_of": time.time_ns() // 1000})
    rows = 0
    while batch := cursor.fetchmany(10_000):
        rows += len(batch)
    cursor.close()
print(rows)
"""

TABLES = (
    ("marry_customer", ("id", "key", "name", "merged_into", "created")),
    (
        "marry_promise",
        ("id", "customer_id", "text", "made", "due", "size", "value", "owner", "tags", "recorded"),
    ),
    (
        "marry_event",
        ("id", "promise_id", "kind", "at", "due", "note", "owner", "voids", "recorded"),
    ),
)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def prepare(base: str, promises: int, customers: int) -> str:
    """The marry URL of the ledger of `promises` and `customers` in `base`'s database,
    built there first unless it already is."""
    import psycopg

    schema = f"bench_report_{promises}_{customers}"
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        built = conn.execute(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE table_schema = %s AND table_name = 'marry_promise'",
            (schema,),
        ).fetchone()
        if built is not None and built[0]:
            held = conn.execute(f"SELECT count(*) FROM {schema}.marry_promise").fetchone()
            if held is not None and held[0] == promises:
                print(f"ledger: reusing PostgreSQL schema {schema}")
                return url
            sys.exit(f"schema {schema} holds another ledger: drop it first")
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    print(f"ledger: building {promises:,} promises for {customers:,} customers in schema {schema}")
    started = time.perf_counter()
    subprocess.run(
        [marry_executable(), "promise", "add", "benchmark seed", "--customer", "benchmark seed"],
        env=dict(os.environ, MARRY_DB=url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    now = (time.time_ns() // 1000) // MINUTE * MINUTE - HOUR
    rows = generate(promises, customers, now)
    with psycopg.connect(_libpq(url)) as conn:
        for table in ("marry_ref", "marry_event", "marry_customer_change", "marry_promise"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM marry_customer")
        for (table, columns), table_rows in zip(TABLES, rows, strict=True):
            with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in table_rows:
                    copy.write_row(row)
            sequence = f"pg_get_serial_sequence('{table}', 'id')"
            conn.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))")
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"build: {time.perf_counter() - started:.1f} s")
    return url


def baseline_command(url: str) -> list[str]:
    from marrycli.storage.repo import REPORT_SQL_POSTGRES

    sql = REPORT_SQL_POSTGRES.replace(":as_of", "%(as_of)s")
    return [sys.executable, "-c", BASELINE, _libpq(url), sql]
