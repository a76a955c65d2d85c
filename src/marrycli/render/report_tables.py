"""People's tables of the reports: every customer, one customer in detail (its
numbers, next stage, error budget, what it values, trust chart, promises and the events
that moved trust most), what-if, the agenda, owners, and `check`'s findings.

Drawn with Rich (imported inside the functions that draw) through `layout.fit_table`;
the renderers at the bottom register them as the TABLE format of their views. What
needs attention, and in which order, is the service's (`service.reports`, imported
where used: every table command loads this module, most never draw a report); the
sentences are `words`'.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marrycli.dates import format_local, format_local_day
from marrycli.domain import Contribution, CustomerReport, Promise, Stage, Status, TimelinePoint
from marrycli.render import Format, Notice, Rendered, renders
from marrycli.render.charts import TimeScale, chart_start
from marrycli.render.layout import Column, fit_table
from marrycli.render.output import console
from marrycli.render.safety import visible
from marrycli.render.tables import promises_table, series_table
from marrycli.render.views import (
    Agenda,
    CheckResult,
    CustomerReportView,
    OwnersReport,
    Report,
    TagsReport,
    WhatIfView,
)
from marrycli.render.words import (
    budget_sentence,
    finding_line,
    next_stage_sentence,
    valued_rates_line,
    values_sentence,
)

if TYPE_CHECKING:
    from rich.console import Console, Group
    from rich.table import Table
    from rich.text import Text

    from marrycli.domain import (
        AgendaItem,
        CustomerDetail,
        CustomerValues,
        OwnerReport,
        ReportLine,
        TagReport,
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

    from marrycli.service.reports import FALLING, needs_attention

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
    if detail.values is not None and detail.values.tags:
        parts.append(values_table(detail.values, console))
    if detail.standing:
        parts.append(Text("Standing promises", style="bold"))
        parts.append(series_table(detail.standing, console, customer=False))
    if r.timeline:
        parts.append(trust_chart(r.timeline, detail.promises, as_of, width=console.width))
    if detail.promises:
        shown = [p for p in detail.promises if p.made <= as_of]
        parts.append(promises_table(shown, as_of, console, customer=False))
    movers = sorted(r.contributions, key=_moved, reverse=True)[:5]
    address = {p.id: p.address for p in detail.promises}
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
                address.get(c.promise_id, str(c.promise_id)),
                format_local(c.at),
                f"{c.trust_after - c.trust_before:+.3f}",
                f"{c.distrust_after - c.distrust_before:+.3f}",
            ]
            for c in movers
        ]
        parts.append(fit_table(console, columns, moved))
    return parts


def values_table(values: CustomerValues, console: Console) -> Group:
    """What the customer values: per tag (the promises without one last), its profile's
    level, the promises of each value, kept on time, failures, keep rate and trust built;
    then the keep rate of valued promises beside the others', and the sentence if due."""
    from rich.console import Group
    from rich.text import Text

    columns = [
        Column("Tag", "name"),
        Column("Profile"),
        Column("Promises", justify="right", drop=1),
        Column("None", justify="right"),
        Column("Low", justify="right"),
        Column("High", justify="right"),
        Column("Kept", justify="right"),
        Column("Failures", justify="right"),
        Column("Keep rate", justify="right"),
        Column("Trust built", justify="right"),
    ]
    rows: list[list[str | Text]] = [
        [
            Text(visible(t.tag)) if t.tag is not None else Text("(untagged)", style="italic"),
            t.level.value if t.level is not None else "-",
            str(t.promises),
            str(t.none),
            str(t.low),
            str(t.high),
            str(t.kept),
            Text(str(t.failures), style="red" if t.failures else ""),
            _percent(t.keep_rate),
            "0" if t.trust_built == 0 else f"{t.trust_built:+.3f}",
        ]
        for t in values.tags
    ]
    summary = Text(valued_rates_line(values))
    sentence = values_sentence(values)
    if sentence is not None:
        summary.append("\n" + sentence, style="bold")
    heading = Text("What the customer values", style="bold")
    return Group(heading, fit_table(console, columns, rows), summary)


def _moved(c: Contribution) -> float:
    return abs(c.trust_after - c.trust_before) + abs(c.distrust_after - c.distrust_before)


def trust_chart(
    timeline: Sequence[TimelinePoint],
    promises: Sequence[Promise],
    as_of: datetime,
    width: int = 80,
    height: int = 8,
) -> Text:
    """Trust (*) and distrust (x) over real time, as a plain-text chart `width` wide.

    x is proportional to time, from the customer's first promise to `as_of`: each column
    shows trust and distrust as they stood at its end (they change only at scored events);
    the columns before the first scored event are blank. Dates label both ends and the
    middle.
    """
    from rich.text import Text

    columns = max(10, width - len("0.00 |"))
    scale = TimeScale.over(chart_start(timeline, promises), as_of, 0, columns - 1)
    shown: list[TimelinePoint | None] = [None] * columns
    for point in timeline:  # in time order: a column shows the last event in it
        shown[round(scale.x(point.at))] = point
    for x in range(1, columns):
        if shown[x] is None:
            shown[x] = shown[x - 1]
    grid = [[" "] * columns for _ in range(height)]
    for x, at_x in enumerate(shown):
        if at_x is None:
            continue
        t = round(at_x.trust * (height - 1))
        d = round(at_x.distrust * (height - 1))
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
    chart.append(" " * len("0.00 |") + _axis_labels(scale, columns) + "\n")
    chart.append("      * trust   x distrust   # both", style="dim")
    return chart


def _axis_labels(scale: TimeScale, columns: int) -> str:
    """The days at both ends of the time axis, and in the middle when there is room."""
    (_, first), (_, middle), (_, last) = scale.ticks(3)
    start, mid, end = (format_local_day(moment) for moment in (first, middle, last))
    line = [" "] * columns
    line[: len(start)] = start
    line[columns - len(end) :] = end
    at = columns // 2 - len(mid) // 2
    if at > len(start) + 1 and at + len(mid) < columns - len(end) - 1:
        line[at : at + len(mid)] = mid
    return "".join(line)


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
            item.promise.address,
            Text(visible(item.customer)),
            Text(visible(item.promise.text)),
            Text(format_local(item.due), style="bold red" if overdue else ""),
            f"{item.stake:.2f}",
            "deliver" if item.keep_late is not None else "renegotiate",
            f"{timing.trust_acting_now:.2f}",
            f"{timing.trust_acting_later:.2f}",
        ])  # fmt: skip
    return fit_table(console, columns, rows)


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


def tags_table(reports: Sequence[TagReport], console: Console) -> Table:
    """`marry report --by tag` for people."""
    from rich.text import Text

    columns = [
        Column("Tag", "name"),
        Column("Customers", justify="right", drop=2),
        Column("Promises", justify="right"),
        Column("Valued", justify="right", drop=1),
        Column("Keep rate"),
        Column("Open", justify="right", drop=3),
        Column("Overdue", justify="right"),
    ]
    rows: list[list[str | Text]] = []
    for r in reports:
        keep = _percent(r.keep_rate)
        if r.keep_rate_low is not None:
            keep += f" ≥{_percent(r.keep_rate_low)}"
        rows.append([
            Text(visible(r.tag)),
            str(r.customers),
            str(r.promises),
            _percent(r.valued_share),
            keep,
            str(r.open),
            Text(str(r.overdue), style="bold red" if r.overdue else ""),
        ])  # fmt: skip
    return fit_table(console, columns, rows)


# -- the views as tables (`render.emit`) ---------------------------------------------------


@renders(Report, Format.TABLE)
def _report(view: Report) -> Rendered:
    if not view.lines:
        return Notice("no customers yet; the first `marry promise add` creates one")
    from marrycli.service.reports import attention_order

    return [report_table(attention_order(view.lines), console())]


@renders(CustomerReportView, Format.TABLE)
def _customer_report(view: CustomerReportView) -> list[Any]:
    return customer_detail(view.detail, view.as_of, console())


@renders(OwnersReport, Format.TABLE)
def _owners(view: OwnersReport) -> Rendered:
    if not view.owners:
        return Notice("no promises yet")
    return [owners_table(view.owners, console())]


@renders(TagsReport, Format.TABLE)
def _tags(view: TagsReport) -> Rendered:
    if not view.tags:
        return Notice("no tagged promises yet; `marry promise add ... --tag T` tags one")
    return [tags_table(view.tags, console())]


@renders(CheckResult, Format.TABLE)
def _check(view: CheckResult) -> str:
    return "\n".join(finding_line(finding) for finding in view.findings)


@renders(WhatIfView, Format.TABLE)
def _what_if(view: WhatIfView) -> list[Any]:
    return [what_if_table(view.result.before, view.result.after, console())]


@renders(Agenda, Format.TABLE)
def _agenda(view: Agenda) -> Rendered:
    if not view.items:
        return Notice("nothing is overdue or due soon")
    return [agenda_table(view.items, console())]
