"""The HTML format (SPEC §9): each report as one self-contained page for a browser.

Drawn by Jinja2 (imported here, and this module only on the HTML path) from the templates
in `render/templates`, with autoescaping on: every user string reaches the page escaped,
and made visible first (`visible`: a bidi override cannot reorder what the page shows).
The page has no script and loads nothing (its Content-Security-Policy forbids both); its
charts are inline SVG computed in `charts`. Deterministic: the same ledger and `--as-of`
give the same bytes (the page says when it was made only through its as-of).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from marrycli import __version__
from marrycli.dates import format_local, format_utc
from marrycli.domain import Contribution, CustomerDetail, Status
from marrycli.render import Format, renders
from marrycli.render.charts import EVENT_WORDS, sparkline, trust_chart
from marrycli.render.safety import visible
from marrycli.render.views import Agenda, CustomerReportView, OwnersReport, Report, TagsReport
from marrycli.render.words import (
    budget_sentence,
    next_stage_sentence,
    valued_rates_line,
    values_sentence,
)

if TYPE_CHECKING:
    from jinja2 import Environment

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
MOVERS = 5  # the events that moved trust most, in a customer's section
# A section lists every unresolved promise and up to this many of the latest resolved ones
# (a page of a thousand customers must still open; the rest are a `promise list` away).
RESOLVED_LISTED = 20


@cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("marrycli.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        shown=visible,
        percent=_percent,
        signed=_signed,
        when=format_local,
        status=lambda status: status.value.replace("_", " "),
    )
    env.globals.update(csp=CSP, version=__version__)
    return env


def _page(template: str, **values: Any) -> Iterator[str]:
    """The page, in the pieces Jinja2 draws it in: a page of many customers is never held
    whole in memory."""
    return _environment().get_template(template).generate(**values)


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"


def _signed(change: float | None) -> str:
    if change is None:
        return "-"
    return "0.00" if abs(change) < 0.005 else f"{change:+.2f}"


_UNRESOLVED = (Status.OPEN, Status.OVERDUE)


def _moved(c: Contribution) -> float:
    return abs(c.trust_after - c.trust_before) + abs(c.distrust_after - c.distrust_before)


def section(detail: CustomerDetail, as_of: datetime, anchor: str) -> dict[str, Any]:
    """What a customer's section shows: numbers, next stage, budget, chart, what the customer
    values, its standing promises, promises, movers."""
    r = detail.report
    promises = [p for p in detail.promises if p.made <= as_of]
    texts = {p.id: p.text for p in promises}
    states = [(p, p.state(as_of)) for p in promises]
    resolved = [p.id for p, state in states if state.status not in _UNRESOLVED]
    listed = set(resolved[-RESOLVED_LISTED:])
    shown = [(p, state) for p, state in states if state.status in _UNRESOLVED or p.id in listed]
    movers = sorted(r.contributions, key=_moved, reverse=True)[:MOVERS]
    return {
        "anchor": anchor,
        "report": r,
        "trend": detail.trend,
        "next_stage": next_stage_sentence(detail),
        "budget": budget_sentence(detail),
        "chart": trust_chart(r.timeline, r.contributions, promises, as_of) if r.timeline else None,
        "promises": shown,
        "unlisted": len(states) - len(shown),
        "movers": [
            (c, EVENT_WORDS.get(c.kind, (c.kind.replace("_", " "), ""))[0], texts.get(c.promise_id))
            for c in movers
        ],
        "addresses": {p.id: p.address for p in promises},
        "standing": detail.standing,
        "overdue": Status.OVERDUE,
        "customer_values": detail.values,
        "values_rates": valued_rates_line(detail.values) if detail.values is not None else "",
        "values_sentence": values_sentence(detail.values) if detail.values is not None else None,
    }


def _common(as_of: datetime, title: str) -> dict[str, Any]:
    return {"title": title, "as_of": format_local(as_of), "as_of_utc": format_utc(as_of)}


@renders(Report, Format.HTML)
def _report(view: Report) -> Iterator[str]:
    from marrycli.service.reports import needs_attention

    rows = []
    for i, line in enumerate(view.lines, start=1):
        detail = line.detail
        rows.append({
            "anchor": f"customer-{i}",
            "report": line.report,
            "trend": line.trend,
            "attention": needs_attention(line),
            "spark": sparkline(detail.report.timeline, detail.promises, view.as_of)
            if detail is not None
            else "",
        })  # fmt: skip
    # Each customer's section is computed as the page reaches it.
    sections = (
        section(line.detail, view.as_of, f"customer-{i}")
        for i, line in enumerate(view.lines, start=1)
        if line.detail is not None
    )
    return _page(
        "report.html.j2", rows=rows, sections=sections, **_common(view.as_of, "Trust report")
    )


@renders(CustomerReportView, Format.HTML)
def _customer(view: CustomerReportView) -> Iterator[str]:
    shown = section(view.detail, view.as_of, "customer")
    title = f"Trust report: {visible(view.detail.report.customer)}"
    return _page("customer.html.j2", section=shown, **_common(view.as_of, title))


@renders(OwnersReport, Format.HTML)
def _owners(view: OwnersReport) -> Iterator[str]:
    return _page("owners.html.j2", owners=view.owners, **_common(view.as_of, "Owners"))


@renders(TagsReport, Format.HTML)
def _tags(view: TagsReport) -> Iterator[str]:
    return _page("tags.html.j2", tags=view.tags, **_common(view.as_of, "Tags"))


@renders(Agenda, Format.HTML)
def _agenda(view: Agenda) -> Iterator[str]:
    items: Sequence[Any] = view.items
    return _page(
        "agenda.html.j2",
        items=items,
        until=format_local(view.until),
        overdue=Status.OVERDUE,
        **_common(view.as_of, "Agenda"),
    )
