"""`marry report`: SPEC §5's worked examples through the CLI, views, --as-of, streaming."""

from __future__ import annotations

import sqlite3

import pytest

from ledgers import WORKED_EXAMPLES, LedgerSpec, PromiseSpec, day
from marrycli.dates import format_utc

CUSTOMER_FIELDS = {
    "customer", "promises", "open", "overdue", "kept", "kept_late", "broken", "cancelled",
    "renegotiated", "keep_rate", "keep_rate_low", "streak", "longest_streak", "trust",
    "distrust", "uncertainty", "stage", "since",
}  # fmt: skip


def at(days: float) -> str:
    return format_utc(day(days))


def build(marry, spec: LedgerSpec) -> list[int]:
    """Record a described ledger through the CLI, with full timestamps; returns the ids."""
    ids: list[int] = []
    for index, write in spec.commands():
        if isinstance(write, PromiseSpec):
            args = ["promise", "add", f"{write.text} {index}", "--customer", spec.customer]
            args += ["--made", at(write.made), "--size", write.size, "--value", write.value]
            if write.due is not None:
                args += ["--due", at(write.due)]
            ids.append(int(marry.json(*args)["id"]))
            continue
        pid = str(ids[index])
        kind = write.kind.value
        if kind == "kept":
            marry.ok("keep", pid, "--at", at(write.at))
        elif kind == "broken":
            marry.ok("break", pid, "--at", at(write.at))
        elif kind == "renegotiated":
            assert write.due is not None
            marry.ok("renegotiate", pid, "--at", at(write.at), "--due", at(write.due))
        else:
            marry.ok("promise", "cancel", pid, "--note", "released")
    return ids


@pytest.mark.parametrize("name", list(WORKED_EXAMPLES))
def test_worked_examples_through_the_cli(marry, name):
    spec, trust, distrust, stage, keep_rate, streak, longest = WORKED_EXAMPLES[name]
    build(marry, spec)
    args = ("report", "--customer", spec.customer, "--as-of", at(spec.as_of), "--json")
    found = marry.ok(*args).json()
    assert found["trust"] == pytest.approx(trust, abs=1e-4)
    assert found["distrust"] == pytest.approx(distrust, abs=1e-4)
    assert found["stage"] == stage
    assert found["keep_rate"] == pytest.approx(keep_rate, abs=1e-4)
    assert (found["streak"], found["longest_streak"]) == (streak, longest)
    assert found["trust"] + found["distrust"] + found["uncertainty"] == pytest.approx(1, abs=1e-12)
    # The same customer in the all-customers report.
    everyone = marry.json("report", "--as-of", at(spec.as_of))
    assert everyone["as_of"] == at(spec.as_of)
    assert [c["trust"] for c in everyone["customers"]] == [found["trust"]]


def test_report_json_has_exactly_the_spec_fields(marry):
    marry.add("a", "acme", "--made", at(0), "--due", at(7))
    marry.ok("keep", "1", "--at", at(6))
    document = marry.json("report")
    assert set(document) == {"as_of", "customers"}
    assert set(document["customers"][0]) == CUSTOMER_FIELDS
    detail = marry.json("report", "--customer", "ACME")
    assert set(detail) == CUSTOMER_FIELDS | {
        "promises_detail",
        "timeline",
        "budget",
        "values",
        "standing",
    }
    assert detail["since"] == at(6)
    assert [p["id"] for p in detail["promises_detail"]] == [1]
    assert detail["timeline"] == [{"at": at(6), "trust": 0.5, "distrust": 0.0, "stage": "dating"}]


def test_as_of_before_an_event_equals_the_ledger_without_it(marry):
    marry.add("a", "acme", "--made", at(0), "--due", at(7))
    marry.add("b", "acme", "--made", at(1), "--due", at(30))
    marry.ok("keep", "1", "--at", at(6))
    before = marry.json("report", "--customer", "acme", "--as-of", at(10))
    marry.ok("break", "2", "--at", at(20))
    marry.add("c", "acme", "--made", at(25))
    assert marry.json("report", "--customer", "acme", "--as-of", at(10)) == before
    after = marry.json("report", "--customer", "acme", "--as-of", at(21))
    assert after["broken"] == 1 and after["trust"] < before["trust"]


def test_merged_customers_are_reported_together(marry):
    marry.add("a", "acme", "--made", at(0), "--due", at(7))
    marry.add("b", "ACME GmbH", "--made", at(1), "--due", at(8))
    marry.add("c", "globex", "--made", at(1))
    marry.ok("customer", "merge", "acme gmbh", "acme")
    customers = {c["customer"]: c for c in marry.json("report")["customers"]}
    assert set(customers) == {"acme", "globex"}
    assert customers["acme"]["promises"] == 2 and customers["acme"]["overdue"] == 2


def test_the_table_puts_customers_needing_attention_first(marry):
    for i in range(3):
        marry.add(f"kept {i}", "Zeta", "--made", at(7 * i), "--due", at(7 * i + 7))
        marry.ok("keep", str(i + 1), "--at", at(7 * i + 6))
    marry.add("late", "[bold]Alpha[/]", "--made", at(0), "--due", at(3))
    out = marry.ok("report").stdout
    lines = out.splitlines()
    assert lines[1].startswith("!") and "[bold]Alpha" in lines[1]
    assert "[bold]Alpha[/]" in marry.ok("report", COLUMNS="120").stdout
    zeta = next(line for line in lines if "Zeta" in line)
    assert lines.index(zeta) > 1 and not zeta.startswith("!")
    assert all(len(line) <= 80 for line in lines)
    assert not set(out) & set("─│┌┐└┘├┤┬┴┼━┃")
    assert "\x1b" not in out


def test_the_detail_view_explains_the_stage(marry):
    for i in range(3):
        marry.add(f"kept {i}", "acme", "--made", at(7 * i), "--due", at(7 * i + 7))
        marry.ok("keep", str(i + 1), "--at", at(7 * i + 7))
    out = marry.ok("report", "--customer", "acme", "--as-of", at(21)).stdout
    words = " ".join(out.split())
    assert "acme is dating" in words
    assert "2 more valued promises kept and 46 more days to reach trusted" in words
    assert "* trust" in out and "What moved trust most" in out
    assert all(len(line) <= 80 for line in out.splitlines())


@pytest.mark.parametrize("columns", [60, 80, 132])
def test_the_terminal_chart_puts_events_at_their_real_time_across_the_terminal(
    sqlite_marry, columns
):
    marry = sqlite_marry
    # Kept on days 2 and 8, as of day 10: trust steps up at 2/10 and 8/10 of the width.
    for i, kept in enumerate((2, 8)):
        marry.add(f"kept {i}", "acme", "--made", at(0), "--due", at(20))
        marry.ok("keep", str(i + 1), "--at", at(kept))
    out = marry.ok("report", "-c", "acme", "--as-of", at(10), COLUMNS=str(columns)).stdout
    lines = out.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("1.00 |"))
    rows = [line[6:].ljust(columns - 6) for line in lines[top : top + 8]]
    assert lines[top + 7].startswith("0.00 |") and len(lines[top + 7]) == columns
    # Where trust steps up: the column of each keep, proportional to its day (0 to 10).
    height = [next((8 - y for y, row in enumerate(rows) if row[x] == "*"), 0)
              for x in range(columns - 6)]  # fmt: skip
    steps = [x for x in range(1, len(height)) if height[x] > height[x - 1]]
    assert [round(10 * x / (columns - 7)) for x in steps] == [2, 8]
    assert all(row[: steps[0]].strip() == "" for row in rows)  # nothing scored yet
    labels = lines[top + 8]
    assert labels.split() == ["2024-01-01", "2024-01-06", "2024-01-11"]
    assert len(labels) == columns


def test_report_csv(marry):
    marry.add("a", "=cmd", "--made", at(0))
    rows = marry.ok("report", "--format", "csv").stdout.splitlines()
    assert rows[0].split(",")[:3] == ["customer", "promises", "open"]
    assert rows[1].startswith("'=cmd,1,1,")


def test_report_of_an_unknown_customer(sqlite_marry):
    assert sqlite_marry.json("report")["customers"] == []
    assert sqlite_marry("report", "--customer", "acme").exit_code == 2
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()
    sqlite_marry.add()
    result = sqlite_marry("report", "--customer", "globex")
    assert result.exit_code == 2 and "no customer" in result.stderr
    assert sqlite_marry("report", "--customer", "acme", "--format", "csv").exit_code == 2


def test_the_report_query_reads_the_promises_through_and_sorts_once(sqlite_marry):
    """Walking the index on (customer_id, made) costs a random page read per promise and per
    event, twice the time of reading both tables through and sorting (bench_report.py)."""
    from marrycli.storage.repo import REPORT_SQL

    for i in range(30):
        sqlite_marry.add(f"p{i}", f"c{i % 4}", "--made", at(i))
    with sqlite3.connect(sqlite_marry.db) as conn:
        plans = [[row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + REPORT_SQL, {"as_of": 0})]]
        conn.execute("ANALYZE")  # with statistics, too
        plans.append(
            [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + REPORT_SQL, {"as_of": 0})]
        )
    conn.close()
    for plan in plans:
        assert plan[0] == "SCAN p", plan
        assert "ix_marry_event_promise_id" in plan[1], plan
        assert plan[2:] == ["USE TEMP B-TREE FOR ORDER BY"], plan
