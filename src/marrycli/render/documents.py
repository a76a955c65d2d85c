"""The documents scripts rely on: SPEC §2's JSON objects and the CSV tables, built by
keyword from domain objects, and registered as the JSON and CSV formats of the views.
This module has the ledger's records (promises, events, series, customers, the ledger, a
batch's lines, the settings); `report_documents` has the reports'.

The builders (`promise_dict`, `customer_dict`, ...) are pure and need no Rich; the
field lists are the stable interface (SPEC §2, README), so a test checks each against
them. JSON text and CSV cells are written by `formats` (escapes and the formula guard).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marrycli import settings
from marrycli.dates import format_utc
from marrycli.domain import Event, LineResult, Promise
from marrycli.formats.csv import PROMISE_CSV_FIELDS, to_csv
from marrycli.formats.jsonl import jsonl_line, to_json
from marrycli.render import Format, renders
from marrycli.render.views import (
    CustomerList,
    CustomerProfileView,
    LedgerInfoView,
    PromiseDetail,
    PromiseList,
    SettingsView,
)
from marrycli.render.written import PromiseWritten

if TYPE_CHECKING:
    from marrycli.domain import (
        CustomerProfile,
        CustomerSummary,
        LedgerInfo,
        SeriesRecord,
    )
    from marrycli.service.config import Effective


def time_text(moment: datetime | None) -> str | None:
    """A moment as the documents write it (UTC, SPEC §2), or None."""
    return format_utc(moment) if moment is not None else None


def promise_dict(promise: Promise, as_of: datetime, events: bool = False) -> dict[str, Any]:
    """SPEC §2's promise object, as it stands at `as_of`."""
    state = promise.state(as_of)
    document: dict[str, Any] = {
        "id": promise.id if promise.stored else None,
        "customer": promise.customer,
        "text": promise.text,
        "made": format_utc(promise.made),
        "due": time_text(state.due),
        "size": promise.size.value,
        "value": promise.value.value,
        "owner": promise.owner,
        "tags": list(promise.tags),
        "ref": promise.ref,
        "status": state.status.value,
        "resolved": time_text(state.resolved),
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
        "until": time_text(terms.until),
        "ended": time_text(record.ended),
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
        "due": time_text(event.due),
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
