"""Promise discipline (issue 5): the guard at promise time, what-if, error budget, agenda, owners.

Pure, like `scoring`: no database, no clock (every moment is an argument), no output.
Every answer comes from scoring a hypothetical ledger (the promises with one more event,
or one more promise) with `score_customer`, never from an estimate, so what this module
says would happen is exactly what recording it would show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
    customer_key,
    fold_name,
)
from marrycli.scoring import late_cost, renegotiation_cost, score_customer, wilson_lower_bound

# -- Thresholds: every tunable number of this module, documented in the README. -------

# The error budget tries at most this many breaks of each size: a budget equal to the cap
# means "at least this many".
BUDGET_CAP = 50
# The budget's hypothetical breaks come one after another, this far apart, from as_of.
BUDGET_SPACING = timedelta(seconds=1)
# A break that would leave the customer at one of these stages is a serious consequence...
SERIOUS_STAGES = frozenset({Stage.STRAINED, Stage.ESTRANGED})
# ... and so is one that would cost the customer this many stage ranks or more.
SERIOUS_DROP = 2
# Resolved promises of a size an owner needs before their record judges the next one.
ENOUGH_HISTORY = 5
# With enough history, an on-time rate whose Wilson lower bound (95%) is below this makes
# keeping the next promise of that size unlikely: the record cannot show that keeping is
# even as likely as not. (A perfect record of ENOUGH_HISTORY has a bound of 0.566, so it
# is never judged unlikely; a bar of 0.6 would need 6.)
UNLIKELY_BELOW = 0.5
# Promises due within this of each other compete for the same working time.
CROWDED_WINDOW = timedelta(days=7)
# An owner's record supports at least this many promises due within one CROWDED_WINDOW,
# whatever their busiest window so far.
CAPACITY_FLOOR = 3
# The agenda weighs acting on a promise now against waiting this long.
AGENDA_WAIT = timedelta(days=1)
# The agenda's hypothetical renegotiations move the due date to this long after the
# wait; the new date does not change what the renegotiation costs.
RENEGOTIATE_FOR = timedelta(days=7)

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
        events = (Event(_next_event_id(listed), promise_id, EventKind.BROKEN, broken_at),)
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


def _known_at(promises: Iterable[Promise], now: datetime) -> list[Promise]:
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


def _open_with_due(promise: Promise, now: datetime) -> bool:
    state = promise.state(now)
    return state.status is Status.OPEN and state.due is not None


def _without_deadline(promise: Promise) -> Promise:
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
    known = _known_at(promises, as_of)
    current = score_customer(customer, known, as_of, detail=False).stage
    if current is Stage.ESTRANGED:
        return {size: 0 for size in Size}
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
        event = Event(first_event + i, promise_id, EventKind.BROKEN, at)
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


# -- The guard at promise time ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the guard found about a promise about to be made, and its warning if any."""

    customer: str
    owner: str
    size: Size
    first: bool  # no promise to this customer counts yet
    # (a) consequence: the customer's stage at `at`, the later of this promise's due date
    # and now (now without a due date), without and with this promise broken (other
    # promises open now are assumed neither kept nor missed by then)
    at: datetime
    stage_now: Stage  # the stage now, as a report would show it
    stage_then: Stage  # the stage at `at` without this promise
    stage_after: Stage  # the stage at `at` with this promise broken: never above stage_then
    trust_after: float
    distrust_after: float
    serious: bool
    # (b) likelihood: the owner's on-time record for promises of this size, all customers
    on_time: int  # kept on time
    resolved: int  # kept on time + kept late + broken + overdue
    on_time_rate: float | None
    on_time_low: float | None  # Wilson lower bound at 95%
    enough_history: bool
    unlikely: bool
    # (c) over-commitment: other open promises due within CROWDED_WINDOW of this one's due
    customer_due_nearby: int  # to this customer, by any owner
    owner_due_nearby: int  # of this owner, to any customer
    capacity: int  # what the owner's record supports in one window
    over_committed: bool
    risky: bool  # serious and (unlikely or over-committed)
    # What --strict refuses: every risky promise. The only serious promise it lets through
    # (with a warning) is one with no other reason: too short a record to judge likelihood
    # and an owner who is not over-committed.
    refuse: bool
    warning: str | None  # None for a safe promise


def assess_promise(
    *,
    customer: str,
    customer_promises: Iterable[Promise],
    owner: str,
    owner_promises: Iterable[Promise],
    size: Size,
    value: Value,
    made: datetime,
    due: datetime | None,
    now: datetime,
) -> Assessment:
    """The guard: the consequence, likelihood and crowding of a promise before it is made."""
    known = _known_at(customer_promises, now)
    before = score_customer(customer, known, now, detail=False)
    # The consequence is weighed at one moment, the earliest at which this promise can
    # be known to be broken: its due date, or now for one due in the past or never due.
    # (A break after the due date is scored at the due date, SPEC §5.) Comparing two
    # moments would credit the break with what time alone does.
    at = max(due, now) if due is not None else now
    others = [_without_deadline(p) if _open_with_due(p, now) else p for p in known]
    then = score_customer(customer, others, at, detail=False)
    hypothetical = with_promise(
        others,
        made=made,
        due=due,
        size=size,
        value=value,
        owner=owner,
        broken_at=at,
        customer=customer,
    )
    after = score_customer(customer, hypothetical, at, detail=False)
    serious = after.stage in SERIOUS_STAGES or then.stage.rank - after.stage.rank >= SERIOUS_DROP

    owner_key = customer_key(owner)
    mine = [p for p in owner_promises if customer_key(p.owner) == owner_key]
    on_time, resolved = _on_time_record(owner, [p for p in mine if p.size is size], now)
    enough_history = resolved >= ENOUGH_HISTORY
    on_time_low = wilson_lower_bound(on_time, resolved)
    unlikely = enough_history and on_time_low is not None and on_time_low < UNLIKELY_BELOW

    anchor = due if due is not None else now
    customer_due_nearby = _open_due_near(known, anchor, now)
    owner_due_nearby = _open_due_near(mine, anchor, now)
    capacity = max(CAPACITY_FLOOR, _most_kept_on_time_within(mine, now))
    over_committed = owner_due_nearby >= capacity

    risky = serious and (unlikely or over_committed)
    first = before.promises == 0
    warning = None
    if serious and (risky or not enough_history):
        warning = _warning(
            customer=customer,
            size=size,
            first=first,
            stage_now=before.stage,
            stage_then=then.stage,
            stage_after=after.stage,
            on_time=on_time,
            resolved=resolved,
            customer_due_nearby=customer_due_nearby,
            owner_due_nearby=owner_due_nearby,
            capacity=capacity,
            over_committed=over_committed,
        )
    return Assessment(
        customer=customer,
        owner=owner,
        size=size,
        first=first,
        at=at,
        stage_now=before.stage,
        stage_then=then.stage,
        stage_after=after.stage,
        trust_after=after.trust,
        distrust_after=after.distrust,
        serious=serious,
        on_time=on_time,
        resolved=resolved,
        on_time_rate=on_time / resolved if resolved else None,
        on_time_low=on_time_low,
        enough_history=enough_history,
        unlikely=unlikely,
        customer_due_nearby=customer_due_nearby,
        owner_due_nearby=owner_due_nearby,
        capacity=capacity,
        over_committed=over_committed,
        risky=risky,
        refuse=risky,
        warning=warning,
    )


def _on_time_record(owner: str, promises: Sequence[Promise], as_of: datetime) -> tuple[int, int]:
    """(kept on time, resolved) at as_of; resolved = kept on time, kept late, broken, overdue."""
    record = score_customer(owner, promises, as_of, detail=False)
    return record.kept, record.kept + record.kept_late + record.broken + record.overdue


def _open_due_near(promises: Iterable[Promise], anchor: datetime, now: datetime) -> int:
    """How many promises, unresolved at `now`, fall due within CROWDED_WINDOW of `anchor`."""
    count = 0
    for p in promises:
        if p.made > now:
            continue
        state = p.state(now)
        if state.status.resolved or state.due is None:
            continue
        if abs(state.due - anchor) <= CROWDED_WINDOW:
            count += 1
    return count


def _most_kept_on_time_within(promises: Iterable[Promise], now: datetime) -> int:
    """The most promises kept on time by `now` within any one CROWDED_WINDOW."""
    times = sorted(
        state.resolved
        for p in promises
        if p.made <= now
        and (state := p.state(now)).status is Status.KEPT
        and state.resolved is not None
    )
    best = 0
    first = 0
    for last, t in enumerate(times):
        while t - times[first] > CROWDED_WINDOW:
            first += 1
        best = max(best, last - first + 1)
    return best


def _stage_words(stage: Stage) -> str:
    return "a stranger" if stage is Stage.STRANGER else stage.value


def _promises_words(count: int) -> str:
    return f"{count} other promise{'' if count == 1 else 's'}"


def _window_words() -> str:
    return f"within {CROWDED_WINDOW.total_seconds() / 86400:g} days of this one"


def _warning(
    *,
    customer: str,
    size: Size,
    first: bool,
    stage_now: Stage,
    stage_then: Stage,
    stage_after: Stage,
    on_time: int,
    resolved: int,
    customer_due_nearby: int,
    owner_due_nearby: int,
    capacity: int,
    over_committed: bool,
) -> str:
    this = "this first promise" if first else f"this {size.value} promise"
    # Both stages compared are at the due date (stage_after is never above stage_then);
    # when time alone would change the stage by then, the sentence says so.
    verb = "leave" if stage_after is stage_then else "make"
    standing = f"{customer} is {_stage_words(stage_now)}"
    if stage_then is not stage_now:
        standing += f", {_stage_words(stage_then)} by its due date"
    sentences = [f"{standing}; breaking {this} would {verb} it {_stage_words(stage_after)}."]
    if resolved == 0:
        sentences.append("There is no record yet to judge how likely it is to be kept.")
    else:
        rate = f"Your on-time rate for {size.value} promises is {on_time / resolved:.0%} "
        rate += f"({on_time} of {resolved})"
        if resolved < ENOUGH_HISTORY:
            rate += ", too short a record to judge how likely it is to be kept"
        sentences.append(rate + ".")
    if customer_due_nearby:
        verb = "falls" if customer_due_nearby == 1 else "fall"
        sentences.append(
            f"{_promises_words(customer_due_nearby)} to {customer} {verb} due {_window_words()}."
        )
    if over_committed:
        sentences.append(
            f"You already have {_promises_words(owner_due_nearby)} due {_window_words()}; "
            f"your record supports {capacity}."
        )
    return " ".join(sentences)


# -- Agenda -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timing:
    """One action taken now or AGENDA_WAIT later: its cost factor f and the trust after it.

    Both trusts are scored at now + AGENDA_WAIT, so they differ only by the wait.
    """

    cost_now: float
    cost_later: float
    trust_acting_now: float  # the customer's trust at now + AGENDA_WAIT, having acted now
    trust_acting_later: float  # the same, having acted at now + AGENDA_WAIT


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """An overdue promise, or an open one due soon, with what acting on it costs."""

    promise: Promise
    customer: str  # the customer's display name (the first spelling seen)
    status: Status  # OVERDUE or OPEN
    due: datetime  # the current due date
    stage: Stage  # the customer's stage now
    trust: float  # the customer's trust now
    trust_if_kept: float  # the customer's trust now had the promise been kept now
    trust_if_broken: float  # ... or broken now
    stake: float  # trust_if_kept - trust_if_broken: what hangs on this promise now
    renegotiate: Timing  # f = 1 once the due date has passed
    keep_late: Timing | None  # overdue promises only: delivering late (late_cost)


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
        known = _known_at(theirs, now)
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


# -- Owners -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnerReport:
    """One owner's promises across customers: counts, on-time rate and streaks."""

    owner: str
    customers: int  # customers with a promise of this owner that counts
    promises: int  # made by as_of and not cancelled: open + overdue + kept + kept_late + broken
    open: int
    overdue: int
    kept: int  # kept on time
    kept_late: int
    broken: int
    cancelled: int
    renegotiated: int  # renegotiation events
    on_time_rate: float | None  # kept / (kept + kept_late + broken + overdue)
    on_time_low: float | None  # its Wilson lower bound at 95%
    streak: int  # on-time keeps since the last failure, as SPEC §5's streak
    longest_streak: int


def owner_report(owner: str, promises: Iterable[Promise], as_of: datetime) -> OwnerReport:
    """The report of one owner (matched by key) over their promises to every customer."""
    key = customer_key(owner)
    mine = [p for p in promises if customer_key(p.owner) == key]
    # Counts and streaks do not depend on whose promises they are: score them as if one
    # customer's, which is SPEC §5's definition applied to the owner's promises.
    record = score_customer(owner, mine, as_of, detail=False)
    resolved = record.kept + record.kept_late + record.broken + record.overdue
    counting = {
        customer_key(p.customer)
        for p in mine
        if p.made <= as_of and p.state(as_of).status is not Status.CANCELLED
    }
    return OwnerReport(
        owner=owner,
        customers=len(counting),
        promises=record.promises,
        open=record.open,
        overdue=record.overdue,
        kept=record.kept,
        kept_late=record.kept_late,
        broken=record.broken,
        cancelled=record.cancelled,
        renegotiated=record.renegotiated,
        on_time_rate=record.kept / resolved if resolved else None,
        on_time_low=wilson_lower_bound(record.kept, resolved),
        streak=record.streak,
        longest_streak=record.longest_streak,
    )


def owner_reports(promises: Iterable[Promise], as_of: datetime) -> list[OwnerReport]:
    """One OwnerReport per owner with a promise made by as_of, ordered by name (casefold)."""
    by_owner: dict[str, list[Promise]] = {}
    names: dict[str, str] = {}
    for p in promises:
        if p.made > as_of:
            continue
        key = customer_key(p.owner)
        by_owner.setdefault(key, []).append(p)
        names.setdefault(key, fold_name(p.owner))
    reports = [owner_report(names[key], theirs, as_of) for key, theirs in by_owner.items()]
    reports.sort(key=lambda r: (r.owner.casefold(), r.owner))
    return reports
