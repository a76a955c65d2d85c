"""Use cases of reports: the report and its attention order, one customer in detail,
owners, the agenda, and the gates of `marry check`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from marrycli.dates import to_micros
from marrycli.domain import (
    CustomerDetail,
    Finding,
    Gates,
    ReportLine,
    Stage,
    customer_key,
)
from marrycli.model import agenda as agenda_model
from marrycli.model import owners, tags
from marrycli.model.discipline import error_budget
from marrycli.model.gates import findings_for
from marrycli.model.scoring import next_stage, scorable, score_customer, score_scorables
from marrycli.model.values import customer_values
from marrycli.service.collector import collector_paused
from marrycli.service.customers import value_profile
from marrycli.service.lookup import find_customer_entry
from marrycli.service.standing import expand, expand_with, records, zone_of

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from marrycli.domain import AgendaItem, OwnerReport, TagReport
    from marrycli.model.standing import ZoneOf
    from marrycli.storage.ledger import Ledger


TREND_DAYS = 30


def report(
    ledger: Ledger, *, as_of: datetime, trend: bool, detail: bool = False
) -> list[ReportLine]:
    """Every customer scored at `as_of`, streamed customer by customer from one query;
    with `detail`, each line also carries the customer in detail (as `report_customer`)."""
    with ledger.read() as conn:
        if conn is None:
            return []
        lines = _report_lines(conn, as_of, trend)
        if detail:  # the HTML page: every customer's section, read in the same transaction
            lines = [
                line._replace(detail=_detail(conn, line.customer_id, line.report.customer, as_of))
                for line in lines
            ]
        return lines


def _report_lines(conn: Connection, as_of: datetime, trend: bool) -> list[ReportLine]:
    """The report's lines, read on an open connection (its caller's transaction)."""
    from marrycli.storage import repo

    earlier = as_of - timedelta(days=TREND_DAYS) if trend else None
    names = repo.customer_names(conn)
    zones = zone_of()
    with collector_paused():  # millions of tuples, no cycle
        return list(_scored_lines(conn, as_of, earlier, names, zones))


def _scored_lines(
    conn: Connection,
    as_of: datetime,
    earlier: datetime | None,
    names: dict[int, str],
    zones: ZoneOf,
) -> Iterator[ReportLine]:
    """Each customer's line as the report reads it, with its trend from `earlier` if given."""
    from marrycli.storage import repo

    for customer_id, scorables, others in repo.report_scorables(conn, to_micros(as_of)):
        if others:
            # A customer's standing promises become their occurrences here, one customer at
            # a time: nothing is generated for customers not yet read (SPEC §7).
            expanded = map(scorable, expand_with(others, as_of, zones))
            scorables.extend(item for item in expanded if item is not None)
        name = names[customer_id]
        scored = score_scorables(name, scorables, as_of, detail=False)
        change = None
        if earlier is not None:
            before = score_scorables(name, scorables, earlier, detail=False)
            change = scored.trust - before.trust
        yield ReportLine(customer_id=customer_id, report=scored, trend=change)


def report_customer(ledger: Ledger, customer: str, *, as_of: datetime) -> CustomerDetail:
    """One customer in detail at `as_of`: timeline, contributions, promises, next stage."""
    with ledger.read() as conn:
        entry = find_customer_entry(conn, customer)
        assert conn is not None
        return _detail(conn, entry.id, entry.name, as_of)


def _detail(conn: Connection, customer_id: int, name: str, as_of: datetime) -> CustomerDetail:
    """The customer `customer_id` (shown as `name`) in detail, read on an open connection;
    what it values beside its profile as the directory has it now (as its name)."""
    from marrycli.storage import repo

    loaded = repo.load_promises(conn, customer_id=customer_id, made_until=to_micros(as_of))
    promises = expand(loaded, as_of)
    scored = score_customer(name, promises, as_of)
    before = score_customer(name, promises, as_of - timedelta(days=TREND_DAYS), detail=False)
    profile = {tag: e.level for tag, e in value_profile(conn, customer_id).items()}
    return CustomerDetail(
        report=scored,
        trend=scored.trust - before.trust,
        promises=promises,
        next_stage=next_stage(scored, as_of),
        budget=error_budget(name, promises, as_of),
        values=customer_values(promises, scored.contributions, profile, as_of),
        standing=tuple(records(loaded, as_of, promises)),
    )


def owner_reports(ledger: Ledger, *, as_of: datetime) -> list[OwnerReport]:
    """Every owner's record across customers, at `as_of`."""
    from marrycli.storage import repo

    with ledger.read() as conn:
        promises = repo.load_promises(conn, made_until=to_micros(as_of)) if conn else []
    return owners.owner_reports(expand(promises, as_of), as_of)


def tag_reports(ledger: Ledger, *, as_of: datetime) -> list[TagReport]:
    """Every tag's promises across customers, at `as_of`."""
    from marrycli.storage import repo

    with ledger.read() as conn:
        promises = repo.load_promises(conn, made_until=to_micros(as_of)) if conn else []
    return tags.tag_reports(expand(promises, as_of), as_of)


def agenda(
    ledger: Ledger, *, owner: str | None, until: datetime, now: datetime
) -> list[AgendaItem]:
    """Overdue promises, then those due by `until`, with what acting now or later costs."""
    from marrycli.storage import repo

    with ledger.read() as conn:
        promises = repo.load_promises(conn, made_until=to_micros(now)) if conn else []
    owner_key = customer_key(owner) if owner is not None else None
    return agenda_model.agenda(expand(promises, now), now, until, owner_key=owner_key)


def check(
    ledger: Ledger, *, customers: Sequence[str], gates: Gates, as_of: datetime
) -> tuple[int, list[Finding]]:
    """Apply the gates to every customer, or those named; returns (customers checked, findings)."""
    with ledger.read() as conn:
        # One transaction: the customers named and the lines checked are of the same ledger.
        wanted = {find_customer_entry(conn, name).id for name in customers} if customers else None
        lines = _report_lines(conn, as_of, trend=False) if conn is not None else []
    checked = 0
    found: list[Finding] = []
    for line in lines:
        if wanted is not None and line.customer_id not in wanted:
            continue
        checked += 1
        found.extend(findings_for(line.report, gates))
    return checked, found


FALLING = -0.05  # a trust trend at or below this needs attention


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
