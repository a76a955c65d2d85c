"""What a standing promise costs `marry report`, against the same promises stored one by one.

Run by hand (not by pytest), from the project's environment:

    python benchmarks/bench_standing.py [--runs 15] [--days 1096] [--others 200]

Two SQLite ledgers, each with `--others` customers of 5 plain promises, and one customer,
Daily, with a promise a day for `--days` days (about 3 years), every 10th kept, the others
never recorded (so overdue): in the first ledger as one daily series with its kept
occurrences stored, in the second as that many promises stored one by one. Both are written
through `marry import`. The report (all customers) and `report --customer Daily` are timed
in-process through the service (the medians of `--runs`, interleaved), and compared: the
series should cost about what the stored promises do (target: at most 1.5 x). Exits 1 if a
ratio misses it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ["TZ"] = "UTC"
TARGET = 1.5
START = datetime(2023, 12, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _file(path: Path, days: int, others: int, series: bool) -> None:
    lines: list[dict[str, object]] = [{"format": "marry-export", "version": 3}]
    created = _z(START)
    lines.append({"type": "customer", "id": 1, "name": "Daily", "key": "daily",
                  "merged_into": None, "created": created})  # fmt: skip
    for c in range(others):
        lines.append({"type": "customer", "id": c + 2, "name": f"Customer {c}",
                      "key": f"customer {c}", "merged_into": None, "created": created})  # fmt: skip
    pid = eid = 0

    def promise(customer: int, made: datetime, due: datetime | None, **extra: object) -> int:
        nonlocal pid
        pid += 1
        lines.append({"type": "promise", "id": pid, "customer_id": customer,
                      "text": "Daily report", "made": _z(made),
                      "due": _z(due) if due else None, "size": "medium", "value": "high",
                      "owner": "ops", "tags": [], "ref": None, "recorded": _z(made),
                      **extra})  # fmt: skip
        return pid

    def kept(promise_id: int, at: datetime) -> None:
        nonlocal eid
        eid += 1
        lines.append({"type": "event", "id": eid, "promise_id": promise_id, "kind": "kept",
                      "at": _z(at), "due": None, "note": None, "owner": "ops", "ref": None,
                      "voids": None, "recorded": _z(at)})  # fmt: skip

    if series:
        sid = promise(1, START, None, every="1d", within="1d", until=None, zone="UTC")
    for k in range(1, days + 1):
        made = START + (k - 1) * DAY
        if series:
            if k % 10 == 0:
                kept(promise(1, made, made + DAY, series_id=sid, occurrence=k), made + DAY / 2)
        else:
            one = promise(1, made, made + DAY)
            if k % 10 == 0:
                kept(one, made + DAY / 2)
    for c in range(others):
        for i in range(5):
            made = START + i * 30 * DAY
            one = promise(c + 2, made, made + 7 * DAY)
            if i % 2 == 0:
                kept(one, made + DAY)
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--days", type=int, default=1096)
    parser.add_argument("--others", type=int, default=200)
    args = parser.parse_args()

    from typer.testing import CliRunner

    from marrycli.cli.app import app
    from marrycli.service.reports import report, report_customer
    from marrycli.storage.ledger import Ledger
    from marrycli.storage.location import resolve_location

    folder = Path(tempfile.mkdtemp(prefix="marry-bench-standing-"))
    as_of = START + (args.days - 1) * DAY + DAY / 2  # the last made, not yet due
    ledgers = {}
    for name, series in (("series", True), ("stored", False)):
        source = folder / f"{name}.jsonl"
        _file(source, args.days, args.others, series)
        db = folder / f"{name}.db"
        result = CliRunner().invoke(app, ["--db", str(db), "import", str(source)])
        assert result.exit_code == 0, result.output
        ledgers[name] = Ledger(resolve_location(str(db)))
    # The two must agree before their times are compared.
    same = [report(ledgers[n], as_of=as_of, trend=True) for n in ledgers]
    for mine, theirs in zip(same[0], same[1], strict=True):
        a, b = mine.report, theirs.report
        assert (a.promises, a.kept, a.overdue, a.open, a.streak, a.stage) == (
            b.promises,
            b.kept,
            b.overdue,
            b.open,
            b.streak,
            b.stage,
        ), (a, b)
        assert abs(mine.report.trust - theirs.report.trust) < 1e-9
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.runs):
        for name, ledger in ledgers.items():
            for what, run in (
                ("report", lambda ledger=ledger: report(ledger, as_of=as_of, trend=True)),
                (
                    "report --customer",
                    lambda ledger=ledger: report_customer(ledger, "Daily", as_of=as_of),
                ),
            ):
                began = time.perf_counter()
                run()
                times.setdefault((what, name), []).append(time.perf_counter() - began)
    failed = False
    for what in ("report", "report --customer"):
        series_ms = statistics.median(times[(what, "series")]) * 1000
        stored_ms = statistics.median(times[(what, "stored")]) * 1000
        ratio = series_ms / stored_ms
        verdict = "ok" if ratio <= TARGET else "MISSED"
        failed |= ratio > TARGET
        print(
            f"{what:18} series {series_ms:8.1f} ms  stored one by one {stored_ms:8.1f} ms  "
            f"ratio {ratio:4.2f} (target <= {TARGET}) {verdict}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
