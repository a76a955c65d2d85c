"""Renderers: domain objects to Rich tables, JSON and CSV. Only `cli` imports this module.

User text is data: in tables it goes through `visible()` (format characters such as
bidi overrides made visible) and reaches Rich only as `Text`, never as markup. JSON
is lossless; CSV cells that a spreadsheet would run get a leading `'`.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marrycli.dates import format_local, format_utc
from marrycli.domain import Event, Promise, Status

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from marrycli.service import CustomerSummary, LedgerInfo

# -- safety --------------------------------------------------------------------------

_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}


def visible(text: str) -> str:
    """Text as it may be shown on a terminal: control and format characters written as <U+XXXX>."""
    if text.isprintable():
        return text
    return "".join(
        f"<U+{ord(c):04X}>" if unicodedata.category(c) in _INVISIBLE_CATEGORIES else c for c in text
    )


_CSV_RISKY = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet will not run: a leading `'` before = + - @ tab or CR (OWASP)."""
    return "'" + text if text.startswith(_CSV_RISKY) else text


def to_json(document: Any) -> str:
    """JSON for scripts: lossless; format characters escaped so a terminal shows them safely."""
    dumped = json.dumps(document, ensure_ascii=False, indent=2)
    if dumped.replace("\n", "").isprintable():
        return dumped
    return "".join(
        _json_escape(c) if c != "\n" and unicodedata.category(c) in _INVISIBLE_CATEGORIES else c
        for c in dumped
    )


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _time(moment: datetime | None) -> str | None:
    return format_utc(moment) if moment is not None else None


# -- promises -------------------------------------------------------------------------


def promise_dict(promise: Promise, as_of: datetime, events: bool = False) -> dict[str, Any]:
    """SPEC §2's promise object, as it stands at `as_of`."""
    state = promise.state(as_of)
    document: dict[str, Any] = {
        "id": promise.id,
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
    }
    if events:
        document["events"] = [event_dict(e) for e in promise.events]
    return document


def event_dict(event: Event) -> dict[str, Any]:
    """SPEC §2's event object."""
    return {
        "id": event.id,
        "kind": event.kind.value,
        "at": format_utc(event.at),
        "due": _time(event.due),
        "note": event.note,
        "owner": event.owner,
        "ref": event.ref,
        "voids": event.voids,
    }


PROMISE_CSV_FIELDS = (
    "id", "customer", "text", "made", "due", "size", "value", "owner", "tags", "ref",
    "status", "resolved", "renegotiations",
)  # fmt: skip


def promises_csv(promises: Iterable[Promise], as_of: datetime) -> str:
    """One row per promise, the JSON fields as columns; tags joined with `;`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PROMISE_CSV_FIELDS)
    for promise in promises:
        row = promise_dict(promise, as_of)
        row["tags"] = ";".join(row["tags"])
        writer.writerow(
            csv_cell(value) if isinstance(value, str) else ("" if value is None else value)
            for value in (row[field] for field in PROMISE_CSV_FIELDS)
        )
    return out.getvalue()


_STATUS_STYLE = {
    Status.OPEN: "",
    Status.OVERDUE: "bold red",
    Status.KEPT: "green",
    Status.KEPT_LATE: "yellow",
    Status.BROKEN: "red",
    Status.CANCELLED: "dim",
}


def promises_table(promises: Sequence[Promise], as_of: datetime, console: Console) -> Table:
    """People's view of promises: id, customer, text, due, size/value, owner, status."""
    from rich.text import Text

    table = new_table(
        console, "ID", "Customer", "Promise", "Due", "Size", "Value", "Owner", "Status"
    )
    id_width = max((len(str(p.id)) for p in promises), default=2)
    table.columns[0].min_width = id_width
    table.columns[0].no_wrap = True
    table.columns[0].justify = "right"
    table.columns[3].no_wrap = True
    for promise in promises:
        state = promise.state(as_of)
        table.add_row(
            str(promise.id),
            Text(visible(promise.customer)),
            Text(visible(promise.text)),
            format_local(state.due) if state.due is not None else "-",
            promise.size.value,
            promise.value.value,
            Text(visible(promise.owner)),
            Text(state.status.value.replace("_", " "), style=_STATUS_STYLE[state.status]),
        )
    return table


def promise_detail(promise: Promise, as_of: datetime, console: Console) -> list[Any]:
    """`promise show`: the promise's fields, then its events."""
    from rich.text import Text

    state = promise.state(as_of)
    fields = new_table(console, "Field", "Value", header=False)
    fields.columns[0].style = "bold"
    fields.columns[0].no_wrap = True
    rows: list[tuple[str, str]] = [
        ("Promise", f"{promise.id}"),
        ("Customer", promise.customer),
        ("Text", promise.text),
        ("Made", format_local(promise.made)),
        ("Due", format_local(state.due) if state.due else "-"),
        ("Size", promise.size.value),
        ("Value", promise.value.value),
        ("Owner", promise.owner),
        ("Tags", ", ".join(promise.tags) or "-"),
        ("Ref", promise.ref or "-"),
        ("Status", state.status.value.replace("_", " ")),
    ]
    if state.resolved is not None:
        rows.append(("Resolved", format_local(state.resolved)))
    if state.renegotiations:
        rows.append(("Renegotiated", f"{state.renegotiations} time(s)"))
    for name, value in rows:
        fields.add_row(name, Text(visible(value)))
    if not promise.events:
        return [fields]
    voided = {e.voids for e in promise.events if e.voids is not None}
    events = new_table(console, "Event", "Kind", "At", "Due", "Note", "Owner", "Ref")
    for column in (0, 1, 2, 3):
        events.columns[column].no_wrap = True
    for event in promise.events:
        kind = event.kind.value + (f" of {event.voids}" if event.voids is not None else "")
        events.add_row(
            str(event.id),
            Text(kind, style="dim" if event.id in voided else ""),
            format_local(event.at),
            format_local(event.due) if event.due else "",
            Text(visible(event.note or "")),
            Text(visible(event.owner or "")),
            Text(visible(event.ref or "")),
        )
    return [fields, events]


# -- customers and the ledger ---------------------------------------------------------------


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
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("customer", "promises", "open", "overdue", "merged"))
    for s in summaries:
        merged = ";".join(s.merged)
        writer.writerow((csv_cell(s.customer), s.promises, s.open, s.overdue, csv_cell(merged)))
    return out.getvalue()


def customers_table(summaries: Sequence[CustomerSummary], console: Console) -> Table:
    """`customer list` for people."""
    from rich.text import Text

    table = new_table(console, "Customer", "Promises", "Open", "Overdue", "Also known as")
    for s in summaries:
        table.add_row(
            Text(visible(s.customer)),
            str(s.promises),
            str(s.open),
            Text(str(s.overdue), style="bold red" if s.overdue else ""),
            Text(visible(", ".join(s.merged))),
        )
    return table


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


def info_table(info: LedgerInfo, console: Console) -> Table:
    """`db info` for people."""
    from rich.text import Text

    table = new_table(console, "Field", "Value", header=False)
    table.columns[0].style = "bold"
    version = str(info.schema_version) if info.exists else "- (not created yet)"
    for name, value in (
        ("Location", info.location),
        ("Backend", info.backend),
        ("Schema version", f"{version} (this marry: {info.marry_schema_version})"),
        ("Customers", str(info.customers)),
        ("Promises", str(info.promises)),
        ("Events", str(info.events)),
    ):
        table.add_row(name, Text(visible(value)))
    return table


# -- plumbing ----------------------------------------------------------------------------------


def new_table(console: Console, *headers: str, header: bool = True) -> Table:
    """A table that suits where it goes: light lines on a terminal, no box-drawing elsewhere."""
    from rich import box
    from rich.table import Table

    on_terminal = console.is_terminal
    table = Table(
        *headers,
        box=box.SIMPLE_HEAD if on_terminal else None,
        show_header=header,
        header_style="bold" if on_terminal else "",
        pad_edge=False,
        highlight=False,
    )
    for column in table.columns:
        column.overflow = "fold"  # wrap long words rather than cut them: nothing is hidden
    return table
