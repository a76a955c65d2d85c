"""How fast is `marry report` on a big ledger, next to its own query run bare?

Run by hand (not a pytest test), from the project's venv:

    python benchmarks/bench_report.py [--promises N] [--customers M] [--runs R] [--keep PATH]
    python benchmarks/bench_report.py --postgres URL [--promises N] [--customers M] [--runs R]

1. Builds a SQLite marry ledger of N promises (default 1,000,000) for M customers
   (default 10,000) in a temporary folder, or at PATH with `--keep PATH` (reused as it is
   when it already exists, to save the build between runs). The schema is created by the
   real `marry promise add` (so tables, indexes, WAL and the schema version are exactly
   marry's), then the seeded rows are deleted and the data is bulk inserted with the
   standard library's sqlite3 in one transaction. The data are deterministic (a seeded
   random.Random, times relative to the build's "now"): per customer ~N/M promises over
   1-3 years ending near now, ids in global time order as a real ledger has them; most
   kept on time, some kept late, some broken, ~5% renegotiated once, a few cancelled, a
   few outcomes voided and then resolved again, and the last promises of some customers
   still open (some overdue). No ANALYZE is run, since marry does not run it.
   With `--postgres URL` the same rows go to PostgreSQL instead (default 100,000 promises
   for 1,000 customers; see report_postgres.py), and the baseline reads them with psycopg.
2. Times, interleaved, `--runs` times each (default 5), and reports medians of:
   (a) the baseline: the report's own query (`REPORT_SQL` from marrycli.storage.repo)
       run with the standard library's sqlite3 in a fresh `python -c` process, fetched
       with `fetchmany(10_000)` until exhausted, doing nothing else. That query is the
       cheapest fetch found of the rows the report needs (every promise made by now with
       its events, only the columns scoring reads, grouped by customer): reading both
       tables through and sorting takes half the time of walking the customer index;
   (b) `marry report --format json` on the same ledger (MARRY_DB), stdout to /dev/null.
   Each command is started by a small fresh wrapper process (`python -S`) that times it
   (so the time includes the command's interpreter start-up, not the wrapper's) and reads
   its peak RSS (ru_maxrss) and CPU time from os.wait4() for that one child: the two
   commands never pollute each other's figure, as RUSAGE_CHILDREN, a running maximum,
   would; and since a child's ru_maxrss starts at the RSS of the process it was forked
   from, a small wrapper keeps that floor low (the floor is printed).
3. Prints the medians, the ratio marry/baseline against its target (<= 1.5, issue 15; the
   ratio of CPU times too, steadier on a busy machine), marry's peak RSS against its target
   (<= 250 MB, 1 MB = 10**6 bytes), and the ledger's sizes.

Exit status: 0 when both targets pass, 1 when one is missed, 2 when a command fails
(e.g. `marry report` does not exist yet: the baseline is still timed and printed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

RATIO_TARGET = 1.5  # issue 15
RSS_TARGET_MB = 250.0

SECOND = 1_000_000  # times are integer microseconds since the epoch, UTC
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

SIZES = ("small", "medium", "large")
SIZE_WEIGHTS = (5, 3, 2)
VALUES = ("none", "low", "high")
VALUE_WEIGHTS = (1, 3, 6)

TEMPLATES = (
    "Ship the SSO integration", "Send the quarterly usage report", "Fix the export timeout",
    "Call back about the invoice", "Deliver the onboarding deck", "Add the audit log filter",
    "Review the contract renewal", "Migrate the reporting database",
    "Share the security questionnaire", "Restore the missing webhooks", "Train the support team",
    "Publish the API changelog", "Patch the mobile login bug", "Set up the staging tenant",
    "Answer the data residency question", "Send the roadmap preview",
)  # fmt: skip
OWNERS = tuple(
    f"{first}.{last}"
    for first in ("ana", "ben", "chloe", "dev", "eli", "fay", "gus", "hana")
    for last in ("lee", "kim", "ortiz", "novak", "smith")
)

# The columns the generated rows fill, named: the tables have more (standing promises,
# amendments), which stay NULL as for a plain promise or event.
CUSTOMER_INSERT = (
    "INSERT INTO marry_customer (id, key, name, merged_into, created) VALUES (?, ?, ?, ?, ?)"
)
PROMISE_INSERT = (
    "INSERT INTO marry_promise (id, customer_id, text, made, due, size, value, owner, tags,"
    " recorded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
EVENT_INSERT = (
    "INSERT INTO marry_event (id, promise_id, kind, at, due, note, owner, voids, recorded)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

# The baseline: the report's query, bare, in a fresh interpreter. argv: path, sql.
BASELINE = """\
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1])
cursor = conn.execute(sys.argv[2], {"as_of": time.time_ns() // 1000})
rows = 0
while batch := cursor.fetchmany(10_000):
    rows += len(batch)
conn.close()
print(rows)
"""

# Runs one command and writes "seconds peak_rss exit_code" to a file. argv: file, command...
WRAPPER = """\
import os, sys, time
result, cmd = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.posix_spawn(cmd[0], cmd, os.environ)
_pid, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
cpu = usage.ru_utime + usage.ru_stime
with open(result, "w") as f:
    f.write(f"{seconds} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)} {cpu}")
"""


# -- building the ledger -----------------------------------------------------------------


def marry_executable() -> str:
    beside = Path(sys.executable).with_name("marry")
    if beside.exists():
        return str(beside)
    found = shutil.which("marry")
    if found is None:
        sys.exit("cannot find the `marry` command: activate the project's venv first")
    return found


def split_counts(rng: random.Random, promises: int, customers: int) -> list[int]:
    """Promises per customer: about promises/customers each, varied, summing exactly."""
    base, extra = divmod(promises, customers)
    counts = [base + (1 if i < extra else 0) for i in range(customers)]
    for _ in range(customers):
        a, b = rng.randrange(customers), rng.randrange(customers)
        move = rng.randint(0, max(0, min(counts[a] - 1, base // 3)))
        counts[a] -= move
        counts[b] += move
    return counts


def promise_events(
    rng: random.Random, made: int, due: int | None, now: int, stay_open: bool
) -> list[tuple]:
    """The events of one promise: (at, kind, new due, index of the voided event)."""
    events: list[tuple] = []
    current_due = due
    t = made
    if due is not None and rng.random() < 0.05:
        at = made + int(rng.uniform(0.1, 0.95) * (due - made))
        if at > now:
            return events
        current_due = due + int(rng.uniform(2, 21) * DAY)
        events.append((at, "renegotiated", current_due, None))
        t = at
    if stay_open:
        return events
    r = rng.random()
    if r < 0.02:
        kind = "cancelled"
        at = t + int(rng.uniform(0, 5) * DAY)
    elif r < 0.08:
        kind = "broken"
        if current_due is None:
            at = t + int(rng.uniform(1, 30) * DAY)
        else:
            at = max(t, current_due + int(rng.uniform(-2, 5) * DAY))
    elif r < 0.18 and current_due is not None:
        kind = "kept"  # late
        at = current_due + int(rng.uniform(0.05, 10) * DAY)
    else:
        kind = "kept"  # on time
        if current_due is None:
            at = t + int(rng.uniform(0.5, 20) * DAY)
        else:
            at = t + int(rng.uniform(0.2, 1.0) * (current_due - t))
    if at > now:
        return events  # not resolved yet: open, or overdue
    events.append((at, kind, None, None))
    if rng.random() < 0.01:  # recorded by mistake: voided, then resolved again
        void_at = at + int(rng.uniform(0, 2) * DAY)
        if void_at > now:
            return events
        events.append((void_at, "void", None, len(events) - 1))
        again = void_at + int(rng.uniform(0, 3) * DAY)
        if again <= now:
            events.append((again, rng.choice(("kept", "broken")), None, None))
    return events


def generate(promises: int, customers: int, now: int, seed: int = 20_251_123):
    """(customer rows, promise rows, event rows), with explicit ids, deterministic."""
    rng = random.Random(seed)
    counts = split_counts(rng, promises, customers)
    width = len(str(customers))
    drafts = []  # (made, customer id, text, due, size, value, owner, events)
    created = []
    for cid, count in enumerate(counts, start=1):
        end = now - int(rng.uniform(0, 10) * DAY)
        start = end - int(rng.uniform(365, 3 * 365) * DAY)
        mades = sorted(rng.randint(start, end) for _ in range(count))
        created.append(mades[0])
        open_tail = rng.randint(1, 5) if rng.random() < 0.3 else 0
        for j, made in enumerate(mades):
            due = None if rng.random() < 0.03 else made + int(rng.uniform(1, 28) * DAY)
            events = promise_events(rng, made, due, now, stay_open=j >= count - open_tail)
            drafts.append(
                (
                    made,
                    cid,
                    f"{rng.choice(TEMPLATES)} #{j + 1}",
                    due,
                    rng.choices(SIZES, SIZE_WEIGHTS)[0],
                    rng.choices(VALUES, VALUE_WEIGHTS)[0],
                    rng.choice(OWNERS),
                    events,
                )
            )
    drafts.sort(key=itemgetter(0, 1))  # promise ids in the order they were made

    customer_rows = [
        (cid, f"customer {cid:0{width}d}", f"Customer {cid:0{width}d}", None, made)
        for cid, made in enumerate(created, start=1)
    ]
    promise_rows = []
    flat = []  # (at, promise id, index within the promise, kind, due, voided index, owner)
    for pid, (made, cid, text, due, size, value, owner, events) in enumerate(drafts, start=1):
        promise_rows.append((pid, cid, text, made, due, size, value, owner, "[]", made))
        for k, (at, kind, new_due, voids) in enumerate(events):
            flat.append((at, pid, k, kind, new_due, voids, owner))
    del drafts
    flat.sort(key=itemgetter(0, 1, 2))  # event ids in time order; per promise, in its order
    event_rows = []
    ids: dict[tuple[int, int], int] = {}
    voided = {(pid, voids) for _at, pid, _k, kind, _d, voids, _o in flat if kind == "void"}
    for eid, (at, pid, k, kind, new_due, voids, owner) in enumerate(flat, start=1):
        if (pid, k) in voided:
            ids[pid, k] = eid
        target = ids[pid, voids] if voids is not None else None
        event_rows.append((eid, pid, kind, at, new_due, None, owner, target, at))
    return customer_rows, promise_rows, event_rows


def build(path: Path, promises: int, customers: int) -> None:
    marry = marry_executable()
    env = dict(os.environ, MARRY_DB=str(path))
    subprocess.run(
        [marry, "promise", "add", "benchmark seed", "--customer", "benchmark seed"],
        env=env,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    now = (time.time_ns() // 1000) // MINUTE * MINUTE - HOUR
    customer_rows, promise_rows, event_rows = generate(promises, customers, now)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")  # this connection only: a build, not a ledger
        conn.execute("PRAGMA cache_size = -1000000")
        conn.execute("BEGIN IMMEDIATE")
        for table in ("marry_ref", "marry_event", "marry_customer_change"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM marry_promise")
        conn.execute("DELETE FROM marry_customer")
        conn.executemany(CUSTOMER_INSERT, customer_rows)
        conn.executemany(PROMISE_INSERT, promise_rows)
        conn.executemany(EVENT_INSERT, event_rows)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def describe(path: Path) -> dict[str, object]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:

        def one(sql: str) -> int:
            return conn.execute(sql).fetchone()[0]

        return {
            "customers": one("SELECT count(*) FROM marry_customer WHERE merged_into IS NULL"),
            "promises": one("SELECT count(*) FROM marry_promise"),
            "events": one("SELECT count(*) FROM marry_event"),
            "kinds": dict(conn.execute("SELECT kind, count(*) FROM marry_event GROUP BY kind")),
            "schema": one("SELECT max(version) FROM marry_schema"),
            "journal": one("PRAGMA journal_mode"),
        }
    finally:
        conn.close()


# -- timing --------------------------------------------------------------------------------


class Measured(NamedTuple):
    seconds: float  # wall clock
    cpu: float  # user + system seconds of the command alone
    rss: int  # its peak RSS in bytes
    code: int
    stdout: str
    stderr: str


def run_measured(cmd: list[str], env: dict[str, str], capture: bool = False) -> Measured:
    """The command run once, timed, with its CPU time and peak RSS.

    The command is started by a small fresh wrapper (`python -S`), which times it and
    reads its ru_maxrss and CPU times from os.wait4(): a child's figure can never be below
    the RSS of the process it was forked from, so a wrapper that stays small keeps the
    floor low (see `floor` in bench()) and each command's figure its own.
    """
    with (
        tempfile.TemporaryDirectory() as tmp,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        result = Path(tmp) / "result"
        subprocess.run(
            [sys.executable, "-S", "-c", WRAPPER, str(result), *cmd],
            stdin=subprocess.DEVNULL,
            stdout=out if capture else subprocess.DEVNULL,
            stderr=err,
            env=env,
            check=True,
        )
        seconds, maxrss, code, cpu = result.read_text().split()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    rss = int(maxrss) * (1 if sys.platform == "darwin" else 1024)
    return Measured(float(seconds), float(cpu), rss, int(code), stdout, stderr)


def measure(cmd: list[str], env: dict[str, str], capture: bool = False):
    """(seconds, peak RSS in bytes of the command, exit code, stdout, stderr): `run_measured`
    without the CPU time (bench_import.py uses this)."""
    m = run_measured(cmd, env, capture)
    return m.seconds, m.rss, m.code, m.stdout, m.stderr


def mb(nbytes: float) -> float:
    return nbytes / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--promises", type=int, help="default 1,000,000; 100,000 with --postgres")
    parser.add_argument("--customers", type=int, help="default 10,000; 1,000 with --postgres")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the ledger here, or reuse it if it exists")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="time the report on PostgreSQL instead: a ledger in a schema of its own in this "
        "database (postgresql+psycopg://...), built once and reused",
    )
    args = parser.parse_args()
    small = args.postgres is not None
    if args.promises is None:
        args.promises = 100_000 if small else 1_000_000
    if args.customers is None:
        args.customers = 1_000 if small else 10_000
    if args.customers < 1 or args.promises < args.customers or args.runs < 1:
        parser.error("need customers >= 1, promises >= customers and runs >= 1")

    print(
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )
    if args.postgres is not None:
        import report_postgres

        url = report_postgres.prepare(args.postgres, args.promises, args.customers)
        baseline = report_postgres.baseline_command(url)
        return bench(dict(os.environ, MARRY_DB=url), baseline, args.runs)

    from marrycli.storage.repo import REPORT_SQL

    workdir = None
    if args.keep is not None:
        path = args.keep.resolve()
    else:
        workdir = Path(tempfile.mkdtemp(prefix="marry-bench-"))
        path = workdir / "ledger.db"
    try:
        if path.exists():
            print(f"ledger: reusing {path}")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            print(
                f"ledger: building {args.promises:,} promises for {args.customers:,} "
                f"customers at {path} ..."
            )
            started = time.perf_counter()
            build(path, args.promises, args.customers)
            print(f"build: {time.perf_counter() - started:.1f} s")
        info = describe(path)
        print(
            f"file: {mb(path.stat().st_size):.1f} MB; schema version {info['schema']}, "
            f"journal {info['journal']}"
        )
        print(
            f"sizes: {info['promises']:,} promises, {info['events']:,} events, "
            f"{info['customers']:,} customers"
        )
        print("events: " + ", ".join(f"{k} {n:,}" for k, n in sorted(info["kinds"].items())))
        if args.keep is not None and (info["promises"], info["customers"]) != (
            args.promises,
            args.customers,
        ):
            print("note: the kept ledger's sizes differ from --promises/--customers")
        baseline = [sys.executable, "-c", BASELINE, str(path), REPORT_SQL]
        return bench(dict(os.environ, MARRY_DB=str(path)), baseline, args.runs)
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def bench(env: dict[str, str], baseline: list[str], runs: int) -> int:
    """Time the baseline and `marry report --format json` interleaved; print and judge."""
    commands = {"baseline": baseline, "marry": [marry_executable(), "report", "--format", "json"]}

    floor = run_measured(
        ["/bin/true"] if Path("/bin/true").exists() else [sys.executable, "-S", "-c", ""], env
    ).rss
    print(f"RSS measurement floor (the wrapper's own): {mb(floor):.1f} MB")

    # Warm-up (not timed): the page cache, and a check that both commands work.
    first = run_measured(commands["baseline"], env, capture=True)
    if first.code != 0:
        print(f"baseline failed (exit {first.code}):\n{first.stderr}")
        return 2
    print(f"warm-up: baseline fetched {int(first.stdout):,} rows")
    first = run_measured(commands["marry"], env, capture=True)
    report_ok = first.code == 0
    if report_ok:
        customers = json.loads(first.stdout)["customers"]
        print(f"warm-up: marry report listed {len(customers):,} customers")
    else:
        print(f"marry report failed (exit {first.code}); timing the baseline alone:")
        print(first.stderr.strip())
        del commands["marry"]

    found: dict[str, list[Measured]] = {name: [] for name in commands}
    for run in range(runs):
        order = list(commands) if run % 2 == 0 else list(reversed(commands))
        for name in order:
            m = run_measured(commands[name], env)
            if m.code != 0:
                print(f"{name} failed (exit {m.code}) in run {run + 1}:\n{m.stderr.strip()}")
                return 2
            found[name].append(m)
            print(
                f"run {run + 1} {name:8} {m.seconds:7.3f} s  (CPU {m.cpu:6.3f} s)  "
                f"peak RSS {mb(m.rss):7.1f} MB"
            )

    median = {name: statistics.median(m.seconds for m in ms) for name, ms in found.items()}
    cpu = {name: statistics.median(m.cpu for m in ms) for name, ms in found.items()}
    peak = {name: max(m.rss for m in ms) for name, ms in found.items()}
    print()
    for name, ms in found.items():
        print(
            f"{name:8} median {median[name]:7.3f} s  "
            f"(min {min(m.seconds for m in ms):.3f}, max {max(m.seconds for m in ms):.3f}; "
            f"CPU median {cpu[name]:.3f} s)  peak RSS {mb(peak[name]):.1f} MB"
        )
    if not report_ok:
        print("marry report: not available, no ratio")
        return 2
    ratio = median["marry"] / median["baseline"]
    ratio_ok = ratio <= RATIO_TARGET
    rss_ok = mb(peak["marry"]) <= RSS_TARGET_MB
    print(
        f"ratio marry/baseline: {ratio:.2f} (target <= {RATIO_TARGET}) "
        f"{'PASS' if ratio_ok else 'MISS'}; of CPU times: {cpu['marry'] / cpu['baseline']:.2f}"
    )
    print(
        f"marry peak RSS: {mb(peak['marry']):.1f} MB (target <= {RSS_TARGET_MB:.0f} MB) "
        f"{'PASS' if rss_ok else 'MISS'}"
    )
    return 0 if ratio_ok and rss_ok else 1


if __name__ == "__main__":
    sys.exit(main())
