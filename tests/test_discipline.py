"""Promise discipline (issue 5): hypotheticals, what-if, error budget, the guard, agenda, owners."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgers import (
    CUSTOMER,
    OWNER,
    WORKED_EXAMPLES,
    PromiseSpec,
    Step,
    broken,
    cancelled,
    day,
    every,
    kept,
    ledger,
    promise,
    renegotiated,
    to_promises,
)
from marrycli.domain import (
    Assessment,
    CustomerReport,
    Event,
    EventKind,
    Promise,
    Size,
    Stage,
    Status,
    Value,
    customer_key,
)
from marrycli.model import discipline
from marrycli.model.agenda import AGENDA_WAIT, RENEGOTIATE_FOR, agenda
from marrycli.model.discipline import (
    BUDGET_CAP,
    BUDGET_SPACING,
    error_budget,
    what_if,
    with_event,
    with_promise,
)
from marrycli.model.guard import CAPACITY_FLOOR, ENOUGH_HISTORY, UNLIKELY_BELOW, assess_promise
from marrycli.model.owners import owner_report, owner_reports
from marrycli.model.scoring import late_cost, renegotiation_cost, score_customer, wilson_lower_bound

PROPERTY = settings(max_examples=200, deadline=None)
OTHER = "Other Co"


def score(promises: Sequence[Promise], as_of: datetime) -> CustomerReport:
    return score_customer(CUSTOMER, promises, as_of)


def build(*entries: tuple[str, str, PromiseSpec], undo: Sequence[int] = ()) -> list[Promise]:
    """Promises numbered from 1 from (customer, owner, spec), event ids unique across all.

    The promises whose index is in `undo` get a void of their last event, an hour after it.
    """
    promises = []
    event_id = 0
    for index, (customer, owner, spec) in enumerate(entries):
        pid = index + 1
        events = []
        for step in spec.steps:
            event_id += 1
            new_due = None if step.due is None else day(step.due)
            events.append(Event(event_id, pid, step.kind, day(step.at), new_due, owner=owner))
        if index in undo and events:
            event_id += 1
            last = events[-1]
            events.append(
                Event(event_id, pid, EventKind.VOID, last.at + timedelta(hours=1), voids=last.id)
            )
        promises.append(
            Promise(
                id=pid,
                customer=customer,
                text=spec.text,
                made=day(spec.made),
                due=None if spec.due is None else day(spec.due),
                size=spec.size,
                value=spec.value,
                owner=owner,
                events=tuple(events),
            )
        )
    return promises


def of(
    customer: str, specs: Sequence[PromiseSpec], owner: str = OWNER
) -> list[tuple[str, str, PromiseSpec]]:
    return [(customer, owner, spec) for spec in specs]


# -- hypothetical ledgers --------------------------------------------------------------


def test_with_event_appends_one_event_numbered_after_all_others() -> None:
    promises = build(*of(CUSTOMER, every(7, 3)), *of(OTHER, [promise(0, 30)]))
    before = list(promises)
    changed = with_event(promises, 4, EventKind.RENEGOTIATED, day(10), due=day(40))
    assert promises == before  # the input is left alone
    assert changed[:3] == promises[:3]
    (event,) = changed[3].events
    assert event == Event(4, 4, EventKind.RENEGOTIATED, day(10), day(40))
    assert changed[3].state(day(35)).status is Status.OPEN


def test_with_event_refuses_what_recording_would() -> None:
    promises = build(*of(CUSTOMER, [promise(0, 30)]))
    with pytest.raises(KeyError):
        with_event(promises, 99, EventKind.KEPT, day(1))
    with pytest.raises(ValueError, match="renegotiation"):
        with_event(promises, 1, EventKind.RENEGOTIATED, day(1))
    with pytest.raises(ValueError, match="renegotiation"):
        with_event(promises, 1, EventKind.KEPT, day(1), due=day(40))
    with pytest.raises(ValueError, match="void"):
        with_event(promises, 1, EventKind.VOID, day(1))


def test_with_promise_adds_one_numbered_after_all_others() -> None:
    promises = build(*of(CUSTOMER, every(7, 2)))
    added = with_promise(
        promises,
        made=day(14),
        due=day(21),
        size=Size.LARGE,
        value=Value.LOW,
        owner="ann",
        broken_at=day(20),
    )
    assert added[:2] == promises and len(added) == 3
    new = added[2]
    assert (new.id, new.customer, new.owner, new.size, new.value) == (
        3,
        CUSTOMER,
        "ann",
        Size.LARGE,
        Value.LOW,
    )
    assert new.events == (Event(3, 3, EventKind.BROKEN, day(20)),)
    assert new.state(day(20)).status is Status.BROKEN
    plain = with_promise(
        [], made=day(0), due=None, size=Size.SMALL, value=Value.HIGH, owner="ann", customer="X"
    )
    assert plain[0].id == 1 and plain[0].events == () and plain[0].customer == "X"


# -- what-if ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "at", "due", "example"),
    [
        (EventKind.RENEGOTIATED, 106, 150, "V8"),
        (EventKind.RENEGOTIATED, 119, 150, "V9"),
        (EventKind.BROKEN, 120, None, "V10"),
        (EventKind.KEPT, 121, None, "V11"),
    ],
)
def test_what_if_is_what_recording_then_reporting_gives(
    kind: EventKind, at: float, due: float | None, example: str
) -> None:
    open_v8 = to_promises(ledger(every(15, 6), promise(90, 120, size=Size.MEDIUM)))
    new_due = None if due is None else day(due)
    before, after = what_if(CUSTOMER, open_v8, 7, kind, day(at), new_due)
    assert before == score(open_v8, day(at))
    assert after == score(with_event(open_v8, 7, kind, day(at), new_due), day(at))
    # ... which is the worked example that records this event
    spec, trust, _distrust, stage, *_ = WORKED_EXAMPLES[example]
    recorded = score(to_promises(spec), day(at))
    assert (after.trust, after.distrust, after.stage) == (
        recorded.trust,
        recorded.distrust,
        recorded.stage,
    )
    assert after.trust == pytest.approx(trust, abs=1e-4)
    assert after.stage == stage


# -- error budget ----------------------------------------------------------------------


def stage_after_breaks(promises: list[Promise], as_of: datetime, size: Size, count: int) -> Stage:
    """The stage after recording `count` breaks as the budget describes them, then reporting."""
    pid = max((p.id for p in promises), default=0)
    eid = max((e.id for p in promises for e in p.events), default=0)
    breaks = [
        Promise(
            pid + i,
            CUSTOMER,
            "break",
            as_of,
            None,
            size,
            Value.HIGH,
            OWNER,
            events=(Event(eid + i, pid + i, EventKind.BROKEN, as_of + BUDGET_SPACING * i),),
        )
        for i in range(1, count + 1)
    ]
    return score([*promises, *breaks], as_of + BUDGET_SPACING * count).stage


@pytest.mark.parametrize(
    ("example", "budget"),
    [
        ("V1", (0, 0, 0)),  # dating on three kept promises: any break makes it strained
        ("V2", (3, 1, 0)),  # strained: breaks until estranged
        ("V5", (0, 0, 0)),  # estranged already
        ("V6", (3, 0, 0)),
        ("V13", (6, 0, 0)),
    ],
)
def test_error_budget_of_worked_examples(example: str, budget: tuple[int, int, int]) -> None:
    spec = WORKED_EXAMPLES[example][0]
    promises = to_promises(spec)
    as_of = day(spec.as_of)
    found = error_budget(CUSTOMER, promises, as_of)
    assert found == dict(zip(Size, budget, strict=True))
    current = score(promises, as_of).stage
    for size in Size:
        if current is not Stage.ESTRANGED:
            assert stage_after_breaks(promises, as_of, size, found[size]).rank >= current.rank
            assert stage_after_breaks(promises, as_of, size, found[size] + 1).rank < current.rank


def test_error_budget_at_the_cap_means_at_least(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = WORKED_EXAMPLES["V13"][0]  # absorbs 6 small breaks
    promises = to_promises(spec)
    monkeypatch.setattr(discipline, "BUDGET_CAP", 4)
    assert error_budget(CUSTOMER, promises, day(spec.as_of))[Size.SMALL] == 4
    monkeypatch.setattr(discipline, "BUDGET_CAP", 6)
    assert error_budget(CUSTOMER, promises, day(spec.as_of))[Size.SMALL] == 6
    assert BUDGET_CAP == 50


def test_error_budget_uses_the_ledger_as_it_stood_at_as_of() -> None:
    spec = WORKED_EXAMPLES["V13"][0]
    promises = to_promises(spec)
    as_of = day(spec.as_of)
    later_break = with_promise(
        promises,
        made=day(spec.as_of - 1),
        due=None,
        size=Size.LARGE,
        value=Value.HIGH,
        owner=OWNER,
        broken_at=as_of + timedelta(seconds=2),
    )
    assert error_budget(CUSTOMER, later_break, as_of) == error_budget(CUSTOMER, promises, as_of)


def test_error_budget_of_a_new_customer_is_nothing() -> None:
    assert error_budget("Nobody", [], day(0)) == dict.fromkeys(Size, 0)


# -- the guard -------------------------------------------------------------------------

NOW = 140.0  # Acme Corp: ten small promises kept every 14 days by then, so trusted
ACME = of(CUSTOMER, every(14, 10))


def guard(
    entries: list[tuple[str, str, PromiseSpec]],
    *,
    size: Size,
    due: float | None = NOW + 7,
    customer: str = CUSTOMER,
    owner: str = OWNER,
    now: float = NOW,
    made: float | None = None,
) -> Assessment:
    promises = build(*entries)
    return assess_promise(
        customer=customer,
        customer_promises=[
            p for p in promises if customer_key(p.customer) == customer_key(customer)
        ],
        owner=owner,
        owner_promises=promises,  # the guard keeps those of `owner` itself
        size=size,
        value=Value.HIGH,
        made=day(now if made is None else made),
        due=None if due is None else day(due),
        now=day(now),
    )


def large_record(kept_count: int, broken_count: int) -> list[tuple[str, str, PromiseSpec]]:
    """The owner's large promises to another customer: weekly, the first ones broken."""
    total = kept_count + broken_count
    return of(OTHER, every(7, total, broken_at=range(broken_count), size=Size.LARGE))


def test_the_guard_is_silent_on_a_safe_promise() -> None:
    found = guard(ACME, size=Size.SMALL)  # the owner has kept all ten small ones on time
    assert found.stage_now is Stage.TRUSTED
    assert found.stage_after.rank >= Stage.DATING.rank
    assert (found.on_time, found.resolved) == (10, 10)
    assert found.enough_history and not found.unlikely
    assert not found.serious and not found.risky and not found.refuse
    assert found.warning is None


def test_the_guard_warns_on_a_risky_promise_and_refuses_it_with_enough_history() -> None:
    found = guard(ACME + large_record(8, 5), size=Size.LARGE)
    assert (found.stage_now, found.stage_after) == (Stage.TRUSTED, Stage.STRAINED)
    assert found.serious
    assert (found.on_time, found.resolved) == (8, 13)
    assert found.on_time_rate == pytest.approx(8 / 13)
    assert found.on_time_low == wilson_lower_bound(8, 13)
    assert found.enough_history and found.unlikely
    assert not found.over_committed
    assert found.risky and found.refuse
    assert found.warning == (
        "Acme Corp is trusted; breaking this large promise would make it strained. "
        "Your on-time rate for large promises is 62% (8 of 13)."
    )


def test_a_serious_promise_with_a_good_record_is_safe() -> None:
    found = guard(ACME + large_record(10, 0), size=Size.LARGE)
    assert found.serious and found.enough_history and not found.unlikely
    assert not found.risky and not found.refuse
    assert found.warning is None


def test_a_serious_promise_with_no_other_reason_than_a_short_record_is_only_warned_of() -> None:
    found = guard(ACME + large_record(2, 2), size=Size.LARGE)
    assert found.serious and not found.enough_history and not found.unlikely
    assert not found.over_committed
    assert not found.risky and not found.refuse
    assert found.warning == (
        "Acme Corp is trusted; breaking this large promise would make it strained. "
        "Your on-time rate for large promises is 50% (2 of 4), too short a record to judge "
        "how likely it is to be kept."
    )


def test_a_first_promise_to_a_new_customer_is_serious_but_not_refused() -> None:
    found = guard([], size=Size.MEDIUM, customer="Newco")
    assert found.first
    assert (found.stage_now, found.stage_after) == (Stage.STRANGER, Stage.ESTRANGED)
    assert found.serious and not found.refuse and not found.risky
    assert found.warning == (
        "Newco is a stranger; breaking this first promise would make it estranged. "
        "There is no record yet to judge how likely it is to be kept."
    )


def test_a_perfect_record_of_just_enough_history_is_never_unlikely() -> None:
    low = wilson_lower_bound(ENOUGH_HISTORY, ENOUGH_HISTORY)
    assert low is not None and low >= UNLIKELY_BELOW
    found = guard(ACME + large_record(ENOUGH_HISTORY, 0), size=Size.LARGE)
    assert found.enough_history and not found.unlikely and found.warning is None


def test_over_commitment_makes_a_serious_promise_risky() -> None:
    # Three other open promises of this owner fall due within 7 days of this one's due
    # (day 147): two to Acme Corp, one to another customer; one due later is too far.
    crowded = [
        (CUSTOMER, OWNER, promise(130, 145)),
        (CUSTOMER, OWNER, promise(130, 152)),
        (OTHER, OWNER, promise(130, 141)),
        (OTHER, OWNER, promise(130, 160)),
        (OTHER, "someone else", promise(130, 147)),
    ]
    found = guard(ACME + large_record(10, 0) + crowded, size=Size.LARGE)
    assert found.customer_due_nearby == 2
    assert found.owner_due_nearby == 3
    assert found.capacity == CAPACITY_FLOOR == 3
    assert found.over_committed and found.serious and found.risky and found.refuse
    assert found.warning == (
        "Acme Corp is trusted; breaking this large promise would make it strained. "
        "Your on-time rate for large promises is 100% (10 of 10). "
        "2 other promises to Acme Corp fall due within 7 days of this one. "
        "You already have 3 other promises due within 7 days of this one; "
        "your record supports 3."
    )


def test_a_short_record_does_not_exempt_an_over_committed_owner() -> None:
    # Issue 8: a strained customer, an owner with 4 other promises due that week and a
    # record of 2 large promises: risky, and refused with --strict (the short record
    # is no exemption when there is another reason).
    strained = of(CUSTOMER, every(14, 3, broken_at=[2]))  # kept, kept, broken: strained
    week = of(CUSTOMER, [promise(40, 45 + i) for i in range(4)])
    found = guard(strained + large_record(1, 1) + week, size=Size.LARGE, now=42, due=47)
    assert found.stage_now is Stage.STRAINED and found.serious
    assert (found.on_time, found.resolved) == (1, 2) and not found.enough_history
    assert found.owner_due_nearby == 4 and found.over_committed
    assert found.risky and found.refuse
    assert found.warning is not None and "your record supports 3" in found.warning
    # the same promise with one fewer promise due that week is a warning only
    found = guard(strained + large_record(1, 1) + week[:2], size=Size.LARGE, now=42, due=47)
    assert found.serious and not found.over_committed and not found.enough_history
    assert not found.risky and not found.refuse and found.warning is not None


def test_an_owner_who_kept_more_at_once_is_trusted_with_more() -> None:
    busy_week = of(OTHER, [promise(116, 117 + i, kept(117 + i)) for i in range(5)])
    crowded = of(OTHER, [promise(130, 145 + i) for i in range(4)])
    found = guard(ACME + busy_week + crowded, size=Size.LARGE)
    assert found.capacity == 5  # five kept on time within 7 days
    assert found.owner_due_nearby == 4 and not found.over_committed
    found = guard(ACME + busy_week + crowded + crowded[:1], size=Size.LARGE)
    assert found.over_committed


def test_without_a_due_date_the_break_is_now_and_crowding_counts_from_now() -> None:
    nearby = [(OTHER, OWNER, promise(130, NOW + 3)), (OTHER, OWNER, promise(130, NOW + 10))]
    found = guard(ACME + nearby, size=Size.LARGE, due=None, made=NOW - 5)
    assert found.at == day(NOW)
    assert found.owner_due_nearby == 1
    assert (found.stage_then, found.stage_after) == (Stage.TRUSTED, Stage.STRAINED)


def test_the_consequence_compares_two_stages_at_the_due_date() -> None:
    # Six small promises kept every 10 days from day 10: dating on day 60 (trust 0.75,
    # 6 valued kept, but an age of 50 days), trusted from day 70 (age 60) on.
    record = of(CUSTOMER, every(10, 6))
    found = guard(record, size=Size.LARGE, now=60, due=75)
    assert found.at == day(75)
    assert (found.stage_now, found.stage_then, found.stage_after) == (
        Stage.DATING,
        Stage.TRUSTED,
        Stage.STRAINED,
    )
    assert found.warning is not None
    assert found.warning.startswith(
        "Acme Corp is dating, trusted by its due date; "
        "breaking this large promise would make it strained."
    )


def test_a_backdated_promise_is_weighed_now_and_a_break_never_helps() -> None:
    # Issue 8: an overdue large promise has made the customer estranged; a small promise
    # made and due in the past is weighed now, with the overdue one felt as broken. (It
    # once compared the stage now with the stage at the past due date, before the large
    # one was due, and said a break would make the customer strained.)
    overdue = of(CUSTOMER, [*every(7, 2), promise(14, 30, size=Size.LARGE)])
    found = guard(overdue, size=Size.SMALL, now=40, made=20, due=25)
    assert found.at == day(40)
    assert found.stage_now is found.stage_then is found.stage_after is Stage.ESTRANGED
    assert found.warning is not None
    assert found.warning.startswith(
        "Acme Corp is estranged; breaking this small promise would leave it estranged."
    )


def test_the_consequence_is_of_this_break_alone() -> None:
    # An open promise due before this one would be overdue by then; its fate is unknown
    # at promise time, so it does not make this promise's consequence look worse.
    pending = [(CUSTOMER, OWNER, promise(138, NOW + 2, size=Size.LARGE))]
    alone = guard(ACME, size=Size.SMALL)
    with_pending = guard(ACME + pending, size=Size.SMALL)
    assert (with_pending.stage_after, with_pending.trust_after) == (
        alone.stage_after,
        alone.trust_after,
    )
    assert with_pending.customer_due_nearby == 1 and alone.customer_due_nearby == 0
    # ... but one already overdue is felt as broken, and counts
    overdue = [(CUSTOMER, OWNER, promise(120, NOW - 1, size=Size.LARGE))]
    assert guard(ACME + overdue, size=Size.SMALL).trust_after < alone.trust_after


def test_the_owner_record_is_matched_by_key_and_by_size() -> None:
    record = [(OTHER, " TESTER ", spec) for spec in every(7, 6, size=Size.MEDIUM)]
    record += of(OTHER, every(7, 6, broken_at=range(6), size=Size.LARGE), owner="bob")
    found = guard(ACME + record, size=Size.MEDIUM)
    assert (found.on_time, found.resolved) == (6, 6)
    found = guard(ACME + record, size=Size.LARGE)
    assert (found.on_time, found.resolved) == (0, 0)


# -- agenda ----------------------------------------------------------------------------


def agenda_ledger() -> list[Promise]:
    return build(
        *of(CUSTOMER, every(14, 5)),  # 1-5: Acme Corp kept every 14 days, days 0 to 70
        (CUSTOMER, OWNER, promise(60, 98, size=Size.LARGE)),  # 6: overdue at day 100
        (CUSTOMER, "bob", promise(80, 102)),  # 7: due in two days
        (CUSTOMER, OWNER, promise(80, 110)),  # 8: due after `until`
        ("acme  corp", OWNER, promise(85, 103, size=Size.LARGE)),  # 9: the same customer
        ("Beta", OWNER, promise(70, 95, value=Value.NONE)),  # 10: overdue, not valued
        ("Beta", OWNER, promise(70, 101, kept(99))),  # 11: kept early, not on the agenda
        ("Beta", OWNER, promise(90, None)),  # 12: no due date, not on the agenda
        ("Beta", OWNER, promise(101, 102)),  # 13: made after now
    )


def test_agenda_lists_overdue_first_then_due_soon_by_stake() -> None:
    now, until = day(100), day(107)
    items = agenda(agenda_ledger(), now, until)
    assert [i.promise.id for i in items] == [6, 10, 9, 7]
    assert [i.status for i in items] == [Status.OVERDUE] * 2 + [Status.OPEN] * 2
    assert items[0].stake > items[1].stake and items[2].stake > items[3].stake
    # one customer, however spelled: scored together, named by its first spelling
    assert {i.customer for i in items} == {CUSTOMER, "Beta"}
    acme = score(agenda_ledger()[:9], now)
    assert all(
        (i.stage, i.trust) == (acme.stage, acme.trust) for i in items if i.customer == CUSTOMER
    )


def test_agenda_ties_on_stake_are_ordered_by_due_date() -> None:
    promises = build(
        ("A", OWNER, promise(0, 12)), ("B", OWNER, promise(0, 11)), ("C", OWNER, promise(0, 13))
    )
    items = agenda(promises, day(10), day(20))
    assert [i.promise.id for i in items] == [2, 1, 3]
    assert len({i.stake for i in items}) == 1


def test_agenda_filters_by_owner_key() -> None:
    items = agenda(agenda_ledger(), day(100), day(107), owner_key=customer_key(" BOB"))
    assert [i.promise.id for i in items] == [7]
    assert agenda(agenda_ledger(), day(100), day(107), owner_key="nobody") == []


def test_agenda_costs_of_acting_now_or_waiting() -> None:
    now, later = day(100), day(100) + AGENDA_WAIT
    promises = agenda_ledger()
    by_id = {i.promise.id: i for i in agenda(promises, now, day(107))}
    acme = [p for p in promises if customer_key(p.customer) == customer_key(CUSTOMER)]

    soon = by_id[7]  # due day 102: renegotiating gets dearer by the day
    assert soon.keep_late is None
    assert soon.renegotiate.cost_now == renegotiation_cost(day(80), day(102), now)
    assert soon.renegotiate.cost_later == renegotiation_cost(day(80), day(102), later)
    assert soon.renegotiate.cost_now < soon.renegotiate.cost_later
    assert soon.renegotiate.trust_acting_now > soon.renegotiate.trust_acting_later
    new_due = later + RENEGOTIATE_FOR
    waited = with_event(acme, 7, EventKind.RENEGOTIATED, later, new_due)
    assert soon.renegotiate.trust_acting_later == score(waited, later).trust
    assert soon.trust_if_kept == score(with_event(acme, 7, EventKind.KEPT, now), now).trust
    assert soon.trust_if_broken == score(with_event(acme, 7, EventKind.BROKEN, now), now).trust
    assert soon.stake == soon.trust_if_kept - soon.trust_if_broken > 0

    late = by_id[6]  # due day 98: renegotiating costs as much as breaking; delivering
    assert late.due == day(98)  # late recovers more the sooner it is done
    assert late.renegotiate.cost_now == late.renegotiate.cost_later == 1.0
    assert late.keep_late is not None
    assert late.keep_late.cost_now == late_cost(day(98), now) == pytest.approx(2 / 7)
    assert late.keep_late.cost_later == pytest.approx(3 / 7)
    assert late.keep_late.trust_acting_now > late.keep_late.trust_acting_later
    kept_now = with_event(acme, 6, EventKind.KEPT, now)
    assert late.keep_late.trust_acting_now == score(kept_now, later).trust


def test_agenda_renegotiation_cost_counts_from_the_last_renegotiation() -> None:
    promises = build((CUSTOMER, OWNER, promise(0, 20, renegotiated(10, 40))))
    (item,) = agenda(promises, day(38), day(45))
    assert item.due == day(40)
    assert item.renegotiate.cost_now == renegotiation_cost(day(10), day(40), day(38))


# -- owners ----------------------------------------------------------------------------


def owner_ledger() -> list[Promise]:
    return build(
        (CUSTOMER, "ann", promise(0, 7, kept(7))),  # kept: streak 1
        (OTHER, "ann", promise(7, 14, kept(14))),  # kept: 2
        (CUSTOMER, "ann", promise(14, 21, broken(21))),  # broken: 0
        (CUSTOMER, "ann", promise(21, 35, renegotiated(22, 42), kept(42))),  # early: no change
        (OTHER, "Ann", promise(21, 28, kept(28))),  # kept: 1
        (CUSTOMER, "ann", promise(28, 35, kept(37))),  # kept late at 37: 0
        # ... promise 4 kept at 42: 1
        (OTHER, "ann", promise(40, 45)),  # overdue at 45: 0
        (OTHER, "ann", promise(40, 48, kept(47))),  # kept at 47: 1
        ("Third", "ann", promise(40, 60)),  # open
        (CUSTOMER, "ann", promise(0, 10, cancelled(5))),  # cancelled
        (CUSTOMER, "bob", promise(0, 7, kept(7))),
        (CUSTOMER, "ann", promise(51, 60)),  # made after as_of
    )


def test_owner_report_counts_rate_and_streaks() -> None:
    report = owner_report("ann", owner_ledger(), day(50))
    assert report.owner == "ann"
    assert report.customers == 3
    assert (report.promises, report.open, report.overdue) == (9, 1, 1)
    assert (report.kept, report.kept_late, report.broken, report.cancelled) == (5, 1, 1, 1)
    assert report.renegotiated == 1
    assert report.on_time_rate == 5 / 8
    assert report.on_time_low == wilson_lower_bound(5, 8)
    assert (report.streak, report.longest_streak) == (1, 2)


def test_owner_streak_is_reset_by_a_late_renegotiation() -> None:
    promises = build(
        (CUSTOMER, "ann", promise(0, 7, kept(7))),
        (OTHER, "ann", promise(0, 14, kept(14))),
        (CUSTOMER, "ann", promise(10, 20, renegotiated(19.5, 30))),  # late: f near 1
        (OTHER, "ann", promise(15, 25, kept(25))),
    )
    report = owner_report("ann", promises, day(25))
    assert (report.streak, report.longest_streak) == (1, 2)
    assert report.on_time_rate == 1.0  # a renegotiation is not an outcome


def test_owner_reports_group_by_key_and_order_by_name() -> None:
    promises = build(
        (CUSTOMER, "carl", promise(0, 7, kept(7))),
        (CUSTOMER, "Ann  Lee", promise(0, 7, kept(7))),
        (OTHER, "ann lee", promise(0, 7, broken(7))),
        (OTHER, "Bob", promise(0, 7)),
        (OTHER, "zed", promise(20, 27)),  # made after as_of: not listed
    )
    reports = owner_reports(promises, day(10))
    assert [r.owner for r in reports] == ["Ann Lee", "Bob", "carl"]
    ann = reports[0]
    assert (ann.promises, ann.kept, ann.broken, ann.customers) == (2, 1, 1, 2)
    assert reports[1].overdue == 1 and reports[1].on_time_rate == 0.0
    assert owner_reports([], day(0)) == []


# -- properties ------------------------------------------------------------------------

CUSTOMERS = (CUSTOMER, "acme  corp", "Beta")
OWNERS = ("ann", "Ann", "bob")
sizes = st.sampled_from(Size)
hours = st.integers(0, 24 * 40)


@st.composite
def histories(draw: st.DrawFn, customers: Sequence[str] = CUSTOMERS) -> list[Promise]:
    """A regular history of the first customer (so that higher stages occur), then a few
    promises to any customer by any owner, each with a history the CLI would accept."""
    entries = []
    count = draw(st.one_of(st.integers(0, 40), st.sampled_from([6, 12, 26, 40])))
    if count:
        broken_at = draw(st.sets(st.integers(0, count - 1), max_size=3))
        period = draw(st.sampled_from([7.0, 14.0]))
        specs = every(period, count, broken_at=broken_at, size=draw(sizes))
        entries += of(customers[0], specs, owner=OWNERS[0])
    undo = []
    for index in range(len(entries), len(entries) + draw(st.integers(0, 8))):
        made = draw(st.integers(0, 24 * 400)) / 24
        due = made + draw(st.integers(1, 24 * 40)) / 24 if draw(st.booleans()) else None
        steps: list[Step] = []
        last = made
        if due is not None and draw(st.booleans()):
            last = made + draw(hours) / 24
            steps.append(renegotiated(last, last + draw(st.integers(1, 24 * 40)) / 24))
        outcome = draw(
            st.sampled_from([None, EventKind.KEPT, EventKind.BROKEN, EventKind.CANCELLED])
        )
        if outcome is not None:
            steps.append(Step(outcome, last + draw(hours) / 24))
        if steps and draw(st.integers(0, 4)) == 0:
            undo.append(index)
        spec = PromiseSpec(made, due, tuple(steps), draw(sizes), draw(st.sampled_from(Value)))
        entries.append((draw(st.sampled_from(customers)), draw(st.sampled_from(OWNERS)), spec))
    return build(*entries, undo=undo)


def moments(promises: list[Promise]) -> st.SearchStrategy[datetime]:
    """Whole hours up to a month after something recorded (or after the start)."""
    times = [day(0)] + [p.made for p in promises] + [e.at for p in promises for e in p.events]
    return st.builds(
        lambda t, h: t + timedelta(hours=h), st.sampled_from(times), st.integers(0, 24 * 30)
    )


@PROPERTY
@given(histories(customers=(CUSTOMER,)), st.data())
def test_recording_the_budget_keeps_the_stage_and_one_more_break_drops_it(
    promises: list[Promise], data: st.DataObject
) -> None:
    as_of = data.draw(moments(promises))
    budget = error_budget(CUSTOMER, promises, as_of)
    current = score(promises, as_of).stage
    for size in Size:
        allowed = budget[size]
        assert 0 <= allowed <= BUDGET_CAP
        if current is Stage.ESTRANGED:
            assert allowed == 0
            continue
        assert stage_after_breaks(promises, as_of, size, allowed).rank >= current.rank
        fewer = data.draw(st.integers(0, allowed))  # one after another: every count before
        assert stage_after_breaks(promises, as_of, size, fewer).rank >= current.rank
        if allowed < BUDGET_CAP:
            assert stage_after_breaks(promises, as_of, size, allowed + 1).rank < current.rank


@PROPERTY
@given(histories(customers=(CUSTOMER,)), st.data())
def test_what_if_equals_recording_the_event_then_reporting(
    promises: list[Promise], data: st.DataObject
) -> None:
    as_of = data.draw(moments(promises))
    # one promise surely open at as_of (overdue or not), among any others
    made = as_of - timedelta(hours=data.draw(hours))
    due = made + timedelta(hours=data.draw(st.integers(1, 24 * 60)))
    promises = with_promise(
        promises, made=made, due=due, size=data.draw(sizes), value=Value.HIGH, owner=OWNER
    )
    candidates = [
        p
        for p in promises
        if p.made <= as_of
        and not p.state(as_of).status.resolved
        and all(e.at <= as_of for e in p.events)
    ]
    target = data.draw(st.sampled_from(candidates))
    kinds = [EventKind.KEPT, EventKind.BROKEN, EventKind.CANCELLED]
    if target.state(as_of).due is not None:
        kinds.append(EventKind.RENEGOTIATED)
    kind = data.draw(st.sampled_from(kinds))
    due = as_of + timedelta(days=3) if kind is EventKind.RENEGOTIATED else None
    before, after = what_if(CUSTOMER, promises, target.id, kind, as_of, due)
    event_id = 1 + max((e.id for p in promises for e in p.events), default=0)
    recorded = [
        p._replace(events=(*p.events, Event(event_id, p.id, kind, as_of, due)))
        if p.id == target.id
        else p
        for p in promises
    ]
    assert before == score(promises, as_of)
    assert after == score(recorded, as_of)


@PROPERTY
@given(histories(), st.data())
def test_the_guard_refuses_what_is_risky_and_warns_of_all_it_refuses(
    promises: list[Promise], data: st.DataObject
) -> None:
    now = data.draw(moments(promises))
    customer = data.draw(st.sampled_from([*CUSTOMERS, "Newco"]))
    owner = data.draw(st.sampled_from([*OWNERS, "newbie"]))
    # made now or backdated; due later, or already past, or never
    made = now - timedelta(hours=data.draw(st.sampled_from([0, 0, 24, 24 * 10])))
    due = made + timedelta(hours=data.draw(st.integers(1, 24 * 30)))
    due_or_none = data.draw(st.sampled_from([due, None]))
    found = assess_promise(
        customer=customer,
        customer_promises=[
            p for p in promises if customer_key(p.customer) == customer_key(customer)
        ],
        owner=owner,
        owner_promises=promises,
        size=data.draw(sizes),
        value=data.draw(st.sampled_from(Value)),
        made=made,
        due=due_or_none,
        now=now,
    )
    assert found.risky == (found.serious and (found.unlikely or found.over_committed))
    # everything risky is refused; a serious promise goes through (warned of) only for
    # want of a record, never when the owner is over-committed
    assert found.refuse == found.risky
    assert found.at == (now if due_or_none is None else max(due_or_none, now))
    assert found.stage_after.rank <= found.stage_then.rank  # a break never raises a stage
    assert found.stage_then.rank >= found.stage_now.rank  # by then, only time has passed
    assert found.unlikely <= found.enough_history
    assert found.capacity >= CAPACITY_FLOOR
    assert found.over_committed == (found.owner_due_nearby >= found.capacity)
    safe = not found.serious or (found.enough_history and not found.risky)
    assert (found.warning is None) == safe
    if found.first:
        assert found.serious  # any break of a first promise makes a stranger strained


@PROPERTY
@given(histories(), st.data())
def test_agenda_is_every_promise_due_by_until_in_order(
    promises: list[Promise], data: st.DataObject
) -> None:
    now = data.draw(moments(promises))
    until = now + timedelta(hours=data.draw(st.integers(-24, 24 * 14)))
    items = agenda(promises, now, until)
    expected = set()
    for p in promises:
        state = p.state(now)
        due_soon = state.status is Status.OPEN and state.due is not None and state.due <= until
        if p.made <= now and (state.status is Status.OVERDUE or due_soon):
            expected.add(p.id)
    assert sorted(i.promise.id for i in items) == sorted(expected)
    keys = [(i.status is not Status.OVERDUE, -i.stake, i.due) for i in items]
    assert keys == sorted(keys)
    for item in items:
        assert item.stake == item.trust_if_kept - item.trust_if_broken
        assert (item.keep_late is not None) == (item.status is Status.OVERDUE)
        assert item.renegotiate.cost_now <= item.renegotiate.cost_later
        if item.status is Status.OVERDUE:
            assert item.renegotiate.cost_now == 1.0


@PROPERTY
@given(histories(), st.data())
def test_owner_reports_partition_the_ledger(promises: list[Promise], data: st.DataObject) -> None:
    as_of = data.draw(moments(promises))
    reports = owner_reports(promises, as_of)
    everyone = score_customer("all", promises, as_of, detail=False)
    for field in ("promises", "open", "overdue", "kept", "kept_late", "broken", "cancelled"):
        assert sum(getattr(r, field) for r in reports) == getattr(everyone, field)
    for r in reports:
        assert r.promises == r.open + r.overdue + r.kept + r.kept_late + r.broken
        assert 0 <= r.streak <= r.longest_streak <= r.kept
        assert r.on_time_rate is None or 0 <= r.on_time_rate <= 1
    names = [r.owner.casefold() for r in reports]
    assert names == sorted(names) and len(set(names)) == len(names)
