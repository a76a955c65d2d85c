"""The renderers without the CLI: documents built from domain objects, checked against
the field lists scripts rely on, and every view emitted in every format it has.

The field lists are written out here as literals from SPEC.md §2 ("Output for scripts")
and, where the SPEC names no fields, from the README's Output section; the agenda's are
the documented behaviour of this version (the README names no fields for it yet).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from marrycli import render
from marrycli.domain import (
    AgendaItem,
    CustomerDetail,
    CustomerProfile,
    CustomerReport,
    CustomerSummary,
    CustomerValues,
    Event,
    EventKind,
    Finding,
    LedgerInfo,
    NextStage,
    OwnerReport,
    ProfileEntry,
    Promise,
    ReportLine,
    Size,
    Stage,
    Status,
    TagReport,
    TagValues,
    TimelinePoint,
    Timing,
    Value,
    WhatIf,
)
from marrycli.render import Format, documents, report_documents
from marrycli.render.output import reset_consoles
from marrycli.render.views import (
    Agenda,
    CheckResult,
    CustomerList,
    CustomerProfileView,
    CustomerReportView,
    LedgerInfoView,
    OwnersReport,
    PromiseDetail,
    PromiseList,
    Report,
    TagsReport,
    WhatIfView,
)
from marrycli.render.written import PromiseWritten

# -- the field lists ---------------------------------------------------------------------

# SPEC §2, Output for scripts: a promise (add, cancel, keep, break, renegotiate, undo, show,
# and each item of list); CSV of promises: the same fields as columns.
PROMISE = (
    "id", "customer", "text", "made", "due", "size", "value", "owner", "tags", "ref",
    "status", "resolved", "renegotiations", "series", "occurrence",
)  # fmt: skip
# SPEC §2: `promise show` adds "events", each of these.
EVENT = ("id", "kind", "at", "due", "note", "owner", "ref", "voids")
# SPEC §2: `report` is {"as_of", "customers": [CUSTOMER...]}.
REPORT = ("as_of", "customers")
CUSTOMER = (
    "customer", "promises", "open", "overdue", "kept", "kept_late", "broken", "cancelled",
    "renegotiated", "keep_rate", "keep_rate_low", "streak", "longest_streak", "trust",
    "distrust", "uncertainty", "stage", "since",
)  # fmt: skip
# SPEC §2: with --customer, CUSTOMER also carries "promises_detail" and "timeline"; the
# README (Error budget) adds "budget": {"small", "medium", "large"}.
CUSTOMER_DETAIL = (*CUSTOMER, "promises_detail", "budget", "timeline", "values", "standing")
# SPEC §8: what the customer values, in `report --customer`; and `customer show`.
VALUES = ("profile", "valued_keep_rate", "unvalued_keep_rate", "tags")
VALUES_TAG = (
    "tag", "promises", "none", "low", "high", "kept", "failures", "keep_rate", "trust_built",
)  # fmt: skip
CUSTOMER_SHOW = ("customer", "names", "profile", "promises", "open", "overdue")
TIMELINE_POINT = ("at", "trust", "distrust", "stage")
BUDGET = ("small", "medium", "large")
# SPEC §2: `check` is {"ok": bool, "findings": [{"customer", "check", "expected", "actual"}]}.
CHECK = ("ok", "findings")
FINDING = ("customer", "check", "expected", "actual")
# README (Output): `customer list --json` items; `db info --json`.
CUSTOMER_LIST_ITEM = ("customer", "promises", "open", "overdue", "merged")
DB_INFO = (
    "location", "backend", "exists", "schema_version", "marry_schema_version", "customers",
    "promises", "events",
)  # fmt: skip
# README (What if): {"before": CUSTOMER, "after": CUSTOMER}.
WHAT_IF = ("before", "after")
# README (Owners): {"as_of", "owners": [OWNER...]}.
OWNERS = ("as_of", "owners")
# SPEC §8: `report --by tag` is {"as_of", "tags": [TAG...]}.
TAGS = ("as_of", "tags")
TAG = (
    "tag",
    "customers",
    "promises",
    "valued_share",
    "keep_rate",
    "keep_rate_low",
    "open",
    "overdue",
)
OWNER = (
    "owner", "customers", "promises", "open", "overdue", "kept", "kept_late", "broken",
    "cancelled", "renegotiated", "on_time_rate", "on_time_low", "streak", "longest_streak",
)  # fmt: skip
# The agenda (not yet listed in the README): {"as_of", "until", "items": [ITEM...]}.
AGENDA = ("as_of", "until", "items")
AGENDA_ITEM = (
    "promise", "customer", "status", "due", "stage", "trust", "trust_if_kept",
    "trust_if_broken", "stake", "renegotiate", "keep_late",
)  # fmt: skip
TIMING = ("cost_now", "cost_later", "trust_acting_now", "trust_acting_later")
AGENDA_CSV = (
    "id", "customer", "text", "status", "due", "stage", "trust", "stake",
    "renegotiate_cost_now", "renegotiate_cost_later",
)  # fmt: skip

# -- domain objects ----------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=20)


def _day(days: float) -> datetime:
    return T0 + timedelta(days=days)


OPEN = Promise(
    id=1, customer="Acme Corp", text="Ship SSO", made=T0, due=_day(30), size=Size.LARGE,
    value=Value.HIGH, owner="dana", tags=("sso", "q1"), ref="ci-1",
)  # fmt: skip
KEPT_LATE = Promise(
    id=2, customer="Acme Corp", text="Fix login", made=T0, due=_day(5), size=Size.SMALL,
    value=Value.LOW, owner="lee",
    events=(
        Event(id=1, promise_id=2, kind=EventKind.RENEGOTIATED, at=_day(3), due=_day(7),
              note="vendor", owner="lee"),
        Event(id=2, promise_id=2, kind=EventKind.BROKEN, at=_day(8), owner="lee"),
        Event(id=3, promise_id=2, kind=EventKind.VOID, at=_day(9), owner="lee", voids=2),
        Event(id=4, promise_id=2, kind=EventKind.KEPT, at=_day(10), owner="lee", ref="k-2"),
    ),
)  # fmt: skip


def _report(customer: str = "Acme Corp", trust: float = 0.612345678901) -> CustomerReport:
    return CustomerReport(
        customer=customer, promises=2, open=1, overdue=0, kept=0, kept_late=1, broken=0,
        cancelled=0, renegotiated=1, keep_rate=0.0, keep_rate_low=0.0, streak=0,
        longest_streak=0, trust=trust, distrust=0.2, uncertainty=1 - trust - 0.2,
        stage=Stage.DATING, since=_day(10), valued_kept=1,
        timeline=(TimelinePoint(at=_day(10), trust=trust, distrust=0.2, stage=Stage.DATING),),
    )  # fmt: skip


DETAIL = CustomerDetail(
    report=_report(),
    trend=0.05,
    promises=[OPEN, KEPT_LATE],
    next_stage=NextStage(Stage.TRUSTED, trust=0.1, valued_kept=4, days=50.0),
    budget={Size.SMALL: 2, Size.MEDIUM: 1, Size.LARGE: 0},
    values=CustomerValues(
        profile={"sso": Value.LOW},
        valued_keep_rate=0.4,
        unvalued_keep_rate=1.0,
        valued_resolved=5,
        unvalued_resolved=5,
        effort_misplaced=True,
        tags=(
            TagValues("sso", 2, 0, 1, 1, 1, 1, 0.5, 0.25, Value.LOW),
            TagValues(None, 1, 1, 0, 0, 1, 0, 1.0, 0.0, None),
        ),
    ),
)
PROFILE = CustomerProfile(
    customer="Acme Corp",
    names=("Acme Corp", "ACME GmbH"),
    profile=(ProfileEntry("sso", Value.HIGH, "the reason we signed", _day(1), "dana"),),
    promises=2,
    open=1,
    overdue=0,
)
SUMMARY = CustomerSummary("Acme Corp", promises=2, open=1, overdue=0, merged=("ACME GmbH",))
INFO = LedgerInfo(
    location="/tmp/ledger.db", backend="sqlite", exists=True, schema_version=1,
    marry_schema_version=1, customers=1, promises=2, events=4,
)  # fmt: skip
FINDINGS = [Finding("Acme Corp", "min-keep-rate", 0.9, 0.0)]
OWNER_REPORT = OwnerReport(
    owner="dana", customers=1, promises=1, open=1, overdue=0, kept=0, kept_late=0, broken=0,
    cancelled=0, renegotiated=0, on_time_rate=None, on_time_low=None, streak=0,
    longest_streak=0,
)  # fmt: skip
TAG_REPORT = TagReport(
    tag="sso", customers=1, promises=2, valued_share=0.5, keep_rate=1.0, keep_rate_low=0.2,
    open=1, overdue=0,
)  # fmt: skip
TIMING_NOW = Timing(cost_now=0.4, cost_later=0.55, trust_acting_now=0.5, trust_acting_later=0.45)
AGENDA_ITEM_OPEN = AgendaItem(
    promise=OPEN, customer="Acme Corp", status=Status.OPEN, due=_day(30), stage=Stage.DATING,
    trust=0.61, trust_if_kept=0.7, trust_if_broken=0.2, stake=0.5, renegotiate=TIMING_NOW,
    keep_late=None,
)  # fmt: skip
WHAT_IF_RESULT = WhatIf(before=_report(), after=_report(trust=0.3), promise=OPEN, notice=None)


# -- the documents -----------------------------------------------------------------------


def test_a_promise_has_the_spec_fields_in_order():
    document = documents.promise_dict(OPEN, NOW)
    assert tuple(document) == PROMISE
    assert document["made"] == "2026-03-02T09:00:00Z"  # UTC, Z, no zero microseconds
    assert document["tags"] == ["sso", "q1"]
    assert (document["status"], document["resolved"], document["renegotiations"]) == (
        "open",
        None,
        0,
    )


def test_promise_show_adds_events_with_the_spec_fields():
    document = documents.promise_dict(KEPT_LATE, NOW, events=True)
    assert tuple(document) == (*PROMISE, "events")
    assert [tuple(event) for event in document["events"]] == [EVENT] * 4
    assert document["events"][2]["voids"] == 2 and document["events"][2]["kind"] == "void"
    assert document["events"][0]["due"] == "2026-03-09T09:00:00Z"  # the renegotiated due date
    # The void takes the break away: kept after the renegotiated due date is kept late.
    assert document["status"] == "kept_late"
    assert document["due"] == "2026-03-09T09:00:00Z"
    assert document["resolved"] == "2026-03-12T09:00:00Z"
    assert document["renegotiations"] == 1


def test_report_is_as_of_and_customers_with_the_spec_fields_unrounded():
    document = report_documents.report_document([_report()], NOW)
    assert tuple(document) == REPORT
    assert document["as_of"] == "2026-03-22T09:00:00Z"
    (customer,) = document["customers"]
    assert tuple(customer) == CUSTOMER
    assert customer["trust"] == 0.612345678901  # numbers in JSON are not rounded
    assert customer["stage"] == "dating" and customer["since"] == "2026-03-12T09:00:00Z"


def test_report_customer_is_one_customer_with_promises_budget_and_timeline():
    document = report_documents.customer_detail_document(DETAIL, NOW)
    assert tuple(document) == CUSTOMER_DETAIL
    assert [tuple(p) for p in document["promises_detail"]] == [PROMISE, PROMISE]
    assert document["budget"] == dict(zip(BUDGET, (2, 1, 0), strict=True))
    assert [tuple(point) for point in document["timeline"]] == [TIMELINE_POINT]
    values = document["values"]
    assert tuple(values) == VALUES and values["profile"] == {"sso": "low"}
    assert [tuple(t) for t in values["tags"]] == [VALUES_TAG, VALUES_TAG]
    assert [t["tag"] for t in values["tags"]] == ["sso", None]  # untagged: null


def test_customer_show_has_the_spec_fields():
    document = documents.customer_profile_dict(PROFILE)
    assert tuple(document) == CUSTOMER_SHOW
    assert document["names"] == ["Acme Corp", "ACME GmbH"]
    assert document["profile"] == {"sso": "high"}


def test_check_is_ok_and_findings_with_the_spec_fields():
    failing = report_documents.check_document(FINDINGS)
    assert tuple(failing) == CHECK
    assert failing["ok"] is False
    assert [tuple(f) for f in failing["findings"]] == [FINDING]
    assert failing["findings"][0]["expected"] == 0.9
    assert report_documents.check_document([]) == {"ok": True, "findings": []}


def test_customer_list_db_info_whatif_and_owners_have_the_readme_fields():
    assert tuple(documents.customer_dict(SUMMARY)) == CUSTOMER_LIST_ITEM
    assert documents.customer_dict(SUMMARY)["merged"] == ["ACME GmbH"]
    assert tuple(documents.info_dict(INFO)) == DB_INFO
    what_if = report_documents.what_if_document(WHAT_IF_RESULT.before, WHAT_IF_RESULT.after)
    assert tuple(what_if) == WHAT_IF
    assert tuple(what_if["before"]) == tuple(what_if["after"]) == CUSTOMER
    owners = report_documents.owners_document([OWNER_REPORT], NOW)
    assert tuple(owners) == OWNERS
    assert [tuple(owner) for owner in owners["owners"]] == [OWNER]


def test_agenda_has_its_fields():
    document = report_documents.agenda_document([AGENDA_ITEM_OPEN], NOW, _day(27))
    assert tuple(document) == AGENDA
    (item,) = document["items"]
    assert tuple(item) == AGENDA_ITEM
    assert tuple(item["promise"]) == PROMISE
    assert tuple(item["renegotiate"]) == TIMING
    assert item["keep_late"] is None  # only an overdue promise can be delivered late


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("text", "header", "rows"),
    [
        (documents.promises_csv([OPEN, KEPT_LATE], NOW), PROMISE, 2),
        (report_documents.report_csv([_report(), _report("Globex")]), CUSTOMER, 2),
        (documents.customers_csv([SUMMARY]), CUSTOMER_LIST_ITEM, 1),
        (report_documents.owners_csv([OWNER_REPORT]), OWNER, 1),
        (report_documents.agenda_csv([AGENDA_ITEM_OPEN]), AGENDA_CSV, 1),
    ],
    ids=["promises", "report", "customers", "owners", "agenda"],
)
def test_csv_has_a_header_of_the_json_fields_and_a_row_each(
    text: str, header: tuple[str, ...], rows: int
):
    found = _csv_rows(text)
    assert tuple(found[0]) == header
    assert len(found) == 1 + rows
    assert all(len(row) == len(header) for row in found)


def test_csv_cells_are_by_name_not_position():
    header, row = _csv_rows(documents.promises_csv([OPEN], NOW))
    cells = dict(zip(header, row, strict=True))
    assert cells["tags"] == "sso;q1" and cells["ref"] == "ci-1" and cells["resolved"] == ""
    assert cells["due"] == "2026-04-01T09:00:00Z" and cells["size"] == "large"


# -- every view in every format it has, through emit -------------------------------------

VIEWS: list[Any] = [
    PromiseWritten(OPEN, NOW),
    PromiseDetail(KEPT_LATE, NOW),
    PromiseList([OPEN, KEPT_LATE], NOW),
    CustomerList([SUMMARY]),
    CustomerProfileView(PROFILE),
    LedgerInfoView(INFO),
    Report([ReportLine(1, _report(), trend=-0.2)], NOW),
    CustomerReportView(DETAIL, NOW),
    OwnersReport([OWNER_REPORT], NOW),
    TagsReport([TAG_REPORT], NOW),
    CheckResult(FINDINGS),
    WhatIfView(WHAT_IF_RESULT),
    Agenda([AGENDA_ITEM_OPEN], NOW, _day(27)),
]
# The top-level keys of each view's JSON (a list: the keys of its items).
JSON_KEYS = {
    PromiseWritten: PROMISE,
    PromiseDetail: (*PROMISE, "events"),
    PromiseList: PROMISE,
    CustomerList: CUSTOMER_LIST_ITEM,
    CustomerProfileView: CUSTOMER_SHOW,
    LedgerInfoView: DB_INFO,
    Report: REPORT,
    CustomerReportView: CUSTOMER_DETAIL,
    OwnersReport: OWNERS,
    TagsReport: TAGS,
    CheckResult: CHECK,
    WhatIfView: WHAT_IF,
    Agenda: AGENDA,
}
CSV_HEADER = {
    PromiseWritten: PROMISE,
    PromiseList: PROMISE,
    CustomerList: CUSTOMER_LIST_ITEM,
    Report: CUSTOMER,
    OwnersReport: OWNER,
    TagsReport: TAG,
    Agenda: AGENDA_CSV,
}
EMITS = [(view, fmt) for view in VIEWS for fmt in render.formats_of(type(view))]


def test_every_view_is_exercised_here():
    assert {type(view) for view in VIEWS} == set(JSON_KEYS)
    assert {type(view) for view, fmt in EMITS if fmt is Format.CSV} == set(CSV_HEADER)


@pytest.mark.parametrize(
    ("view", "fmt"), EMITS, ids=[f"{type(v).__name__}-{f.value}" for v, f in EMITS]
)
def test_emit_writes_the_view_to_stdout(
    view: Any, fmt: Format, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("COLUMNS", "80")
    reset_consoles()  # the consoles write to this test's captured stdout
    render.emit(view, fmt)
    out, err = capsys.readouterr()
    assert err == ""
    assert out.endswith("\n") and not any(line.endswith(" ") for line in out.splitlines())
    if fmt is Format.JSON:
        document = json.loads(out)
        item = document[0] if isinstance(document, list) else document
        assert tuple(item) == JSON_KEYS[type(view)]
    elif fmt is Format.CSV:
        assert tuple(_csv_rows(out)[0]) == CSV_HEADER[type(view)]
    elif fmt is Format.HTML:  # one whole page (tests/test_html.py reads it)
        assert out.startswith("<!DOCTYPE html>\n") and out.endswith("</html>\n")
    else:
        assert out.strip()
        assert all(len(line) <= 80 for line in out.splitlines()), out


@pytest.mark.parametrize(
    ("view", "says"),
    [
        (PromiseList([], NOW), "no promises match"),
        (CustomerList([]), "no customers yet"),
        (Report([], NOW), "no customers yet"),
        (OwnersReport([], NOW), "no promises yet"),
        (TagsReport([], NOW), "no tagged promises yet"),
        (Agenda([], NOW, _day(27)), "nothing is overdue or due soon"),
    ],
)
def test_an_empty_table_is_a_notice_on_stderr_and_nothing_on_stdout(
    view: Any, says: str, capsys: pytest.CaptureFixture[str]
):
    reset_consoles()
    render.emit(view, Format.TABLE)
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("marry: ") and says in err
