"""How fast is `marry batch` of N adds and N keeps, next to a bare json + sqlite3 script?

Run by hand (not a pytest test), from the project's venv:

    python benchmarks/bench_batch.py [--writes N] [--runs R]

1. Writes a batch file of N adds (default 10,000; customers cycling over N/20 names, each
   with a ref) followed by N keeps of those promises by `ref:KEY` (each with a ref too).
2. Makes a template ledger with the real `marry` (its tables, indexes, WAL, schema
   version), emptied, and copies it for every run.
3. Times, interleaved (the order rotating), `--runs` times each (default 3), medians of:
   (a) `marry --db COPY batch FILE` (one transaction);
   (b) the baseline, a script in a fresh interpreter doing the same writes with the
       standard library's sqlite3 in one BEGIN IMMEDIATE transaction: json.loads per
       line; for an add, the ref looked up (a retry would be a no-op), the customer found
       or inserted by its key, the promise and its ref inserted; for a keep, its ref looked
       up, the promise found by its ref, its events read (a kept promise is a no-op), the
       event and its ref inserted. The same uniqueness checks, none of marry's other rules;
   (c) `marry batch` of one add: marry's start (imports, the ledger opened), which no
       per-line work can remove. Not part of the ratio; it says where the rest goes.
4. Prints the medians and the ratio batch/baseline against its target (<= 2), then marry's
   start and its time a line (the batch less its start) beside the baseline's.

On a 2-core machine shared with other work (10,000 + 10,000 lines, Python 3.11, SQLite
3.40) the ratio was 9 (2.7 s against 0.3 s): marry's start alone (0.55 to 0.65 s, mostly
importing SQLAlchemy and SQLModel) is twice the whole baseline, and each line costs about
5 times the baseline's. Not the SQL: an add and its keep run 8 statements (the baseline 9),
a fifth of the time; the rest is the single commands' own path, line by line: the write's
plan and checks, the promise read back as a domain object after it, its JSON line.

Exit status: 0 when the ratio passes, 1 when it misses, 2 when a command fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 2.0

BASELINE = r"""
import json, sqlite3, sys, time
db, path = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA foreign_keys = ON")
conn.execute("PRAGMA synchronous = NORMAL")
now = time.time_ns() // 1000
conn.execute("BEGIN IMMEDIATE")
for raw in open(path, encoding="utf-8"):
    line = json.loads(raw)
    if line["op"] == "add":
        if conn.execute("SELECT 1 FROM marry_ref WHERE ref = ?", (line["ref"],)).fetchone():
            continue
        key = " ".join(line["customer"].casefold().split())
        row = conn.execute("SELECT id FROM marry_customer WHERE key = ?", (key,)).fetchone()
        if row is None:
            cid = conn.execute(
                "INSERT INTO marry_customer (key, name, created) VALUES (?, ?, ?)",
                (key, line["customer"], now),
            ).lastrowid
        else:
            cid = row[0]
        pid = conn.execute(
            "INSERT INTO marry_promise (customer_id, text, made, due, size, value, owner, tags,"
            " recorded) VALUES (?, ?, ?, NULL, 'medium', 'high', 'bench', '[]', ?)",
            (cid, line["text"], now, now),
        ).lastrowid
        conn.execute("INSERT INTO marry_ref (ref, promise_id) VALUES (?, ?)", (line["ref"], pid))
    else:
        if conn.execute("SELECT 1 FROM marry_ref WHERE ref = ?", (line["ref"],)).fetchone():
            continue
        pid = conn.execute(
            "SELECT promise_id FROM marry_ref WHERE ref = ? AND event_id IS NULL",
            (line["id"].removeprefix("ref:"),),
        ).fetchone()[0]
        kinds = [k for (k,) in conn.execute(
            "SELECT kind FROM marry_event WHERE promise_id = ?", (pid,))]
        if "kept" in kinds:
            continue
        eid = conn.execute(
            "INSERT INTO marry_event (promise_id, kind, at, owner, recorded)"
            " VALUES (?, 'kept', ?, 'bench', ?)",
            (pid, now, now),
        ).lastrowid
        conn.execute(
            "INSERT INTO marry_ref (ref, promise_id, event_id) VALUES (?, ?, ?)",
            (line["ref"], pid, eid),
        )
conn.execute("COMMIT")
"""


def write_batch(path: Path, writes: int) -> None:
    customers = max(1, writes // 20)
    with path.open("w", encoding="utf-8") as out:
        for i in range(writes):
            add = {"op": "add", "text": f"Delivery {i}", "customer": f"Customer {i % customers}"}
            out.write(json.dumps({**add, "ref": f"bench-add-{i}"}) + "\n")
        for i in range(writes):
            keep = {"op": "keep", "id": f"ref:bench-add-{i}", "ref": f"bench-keep-{i}"}
            out.write(json.dumps(keep) + "\n")


def template_ledger(marry: str, folder: Path) -> Path:
    """An empty ledger made by the real marry (then emptied), in one file."""
    path = folder / "template.db"
    env = {**os.environ, "MARRY_DB": str(path), "MARRY_USER": "bench", "MARRY_CONFIG": os.devnull}
    subprocess.run([marry, "promise", "add", "x", "-c", "x", "--force"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    conn = sqlite3.connect(path, isolation_level=None)
    for table in ("marry_ref", "marry_event", "marry_promise", "marry_customer"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode(errors="replace")[-2000:])
        raise SystemExit(2)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    marry = shutil.which("marry", path=str(Path(sys.executable).parent)) or "marry"
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        batch = folder / "batch.jsonl"
        write_batch(batch, args.writes)
        template = template_ledger(marry, folder)
        env = {**os.environ, "MARRY_USER": "bench", "MARRY_CONFIG": os.devnull}
        one = folder / "one.jsonl"
        write_batch(one, 1)
        one.write_text(one.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
        cases = {"marry batch": batch, "sqlite3 script": batch, "marry start": one}
        times: dict[str, list[float]] = {case: [] for case in cases}
        for run in range(args.runs):
            order = list(cases)[run % 3 :] + list(cases)[: run % 3]
            for case in order:
                ledger = folder / f"run-{run}-{case.replace(' ', '-')}.db"
                shutil.copyfile(template, ledger)
                if case.startswith("marry"):
                    command = [marry, "--db", str(ledger), "batch", str(cases[case])]
                else:
                    command = [sys.executable, "-c", BASELINE, str(ledger), str(batch)]
                times[case].append(timed(command, env))
                print(f"run {run + 1} {case:<15} {times[case][-1]:8.2f} s", flush=True)
        medians = {case: statistics.median(values) for case, values in times.items()}
        ratio = medians["marry batch"] / medians["sqlite3 script"]
        print()
        for case, median in medians.items():
            print(f"{case:<15} median {median:8.2f} s")
        verdict = "PASS" if ratio <= TARGET else "MISS"
        writes = args.writes
        print(
            f"{writes:,} adds + {writes:,} keeps: ratio {ratio:.1f} (target <= {TARGET}) {verdict}"
        )
        lines = 2 * writes
        per_line = (medians["marry batch"] - medians["marry start"]) / lines * 1e6
        print(
            f"marry's start (a 1-line batch) {medians['marry start']:.2f} s; then "
            f"{per_line:.0f} µs a line, against the baseline's "
            f"{medians['sqlite3 script'] / lines * 1e6:.0f} µs a line (its start included)"
        )
        return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
