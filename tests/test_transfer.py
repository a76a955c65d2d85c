"""`marry export` and `marry import`: lossless round trips, idempotence, all or nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import Marry, marry_executable
from ledgers import day
from marrycli.dates import format_utc


def at(days: float) -> str:
    return format_utc(day(days))


def seed(marry: Marry) -> None:
    """A ledger with every kind of record: outcomes, renegotiation, void, cancel, merge, refs."""
    a = marry.add("Ship SSO", "Acme", "--made", at(0), "--due", at(10), "--ref", "r-1",
                  "--tag", "sso", "--size", "large", "--owner", "Dana")  # fmt: skip
    marry.ok("renegotiate", str(a), "--at", at(2), "--due", at(20), "--note", "vendor")
    marry.ok("keep", str(a), "--at", at(19), "--ref", "r-1-keep")
    b = marry.add("Fix export", "Acme GmbH", "--made", at(1), "--due", at(5))
    marry.ok("break", str(b), "--at", at(6))
    marry.ok("undo", str(b), "--note", "wrong one")
    marry.ok("keep", str(b), "--at", at(7), "--note", "late but done")
    c = marry.add("Workshop", "globex", "--made", at(3), "--value", "low")
    marry.ok("promise", "cancel", str(c), "--note", "customer dropped it")
    marry.add("Open thing", "globex", "--made", at(4), "--due", at(8))
    marry.add("Later", "initech", "--made", at(5))
    marry.ok("customer", "merge", "acme gmbh", "acme")
    marry.ok("customer", "rename", "initech", "Initech Ltd")


def reports(marry: Marry) -> tuple[object, ...]:
    """What the ledger says: the report, each customer in detail, the customer list."""
    as_of = at(30)
    everyone = marry.json("report", "--as-of", as_of)
    details = [
        marry.json("report", "--customer", c["customer"], "--as-of", as_of)
        for c in everyone["customers"]
    ]
    for detail in details:
        for promise in detail["promises_detail"]:
            del promise["id"]  # ids are new in the target ledger
    return everyone, details, marry.json("customer", "list")


def export(marry: Marry, tmp_path, name: str = "ledger.jsonl"):
    path = tmp_path / name
    marry.ok("export", "--output", str(path))
    return path


def test_export_import_round_trip_keeps_every_report(marry, tmp_path):
    seed(marry)
    path = export(marry, tmp_path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["format"] == "marry-export" and lines[0]["version"] == 3
    assert {line["type"] for line in lines[1:]} == {
        "customer",
        "customer_change",
        "promise",
        "event",
    }
    target = Marry(db=str(tmp_path / "target.db"), backend="sqlite")
    target.ok("import", str(path))
    assert reports(target) == reports(marry)
    before = target.rows()
    again = target("import", str(path))
    assert (
        again.exit_code == 0
        and "0 promise(s)" in again.stderr
        and "5 already there" in again.stderr
    )
    assert target.rows() == before
    # The export of the copy is the export of the original, but for ids and the header.
    copy = export(target, tmp_path, "copy.jsonl")
    assert _without_ids(copy) == _without_ids(path)


def _without_ids(path) -> list[str]:
    """An export with its ids replaced by what they name (names, positions): comparable."""
    records = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    names = {r["id"]: r["name"] for r in records if r["type"] == "customer"}
    out: list[str] = []
    events: list[dict] = []
    for r in records:
        if r["type"] == "customer":
            r = {**r, "merged_into": names.get(r["merged_into"])}
        elif r["type"] == "customer_change":
            r = {**r, "customer_id": names[r["customer_id"]], "into_id": names.get(r["into_id"])}
        elif r["type"] == "promise":
            events = []
            r = {**r, "customer_id": names[r["customer_id"]]}
        else:
            position = {e["id"]: i for i, e in enumerate(events)}
            events.append(r)
            r = {
                **r,
                "position": len(events),
                "voids": position.get(r["voids"]),
                "promise_id": None,
            }
        out.append(json.dumps({k: v for k, v in r.items() if k != "id"}, sort_keys=True))
    return sorted(out)


@pytest.mark.postgres
def test_sqlite_to_postgres_and_back(sqlite_marry, pg_marry, tmp_path):
    seed(sqlite_marry)
    pg_marry.ok("import", str(export(sqlite_marry, tmp_path, "from-sqlite.jsonl")))
    assert reports(pg_marry) == reports(sqlite_marry)
    back = Marry(db=str(tmp_path / "back.db"), backend="sqlite")
    back.ok("import", str(export(pg_marry, tmp_path, "from-pg.jsonl")))
    assert reports(back) == reports(sqlite_marry)
    before = pg_marry.rows()
    pg_marry.ok("import", str(tmp_path / "from-sqlite.jsonl"))
    assert pg_marry.rows() == before


def test_csv_export_is_neutralised_and_reimports_to_the_same_names(marry, tmp_path):
    customer = '=HYPERLINK("http://x")'
    marry.ok(
        "promise",
        "add",
        "-c",
        customer,
        "--made",
        at(0),
        "--due",
        at(3),
        "--",
        "-cmd|' /C calc'!A0",
    )
    marry.ok("keep", "1", "--at", at(2))
    marry.add("+plain", "@acme", "--made", at(1), "--due", at(2))
    marry.ok("break", "2", "--at", at(4))
    marry.add("open one", "acme", "--made", at(1))
    out = marry.ok("export", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["customer"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["text"] == "'-cmd|' /C calc'!A0"
    assert rows[1]["customer"] == "'@acme" and rows[1]["text"] == "'+plain"
    path = tmp_path / "promises.csv"
    path.write_text(out)
    target = Marry(db=str(tmp_path / "target.db"), backend="sqlite")
    target.ok("import", str(path))
    assert [
        (p["customer"], p["text"], p["status"])
        for p in target.json("promise", "list", "--status", "all")
    ] == [
        ('=HYPERLINK("http://x")', "-cmd|' /C calc'!A0", "kept"),
        ("@acme", "+plain", "broken"),
        ("acme", "open one", "open"),
    ]
    before = target.rows()
    target.ok("import", str(path))
    assert target.rows() == before
    assert target.json("report", "--as-of", at(5)) == marry.json("report", "--as-of", at(5))


BAD_FILES = [
    ("not json", ['{"format": "marry-export", "version": 1}', "{oops"], "not JSON"),
    ("no header", ['{"type": "customer"}'], "line 1: not a marry export"),
    ("newer format", ['{"format": "marry-export", "version": 9}'], "version 9"),
    ("unknown type", ['{"format": "marry-export", "version": 1}', '{"type": "x"}'], "type 'x'"),
    (
        "bad size",
        [
            '{"format": "marry-export", "version": 1}',
            '{"type": "customer", "id": 901, "name": "zeta", "merged_into": null, "created": "2024-01-01T00:00:00Z"}',
            '{"type": "promise", "id": 901, "customer_id": 901, "text": "x", "made": "2024-01-01T00:00:00Z", "due": null, "size": "huge", "value": "high", "owner": "o", "tags": [], "ref": null, "recorded": "2024-01-01T00:00:00Z"}',
        ],
        "size 'huge'",
    ),
    (
        "unknown customer",
        [
            '{"format": "marry-export", "version": 1}',
            '{"type": "promise", "id": 901, "customer_id": 7, "text": "x", "made": "2024-01-01T00:00:00Z", "due": null, "size": "small", "value": "high", "owner": "o", "tags": [], "ref": null, "recorded": "2024-01-01T00:00:00Z"}',
        ],
        "customer_id 7",
    ),
    (
        "control character",
        [
            '{"format": "marry-export", "version": 1}',
            '{"type": "customer", "id": 901, "name": "ac\\u001bme", "merged_into": null, "created": "2024-01-01T00:00:00Z"}',
        ],
        "the customer's name contains a control character",
    ),
]


@pytest.fixture
def seeded(backend, tmp_path, seeded_ledgers) -> Marry:
    """`marry` on the ledger `seed` records (recorded once per backend), for refused imports."""
    marry, _ = seeded_ledgers.marry(backend, seed, tmp_path)
    return marry


@pytest.mark.parametrize(("name", "lines", "says"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_line_stops_the_import_and_writes_nothing(seeded, tmp_path, name, lines, says):
    marry = seeded
    before = marry.rows()
    good = export(marry, tmp_path).read_text().splitlines()
    path = tmp_path / "bad.jsonl"
    # The bad lines come after a whole good ledger, so a partial write would show.
    path.write_text("\n".join([good[0], *lines[1:]] if len(lines) > 1 else lines) + "\n")
    if name not in ("no header", "newer format"):
        # A file lists customers first: bad customer lines go after the good ones.
        customers = [line for line in lines[1:] if '"type": "customer"' in line]
        others = [line for line in lines[1:] if line not in customers]
        split = next(i for i, line in enumerate(good) if '"customer_change"' in line)
        path.write_text("\n".join([*good[:split], *customers, *good[split:], *others]) + "\n")
    fresh = Marry(db=str(tmp_path / "fresh.db"), backend="sqlite")
    for target in (marry, fresh):
        result = target("import", str(path))
        assert result.exit_code == 2, result.stderr
        assert says in result.stderr and "line " in result.stderr, result.stderr
    assert marry.rows() == before
    assert not (tmp_path / "fresh.db").exists()
    assert [p.name for p in tmp_path.iterdir() if "import" in p.name] == []


def test_a_bad_csv_row_names_its_line(sqlite_marry, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "customer,text,made,due,size,value,owner,status,resolved\n"
        "acme,ok,2024-01-01T00:00:00Z,,small,high,o,open,\n"
        "acme,bad,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,small,high,o,kept,2024-01-05T00:00:00Z\n"
    )
    result = sqlite_marry("import", str(path))
    assert result.exit_code == 2 and "line 3: status kept, but resolved after due" in result.stderr
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()
    path.write_text("customer,text\nacme,x\n")
    assert "lacks the column(s) made" in sqlite_marry("import", str(path)).stderr


def test_export_output_is_written_whole_or_not_at_all(tmp_path):
    broken = tmp_path / "not-a-ledger.db"
    broken.write_text("hello")
    out = tmp_path / "out.jsonl"
    result = Marry(db=str(broken), backend="sqlite")("export", "--output", str(out))
    assert result.exit_code == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-ledger.db"]


def _big_export(path, promises: int) -> None:
    with path.open("w") as out:
        out.write('{"format": "marry-export", "version": 1}\n')
        out.write('{"type": "customer", "id": 1, "name": "big", "merged_into": null, '
                  '"created": "2024-01-01T00:00:00Z"}\n')  # fmt: skip
        for i in range(1, promises + 1):
            out.write(
                f'{{"type": "promise", "id": {i}, "customer_id": 1, "text": "p{i}", '
                f'"made": "2024-01-01T00:00:00Z", "due": "2024-02-01T00:00:00Z", "size": "small", '
                f'"value": "high", "owner": "o", "tags": [], "ref": "big-{i}", '
                f'"recorded": "2024-01-01T00:00:00Z"}}\n'
                f'{{"type": "event", "id": {i}, "promise_id": {i}, "kind": "kept", '
                f'"at": "2024-01-15T00:00:00Z", "due": null, "note": null, "owner": "o", '
                f'"ref": null, "voids": null, "recorded": "2024-01-15T00:00:00Z"}}\n'
            )


@pytest.mark.slow
def test_sigkill_during_an_import_leaves_the_ledger_as_it_was(sqlite_marry, tmp_path):
    seed(sqlite_marry)
    before = sqlite_marry.rows()
    path = tmp_path / "big.jsonl"
    _big_export(path, 200_000)
    wal = sqlite_marry.path.with_name("ledger.db-wal")
    process = subprocess.Popen(
        [marry_executable(), "--db", sqlite_marry.db, "import", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    start_size = wal.stat().st_size if wal.exists() else 0
    while time.monotonic() < deadline and process.poll() is None:
        if wal.exists() and wal.stat().st_size > start_size + 1_000_000:
            break  # well into writing
        time.sleep(0.02)
    assert process.poll() is None, "the import ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert sqlite_marry.rows() == before
    checked = sqlite_marry("db", "check")
    assert checked.exit_code == 0, checked.stderr


def _smuggle(marry: Marry, text: str) -> None:
    """Put a text the CLI refuses into the ledger behind marry's back (SQLite)."""
    import sqlite3

    with sqlite3.connect(marry.db) as conn:
        conn.execute("UPDATE marry_promise SET text = ? WHERE id = 1", (text,))
    conn.close()


def test_csv_never_prints_raw_control_characters(sqlite_marry):
    sqlite_marry.add("Ship SSO", "acme", "--tag", "a;b", "--tag", "-x")
    _smuggle(sqlite_marry, "a\x1b]0;owned\x07b\x08\u202e<U+0041>")
    for args in (("export", "--format", "csv"), ("promise", "list", "--format", "csv")):
        out = sqlite_marry.ok(*args).stdout
        assert out.isprintable() or out.replace("\n", "").isprintable(), repr(out)
        assert "a<U+001B>]0;owned<U+0007>b<U+0008><U+202E><U+003C>U+0041>" in out
        assert "a<U+003B>b;-x" in out  # only a cell's start is guarded
    out = sqlite_marry.ok("export").stdout  # JSONL: lossless, but escaped
    assert out.replace("\n", "").isprintable()
    assert "\\u001b]0;owned\\u0007b\\b\\u202e<U+0041>" in out


def test_csv_escapes_round_trip_through_import(sqlite_marry, tmp_path):
    texts = ["right\u202eto left", "<U+0041> literally", "'=quoted", "''+twice", "\u2066isolate"]
    for number, text in enumerate(texts):
        sqlite_marry.add(text, "acme", "--tag", "a;b", "--tag", "<U+003B>", "--made", at(number))
    path = tmp_path / "p.csv"
    path.write_text(sqlite_marry.ok("export", "--format", "csv").stdout)
    target = Marry(db=str(tmp_path / "target.db"), backend="sqlite")
    target.ok("import", str(path))
    got = target.json("promise", "list", "--status", "all")
    assert [(p["text"], p["tags"]) for p in got] == [(t, ["a;b", "<U+003B>"]) for t in texts]


def test_a_csv_with_a_smuggled_control_character_is_refused(sqlite_marry, tmp_path):
    sqlite_marry.add("Ship SSO", "acme")
    _smuggle(sqlite_marry, "a\x1bb")
    path = tmp_path / "p.csv"
    path.write_text(sqlite_marry.ok("export", "--format", "csv").stdout)
    result = Marry(db=str(tmp_path / "target.db"), backend="sqlite")("import", str(path))
    assert result.exit_code == 2 and "line 2:" in result.stderr
    assert "control character (U+001B)" in result.stderr


def test_db_check_finds_a_history_out_of_time_order(sqlite_marry):
    import sqlite3

    pid = sqlite_marry.add("Ship SSO", "acme", "--made", at(0), "--due", at(10))
    sqlite_marry.ok("renegotiate", str(pid), "--at", at(5), "--due", at(20))
    sqlite_marry.ok("keep", str(pid), "--at", at(6))
    assert sqlite_marry("db", "check").exit_code == 0
    with sqlite3.connect(sqlite_marry.db) as conn:  # the keep moved before the renegotiation
        conn.execute("UPDATE marry_event SET at = at - 2 * 86400000000 WHERE kind = 'kept'")
    conn.close()
    result = sqlite_marry("db", "check")
    assert result.exit_code == 3 and "time order" in result.stderr, result.stderr
