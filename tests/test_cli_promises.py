"""The writing commands and their listings, through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from marrycli.storage.ledger import schema_version

PROMISE_FIELDS = {
    "id", "customer", "text", "made", "due", "size", "value", "owner", "tags", "ref",
    "status", "resolved", "renegotiations", "series", "occurrence",  # SPEC §7
}  # fmt: skip
EVENT_FIELDS = {"id", "kind", "at", "due", "note", "owner", "ref", "voids"}


def iso(days_ago: float = 0, hours: float = 0) -> str:
    moment = datetime.now(UTC) - timedelta(days=days_ago, hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_add_prints_the_promise_with_exactly_the_spec_fields(marry):
    made = "2026-11-02T09:00:00Z"
    promise = marry.json(
        "promise", "add", "  Ship SSO ", "--customer", "  Acme   Corp ",
        "--due", "2026-11-20T17:00Z",
        "--made", made, "--size", "large", "--value", "low", "--owner", "Dana",
        "--tag", "sso", "--tag", "q4", "--ref", "ci-1-add",
    )  # fmt: skip
    assert set(promise) == PROMISE_FIELDS
    assert promise == {
        "id": promise["id"],
        "customer": "Acme Corp",
        "text": "Ship SSO",
        "made": "2026-11-02T09:00:00Z",
        "due": "2026-11-20T17:00:00Z",
        "size": "large",
        "value": "low",
        "owner": "Dana",
        "tags": ["sso", "q4"],
        "ref": "ci-1-add",
        "status": "overdue",
        "resolved": None,
        "renegotiations": 0,
        "series": None,
        "occurrence": None,
    }


def test_defaults_and_table_output(marry):
    result = marry.ok("promise", "add", "Call back", "--customer", "acme")
    assert "Call back" in result.stdout and "acme" in result.stdout and "open" in result.stdout
    promise = marry.json("promise", "show", "1")
    assert (promise["size"], promise["value"], promise["owner"], promise["due"]) == (
        "medium",
        "high",
        "tester",
        None,
    )
    assert promise["events"] == []


def test_customer_names_match_by_key_and_keep_the_first_spelling(marry):
    marry.add("one", "Acme  Corp")
    marry.add("two", "ACME CORP")
    marry.add("three", "acme corp ")
    listed = marry.json("customer", "list")
    assert listed == [
        {"customer": "Acme Corp", "promises": 3, "open": 3, "overdue": 0, "merged": []}
    ]
    assert {p["customer"] for p in marry.json("promise", "list", "-c", "acme corp")} == {
        "Acme Corp"
    }


def test_keep_break_and_their_repeats(marry):
    first = marry.add("a", "acme", "--made", iso(2))
    second = marry.add("b", "acme", "--made", iso(2))
    kept = marry.json("keep", str(first), "--note", "shipped")
    assert kept["status"] == "kept" and kept["resolved"] is not None
    again = marry("keep", str(first))
    assert again.exit_code == 0 and "already kept" in again.stderr
    assert len(marry.json("promise", "show", str(first))["events"]) == 1
    broken = marry.json("break", str(second), "--at", iso(1))
    assert broken["status"] == "broken"
    conflict = marry("keep", str(second))
    assert conflict.exit_code == 2 and "already broken" in conflict.stderr
    assert "marry undo" in conflict.stderr


def test_kept_after_due_is_kept_late(marry):
    pid = marry.add("late", "acme", "--made", iso(3), "--due", iso(2))
    assert marry.json("promise", "show", str(pid))["status"] == "overdue"
    assert marry.json("keep", str(pid))["status"] == "kept_late"


def test_renegotiate_moves_the_due_date_and_undo_restores_it(marry):
    due = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    new_due = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pid = marry.add("SSO", "acme", "--made", iso(1), "--due", due)
    moved = marry.json("renegotiate", str(pid), "--due", new_due, "--note", "vendor")
    assert (moved["due"], moved["renegotiations"], moved["status"]) == (new_due, 1, "open")
    restored = marry.json("undo", str(pid))
    assert (restored["due"], restored["renegotiations"]) == (due, 0)
    events = marry.json("promise", "show", str(pid))["events"]
    assert [e["kind"] for e in events] == ["renegotiated", "void"]
    assert events[1]["voids"] == events[0]["id"]
    assert all(set(e) == EVENT_FIELDS for e in events)
    assert events[0]["due"] == new_due and events[0]["note"] == "vendor"


def test_undo_walks_back_one_standing_event_at_a_time(marry):
    pid = marry.add("x", "acme", "--made", iso(2), "--due", iso(-5))
    marry.ok("renegotiate", str(pid), "--due", iso(-9), "--at", iso(1))
    marry.ok("keep", str(pid))
    assert marry.json("undo", str(pid))["status"] == "open"
    assert marry.json("undo", str(pid))["renegotiations"] == 0
    nothing = marry("undo", str(pid))
    assert nothing.exit_code == 2 and "nothing to undo" in nothing.stderr
    kinds = [e["kind"] for e in marry.json("promise", "show", str(pid))["events"]]
    assert kinds == ["renegotiated", "kept", "void", "void"]


def test_cancel_needs_a_note_and_undo_brings_the_promise_back(marry):
    pid = marry.add()
    assert marry("promise", "cancel", str(pid)).exit_code == 2
    cancelled = marry.json("promise", "cancel", str(pid), "--note", "customer dropped it")
    assert cancelled["status"] == "cancelled"
    assert marry("promise", "cancel", str(pid), "--note", "again").exit_code == 0
    assert marry("keep", str(pid)).exit_code == 2
    assert marry.json("undo", str(pid))["status"] == "open"


def test_a_retried_add_with_the_same_ref_records_once(marry):
    first = marry.json(
        "promise", "add", "Release 4.2", "-c", "acme", "--due", "+7d", "--ref", "p1-add"
    )
    retry = marry(
        "promise", "add", "Release 4.2", "-c", "ACME", "--due", "+8d", "--ref", "p1-add", "--json"
    )
    assert retry.exit_code == 0 and retry.json()["id"] == first["id"]
    assert "already recorded" in retry.stderr
    assert len(marry.json("promise", "list", "--status", "all")) == 1
    other_text = marry("promise", "add", "Release 4.3", "-c", "acme", "--ref", "p1-add")
    other_customer = marry("promise", "add", "Release 4.2", "-c", "globex", "--ref", "p1-add")
    assert other_text.exit_code == other_customer.exit_code == 2
    assert "already used" in other_text.stderr


def test_refs_on_events_and_ref_addressing(marry):
    marry.ok("promise", "add", "Release", "-c", "acme", "--ref", "p7-add")
    kept = marry.json("keep", "ref:p7-add", "--ref", "p7-keep")
    retry = marry("keep", "ref:p7-add", "--ref", "p7-keep")
    assert retry.exit_code == 0 and "already recorded" in retry.stderr
    events = marry.json("promise", "show", "ref:p7-add")["events"]
    assert len(events) == 1 and events[0]["ref"] == "p7-keep"
    assert kept["ref"] == "p7-add"
    wrong_kind = marry("break", "ref:p7-add", "--ref", "p7-keep")
    assert wrong_kind.exit_code == 2
    assert marry("keep", "ref:p7-keep").exit_code == 2  # an event's ref is not a promise
    assert marry("keep", "ref:nope").exit_code == 2


def test_list_filters_and_as_of(marry):
    a = marry.add("a", "acme", "--made", iso(10), "--owner", "dana", "--tag", "sso")
    b = marry.add("b", "globex", "--made", iso(5), "--due", iso(4))
    c = marry.add("c", "acme", "--made", iso(3))
    marry.ok("keep", str(c), "--at", iso(2))
    ids = lambda *args: [p["id"] for p in marry.json("promise", "list", *args)]  # noqa: E731
    assert ids() == [a, b]
    assert ids("--status", "all") == [a, b, c]
    assert ids("--status", "overdue") == [b]
    assert ids("--status", "kept") == [c]
    assert ids("--customer", "ACME", "--status", "all") == [a, c]
    assert ids("--owner", "Dana") == [a]
    assert ids("--tag", "sso") == [a]
    assert ids("--as-of", iso(6), "--status", "all") == [a]
    as_of = marry.json("promise", "list", "--as-of", iso(2.5), "--status", "all")
    assert [p["status"] for p in as_of] == ["open", "overdue", "open"]


def test_csv_listing_neutralises_formulas(marry):
    marry.add('=HYPERLINK("http://x")', "@acme")
    csv_text = marry.ok("promise", "list", "--format", "csv").stdout
    header, row = csv_text.splitlines()
    assert header.startswith("id,customer,text,made,due")
    assert ',\'@acme,"\'=HYPERLINK(""http://x"")",' in row


def test_rename_and_merge_change_the_directory_not_the_history(marry):
    a = marry.add("a", "acme")
    marry.add("b", "ACME GmbH")
    marry.ok("customer", "rename", "acme", "Acme Inc")
    assert marry.json("promise", "show", str(a))["customer"] == "Acme Inc"
    marry.ok("customer", "merge", "acme gmbh", "acme inc")
    listed = marry.json("customer", "list")
    assert listed == [  # the name before the rename leads there too (SPEC §6)
        {
            "customer": "Acme Inc",
            "promises": 2,
            "open": 2,
            "overdue": 0,
            "merged": ["ACME GmbH", "acme"],
        }
    ]
    # The merged name leads to the customer that stayed.
    marry.add("c", "Acme GmbH")
    assert {p["customer"] for p in marry.json("promise", "list")} == {"Acme Inc"}
    changes = marry.rows()["marry_customer_change"]
    assert [row[1] for row in changes] == ["rename", "merge"]


def test_rename_changes_only_the_case(marry):
    marry.add("a", "acme")
    marry.ok("customer", "rename", "acme", "ACME")
    assert marry.json("customer", "list")[0]["customer"] == "ACME"


def test_db_info_and_check(marry):
    info = marry.json("db", "info")
    assert info["exists"] is False and info["promises"] == 0
    marry.add()
    info = marry.json("db", "info")
    assert (info["exists"], info["backend"], info["schema_version"], info["promises"]) == (
        True,
        marry.backend,
        schema_version(),
        1,
    )
    checked = marry("db", "check")
    assert checked.exit_code == 0 and "sound" in checked.stderr


def test_reads_on_a_missing_ledger_create_nothing(sqlite_marry):
    assert sqlite_marry.json("promise", "list") == []
    assert sqlite_marry.json("customer", "list") == []
    assert sqlite_marry.ok("db", "check").exit_code == 0
    assert sqlite_marry("promise", "show", "1").exit_code == 2
    assert sqlite_marry("promise", "list", "-c", "acme").exit_code == 2
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


def test_at_a_day_word_uses_made_when_made_that_day(marry):
    pid = marry.add()
    kept = marry.json("keep", str(pid), "--at", "today")
    assert kept["resolved"] == marry.json("promise", "show", str(pid))["made"]


def test_marry_db_env_and_default_location(marry, monkeypatch, tmp_path):
    monkeypatch.delenv("MARRY_DB")
    from typer.testing import CliRunner

    from marrycli.cli.app import app

    result = CliRunner().invoke(app, ["db", "info", "--json"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count(str(tmp_path / "xdg-data")) == 1


def test_renegotiating_to_the_due_date_it_has_is_bad_input(marry):
    # SPEC §6: a renegotiation must move the due date
    pid = marry.add("SSO", "acme", "--made", iso(1), "--due", "2099-06-30")
    before = marry.rows()
    same = marry("renegotiate", str(pid), "--due", "2099-06-30")  # the same end of day
    assert same.exit_code == 2
    assert same.stderr.count("\n") == 1 and "Traceback" not in same.stderr
    assert f"promise {pid} is already due" in same.stderr and "must move" in same.stderr
    assert marry("whatif", str(pid), "--renegotiate", "2099-06-30").exit_code == 2
    assert marry.rows() == before
    # moving it, and then back to where it was, are both moves
    marry.ok("renegotiate", str(pid), "--due", "2099-07-31")
    assert marry("renegotiate", str(pid), "--due", "2099-07-31").exit_code == 2
    moved_back = marry.json("renegotiate", str(pid), "--due", "2099-06-30")
    assert moved_back["renegotiations"] == 2


def test_list_with_repeated_tags_needs_all_of_them(marry):
    # SPEC §10: --tag repeated means all of them (it once used only the last one)
    both = marry.add("both", "acme", "--tag", "sso", "--tag", "q4")
    sso = marry.add("sso only", "acme", "--tag", "sso")
    q4 = marry.add("q4 only", "globex", "--tag", "q4", "--tag", "infra")
    marry.add("untagged", "acme")
    ids = lambda *args: [p["id"] for p in marry.json("promise", "list", *args)]  # noqa: E731
    assert ids("--tag", "sso") == [both, sso]
    assert ids("--tag", "q4") == [both, q4]
    assert ids("--tag", "sso", "--tag", "q4") == [both]
    assert ids("--tag", "q4", "--tag", "sso", "--tag", "q4") == [both]
    assert ids("--tag", "sso", "--tag", "infra") == []
    assert ids("--tag", " q4 ", "--tag", "infra", "--customer", "globex") == [q4]
    csv_rows = marry.ok("promise", "list", "--tag", "sso", "--tag", "q4", "--format", "csv")
    assert len(csv_rows.stdout.splitlines()) == 2
    assert "sso only" not in marry.ok("promise", "list", "--tag", "sso", "--tag", "q4").stdout
    empty = marry("promise", "list", "--tag", "sso", "--tag", " ")
    assert empty.exit_code == 2 and empty.stderr.count("\n") == 1
