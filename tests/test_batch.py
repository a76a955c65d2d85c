"""`marry batch` (SPEC §10): JSON lines of writes, all or nothing or line by line, through the
rules of the single commands; and eight batches at once against one ledger."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import ledger_rows, marry_executable
from test_discipline_cli import trusted_acme_and_a_poor_large_record


def lines(*records: dict[str, Any] | str) -> str:
    """A batch: each record a JSON line (a string as it is)."""
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def results(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


EVERY_OP = lines(
    {"op": "add", "text": "Ship SSO", "customer": "acme", "due": "+3d", "ref": "sso"},
    {
        "op": "add",
        "text": "Fix login",
        "customer": "Acme",
        "due": "+2d",
        "tags": ["q4"],
        "size": "small",
        "value": "low",
        "owner": "lee",
        "ref": "login",
    },
    {"op": "keep", "id": "ref:sso", "note": "shipped", "ref": "sso-keep"},
    {"op": "amend", "id": "ref:login", "size": "large", "tag": ["eu"], "untag": ["q4"]},
    {"op": "renegotiate", "id": "ref:login", "due": "+5d", "note": "vendor"},
    {"op": "undo", "id": "ref:login", "note": "not moved after all"},
    {"op": "break", "id": "ref:login", "at": "now"},
    "",  # blank lines are skipped; line numbers stay those of the file
    {"op": "add", "text": "Call back", "customer": "globex", "tag": "phone"},
    {"op": "cancel", "id": 3, "note": "customer dropped it", "ref": "cb-cancel"},
)


def test_every_op_applies_in_order_and_prints_the_promise_after_each(marry):
    done = marry.ok("batch", input=EVERY_OP)
    got = results(done.stdout)
    assert [(r["id"], r["status"]) for r in got] == [
        (1, "open"), (2, "open"), (1, "kept"), (2, "open"), (2, "open"), (2, "open"),
        (2, "broken"), (3, "open"), (3, "cancelled"),
    ]  # fmt: skip
    # The same object as `promise show --json` without its events (as `promise add --json`).
    shown = marry.json("promise", "show", "2")
    del shown["events"]
    assert got[6] == shown
    assert (shown["size"], shown["tags"], shown["value"], shown["owner"]) == (
        "large", ["eu"], "low", "lee"
    )  # fmt: skip
    assert got[4]["renegotiations"] == 1 and got[5]["renegotiations"] == 0
    assert got[4]["due"] > got[3]["due"] == got[5]["due"]
    assert got[7]["tags"] == ["phone"] and got[7]["owner"] == "tester"
    kinds = [e["kind"] for e in marry.json("promise", "show", "ref:login")["events"]]
    assert kinds == ["amended", "renegotiated", "void", "broken"]
    assert done.stderr == "marry: batch: 9 line(s) written\n"


def test_a_file_and_dash_read_like_standard_input(marry, tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text(lines({"op": "add", "text": "A", "customer": "acme", "ref": "a"}))
    assert results(marry.ok("batch", str(path)).stdout)[0]["id"] == 1
    again = marry.ok("batch", "-", input=path.read_bytes())
    assert results(again.stdout)[0]["id"] == 1
    assert "1 already recorded (nothing added)" in again.stderr
    assert len(marry.rows()["marry_promise"]) == 1


def test_a_bad_line_stops_the_batch_names_it_and_writes_nothing(marry):
    marry.add("Seeded", "acme")
    before = marry.rows()
    batch = lines(
        {"op": "add", "text": "New", "customer": "acme"},
        {"op": "keep", "id": 1},
        {"op": "keep", "id": 99},
        {"op": "add", "text": "Never reached", "customer": "acme"},
    )
    failed = marry("batch", input=batch)
    assert failed.exit_code == 2 and failed.stdout == ""
    assert failed.stderr.startswith("marry: error: line 3: keep: there is no promise 99")
    assert failed.stderr.count("\n") == 1
    assert marry.rows() == before


def test_a_conflict_later_in_the_batch_rolls_back_what_came_before(marry):
    marry.add("Seeded", "acme")
    before = marry.rows()
    batch = lines(
        {"op": "add", "text": "A", "customer": "acme", "ref": "a"},
        {"op": "keep", "id": "ref:a"},
        {"op": "break", "id": "ref:a"},
    )
    failed = marry("batch", input=batch)
    assert failed.exit_code == 2
    assert "line 3: break: promise 2 is already kept; if that was a mistake" in failed.stderr
    assert marry.rows() == before


def test_each_commits_line_by_line_reports_each_and_exits_2_at_the_end(marry):
    batch = lines(
        {"op": "add", "text": "A", "customer": "acme"},
        {"op": "keep", "id": 99},
        "not json",
        {"op": "keep", "id": 1},
        {"op": "keep", "id": 1},  # a repeat: a no-op, not a failure
        {"op": "add", "text": "B", "customer": "acme", "colour": "red"},
        {"op": "add", "text": "C", "customer": "globex"},
    )
    done = marry("batch", "--each", input=batch)
    assert done.exit_code == 2
    got = results(done.stdout)
    assert [r.get("id", r.get("line")) for r in got] == [1, 2, 3, 1, 1, 6, 2]
    assert got[1] == {"line": 2, "error": got[1]["error"]}
    assert got[1]["error"].startswith("keep: there is no promise 99")
    assert got[2]["error"].startswith("not JSON (")
    assert got[5]["error"].startswith("add: unknown field 'colour'; add takes text, customer")
    assert (got[3]["status"], got[4]["status"]) == ("kept", "kept")
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert [e.split(":")[2] for e in errors[:3]] == [" line 2", " line 3", " line 6"]
    assert done.stderr.splitlines()[-1] == (
        "marry: error: batch: 3 line(s) written, 1 already recorded (nothing added); "
        "3 of 7 failed (line 2, 3, 6)"
    )
    rows = marry.rows()
    assert [row[2] for row in rows["marry_promise"]] == ["A", "C"]  # (id, customer_id, text...)
    assert len(rows["marry_event"]) == 1


def test_a_retried_batch_with_refs_records_nothing_new_and_prints_the_same(marry):
    batch = lines(
        {"op": "add", "text": "A", "customer": "acme", "due": "+2d", "ref": "run1-a"},
        {"op": "add", "text": "B", "customer": "acme", "due": "+3d", "ref": "run1-b"},
        {"op": "keep", "id": "ref:run1-a", "ref": "run1-keep-a"},
        {"op": "amend", "id": "ref:run1-b", "size": "large", "ref": "run1-amend-b"},
        {"op": "renegotiate", "id": "ref:run1-b", "due": "+9d", "ref": "run1-reneg-b"},
        {"op": "undo", "id": "ref:run1-a", "ref": "run1-undo-a"},
        {"op": "cancel", "id": "ref:run1-a", "note": "dropped", "ref": "run1-cancel-a"},
    )
    first = marry.ok("batch", input=batch)
    rows = marry.rows()
    for _ in range(2):
        again = marry.ok("batch", input=batch)
        assert marry.rows() == rows
        assert again.stdout.splitlines()[-1] == first.stdout.splitlines()[-1]
        assert "7 already recorded (nothing added)" in again.stderr
    # A ref used for something else is a conflict, as in the single commands.
    reused = marry("batch", input=lines({"op": "keep", "id": "ref:run1-b", "ref": "run1-a"}))
    assert reused.exit_code == 2
    assert "line 1: keep: --ref run1-a is already used for another promise" in reused.stderr
    assert marry.rows() == rows


def test_strict_refuses_a_risky_add_as_that_line_s_error_and_without_it_no_guard(marry):
    trusted_acme_and_a_poor_large_record(marry)
    before = marry.rows()
    risky = {"op": "add", "text": "Migrate", "customer": "acme", "size": "large",
             "owner": "lee", "due": "+7d"}  # fmt: skip
    batch = lines({"op": "add", "text": "Notes", "customer": "acme", "size": "small"}, risky)
    refused = marry("batch", "--strict", input=batch)
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr.startswith("marry: line 2: add: refused (--strict): acme is trusted")
    assert marry.rows() == before
    each = marry("batch", "--each", "--strict", input=batch)
    assert each.exit_code == 1  # only refusals: a gate said no
    got = results(each.stdout)
    assert got[0]["text"] == "Notes"
    assert got[1]["line"] == 2 and got[1]["error"].startswith("add: refused (--strict):")
    # A typo of a known customer is refused under --strict only.
    typo = lines({"op": "add", "text": "X", "customer": "acmee"})
    assert "did you mean 'acme'?" in marry("batch", "--strict", input=typo).stderr
    unweighed = marry("batch", input=batch + typo)  # no guard, no typo check, no warning
    assert unweighed.exit_code == 0
    assert unweighed.stderr == "marry: batch: 3 line(s) written\n"
    another = lines({"op": "add", "text": "X", "customer": "acmme"})
    assert marry("batch", input=another, MARRY_STRICT="1").exit_code == 1  # the setting counts
    assert marry("batch", "--no-strict", input=another, MARRY_STRICT="1").exit_code == 0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not JSON ("),
        ("[1, 2]", "line 2: not a JSON object but [1, 2]"),
        ('{"text": "x"}', 'line 2: "op" is missing; give one of add, keep, break'),
        ('{"op": "kepp", "id": 1}', "line 2: op 'kepp' is not one of add, keep"),
        (
            '{"op": "keep", "id": 1, "due": "+1d"}',
            "line 2: keep: unknown field 'due'; keep takes id, at, note, ref",
        ),
        ('{"op": "keep", "id": true}', "line 2: keep: id is not a promise number or ref:KEY: True"),
        ('{"op": "keep", "id": "x1"}', "line 2: keep: 'x1' is not a promise id"),
        ('{"op": "keep", "id": 1, "note": 5}', "line 2: keep: note is not text: 5"),
        ('{"op": "keep", "id": 1, "at": "someday"}', "line 2: keep: at: "),
        (
            '{"op": "add", "text": "a\\u0007b", "customer": "acme"}',
            "line 2: add: text contains a control character (U+0007)",
        ),
        (
            '{"op": "add", "text": "\\ud800", "customer": "acme"}',
            "line 2: add: text contains a lone surrogate",
        ),
        (
            '{"op": "add", "text": "a", "customer": "acme", "size": "huge"}',
            "line 2: add: size 'huge' is not one of small, medium, large",
        ),
        (
            '{"op": "add", "text": "a", "customer": "acme", "tags": [1]}',
            "line 2: add: tags is not a list of texts",
        ),
        ('{"op": "add", "text": "a"}', "line 2: add: customer is missing"),
        (
            '{"op": "add", "text": "a", "customer": "c", "due": "2020-01-01"}',
            "line 2: add: --due 2020-01-01",
        ),
        ('{"op": "cancel", "id": 1}', "line 2: cancel: note is missing"),
        ('{"op": "renegotiate", "id": 1}', "line 2: renegotiate: due is missing"),
        ('{"op": "amend", "id": 1}', "line 2: amend: nothing to amend"),
        ('{"op": "keep", "id": 1, "id": 2}', "line 2: the field 'id' is given twice"),
        ('{"op": "keep", "id": NaN}', "line 2: NaN is not a JSON number"),
    ],
)
def test_bad_input_of_the_batch_names_the_line_and_creates_no_ledger(sqlite_marry, line, message):
    marry = sqlite_marry
    batch = lines({"op": "add", "text": "fine", "customer": "acme"}, line)
    failed = marry("batch", input=batch)
    assert failed.exit_code == 2, failed.stderr
    assert failed.stderr.startswith(f"marry: error: {message}"), failed.stderr
    assert failed.stderr.count("\n") == 1 and failed.stdout == ""
    assert not Path(marry.db).exists()
    each = marry("batch", "--each", input=batch)  # the good line is recorded, the bad reported
    assert each.exit_code == 2
    got = results(each.stdout)
    assert got[0]["id"] == 1 and got[1]["line"] == 2
    assert f"line 2: {got[1]['error']}".startswith(message)


def test_input_that_is_not_utf8_and_a_missing_file_are_bad_input(sqlite_marry, tmp_path):
    marry = sqlite_marry
    failed = marry("batch", input=b'{"op": "add", "text": "caf\xe9", "customer": "acme"}\n')
    assert failed.exit_code == 2
    assert failed.stderr.startswith("marry: error: line 1: not UTF-8 text")
    missing = marry("batch", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2
    assert (
        missing.stderr.startswith("marry: error: cannot read ") and "No such file" in missing.stderr
    )
    assert not Path(marry.db).exists()


def test_when_strings_are_read_as_on_the_command_line_with_one_now(marry):
    batch = lines(
        {"op": "add", "text": "A", "customer": "acme", "made": "2026-01-05", "due": "2026-01-09"},
        {"op": "keep", "id": 1, "at": "2026-01-09"},
    )
    got = results(marry.ok("batch", input=batch).stdout)
    assert got[0]["made"] == "2026-01-05T00:00:00Z"  # a bare day: its start for made and at
    assert got[0]["due"] == "2026-01-09T23:59:59.999999Z"  # and its end for due
    assert got[1]["resolved"] == "2026-01-09T00:00:00Z" and got[1]["status"] == "kept"
    adds = lines(*({"op": "add", "text": f"p{i}", "customer": "c"} for i in range(3)))
    made = {r["made"] for r in results(marry.ok("batch", input=adds).stdout)}
    assert len(made) == 1  # one `now` for the whole batch


def test_an_empty_batch_writes_nothing_and_creates_no_ledger(sqlite_marry):
    done = sqlite_marry.ok("batch", input="\n\n")
    assert done.stdout == "" and "0 line(s) written" in done.stderr
    assert not Path(sqlite_marry.db).exists()


# -- what a batch's transaction remembers of its own writes (storage/repo/memo.py) ------------


def test_later_lines_read_what_earlier_lines_wrote_and_each_write_shows_its_own_result(marry):
    marry.add("Seeded", "Globex")  # a promise from before the batch, read and locked by it
    batch = lines(
        {"op": "add", "text": "A", "customer": "Initech", "due": "+2d", "ref": "a"},
        {"op": "add", "text": "B", "customer": " initech ", "due": "+3d", "ref": "b"},
        {"op": "keep", "id": "ref:a", "ref": "keep-a"},
        {"op": "amend", "id": "ref:b", "text": "B, amended", "tag": ["eu"]},
        {"op": "keep", "id": "ref:b"},
        {"op": "undo", "id": "ref:b"},
        {"op": "amend", "id": 1, "owner": "lee"},
        {"op": "undo", "id": "ref:b"},  # voids the amendment: B's terms as first recorded
        {"op": "keep", "id": 1, "ref": "keep-1"},
        {"op": "keep", "id": "ref:a"},  # already kept: a no-op
    )
    got = results(marry.ok("batch", input=batch).stdout)
    assert [(r["id"], r["status"]) for r in got] == [
        (2, "open"), (3, "open"), (2, "kept"), (3, "open"), (3, "kept"), (3, "open"),
        (1, "open"), (3, "open"), (1, "kept"), (2, "kept"),
    ]  # fmt: skip
    assert [r["customer"] for r in got[:3]] == ["Initech"] * 3  # one customer, made by line 1
    assert [(r["text"], r["tags"]) for r in got[3:6]] == [("B, amended", ["eu"])] * 3
    assert (got[7]["text"], got[7]["tags"]) == ("B", [])
    assert (got[6]["owner"], got[8]["owner"]) == ("lee", "lee")
    assert (got[0]["ref"], got[2]["ref"], got[8]["ref"]) == ("a", "a", None)
    # Each line's result is the promise as `promise show` reads it after the batch...
    for result, shown in ((got[9], "2"), (got[7], "3"), (got[8], "1")):
        stored = marry.json("promise", "show", shown)
        del stored["events"]
        assert result == stored
    # ... and the refs of events written by the batch name them.
    assert marry.json("promise", "show", "ref:a")["events"][0]["ref"] == "keep-a"
    rows = marry.rows()
    assert len(rows["marry_customer"]) == 2
    assert {row[2] for row in rows["marry_ref"] if row[2] is not None} == {
        e["id"] for e in marry.json("promise", "show", "2")["events"]
    } | {e["id"] for e in marry.json("promise", "show", "1")["events"] if e["ref"]}


def test_a_batch_rolled_back_leaves_nothing_remembered_for_the_next(marry):
    failed = marry(
        "batch",
        input=lines(
            {"op": "add", "text": "A", "customer": "acme", "ref": "a"},
            {"op": "keep", "id": "ref:a", "ref": "keep-a"},
            {"op": "break", "id": "ref:a"},  # already kept: the batch stops, nothing written
        ),
    )
    assert failed.exit_code == 2
    again = marry("batch", input=lines({"op": "keep", "id": "ref:a"}))
    assert again.exit_code == 2
    assert "line 1: keep: no promise was added with --ref a" in again.stderr
    done = marry.ok(
        "batch",
        input=lines(
            {"op": "add", "text": "A", "customer": "acme", "ref": "a"},
            {"op": "keep", "id": "ref:a", "ref": "keep-a"},
        ),
    )
    added, kept = results(done.stdout)  # (PostgreSQL's sequences do not roll back: any id)
    assert (added["status"], kept["status"], kept["id"]) == ("open", "kept", added["id"])
    assert len(marry.rows()["marry_event"]) == 1


def test_occurrences_of_a_series_read_its_terms_as_a_batch_amends_them(marry):
    marry.ok("promise", "add", "Weekly call", "-c", "acme", "--every", "1w", "--made", "-20d")
    batch = lines(
        {"op": "keep", "id": "1/1"},  # stored as promise 2
        {"op": "undo", "id": 2},  # named by its own number: locked by the batch
        {"op": "amend", "id": 1, "text": "Weekly sync"},
        {"op": "break", "id": 2},
        {"op": "break", "id": "1/2"},
    )
    got = results(marry.ok("batch", input=batch).stdout)
    assert [(r["id"], r["occurrence"], r["text"], r["status"]) for r in got] == [
        (2, 1, "Weekly call", "kept_late"), (2, 1, "Weekly call", "overdue"),
        (1, None, "Weekly sync", "open"), (2, 1, "Weekly sync", "broken"),
        (3, 2, "Weekly sync", "broken"),
    ]  # fmt: skip


def test_single_commands_remember_nothing(marry, monkeypatch):
    from marrycli.storage.repo import memo

    seen: list[object] = []
    real = memo.memo_of

    def spying(conn):
        found = real(conn)
        seen.append(found)
        return found

    monkeypatch.setattr(memo, "memo_of", spying)
    for module in ("reads", "writes", "directory"):
        monkeypatch.setattr(f"marrycli.storage.repo.{module}.memo_of", spying)
    marry.add("A", "acme", "--ref", "a")
    marry.ok("keep", "ref:a", "--ref", "keep-a")
    assert seen and all(found is None for found in seen)
    seen.clear()
    marry.ok("batch", input=lines({"op": "add", "text": "B", "customer": "acme"}))
    assert seen and all(found is not None for found in seen)


# -- eight batches at once -------------------------------------------------------------------

WORKERS = 8
PER_WORKER = 250  # lines: 125 adds, each kept by a later line


def _worker_batch(number: int) -> str:
    half = PER_WORKER // 2
    adds = [
        {
            "op": "add",
            "text": f"w{number} p{i}",
            "customer": f"Customer {i % 3}",
            "ref": f"w{number}-add-{i}",
        }
        for i in range(half)
    ]
    keeps = [
        {"op": "keep", "id": f"ref:w{number}-add-{i}", "ref": f"w{number}-keep-{i}"}
        for i in range(half)
    ]
    return lines(*adds, *keeps)


@pytest.mark.slow
def test_eight_concurrent_batches_record_every_line_exactly_once(backend, tmp_path, request):
    if backend == "postgresql":
        db = str(request.getfixturevalue("postgres_url"))
    else:
        db = str(tmp_path / "new" / "ledger.db")  # created by the race, too
    barrier = threading.Barrier(WORKERS)
    outcomes: dict[int, subprocess.CompletedProcess[str]] = {}

    def run(number: int) -> None:
        batch = _worker_batch(number)
        barrier.wait()
        outcomes[number] = subprocess.run(
            [marry_executable(), "--db", db, "batch", "--each"],
            input=batch,
            capture_output=True,
            text=True,
            timeout=600,
        )

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert [outcomes[n].returncode for n in range(WORKERS)] == [0] * WORKERS, [
        outcomes[n].stderr[-500:] for n in range(WORKERS)
    ]
    ids = []
    for number in range(WORKERS):
        got = results(outcomes[number].stdout)
        assert len(got) == PER_WORKER and all("error" not in r for r in got)
        half = PER_WORKER // 2
        assert [r["status"] for r in got] == ["open"] * half + ["kept"] * half
        assert [r["id"] for r in got[:half]] == [r["id"] for r in got[half:]]
        ids += [r["id"] for r in got[:half]]
    rows = ledger_rows(db)
    assert len(ids) == len(set(ids)) == WORKERS * PER_WORKER // 2
    assert sorted(row[0] for row in rows["marry_promise"]) == sorted(ids)
    assert sorted(row[1] for row in rows["marry_event"]) == sorted(ids)
    assert len(rows["marry_ref"]) == WORKERS * PER_WORKER
    assert elapsed < 300


@pytest.mark.slow
def test_a_long_batch_shows_progress_on_a_terminal_and_its_results_stay_on_stdout(tmp_path):
    import os

    path = tmp_path / "writes.jsonl"
    path.write_text(lines(*({"op": "add", "text": f"p{i}", "customer": "c"} for i in range(300))))
    main, child = os.openpty()  # stderr is a terminal; stdout goes to a pipe
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR")}
    process = subprocess.Popen(
        [marry_executable(), "--db", str(tmp_path / "l.db"), "batch", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=child,
        env={**environ, "TERM": "xterm-256color"},
    )
    os.close(child)
    chunks: list[bytes] = []

    def drain() -> None:  # read the terminal meanwhile, so that marry never blocks on it
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the terminal is closed
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    out, _ = process.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(main)
    terminal = b"".join(chunks).decode()
    assert process.returncode == 0, terminal
    assert [r["text"] for r in results(out.decode())] == [f"p{i}" for i in range(300)]
    assert "batch" in terminal and "lines/s" in terminal and '"id"' not in terminal


# -- the write path's prepared statements (storage/repo/prepared.py) --------------------------


def test_a_prepared_statement_runs_on_the_driver_or_through_sqlalchemy_alike(tmp_path):
    from sqlalchemy import Column, DateTime, Integer, MetaData, Table, bindparam, create_engine
    from sqlalchemy import exc as sa_exc
    from sqlalchemy import select as sa_select

    from marrycli.storage.repo.prepared import Prepared

    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", DateTime))
    engine = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    table.metadata.create_all(engine)
    plain = Prepared(lambda _d: sa_select(table.c.id).where(table.c.id > bindparam("low")))
    # DateTime converts values on SQLite: that statement goes through Connection.execute.
    typed = Prepared(lambda _d: sa_select(table.c.at).where(table.c.id == bindparam("id")))
    broken = Prepared(lambda _d: sa_select(table.c.id).where(table.c.id == bindparam("id")))
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": 1, "at": None}, {"id": 2, "at": None}])
        assert [tuple(row) for row in plain.rows(conn, {"low": 1})] == [(2,)]
        assert plain.first(conn, {"low": 2}) is None
        assert typed.first(conn, {"id": 1}) == (None,)
        assert typed._compiled["sqlite"] is None and plain._compiled["sqlite"] is not None
        conn.exec_driver_sql("DROP TABLE t")
        with pytest.raises(sa_exc.OperationalError, match="no such table"):
            broken.rows(conn, {"id": 1})  # the driver's error, as SQLAlchemy raises it
