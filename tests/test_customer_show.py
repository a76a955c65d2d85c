"""`marry customer show NAME` (SPEC §8): the customer's names, value profile and counts, as a
table for people and as JSON of exactly SPEC's fields, for any name leading to it."""

from __future__ import annotations

import pytest

SHOW = ["customer", "names", "profile", "promises", "open", "overdue"]


def test_show_has_exactly_the_spec_fields_and_the_counts_of_customer_list(marry):
    marry.add("open", "Acme", "--due", "+3d")
    marry.add("overdue", "acme", "--made", "2025-01-01", "--due", "2025-01-02")
    kept = marry.add("kept", "acme")
    marry.ok("keep", str(kept))
    cancelled = marry.add("cancelled", "acme")
    marry.ok("promise", "cancel", str(cancelled), "--note", "by mistake")
    marry.add("other", "Globex")
    marry.ok("customer", "value", "acme", "--tag", "sso", "--value", "high")
    marry.ok("customer", "value", "acme", "--tag", "Docs", "--value", "none")
    marry.ok("customer", "value", "acme", "--tag", "chores", "--value", "low")
    shown = marry.json("customer", "show", "ACME")
    assert list(shown) == SHOW
    assert shown["customer"] == "Acme" and shown["names"] == ["Acme"]
    assert list(shown["profile"].items()) == [("chores", "low"), ("Docs", "none"), ("sso", "high")]
    listed = next(c for c in marry.json("customer", "list") if c["customer"] == "Acme")
    counts = {key: shown[key] for key in ("promises", "open", "overdue")}
    assert counts == {key: listed[key] for key in ("promises", "open", "overdue")}
    assert counts == {"promises": 3, "open": 1, "overdue": 1}


def test_every_name_leading_to_the_customer_the_display_name_first(marry):
    marry.add("a", "Acme")
    marry.add("b", "ACME GmbH")
    marry.ok("customer", "merge", "acme gmbh", "acme")
    marry.ok("customer", "rename", "acme", "Acme Corporation")
    for name in ("acme", "Acme GmbH", "acme corporation"):
        shown = marry.json("customer", "show", name)
        assert shown["customer"] == "Acme Corporation"
        assert shown["names"] == ["Acme Corporation", "ACME GmbH", "Acme"]
        assert shown["promises"] == 2


def test_the_table_shows_names_counts_and_profile_within_80_columns(marry):
    marry.add("a", "Acme")
    marry.ok("customer", "rename", "acme", "Acme Corporation")
    note = "their CFO reads every report; a late one is the first thing mentioned at renewal"
    marry.ok("customer", "value", "acme", "--tag", "reports", "--value", "high", "--note", note)
    marry.ok("customer", "value", "acme", "--tag", "chores", "--value", "none")
    table = marry.ok("customer", "show", "acme").stdout
    lines = table.splitlines()
    assert all(len(line) <= 80 for line in lines), table
    assert lines[0].split() == ["Customer", "Acme", "Corporation"]
    assert lines[1].split() == ["Also", "known", "as", "Acme"]
    assert [line.split()[0] for line in lines[2:5]] == ["Promises", "Open", "Overdue"]
    header = next(i for i, line in enumerate(lines) if line.startswith("Tag"))
    assert lines[header].split()[:3] == ["Tag", "Value", "Note"]
    rows = [line.split()[:2] for line in lines[header + 1 :] if line and not line[0].isspace()]
    assert rows == [["chores", "none"], ["reports", "high"]]
    assert "first thing mentioned at renewal" in " ".join(table.split())  # wrapped, whole


def test_a_customer_without_a_profile_says_how_to_record_one(marry):
    marry.add("a", "Acme")
    result = marry.ok("customer", "show", "acme")
    assert "No value profile yet: `marry customer value NAME --tag TAG --value LEVEL`" in " ".join(
        result.stdout.split()
    )
    assert marry.json("customer", "show", "acme")["profile"] == {}


def test_user_text_is_shown_visibly_in_the_table(marry):
    marry.add("a", "Acme")
    marry.ok("customer", "value", "acme", "--tag", "evil\u202etag", "--value", "low")
    table = marry.ok("customer", "show", "acme").stdout
    assert "evil<U+202E>tag" in table and "\u202e" not in table
    assert "evil\\u202etag" in marry.ok("customer", "show", "acme", "--json").stdout


@pytest.mark.parametrize("args", [("nobody",), ("nobody", "--json"), ("\x1b[31m",)])
def test_an_unknown_customer_is_exit_2(marry, args):
    marry.add("a", "Acme")
    before = marry.rows()
    refused = marry("customer", "show", *args)
    assert refused.exit_code == 2 and refused.stdout == ""
    assert refused.stderr.startswith("marry: error: ") and "Traceback" not in refused.stderr
    assert marry.rows() == before


def test_show_on_a_ledger_that_does_not_exist_creates_nothing(sqlite_marry):
    refused = sqlite_marry("customer", "show", "acme")
    assert refused.exit_code == 2 and "there is no customer 'acme'" in refused.stderr
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


def test_show_has_no_csv(marry):
    marry.add("a", "Acme")
    refused = marry("customer", "show", "acme", "--format", "csv")
    assert refused.exit_code == 2 and "`marry customer show` has no csv output" in refused.stderr
