"""`--format html` (SPEC §9): one self-contained, inert page whose numbers are the JSON's,
whose chart puts events at their real time, with hostile user data shown as text; and
`--output FILE` for the reports."""

from __future__ import annotations

from datetime import datetime

import pytest

from conftest import Marry
from pages import Node, assert_inert_and_self_contained, parse

AS_OF = "2026-03-01T12:00:00Z"
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "[bold]x[/] {{ 7*7 }}",
    '=HYPERLINK("https://evil.example")',
]
OWNER = "</style><script>alert(3)</script>"


def seed(marry: Marry) -> dict[str, int]:
    """Customers with hostile names, a record spread over time, one plain customer."""
    ids = {}
    for n, name in enumerate(HOSTILE):
        for k in range(3):
            made = f"2026-01-{1 + 7 * k + n:02d}T09:00:00Z"
            due = f"2026-01-{5 + 7 * k + n:02d}T17:00:00Z"
            pid = marry.add(f"{name} promise {k}", name, "--made", made, "--due", due)
            ids[f"{n}/{k}"] = pid
            verb = "break" if k == 2 and n % 2 else "keep"
            marry.ok(verb, str(pid), "--at", f"2026-01-{4 + 7 * k + n:02d}T10:00:00Z")
        marry.add("<b>open</b>", name, "--made", "2026-02-20", "--due", "2026-02-25",
                  "--owner", OWNER, "--tag", "<i>tag</i>")  # fmt: skip
    for k in range(4):  # Northwind: months apart, to show time is real on the x axis
        made, at = (
            ("2025-06-01", "2025-06-03") if k == 0 else (f"2026-02-0{k}", f"2026-02-0{k + 1}")
        )
        pid = marry.add(f"Report {k}", "Northwind", "--made", made, "--due", "2026-02-20")
        marry.ok("keep", str(pid), "--at", at)
    return ids


@pytest.fixture
def seeded(backend, tmp_path, seeded_ledgers):
    marry, _ = seeded_ledgers.marry(backend, seed, tmp_path)
    return marry


def page(marry: Marry, *args: str) -> tuple[str, Node]:
    result = marry.ok(*args, "--format", "html", "--as-of", AS_OF)
    return result.stdout, assert_inert_and_self_contained(result.stdout)


def cells(row: Node, cls: str) -> str:
    return " ".join(row.find(cls=cls).text().split())


def test_overview_shows_the_json_s_customers_in_its_order_with_its_numbers(seeded):
    _, tree = page(seeded, "report")
    customers = seeded.json("report", "--as-of", AS_OF)["customers"]
    rows = tree.find_all("tr", "customer-row")
    assert [row.find("a").text() for row in rows] == [c["customer"] for c in customers]
    for row, c in zip(rows, customers, strict=True):
        assert cells(row, "trust") == f"{c['trust']:.2f}"
        assert row.find(cls="stage").text() == c["stage"]
        assert f"stage-{c['stage']}" in row.find(cls="stage").attrs["class"]  # colour and word
        keep = f"{c['keep_rate'] * 100:.0f}% ≥{c['keep_rate_low'] * 100:.0f}%"
        assert cells(row, "keep-rate") == keep
        assert cells(row, "streak") == f"{c['streak']}/{c['longest_streak']}"
        assert (cells(row, "open"), cells(row, "overdue")) == (str(c["open"]), str(c["overdue"]))
        section = tree.find_all(cls="customer")[rows.index(row)]
        assert row.find("a").attrs["href"] == "#" + section.attrs["id"]
        assert section.find("h2").children[0].strip() == c["customer"]


def test_a_customer_section_has_the_json_s_numbers_and_its_events_at_their_real_time(seeded):
    _, tree = page(seeded, "report", "--customer", "Northwind")
    detail = seeded.json("report", "--customer", "Northwind", "--as-of", AS_OF)
    for cls in ("trust", "distrust", "uncertainty"):
        assert tree.find(cls=cls).text() == f"{detail[cls]:.2f}"
    assert tree.find(cls="streak").text() == str(detail["streak"])
    text = tree.text()
    assert "Next stage:" in text and "Error budget:" in text
    # One point per scored event, each titled with what happened to which promise.
    dots = tree.find_all("circle")
    timeline = detail["timeline"]
    assert len(dots) == len(timeline) == 4
    titles = [dot.find("title").text() for dot in dots]
    assert all("kept, promise" in t and "trust" in t for t in titles), titles
    assert "“Report 0”" in titles[0]
    # x is proportional to time: 8 months between the first two events, days after.
    times = [datetime.fromisoformat(p["at"]).timestamp() for p in timeline]
    xs = [float(dot.attrs["cx"]) for dot in dots]
    for t, x in zip(times[1:], xs[1:], strict=True):
        expected = (t - times[0]) / (times[-1] - times[0])
        assert (x - xs[0]) / (xs[-1] - xs[0]) == pytest.approx(expected, abs=0.01)
    assert xs[1] - xs[0] > 10 * (xs[2] - xs[1])
    # The stages are shaded behind, and the as-of is marked at the right edge.
    assert {band.find("title").text() for band in tree.find_all("rect")} >= {"dating"}
    assert "as of 2026-03-01 12:00" in tree.find("line", "asof-line").text()
    assert [p.text() for p in tree.find("table", "promises").find_all("td")][:2] == [
        str(detail["promises_detail"][0]["id"]),
        "Report 0",
    ]


def test_hostile_user_data_is_shown_as_text_and_does_nothing(seeded):
    pages = {
        ("report",): HOSTILE,
        ("report", "--customer", HOSTILE[1]): [HOSTILE[1], "<b>open</b>", OWNER],
        ("report", "--by", "owner"): [OWNER],
        ("agenda", "--within", "+400d"): ["<b>open</b>", *HOSTILE],
    }
    for args, shown in pages.items():
        if args[0] == "agenda":
            raw = seeded.ok(*args, "--format", "html").stdout
            tree = assert_inert_and_self_contained(raw)
        else:
            raw, tree = page(seeded, *args)
        assert "<script" not in raw.replace("&lt;script", ""), args
        assert not tree.find_all("img") and not tree.find_all("script"), args
        assert "open" not in [b.text() for b in tree.find_all("b")], args
        text = tree.text()
        for name in shown:
            assert name in text, (args, name)


def test_owners_and_agenda_pages_have_their_rows(seeded):
    _, owners = page(seeded, "report", "--by", "owner")
    names = [
        row.find(cls="name").text() for row in owners.find("table", "owners").find_all("tr")[1:]
    ]
    listed = [
        o["owner"] for o in seeded.json("report", "--by", "owner", "--as-of", AS_OF)["owners"]
    ]
    assert names == listed
    result = seeded.ok("agenda", "--format", "html", "--within", "+400d")
    tree = assert_inert_and_self_contained(result.stdout)
    agenda = seeded.json("agenda", "--within", "+400d")
    rows = tree.find("table", "agenda").find_all("tr")[1:]
    assert [r.find("td").text() for r in rows] == [str(i["promise"]["id"]) for i in agenda["items"]]


def test_the_same_ledger_and_as_of_give_the_same_bytes(seeded):
    first, _ = page(seeded, "report")
    again, _ = page(seeded, "report")
    assert first == again
    later = seeded.ok("report", "--format", "html", "--as-of", "2026-03-02T12:00:00Z").stdout
    assert later != first


def test_an_empty_ledger_is_a_page_that_says_so(marry):
    tree = assert_inert_and_self_contained(marry.ok("report", "--format", "html").stdout)
    assert "No customers yet" in tree.text()
    assert "Nothing is overdue" in parse(marry.ok("agenda", "--format", "html").stdout).text()


def test_html_is_refused_where_the_view_has_none_before_any_work(sqlite_marry):
    result = sqlite_marry("promise", "list", "--format", "html")
    assert result.exit_code == 2 and result.stdout == ""
    assert "`marry promise list` has no html output; use --format table, json or csv" in (
        result.stderr
    )
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


# -- --output --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "json", "csv", "table"])
def test_output_writes_what_stdout_would_show(seeded, tmp_path, fmt):
    target = tmp_path / f"report.{fmt}"
    shown = seeded.ok("report", "--format", fmt, "--as-of", AS_OF).stdout
    result = seeded.ok("report", "--format", fmt, "--as-of", AS_OF, "--output", str(target))
    assert result.stdout == "" and f"wrote {target}" in result.stderr
    assert target.read_text(encoding="utf-8") == shown


def test_agenda_and_customer_reports_take_output_too(seeded, tmp_path):
    target = tmp_path / "agenda.html"
    seeded.ok("agenda", "--format", "html", "-o", str(target), "--within", "+400d")
    assert_inert_and_self_contained(target.read_text(encoding="utf-8"))
    seeded.ok("report", "-c", "Northwind", "--json", "-o", str(target))
    assert target.read_text(encoding="utf-8").startswith("{")


def test_a_failed_report_leaves_the_output_file_as_it_was(seeded, tmp_path):
    target = tmp_path / "report.html"
    target.write_text("yesterday's report\n", encoding="utf-8")
    result = seeded("report", "--customer", "nobody", "--format", "html", "-o", str(target))
    assert result.exit_code == 2 and "nobody" in result.stderr
    assert target.read_text(encoding="utf-8") == "yesterday's report\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_output_refuses_a_folder_and_the_ledger_before_any_work(sqlite_marry, tmp_path):
    sqlite_marry.add()
    before = sqlite_marry.rows()
    folder = sqlite_marry("report", "--format", "html", "--output", str(tmp_path))
    assert folder.exit_code == 2 and "is a folder" in folder.stderr
    itself = sqlite_marry("agenda", "--output", sqlite_marry.db)
    assert itself.exit_code == 2 and "the ledger itself" in itself.stderr
    assert sqlite_marry.rows() == before


def test_a_section_lists_the_unresolved_and_the_latest_resolved_promises(sqlite_marry):
    marry = sqlite_marry
    for k in range(23):
        pid = marry.add(f"Delivery {k}", "acme", "--made", f"2026-01-{1 + k:02d}")
        marry.ok("keep", str(pid), "--at", f"2026-01-{1 + k:02d}T12:00:00Z")
    marry.add("Still open", "acme", "--made", "2026-01-02", "--due", "2026-06-01")
    tree = parse(marry.ok("report", "--format", "html", "--as-of", AS_OF).stdout)
    listed = [row.find("td").text() for row in tree.find("table", "promises").find_all("tr")[1:]]
    assert listed == [str(i) for i in range(4, 25)]  # the 20 latest resolved, and the open one
    assert "3 earlier resolved promises not listed here" in " ".join(tree.text().split())
