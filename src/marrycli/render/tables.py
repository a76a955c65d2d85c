"""People's tables of the ledger's records: promises, one promise with its events,
the customer directory, one customer, the ledger itself, and a write's one-line confirmation.

Each is drawn with Rich (imported inside the functions that draw) through
`layout.fit_table`, so it fits the terminal; the renderers at the bottom register them
as the TABLE format of their views. The reports' tables are in `report_tables`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marrycli.dates import format_local
from marrycli.domain import Event, Promise, Status
from marrycli.render import Format, Notice, Rendered, renders
from marrycli.render.layout import Column, fit_table
from marrycli.render.output import console
from marrycli.render.safety import visible
from marrycli.render.views import (
    CustomerList,
    CustomerProfileView,
    LedgerInfoView,
    PromiseDetail,
    PromiseList,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from marrycli.domain import CustomerProfile, CustomerSummary, LedgerInfo, SeriesRecord


_STATUS_STYLE = {
    Status.OPEN: "",
    Status.OVERDUE: "bold red",
    Status.KEPT: "green",
    Status.KEPT_LATE: "yellow",
    Status.BROKEN: "red",
    Status.CANCELLED: "dim",
}


def promises_table(
    promises: Sequence[Promise], as_of: datetime, console: Console, customer: bool = True
) -> Table:
    """People's view of promises: id, customer, text, due, size/value, owner, status, and
    their tags when any of them has some."""
    from rich.text import Text

    tags = any(promise.tags for promise in promises)
    # Narrow terminals drop the least telling columns first: owner, value, size, tags, due.
    columns = [
        Column("ID", justify="right"),
        Column("Customer", "name"),
        Column("Promise", "text", min_width=16),  # 16: Due stays at 80 columns
        Column("Due", drop=5),
        Column("Size", drop=3),
        Column("Value", drop=2),
        Column("Owner", "name", drop=1),
        Column("Tags", "text", drop=4, min_width=10),
        Column("Status"),
    ]
    rows = []
    for promise in promises:
        state = promise.state(as_of)
        cells: list[str | Text] = [
            promise.address,
            Text(visible(promise.customer)),
            Text(visible(promise.text)),
            format_local(state.due) if state.due is not None else "-",
            promise.size.value,
            promise.value.value,
            Text(visible(promise.owner)),
            Text(visible(", ".join(promise.tags))),
            Text(state.status.value.replace("_", " "), style=_STATUS_STYLE[state.status]),
        ]
        rows.append(cells)
    # Columns taken out, from the right so the indexes hold.
    unwanted = [i for i, wanted in ((7, tags), (1, customer)) if not wanted]
    for i in unwanted:
        del columns[i]
        for cells in rows:
            del cells[i]
    return fit_table(console, columns, rows)


def promise_detail(promise: Promise, as_of: datetime, console: Console) -> list[Any]:
    """`promise show`: the promise's fields, then its events."""
    from rich.text import Text

    state = promise.state(as_of)
    rows: list[tuple[str, str]] = [
        ("Promise", promise.address if promise.stored else f"{promise.address} (not stored yet)"),
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
    if promise.series is not None and promise.stored:
        rows.insert(1, ("Occurrence", f"{promise.occurrence} of series {promise.series}"))
    if promise.standing is not None:
        terms = promise.standing
        rows[4] = ("Every", f"{terms.every}, each due within {terms.within}")
        if terms.until is not None:
            rows.insert(5, ("Until", format_local(terms.until)))
        rows[-1] = ("Status", "ended" if state.status.resolved else "standing")
    if state.resolved is not None:
        rows.append(("Ended" if promise.standing else "Resolved", format_local(state.resolved)))
    if state.renegotiations:
        rows.append(("Renegotiated", f"{state.renegotiations} time(s)"))
    fields = fit_table(
        console,
        [Column("Field", style="bold"), Column("Value", "text")],
        [(name, Text(visible(value))) for name, value in rows],
        header=False,
    )
    if not promise.events:
        return [fields]
    voided = {e.voids for e in promise.events if e.voids is not None}
    columns = [
        Column("Event", justify="right"),
        Column("Kind"),
        Column("At"),
        Column("Due", drop=3),
        Column("Note", "text", min_width=16),
        Column("Owner", "name", drop=2),
        Column("Ref", "name", drop=1),
    ]
    events: list[list[str | Text]] = []
    for event in promise.events:
        kind = event.kind.value + (f" of {event.voids}" if event.voids is not None else "")
        events.append([
            str(event.id),
            Text(kind, style="dim" if event.id in voided else ""),
            format_local(event.at),
            format_local(event.due) if event.due else "",
            Text(visible(_event_note(event))),
            Text(visible(event.owner or "")),
            Text(visible(event.ref or "")),
        ])  # fmt: skip
    return [fields, fit_table(console, columns, events)]


def customers_table(summaries: Sequence[CustomerSummary], console: Console) -> Table:
    """`customer list` for people."""
    from rich.text import Text

    columns = [
        Column("Customer", "name"),
        Column("Promises", justify="right"),
        Column("Open", justify="right"),
        Column("Overdue", justify="right"),
        Column("Also known as", "text", drop=1, min_width=16),
    ]
    rows: list[list[str | Text]] = [
        [
            Text(visible(s.customer)),
            str(s.promises),
            str(s.open),
            Text(str(s.overdue), style="bold red" if s.overdue else ""),
            Text(visible(", ".join(s.merged))),
        ]
        for s in summaries
    ]
    return fit_table(console, columns, rows)


def customer_profile(profile: CustomerProfile, console: Console) -> list[Any]:
    """`customer show` for people: the customer's names and counts, then its value profile."""
    from rich.text import Text

    fields: list[list[str | Text]] = [
        ["Customer", Text(visible(profile.customer))],
        ["Also known as", Text(visible(", ".join(profile.names[1:]) or "-"))],
        ["Promises", str(profile.promises)],
        ["Open", str(profile.open)],
        ["Overdue", Text(str(profile.overdue), style="bold red" if profile.overdue else "")],
    ]
    parts: list[Any] = [
        fit_table(
            console, [Column("Field", style="bold"), Column("Value", "text")], fields, header=False
        )
    ]
    if not profile.profile:
        parts.append(
            Text(
                "No value profile yet: `marry customer value NAME --tag TAG --value LEVEL` "
                "records how much the customer values promises with a tag.",
                style="dim",
            )
        )
        return parts
    columns = [
        Column("Tag", "name"),
        Column("Value"),
        Column("Note", "text", min_width=16),
        Column("Since", drop=2),
        Column("By", "name", drop=1),
    ]
    rows: list[list[str | Text]] = [
        [
            Text(visible(entry.tag)),
            entry.level.value,
            Text(visible(entry.note or "")),
            format_local(entry.at),
            Text(visible(entry.owner)),
        ]
        for entry in profile.profile
    ]
    parts.append(fit_table(console, columns, rows))
    return parts


def info_table(info: LedgerInfo, console: Console) -> Table:
    """`db info` for people."""
    from rich.text import Text

    version = str(info.schema_version) if info.exists else "- (not created yet)"
    rows: list[list[str | Text]] = []
    for name, value in (
        ("Location", info.location),
        ("Backend", info.backend),
        ("Schema version", f"{version} (this marry: {info.marry_schema_version})"),
        ("Customers", str(info.customers)),
        ("Promises", str(info.promises)),
        ("Events", str(info.events)),
    ):
        rows.append([name, Text(visible(value))])
    # A location is one long token: folded over lines rather than cut, so it can be copied.
    columns = [Column("Field", style="bold"), Column("Value", "text", overflow="fold")]
    return fit_table(console, columns, rows, header=False)


# -- the views as tables (`render.emit`) ---------------------------------------------------


@renders(PromiseDetail, Format.TABLE)
def _detail(view: PromiseDetail) -> list[Any]:
    return promise_detail(view.promise, view.as_of, console())


@renders(PromiseList, Format.TABLE)
def _list(view: PromiseList) -> Rendered:
    if not view.promises and not view.series:
        return Notice("no promises match")
    shown: list[Any] = []
    if view.promises:
        shown.append(promises_table(view.promises, view.as_of, console()))
    if view.series:
        shown.append(series_table(view.series, console()))
    return shown


def series_table(found: Sequence[SeriesRecord], console: Console, customer: bool = True) -> Any:
    """Standing promises (SPEC §7), each with the record of its occurrences so far; without
    the customer column for one customer's report."""
    from rich.text import Text

    columns = [
        Column("ID", justify="right"),
        Column("Customer", "name", drop=2),
        Column("Standing promise", "text", min_width=16),
        Column("Every", drop=3),
        Column("Occurrences", justify="right", drop=1),
        Column("Kept", justify="right"),
        Column("Keep rate", justify="right"),
        Column("Streak", justify="right"),
        Column("Status"),
    ]
    rows: list[list[str | Text]] = [
        [
            str(r.series.id),
            Text(visible(r.series.customer)),
            Text(visible(r.series.text)),
            str(r.series.standing.every) if r.series.standing else "-",
            str(r.occurrences),
            str(r.kept),
            f"{r.keep_rate:.0%}" if r.keep_rate is not None else "-",
            str(r.streak),
            r.status,
        ]
        for r in found
    ]
    if not customer:
        del columns[1]
        for cells in rows:
            del cells[1]
    return fit_table(console, columns, rows)


@renders(CustomerList, Format.TABLE)
def _customers(view: CustomerList) -> Rendered:
    if not view.customers:
        return Notice("no customers yet; the first `marry promise add` creates one")
    return [customers_table(view.customers, console())]


@renders(CustomerProfileView, Format.TABLE)
def _customer(view: CustomerProfileView) -> list[Any]:
    return customer_profile(view.profile, console())


@renders(LedgerInfoView, Format.TABLE)
def _info(view: LedgerInfoView) -> list[Any]:
    return [info_table(view.info, console())]


def _event_note(event: Event) -> str:
    """An event's note; an amendment's changes before it (`size: large; tags: sso, eu`)."""
    if event.amendment is None:
        return event.note or ""
    changes = "; ".join(
        f"{name}: {', '.join(new) if isinstance(new, list) else new}"
        for name, new in event.amendment.changes().items()
    )
    return f"{changes} ({event.note})" if event.note else changes
