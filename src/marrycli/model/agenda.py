"""The agenda: overdue promises, then those due soon, with what acting now or a day later costs.

Pure, like `scoring`: every answer comes from scoring the ledger with one more event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from marrycli.domain import (
    AgendaItem,
    CustomerReport,
    EventKind,
    Promise,
    Status,
    Timing,
    customer_key,
)
from marrycli.model.discipline import known_at, with_event
from marrycli.model.scoring import late_cost, renegotiation_cost, score_customer

# The agenda weighs acting on a promise now against waiting this long.
AGENDA_WAIT = timedelta(days=1)


# The agenda's hypothetical renegotiations move the due date to this long after the
# wait; the new date does not change what the renegotiation costs.
RENEGOTIATE_FOR = timedelta(days=7)


def agenda(
    promises: Iterable[Promise],
    now: datetime,
    until: datetime,
    owner_key: str | None = None,
) -> list[AgendaItem]:
    """Overdue promises, then open ones due by `until`, each by stake then due date."""
    by_customer: dict[str, list[Promise]] = {}
    for p in promises:
        by_customer.setdefault(customer_key(p.customer), []).append(p)
    items: list[AgendaItem] = []
    for theirs in by_customer.values():
        wanted = [
            p
            for p in theirs
            if (owner_key is None or customer_key(p.owner) == owner_key)
            and _on_agenda(p, now, until)
        ]
        if not wanted:
            continue
        name = theirs[0].customer
        known = known_at(theirs, now)
        report = score_customer(name, known, now, detail=False)
        items.extend(_agenda_item(name, known, report, p, now) for p in wanted)
    items.sort(key=lambda i: (i.status is not Status.OVERDUE, -i.stake, i.due, i.promise.id))
    return items


def _on_agenda(promise: Promise, now: datetime, until: datetime) -> bool:
    if promise.made > now:
        return False
    state = promise.state(now)
    if state.status is Status.OVERDUE:
        return True
    return state.status is Status.OPEN and state.due is not None and state.due <= until


def _trust(customer: str, promises: list[Promise], at: datetime) -> float:
    return score_customer(customer, promises, at, detail=False).trust


def _agenda_item(
    customer: str, known: list[Promise], report: CustomerReport, promise: Promise, now: datetime
) -> AgendaItem:
    state = promise.state(now)
    due = state.due
    assert due is not None  # overdue, or open with a due date: see _on_agenda
    pid = promise.id
    later = now + AGENDA_WAIT
    trust_if_kept = _trust(customer, with_event(known, pid, EventKind.KEPT, now), now)
    trust_if_broken = _trust(customer, with_event(known, pid, EventKind.BROKEN, now), now)
    # Same new terms either way, so that only the timing differs.
    new_due = later + RENEGOTIATE_FOR
    made = _renegotiation_base(promise, now)
    renegotiate = Timing(
        cost_now=renegotiation_cost(made, due, now),
        cost_later=renegotiation_cost(made, due, later),
        trust_acting_now=_trust(
            customer, with_event(known, pid, EventKind.RENEGOTIATED, now, new_due), later
        ),
        trust_acting_later=_trust(
            customer, with_event(known, pid, EventKind.RENEGOTIATED, later, new_due), later
        ),
    )
    keep_late = None
    if state.status is Status.OVERDUE:
        keep_late = Timing(
            cost_now=late_cost(due, now),
            cost_later=late_cost(due, later),
            trust_acting_now=_trust(customer, with_event(known, pid, EventKind.KEPT, now), later),
            trust_acting_later=_trust(
                customer, with_event(known, pid, EventKind.KEPT, later), later
            ),
        )
    return AgendaItem(
        promise=promise,
        customer=customer,
        status=state.status,
        due=due,
        stage=report.stage,
        trust=report.trust,
        trust_if_kept=trust_if_kept,
        trust_if_broken=trust_if_broken,
        stake=trust_if_kept - trust_if_broken,
        renegotiate=renegotiate,
        keep_late=keep_late,
    )


def _renegotiation_base(promise: Promise, now: datetime) -> datetime:
    """The `made` that SPEC §5's renegotiation cost uses: the last renegotiation's time, if any."""
    made = promise.made
    for event in promise.standing_events():
        if event.kind is EventKind.RENEGOTIATED and event.at <= now:
            made = event.at
    return made
