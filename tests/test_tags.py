"""`marry report --by tag` (SPEC §8): each tag across customers, in every format."""

from __future__ import annotations

import csv
import io

import pytest

from conftest import Marry
from pages import assert_inert_and_self_contained

AS_OF = "2026-03-01T00:00:00Z"


def seed(marry: Marry) -> None:
    """sso: 3 promises to 2 customers (2 kept, 1 broken); q4: 3 (1 kept, 1 of value none
    overdue, 1 cancelled after AS_OF); one promise without tags."""

    def add(text: str, customer: str, *args: str) -> str:
        return str(marry.add(text, customer, "--made", "2026-01-01", *args))

    marry.ok("keep", add("a", "Acme", "--due", "2026-01-10", "--tag", "sso"), "--at", "2026-01-05")
    marry.ok("keep", add("b", "Globex", "--due", "2026-01-10", "--tag", "sso", "--tag", "q4"),
             "--at", "2026-01-06")  # fmt: skip
    marry.ok("break", add("c", "acme", "--due", "2026-01-20", "--tag", "sso"), "--at", "2026-01-15")
    add("d", "Initech", "--due", "2026-02-01", "--tag", "q4", "--value", "none")
    cancelled = add("e", "Initech", "--tag", "q4")
    marry.ok("promise", "cancel", cancelled, "--note", "not needed")
    add("f", "Initech")  # no tag: not in the report


@pytest.fixture
def seeded(backend, tmp_path, seeded_ledgers):
    marry, _ = seeded_ledgers.marry(backend, seed, tmp_path)
    return marry


def test_each_tag_across_customers(seeded):
    document = seeded.json("report", "--by", "tag", "--as-of", AS_OF)
    assert document["as_of"] == AS_OF
    q4, sso = document["tags"]
    assert (sso["tag"], sso["customers"], sso["promises"]) == ("sso", 2, 3)
    assert sso["valued_share"] == 1.0 and sso["overdue"] == 0 and sso["open"] == 0
    assert sso["keep_rate"] == pytest.approx(2 / 3)
    assert 0 < sso["keep_rate_low"] < 2 / 3
    # q4: b (kept), d (value none, overdue since Feb 1) and e, open then (cancelled now).
    assert (q4["tag"], q4["customers"], q4["promises"], q4["overdue"]) == ("q4", 2, 3, 1)
    assert q4["valued_share"] == pytest.approx(2 / 3) and q4["keep_rate"] == 0.5
    now = seeded.json("report", "--by", "tag")["tags"][0]  # e cancelled: not counted
    assert (now["promises"], now["valued_share"], now["open"]) == (2, 0.5, 0)


def test_table_csv_and_html_show_the_same_tags(seeded):
    document = seeded.json("report", "--by", "tag", "--as-of", AS_OF)
    rows = list(csv.DictReader(io.StringIO(
        seeded.ok("report", "--by", "tag", "--format", "csv", "--as-of", AS_OF).stdout
    )))  # fmt: skip
    assert [r["tag"] for r in rows] == ["q4", "sso"]
    assert [float(r["keep_rate"]) for r in rows] == [t["keep_rate"] for t in document["tags"]]
    table = seeded.ok("report", "--by", "tag", "--as-of", AS_OF).stdout.splitlines()
    assert table[0].split() == ["Tag", "Customers", "Promises", "Valued", "Keep", "rate", "Open",
                                "Overdue"]  # fmt: skip
    assert table[2].split()[:5] == ["sso", "2", "3", "100%", "67%"]
    page = seeded.ok("report", "--by", "tag", "--format", "html", "--as-of", AS_OF).stdout
    tree = assert_inert_and_self_contained(page)
    assert [n.text() for n in tree.find_all("td", "name")] == ["q4", "sso"]
    assert [n.text() for n in tree.find_all("td", "valued")] == ["67%", "100%"]


def test_by_tag_reports_every_tag_so_customer_is_refused(seeded):
    before = seeded.rows()
    result = seeded("report", "--by", "tag", "--customer", "acme")
    assert result.exit_code == 2 and "--by tag reports every tag; leave out --customer" in (
        result.stderr
    )
    assert seeded.rows() == before


def test_no_tags_is_a_notice(marry):
    marry.add("untagged")
    result = marry.ok("report", "--by", "tag")
    assert result.stdout == "" and "no tagged promises yet" in result.stderr
    assert marry.json("report", "--by", "tag")["tags"] == []
