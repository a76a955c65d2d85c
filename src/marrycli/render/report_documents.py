"""The reports' documents: SPEC §2's JSON objects and CSV tables of `report` (every customer,
one customer, `--by owner`, `--by tag`), `check`, `whatif` and `agenda`, registered as the
JSON and CSV formats of their views (as `report_tables` has their tables).

Built from the service's results by keyword, with the promises in them as `documents`
writes them; the field lists are the stable interface (SPEC §2, README).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marrycli.dates import format_utc
from marrycli.domain import CustomerReport, Size
from marrycli.formats.csv import to_csv
from marrycli.formats.jsonl import to_json
from marrycli.render import Format, renders
from marrycli.render.documents import promise_dict, series_dict, time_text
from marrycli.render.report_json import report_json
from marrycli.render.views import (
    Agenda,
    CheckResult,
    CustomerReportView,
    OwnersReport,
    Report,
    TagsReport,
    WhatIfView,
)

if TYPE_CHECKING:
    from marrycli.domain import (
        AgendaItem,
        CustomerDetail,
        CustomerValues,
        Finding,
        OwnerReport,
        TagReport,
        Timing,
    )


CUSTOMER_FIELDS = (
    "customer", "promises", "open", "overdue", "kept", "kept_late", "broken", "cancelled",
    "renegotiated", "keep_rate", "keep_rate_low", "streak", "longest_streak", "trust",
    "distrust", "uncertainty", "stage", "since",
)  # fmt: skip


def customer_report_dict(report: CustomerReport) -> dict[str, Any]:
    """SPEC §2's CUSTOMER object (numbers unrounded)."""
    document = {name: getattr(report, name) for name in CUSTOMER_FIELDS}
    document["stage"] = report.stage.value
    document["since"] = time_text(report.since)
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
