"""Finding promises (SPEC §10): `promise list --text --tag... --due-after --due-before
--sort --limit`, through the CLI on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest

LONG_NAME = "Northwind Traders International"


def iso(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(marry) -> dict[str, int]:
    """Eight promises: ties on due and made, one renegotiated, two without a due date,
    one kept, tags on some, and texts with non-ASCII letters."""
    same_made = iso(8)
    ids = {
        "sso": marry.add(
            "Ship SSO for the EU tenants", LONG_NAME, "--made", iso(10),
            "--due", "2099-03-10", "--tag", "sso", "--tag", "q4", "--owner", "dana",
        ),
        "login": marry.add(
            "Fix the login bug", "Acme Corp", "--made", same_made,
            "--due", "2099-03-05T12:00Z", "--tag", "bug",
        ),
        "aerger": marry.add(
            "Ärger mit der Rechnung klären", "Müller & Söhne", "--made", same_made,
            "--due", "2099-03-05T12:00Z", "--owner", "Jürgen",
        ),
        "pricing": marry.add("Call back about pricing", "globex", "--made", iso(7)),
        "roadmap": marry.add(
            "Send the Q4 roadmap", "acme corp", "--made", iso(6),
            "--due", "2099-02-01", "--tag", "q4", "--tag", "roadmap",
        ),
        "strasse": marry.add(
            "Straße sperren lassen", "globex", "--made", iso(5), "--due", "2099-03-10"
        ),
        "docs": marry.add("Ship SSO docs", "Acme Corp", "--made", iso(4), "--tag", "sso"),
        "call": marry.add("Call about SSO", "Acme Corp", "--made", iso(3)),
    }  # fmt: skip
    marry.ok("renegotiate", str(ids["roadmap"]), "--due", "2099-03-20", "--at", iso(2))
    marry.ok("keep", str(ids["docs"]), "--at", iso(1))
    return ids


@pytest.fixture
def seeded(backend, tmp_path, seeded_ledgers):
    """`marry` on the ledger `seed` records (recorded once per backend), and its ids."""
    return seeded_ledgers.marry(backend, seed, tmp_path)


def listed(marry, *args: str) -> list[int]:
    return [p["id"] for p in marry.json("promise", "list", *args)]


def names(ids: dict[str, int], *keys: str) -> list[int]:
    return [ids[key] for key in keys]


def test_text_needs_every_word_in_any_case(seeded):
    marry, ids = seeded
    assert listed(marry, "--text", "sso") == names(ids, "sso", "call")
    assert listed(marry, "--text", "SSO", "--status", "all") == names(ids, "sso", "docs", "call")
    assert listed(marry, "--text", "ship sso") == names(ids, "sso")
    assert listed(marry, "--text", "  sso\u00a0 SHIP ", "--status", "all") == names(
        ids, "sso", "docs"
    )
    assert listed(marry, "--text", "ogin") == names(ids, "login")  # a word may be part of one
    assert listed(marry, "--text", "ship pricing") == []


@pytest.mark.parametrize(
    "words",
    ["ärger", "ÄRGER", "Ärger KLÄREN", unicodedata.normalize("NFD", "ÄRGER rechnung")],
)
def test_text_matches_non_ascii_by_unicode_casefolding(seeded, words):
    marry, ids = seeded
    assert listed(marry, "--text", words) == names(ids, "aerger")


def test_text_casefolds_fully(seeded):
    # casefold(), not lower(): ß is ss, and neither backend's own lower() knows that
    marry, ids = seeded
    assert listed(marry, "--text", "STRASSE") == names(ids, "strasse")
    assert listed(marry, "--text", "straße") == names(ids, "strasse")
    assert listed(marry, "--text", "arger") == []  # Ä is not A


def test_repeated_tags_mean_all_of_them(seeded):
    marry, ids = seeded
    assert listed(marry, "--tag", "q4") == names(ids, "sso", "roadmap")
    assert listed(marry, "--tag", "q4", "--tag", "sso") == names(ids, "sso")
    assert listed(marry, "--tag", "sso", "--tag", "q4", "--tag", "sso") == names(ids, "sso")
    assert listed(marry, "--tag", "sso", "--status", "all") == names(ids, "sso", "docs")
    assert listed(marry, "--tag", "q4", "--tag", "bug") == []


def test_tags_with_like_wildcards_quotes_and_non_ascii_are_found_exactly(marry):
    # Tags are prefiltered with LIKE on the stored JSON: wildcards must not widen the
    # result, and no tag may be missed because of how JSON or LIKE spell it.
    tags = ["50%_off", "50x_off", "a\\b", 'say "hi"', "Ärger", "two words", "ﬁx"]
    ids = {tag: marry.add(f"about {tag}", "acme", "--tag", tag) for tag in tags}
    for tag in tags:
        assert listed(marry, "--tag", tag) == [ids[tag]], tag
    assert listed(marry, "--tag", "50%") == []
    assert listed(marry, "--tag", "50__off") == []
    assert listed(marry, "--tag", "ärger") == []  # tags match exactly, as they always have
    assert listed(marry, "--tag", "two") == []


def test_due_before_and_after_are_inclusive_and_a_bare_day_is_whole(seeded):
    marry, ids = seeded
    # a bare day: --due-before up to its end, --due-after from its start
    assert listed(marry, "--due-before", "2099-03-05") == names(ids, "login", "aerger")
    assert listed(marry, "--due-after", "2099-03-20") == names(ids, "roadmap")
    one_day = ["--due-after", "2099-03-10", "--due-before", "2099-03-10"]
    assert listed(marry, *one_day) == names(ids, "sso", "strasse")
    # an exact time is a bound included
    assert listed(marry, "--due-before", "2099-03-05T12:00Z") == names(ids, "login", "aerger")
    assert listed(marry, "--due-before", "2099-03-05T11:59:59Z") == []
    assert listed(
        marry, "--due-after", "2099-03-05T12:00Z", "--due-before", "2099-03-05T12:00Z"
    ) == (names(ids, "login", "aerger"))
    assert (
        listed(marry, "--due-after", "2099-03-05T12:00:00.000001Z", "--due-before", "2099-03-09")
        == []
    )


def test_due_bounds_leave_out_promises_without_a_due_date(seeded):
    marry, ids = seeded
    everything_due = names(ids, "sso", "login", "aerger", "roadmap", "strasse")
    assert listed(marry, "--due-after", "2000-01-01") == everything_due
    assert listed(marry, "--due-before", "8999-12-31") == everything_due
    assert ids["pricing"] not in listed(marry, "--due-after", "2000-01-01", "--status", "all")


def test_due_bounds_use_the_current_due_date(seeded):
    marry, ids = seeded
    # renegotiated from 2099-02-01 to 2099-03-20: only the current one counts
    assert listed(marry, "--due-before", "2099-02-28") == []
    assert listed(marry, "--due-after", "2099-03-11") == names(ids, "roadmap")
    # ... the current one at --as-of: before the renegotiation it was still 2099-02-01
    before = ["--as-of", iso(2.5), "--due-before", "2099-02-28"]
    assert listed(marry, *before) == names(ids, "roadmap")
    (shown,) = marry.json("promise", "list", *before)
    assert shown["due"] == "2099-02-01T23:59:59.999999Z"


def test_sort_orders_with_ties_broken_by_id(seeded):
    marry, ids = seeded
    default = names(ids, "sso", "login", "aerger", "pricing", "roadmap", "strasse", "call")
    assert listed(marry) == default
    assert listed(marry, "--sort", "id") == default
    # by due date, none last; login and aerger share one, sso and strasse another
    assert listed(marry, "--sort", "due") == names(
        ids, "login", "aerger", "sso", "strasse", "roadmap", "pricing", "call"
    )
    # by customer: the customer's key (case and accents folded), then id
    assert listed(marry, "--sort", "CUSTOMER") == names(
        ids, "login", "roadmap", "call", "pricing", "strasse", "aerger", "sso"
    )
    # by made: login and aerger were made at the same moment
    assert listed(marry, "--sort", "made") == names(
        ids, "sso", "login", "aerger", "pricing", "roadmap", "strasse", "call"
    )
    assert listed(marry, "--sort", "due", "--status", "all")[-3:] == names(
        ids, "pricing", "docs", "call"
    )


def test_limit_takes_the_first_n_after_sorting(seeded):
    marry, ids = seeded
    assert listed(marry, "--limit", "2") == names(ids, "sso", "login")
    assert listed(marry, "--sort", "due", "--limit", "3") == names(ids, "login", "aerger", "sso")
    assert len(listed(marry, "--limit", "1000")) == 7
    assert listed(marry, "--limit", "1", "--text", "nothing like this") == []


def test_filters_combine(seeded):
    marry, ids = seeded
    args = ["--text", "sso", "--tag", "q4", "--due-before", "2099-03-10", "--sort", "due"]
    assert listed(marry, *args) == names(ids, "sso")
    assert listed(marry, *args, "--owner", "DANA", "-c", "northwind traders  international") == (
        names(ids, "sso")
    )
    assert listed(marry, *args, "--owner", "tester") == []
    acme = ["-c", "ACME CORP", "--status", "all", "--sort", "due"]
    assert listed(marry, *acme) == names(ids, "login", "roadmap", "docs", "call")
    assert listed(marry, *acme, "--text", "sso") == names(ids, "docs", "call")
    assert listed(marry, *acme, "--due-after", "2099-03-06", "--limit", "5") == names(
        ids, "roadmap"
    )
    assert listed(marry, "--text", "call", "--due-after", "2000-01-01") == []


def table_ids(stdout: str) -> list[int]:
    return [int(line.split()[0]) for line in stdout.splitlines() if line[:3].strip().isdigit()]


@pytest.mark.parametrize(
    "args",
    [
        ["--sort", "due", "--limit", "4"],
        ["--text", "s", "--status", "all", "--sort", "customer"],
        ["--tag", "q4", "--due-after", "2099-03-01", "--sort", "made"],
        ["--text", "no such words"],
    ],
)
def test_json_csv_and_table_list_the_same_promises(seeded, args):
    marry, _ = seeded
    from_json = listed(marry, *args)
    rows = list(
        csv.DictReader(io.StringIO(marry.ok("promise", "list", *args, "--format", "csv").stdout))
    )
    assert [int(row["id"]) for row in rows] == from_json
    table = marry.ok("promise", "list", *args, COLUMNS="200")
    assert table_ids(table.stdout) == from_json
    if not from_json:
        assert table.stdout == "" and "no promises match" in table.stderr


BAD = [
    (["--sort", "price"], "price"),
    (["--sort", ""], "--sort"),
    (["--due-before", "someday"], "--due-before: cannot read 'someday'"),
    (["--due-after", "2099-02-30"], "--due-after: '2099-02-30' is not a valid date"),
    (["--due-after", "0999-12-31"], "range"),
    (["--due-after", "2099-03-10", "--due-before", "2099-03-09"], "later than --due-before"),
    (["--due-after", "+2d", "--due-before", "+1d"], "later than --due-before"),
    (["--text", "sso\x1b[31m"], "--text contains a control character (U+001B)"),
    (["--text", "a\x00b"], "control character"),
    (["--text", "sso\tship"], "control character (U+0009)"),  # Cc, as in every text
    (["--text", "   "], "--text is empty"),
    (["--text", "x" * 2001], "2000"),
    (["--limit", "0"], "--limit 0"),
    (["--limit", "-2"], "--limit -2"),
    (["--limit", "many"], "--limit"),
    (["--tag", "q4", "--tag", "\x07"], "control character"),
]
ONE_LINE = {"price", "--sort", "--limit"}  # Click's usage errors add the usage line


@pytest.mark.parametrize(("args", "says"), BAD, ids=[" ".join(a)[:40] for a, _ in BAD])
def test_bad_values_exit_2_with_one_line_and_change_nothing(seeded, args, says):
    marry, _ = seeded
    before = marry.rows()
    result = marry("promise", "list", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    if lines[0].startswith("marry: error: "):
        assert len(lines) == 1, lines
    else:  # a usage error: the usage line, a hint, and the one line saying what was wrong
        assert lines[0].startswith("Usage: marry promise list") and len(lines) <= 4, lines
    assert marry.rows() == before


@pytest.mark.parametrize(("args", "says"), BAD, ids=[" ".join(a)[:40] for a, _ in BAD])
def test_bad_values_on_a_missing_ledger_create_nothing(sqlite_marry, args, says):
    result = sqlite_marry("promise", "list", *args)
    assert result.exit_code == 2 and says in result.stderr
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


def test_a_search_on_a_missing_ledger_is_empty_and_creates_nothing(sqlite_marry):
    args = ["--text", "sso", "--tag", "q4", "--due-after", "today", "--due-before", "eom"]
    assert sqlite_marry.json("promise", "list", *args, "--sort", "due", "--limit", "3") == []
    assert sqlite_marry.ok("promise", "list", *args, "--format", "csv").stdout.startswith("id,")
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


def test_tags_column_only_when_a_listed_promise_has_tags(seeded):
    marry, ids = seeded
    untagged = marry.ok("promise", "list", "--text", "call", COLUMNS="200").stdout
    assert table_ids(untagged) == names(ids, "pricing", "call")
    assert "Tags" not in untagged.splitlines()[0]
    tagged = marry.ok("promise", "list", "--text", "s", COLUMNS="200").stdout
    header = tagged.splitlines()[0].split()
    assert header == [
        "ID",
        "Customer",
        "Promise",
        "Due",
        "Size",
        "Value",
        "Owner",
        "Tags",
        "Status",
    ]
    row = next(line for line in tagged.splitlines() if line.split()[0] == str(ids["sso"]))
    assert "sso, q4" in row
    assert "q4, roadmap" in tagged


def test_tags_are_shown_as_data(marry):
    marry.add("tagged", "acme", "--tag", "[bold]x[/bold]", "--tag", "rtl\u202eevil")
    out = marry.ok("promise", "list", COLUMNS="200").stdout
    assert "[bold]x[/bold]" in out
    assert "rtl<U+202E>evil" in out and "\u202e" not in out


def test_a_long_customer_name_stays_whole_at_80_columns(seeded):
    marry, ids = seeded
    for args in ([], ["--status", "all", "--sort", "customer"], ["--tag", "q4"], ["--text", "sso"]):
        out = marry.ok("promise", "list", *args).stdout  # COLUMNS=80, as every test
        lines = out.splitlines()
        assert max(len(line) for line in lines) <= 80, out
        assert "…" not in out, out
        (row,) = [line for line in lines if line.split()[0] == str(ids["sso"])]
        assert LONG_NAME in row, out  # on one line, not chopped into pieces


def test_the_table_at_80_columns_keeps_tags_when_names_are_short(marry):
    marry.add(
        "Send the Q4 roadmap", "acme", "--due", "2099-03-20", "--tag", "q4", "--tag", "roadmap"
    )
    marry.add("Fix the login bug", "globex", "--due", "2099-03-05")
    out = marry.ok("promise", "list").stdout
    assert out.splitlines()[0].split() == [
        "ID",
        "Customer",
        "Promise",
        "Due",
        "Size",
        "Tags",
        "Status",
    ]
    assert max(len(line) for line in out.splitlines()) <= 80


def test_help_shows_the_new_options_and_an_example(sqlite_marry):
    out = sqlite_marry.ok("promise", "list", "--help").stdout
    for shown in ("--text WORDS", "--due-after WHEN", "--due-before WHEN", "--limit N",
                  "--sort [id|due|customer|made]", "--tag TAG"):  # fmt: skip
        assert shown in out, shown
    assert "marry promise list --text" in out
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


def test_many_promises_filtered_by_text_keep_their_events(marry, tmp_path):
    # Past 900 promises the events are read all at once; a text filter that leaves few
    # reads them by id. Both ways each promise gets its own events.
    lines = [
        {"format": "marry-export", "version": 1, "exported": "2026-01-01T00:00:00Z", "schema_version": 1},
        {"type": "customer", "id": 1, "name": "acme", "key": "acme", "merged_into": None,
         "created": "2026-01-01T00:00:00Z"},
    ]  # fmt: skip
    moved = set(range(50, 1001, 50))
    for pid in range(1, 1001):
        lines.append({
            "type": "promise", "id": pid, "customer_id": 1,
            "text": f"{'rare' if pid % 75 == 0 else 'common'} promise {pid}",
            "made": "2026-01-01T00:00:00Z", "due": "2099-01-01T00:00:00Z", "size": "small",
            "value": "high", "owner": "dana", "tags": [], "ref": None,
            "recorded": "2026-01-01T00:00:00Z",
        })  # fmt: skip
        if pid in moved:
            lines.append({
                "type": "event", "id": pid // 50, "promise_id": pid, "kind": "renegotiated",
                "at": "2026-01-02T00:00:00Z", "due": "2099-06-01T00:00:00Z", "note": None,
                "owner": "dana", "ref": None, "voids": None, "recorded": "2026-01-02T00:00:00Z",
            })  # fmt: skip
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    marry.ok("import", str(path))
    common = marry.json("promise", "list", "--text", "COMMON", "--due-after", "2099-02-01")
    assert [p["id"] for p in common] == sorted(pid for pid in moved if pid % 75)
    assert {p["renegotiations"] for p in common} == {1}
    rare = [pid for pid in range(1, 1001) if pid % 75 == 0]
    by_due = marry.json("promise", "list", "--text", "rare", "--sort", "due")
    assert [p["id"] for p in by_due] == [pid for pid in rare if pid not in moved] + [
        pid for pid in rare if pid in moved
    ]
    assert [p["renegotiations"] for p in by_due] == [0] * 7 + [1] * 6
