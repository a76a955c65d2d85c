"""Renderers: domain objects to Rich tables, JSON and CSV. Only `cli` imports this module.

User text is data: in tables it goes through `visible()` (format characters such as
bidi overrides made visible) and reaches Rich only as `Text`, never as markup. JSON
is lossless; CSV cells that a spreadsheet would run get a leading `'`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from marrycli.dates import format_local, format_utc
from marrycli.domain import (
    Contribution,
    CustomerReport,
    Event,
    Promise,
    Size,
    Stage,
    Status,
    TimelinePoint,
)
from marrycli.transfer import INVISIBLE, csv_list, csv_text, json_escape

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from marrycli.discipline import AgendaItem, OwnerReport, Timing
    from marrycli.service import (
        CustomerDetail,
        CustomerSummary,
        Finding,
        LedgerInfo,
        ReportLine,
    )

# -- safety --------------------------------------------------------------------------


def visible(text: str) -> str:
    """Text as it may be shown on a terminal: control and format characters written as <U+XXXX>."""
    if text.isprintable():
        return text
    return "".join(f"<U+{ord(c):04X}>" if unicodedata.category(c) in INVISIBLE else c for c in text)


def csv_cell(text: str) -> str:
    """A text cell that neither a terminal nor a spreadsheet runs, and `marry import` restores:
    control and format characters as <U+XXXX>, and a leading `'` before = + - @ tab or CR
    (OWASP). The escape is `transfer.csv_escape`, documented there."""
    return csv_text(text)


def to_csv(fields: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """CSV with a header: None as an empty cell, lists joined with `;`, text escaped."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow(_csv_value(row[name]) for name in fields)
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return csv_list(value)
    return csv_cell(value) if isinstance(value, str) else value


def to_json(document: Any) -> str:
    """JSON for scripts: lossless; format characters escaped so a terminal shows them safely."""
    dumped = json.dumps(document, ensure_ascii=False, indent=2)
    if dumped.replace("\n", "").isprintable():
        return dumped
    return "".join(
        json_escape(c) if c != "\n" and unicodedata.category(c) in INVISIBLE else c for c in dumped
    )


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


def promise_line(promise: Promise, as_of: datetime) -> str:
    """A write's confirmation: the promise in one line of plain text (no Rich needed)."""
    state = promise.state(as_of)
    due = f"due {format_local(state.due)}" if state.due is not None else "no due date"
    return (
        f"{promise.id} {visible(promise.customer)}: {visible(promise.text)} "
        f"({due}; {promise.size.value}; value {promise.value.value}; "
        f"owner {visible(promise.owner)}) {state.status.value.replace('_', ' ')}"
    )


PROMISE_CSV_FIELDS = (
    "id", "customer", "text", "made", "due", "size", "value", "owner", "tags", "ref",
    "status", "resolved", "renegotiations",
)  # fmt: skip


def promises_csv(promises: Iterable[Promise], as_of: datetime) -> str:
    """One row per promise, the JSON fields as columns; tags joined with `;`."""
    return to_csv(PROMISE_CSV_FIELDS, (promise_dict(p, as_of) for p in promises))


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
    """People's view of promises: id, customer, text, due, size/value, owner, status."""
    from rich.text import Text

    columns = [
        Column("ID", justify="right"),
        Column("Customer", "name"),
        Column("Promise", "text", min_width=16),  # 16: Due stays at 80 columns
        Column("Due", drop=4),
        Column("Size", drop=3),
        Column("Value", drop=2),
        Column("Owner", "name", drop=1),
        Column("Status"),
    ]
    if not customer:
        del columns[1]
    rows = []
    for promise in promises:
        state = promise.state(as_of)
        cells: list[str | Text] = [
            str(promise.id),
            Text(visible(promise.customer)),
            Text(visible(promise.text)),
            format_local(state.due) if state.due is not None else "-",
            promise.size.value,
            promise.value.value,
            Text(visible(promise.owner)),
            Text(state.status.value.replace("_", " "), style=_STATUS_STYLE[state.status]),
        ]
        if not customer:
            del cells[1]
        rows.append(cells)
    return fit_table(console, columns, rows)


def promise_detail(promise: Promise, as_of: datetime, console: Console) -> list[Any]:
    """`promise show`: the promise's fields, then its events."""
    from rich.text import Text

    state = promise.state(as_of)
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
            Text(visible(event.note or "")),
            Text(visible(event.owner or "")),
            Text(visible(event.ref or "")),
        ])  # fmt: skip
    return [fields, fit_table(console, columns, events)]


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
    fields = ("customer", "promises", "open", "overdue", "merged")
    return to_csv(fields, (customer_dict(summary) for summary in summaries))


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


# -- plumbing ----------------------------------------------------------------------------------


def new_table(console: Console, *, header: bool = True) -> Table:
    """A table that suits where it goes: light lines on a terminal, no box-drawing elsewhere.

    Either way two spaces separate the columns (GAP), which `fit_table` counts on.
    """
    from rich import box
    from rich.table import Table

    on_terminal = console.is_terminal
    return Table(
        box=box.SIMPLE_HEAD if on_terminal else None,
        show_edge=False,
        collapse_padding=on_terminal,  # pad 1, rule 1: two spaces, as without a box
        show_header=header,
        header_style="bold" if on_terminal else "",
        pad_edge=False,
        highlight=False,
    )


GAP = 2  # spaces between two columns
TEXT_MIN = 20  # a text column keeps this width before columns are dropped...
TEXT_FLOOR = 10  # ...and this much once none is left to drop
NAME_FLOOR = 12  # a name is cut (with an ellipsis) to no less than this, as a last resort


@dataclass(frozen=True)
class Column:
    """How a table column behaves when the terminal is narrow.

    kind "short": never wrapped (ids, dates, numbers, stages); "name": a customer or
    owner, whole on one line, cut with an ellipsis only as the last resort; "text":
    wraps at spaces (a word too long for the column ends in an ellipsis). `drop`: 0 is
    always shown; otherwise columns are dropped lowest number first (equal numbers go
    together) until the rest fit.
    """

    header: str
    kind: Literal["short", "name", "text"] = "short"
    drop: int = 0
    justify: Literal["left", "right"] = "left"
    style: str = ""
    min_width: int = TEXT_MIN
    overflow: Literal["ellipsis", "fold"] = "ellipsis"


def fit_table(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str | Text]],
    *,
    header: bool = True,
) -> Table:
    """A table laid out for the console's width, as `gh` does: no word is ever split.

    Everything at its natural width when it fits. Otherwise text columns narrow to
    their minimum, then droppable columns go, then text narrows to TEXT_FLOOR, and
    only then are names cut with an ellipsis. Spare width goes back to the text.
    """
    from rich.cells import cell_len

    def plain(cell: str | Text) -> str:
        return cell if isinstance(cell, str) else cell.plain

    natural = [
        max([cell_len(column.header) if header else 0]
            + [cell_len(plain(row[i])) for row in rows])
        for i, column in enumerate(columns)
    ]  # fmt: skip

    def least(i: int, floor: int | None = None) -> int:
        column = columns[i]
        if column.kind != "text":
            return natural[i]
        header_word = max((cell_len(w) for w in column.header.split()), default=0)
        wanted = floor if floor is not None else column.min_width
        return max(min(natural[i], wanted), header_word if header else 0, 1)

    def total(widths: dict[int, int]) -> int:
        return sum(widths.values()) + GAP * (len(widths) - 1)

    room = console.width
    kept = list(range(len(columns)))
    widths = {i: least(i) for i in kept}
    for rank in sorted({c.drop for c in columns if c.drop}):
        if total(widths) <= room:
            break
        kept = [i for i in kept if columns[i].drop != rank]
        widths = {i: least(i) for i in kept}
    if total(widths) > room:
        widths = {i: least(i, TEXT_FLOOR) for i in kept}
    while total(widths) > room:  # the last resort: cut the longest name
        names = [i for i in kept if columns[i].kind == "name" and widths[i] > NAME_FLOOR]
        if not names:
            break  # nothing more to give: lines wrap on the terminal, words stay whole
        widest = max(names, key=lambda i: widths[i])
        widths[widest] = max(NAME_FLOOR, widths[widest] - (total(widths) - room))
    texts = [i for i in kept if columns[i].kind == "text"]
    spare = room - total(widths)
    while spare > 0 and texts:  # spare width back to the text, shared out evenly
        growing = [i for i in texts if widths[i] < natural[i]]
        if not growing:
            break
        share = max(1, spare // len(growing))
        for i in growing:
            step = min(share, natural[i] - widths[i], spare)
            widths[i] += step
            spare -= step

    table = new_table(console, header=header)
    for i in kept:
        column = columns[i]
        table.add_column(
            column.header,
            width=widths[i],
            no_wrap=column.kind != "text",
            overflow=column.overflow,
            justify=column.justify,
            style=column.style or None,
        )
    for row in rows:
        table.add_row(*(row[i] for i in kept))
    return table


# -- reports ---------------------------------------------------------------------------------

CUSTOMER_FIELDS = (
    "customer", "promises", "open", "overdue", "kept", "kept_late", "broken", "cancelled",
    "renegotiated", "keep_rate", "keep_rate_low", "streak", "longest_streak", "trust",
    "distrust", "uncertainty", "stage", "since",
)  # fmt: skip

FALLING = -0.05  # a trust trend at or below this needs attention


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
    """`marry report --customer X --json`: CUSTOMER with promises_detail and timeline."""
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
    return document


def needs_attention(line: ReportLine) -> bool:
    """Estranged, strained, overdue or falling: shown first, and marked."""
    report = line.report
    return (
        report.stage in (Stage.ESTRANGED, Stage.STRAINED)
        or report.overdue > 0
        or (line.trend is not None and line.trend <= FALLING)
    )


def attention_order(lines: Iterable[ReportLine]) -> list[ReportLine]:
    """Customers who need attention first (worst stage, then most overdue), then by name."""
    return sorted(
        lines,
        key=lambda line: (
            0 if needs_attention(line) else 1,
            line.report.stage.rank if needs_attention(line) else 0,
            -line.report.overdue,
            line.report.customer.casefold(),
        ),
    )


_STAGE_STYLE = {
    Stage.ESTRANGED: "bold red",
    Stage.STRAINED: "red",
    Stage.STRANGER: "dim",
    Stage.DATING: "",
    Stage.TRUSTED: "green",
    Stage.LOYAL: "bold green",
    Stage.MARRIED: "bold magenta",
}


def _bar(value: float, width: int = 8) -> str:
    filled = round(max(0.0, min(1.0, value)) * width)
    return "█" * filled + "·" * (width - filled)


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"


def _signed(change: float | None) -> str:
    if change is None or abs(change) < 0.005:
        return "0.00" if change is not None else "-"
    return f"{change:+.2f}"


def report_table(lines: Sequence[ReportLine], console: Console) -> Table:
    """`marry report` for people: one row per customer, those needing attention first."""
    from rich.text import Text

    columns = [
        Column(""),
        Column("Customer", "name"),
        Column("Stage"),
        Column("Trust", justify="right"),
        Column("", drop=1),  # the trust bar
        Column("Keep rate", drop=5),
        Column("Streak", justify="right", drop=2),
        Column("Open", justify="right", drop=4),
        Column("Overdue", justify="right", drop=6),
        Column("30d", justify="right", drop=3),
    ]
    rows: list[list[str | Text]] = []
    for line in lines:
        r = line.report
        attention = needs_attention(line)
        keep = _percent(r.keep_rate)
        if r.keep_rate_low is not None:
            keep += f" ≥{_percent(r.keep_rate_low)}"
        falling = line.trend is not None and line.trend <= FALLING
        rows.append([
            Text("!", style="bold red") if attention else "",
            Text(visible(r.customer)),
            Text(r.stage.value, style=_STAGE_STYLE[r.stage]),
            f"{r.trust:.2f}",
            _bar(r.trust, 6),
            keep,
            f"{r.streak}/{r.longest_streak}",
            str(r.open),
            Text(str(r.overdue), style="bold red" if r.overdue else ""),
            Text(_signed(line.trend), style="red" if falling else ""),
        ])  # fmt: skip
    return fit_table(console, columns, rows)


def customer_detail(detail: CustomerDetail, as_of: datetime, console: Console) -> list[Any]:
    """`marry report --customer` for people: summary, next stage, chart, promises, movers."""
    from rich.text import Text

    r = detail.report
    head = Text()
    head.append(visible(r.customer), style="bold")
    head.append(" is ")
    head.append(r.stage.value, style=_STAGE_STYLE[r.stage])
    if r.since is not None:
        head.append(f" (a relationship since {format_local(r.since)})")
    head.append(f"\nas of {format_local(as_of)}: {next_stage_sentence(detail)}")
    head.append(f"\nerror budget: {budget_sentence(detail)}")

    figures: list[list[str | Text]] = []
    keep = _percent(r.keep_rate)
    if r.keep_rate_low is not None:
        keep += f" (at least {_percent(r.keep_rate_low)} at 95% confidence)"
    for name, value in (
        ("Trust", f"{_bar(r.trust, 20)} {r.trust:.2f}  (30 days: {_signed(detail.trend)})"),
        ("Distrust", f"{_bar(r.distrust, 20)} {r.distrust:.2f}"),
        ("Uncertainty", f"{_bar(r.uncertainty, 20)} {r.uncertainty:.2f}"),
        ("Keep rate", keep),
        ("Streak", f"{r.streak} kept in a row (longest {r.longest_streak})"),
        (
            "Promises",
            f"{r.promises}: {r.open} open, {r.overdue} overdue, {r.kept} kept, "
            f"{r.kept_late} kept late, {r.broken} broken; {r.cancelled} cancelled, "
            f"{r.renegotiated} renegotiation(s)",
        ),
    ):
        figures.append([name, value])
    numbers = fit_table(
        console, [Column("", style="bold"), Column("", "text")], figures, header=False
    )
    parts: list[Any] = [head, numbers]
    if r.timeline:
        parts.append(trust_chart(r.timeline, width=min(console.width, 100)))
    if detail.promises:
        shown = [p for p in detail.promises if p.made <= as_of]
        parts.append(promises_table(shown, as_of, console, customer=False))
    movers = sorted(r.contributions, key=_moved, reverse=True)[:5]
    if movers:
        columns = [
            Column("What moved trust most", "text", min_width=12),
            Column("Promise", justify="right"),
            Column("At", drop=1),
            Column("Trust", justify="right"),
            Column("Distrust", justify="right"),
        ]
        moved: list[list[str | Text]] = [
            [
                c.kind.replace("_", " "),
                str(c.promise_id),
                format_local(c.at),
                f"{c.trust_after - c.trust_before:+.3f}",
                f"{c.distrust_after - c.distrust_before:+.3f}",
            ]
            for c in movers
        ]
        parts.append(fit_table(console, columns, moved))
    return parts


def _moved(c: Contribution) -> float:
    return abs(c.trust_after - c.trust_before) + abs(c.distrust_after - c.distrust_before)


def next_stage_sentence(detail: CustomerDetail) -> str:
    """What it takes to reach the next stage, in words."""
    r = detail.report
    step = detail.next_stage
    if r.stage is Stage.ESTRANGED:
        return (
            f"distrust ({r.distrust:.2f}) must fall below 0.70 to leave estranged: "
            "only valued promises kept can dilute it"
        )
    if r.stage is Stage.STRAINED:
        return (
            f"distrust ({r.distrust:.2f}) must fall below trust ({r.trust:.2f}) to leave strained"
        )
    if step.stage is None:
        return "married, the last stage: keep every promise to stay here"
    needs = []
    if step.valued_kept:
        needs.append(
            f"{step.valued_kept} more valued promise{'s' if step.valued_kept != 1 else ''} kept"
        )
    if step.trust > 0:
        needs.append(f"trust up by {step.trust:.2f}")
    if step.days > 0:
        days = math.ceil(step.days)
        needs.append(f"{days} more day{'s' if days != 1 else ''}")
    if not needs:
        return f"ready for {step.stage.value}"
    if len(needs) > 1:
        return ", ".join(needs[:-1]) + " and " + needs[-1] + f" to reach {step.stage.value}"
    return f"{needs[0]} to reach {step.stage.value}"


def trust_chart(timeline: Sequence[TimelinePoint], width: int = 80, height: int = 8) -> Text:
    """Trust (*) and distrust (x) after each scored event, as a plain-text chart."""
    from rich.text import Text

    columns = max(10, width - 8)
    points = list(timeline)
    if len(points) > columns:  # one column per event, or the last event of each slice
        points = [points[(i + 1) * len(points) // columns - 1] for i in range(columns)]
    # A short history is spread out (up to 4 columns an event) so it reads as a line.
    stretch = max(1, min(4, columns // len(points)))
    points = [point for point in points for _ in range(stretch)]
    grid = [[" "] * len(points) for _ in range(height)]
    for x, point in enumerate(points):
        t = round(point.trust * (height - 1))
        d = round(point.distrust * (height - 1))
        grid[height - 1 - t][x] = "*"
        grid[height - 1 - d][x] = "#" if t == d else "x"
    chart = Text()
    for y, row in enumerate(grid):
        label = f"{1 - y / (height - 1):4.2f} |" if y in (0, height - 1) else "     |"
        chart.append(label)
        for char in row:
            style = {"*": "green", "x": "red", "#": "yellow"}.get(char, "")
            chart.append(char, style=style)
        chart.append("\n")
    first, last = format_local(points[0].at), format_local(points[-1].at)
    gap = max(1, len(points) - len(first) - len(last))
    chart.append("      " + first + " " * gap + last + "\n")
    chart.append("      * trust   x distrust   # both", style="dim")
    return chart


# -- the gate -----------------------------------------------------------------------------


def check_document(findings: Sequence[Finding]) -> dict[str, Any]:
    """`marry check --format json`: {"ok", "findings": [{customer, check, expected, actual}]}."""
    return {
        "ok": not findings,
        "findings": [
            {"customer": f.customer, "check": f.check, "expected": f.expected, "actual": f.actual}
            for f in findings
        ],
    }


def finding_line(finding: Finding) -> str:
    """One finding for people and logs: customer, check, expected, actual."""
    expected, actual = finding.expected, finding.actual
    if finding.check == "min-stage":
        wanted = f"{expected} or better"
    elif finding.check == "min-keep-rate":
        assert isinstance(expected, float) and isinstance(actual, float)
        wanted, actual = f"at least {expected:.2%}", f"{actual:.2%}"
    else:
        wanted = f"at most {expected}"
    return f"{visible(finding.customer)}: {finding.check}: expected {wanted}, actual {actual}"


# -- discipline: error budget, what-if, agenda, owners ------------------------------------------


def budget_dict(budget: dict[Size, int]) -> dict[str, int]:
    """The error budget as JSON: {"small": n, "medium": n, "large": n}."""
    return {size.value: budget[size] for size in Size}


def budget_sentence(detail: CustomerDetail) -> str:
    """The error budget in words."""
    from marrycli.discipline import BUDGET_CAP

    def count(size: Size) -> str:
        n = detail.budget[size]
        return f"{'at least ' if n >= BUDGET_CAP else ''}{n} {size.value}"

    stage = detail.report.stage.value
    if detail.report.stage is Stage.ESTRANGED:
        from marrycli.scoring import keeps_to_leave_estranged

        keeps = keeps_to_leave_estranged(detail.report)
        return (
            "none: estranged is the lowest stage, so no break drops it further; to leave it, "
            f"keep {keeps[Size.SMALL]} small, {keeps[Size.MEDIUM]} medium or "
            f"{keeps[Size.LARGE]} large high-value promise(s) on time, with no new failure"
        )
    if all(n == 0 for n in detail.budget.values()):
        return f"no break can be absorbed: the next one, of any size, drops it below {stage}"
    return (
        f"{count(Size.SMALL)}, {count(Size.MEDIUM)} or {count(Size.LARGE)} "
        f"break(s) in a row before it drops below {stage}"
    )


def what_if_document(before: CustomerReport, after: CustomerReport) -> dict[str, Any]:
    """`marry whatif --json`: {"before": CUSTOMER, "after": CUSTOMER}."""
    return {"before": customer_report_dict(before), "after": customer_report_dict(after)}


def what_if_table(before: CustomerReport, after: CustomerReport, console: Console) -> Table:
    """`marry whatif` for people: trust, distrust, stage and keep rate, before and after."""
    from rich.text import Text

    rows: list[list[str | Text]] = [
        [name, f"{old:.3f}", f"{new:.3f}", f"{new - old:+.3f}"]
        for name, old, new in (
            ("Trust", before.trust, after.trust),
            ("Distrust", before.distrust, after.distrust),
            ("Uncertainty", before.uncertainty, after.uncertainty),
        )
    ]
    moved = after.stage.rank - before.stage.rank
    rows.append([
        "Stage",
        Text(before.stage.value, style=_STAGE_STYLE[before.stage]),
        Text(after.stage.value, style=_STAGE_STYLE[after.stage]),
        "same" if moved == 0 else ("up" if moved > 0 else "down"),
    ])  # fmt: skip
    rows.append(["Keep rate", _percent(before.keep_rate), _percent(after.keep_rate), ""])
    columns = [Column(""), Column("Before"), Column("After"), Column("Change")]
    return fit_table(console, columns, rows)


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


def agenda_table(items: Sequence[AgendaItem], console: Console) -> Table:
    """`marry agenda` for people: what to deliver or renegotiate first, and what waiting costs.

    `Now` and `+1d` are the customer's trust after acting now or a day later: delivering
    an overdue promise, renegotiating one that is due soon.
    """
    from rich.text import Text

    columns = [
        Column("ID", justify="right"),
        Column("Customer", "name"),
        Column("Promise", "text", min_width=16),
        Column("Due", drop=2),
        Column("Stake", justify="right", drop=1),
        Column("Act"),
        Column("Now", justify="right", drop=3),  # what waiting a day costs: kept longest
        Column("+1d", justify="right", drop=3),
    ]
    rows: list[list[str | Text]] = []
    for item in items:
        overdue = item.status is Status.OVERDUE
        timing = item.keep_late if item.keep_late is not None else item.renegotiate
        rows.append([
            str(item.promise.id),
            Text(visible(item.customer)),
            Text(visible(item.promise.text)),
            Text(format_local(item.due), style="bold red" if overdue else ""),
            f"{item.stake:.2f}",
            "deliver" if item.keep_late is not None else "renegotiate",
            f"{timing.trust_acting_now:.2f}",
            f"{timing.trust_acting_later:.2f}",
        ])  # fmt: skip
    return fit_table(console, columns, rows)


AGENDA_CSV_FIELDS = (
    "id", "customer", "text", "status", "due", "stage", "trust", "stake",
    "renegotiate_cost_now", "renegotiate_cost_later",
)  # fmt: skip


def agenda_csv(items: Sequence[AgendaItem], as_of: datetime) -> str:
    """`marry agenda --format csv`: one row per item."""
    return to_csv(
        AGENDA_CSV_FIELDS,
        (
            {
                "id": item.promise.id,
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


def owners_table(reports: Sequence[OwnerReport], console: Console) -> Table:
    """`marry report --by owner` for people."""
    from rich.text import Text

    columns = [
        Column("Owner", "name"),
        Column("Customers", justify="right", drop=2),
        Column("Promises", justify="right", drop=3),
        Column("On time"),
        Column("Streak", justify="right", drop=1),
        Column("Open", justify="right"),
        Column("Overdue", justify="right"),
    ]
    rows: list[list[str | Text]] = []
    for r in reports:
        on_time = _percent(r.on_time_rate)
        if r.on_time_low is not None:
            on_time += f" ≥{_percent(r.on_time_low)}"
        rows.append([
            Text(visible(r.owner)),
            str(r.customers),
            str(r.promises),
            on_time,
            f"{r.streak}/{r.longest_streak}",
            str(r.open),
            Text(str(r.overdue), style="bold red" if r.overdue else ""),
        ])  # fmt: skip
    return fit_table(console, columns, rows)
