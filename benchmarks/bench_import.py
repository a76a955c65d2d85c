"""How fast is `marry import` of a big export, next to a bare json + sqlite3 loader?

Run by hand (not a pytest test), from the project's venv:

    python benchmarks/bench_import.py [--promises N] [--customers M] [--runs R] [--keep DIR]

1. Writes a JSONL export (the `marry export` format, version 1) of N promises (default
   1,000,000) for M customers (default 10,000, at most N/20), straight from Python: the
   ledger generator of bench_report.py (a seeded random.Random; ids in time order; most
   promises kept on time, some late, some broken, ~5% renegotiated, a few cancelled, a
   few outcomes voided and resolved again, the last promises of some customers open),
   plus tags on ~40% of the promises, refs on ~20% of the promises and on ~10% of the
   events (CI-style keys), notes on renegotiations, cancellations, voids and some
   outcomes, `recorded` a little after the fact, non-ASCII names, and ~1% of the
   customers renamed and ~0.5% merged into another one (with their directory changes).
   With `--keep DIR` the file (and the ledgers of the untimed warm-up) stay in DIR, and an
   export of the same size found there is reused.
2. Checks both loaders once, untimed (this also warms the page cache): `marry import`
   into a new ledger, then `marry db check` on it (and `marry report --format json`
   up to 100,000 promises); the baseline into another; then the row counts, and a digest
   of every row of both ledgers (ids of events left out, since marry renumbers them),
   must be equal.
3. Times, interleaved (the order alternating), `--runs` times each (default 3), and
   reports medians of:
   (a) `marry --db NEW import FILE`, NEW a fresh path each run;
   (b) the baseline, a script in a fresh interpreter: creates a ledger from the DDL
       (tables and indexes, from sqlite_master) and schema version of a ledger the real
       `marry` created, with marry's connection settings (WAL, synchronous NORMAL,
       foreign keys on), then in one BEGIN IMMEDIATE transaction parses the file with
       json.loads line by line, converts each ISO time to integer microseconds as marry
       does (datetime.fromisoformat, then exact arithmetic), and inserts customers,
       directory changes, promises, events and refs with sqlite3's executemany in chunks
       of 5,000 promises, keeping the file's ids (the ledger is empty).
   Each command is started by the small `python -S` wrapper of bench_report.py, which
   times it and reads the peak RSS of that one child from os.wait4().
4. Prints the medians, the ratio of the medians import/baseline against its target
   (<= 2, issue 15), the ratio of each back-to-back pair (a check on the noise), the
   sizes, each command's peak RSS, and marry's highest peak RSS against its target
   (<= 250 MB, for a million promises: what an import keeps must not grow with the file).

The baseline is the floor of a loader, not a second importer: it checks nothing (no
field, no history, no duplicate), keeps the file's ids, and inserts only the columns the
file fills, with statements prepared by sqlite3 once; marry does all of what an import must
(every check of the file, renumbering into an existing ledger, the staging file).

Exit status: 0 when both targets pass, 1 when one misses, 2 when a command fails or the
two ledgers differ.
"""

from __future__ import annotations

import argparse
import hashlib
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
from datetime import datetime, timedelta
from operator import itemgetter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_report import DAY, HOUR, MINUTE, SECOND, generate, marry_executable, mb, measure

RATIO_TARGET = 2.0
RSS_TARGET_MB = 250.0
CHUNK = 5000  # promises per executemany round, as marry's importer

_EPOCH = datetime(1970, 1, 1)  # naive: `iso` formats UTC microseconds as format_utc does

FIRST = (
    "Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell",
    "Cyberdyne", "Soylent", "Hooli", "Vandelay", "Wonka", "Oscorp", "Aperture", "Massive",
    "Blue Sun", "Gringotts", "Monarch", "Pied Piper", "Zorg", "Nakatomi", "Dunder",
    "Müller", "Sørensen", "Åkesson", "Čapek", "Żubr", "Ōkami", "Nuñez",
)  # fmt: skip
SECOND_WORDS = (
    "Logistics", "Foods", "Analytics", "Bank", "Health", "Energy", "Media", "Robotics",
    "Insurance", "Retail", "Labs", "Airlines", "Studios", "Telecom", "Pharma", "Holdings",
)  # fmt: skip
SUFFIXES = ("", " Inc", " GmbH", " Ltd", " AG", " SA", " & Co", " BV", " Oy", " KK")
TAGS = ("sso", "billing", "api", "mobile", "security", "q1", "q2", "q3", "q4", "renewal",
        "onboarding", "urgent", "exec", "compliance", "data")  # fmt: skip
KEPT_NOTES = ("shipped in the release", "sent by email", "confirmed on the call", "done")
BROKEN_NOTES = ("slipped behind the outage", "team reassigned", "vendor delay")
RENEGOTIATED_NOTES = ("customer asked for more time", "waiting on their data", "scope grew")

# Parses an export and inserts its rows with sqlite3 alone. argv: export, template, target.
BASELINE = """\
import json, sqlite3, sys
from datetime import UTC, datetime

source, template, target = sys.argv[1:4]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHUNK = 5000


def us(value):
    if value is None:
        return None
    delta = datetime.fromisoformat(value) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


model = sqlite3.connect(f"file:{template}?mode=ro", uri=True)
ddl = [sql for (sql,) in model.execute(
    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type DESC, rowid")]
versions = model.execute("SELECT version, name, applied FROM marry_schema").fetchall()
model.close()

conn = sqlite3.connect(target, isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL").fetchall()
conn.execute("PRAGMA foreign_keys = ON")
conn.execute("PRAGMA synchronous = NORMAL")
conn.execute("BEGIN IMMEDIATE")
for sql in ddl:
    conn.execute(sql)
conn.executemany("INSERT INTO marry_schema VALUES (?, ?, ?)", versions)

customers, merges, changes, promises, events, refs = [], [], [], [], [], []
counts = [0, 0, 0]


def directory():
    conn.executemany(
        "INSERT INTO marry_customer (id, key, name, created) VALUES (?, ?, ?, ?)", customers)
    conn.executemany("UPDATE marry_customer SET merged_into = ? WHERE id = ?", merges)
    conn.executemany(
        "INSERT INTO marry_customer_change (id, kind, customer_id, into_id, old_name, new_name,"
        " owner, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", changes)
    counts[0] = len(customers)
    customers.clear()


def flush():
    conn.executemany(
        "INSERT INTO marry_promise (id, customer_id, text, made, due, size, value, owner, tags,"
        " recorded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", promises)
    conn.executemany(
        "INSERT INTO marry_event (id, promise_id, kind, at, due, note, owner, voids, recorded)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", events)
    conn.executemany("INSERT INTO marry_ref (ref, promise_id, event_id) VALUES (?, ?, ?)", refs)
    counts[1] += len(promises)
    counts[2] += len(events)
    promises.clear()
    events.clear()
    refs.clear()


with open(source, encoding="utf-8") as lines:
    header = json.loads(next(lines))
    assert header["format"] == "marry-export" and header["version"] == 1, header
    for line in lines:
        r = json.loads(line)
        kind = r["type"]
        if kind == "event":
            events.append((r["id"], r["promise_id"], r["kind"], us(r["at"]), us(r["due"]),
                           r["note"], r["owner"], r["voids"], us(r["recorded"])))
            if r["ref"] is not None:
                refs.append((r["ref"], r["promise_id"], r["id"]))
        elif kind == "promise":
            if customers:
                directory()
            if len(promises) >= CHUNK:
                flush()
            promises.append((r["id"], r["customer_id"], r["text"], us(r["made"]),
                             us(r["due"]), r["size"], r["value"], r["owner"],
                             json.dumps(r["tags"], ensure_ascii=False), us(r["recorded"])))
            if r["ref"] is not None:
                refs.append((r["ref"], r["id"], None))
        elif kind == "customer":
            customers.append((r["id"], r["key"], r["name"], us(r["created"])))
            if r["merged_into"] is not None:
                merges.append((r["merged_into"], r["id"]))
        elif kind == "customer_change":
            changes.append((r["id"], r["kind"], r["customer_id"], r["into_id"], r["old_name"],
                            r["new_name"], r["owner"], us(r["at"])))
        else:
            raise SystemExit(f"unknown record type {kind!r}")
if customers:
    directory()
flush()
conn.execute("COMMIT")
conn.close()
print(*counts)
"""


# -- writing the export ----------------------------------------------------------------------


def iso(us: int | None) -> str | None:
    """format_utc of a time in microseconds: ...Z, with microseconds only when not zero."""
    if us is None:
        return None
    return (_EPOCH + timedelta(0, 0, us)).isoformat() + "Z"


def customer_names(rng: random.Random, count: int) -> list[str]:
    """`count` distinct display names (distinct keys too), some not ASCII."""
    from marrycli.domain import customer_key

    names: list[str] = []
    keys: set[str] = set()
    while len(names) < count:
        name = f"{rng.choice(FIRST)} {rng.choice(SECOND_WORDS)}{rng.choice(SUFFIXES)}"
        if customer_key(name) in keys:
            name = f"{name} {len(names) + 1}"
        if customer_key(name) not in keys:
            keys.add(customer_key(name))
            names.append(name)
    return names


def write_export(path: Path, promises: int, customers: int, seed: int = 20_251_124) -> dict:
    """Write a deterministic export of `promises` promises; returns its expected counts."""
    from marrycli.domain import customer_key
    from marrycli.storage.ledger import schema_version

    now = (time.time_ns() // 1000) // MINUTE * MINUTE - HOUR
    customer_rows, promise_rows, event_rows = generate(promises, customers, now)
    rng = random.Random(seed)
    owners = sorted({row[7] for row in promise_rows})

    # The directory: display names, ~1% renamed, ~0.5% merged into another customer.
    names = customer_names(rng, len(customer_rows) + len(customer_rows) // 100 + 1)
    spare = names[len(customer_rows) :]
    records: list[dict] = []
    changes: list[tuple] = []  # (at, kind, customer id, into id, old name, new name, owner)
    current = {row[0]: names[i] for i, row in enumerate(customer_rows)}
    created = {row[0]: row[4] for row in customer_rows}
    merged: dict[int, int] = {}
    ids = list(current)
    for cid in rng.sample(ids, len(spare)):
        old, new = current[cid], spare.pop()
        current[cid] = new
        at = now - int(rng.uniform(1, 300) * DAY)
        changes.append((max(at, created[cid]), "rename", cid, None, old, new, rng.choice(owners)))
    roots = ids[:]
    rng.shuffle(roots)
    for alias, into in zip(roots[: len(ids) // 200], roots[len(ids) // 200 :], strict=False):
        merged[alias] = into
        at = max(now - int(rng.uniform(1, 200) * DAY), created[alias], created[into])
        changes.append((at, "merge", alias, into, current[alias], current[into], "ana.lee"))
    changes.sort(key=itemgetter(0))
    for cid in ids:
        records.append(
            {
                "type": "customer",
                "id": cid,
                "name": current[cid],
                "key": customer_key(current[cid]),
                "merged_into": merged.get(cid),
                "created": iso(created[cid]),
            }
        )
    for change_id, (at, kind, cid, into, old, new, owner) in enumerate(changes, start=1):
        records.append(
            {
                "type": "customer_change",
                "id": change_id,
                "kind": kind,
                "customer_id": cid,
                "into_id": into,
                "old_name": old,
                "new_name": new,
                "owner": owner,
                "at": iso(at),
            }
        )

    event_rows.sort(key=itemgetter(1, 0))  # each promise's events follow it, in id order
    counts = {"customers": len(ids), "changes": len(changes), "promises": 0, "events": 0}
    counts["refs"] = 0
    dumps = json.dumps
    with path.open("w", encoding="utf-8", newline="") as out:
        header = {
            "format": "marry-export",
            "version": 1,
            "exported": iso(now),
            "schema_version": schema_version(),
        }
        out.write(dumps(header) + "\n")
        for record in records:
            out.write(dumps(record, ensure_ascii=False) + "\n")
        e = 0
        for pid, cid, text, made, due, size, value, owner, _tags, _recorded in promise_rows:
            tags = rng.sample(TAGS, rng.randint(1, 3)) if rng.random() < 0.4 else []
            ref = f"ci-{pid:07d}-add" if rng.random() < 0.2 else None
            recorded = min(now, made + rng.randrange(0, 2 * HOUR, SECOND))
            line = {
                "type": "promise",
                "id": pid,
                "customer_id": cid,
                "text": text,
                "made": iso(made),
                "due": iso(due),
                "size": size,
                "value": value,
                "owner": owner,
                "tags": tags,
                "ref": ref,
                "recorded": iso(recorded),
            }
            out.write(dumps(line, ensure_ascii=False) + "\n")
            counts["promises"] += 1
            counts["refs"] += ref is not None
            while e < len(event_rows) and event_rows[e][1] == pid:
                eid, _pid, kind, at, new_due, _note, eowner, voids, _rec = event_rows[e]
                e += 1
                note = None
                if kind == "renegotiated":
                    note = rng.choice(RENEGOTIATED_NOTES)
                elif kind == "cancelled":
                    note = "released by the customer"
                elif kind == "void":
                    note = "recorded by mistake"
                elif kind == "broken" and rng.random() < 0.5:
                    note = rng.choice(BROKEN_NOTES)
                elif kind == "kept" and rng.random() < 0.1:
                    note = rng.choice(KEPT_NOTES)
                eref = f"ci-{eid:07d}-{kind}" if rng.random() < 0.1 else None
                line = {
                    "type": "event",
                    "id": eid,
                    "promise_id": pid,
                    "kind": kind,
                    "at": iso(at),
                    "due": iso(new_due),
                    "note": note,
                    "owner": eowner,
                    "ref": eref,
                    "voids": voids,
                    "recorded": iso(min(now, at + rng.randrange(0, 10 * MINUTE, SECOND))),
                }
                out.write(dumps(line, ensure_ascii=False) + "\n")
                counts["events"] += 1
                counts["refs"] += eref is not None
        assert e == len(event_rows)
    return counts


# -- checking the two ledgers ------------------------------------------------------------------

# Every row, in a canonical order, with event ids replaced by what they identify.
DIGEST_SQL = {
    "customers": "SELECT c.key, c.name, m.key, c.created FROM marry_customer c"
    " LEFT JOIN marry_customer m ON m.id = c.merged_into ORDER BY c.key",
    "changes": "SELECT kind, old_name, new_name, owner, at FROM marry_customer_change"
    " ORDER BY at, kind, old_name, new_name",
    "promises": "SELECT p.id, c.key, p.text, p.made, p.due, p.size, p.value, p.owner, p.tags,"
    " p.recorded FROM marry_promise p JOIN marry_customer c ON c.id = p.customer_id"
    " ORDER BY p.id",
    "events": "SELECT e.promise_id, e.kind, e.at, e.due, e.note, e.owner, e.recorded,"
    " v.kind, v.at FROM marry_event e LEFT JOIN marry_event v ON v.id = e.voids"
    " ORDER BY 1, 3, 7, 2, 4, 5, 6",
    "refs": "SELECT r.ref, r.promise_id, e.kind, e.at FROM marry_ref r"
    " LEFT JOIN marry_event e ON e.id = r.event_id ORDER BY r.ref",
}


def digest(path: Path) -> dict[str, tuple[int, str]]:
    """(row count, sha256 of the rows) per table."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = {}
        for name, sql in DIGEST_SQL.items():
            h = hashlib.sha256()
            rows = 0
            cursor = conn.execute(sql)
            while batch := cursor.fetchmany(10_000):
                rows += len(batch)
                h.update(repr(batch).encode())
            result[name] = (rows, h.hexdigest()[:16])
        return result
    finally:
        conn.close()


def template_ledger(marry: str, folder: Path) -> Path:
    """An empty-ish ledger made by the real `marry` (one imported promise): its DDL is read."""
    source = folder / "one.jsonl"
    records = [
        {"format": "marry-export", "version": 1},
        {"type": "customer", "id": 1, "name": "Seed", "merged_into": None,
         "created": "2025-01-01T00:00:00Z"},
        {"type": "promise", "id": 1, "customer_id": 1, "text": "seed",
         "made": "2025-01-01T00:00:00Z", "due": None, "size": "small", "value": "low",
         "owner": "bench", "tags": [], "ref": None, "recorded": "2025-01-01T00:00:00Z"},
    ]  # fmt: skip
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    path = folder / "template.db"
    remove_ledger(path)
    subprocess.run(
        [marry, "--db", str(path), "import", str(source)], check=True, capture_output=True
    )
    return path


def remove_ledger(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# -- main ----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--promises", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, help="default: 10,000, at most promises/20")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write (or reuse) the export in this folder")
    args = parser.parse_args()
    customers = args.customers or max(1, min(10_000, args.promises // 20))
    if customers < 1 or args.promises < customers or args.runs < 1:
        parser.error("need customers >= 1, promises >= customers and runs >= 1")

    print(
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )
    marry = marry_executable()
    if args.keep is not None:
        workdir = args.keep.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="marry-bench-import-"))
    try:
        source = workdir / f"export-{args.promises}-{customers}.jsonl"
        facts = workdir / f"export-{args.promises}-{customers}.counts.json"
        if source.exists() and facts.exists():
            print(f"export: reusing {source}")
            expected = json.loads(facts.read_text())
        else:
            print(f"export: writing {args.promises:,} promises for {customers:,} customers ...")
            started = time.perf_counter()
            expected = write_export(source, args.promises, customers)
            facts.write_text(json.dumps(expected))
            print(f"export written in {time.perf_counter() - started:.1f} s")
        print(
            f"file: {mb(source.stat().st_size):.1f} MB; "
            + ", ".join(f"{n:,} {name}" for name, n in expected.items())
        )
        baseline_script = workdir / "baseline_import.py"
        baseline_script.write_text(BASELINE, encoding="utf-8")
        template = template_ledger(marry, workdir)
        return bench(marry, source, template, baseline_script, workdir, args)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def bench(
    marry: str, source: Path, template: Path, script: Path, workdir: Path, args: argparse.Namespace
) -> int:
    env = dict(os.environ)
    env.pop("MARRY_DB", None)

    def command(name: str, target: Path) -> list[str]:
        if name == "marry import":
            return [marry, "--db", str(target), "import", str(source)]
        return [sys.executable, str(script), str(source), str(template), str(target)]

    _s, floor, _c, _o, _e = measure(
        ["/bin/true"] if Path("/bin/true").exists() else [sys.executable, "-S", "-c", ""], env
    )
    print(f"RSS measurement floor (the wrapper's own): {mb(floor):.1f} MB")

    # Warm-up and checks (not timed).
    names = ("marry import", "baseline")
    checked: dict[str, Path] = {}
    for name in names:
        target = workdir / f"check-{name.replace(' ', '-')}.db"
        remove_ledger(target)
        seconds, rss, code, _out, err = measure(command(name, target), env, capture=True)
        if code != 0:
            print(f"{name} failed (exit {code}):\n{err.strip()}")
            return 2
        print(f"warm-up: {name} {seconds:.1f} s, peak RSS {mb(rss):.1f} MB {err.strip()}")
        checked[name] = target
    marry_ledger = str(checked["marry import"])
    check = subprocess.run(
        [marry, "--db", marry_ledger, "db", "check"], capture_output=True, text=True, env=env
    )
    print(f"marry db check (exit {check.returncode}): {(check.stdout + check.stderr).strip()}")
    if check.returncode != 0:
        return 2
    if args.promises <= 100_000:
        report = subprocess.run(
            [marry, "--db", marry_ledger, "report", "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
        )
        if report.returncode != 0:
            print(f"marry report failed (exit {report.returncode}): {report.stderr.strip()}")
            return 2
        listed = json.loads(report.stdout)["customers"]
        print(
            f"marry report: {len(listed):,} customers, "
            f"{sum(c['promises'] for c in listed):,} promises counted"
        )
    digests = {name: digest(path) for name, path in checked.items()}
    for table in DIGEST_SQL:
        a, b = digests["marry import"][table], digests["baseline"][table]
        print(f"rows {table:9} marry {a[0]:>9,} {a[1]}  baseline {b[0]:>9,} {b[1]}")
    if digests["marry import"] != digests["baseline"]:
        print("the two ledgers differ")
        return 2
    print("the two ledgers hold the same rows")
    for path in checked.values():
        if args.keep is None:
            remove_ledger(path)

    times: dict[str, list[float]] = {name: [] for name in names}
    peaks: dict[str, list[int]] = {name: [] for name in names}
    for run in range(args.runs):
        order = names if run % 2 == 0 else names[::-1]
        for name in order:
            target = workdir / f"run-{run + 1}-{name.replace(' ', '-')}.db"
            remove_ledger(target)
            seconds, rss, code, _out, err = measure(command(name, target), env)
            remove_ledger(target)
            if code != 0:
                print(f"{name} failed (exit {code}) in run {run + 1}:\n{err.strip()}")
                return 2
            times[name].append(seconds)
            peaks[name].append(rss)
            print(f"run {run + 1} {name:12} {seconds:8.2f} s  peak RSS {mb(rss):7.1f} MB")

    median = {name: statistics.median(values) for name, values in times.items()}
    print()
    for name in names:
        print(
            f"{name:12} median {median[name]:8.2f} s  "
            f"(min {min(times[name]):.2f}, max {max(times[name]):.2f})  "
            f"peak RSS {mb(max(peaks[name])):.1f} MB"
        )
    rows = digests["baseline"]
    print(f"sizes: {rows['promises'][0]:,} promises, {rows['events'][0]:,} events")
    rate = rows["promises"][0] / median["marry import"]
    print(f"marry import: {rate:,.0f} promises/s")
    paired = [a / b for a, b in zip(times["marry import"], times["baseline"], strict=True)]
    print(
        "ratio per run (each pair ran back to back): "
        + ", ".join(f"{r:.2f}" for r in paired)
        + f"; their median {statistics.median(paired):.2f}"
    )
    ratio = median["marry import"] / median["baseline"]
    ok = ratio <= RATIO_TARGET
    print(
        f"ratio import/baseline: {ratio:.2f} (target <= {RATIO_TARGET:g}) "
        f"{'PASS' if ok else 'MISS'}"
    )
    peak = mb(max(peaks["marry import"]))
    small = peak <= RSS_TARGET_MB
    print(
        f"marry import peak RSS: {peak:.1f} MB (target <= {RSS_TARGET_MB:g} MB) "
        f"{'PASS' if small else 'MISS'}"
    )
    return 0 if ok and small else 1


if __name__ == "__main__":
    sys.exit(main())
