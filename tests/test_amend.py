"""`marry promise amend` (SPEC §6): a correction of how a promise was recorded is an
`amended` event of only the changes; the promise's terms are the corrected ones for every
as_of, everywhere; `undo` takes it back; it survives export and import."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Marry

AS_OFS = ["2026-01-03T00:00:00Z", "2026-01-12T00:00:00Z", "2026-02-01T00:00:00Z"]


def _report(marry: Marry, customer: str = "acme") -> list[dict]:
    return [marry.json("report", "--customer", customer, "--as-of", a) for a in AS_OFS]


def _without_times(document: dict) -> dict:
    """A detail report without what differs between two ledgers of the same promises: the
    events' ids and recording times (promises_detail)."""
    return {k: v for k, v in document.items() if k != "promises_detail"}


def test_an_amendment_corrects_the_terms_everywhere(marry):
    pid = str(marry.add("Ship SSO", "acme", "--made", "2026-01-01", "--due", "2026-01-10",
                        "--size", "small", "--tag", "q4"))  # fmt: skip
    marry.ok("keep", pid, "--at", "2026-01-05")
    before = _report(marry)
    written = marry.json("promise", "amend", pid, "--size", "large", "--value", "low",
                         "--text", "Ship SSO for EU", "--owner", "lee", "--tag", "eu",
                         "--untag", "q4", "--note", "the whole rollout")  # fmt: skip
    assert (written["text"], written["size"], written["value"], written["owner"]) == (
        "Ship SSO for EU",
        "large",
        "low",
        "lee",
    )
    assert written["tags"] == ["eu"] and written["status"] == "kept"
    shown = marry.json("promise", "show", pid)
    amended = shown["events"][-1]
    assert amended["kind"] == "amended" and amended["note"] == "the whole rollout"
    assert amended["changes"] == {
        "text": "Ship SSO for EU", "size": "large", "value": "low", "owner": "lee", "tags": ["eu"]
    }  # fmt: skip
    assert "changes" not in shown["events"][0]  # other events keep their shape
    # Listings, searches, owners and the report see the corrected terms.
    assert [p["id"] for p in marry.json("promise", "list", "--status", "all", "--tag", "eu")] == [
        int(pid)
    ]
    assert marry.json("promise", "list", "--status", "all", "--tag", "q4") == []
    assert len(marry.json("promise", "list", "--status", "all", "--text", "EU")) == 1
    assert len(marry.json("promise", "list", "--status", "all", "--owner", "LEE")) == 1
    assert [o["owner"] for o in marry.json("report", "--by", "owner")["owners"]] == ["lee"]
    after = _report(marry)
    # Kept: small and high gave r = 1 (trust 1/3); large and low give r = 3 * 0.5.
    assert before[1]["trust"] == pytest.approx(1 / 3)
    assert after[1]["trust"] == pytest.approx(1.5 / 3.5)
    table = marry.ok("promise", "show", pid).stdout
    assert "amended" in table and "size: large" in table


def test_undo_takes_the_last_amendment_back(marry):
    pid = str(marry.add("a", "acme", "--made", "2026-01-01", "--due", "2026-01-10"))
    marry.ok("keep", pid, "--at", "2026-01-05")
    before = _report(marry)
    marry.ok("promise", "amend", pid, "--value", "none")
    assert _report(marry) != before
    undone = marry.json("undo", pid)
    assert undone["value"] == "high" and undone["status"] == "kept"
    assert _report(marry) == before
    assert marry.json("undo", pid)["status"] == "overdue"  # then the keep, as before


def test_a_keep_may_be_dated_before_an_amendment(marry):
    pid = str(marry.add("a", "acme", "--made", "2026-01-01", "--due", "2026-01-10"))
    marry.ok("promise", "amend", pid, "--size", "large")
    kept = marry.json("keep", pid, "--at", "2026-01-05")
    assert (kept["status"], kept["size"]) == ("kept", "large")
    assert marry.ok("db", "check").exit_code == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--size", "medium"], "--size: promise 1 already has size medium"),
        (["--value", "high"], "--value: promise 1 already has value high"),
        (["--text", "Ship SSO"], "--text: promise 1 already has this text"),
        (["--owner", "tester"], "--owner: promise 1 already has this owner"),
        (["--tag", "q4"], "--tag: promise 1 already has the tag 'q4'"),
        (["--untag", "eu"], "--untag: promise 1 has no tag 'eu' to remove"),
        (["--tag", "x", "--untag", "x"], "--tag and --untag both name 'x'"),
        ([], "nothing to amend: give --text, --size, --value, --owner, --tag or --untag"),
        (["--size", "huge"], "Invalid value for '--size'"),
        (["--text", "a\x07b"], "control character"),
    ],
)
def test_an_amendment_that_changes_nothing_is_bad_input(marry, args, says):
    marry.add("Ship SSO", "acme", "--tag", "q4")
    before = marry.rows()
    result = marry("promise", "amend", "1", *args)
    assert result.exit_code == 2 and says in result.stderr, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert marry.rows() == before


def test_a_retried_amendment_with_its_ref_records_once(marry):
    marry.add()
    first = marry.ok("promise", "amend", "1", "--size", "large", "--ref", "fix-1")
    again = marry.ok("promise", "amend", "1", "--size", "large", "--ref", "fix-1")
    assert "already recorded; nothing added" in again.stderr
    assert first.stdout == again.stdout
    assert len(marry.json("promise", "show", "1")["events"]) == 1


def test_export_and_import_keep_amendments(marry, tmp_path):
    pid = str(marry.add("a", "acme", "--made", "2026-01-01", "--due", "2026-01-10"))
    marry.ok("keep", pid, "--at", "2026-01-05")
    marry.ok("promise", "amend", pid, "--size", "large", "--tag", "eu")
    marry.ok("promise", "amend", pid, "--value", "low")
    marry.ok("undo", pid)
    export = tmp_path / "ledger.jsonl"
    marry.ok("export", "-o", str(export))
    copy = Marry(db=str(tmp_path / "copy.db"), backend="sqlite", path=tmp_path / "copy.db")
    copy.ok("import", str(export))
    assert _report(copy) == _report(marry)
    assert copy.json("promise", "show", "1") == marry.json("promise", "show", pid)
    assert copy.ok("db", "check").exit_code == 0
    # A file whose amendment changes nothing known is refused, naming its line.
    bad = tmp_path / "bad.jsonl"
    bad.write_text(export.read_text().replace('"size": "large"', '"colour": "red"'))
    refused = Marry(db=str(tmp_path / "x.db"), backend="sqlite")("import", str(bad))
    assert refused.exit_code == 2 and "changes has 'colour'" in refused.stderr


# -- the property: an amendment is as if recorded that way from the start ---------------------

SIZES = ["small", "medium", "large"]
VALUES = ["none", "low", "high"]
OUTCOMES = ["keep", "break", None]


@st.composite
def ledgers(draw: st.DrawFn) -> list[tuple[str, str, str | None, str, str]]:
    """Promises as (size, value, outcome, amended size, amended value)."""
    count = draw(st.integers(1, 4))
    return [
        (
            draw(st.sampled_from(SIZES)),
            draw(st.sampled_from(VALUES)),
            draw(st.sampled_from(OUTCOMES)),
            draw(st.sampled_from(SIZES)),
            draw(st.sampled_from(VALUES)),
        )
        for _ in range(count)
    ]


def _record(marry: Marry, promises: list[tuple[str, str, str | None]]) -> None:
    for i, (size, value, outcome) in enumerate(promises):
        pid = marry.add(f"p{i}", "acme", "--made", f"2026-01-0{1 + i}",
                        "--due", f"2026-01-{10 + i}", "--size", size, "--value", value)  # fmt: skip
        if outcome is not None:
            marry.ok(outcome, str(pid), "--at", f"2026-01-0{5 + i}")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_amending_size_or_value_is_as_if_recorded_so_from_the_start(promises):
    with tempfile.TemporaryDirectory() as folder:
        amended = Marry(db=str(Path(folder) / f"{uuid.uuid4().hex}.db"), backend="sqlite")
        _record(amended, [(s, v, o) for s, v, o, _, _ in promises])
        original = _report(amended)
        changed = False
        for i, (size, value, _, new_size, new_value) in enumerate(promises, start=1):
            args = (["--size", new_size] if new_size != size else []) + (
                ["--value", new_value] if new_value != value else []
            )
            if args:
                amended.ok("promise", "amend", str(i), *args)
                changed = True
        direct = Marry(db=str(Path(folder) / "direct.db"), backend="sqlite")
        _record(direct, [(ns, nv, o) for _, _, o, ns, nv in promises])
        assert [_without_times(r) for r in _report(amended)] == [
            _without_times(r) for r in _report(direct)
        ]
        for i in range(len(promises), 0, -1):  # undo every amendment: the original numbers
            events = amended.json("promise", "show", str(i))["events"] if changed else []
            if events and events[-1]["kind"] == "amended":
                amended.ok("undo", str(i))
        assert _report(amended) == original


def test_an_export_of_a_newer_format_is_refused_and_version_1_still_reads(sqlite_marry, tmp_path):
    newer = tmp_path / "newer.jsonl"
    newer.write_text('{"format": "marry-export", "version": 4}\n')
    refused = sqlite_marry("import", str(newer))
    assert refused.exit_code == 2
    assert "export format version 4; this marry reads versions 1 to 3" in refused.stderr
    older = tmp_path / "older.jsonl"
    older.write_text('{"format": "marry-export", "version": 1}\n')
    assert sqlite_marry.ok("import", str(older)).exit_code == 0


def test_a_retried_add_after_its_text_was_amended_records_nothing(marry):
    first = marry.json("promise", "add", "Ship SSO", "-c", "acme", "--ref", "ci-1")
    marry.ok("promise", "amend", "ref:ci-1", "--text", "Ship SSO for EU")
    before = marry.rows()
    again = marry.ok("promise", "add", "Ship SSO", "-c", "acme", "--ref", "ci-1")
    assert "already recorded as promise" in again.stderr
    assert marry.rows() == before and again.stdout.startswith(
        f"{first['id']} acme: Ship SSO for EU"
    )
