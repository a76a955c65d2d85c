"""What each customer values (SPEC §8) through the CLI: `customer value` and its refusals, the
value `promise add` takes from the profile, what `report --customer` says the customer values
(table, JSON and the HTML section), and value changes through export, import and `db check`."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import Marry
from marrycli.domain import Promise, Status, Value
from marrycli.model.scoring import score_customer
from marrycli.model.values import FAILURES, customer_values, fold_profile, profile_value
from pages import assert_inert_and_self_contained
from test_scoring_properties import PROPERTY, as_ofs, ledgers

AS_OF = "2025-06-01T00:00:00Z"


def value_of(marry: Marry, *args: str) -> str:
    return marry.json("promise", "add", *args)["value"]


# -- the profile gives promise add its value ------------------------------------------------


def test_the_highest_level_among_the_promise_s_tags_wins_and_the_line_says_so(marry):
    marry.add("first", "Acme")
    marry.ok("customer", "value", "acme", "--tag", "docs", "--value", "low")
    marry.ok("customer", "value", "acme", "--tag", "chores", "--value", "none")
    assert value_of(marry, "a", "-c", "acme", "--tag", "chores") == "none"
    assert value_of(marry, "b", "-c", "acme", "--tag", "chores", "--tag", "docs") == "low"
    assert value_of(marry, "c", "-c", "acme", "--tag", "other") == "high"  # not in the profile
    assert value_of(marry, "d", "-c", "acme") == "high"  # no tag
    line = marry.ok("promise", "add", "e", "-c", "acme", "--tag", "chores", "--tag", "docs")
    assert "; value low, from Acme's profile for tag docs; " in line.stdout
    plain = marry.ok("promise", "add", "f", "-c", "acme", "--tag", "other").stdout
    assert "; value high; " in plain and "profile" not in plain


def test_an_explicit_value_always_wins(marry):
    marry.add("first", "Acme")
    marry.ok("customer", "value", "acme", "--tag", "docs", "--value", "none")
    for level in ("none", "low", "high"):
        assert value_of(marry, level, "-c", "acme", "--tag", "docs", "--value", level) == level
    line = marry.ok("promise", "add", "x", "-c", "acme", "--tag", "docs", "--value", "high")
    assert "; value high; " in line.stdout and "profile" not in line.stdout


def test_a_cleared_entry_stops_applying_and_a_later_change_wins(marry):
    marry.add("first", "Acme")
    marry.ok("customer", "value", "acme", "--tag", "docs", "--value", "none")
    marry.ok("customer", "value", "acme", "--tag", "docs", "--value", "low")
    assert value_of(marry, "a", "-c", "acme", "--tag", "docs") == "low"
    cleared = marry.ok("customer", "value", "acme", "--tag", "docs", "--clear")
    assert "no longer has a value" in cleared.stderr
    assert value_of(marry, "b", "-c", "acme", "--tag", "docs") == "high"
    assert marry.json("customer", "show", "acme")["profile"] == {}


def test_the_json_of_promise_add_is_unchanged_by_the_profile(marry):
    marry.add("first", "Acme")
    marry.ok("customer", "value", "acme", "--tag", "docs", "--value", "low")
    document = marry.json("promise", "add", "x", "-c", "acme", "--tag", "docs")
    plain = marry.json("promise", "add", "y", "-c", "acme", "--tag", "docs", "--value", "low")
    assert list(document) == list(plain) and document["value"] == plain["value"] == "low"


def test_a_new_customer_has_no_profile_and_a_profile_follows_renames_and_merges(marry):
    assert value_of(marry, "a", "-c", "Acme", "--tag", "docs") == "high"
    marry.ok("customer", "value", "acme", "--tag", "docs", "--value", "low")
    marry.ok("customer", "rename", "acme", "Acme Corporation")
    # The name before the rename still leads to the customer, for recording and for use.
    marry.ok("customer", "value", "ACME", "--tag", "sso", "--value", "none")
    assert value_of(marry, "b", "-c", "acme corporation", "--tag", "sso") == "none"
    # A merge brings the profile of the name merged away along (the latest change wins).
    marry.add("c", "Globex")
    marry.ok("customer", "value", "globex", "--tag", "docs", "--value", "high")
    marry.ok("customer", "merge", "acme corporation", "globex")
    shown = marry.json("customer", "show", "acme")
    assert shown["customer"] == "Globex"
    assert shown["profile"] == {"docs": "high", "sso": "none"}
    assert value_of(marry, "d", "-c", "globex", "--tag", "sso") == "none"


# -- customer value: no-op repeats and bad input --------------------------------------------


def test_a_repeated_value_or_clear_is_a_no_op_with_a_notice(marry):
    marry.add("first", "Acme")
    marry.ok("customer", "value", "acme", "--tag", "docs", "--value", "low", "--note", "why")
    before = marry.rows()
    again = marry.ok("customer", "value", "ACME", "--tag", "docs", "--value", "LOW")
    assert again.stdout == ""
    assert "already values promises tagged 'docs' low; nothing recorded" in again.stderr
    nothing = marry.ok("customer", "value", "acme", "--tag", "sso", "--clear")
    assert "no value for the tag 'sso' to clear; nothing recorded" in nothing.stderr
    assert marry.rows() == before


def test_a_value_change_is_recorded_in_the_directory_s_changes(marry):
    marry.add("first", "Acme")
    marry.ok("customer", "value", "acme", "--tag", " docs ", "--value", "low", "--note", "why")
    marry.ok("customer", "value", "acme", "--tag", "docs", "--clear")
    changes = marry.rows()["marry_customer_change"]
    # id, kind, customer_id, into_id, old_name, new_name, owner, at, tag, level, note
    assert [(c[1], c[2], c[3], c[4], c[5], c[6], c[8], c[9], c[10]) for c in changes] == [
        ("value", 1, None, "Acme", "Acme", "tester", "docs", "low", "why"),
        ("value", 1, None, "Acme", "Acme", "tester", "docs", None, None),
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("nobody", "--tag", "docs", "--value", "low"), "there is no customer 'nobody'"),
        (("acme", "--tag", "docs", "--value", "middling"), "'middling' is not one of"),
        (("acme", "--tag", "docs", "--value", "low", "--clear"), "contradict each other"),
        (("acme", "--tag", "docs"), "give --value none|low|high, or --clear"),
        (("acme", "--value", "low"), "Missing option '--tag'"),
        (("acme", "--tag", "do\x1bcs", "--value", "low"), "--tag contains a control character"),
        (("acme", "--tag", "docs", "--value", "low", "--note", "a\x07"), "--note contains a"),
        (("ac\x00me", "--tag", "docs", "--value", "low"), "the customer contains a control"),
        (("acme", "--tag", "  ", "--value", "low"), "--tag is empty"),
        (("acme", "--tag", "x" * 51, "--value", "low"), "--tag is 51 characters long"),
    ],
    ids=[
        "unknown-customer",
        "bad-level",
        "clear-and-value",
        "neither",
        "no-tag",
        "control-in-tag",
        "control-in-note",
        "control-in-name",
        "empty-tag",
        "long-tag",
    ],
)
def test_bad_input_is_exit_2_and_the_ledger_unchanged(marry, args, says):
    marry.add("first", "Acme")
    marry.ok("customer", "value", "acme", "--tag", "docs", "--value", "high")
    before = marry.rows()
    refused = marry("customer", "value", *args)
    assert refused.exit_code == 2, refused
    assert says in refused.stderr and "Traceback" not in refused.stderr
    assert refused.stdout == ""
    assert marry.rows() == before


def test_a_value_for_a_ledger_that_does_not_exist_creates_nothing(sqlite_marry):
    refused = sqlite_marry("customer", "value", "acme", "--tag", "docs", "--value", "low")
    assert refused.exit_code == 2 and "there is no customer 'acme'" in refused.stderr
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


# -- what the customer values in report --customer ------------------------------------------


def seed_values(marry: Marry) -> None:
    """Acme, by hand: five valued promises (tag sso, high) of which two are kept on time and
    three broken; five it does not value (tag chores, none), all kept on time; one untagged
    promise of value low, kept; and a profile saying so."""
    marry.add("first", "Acme", "--made", "2025-01-01T09:00:00Z", "--tag", "sso")
    marry.ok("break", "1", "--at", "2025-01-02T09:00:00Z")
    marry.ok("customer", "value", "acme", "--tag", "sso", "--value", "high")
    marry.ok("customer", "value", "acme", "--tag", "chores", "--value", "none")
    day = 2
    for k in range(4):  # with the first: 2 kept, 3 broken
        pid = marry.add(f"sso {k}", "acme", "--made", f"2025-01-{day:02d}T10:00:00Z",
                        "--due", f"2025-01-{day + 1:02d}T17:00:00Z", "--tag", "sso")  # fmt: skip
        verb = "keep" if k < 2 else "break"
        marry.ok(verb, str(pid), "--at", f"2025-01-{day + 1:02d}T09:00:00Z")
        day += 2
    for k in range(5):
        pid = marry.add(f"chore {k}", "acme", "--made", f"2025-01-{day:02d}T10:00:00Z",
                        "--due", f"2025-01-{day + 1:02d}T17:00:00Z", "--tag", "chores")  # fmt: skip
        marry.ok("keep", str(pid), "--at", f"2025-01-{day + 1:02d}T09:00:00Z")
        day += 2
    pid = marry.add("untagged", "acme", "--made", f"2025-01-{day:02d}T10:00:00Z", "--value", "low")
    marry.ok("keep", str(pid), "--at", f"2025-01-{day + 1:02d}T09:00:00Z")


@pytest.fixture
def valued(backend, tmp_path, seeded_ledgers) -> Marry:
    marry, _ = seeded_ledgers.marry(backend, seed_values, tmp_path)
    return marry


def test_the_values_numbers_of_a_ledger_built_by_hand(valued):
    detail = valued.json("report", "--customer", "acme", "--as-of", AS_OF)
    values = detail["values"]
    assert list(values) == ["profile", "valued_keep_rate", "unvalued_keep_rate", "tags"]
    assert values["profile"] == {"chores": "none", "sso": "high"}
    assert values["valued_keep_rate"] == 0.5  # sso 2 of 5, and the untagged low one kept
    by_tag = {t["tag"]: t for t in values["tags"]}
    assert [t["tag"] for t in values["tags"]] == ["chores", "sso", None]  # untagged: null, last
    assert by_tag["sso"] == {
        "tag": "sso", "promises": 5, "none": 0, "low": 0, "high": 5, "kept": 2, "failures": 3,
        "keep_rate": 0.4, "trust_built": by_tag["sso"]["trust_built"],
    }  # fmt: skip
    assert by_tag["chores"] == {
        "tag": "chores", "promises": 5, "none": 5, "low": 0, "high": 0, "kept": 5,
        "failures": 0, "keep_rate": 1.0, "trust_built": 0,
    }  # fmt: skip
    assert by_tag["chores"]["trust_built"] == 0.0  # exactly: a promise of no value builds none
    assert by_tag[None]["promises"] == 1 and by_tag[None]["low"] == 1
    # Trust built is the sum of the kept events' moves of trust (the timeline's steps).
    timeline = [0.0] + [point["trust"] for point in detail["timeline"]]
    kinds = ["broken"] + ["kept", "kept", "broken", "broken"] + ["kept"] * 6
    steps = [after - before for before, after in itertools.pairwise(timeline)]
    assert len(steps) == len(kinds)
    sso_kept = [steps[1], steps[2]]
    assert by_tag["sso"]["trust_built"] == pytest.approx(sum(sso_kept), abs=1e-12)
    assert by_tag[None]["trust_built"] == pytest.approx(steps[-1], abs=1e-12)
    assert by_tag["sso"]["trust_built"] > 0


def test_valued_2_of_5_against_unvalued_5_of_5_says_effort_goes_astray(valued):
    # As of the last sso outcome and the chores, before the untagged promise is kept.
    as_of = "2025-01-20T12:00:00Z"
    values = valued.json("report", "--customer", "acme", "--as-of", as_of)["values"]
    assert values["valued_keep_rate"] == 0.4 and values["unvalued_keep_rate"] == 1.0
    table = valued.ok("report", "--customer", "acme", "--as-of", as_of).stdout
    words = " ".join(table.split())
    assert "Effort goes to promises the customer does not value: 40% of the valued ones" in words
    assert "against 100% of the others" in words
    # With the untagged valued promise kept it is 3 of 6 against 5 of 5: still said.
    later = " ".join(valued.ok("report", "--customer", "acme", "--as-of", AS_OF).stdout.split())
    assert "Effort goes to promises the customer does not value: 50%" in later


def test_no_sentence_with_fewer_than_5_resolved_on_either_side(valued):
    as_of = "2025-01-17T12:00:00Z"  # 4 chores kept: too few to say
    values = valued.json("report", "--customer", "acme", "--as-of", as_of)["values"]
    assert values["valued_keep_rate"] == 0.4 and values["unvalued_keep_rate"] == 1.0
    table = valued.ok("report", "--customer", "acme", "--as-of", as_of).stdout
    assert "Effort goes" not in table


def test_the_profile_in_a_report_is_the_directory_s_as_it_is_now(valued):
    # Like the customer's name, the profile is the directory's: recorded now, shown for any
    # --as-of, beside the tags it names even before any promise carried them.
    before = valued.json("report", "--customer", "acme", "--as-of", "2025-01-01T12:00:00Z")
    assert before["values"]["profile"] == {"chores": "none", "sso": "high"}
    tags = [(t["tag"], t["promises"]) for t in before["values"]["tags"]]
    assert tags == [("chores", 0), ("sso", 1)]


def test_the_values_table_fits_80_columns(valued):
    table = valued.ok("report", "--customer", "acme", "--as-of", AS_OF).stdout
    lines = table.splitlines()
    assert all(len(line) <= 80 for line in lines), table
    start = lines.index("What the customer values")
    header = lines[start + 1].split()
    assert header[:2] == ["Tag", "Profile"] and header[-2:] == ["Trust", "built"]
    rows = {line.split()[0]: line.split() for line in lines[start + 2 : start + 5]}
    assert rows["chores"][1] == "none" and rows["chores"][-1] == "0"
    assert rows["sso"][1] == "high" and rows["sso"][-2] == "40%"
    assert rows["(untagged)"][1] == "-"
    words = " ".join(table.split())
    assert (
        "Kept on time: of the valued promises (value low or high) 50% (6 resolved), "
        "of the others 100% (5 resolved)."
    ) in words


def test_a_promise_with_several_tags_counts_for_each(marry):
    pid = marry.add("both", "Acme", "--made", "2025-01-01", "--tag", "a", "--tag", "b")
    marry.ok("keep", str(pid), "--at", "2025-01-02")
    tags = marry.json("report", "--customer", "acme", "--as-of", AS_OF)["values"]["tags"]
    assert [(t["tag"], t["promises"], t["kept"]) for t in tags] == [("a", 1, 1), ("b", 1, 1)]
    assert tags[0]["trust_built"] == tags[1]["trust_built"] > 0


def test_the_html_section_shows_what_the_customer_values(marry):
    hostile = "<script>alert(1)</script>"
    pid = marry.add("x", "Acme", "--made", "2025-01-01", "--tag", hostile)
    marry.ok("keep", str(pid), "--at", "2025-01-02")
    marry.ok("customer", "value", "acme", "--tag", hostile, "--value", "low")
    page = marry.ok("report", "--customer", "acme", "--format", "html").stdout
    tree = assert_inert_and_self_contained(page)
    assert "<script>" not in page
    headings = [h.text() for h in tree.find_all("h3")]
    assert headings.index("What the customer values") < headings.index("Promises")
    table = tree.find("table", "values")
    (row,) = table.find("tbody").find_all("tr")
    cells = [td.text() for td in row.find_all("td")]
    assert cells[0] == hostile and cells[1] == "low" and cells[-2] == "100%"
    assert tree.find(cls="valued-rates").text() == (
        "Kept on time: of the valued promises (value low or high) 100% (1 resolved), "
        "of the others none resolved yet."
    )


# -- export, import and db check ----------------------------------------------------------


def test_export_and_import_keep_the_profile_and_what_the_customer_values(valued, tmp_path):
    valued.ok("customer", "value", "acme", "--tag", "docs", "--value", "low", "--note", "why")
    valued.ok("customer", "value", "acme", "--tag", "docs", "--clear")
    valued.ok("customer", "rename", "acme", "Acme Corporation")
    valued.ok("customer", "value", "acme", "--tag", "chores", "--value", "low")
    export = tmp_path / "ledger.jsonl"
    valued.ok("export", "--output", str(export))
    copy = Marry(db=str(tmp_path / "copy.db"), backend="sqlite", path=tmp_path / "copy.db")
    copy.ok("import", str(export))
    for args in (
        ("customer", "show", "acme"),
        ("report", "--customer", "acme", "--as-of", AS_OF),
        ("report", "--customer", "acme", "--as-of", "2099-01-01"),
    ):
        assert copy.json(*args) == valued.json(*args)
    assert copy.json("customer", "show", "acme")["profile"] == {"chores": "low", "sso": "high"}
    copy.ok("db", "check")
    valued.ok("db", "check")
    # The same file again adds nothing, no value change either.
    rows = copy.rows()
    copy.ok("import", str(export))
    assert copy.rows() == rows
    assert [row[1] for row in rows["marry_customer_change"]] == ["value"] * 4 + ["rename", "value"]


def _change_line(**fields: object) -> str:
    import json

    line = {
        "type": "customer_change", "id": 1, "kind": "value", "customer_id": 1, "into_id": None,
        "old_name": "Acme", "new_name": "Acme", "owner": "dana", "at": "2025-01-01T00:00:00Z",
        "tag": "docs", "level": "low", "note": None,
    }  # fmt: skip
    line.update(fields)
    return json.dumps({k: v for k, v in line.items() if v != "-"})


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"level": "medium"}, "level 'medium' is not one of none, low, high"),
        ({"tag": "-"}, "tag is missing"),
        ({"tag": "a\u0007"}, "the tag contains a control character"),
        ({"into_id": 1}, "a value has no into_id"),
        ({"kind": "rename"}, "a rename has no tag; only a value change has"),
        ({"kind": "tune"}, "kind 'tune' is not rename, merge or value"),
    ],
)
def test_import_refuses_a_value_change_marry_would_not_record(sqlite_marry, tmp_path, fields, says):
    file = tmp_path / "bad.jsonl"
    header = '{"format": "marry-export", "version": 1}'
    customer = (
        '{"type": "customer", "id": 1, "name": "Acme", "key": "acme", "merged_into": null,'
        ' "created": "2025-01-01T00:00:00Z"}'
    )
    file.write_text("\n".join([header, customer, _change_line(**fields)]) + "\n")
    refused = sqlite_marry("import", str(file))
    assert refused.exit_code == 2, refused
    assert "line 3" in refused.stderr and says in refused.stderr
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


@pytest.mark.parametrize(
    ("update", "says"),
    [
        ("level = 'medium'", "the level of directory change 1 is 'medium'"),
        ("tag = 'a' || char(7)", "the tag of directory change 1 is 'a\\x07'"),
        ("tag = NULL", "the tag of directory change 1 is None"),
        ("note = ''", "the note of directory change 1 is ''"),
        ("kind = 'rename'", "directory change 1 is a rename with a tag, level or note"),
        ("kind = 'tune'", "the kind of directory change 1 is 'tune'"),
    ],
)
def test_db_check_finds_a_value_change_no_write_of_marry_s_makes(sqlite_marry, update, says):
    sqlite_marry.add("x", "Acme")
    sqlite_marry.ok("customer", "value", "acme", "--tag", "docs", "--value", "low")
    sqlite_marry.ok("db", "check")
    assert isinstance(sqlite_marry.path, Path)
    with sqlite3.connect(sqlite_marry.path) as conn:
        conn.execute(f"UPDATE marry_customer_change SET {update}")
    found = sqlite_marry("db", "check")
    assert found.exit_code == 3 and says in found.stderr + found.stdout, found


# -- the model alone (model/values.py): properties over random ledgers ----------------------


@st.composite
def tagged_ledgers(draw: st.DrawFn) -> list[Promise]:
    """Random ledgers of one customer (as the trust model's property tests make them), each
    promise with a few of three tags or none."""
    promises = draw(ledgers(max_promises=6))
    tag_sets = st.lists(st.sampled_from(["a", "b", "c"]), max_size=3, unique=True).map(tuple)
    return [p._replace(tags=draw(tag_sets)) for p in promises]


@PROPERTY
@given(tagged_ledgers(), as_ofs)
def test_values_come_from_the_model_s_contributions(promises, as_of):
    report = score_customer("Acme", promises, as_of)
    values = customer_values(promises, report.contributions, {"a": Value.LOW}, as_of)
    failures = sum(1 for c in report.contributions if c.kind in FAILURES)
    # Every scored keep and failure is a valued or an unvalued one, once.
    assert values.valued_resolved + values.unvalued_resolved == report.kept + failures
    counted = [
        p for p in promises if p.made <= as_of and p.state(as_of).status is not Status.CANCELLED
    ]
    if all(p.value is not Value.NONE for p in counted):
        assert values.valued_keep_rate == report.keep_rate
    for t in values.tags:
        tagged = [p for p in counted if (t.tag in p.tags if t.tag is not None else not p.tags)]
        assert t.promises == len(tagged) == t.none + t.low + t.high
        if all(p.value is Value.NONE for p in tagged):
            assert t.trust_built == 0.0  # exactly: keeping what is not valued builds nothing
    assert values.profile == {"a": Value.LOW}
    assert [t.tag for t in values.tags if t.level is not None] == ["a"]
    # A promise's trust built is counted for each of its tags (or once, untagged): with one
    # tag each, the tags' trust built is all the kept events' contributions.
    if all(len(p.tags) <= 1 for p in counted):
        built = sum(
            c.trust_after - c.trust_before for c in report.contributions if c.kind == "kept"
        )
        assert sum(t.trust_built for t in values.tags) == pytest.approx(built, abs=1e-12)


def test_the_profile_is_the_latest_change_per_tag_and_the_highest_level_wins():
    changes = [("b", Value.HIGH), ("a", Value.NONE), ("b", None), ("a", Value.LOW)]
    assert fold_profile(changes) == {"a": Value.LOW}
    profile = {"x": Value.LOW, "y": Value.HIGH, "z": Value.HIGH, "w": Value.NONE}
    assert profile_value(profile, ["w", "x"]) == (Value.LOW, "x")
    assert profile_value(profile, ["x", "z", "y"]) == (Value.HIGH, "z")  # the first of the best
    assert profile_value(profile, ["w"]) == (Value.NONE, "w")
    assert profile_value(profile, ["other"]) is None
    assert profile_value(profile, []) is None
