"""Standing promises (SPEC §7) through the CLI on both backends: occurrences exist by time and
score exactly as the same promises recorded one by one; months clamp, daylight saving does not
move a call, ending stops occurrences, a race stores one row, export and import keep it all."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Marry, marry_executable

START = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # a Monday, 10:00 (TZ=UTC in tests)
WEEK = timedelta(days=7)
AS_OFS = ("2026-01-20T00:00:00Z", "2026-02-10T12:00:00Z", "2026-03-01T00:00:00Z",
          "2026-04-01T00:00:00Z")  # fmt: skip
SCORES = ("trust", "distrust", "uncertainty", "keep_rate", "keep_rate_low")


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _customer(marry: Marry, name: str, as_of: str) -> dict[str, Any]:
    found = [
        c for c in marry.json("report", "--as-of", as_of)["customers"] if c["customer"] == name
    ]
    assert len(found) == 1
    return found[0]


def _same_scores(left: dict[str, Any], right: dict[str, Any]) -> None:
    """Every field equal but the customer's name; the scores to 1e-9."""
    for name in left:
        if name == "customer":
            continue
        if name in SCORES and left[name] is not None:
            assert left[name] == pytest.approx(right[name], abs=1e-9), name
        else:
            assert left[name] == right[name], name


def _series(marry: Marry, *args: str, text: str = "Weekly call", customer: str = "Standing") -> int:
    made = _z(START)
    added = marry.json("promise", "add", text, "-c", customer, "--made", made, "--force", *args)
    assert added["status"] == "standing" and added["every"] in ("1w", "1m", "1d", "2w")
    return int(added["id"])


def test_a_weekly_series_reports_as_the_same_promises_recorded_one_by_one(marry):
    series = _series(marry, "--every", "1w")
    # Each write: (how the series is addressed, the command, --at); the occurrence it lands on
    # is read from its output, and the same write is made on the explicit promise.
    writes = [
        (f"{series}", "keep", START + timedelta(days=1)),  # the oldest open: 1
        (f"{series}", "keep", START + WEEK + timedelta(days=2)),  # then 2
        (f"{series}/4", "keep", START + 3 * WEEK + timedelta(days=2)),  # by its address
        (f"{series}", "break", START + 3 * WEEK + timedelta(days=4)),  # 3, after its due date
        (f"{series}", "keep", START + 4 * WEEK + timedelta(hours=1)),  # 5
        (f"{series}/6", "keep", START + 6 * WEEK + timedelta(days=1)),  # late
    ]
    landed = []
    for address, command, at in writes:
        result = marry.json(command, address, "--at", _z(at))
        assert result["series"] == series and isinstance(result["id"], int)
        landed.append((result["occurrence"], command, at))
    assert [k for k, _, _ in landed] == [1, 2, 4, 3, 5, 6]
    # The same promises, recorded one by one: occurrence k made START + (k-1) weeks.
    explicit = {}
    for k in range(1, 14):
        made = START + (k - 1) * WEEK
        explicit[k] = marry.add(
            "Weekly call", "Explicit", "--made", _z(made), "--due", _z(made + WEEK), "--force"
        )
    for k, command, at in landed:
        marry.ok(command, str(explicit[k]), "--at", _z(at))
    for as_of in AS_OFS:
        standing = _customer(marry, "Standing", as_of)
        _same_scores(standing, _customer(marry, "Explicit", as_of))
        detail = marry.json("report", "-c", "Standing", "--as-of", as_of)
        other = marry.json("report", "-c", "Explicit", "--as-of", as_of)
        assert len(detail["timeline"]) == len(other["timeline"])
        for mine, theirs in zip(detail["timeline"], other["timeline"], strict=True):
            assert (mine["at"], mine["stage"]) == (theirs["at"], theirs["stage"])
            assert mine["trust"] == pytest.approx(theirs["trust"], abs=1e-9)
        shown = [(p["made"], p["due"], p["status"]) for p in detail["promises_detail"]]
        assert shown == [(p["made"], p["due"], p["status"]) for p in other["promises_detail"]]
    # Occurrences never recorded have no number; the six written are stored, once each.
    last = marry.json("report", "-c", "Standing", "--as-of", AS_OFS[-1])
    numbered = [p for p in last["promises_detail"] if p["id"] is not None]
    assert sorted(p["occurrence"] for p in numbered) == [1, 2, 3, 4, 5, 6]
    assert all(p["series"] == series for p in last["promises_detail"])
    assert len(last["promises_detail"]) == 13
    record = last["standing"][0]
    assert (record["id"], record["occurrences"], record["kept"], record["status"]) == (
        series,
        13,
        4,
        "standing",
    )
    assert record["keep_rate"] == pytest.approx(4 / 12)  # 13 is open yet
    # Both addresses of a stored occurrence name it.
    by_number = marry.json("promise", "show", str(numbered[0]["id"]))
    assert by_number == marry.json("promise", "show", f"{series}/{numbered[0]['occurrence']}")
    assert marry.json("promise", "show", f"{series}/9")["id"] is None


def test_a_read_writes_nothing(marry):
    series = _series(marry, "--every", "1w")
    before = marry.rows()
    marry.ok("report")
    marry.ok("report", "-c", "Standing")
    marry.ok("promise", "list", "--status", "all")
    marry.ok("promise", "show", f"{series}/3")
    marry.ok("agenda")
    marry.ok("check", "--max-overdue", "100")
    assert marry.rows() == before


def test_months_clamp_to_the_last_day(marry):
    made = "2026-01-31T10:00:00Z"
    series = marry.json("promise", "add", "Monthly report", "-c", "Acme", "--every", "1m",
                        "--made", made, "--force")["id"]  # fmt: skip
    second = marry.json("promise", "show", f"{series}/2")
    assert (second["made"], second["due"]) == ("2026-02-28T10:00:00Z", "2026-03-31T10:00:00Z")
    assert marry.json("promise", "show", f"{series}/3")["made"] == "2026-03-31T10:00:00Z"
    assert marry.json("promise", "show", f"{series}/4")["made"] == "2026-04-30T10:00:00Z"


def test_a_weekly_call_stays_at_ten_across_daylight_saving(marry):
    marry.env["TZ"] = "Europe/Berlin"
    series = marry.json("promise", "add", "Status call", "-c", "Acme", "--every", "1w",
                        "--within", "2h", "--made", "2026-03-16T10:00", "--force")["id"]  # fmt: skip
    # Summer time starts on 2026-03-29: 10:00 in Berlin is 09:00Z before, 08:00Z after.
    second = marry.json("promise", "show", f"{series}/2")
    third = marry.json("promise", "show", f"{series}/3")
    assert (second["made"], second["due"]) == ("2026-03-23T09:00:00Z", "2026-03-23T11:00:00Z")
    assert (third["made"], third["due"]) == ("2026-03-30T08:00:00Z", "2026-03-30T10:00:00Z")
    listed = marry.ok("promise", "list", "--as-of", "2026-04-01").stdout
    assert listed.count("10:00") == 0 and listed.count("12:00") == 3  # each due 12:00 local
    # A reader in another zone sees the same occurrences: the series keeps its own calendar.
    marry.env["TZ"] = "UTC"
    assert marry.json("promise", "show", f"{series}/3")["made"] == "2026-03-30T08:00:00Z"


def test_ending_stops_new_occurrences_and_undo_brings_them_back(marry):
    series = marry.json("promise", "add", "Weekly call", "-c", "Acme", "--every", "1w",
                        "--made", "-29d", "--force")["id"]  # fmt: skip
    later = "+30d"  # 9 occurrences made by then: 5 made so far, 4 more to come

    def occurrences() -> int:
        return marry.json("report", "-c", "Acme", "--as-of", later)["promises"]

    assert occurrences() == 9
    ended = marry.json("promise", "cancel", str(series), "--series", "--note", "project over")
    assert ended["status"] == "ended" and ended["ended"] is not None
    assert ended["occurrences"] == 5
    assert occurrences() == 5
    assert marry.json("promise", "list", "--status", "standing")[0]["status"] == "ended"
    refused = marry("keep", str(series), "--at", "now")
    assert refused.exit_code == 0  # 5 are made and open: the oldest is kept
    undone = marry.json("undo", str(series))
    assert undone["status"] == "standing" and undone["ended"] is None
    assert occurrences() == 9


def test_a_series_with_nothing_open_says_when_the_next_is_made(marry):
    series = marry.json("promise", "add", "Weekly call", "-c", "Acme", "--every", "1w",
                        "--made", "-1d", "--force")["id"]  # fmt: skip
    marry.ok("keep", str(series))
    before = marry.rows()
    refused = marry("keep", str(series))
    assert refused.exit_code == 2
    assert "no unresolved occurrence" in refused.stderr and "the next is made" in refused.stderr
    assert marry.rows() == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--every", "1w", "--due", "+3d"), "exclude each other"),
        (("--every", "1w", "--within", "8d"), "longer than the period"),
        (("--every", "1x"), "not a period"),
        (("--every", "0d"), "not a period"),
        (("--every", "1w", "--within", "1m"), "not a period"),
        (("--every", "1w", "--until", "-3d", "--made", "-2d"), "not after --made"),
        (("--within", "1d"), "give --every"),
    ],
)
def test_bad_series_terms_are_refused(sqlite_marry, args, words):
    refused = sqlite_marry("promise", "add", "Call", "-c", "Acme", *args)
    assert refused.exit_code == 2 and words in refused.stderr
    assert not sqlite_marry.path.exists()


def test_a_ci_job_keeps_the_release_train_once_per_ref(marry):
    series = marry.json("promise", "add", "Release train", "-c", "Acme", "--every", "2w",
                        "--made", "-15d", "--force")["id"]  # fmt: skip
    first = marry.json("keep", str(series), "--ref", "deploy-101")
    again = marry.json("keep", str(series), "--ref", "deploy-101")  # a retried job
    assert first == again and first["occurrence"] == 1
    second = marry.json("keep", str(series), "--ref", "deploy-102")
    assert second["occurrence"] == 2
    events = marry.rows()["marry_event"]
    assert len(events) == 2


@pytest.mark.slow
def test_two_processes_keeping_the_same_occurrence_make_one_row(marry):
    series = marry.json("promise", "add", "Weekly call", "-c", "Acme", "--every", "1w",
                        "--made", "-20d", "--force")["id"]  # fmt: skip
    env = {"MARRY_USER": "ci", "TZ": "UTC"}
    import os

    runs = [
        subprocess.Popen(
            [marry_executable(), "--db", marry.db, "keep", f"{series}/2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        for _ in range(2)
    ]
    for run in runs:
        run.communicate(timeout=60)
        assert run.returncode == 0
    rows = marry.rows()
    stored = [row for row in rows["marry_promise"] if row[0] != series]
    assert len(stored) == 1
    assert len(rows["marry_event"]) == 1


def test_export_and_import_give_the_same_reports(marry, tmp_path):
    series = _series(marry, "--every", "1w", "--within", "2d", "--tag", "calls")
    marry.ok("keep", str(series), "--at", _z(START + timedelta(hours=3)))
    marry.ok("break", f"{series}/3", "--at", _z(START + 2 * WEEK + timedelta(days=1)))
    marry.ok("promise", "amend", str(series), "--size", "large")
    other = _series(marry, "--every", "1m", "--until", "2026-06-30", text="Monthly report")
    marry.ok("keep", str(other), "--at", _z(START + timedelta(days=3)))
    marry.ok("promise", "cancel", str(other), "--series", "--note", "stopped")
    exported = tmp_path / "ledger.jsonl"
    marry.ok("export", "--output", str(exported))
    copy = Marry(db=str(tmp_path / "copy.db"), backend="sqlite", path=tmp_path / "copy.db")
    copy.ok("import", str(exported))
    for as_of in AS_OFS:
        assert copy.json("report", "--as-of", as_of) == marry.json("report", "--as-of", as_of)
        mine = marry.json("report", "-c", "Standing", "--as-of", as_of)
        theirs = copy.json("report", "-c", "Standing", "--as-of", as_of)
        assert [{**s, "id": None} for s in mine["standing"]] == [
            {**s, "id": None} for s in theirs["standing"]
        ]
        assert [p["status"] for p in mine["promises_detail"]] == [
            p["status"] for p in theirs["promises_detail"]
        ]
    assert copy.ok("db", "check").exit_code == 0
    assert marry.ok("db", "check").exit_code == 0
    again = copy("import", str(exported))  # a second import adds nothing
    assert again.exit_code == 0
    assert copy.json("report", "--as-of", AS_OFS[-1]) == marry.json("report", "--as-of", AS_OFS[-1])


# -- the model: random series and outcomes score as the same promises made one by one ---------


def _property_case(period_days: int, within_hours: int, outcomes: list[int], as_of_days: int):
    from marrycli.domain import Event, EventKind, Period, Promise, Size, Standing, Value
    from marrycli.model.scoring import score_customer
    from marrycli.model.standing import expand

    every = Period(period_days, "d")
    days = timedelta(days=period_days)
    within = Period(within_hours, "h")
    series = Promise(id=1, customer="c", text="t", made=START, due=None, size=Size.SMALL,
                     value=Value.HIGH, owner="o",
                     standing=Standing(every, within, until=START + len(outcomes) * days))  # fmt: skip
    stored, explicit = [], []
    event_id = 0
    for k, outcome in enumerate(outcomes, start=1):
        made = START + timedelta(days=period_days * (k - 1))
        due = made + timedelta(hours=within_hours)
        events: tuple[Event, ...] = ()
        if outcome:
            event_id += 1
            kind = EventKind.BROKEN if outcome == 3 else EventKind.KEPT
            at = due - timedelta(hours=1) if outcome == 1 else due + timedelta(hours=5)
            events = (Event(id=event_id, promise_id=100 + k, kind=kind, at=at),)
        plain = series._replace(id=100 + k, made=made, due=due, standing=None, events=events)
        explicit.append(plain._replace(id=1 + k))
        if outcome:
            stored.append(plain._replace(series=1, occurrence=k))
    as_of = START + timedelta(days=as_of_days)
    occurrences = expand([series, *reversed(stored)], as_of, lambda _series: UTC)
    made_by = [p for p in explicit if p.made <= as_of]
    assert len(occurrences) == len(made_by)
    mine = score_customer("c", occurrences, as_of)
    theirs = score_customer("c", made_by, as_of)
    for field in ("promises", "open", "overdue", "kept", "kept_late", "broken", "streak",
                  "longest_streak", "stage", "since"):  # fmt: skip
        assert getattr(mine, field) == getattr(theirs, field), field
    assert mine.trust == pytest.approx(theirs.trust, abs=1e-9)
    assert mine.distrust == pytest.approx(theirs.distrust, abs=1e-9)
    assert [p.at for p in mine.timeline] == [p.at for p in theirs.timeline]


@settings(max_examples=40, deadline=None)
@given(
    period_days=st.integers(1, 14),
    within=st.integers(1, 24),
    outcomes=st.lists(st.integers(0, 3), min_size=1, max_size=12),
    as_of_days=st.integers(0, 200),
)
def test_random_series_score_as_the_same_promises_one_by_one(
    period_days, within, outcomes, as_of_days
):
    within_hours = min(within * period_days, 24 * period_days)
    _property_case(period_days, within_hours, outcomes, as_of_days)


def test_db_check_knows_the_rules_of_standing_promises(sqlite_marry):
    import sqlite3

    marry = sqlite_marry
    series = _series(marry, "--every", "1w")
    marry.ok("keep", f"{series}/2", "--at", _z(START + WEEK + timedelta(hours=1)))
    assert marry("db", "check").exit_code == 0
    with sqlite3.connect(marry.db) as db:
        db.execute("UPDATE marry_promise SET made = made + 1 WHERE series_id IS NOT NULL")
        db.execute(
            "INSERT INTO marry_event (promise_id, kind, at, owner, recorded) "
            f"VALUES ({series}, 'kept', (SELECT made FROM marry_promise WHERE id = {series}), "
            "'x', 0)"
        )
    found = marry("db", "check")
    assert found.exit_code == 3
    assert f"occurrence {series}/2) is not made and due when its series makes it" in found.stderr
    assert "a kept event of a series" in found.stderr


def test_a_version_2_sqlite_ledger_is_upgraded_in_place_keeping_every_number(sqlite_marry):
    from test_directory import as_version_2

    marry = sqlite_marry
    kept = marry.add("a", "Acme", "--made", "2026-01-01", "--due", "2026-01-10")
    marry.ok("keep", str(kept), "--at", "2026-01-05")
    marry.add("b", "Acme", "--made", "2026-01-02", "--due", "2026-01-08")
    before = marry.json("report", "--as-of", "2026-02-01T00:00:00Z")
    detail = marry.json("report", "-c", "acme", "--as-of", "2026-02-01T00:00:00Z")
    as_version_2(marry.db)
    assert marry.json("report", "--as-of", "2026-02-01T00:00:00Z") == before  # upgrades
    assert marry.json("db", "info")["schema_version"] == 3
    assert marry.json("report", "-c", "acme", "--as-of", "2026-02-01T00:00:00Z") == detail
    assert marry.ok("db", "check").exit_code == 0
    series = _series(marry, "--every", "1w")  # and the upgraded ledger takes a series
    assert marry.json("keep", str(series), "--at", _z(START + timedelta(hours=1)))["id"] > series


@pytest.mark.postgres
def test_a_version_2_postgresql_ledger_needs_db_upgrade_and_keeps_every_number(pg_marry):
    from sqlalchemy import create_engine, text

    from test_directory import V3_COLUMNS

    marry = pg_marry
    kept = marry.add("a", "Acme", "--made", "2026-01-01", "--due", "2026-01-10")
    marry.ok("keep", str(kept), "--at", "2026-01-05")
    before = marry.json("report", "--as-of", "2026-02-01T00:00:00Z")
    engine = create_engine(marry.db)
    with engine.begin() as conn:
        conn.execute(text("UPDATE marry_schema SET version = 2"))
        for column in V3_COLUMNS:
            conn.execute(text(f"ALTER TABLE marry_promise DROP COLUMN {column}"))
    engine.dispose()
    refused = marry("report")
    assert refused.exit_code == 3 and "marry db upgrade" in refused.stderr
    marry.ok("db", "upgrade")
    assert marry.json("report", "--as-of", "2026-02-01T00:00:00Z") == before
    assert marry.json("db", "info")["schema_version"] == 3
    assert marry.ok("db", "check").exit_code == 0


def test_whatif_agenda_and_check_see_occurrences_without_writing(marry):
    series = marry.json("promise", "add", "Weekly call", "-c", "Acme", "--every", "1w",
                        "--made", "-10d", "--force")["id"]  # fmt: skip
    before = marry.rows()
    weighed = marry.json("whatif", str(series), "--break")
    assert weighed["after"]["trust"] <= weighed["before"]["trust"]
    assert marry.json("whatif", f"{series}/2", "--keep")["after"]["kept"] == 1
    items = marry.json("agenda")["items"]
    assert [(i["promise"]["id"], i["promise"]["occurrence"]) for i in items] == [
        (None, 1),
        (None, 2),
    ]
    failed = marry("check", "--max-overdue", "0", "--json")
    assert failed.exit_code == 1 and failed.json()["findings"][0]["actual"] == 1
    assert marry.rows() == before


def test_the_customer_s_page_and_table_show_its_standing_promises(marry):
    series = _series(marry, "--every", "1w", text="Weekly <call>")
    marry.ok("keep", f"{series}/2", "--at", _z(START + WEEK + timedelta(hours=1)))
    page = marry.ok("report", "-c", "Standing", "--format", "html").stdout
    assert "<h3>Standing promises</h3>" in page and "Weekly &lt;call&gt;" in page
    assert f'data-label="ID">{series}/2<' in page
    table = marry.ok("report", "-c", "Standing").stdout
    assert "Standing promises" in table and "Weekly <call>" in table and "1w" in table


def test_finding_promises_finds_occurrences(marry):
    series = _series(marry, "--every", "1w", "--tag", "calls")
    as_of = ("--as-of", "2026-02-01T00:00:00Z")
    due = marry.json("promise", "list", *as_of, "--due-before", "2026-01-20", "--due-after",
                     "2026-01-13")  # fmt: skip
    assert [p["occurrence"] for p in due] == [2]
    tagged = marry.json("promise", "list", *as_of, "--tag", "calls", "--text", "weekly")
    assert [p["occurrence"] for p in tagged] == [1, 2, 3, 4]
    assert {p["series"] for p in tagged} == {series}


def test_the_guard_counts_occurrences_made_later_but_due_the_same_week(marry):
    """SPEC §7: the guard's over-commitment count sees the occurrences due in its window,
    also those a series makes after now."""
    marry.ok("promise", "add", "Weekly call", "-c", "Acme", "--every", "1w", "--within", "2h")
    result = marry.ok("promise", "add", "Ship SSO", "-c", "Acme", "--due", "+8d", "--size", "large")
    # Occurrences 2 and 3 are made in 7 and 14 days, each due 2 hours later: within a week
    # of this one's due date (in 8 days); occurrence 1, due in 2 hours, is not.
    assert "2 other promises to Acme fall due within 7 days of this one" in result.stderr
