"""Many writers on one ledger at the same moment (SPEC §4): nothing fails, nothing is lost.

Two races, each against a ledger that does not exist yet (so creating it races too):

- eight installed `marry` commands started together;
- eight processes started together that each run `marry promise add` 25 times and then
  `marry keep` on each promise (200 promises in all), every third add retried under the
  same `--ref`. Each process runs the commands through the CLI in-process (Typer's
  CliRunner), one after another: the processes, their connections and their locks are
  real, and it costs seconds instead of the minutes that 1,700 interpreter starts take.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from conftest import Marry, ledger_rows, marry_executable

pytestmark = pytest.mark.slow

WORKERS = 8
ADDS = 25  # per worker: 8 x 25 = 200 promises, then 200 keeps
RETRY_EVERY = 3  # every third add is sent twice, as a retried CI step would

WORKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from typer.testing import CliRunner
    from marrycli.cli.app import app

    db, number, start, every, adds = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    runner = CliRunner()
    def marry(*args):
        result = runner.invoke(app, ["--db", db, *args], prog_name="marry")
        return result.exit_code, result.stdout, result.stderr
    Path(f"{start}.ready{number}").touch()
    while not start.exists():
        time.sleep(0.005)
    calls, ids = [], []
    for i in range(adds):
        add = ["promise", "add", f"worker {number} promise {i}", "--customer", f"Customer {i % 3}",
               "--ref", f"race-w{number}-add-{i}", "--force", "--json"]
        for attempt in range(2 if i % every == every - 1 else 1):
            code, out, err = marry(*add)
            calls.append([add[2], code, err])
            if code == 0:
                got = json.loads(out)["id"]
                if attempt == 0:
                    ids.append(got)
                elif got != ids[-1]:
                    calls.append(["retry returned another id", 99, f"{got} != {ids[-1]}"])
    for promise_id in ids:
        code, out, err = marry("keep", str(promise_id))
        calls.append([f"keep {promise_id}", code, err])
    print(json.dumps({"ids": ids, "calls": calls}))
    """
)


def _ledger(backend: str, tmp_path: Path, request: pytest.FixtureRequest, name: str) -> str:
    """A ledger that does not exist yet: a path in a missing folder, or an empty schema."""
    if backend == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return str(tmp_path / name / "ledger.db")


def test_eight_marry_commands_create_one_ledger_together(backend, tmp_path, request):
    db = _ledger(backend, tmp_path, request, "commands")
    barrier = threading.Barrier(WORKERS)
    results: list[subprocess.CompletedProcess[str]] = []

    def run(number: int) -> None:
        barrier.wait()
        args = ["--db", db, "promise", "add", f"first {number}", "--customer", "acme", "--json"]
        results.append(subprocess.run([marry_executable(), *args], capture_output=True, text=True))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.returncode for r in results] == [0] * WORKERS, [r.stderr for r in results]
    assert len({json.loads(r.stdout)["id"] for r in results}) == WORKERS
    assert len(ledger_rows(db)["marry_promise"]) == WORKERS


def test_eight_processes_write_200_promises_and_keep_them(backend, tmp_path, request):
    db = _ledger(backend, tmp_path, request, "workers")
    start = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, db, str(n), str(start), str(RETRY_EVERY), str(ADDS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WORKERS)
    ]
    try:
        while len(list(tmp_path.glob("go.ready*"))) < WORKERS:
            assert all(p.poll() is None for p in processes), "a worker died before the start"
            time.sleep(0.01)
        start.touch()  # all eight are loaded: go
        outputs = [p.communicate(timeout=600) for p in processes]
    finally:
        for p in processes:
            p.kill()
    assert [p.returncode for p in processes] == [0] * WORKERS, [err for _, err in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    failed = [call for report in reports for call in report["calls"] if call[1] != 0]
    assert not failed, f"{len(failed)} calls failed, e.g. {failed[:3]}"
    retries = sum(
        1 for report in reports for call in report["calls"] if call[0].startswith("worker")
    )
    assert retries == WORKERS * (ADDS + ADDS // RETRY_EVERY)

    ids = sorted(i for report in reports for i in report["ids"])
    assert len(ids) == len(set(ids)) == WORKERS * ADDS
    rows = ledger_rows(db)
    assert sorted(row[0] for row in rows["marry_promise"]) == ids
    assert len(rows["marry_ref"]) == WORKERS * ADDS
    events = rows["marry_event"]  # (id, promise_id, kind, ...)
    assert sorted(row[1] for row in events) == ids and {row[2] for row in events} == {"kept"}
    assert sorted(row[2] for row in rows["marry_customer"]) == [f"Customer {i}" for i in range(3)]
    if backend == "sqlite":
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()


IMPORTERS = 3
IMPORTED = 2000  # promises in the file, each with one event


def _import_file(path: Path, refs: bool) -> None:
    """An export of IMPORTED promises (with refs or without) to one customer, each kept."""
    with path.open("w") as out:
        out.write('{"format": "marry-export", "version": 1}\n')
        out.write('{"type": "customer", "id": 1, "name": "big", "merged_into": null, '
                  '"created": "2024-01-01T00:00:00Z"}\n')  # fmt: skip
        for i in range(1, IMPORTED + 1):
            ref = f'"big-{i}"' if refs else "null"
            out.write(
                f'{{"type": "promise", "id": {i}, "customer_id": 1, "text": "p{i}", '
                f'"made": "2024-01-01T00:00:00Z", "due": "2024-02-01T00:00:00Z", '
                f'"size": "small", "value": "high", "owner": "o", "tags": [], "ref": {ref}, '
                f'"recorded": "2024-01-01T00:00:00Z"}}\n'
                f'{{"type": "event", "id": {i}, "promise_id": {i}, "kind": "kept", '
                f'"at": "2024-01-15T00:00:00Z", "due": null, "note": null, "owner": "o", '
                f'"ref": null, "voids": null, "recorded": "2024-01-15T00:00:00Z"}}\n'
            )


@pytest.mark.parametrize("refs", [False, True], ids=["without refs", "with refs"])
@pytest.mark.parametrize("existing", [False, True], ids=["new ledger", "existing ledger"])
def test_three_imports_of_one_file_write_one_copy(backend, tmp_path, request, refs, existing):
    """Issue 9: on PostgreSQL three imports at once wrote three copies (or refused two)."""
    db = _ledger(backend, tmp_path, request, "imports")
    if existing:  # recorded in-process: the race is the imports'
        Marry(db=db, backend=backend).ok("promise", "add", "already there", "-c", "acme")
    path = tmp_path / "big.jsonl"
    _import_file(path, refs)
    barrier = threading.Barrier(IMPORTERS)
    results: list[subprocess.CompletedProcess[str]] = []

    def run() -> None:
        barrier.wait()
        results.append(
            subprocess.run(
                [marry_executable(), "--db", db, "import", str(path)],
                capture_output=True,
                text=True,
            )
        )

    threads = [threading.Thread(target=run) for _ in range(IMPORTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.returncode for r in results] == [0] * IMPORTERS, [r.stderr for r in results]
    imported = sorted(int(r.stderr.split("imported ")[1].split()[0]) for r in results)
    assert imported == [0] * (IMPORTERS - 1) + [IMPORTED], [r.stderr for r in results]
    rows = ledger_rows(db)
    assert len(rows["marry_promise"]) == IMPORTED + existing
    assert len(rows["marry_event"]) == IMPORTED
    assert len(rows["marry_ref"]) == (IMPORTED if refs else 0)
    if backend == "sqlite":
        folder = Path(db).parent
        assert [p.name for p in folder.iterdir() if ".import-" in p.name] == []
