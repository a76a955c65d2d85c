"""Random mutations of a valid export, fed to `marry import` (issue 9, done-when 2).

A valid JSONL or CSV export of a ledger with every kind of record is changed at random:
fields set to other records' values or to hostile ones (out of range, in the future, wrong
types, lone surrogates, control characters, huge numbers), lines dropped, duplicated,
swapped or moved. Imported into a new ledger or into the ledger it came from, it either
gives a ledger that `db check` finds sound and every read command can show, or is refused
with exit 2, one line on stderr, and the ledger unchanged. Never exit 70.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import Marry, ledger_rows
from test_transfer import seed

TIMES = [
    "2024-01-01T00:00:00Z",
    "2024-01-03T12:00:00Z",
    "2024-01-08T00:00:00Z",
    "2024-01-25T00:00:00Z",
    "2024-03-01T00:00:00+05:00",
    "2026-12-04T00:00:00Z",
    "1000-01-01T00:00:00Z",
    "8999-12-31T23:59:59Z",
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00+05:00",
    "2999-01-01T00:00:00Z",
    "2024-01-01T00:00:00",
    "2024-02-30T00:00:00Z",
    "soon",
]
TEXTS = [
    "",
    " ",
    "x",
    "acme",
    "ACME",
    "Acme GmbH",
    "x" * 2001,
    "\ud800",
    "a\x1bb",
    "a\u202eb",
    "a;b",
    "'=cmd",
    "<U+0041>",
    "kept",
    "broken",
    "void",
    "renegotiated",
    "cancelled",
    "merge",
    "rename",
    "small",
    "large",
    "none",
    "high",
    "customer",
    "promise",
    "event",
    "customer_change",
]
OTHERS: list[Any] = [None, 0, -1, 1, 2, 3, 7, 2**63, 10**30, True, 1.5, [], {}, ["a", "a"], ["x;y"]]
JSON_VALUES = st.sampled_from(TIMES + TEXTS + OTHERS)
CSV_VALUES = st.sampled_from(
    TIMES
    + TEXTS
    + ["open", "overdue", "kept_late", "<U+D800>", "<U+001B>", "a<U+202E>b", "t1;t2", "7"]
)


@dataclass
class Source:
    jsonl: list[str]
    csv: list[str]
    ledger: Path  # the ledger they were exported from


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    folder = tmp_path_factory.mktemp("mutations")
    marry = Marry(db=str(folder / "seed.db"), backend="sqlite", env={"TZ": "UTC"})
    seed(marry)
    jsonl = marry.ok("export").stdout.splitlines()
    table = marry.ok("export", "--format", "csv").stdout.splitlines(keepends=True)
    return Source(jsonl, table, folder / "seed.db")


def _mutate_jsonl(lines: list[str], data: st.DataObject) -> list[str]:
    index = data.draw(st.integers(0, len(lines) - 1))
    try:
        record = json.loads(lines[index])
    except ValueError:
        return lines
    if not isinstance(record, dict) or not record:
        return lines
    name = data.draw(st.sampled_from(sorted(record)))
    if data.draw(st.booleans()):  # another record's value of the same field
        donors = [json.loads(line) for line in lines if line.startswith("{")]
        values = [d[name] for d in donors if isinstance(d, dict) and name in d]
        record[name] = data.draw(st.sampled_from(values))
    elif data.draw(st.integers(0, 9)) == 0:
        del record[name]
    else:
        record[name] = data.draw(JSON_VALUES)
    lines[index] = json.dumps(record)
    return lines


def _mutate_csv(lines: list[str], data: st.DataObject) -> list[str]:
    index = data.draw(st.integers(0, len(lines) - 1))
    rows = list(csv.reader(io.StringIO(lines[index])))
    if not rows or not rows[0]:
        return lines
    row = rows[0]
    row[data.draw(st.integers(0, len(row) - 1))] = data.draw(CSV_VALUES)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    lines[index] = out.getvalue()
    return lines


def mutate(lines: list[str], data: st.DataObject, is_csv: bool) -> list[str]:
    lines = list(lines)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        if not lines:
            break
        kind = data.draw(
            st.sampled_from(["field", "field", "field", "drop", "dup", "swap", "move"])
        )
        i = data.draw(st.integers(0, len(lines) - 1))
        j = data.draw(st.integers(0, len(lines) - 1))
        if kind == "field":
            lines = (_mutate_csv if is_csv else _mutate_jsonl)(lines, data)
        elif kind == "drop":
            del lines[i]
        elif kind == "dup":
            lines.insert(j, lines[i])
        elif kind == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines.insert(j, lines.pop(i))
    return lines


READS = [
    ("report", "--json"),
    ("report", "--customer", "acme", "--json"),
    ("promise", "list", "--status", "all", "--format", "csv"),
    ("export",),
    ("customer", "list", "--json"),
    ("agenda",),
]


@settings(
    max_examples=int(os.environ.get("MARRY_TEST_MUTATIONS", "100")),  # more: a longer hunt
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_mutated_export_imports_soundly_or_changes_nothing(source: Source, data: Any) -> None:
    is_csv = data.draw(st.integers(0, 3), label="csv") == 0
    lines = mutate(source.csv if is_csv else source.jsonl, data, is_csv)
    into_seed = data.draw(st.booleans(), label="into the exported ledger")
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "ledger.db"
        if into_seed:
            shutil.copy(source.ledger, db)
        path = Path(folder) / ("mutated.csv" if is_csv else "mutated.jsonl")
        separator = "" if is_csv else "\n"
        path.write_text(separator.join(lines) + separator, "utf-8", errors="surrogatepass")
        marry = Marry(db=str(db), backend="sqlite", env={"TZ": "UTC"})
        before = ledger_rows(str(db))
        result = marry("import", str(path))
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        event("imported" if result.exit_code == 0 else "refused")
        if result.exit_code == 0:
            checked = marry("db", "check")
            assert checked.exit_code == 0, (checked.stderr, lines)
            for args in READS:
                read = marry(*args)
                if args[1:2] == ("--customer",) and read.exit_code == 2:
                    continue  # no customer acme in this ledger: fine
                assert read.exit_code == 0, (args, read.stderr, lines)
        else:
            assert result.exit_code == 2, (result.exit_code, result.stderr, lines)
            assert result.stderr.count("\n") == 1, result.stderr
            assert ledger_rows(str(db)) == before
            if not into_seed:
                assert not db.exists()
