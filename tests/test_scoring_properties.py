"""Properties of the trust model that hold for every ledger (SPEC §5), checked with hypothesis."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledgers import EPOCH, day, ledger, to_promises, weekly
from marrycli.domain import CustomerReport, Event, EventKind, Promise, Size, Status, Value
from marrycli.model.scoring import renegotiation_cost, score_customer

PROPERTY = settings(max_examples=200, deadline=None)
CUSTOMER = "Acme Corp"
LAST_HOUR = 24 * 260  # every generated time is before this
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def hour(hours: int) -> datetime:
    return EPOCH + timedelta(hours=hours)


def score(promises: list[Promise], as_of: datetime) -> CustomerReport:
    return score_customer(CUSTOMER, promises, as_of)


# -- random valid ledgers --------------------------------------------------------------

_TERMINAL = (EventKind.KEPT, EventKind.BROKEN, EventKind.CANCELLED)
_gaps = st.one_of(st.sampled_from([0, 1, 24, 24 * 7]), st.integers(0, 24 * 30))


def _current_terms(due: datetime | None, standing: list[Event]) -> tuple[datetime | None, bool]:
    """The due date after the standing events, and whether they resolved the promise."""
    for event in standing:
        if event.kind is EventKind.RENEGOTIATED:
            due = event.due
    return due, bool(standing) and standing[-1].kind in _TERMINAL


@st.composite
def ledgers(draw: st.DrawFn, min_promises: int = 0, max_promises: int = 5) -> list[Promise]:
    """A few promises of one customer, each with a history the CLI would accept.

    Every event is at or after the promise's `made` and its last standing event; a
    renegotiation moves the due date of an open promise to after its time; a void
    (`undo`) cancels the last standing event.
    """
    promises = []
    event_ids = itertools.count(1)
    for pid in range(1, draw(st.integers(min_promises, max_promises)) + 1):
        made = hour(draw(st.integers(0, 24 * 120)))
        has_due = draw(st.integers(0, 4)) > 0
        due = made + timedelta(hours=draw(st.integers(1, 24 * 40))) if has_due else None
        events: list[Event] = []
        standing: list[Event] = []
        for _ in range(draw(st.integers(0, 4))):
            current_due, resolved = _current_terms(due, standing)
            choices = ["undo"] if standing else []
            if not resolved:
                choices += ["kept", "broken", "cancelled"]
                if current_due is not None:
                    choices.append("renegotiated")
            last = standing[-1].at if standing else made
            at = last + timedelta(hours=draw(_gaps))
            action = draw(st.sampled_from(choices))
            if action == "undo":
                target = standing.pop()
                when = max(e.at for e in events) + timedelta(hours=draw(_gaps))
                event = Event(next(event_ids), pid, EventKind.VOID, when, voids=target.id)
            elif action == "renegotiated":
                new_due = at + timedelta(hours=draw(st.integers(1, 24 * 40)))
                event = Event(next(event_ids), pid, EventKind.RENEGOTIATED, at, due=new_due)
                standing.append(event)
            else:
                event = Event(next(event_ids), pid, EventKind(action), at)
                standing.append(event)
            events.append(event)
        promises.append(
            Promise(
                id=pid,
                customer=CUSTOMER,
                text=f"promise {pid}",
                made=made,
                due=due,
                size=draw(st.sampled_from(Size)),
                value=draw(st.sampled_from(Value)),
                owner="tester",
                events=tuple(events),
            )
        )
    return promises


as_ofs = st.integers(0, LAST_HOUR).map(hour)
hours_after = st.integers(0, 24 * 30).map(lambda h: timedelta(hours=h))


def with_event(promises: list[Promise], pid: int, make: Callable[[int], Event]) -> list[Promise]:
    """The ledger with one more event, made by `make(event id)`, on promise `pid`."""
    new_id = 1 + max((e.id for p in promises for e in p.events), default=0)
    event = make(new_id)
    return [p._replace(events=(*p.events, event)) if p.id == pid else p for p in promises]


def without_event(promises: list[Promise], event_id: int) -> list[Promise]:
    return [p._replace(events=tuple(e for e in p.events if e.id != event_id)) for p in promises]


def new_promise(
    promises: list[Promise],
    made: datetime,
    due: datetime | None,
    *,
    size: Size = Size.SMALL,
    value: Value = Value.HIGH,
    events: tuple[tuple[EventKind, datetime], ...] = (),
) -> list[Promise]:
    """The ledger with one more promise, numbered after all the others."""
    pid = 1 + max((p.id for p in promises), default=0)
    first = 1 + max((e.id for p in promises for e in p.events), default=0)
    recorded = tuple(Event(first + i, pid, kind, at) for i, (kind, at) in enumerate(events))
    added = Promise(pid, CUSTOMER, "added", made, due, size, value, "tester", events=recorded)
    return [*promises, added]


def open_at(promises: list[Promise], as_of: datetime) -> list[Promise]:
    """Promises open (not overdue) at as_of whose standing events are all by then."""
    return [
        p
        for p in promises
        if p.made <= as_of
        and p.state(as_of).status is Status.OPEN
        and all(e.at <= as_of for e in p.standing_events())
    ]


def last_standing(p: Promise) -> datetime:
    standing = p.standing_events()
    return standing[-1].at if standing else p.made


# -- properties ------------------------------------------------------------------------


@PROPERTY
@given(ledgers(), as_ofs)
def test_trust_distrust_and_uncertainty_sum_to_one(
    promises: list[Promise], as_of: datetime
) -> None:
    report = score(promises, as_of)
    assert abs(report.trust + report.distrust + report.uncertainty - 1) <= 1e-12
    assert 0 <= report.trust <= 1 and 0 <= report.distrust <= 1 and 0 < report.uncertainty <= 1
    assert report.promises == (
        report.open + report.overdue + report.kept + report.kept_late + report.broken
    )
    assert len(report.timeline) == len(report.contributions)


@PROPERTY
@given(ledgers(), as_ofs, st.data())
def test_a_failure_added_anywhere_never_raises_trust(
    promises: list[Promise], as_of: datetime, data: st.DataObject
) -> None:
    candidates = open_at(promises, as_of)
    choices = ["new broken", "new kept late", "new overdue"]
    if candidates:
        choices += ["break an open promise", "renegotiate an open promise"]
    failure = data.draw(st.sampled_from(choices))
    size = data.draw(st.sampled_from(Size))
    value = data.draw(st.sampled_from(Value))
    # made < due < at <= as_of (for a broken one, due may also come after the break)
    hours = st.integers(1, 24 * 60).map(lambda h: timedelta(hours=h))
    at = as_of - data.draw(hours_after)
    due = at - data.draw(hours)
    made = due - data.draw(hours)
    if failure == "new broken":
        due = data.draw(st.sampled_from([due, at, at + data.draw(hours)]))
        failing = new_promise(
            promises, made, due, size=size, value=value, events=((EventKind.BROKEN, at),)
        )
    elif failure == "new kept late":
        failing = new_promise(
            promises, made, due, size=size, value=value, events=((EventKind.KEPT, at),)
        )
    elif failure == "new overdue":
        failing = new_promise(promises, made, due, size=size, value=value)
    else:
        p = data.draw(st.sampled_from(candidates))
        at = max(last_standing(p), as_of - data.draw(hours_after))
        if failure == "break an open promise":
            failing = with_event(promises, p.id, lambda i: Event(i, p.id, EventKind.BROKEN, at))
        else:
            new_due = max(at, as_of) + data.draw(hours_after) + timedelta(hours=1)
            failing = with_event(
                promises,
                p.id,
                lambda i: Event(i, p.id, EventKind.RENEGOTIATED, at, due=new_due),
            )
    assert score(failing, as_of).trust <= score(promises, as_of).trust


def unresolved_at(promises: list[Promise], moment: datetime) -> list[Promise]:
    """Promises open or overdue at `moment` whose standing events are all by then."""
    return [
        p
        for p in promises
        if p.made <= moment
        and p.state(moment).status in (Status.OPEN, Status.OVERDUE)
        and all(e.at <= moment for e in p.standing_events())
    ]


@PROPERTY
@given(ledgers(min_promises=1), st.data())
def test_breaking_an_overdue_promise_changes_trust_and_distrust_by_nothing(
    promises: list[Promise], data: st.DataObject
) -> None:
    # SPEC §5: it was felt as broken at its due date, so a break recorded after the due
    # date changes nothing, at any moment; a renegotiation after it changes nothing until
    # the new due date is missed.
    candidates = [p for p in promises if p.state(FAR_FUTURE).status is Status.OVERDUE]
    assume(candidates)
    p = data.draw(st.sampled_from(candidates))
    due = p.state(FAR_FUTURE).due
    assert due is not None
    at = max(last_standing(p), due + timedelta(hours=1)) + data.draw(hours_after)
    as_of = data.draw(st.one_of(st.just(at), as_ofs, hours_after.map(lambda d: at + d)))
    before = score(promises, as_of)
    if data.draw(st.booleans()):
        broken = with_event(promises, p.id, lambda i: Event(i, p.id, EventKind.BROKEN, at))
        after = score(broken, as_of)
    else:
        new_due = max(at, as_of) + data.draw(hours_after) + timedelta(hours=1)
        moved = with_event(
            promises, p.id, lambda i: Event(i, p.id, EventKind.RENEGOTIATED, at, due=new_due)
        )
        after = score(moved, as_of)
    assert (after.trust, after.distrust) == (before.trust, before.distrust)
    assert after.uncertainty == before.uncertainty and after.stage is before.stage


@PROPERTY
@given(ledgers(min_promises=1), st.data())
def test_no_break_ever_raises_trust(promises: list[Promise], data: st.DataObject) -> None:
    # what `marry whatif ID --break [--at WHEN]` shows: before and after, at the break
    at = data.draw(as_ofs)
    candidates = unresolved_at(promises, at)
    assume(candidates)
    p = data.draw(st.sampled_from(candidates))
    broken = with_event(promises, p.id, lambda i: Event(i, p.id, EventKind.BROKEN, at))
    before, after = score(promises, at), score(broken, at)
    assert after.trust <= before.trust
    assert after.distrust >= before.distrust
    assert after.stage.rank <= before.stage.rank
    # and later, while it would otherwise still be open (once it would be overdue, the
    # two ledgers hold a failure each, at different times: not "a failure added")
    later = at + data.draw(hours_after)
    due = p.state(at).due
    if due is None or later <= due or p.state(at).status is Status.OVERDUE:
        assert score(broken, later).trust <= score(promises, later).trust


@PROPERTY
@given(ledgers(), as_ofs, st.data())
def test_an_on_time_keep_of_an_unvalued_promise_never_changes_trust(
    promises: list[Promise], as_of: datetime, data: st.DataObject
) -> None:
    # a new unvalued promise, kept on time, scored at any moment
    made, at = sorted(data.draw(st.lists(as_ofs, min_size=2, max_size=2)))
    due = data.draw(st.one_of(st.none(), st.just(at), hours_after.map(lambda d: at + d)))
    size = data.draw(st.sampled_from(Size))
    added = new_promise(
        promises, made, due, size=size, value=Value.NONE, events=((EventKind.KEPT, at),)
    )
    assert score(added, as_of).trust == score(promises, as_of).trust
    # an open unvalued promise of the ledger, kept on time
    candidates = [p for p in open_at(promises, as_of) if p.value is Value.NONE]
    if candidates:
        p = data.draw(st.sampled_from(candidates))
        at = max(last_standing(p), as_of - data.draw(hours_after))
        kept = with_event(promises, p.id, lambda i: Event(i, p.id, EventKind.KEPT, at))
        assert score(kept, as_of).trust == score(promises, as_of).trust


@PROPERTY
@given(ledgers(), as_ofs, st.data())
def test_keeping_a_valued_promise_on_time_never_lowers_trust(
    promises: list[Promise], as_of: datetime, data: st.DataObject
) -> None:
    candidates = [p for p in open_at(promises, as_of) if p.value is not Value.NONE]
    if not candidates or data.draw(st.booleans()):
        made = as_of - data.draw(hours_after)
        due = data.draw(st.one_of(st.none(), hours_after.map(lambda d: as_of + d)))
        value = data.draw(st.sampled_from([Value.LOW, Value.HIGH]))
        size = data.draw(st.sampled_from(Size))
        promises = new_promise(promises, made, due, size=size, value=value)
        candidates = [promises[-1]]
    p = data.draw(st.sampled_from(candidates))
    at = max(last_standing(p), as_of - data.draw(hours_after))
    kept = with_event(promises, p.id, lambda i: Event(i, p.id, EventKind.KEPT, at))
    with_keep = score(kept, at)
    assert with_keep.trust >= score(promises, at).trust
    (keep,) = [c for c in with_keep.contributions if c.promise_id == p.id and c.kind == "kept"]
    assert keep.trust_after >= keep.trust_before
    # and it leaves the customer no worse off later, whatever happens to the promise instead
    later = as_of + data.draw(hours_after)
    assert score(kept, later).trust >= score(promises, later).trust


@PROPERTY
@given(
    st.floats(0.001, 400, allow_nan=False),
    st.floats(0, 1.2, allow_nan=False),
    st.floats(0, 1.2, allow_nan=False),
)
def test_renegotiation_cost_never_decreases_as_notice_shrinks(
    horizon: float, earlier: float, later: float
) -> None:
    made, due = day(0), day(horizon)
    first, second = sorted((earlier, later))
    cost_early = renegotiation_cost(made, due, day(horizon * first))
    cost_late = renegotiation_cost(made, due, day(horizon * second))
    assert 0.1 - 1e-12 <= cost_early <= cost_late <= 1


def test_three_of_three_kept_beats_every_placement_of_three_breaks_among_fifteen() -> None:
    three = ledger(weekly(3))
    three_trust = score(to_promises(three), day(three.as_of)).trust
    for broken_at in itertools.combinations(range(15), 3):
        fifteen = ledger(weekly(15, broken_at=broken_at))
        report = score(to_promises(fifteen), day(fifteen.as_of))
        assert report.trust < three_trust, broken_at


@PROPERTY
@given(ledgers(min_promises=1), as_ofs, st.data())
def test_voiding_an_event_is_never_recording_it(
    promises: list[Promise], as_of: datetime, data: st.DataObject
) -> None:
    events = [e for p in promises for e in p.standing_events()]
    assume(events)
    target = data.draw(st.sampled_from(events))
    when = data.draw(as_ofs)  # a void counts whenever it was recorded
    voided = with_event(
        promises,
        target.promise_id,
        lambda i: Event(i, target.promise_id, EventKind.VOID, when, voids=target.id),
    )
    assert score(voided, as_of) == score(without_event(promises, target.id), as_of)


@PROPERTY
@given(ledgers(min_promises=1), st.data())
def test_cancelling_a_promise_is_never_making_it(
    promises: list[Promise], data: st.DataObject
) -> None:
    candidates = [
        p for p in promises if not any(e.kind is EventKind.CANCELLED for e in p.standing_events())
    ]
    assume(candidates)
    p = data.draw(st.sampled_from(candidates))
    at = last_standing(p) + data.draw(hours_after)
    as_of = at + data.draw(hours_after)
    cancelled = with_event(promises, p.id, lambda i: Event(i, p.id, EventKind.CANCELLED, at))
    never_made = score([q for q in promises if q.id != p.id], as_of)
    report = score(cancelled, as_of)
    assert report.trust == never_made.trust
    assert report == dataclasses.replace(never_made, cancelled=never_made.cancelled + 1)
    # before the cancellation, the promise counts as if it had never been cancelled
    before = at - timedelta(hours=data.draw(st.integers(1, 24 * 60)))
    assert score(cancelled, before) == score(promises, before)


@PROPERTY
@given(ledgers(min_promises=1), st.data())
def test_an_event_after_as_of_does_not_count(promises: list[Promise], data: st.DataObject) -> None:
    events = [e for p in promises for e in p.events if e.kind is not EventKind.VOID]
    assume(events)
    target = data.draw(st.sampled_from(events))
    before = target.at - timedelta(hours=data.draw(st.integers(1, 24 * 60)))
    assert score(promises, before) == score(without_event(promises, target.id), before)


@PROPERTY
@given(ledgers(min_promises=1), st.data())
def test_a_promise_made_after_as_of_does_not_count(
    promises: list[Promise], data: st.DataObject
) -> None:
    assume(promises)
    p = data.draw(st.sampled_from(promises))
    before = p.made - timedelta(hours=data.draw(st.integers(1, 24 * 60)))
    assert score(promises, before) == score([q for q in promises if q.id != p.id], before)


@PROPERTY
@given(ledgers(), as_ofs)
def test_the_ledger_strategy_makes_valid_histories(
    promises: list[Promise], as_of: datetime
) -> None:
    for p in promises:
        standing = p.standing_events()
        times = [p.made] + [e.at for e in standing]
        assert times == sorted(times)
        resolved = [e for e in standing if e.kind in _TERMINAL]
        assert resolved == standing[-1:] or not resolved
        report = score([p], as_of)
        status = p.state(as_of).status
        expected = {
            Status.OPEN: "open",
            Status.OVERDUE: "overdue",
            Status.KEPT: "kept",
            Status.KEPT_LATE: "kept_late",
            Status.BROKEN: "broken",
            Status.CANCELLED: "cancelled",
        }[status]
        if p.made <= as_of:
            assert getattr(report, expected) == 1
