"""Promise discipline (issue 5): the guard at promise time, what-if, error budget, agenda, owners.

Pure, like `scoring`: no database, no clock (every moment is an argument), no output.
Every answer comes from scoring a hypothetical ledger (the promises with one more event,
or one more promise) with `score_customer`, never from an estimate, so what this module
says would happen is exactly what recording it would show.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from marrycli.domain import (
    CustomerReport,
    Event,
    EventKind,
    Promise,
    Size,
    Stage,
    Status,
    Value,
)
from marrycli.model.scoring import score_customer

# -- Thresholds: every tunable number of this module, documented in the README. -------

# The error budget tries at most this many breaks of each size: a budget equal to the cap
# means "at least this many".
BUDGET_CAP = 50
# The budget's hypothetical breaks come one after another, this far apart, from as_of.
BUDGET_SPACING = timedelta(seconds=1)

# The kinds of event a hypothetical may add (a void needs the event it cancels).
_HYPOTHETICAL_KINDS = frozenset(
    {EventKind.KEPT, EventKind.BROKEN, EventKind.RENEGOTIATED, EventKind.CANCELLED}
)
_HYPOTHETICAL_TEXT = "a hypothetical promise"


# -- Hypothetical ledgers ---------------------------------------------------------------


def _next_event_id(promises: Iterable[Promise]) -> int:
    return 1 + max((e.id for p in promises for e in p.events), default=0)


def with_event(
    promises: Iterable[Promise],
    promise_id: int,
    kind: EventKind,
    at: datetime,
    due: datetime | None = None,
) -> list[Promise]:
    """The promises with one more event, numbered after all others, on promise `promise_id`."""
    if kind not in _HYPOTHETICAL_KINDS:
        raise ValueError(f"a hypothetical event cannot be a {kind.value} event")
    if (kind is EventKind.RENEGOTIATED) != (due is not None):
        raise ValueError("a renegotiation, and only a renegotiation, takes a new due date")
    listed = list(promises)
    event = Event(id=_next_event_id(listed), promise_id=promise_id, kind=kind, at=at, due=due)
    result = [p._replace(events=(*p.events, event)) if p.id == promise_id else p for p in listed]
    if all(p.id != promise_id for p in listed):
        raise KeyError(promise_id)
    return result


def with_promise(
    promises: Iterable[Promise],
    *,
    made: datetime,
    due: datetime | None,
    size: Size,
    value: Value,
    owner: str,
    broken_at: datetime | None = None,
    customer: str | None = None,
) -> list[Promise]:
    """The promises with one more, numbered after all others, broken at `broken_at` if given."""
    # Its customer is `customer`, else that of the first promise (else empty): scoring
    # does not read it, the agenda's grouping does.
    listed = list(promises)
    promise_id = 1 + max((p.id for p in listed), default=0)
    events: tuple[Event, ...] = ()
    if broken_at is not None:
        events = (
            Event(
                id=_next_event_id(listed),
                promise_id=promise_id,
                kind=EventKind.BROKEN,
                at=broken_at,
            ),
        )
    if customer is None:
        customer = listed[0].customer if listed else ""
    added = Promise(
        id=promise_id,
        customer=customer,
        text=_HYPOTHETICAL_TEXT,
        made=made,
        due=due,
        size=size,
        value=value,
        owner=owner,
        events=events,
    )
    return [*listed, added]


def known_at(promises: Iterable[Promise], now: datetime) -> list[Promise]:
    """The promises as the ledger held them at `now`: made by then, events recorded by then.

    Voids are kept whatever their time: SPEC §5 applies a void to every as_of, so this
    scores exactly as the full ledger does at `now`.
    """
    known = []
    for p in promises:
        if p.made > now:
            continue
        if any(e.at > now and e.kind is not EventKind.VOID for e in p.events):
            events = tuple(e for e in p.events if e.at <= now or e.kind is EventKind.VOID)
            p = p._replace(events=events)
        known.append(p)
    return known


def open_with_due(promise: Promise, now: datetime) -> bool:
    state = promise.state(now)
    return state.status is Status.OPEN and state.due is not None


def without_deadline(promise: Promise) -> Promise:
    """An open promise whose current due date is taken away, so that it never falls overdue.

    The renegotiations that brought it there stand and are scored as before.
    """
    renegotiations = [e for e in promise.standing_events() if e.kind is EventKind.RENEGOTIATED]
    if not renegotiations:
        return promise._replace(due=None)
    last = renegotiations[-1].id
    return promise._replace(
        events=tuple(e._replace(due=None) if e.id == last else e for e in promise.events)
    )


# -- What-if ----------------------------------------------------------------------------


def what_if(
    customer: str,
    promises: Iterable[Promise],
    promise_id: int,
    kind: EventKind,
    at: datetime,
    due: datetime | None = None,
    *,
    detail: bool = True,
) -> tuple[CustomerReport, CustomerReport]:
    """The customer's report at `at` without, then with, one more event on a promise."""
    listed = list(promises)
    after = score_customer(
        customer, with_event(listed, promise_id, kind, at, due), at, detail=detail
    )
    return score_customer(customer, listed, at, detail=detail), after


# -- Error budget ------------------------------------------------------------------------


def error_budget(customer: str, promises: Iterable[Promise], as_of: datetime) -> dict[Size, int]:
    """How many breaks of each size in a row the customer absorbs at or above its stage now."""
    # The breaks are of valued (high) promises made at `as_of` and broken BUDGET_SPACING
    # apart after it, on the ledger as it stood at `as_of`; BUDGET_CAP means "at least".
    known = known_at(promises, as_of)
    current = score_customer(customer, known, as_of, detail=False).stage
    if current is Stage.ESTRANGED:
        return dict.fromkeys(Size, 0)
    return {size: _breaks_absorbed(customer, known, as_of, size, current) for size in Size}


def _breaks_absorbed(
    customer: str, known: list[Promise], as_of: datetime, size: Size, current: Stage
) -> int:
    """The most breaks in a row (up to BUDGET_CAP) after which the stage is still `current`.

    Staying at or above `current` can only fail once and for all: more breaks never raise
    trust nor lower distrust, the valued kept do not change, and the one thing that grows
    (the age) cannot by itself lift a customer whose trust fell below its stage's
    threshold back to it. So a galloping then binary search finds the same answer as
    trying 1, 2, 3, ... breaks, with a handful of scorings instead of up to BUDGET_CAP.
    """
    breaks = _hypothetical_breaks(known, customer, as_of, size)

    def holds(count: int) -> bool:
        at = as_of + BUDGET_SPACING * count
        report = score_customer(customer, [*known, *breaks[:count]], at, detail=False)
        return report.stage.rank >= current.rank

    good = 0  # no break at all leaves the stage as it is
    probe = 1
    while holds(probe):
        good = probe
        if probe == BUDGET_CAP:
            return BUDGET_CAP
        probe = min(BUDGET_CAP, 2 * probe)
    bad = probe
    while bad - good > 1:
        middle = (good + bad) // 2
        if holds(middle):
            good = middle
        else:
            bad = middle
    return good


def _hypothetical_breaks(
    known: list[Promise], customer: str, as_of: datetime, size: Size
) -> list[Promise]:
    """BUDGET_CAP valued promises made at as_of, the i-th broken i * BUDGET_SPACING after it."""
    first_promise = 1 + max((p.id for p in known), default=0)
    first_event = _next_event_id(known)
    breaks = []
    for i in range(BUDGET_CAP):
        promise_id = first_promise + i
        at = as_of + BUDGET_SPACING * (i + 1)
        event = Event(id=first_event + i, promise_id=promise_id, kind=EventKind.BROKEN, at=at)
        breaks.append(
            Promise(
                id=promise_id,
                customer=customer,
                text=_HYPOTHETICAL_TEXT,
                made=as_of,
                due=None,
                size=size,
                value=Value.HIGH,
                owner="",
                events=(event,),
            )
        )
    return breaks
