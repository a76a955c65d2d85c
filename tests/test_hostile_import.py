"""Hostile import files: each is refused with exit 2 and one line naming the file's line,
the ledger's rows stay byte for byte as they were, and every read command still works.

The files are what an adversarial run of issue 9 used: times outside the supported range or
in the future, lone surrogates, a directory that would merge the ledger's customers without
a record, impossible histories, crafted JSON and CSV that crashed the reader.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import BACKENDS, Marry, ledger_rows, marry_executable, run_marry
from test_transfer import _big_export, seed

HEADER = {"format": "marry-export", "version": 1}
T0 = "2024-01-01T00:00:00Z"


def customer(cid: int, name: str, merged_into: int | None = None, **fields: Any) -> dict:
    return {"type": "customer", "id": cid, "name": name, "merged_into": merged_into,
            "created": T0, **fields}  # fmt: skip


def promise(pid: int, cid: int = 1, **fields: Any) -> dict:
    return {"type": "promise", "id": pid, "customer_id": cid, "text": f"promise {pid}",
            "made": T0, "due": "2024-02-01T00:00:00Z", "size": "small", "value": "high",
            "owner": "o", "tags": [], "ref": None, "recorded": T0, **fields}  # fmt: skip


def event(eid: int, pid: int, kind: str, at: str, **fields: Any) -> dict:
    return {"type": "event", "id": eid, "promise_id": pid, "kind": kind, "at": at, "due": None,
            "note": None, "owner": "o", "ref": None, "voids": None,
            "recorded": "2024-03-01T00:00:00Z", **fields}  # fmt: skip


def jan(day: int) -> str:
    return f"2024-01-{day:02d}T00:00:00Z"


def jsonl(*records: dict | str) -> str:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in (HEADER, *records)]
    return "\n".join(lines) + "\n"


ZETA = customer(1, "Zeta")  # a customer the seeded ledger does not have

# (name, file text, the line the error names, words of the message)
JSONL_FILES: list[tuple[str, str, int, str]] = [
    ("due far beyond the range", jsonl(ZETA, promise(1, due="9999-12-31T23:00:00-05:00")), 3,
     "out of range"),
    ("made before the range", jsonl(ZETA, promise(1, made="0001-01-01T00:00:00+05:00")), 3,
     "out of range"),
    ("made in year 999", jsonl(ZETA, promise(1, made="0999-12-31T23:59:59Z")), 3, "out of range"),
    ("due in year 9000", jsonl(ZETA, promise(1, due="9000-01-01T00:00:00Z")), 3, "out of range"),
    ("an event at the end of time", jsonl(ZETA, promise(1), event(1, 1, "kept", "9999-12-31T23:59:59Z")),
     4, "out of range"),
    ("created out of range", jsonl(customer(1, "Zeta", created="0001-01-01T00:00:00Z")), 2,
     "out of range"),
    ("made in the future", jsonl(ZETA, promise(1, made="2999-01-01T00:00:00Z", due=None)), 3,
     "in the future"),
    ("an event in the future", jsonl(ZETA, promise(1), event(1, 1, "kept", "2999-01-01T00:00:00Z")),
     4, "in the future"),
    ("a time without a zone", jsonl(ZETA, promise(1, made="2024-01-01T00:00:00")), 3, "time zone"),
    ("a time that is not one", jsonl(ZETA, promise(1, made="yesterday")), 3, "ISO 8601"),
    ("a lone surrogate in a text", jsonl(ZETA, promise(1, text="\ud800")), 3, "surrogate"),
    ("a lone surrogate in a name", jsonl(customer(1, "Ze\udfffta")), 2, "surrogate"),
    ("a lone surrogate in a tag", jsonl(ZETA, promise(1, tags=["\udc80"])), 3, "surrogate"),
    ("a lone surrogate in a ref", jsonl(ZETA, promise(1, ref="r\ud800")), 3, "surrogate"),
    ("a lone surrogate in a note",
     jsonl(ZETA, promise(1), event(1, 1, "kept", jan(2), note="\ud800")), 4, "surrogate"),
    ("an escape character in a text", jsonl(ZETA, promise(1, text="a\u001b[31mb")), 3,
     "control character"),
    ("a text too long", jsonl(ZETA, promise(1, text="x" * 2001)), 3, "limit is 2000"),
    ("a name too long", jsonl(customer(1, "n" * 201)), 2, "limit is 200"),
    ("too many tags", jsonl(ZETA, promise(1, tags=[f"t{i}" for i in range(21)])), 3, "limit is 20"),
    ("a ref too long", jsonl(ZETA, promise(1, ref="r" * 201)), 3, "limit is 200"),
    ("one ref twice in the file", jsonl(ZETA, promise(1, ref="r"), promise(2, ref="r")), 4,
     "twice"),
    # The ids an import keeps compact (a bitmap, a set beyond 2^27) and the checks' quick
    # paths (ASCII text, times ending in Z, names remembered) refuse what the full checks do.
    ("one promise id twice", jsonl(ZETA, promise(1), promise(1)), 4, "promise 1 appears twice"),
    ("a large promise id twice", jsonl(ZETA, promise(2**40), promise(2**40)), 4,
     f"promise {2**40} appears twice"),
    ("one event id twice, under two promises",
     jsonl(ZETA, promise(1), event(9, 1, "kept", jan(2)), promise(2), event(9, 2, "kept", jan(2))),
     6, "event 9 appears twice"),
    ("a large event id twice",
     jsonl(ZETA, promise(1), event(2**27, 1, "kept", jan(2)), promise(2),
           event(2**27, 2, "kept", jan(2))), 6, f"event {2**27} appears twice"),
    ("a lone surrogate as a time's separator",
     jsonl(ZETA, promise(1, made="2024-01-01\ud80000:00:00Z")), 3, "surrogate"),
    ("a size that is not text", jsonl(ZETA, promise(1, size=["small"])), 3, "is not one of"),
    ("a known owner, then one with a control character",
     jsonl(ZETA, promise(1, owner="ana"), promise(2, owner="ana\u0007")), 4,
     "control character"),
    ("a promise id of 0", jsonl(ZETA, promise(0)), 3, "whole number"),
    ("an event time of the wrong type",
     jsonl(ZETA, promise(1), event(1, 1, "kept", 20240102)), 4, "not a time"),
    ("kept after broken",
     jsonl(ZETA, promise(1), event(1, 1, "broken", jan(2)), event(2, 1, "kept", jan(3))), 5,
     "follows its broken outcome"),
    ("kept after kept",
     jsonl(ZETA, promise(1), event(1, 1, "kept", jan(2)), event(2, 1, "kept", jan(3))), 5,
     "follows its kept outcome"),
    ("renegotiated after kept",
     jsonl(ZETA, promise(1), event(1, 1, "kept", jan(2)),
           event(2, 1, "renegotiated", jan(3), due="2024-05-01T00:00:00Z")), 5,
     "follows its kept outcome"),
    ("kept after cancelled",
     jsonl(ZETA, promise(1), event(1, 1, "cancelled", jan(2)), event(2, 1, "kept", jan(3))), 5,
     "follows its cancelled outcome"),
    ("events out of time order",
     jsonl(ZETA, promise(1), event(1, 1, "renegotiated", jan(9), due="2024-04-01T00:00:00Z"),
           event(2, 1, "kept", jan(5))), 5, "time order"),
    ("an event before the promise",
     jsonl(ZETA, promise(1, made=jan(10)), event(1, 1, "kept", jan(5))), 4, "before its promise"),
    ("two voids of one event",
     jsonl(ZETA, promise(1), event(1, 1, "kept", jan(2)), event(2, 1, "void", jan(3), voids=1),
           event(3, 1, "void", jan(4), voids=1)), 6, "no standing event"),
    ("a void of an event of another promise",
     jsonl(ZETA, promise(1), event(1, 1, "kept", jan(2)), promise(2),
           event(2, 2, "kept", jan(2)), event(3, 2, "void", jan(3), voids=1)), 7,
     "last standing event"),
    ("a void of a void",
     jsonl(ZETA, promise(1), event(1, 1, "kept", jan(2)), event(2, 1, "void", jan(3), voids=1),
           event(3, 1, "void", jan(4), voids=2)), 6, "no standing event"),
    ("a renegotiation without a due date",
     jsonl(ZETA, promise(1, due=None), event(1, 1, "renegotiated", jan(2), due=jan(20))), 4,
     "no due date"),
    ("a renegotiation to an earlier time",
     jsonl(ZETA, promise(1), event(1, 1, "renegotiated", jan(5), due=jan(4))), 4,
     "after its own time"),
    ("merged_into a missing customer", jsonl(customer(1, "Zeta", 7)), 2, "no customer"),
    ("merged_into itself", jsonl(customer(1, "Zeta", 1)), 2, "itself"),
    ("merged_into a merged customer",
     jsonl(customer(1, "Zeta", 2), customer(2, "Eta", 3), customer(3, "Theta")), 2,
     "itself merged"),
    ("a customer after the promises", jsonl(ZETA, promise(1), customer(2, "Eta", 1)), 4,
     "after the promises"),
    ("one customer twice", jsonl(ZETA, customer(2, "ZETA")), 3, "again"),
    ("an id of 5,000 digits", jsonl('{"type": "customer", "id": ' + "9" * 5000 + "}"), 2,
     "not JSON"),
    ("an id beyond 64 bits", jsonl(customer(2**64, "Zeta")), 2, "whole number"),
    ("JSON nested 200,000 deep", jsonl("[" * 200_000 + "]" * 200_000), 2, "not JSON"),
    ("a number where a list goes", jsonl(ZETA, promise(1, tags=5)), 3, "tags"),
    ("an unhashable kind", jsonl(ZETA, promise(1, size=["small"])), 3, "size"),
    ("a merge change of a customer not merged",
     jsonl(ZETA, customer(2, "Eta"), {"type": "customer_change", "id": 1, "kind": "merge",
           "customer_id": 1, "into_id": 2, "old_name": "Zeta", "new_name": "Eta",
           "owner": "o", "at": T0}), 4, "not show"),
    ("an event with a due that is not a renegotiation",
     jsonl(ZETA, promise(1), event(1, 1, "kept", jan(2), due=jan(20))), 4,
     "only a renegotiation"),
]  # fmt: skip

CSV_HEADER = "customer,text,made,due,size,value,owner,status,resolved\n"
CSV_FILES: list[tuple[str, str, int, str]] = [
    ("csv: due far beyond the range",
     CSV_HEADER + "zeta,t,2024-01-01T00:00:00Z,9999-12-31T23:00:00-05:00,small,high,o,open,\n",
     2, "out of range"),
    ("csv: a field over 131,072 characters",
     CSV_HEADER + 'zeta,"' + "x" * 140_000 + '",2024-01-01T00:00:00Z,,small,high,o,open,\n', 2,
     "not CSV"),
    ("csv: an escaped lone surrogate",
     CSV_HEADER + "zeta,a<U+D800>b,2024-01-01T00:00:00Z,,small,high,o,open,\n", 2, "surrogate"),
    ("csv: an escaped escape character",
     CSV_HEADER + "zeta,a<U+001B>b,2024-01-01T00:00:00Z,,small,high,o,open,\n", 2,
     "control character"),
    ("csv: resolved in the future",
     CSV_HEADER + "zeta,t,2024-01-01T00:00:00Z,,small,high,o,kept,2999-01-01T00:00:00Z\n", 2,
     "in the future"),
    ("csv: one ref twice",
     "customer,text,made,due,size,value,owner,status,resolved,ref\n"
     "zeta,a,2024-01-01T00:00:00Z,,small,high,o,open,,r\n"
     "zeta,b,2024-01-01T00:00:00Z,,small,high,o,open,,r\n", 3, "twice"),
]  # fmt: skip

ALL_FILES = JSONL_FILES + CSV_FILES


def assert_refused(result: Any, line: int | None, says: str) -> None:
    """Exit 2, exactly one line on stderr naming the line, no traceback or internal error."""
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if line is not None:
        assert f"line {line}:" in result.stderr, result.stderr
    assert says in result.stderr, result.stderr
    assert result.stdout == ""


READS = [
    ("report",),
    ("report", "--json"),
    ("promise", "list", "--status", "all"),
    ("promise", "list", "--status", "all", "--format", "csv"),
    ("export",),
    ("export", "--format", "csv"),
    ("db", "check"),
    ("customer", "list"),
    ("agenda",),
]


def assert_reads_work(marry: Marry) -> None:
    for args in READS:
        result = marry(*args)
        assert result.exit_code == 0, (args, result.exit_code, result.stderr)
    gate = marry("check", "--max-overdue", "100")
    assert gate.exit_code in (0, 1), gate.stderr


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / ("hostile.csv" if name.startswith("csv:") else "hostile.jsonl")
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    return path


def _every_file_on_sqlite_and_a_third_on_postgresql() -> list[Any]:
    """Checking a file is the same code on both backends; the suite's time is not free."""
    sqlite, postgresql = BACKENDS
    cases = [pytest.param(sqlite, *f, id=f"sqlite-{f[0]}") for f in ALL_FILES]
    cases += [
        pytest.param("postgresql", *f, id=f"postgresql-{f[0]}", marks=postgresql.marks)
        for f in ALL_FILES[::3]
    ]
    return cases


@pytest.fixture
def seeded(backend, tmp_path, seeded_ledgers) -> Marry:
    """`marry` on the ledger test_transfer's `seed` records (recorded once per backend)."""
    marry, _ = seeded_ledgers.marry(backend, seed, tmp_path)
    return marry


@pytest.mark.parametrize(
    ("backend", "name", "content", "line", "says"),
    _every_file_on_sqlite_and_a_third_on_postgresql(),
)
def test_a_hostile_file_changes_nothing(seeded, tmp_path, name, content, line, says):
    marry = seeded
    before = marry.rows()
    path = write(tmp_path, name, content)
    assert_refused(marry("import", str(path)), line, says)
    assert marry.rows() == before
    # Rows byte-for-byte unchanged means every read shows what it showed before; the reads
    # themselves are run on every fourth file (and on each kind of file in the tests below).
    if ALL_FILES.index((name, content, line, says)) % 4 == 0:
        assert_reads_work(marry)


@pytest.mark.parametrize(("name", "content", "line", "says"), ALL_FILES[::4],
                         ids=[f[0] for f in ALL_FILES[::4]])  # fmt: skip
def test_a_hostile_file_creates_no_ledger(backend, tmp_path, request, name, content, line, says):
    if backend == "postgresql":
        db = request.getfixturevalue("postgres_url")
    else:
        db = str(tmp_path / "new" / "ledger.db")
    fresh = Marry(db=db, backend=backend)
    assert_refused(fresh("import", str(write(tmp_path, name, content))), line, says)
    assert ledger_rows(db) == {} if backend == "sqlite" else _no_tables(db)
    if backend == "sqlite":
        assert not (tmp_path / "new").exists() or list((tmp_path / "new").iterdir()) == []


def _no_tables(url: str) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT to_regclass('marry_promise')")).scalar() is None
    finally:
        engine.dispose()


# -- the directory ---------------------------------------------------------------------------


def test_a_file_cannot_merge_the_ledgers_customers(marry, tmp_path):
    """Issue 9: two customer lines made every acme promise show under Evil Corp, unrecorded."""
    marry.add("Ship SSO", "acme")
    before = marry.rows()
    path = write(tmp_path, "evil", jsonl(customer(1, "acme", 2), customer(2, "Evil Corp")))
    assert_refused(marry("import", str(path)), 2, "'acme' merged into 'Evil Corp'")
    assert marry.rows() == before
    assert [c["customer"] for c in marry.json("customer", "list")] == ["acme"]


def test_a_file_cannot_move_an_alias_to_another_customer(marry, tmp_path):
    marry.add("one", "acme")
    marry.add("two", "globex")
    marry.add("three", "acme gmbh")
    marry.ok("customer", "merge", "acme gmbh", "acme")
    before = marry.rows()
    path = write(tmp_path, "moved", jsonl(customer(1, "acme gmbh", 2), customer(2, "globex")))
    assert_refused(marry("import", str(path)), 2, "merged into 'acme'")
    assert marry.rows() == before


def test_a_file_may_add_customers_merged_as_the_ledger_has_them(marry, tmp_path):
    marry.add("one", "acme")
    marry.add("three", "acme gmbh")
    marry.ok("customer", "merge", "acme gmbh", "acme")
    path = write(
        tmp_path,
        "fine",
        jsonl(customer(1, "acme"), customer(2, "ACME GmbH", 1), customer(3, "acme inc", 1),
              customer(4, "new co"), promise(1, 3, made=jan(2))),
    )  # fmt: skip
    marry.ok("import", str(path))
    listed = {c["customer"]: c["merged"] for c in marry.json("customer", "list")}
    assert listed == {"acme": ["acme gmbh", "acme inc"], "new co": []}
    assert [p["customer"] for p in marry.json("promise", "list", "--status", "all")][-1] == "acme"
    assert marry("db", "check").exit_code == 0


# -- through the installed command -------------------------------------------------------------


INSTALLED = [
    "due far beyond the range",
    "a lone surrogate in a text",
    "kept after broken",
    "JSON nested 200,000 deep",
    "csv: a field over 131,072 characters",
]


@pytest.mark.slow
@pytest.mark.parametrize("name", INSTALLED)
def test_the_installed_marry_refuses_hostile_files(seeded_ledgers, tmp_path, name):
    _, content, line, says = next(f for f in ALL_FILES if f[0] == name)
    sqlite_marry, _ = seeded_ledgers.marry("sqlite", seed, tmp_path)
    before = sqlite_marry.rows()
    result = run_marry("--db", sqlite_marry.db, "import", str(write(tmp_path, name, content)))
    assert_refused(result, line, says)
    assert sqlite_marry.rows() == before
    assert run_marry("--db", sqlite_marry.db, "db", "check").exit_code == 0


def test_not_utf8_names_its_line(sqlite_marry, tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(jsonl(ZETA).encode() + b'{"type": "promise", "text": "caf\xe9"}\n')
    assert_refused(sqlite_marry("import", str(path)), 3, "not UTF-8")


def test_a_byte_order_mark_is_allowed(sqlite_marry, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text("\ufeff" + CSV_HEADER + "zeta,t,2024-01-01T00:00:00Z,,small,high,o,open,\n")
    sqlite_marry.ok("import", str(path))
    assert [p["customer"] for p in sqlite_marry.json("promise", "list")] == ["zeta"]


# -- leftovers ------------------------------------------------------------------------------


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_staging_files_of_dead_imports_are_removed(sqlite_marry, tmp_path):
    folder = tmp_path
    dead = _dead_pid()
    stale = [folder / f".ledger.db.import-{dead}{s}" for s in ("", "-wal", "-shm")]
    alive = folder / f".ledger.db.import-{os.getppid()}"  # a live process: left alone
    for path in [*stale, alive]:
        path.write_bytes(b"x")
    good = write(tmp_path, "good", jsonl(ZETA, promise(1)))
    sqlite_marry.ok("import", str(good))
    assert [p for p in stale if p.exists()] == []
    assert alive.exists()


def test_an_empty_export_creates_no_ledger(backend, tmp_path, request):
    db = (
        request.getfixturevalue("postgres_url")
        if backend == "postgresql"
        else str(tmp_path / "ledger.db")
    )
    fresh = Marry(db=db, backend=backend)
    result = fresh.ok("import", str(write(tmp_path, "empty", jsonl())))
    assert "imported 0 promise(s)" in result.stderr
    if backend == "sqlite":
        assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.jsonl"]
    else:
        assert _no_tables(db)


@pytest.mark.slow
@pytest.mark.slow
def test_a_killed_import_into_a_new_ledger_leaves_nothing(tmp_path):
    path = tmp_path / "big.jsonl"
    _big_export(path, 200_000)
    folder = tmp_path / "ledgers"
    folder.mkdir()
    db = folder / "ledger.db"
    process = subprocess.Popen(
        [marry_executable(), "--db", str(db), "import", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    staging = folder / f".ledger.db.import-{process.pid}-wal"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if staging.exists() and staging.stat().st_size > 1_000_000:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the import ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not db.exists()
    assert any(p.name.startswith(".ledger.db.import-") for p in folder.iterdir())
    # The next import removes what the killed one left, and leaves only the ledger.
    small = write(tmp_path, "small", jsonl(ZETA, promise(1)))
    Marry(db=str(db), backend="sqlite").ok("import", str(small))
    assert sorted(p.name for p in folder.iterdir()) == ["ledger.db"]
