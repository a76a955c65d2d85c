"""The documents scripts rely on: SPEC §2's JSON objects and the CSV tables, built by
keyword from domain objects, and registered as the JSON and CSV formats of the views.

The builders (`promise_dict`, `report_document`, ...) are pure and need no Rich; the
field lists are the stable interface (SPEC §2, README), so a test checks each against
them. JSON text and CSV cells are written by `formats` (escapes and the formula guard).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marrycli import settings
from marrycli.dates import format_utc
from marrycli.domain import CustomerReport, Event, LineResult, Promise, Size
from marrycli.formats.csv import PROMISE_CSV_FIELDS, to_csv
from marrycli.formats.jsonl import jsonl_line, to_json
from marrycli.render import Format, renders
from marrycli.render.report_json import report_json
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
    SettingsView,
    TagsReport,
    WhatIfView,
)
from marrycli.render.written import PromiseWritten

if TYPE_CHECKING:
    from marrycli.domain import (
        AgendaItem,
        CustomerDetail,
        CustomerProfile,
        CustomerSummary,
        CustomerValues,
        Finding,
        LedgerInfo,
        OwnerReport,
        SeriesRecord,
        TagReport,
        Timing,
    )
    from marrycli.service.config import Effective


def _time(moment: datetime | None) -> str | None:
    return format_utc(moment) if moment is not None else None


def promise_dict(promise: Promise, as_of: datetime, events: bool = False) -> dict[str, Any]:
    """SPEC §2's promise object, as it stands at `as_of`."""
    state = promise.state(as_of)
    document: dict[str, Any] = {
        "id": promise.id if promise.stored else None,
        "customer": promise.customer,
        "text": promise.text,
        "made": format_utc(promise.made),
        "due": _time(state.due),
        "size": promise.size.value,
        "value": promise.value.value,
        "owner": promise.owner,
        "tags": list(promise.tags),
        "ref": promise.ref,
        "status": state.status.value,
        "resolved": _time(state.resolved),
        "renegotiations": state.renegotiations,
        "series": promise.series,
        "occurrence": promise.occurrence,
    }
    if events:
        document["events"] = [event_dict(e) for e in promise.events]
    return document


def batch_lines(results: Iterable[LineResult], as_of: datetime) -> str:
    """`marry batch`'s output (it has no other format): a JSON line a result, the promise as
    it stands at `as_of`, or {"line", "error"}."""
    return "".join(
        jsonl_line(
            promise_dict(result.recorded.promise, as_of)
            if result.recorded is not None
            else {"line": result.line, "error": result.error}
        )
        + "\n"
        for result in results
    )


def series_dict(record: SeriesRecord, events: bool = False) -> dict[str, Any]:
    """SPEC §7's series object: a standing promise and the record of its occurrences."""
    series = record.series
    assert series.standing is not None
    terms = series.standing
    document: dict[str, Any] = {
        "id": series.id,
        "customer": series.customer,
        "text": series.text,
        "made": format_utc(series.made),
        "every": str(terms.every),
        "within": str(terms.within),
        "until": _time(terms.until),
        "ended": _time(record.ended),
        "size": series.size.value,
        "value": series.value.value,
        "owner": series.owner,
        "tags": list(series.tags),
        "ref": series.ref,
        "status": record.status,
        "occurrences": record.occurrences,
        "kept": record.kept,
        "keep_rate": record.keep_rate,
        "streak": record.streak,
    }
    if events:
        document["events"] = [event_dict(e) for e in series.events]
    return document


def event_dict(event: Event) -> dict[str, Any]:
    """SPEC §2's event object; an amendment's has its `"changes": {field: new value}` too."""
    document: dict[str, Any] = {
        "id": event.id,
        "kind": event.kind.value,
        "at": format_utc(event.at),
        "due": _time(event.due),
        "note": event.note,
        "owner": event.owner,
        "ref": event.ref,
        "voids": event.voids,
    }
    if event.amendment is not None:
        document["changes"] = event.amendment.changes()
    return document


def promises_csv(promises: Iterable[Promise], as_of: datetime) -> str:
    """One row per promise, the JSON fields as columns; tags joined with `;`."""
    return to_csv(PROMISE_CSV_FIELDS, (promise_dict(p, as_of) for p in promises))


def customer_dict(summary: CustomerSummary) -> dict[str, Any]:
    """A customer of `customer list`."""
    return {
        "customer": summary.customer,
        "promises": summary.promises,
        "open": summary.open,
        "overdue": summary.overdue,
        "merged": list(summary.merged),
    }


def customers_csv(summaries: Iterable[CustomerSummary]) -> str:
    """`customer list` as CSV."""
    fields = ("customer", "promises", "open", "overdue", "merged")
    return to_csv(fields, (customer_dict(summary) for summary in summaries))


def customer_profile_dict(profile: CustomerProfile) -> dict[str, Any]:
    """`customer show --json` (SPEC §8): names, the value profile {TAG: LEVEL}, counts now."""
    return {
        "customer": profile.customer,
        "names": list(profile.names),
        "profile": {entry.tag: entry.level.value for entry in profile.profile},
        "promises": profile.promises,
        "open": profile.open,
        "overdue": profile.overdue,
    }


def info_dict(info: LedgerInfo) -> dict[str, Any]:
    """`db info` for scripts."""
    return {
        "location": info.location,
        "backend": info.backend,
        "exists": info.exists,
        "schema_version": info.schema_version,
        "marry_schema_version": info.marry_schema_version,
        "customers": info.customers,
        "promises": info.promises,
        "events": info.events,
    }


CUSTOMER_FIELDS = (
    "customer", "promises", "open", "overdue", "kept", "kept_late", "broken", "cancelled",
    "renegotiated", "keep_rate", "keep_rate_low", "streak", "longest_streak", "trust",
    "distrust", "uncertainty", "stage", "since",
)  # fmt: skip


def customer_report_dict(report: CustomerReport) -> dict[str, Any]:
    """SPEC §2's CUSTOMER object (numbers unrounded)."""
    document = {name: getattr(report, name) for name in CUSTOMER_FIELDS}
    document["stage"] = report.stage.value
    document["since"] = _time(report.since)
    return document


def report_document(reports: Iterable[CustomerReport], as_of: datetime) -> dict[str, Any]:
    """`marry report --format json`: {"as_of", "customers": [CUSTOMER...]}."""
    return {
        "as_of": format_utc(as_of),
        "customers": [customer_report_dict(r) for r in reports],
    }


def report_csv(reports: Iterable[CustomerReport]) -> str:
    """`marry report --format csv`: one row per customer, the CUSTOMER fields as columns."""
    return to_csv(CUSTOMER_FIELDS, (customer_report_dict(r) for r in reports))


def customer_detail_document(detail: CustomerDetail, as_of: datetime) -> dict[str, Any]:
    """`marry report --customer X --json`: CUSTOMER with promises_detail, budget, timeline
    and what the customer values."""
    document = customer_report_dict(detail.report)
    document["promises_detail"] = [promise_dict(p, as_of) for p in detail.promises]
    document["budget"] = budget_dict(detail.budget)
    document["timeline"] = [
        {
            "at": format_utc(point.at),
            "trust": point.trust,
            "distrust": point.distrust,
            "stage": point.stage.value,
        }
        for point in detail.report.timeline
    ]
    document["values"] = values_dict(detail.values) if detail.values is not None else None
    document["standing"] = [series_dict(r) for r in detail.standing]
    return document


VALUES_TAG_FIELDS = (
    "tag", "promises", "none", "low", "high", "kept", "failures", "keep_rate", "trust_built",
)  # fmt: skip


def values_dict(values: CustomerValues) -> dict[str, Any]:
    """What the customer values (SPEC §8): {"profile", "valued_keep_rate",
    "unvalued_keep_rate", "tags": [...]}; the promises without a tag have `"tag": null`."""
    return {
        "profile": {tag: level.value for tag, level in values.profile.items()},
        "valued_keep_rate": values.valued_keep_rate,
        "unvalued_keep_rate": values.unvalued_keep_rate,
        "tags": [{name: getattr(t, name) for name in VALUES_TAG_FIELDS} for t in values.tags],
    }


def check_document(findings: Sequence[Finding]) -> dict[str, Any]:
    """`marry check --format json`: {"ok", "findings": [{customer, check, expected, actual}]}."""
    return {
        "ok": not findings,
        "findings": [
            {"customer": f.customer, "check": f.check, "expected": f.expected, "actual": f.actual}
            for f in findings
        ],
    }


def budget_dict(budget: dict[Size, int]) -> dict[str, int]:
    """The error budget as JSON: {"small": n, "medium": n, "large": n}."""
    return {size.value: budget[size] for size in Size}


def what_if_document(before: CustomerReport, after: CustomerReport) -> dict[str, Any]:
    """`marry whatif --json`: {"before": CUSTOMER, "after": CUSTOMER}."""
    return {"before": customer_report_dict(before), "after": customer_report_dict(after)}


def agenda_item_dict(item: AgendaItem, as_of: datetime) -> dict[str, Any]:
    """One agenda item for scripts: the promise, the customer's standing, and the costs."""

    def timing(t: Timing | None) -> dict[str, float] | None:
        if t is None:
            return None
        return {
            "cost_now": t.cost_now,
            "cost_later": t.cost_later,
            "trust_acting_now": t.trust_acting_now,
            "trust_acting_later": t.trust_acting_later,
        }

    return {
        "promise": promise_dict(item.promise, as_of),
        "customer": item.customer,
        "status": item.status.value,
        "due": format_utc(item.due),
        "stage": item.stage.value,
        "trust": item.trust,
        "trust_if_kept": item.trust_if_kept,
        "trust_if_broken": item.trust_if_broken,
        "stake": item.stake,
        "renegotiate": timing(item.renegotiate),
        "keep_late": timing(item.keep_late),
    }


def agenda_document(
    items: Sequence[AgendaItem], as_of: datetime, until: datetime
) -> dict[str, Any]:
    """`marry agenda --json`: {"as_of", "until", "items": [...]}."""
    return {
        "as_of": format_utc(as_of),
        "until": format_utc(until),
        "items": [agenda_item_dict(item, as_of) for item in items],
    }


AGENDA_CSV_FIELDS = (
    "id", "customer", "text", "status", "due", "stage", "trust", "stake",
    "renegotiate_cost_now", "renegotiate_cost_later",
)  # fmt: skip


def agenda_csv(items: Sequence[AgendaItem]) -> str:
    """`marry agenda --format csv`: one row per item."""
    return to_csv(
        AGENDA_CSV_FIELDS,
        (
            {
                "id": item.promise.id if item.promise.stored else None,
                "customer": item.customer,
                "text": item.promise.text,
                "status": item.status.value,
                "due": format_utc(item.due),
                "stage": item.stage.value,
                "trust": item.trust,
                "stake": item.stake,
                "renegotiate_cost_now": item.renegotiate.cost_now,
                "renegotiate_cost_later": item.renegotiate.cost_later,
            }
            for item in items
        ),
    )


OWNER_FIELDS = (
    "owner", "customers", "promises", "open", "overdue", "kept", "kept_late", "broken",
    "cancelled", "renegotiated", "on_time_rate", "on_time_low", "streak", "longest_streak",
)  # fmt: skip


def owner_dict(report: OwnerReport) -> dict[str, Any]:
    """One owner of `report --by owner`."""
    return {name: getattr(report, name) for name in OWNER_FIELDS}


def owners_document(reports: Sequence[OwnerReport], as_of: datetime) -> dict[str, Any]:
    """`marry report --by owner --json`: {"as_of", "owners": [...]}."""
    return {"as_of": format_utc(as_of), "owners": [owner_dict(r) for r in reports]}


def owners_csv(reports: Sequence[OwnerReport]) -> str:
    """`marry report --by owner --format csv`."""
    return to_csv(OWNER_FIELDS, (owner_dict(r) for r in reports))


TAG_FIELDS = (
    "tag", "customers", "promises", "valued_share", "keep_rate", "keep_rate_low", "open",
    "overdue",
)  # fmt: skip


def tag_dict(report: TagReport) -> dict[str, Any]:
    """One tag of `report --by tag`."""
    return {name: getattr(report, name) for name in TAG_FIELDS}


# -- the views in JSON and CSV (`render.emit`) ---------------------------------------------


@renders(PromiseWritten, Format.JSON)
def _written_json(view: PromiseWritten) -> str:
    if view.series is not None:
        return to_json(series_dict(view.series))
    return to_json(promise_dict(view.promise, view.as_of))


@renders(PromiseWritten, Format.CSV)
def _written_csv(view: PromiseWritten) -> str:
    return promises_csv([view.promise], view.as_of)


@renders(PromiseDetail, Format.JSON)
def _detail_json(view: PromiseDetail) -> str:
    if view.series is not None:
        return to_json(series_dict(view.series, events=True))
    return to_json(promise_dict(view.promise, view.as_of, events=True))


@renders(PromiseList, Format.JSON)
def _list_json(view: PromiseList) -> str:
    listed = [promise_dict(p, view.as_of) for p in view.promises]
    return to_json(listed + [series_dict(r) for r in view.series])


@renders(PromiseList, Format.CSV)
def _list_csv(view: PromiseList) -> str:
    return promises_csv(view.promises, view.as_of)


@renders(CustomerList, Format.JSON)
def _customers_json(view: CustomerList) -> str:
    return to_json([customer_dict(s) for s in view.customers])


@renders(CustomerList, Format.CSV)
def _customers_csv(view: CustomerList) -> str:
    return customers_csv(view.customers)


@renders(CustomerProfileView, Format.JSON)
def _customer_json(view: CustomerProfileView) -> str:
    return to_json(customer_profile_dict(view.profile))


@renders(LedgerInfoView, Format.JSON)
def _info_json(view: LedgerInfoView) -> str:
    return to_json(info_dict(view.info))


@renders(Report, Format.JSON)
def _report_json(view: Report) -> str:
    return report_json(report_document((line.report for line in view.lines), view.as_of))


@renders(Report, Format.CSV)
def _report_csv(view: Report) -> str:
    return report_csv(line.report for line in view.lines)


@renders(CustomerReportView, Format.JSON)
def _customer_report_json(view: CustomerReportView) -> str:
    return to_json(customer_detail_document(view.detail, view.as_of))


@renders(OwnersReport, Format.JSON)
def _owners_json(view: OwnersReport) -> str:
    return to_json(owners_document(view.owners, view.as_of))


@renders(OwnersReport, Format.CSV)
def _owners_csv(view: OwnersReport) -> str:
    return owners_csv(view.owners)


@renders(CheckResult, Format.JSON)
def _check_json(view: CheckResult) -> str:
    return to_json(check_document(view.findings))


@renders(WhatIfView, Format.JSON)
def _what_if_json(view: WhatIfView) -> str:
    return to_json(what_if_document(view.result.before, view.result.after))


@renders(Agenda, Format.JSON)
def _agenda_json(view: Agenda) -> str:
    return to_json(agenda_document(view.items, view.as_of, view.until))


@renders(Agenda, Format.CSV)
def _agenda_csv(view: Agenda) -> str:
    return agenda_csv(view.items)


@renders(TagsReport, Format.JSON)
def _tags_json(view: TagsReport) -> str:
    return to_json({"as_of": format_utc(view.as_of), "tags": [tag_dict(r) for r in view.tags]})


@renders(TagsReport, Format.CSV)
def _tags_csv(view: TagsReport) -> str:
    return to_csv(TAG_FIELDS, (tag_dict(r) for r in view.tags))


# -- marry config ----------------------------------------------------------------------------


def settings_document(effective: Effective) -> dict[str, Any]:
    """`marry config --json`: the file, and each setting's value, source and origin."""
    file = effective.file
    return {
        "file": {
            "path": str(file.path),
            "found": file.found,
            "source": file.source,
            "from": settings.CONFIG_VARIABLE if file.source == "environment" else None,
        },
        "settings": {
            s.name: {"value": s.value, "source": s.source, "from": s.origin}
            for s in effective.settings
        },
    }


@renders(SettingsView, Format.JSON)
def _settings_json(view: SettingsView) -> str:
    return to_json(settings_document(view.effective))
