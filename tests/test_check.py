"""`marry check`: quiet when fine, specific when not, exit 1 for a failing gate."""

from __future__ import annotations

import pytest

from ledgers import day
from marrycli.dates import format_utc


def at(days: float) -> str:
    return format_utc(day(days))


def seed(marry) -> None:
    """acme: 3 kept weekly (dating); globex: one kept, one broken, one overdue (estranged)."""
    for i in range(3):
        pid = marry.add(f"a{i}", "acme", "--made", at(7 * i), "--due", at(7 * i + 7))
        marry.ok("keep", str(pid), "--at", at(7 * i + 7))
    kept = marry.add("g0", "globex", "--made", at(0), "--due", at(7))
    marry.ok("keep", str(kept), "--at", at(7))
    broken = marry.add("g1", "globex", "--made", at(8), "--due", at(14))
    marry.ok("break", str(broken), "--at", at(14))
    marry.add("g2", "globex", "--made", at(15), "--due", at(16))


@pytest.fixture
def seeded(backend, tmp_path, seeded_ledgers):
    """`marry` on the ledger `seed` records (recorded once per backend); checks only read it."""
    marry, _ = seeded_ledgers.marry(backend, seed, tmp_path)
    return marry


def test_a_passing_check_is_silent_on_stdout(seeded):
    marry = seeded
    result = marry("check", "--customer", "acme", "--min-stage", "dating", "--max-overdue", "0")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "marry: check passed: 1 customer\n"
    assert marry.json("check", "-c", "acme", "--min-keep-rate", "1") == {"ok": True, "findings": []}


def test_a_failing_check_lists_each_finding_and_exits_1(seeded):
    marry = seeded
    result = marry("check", "--min-stage", "dating", "--min-keep-rate", "0.9", "--max-overdue", "0")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "globex: min-stage: expected dating or better, actual estranged",
        "globex: min-keep-rate: expected at least 90.00%, actual 33.33%",
        "globex: max-overdue: expected at most 0, actual 1",
    ]
    assert "check failed: 3 finding(s) for 1 of 2 customers" in result.stderr
    document = marry("check", "--min-stage", "trusted", "--json")
    assert document.exit_code == 1
    assert document.json() == {
        "ok": False,
        "findings": [
            {"customer": "acme", "check": "min-stage", "expected": "trusted", "actual": "dating"},
            {
                "customer": "globex",
                "check": "min-stage",
                "expected": "trusted",
                "actual": "estranged",
            },
        ],
    }


def test_check_as_of_and_nothing_resolved(seeded):
    marry = seeded
    # Before anything was resolved, every keep-rate gate passes.
    assert marry("check", "--min-keep-rate", "1", "--as-of", at(3)).exit_code == 0
    assert marry("check", "--max-overdue", "0", "--as-of", at(15.5)).exit_code == 0
    assert marry("check", "--max-overdue", "0", "--as-of", at(16.5)).exit_code == 1


def test_check_refuses_bad_gates_with_exit_2(seeded_ledgers, tmp_path):
    sqlite_marry, _ = seeded_ledgers.marry("sqlite", seed, tmp_path)
    before = sqlite_marry.rows()
    for args in (
        [],
        ["--min-stage", "soulmates"],
        ["--min-keep-rate", "90"],
        ["--min-keep-rate", "high"],
        ["--max-overdue", "-1"],
        ["--min-stage", "dating", "--customer", "initech"],
        ["--min-stage", "dating", "--as-of", "whenever"],
        ["--min-stage", "dating", "--format", "csv"],
    ):
        result = sqlite_marry("check", *args)
        assert result.exit_code == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert sqlite_marry.rows() == before


def test_check_on_an_empty_ledger_passes(sqlite_marry):
    result = sqlite_marry("check", "--min-stage", "married")
    assert result.exit_code == 0 and "0 customers" in result.stderr
