"""The trust model of SPEC §5: its worked examples, counts, filters and helpers."""

from __future__ import annotations

import dataclasses
import math
from datetime import timedelta

import pytest

from ledgers import (
    WORKED_EXAMPLES,
    LedgerSpec,
    broken,
    cancelled,
    day,
    every,
    kept,
    ledger,
    promise,
    renegotiated,
    to_promises,
    weekly,
)
from marrycli.domain import CustomerReport, Event, EventKind, Promise, Size, Stage, Status, Value
from marrycli.model.scoring import (
    F_MIN,
    keeps_to_leave_estranged,
    score_customer,
    stage_for,
    wilson_lower_bound,
)
from marrycli.model.scoring import late_cost as late_cost_of
from marrycli.model.scoring import renegotiation_cost as renegotiation_cost_of

TOLERANCE = 1e-4


def score(spec: LedgerSpec, as_of: float | None = None) -> CustomerReport:
    when = spec.as_of if as_of is None else as_of
    return score_customer(spec.customer, to_promises(spec), day(when))


def with_events(p: Promise, *events: Event) -> Promise:
    return p._replace(events=p.events + events)


def void(event_id: int, of: Event, at: float) -> Event:
    return Event(
        id=event_id, promise_id=of.promise_id, kind=EventKind.VOID, at=day(at), voids=of.id
    )


# -- the worked examples ---------------------------------------------------------------


@pytest.mark.parametrize("name", list(WORKED_EXAMPLES))
def test_worked_example(name: str) -> None:
    spec, trust, distrust, stage, keep_rate, streak, longest = WORKED_EXAMPLES[name]
    report = score(spec)
    assert report.trust == pytest.approx(trust, abs=TOLERANCE)
    assert report.distrust == pytest.approx(distrust, abs=TOLERANCE)
    assert report.stage is Stage(stage)
    assert report.keep_rate == pytest.approx(keep_rate, abs=TOLERANCE)
    assert (report.streak, report.longest_streak) == (streak, longest)
    assert report.trust + report.distrust + report.uncertainty == pytest.approx(1, abs=1e-12)


def test_worked_examples_tell_the_essay() -> None:
    trust = {name: score(example[0]).trust for name, example in WORKED_EXAMPLES.items()}
    assert trust["V1"] > trust["V2"]
    assert trust["V8"] > trust["V9"] > trust["V10"]
    assert trust["V11"] > trust["V12"]
    assert trust["V6"] > trust["V7"]


# -- counts and statuses ---------------------------------------------------------------


def test_counts_every_status() -> None:
    spec = ledger(
        promise(0, 10, kept(5)),  # kept
        promise(0, 10, kept(12)),  # kept late
        promise(0, 10, broken(8)),  # broken
        promise(0, 10),  # overdue at 20
        promise(0, 30),  # open
        promise(0, None),  # open, no due date
        promise(0, 10, cancelled(3)),  # cancelled
        promise(0, 10, renegotiated(4, 25)),  # open after an early renegotiation
        promise(0, 10, renegotiated(9, 15)),  # overdue after a late renegotiation
        as_of=20,
    )
    report = score(spec)
    assert report.customer == spec.customer
    assert (report.promises, report.open, report.overdue) == (8, 3, 2)
    assert (report.kept, report.kept_late, report.broken) == (1, 1, 1)
    assert (report.cancelled, report.renegotiated) == (1, 2)
    assert report.promises == (
        report.open + report.overdue + report.kept + report.kept_late + report.broken
    )
    # failures: kept late, broken, the late renegotiation, two overdue
    assert report.keep_rate == pytest.approx(1 / 6)
    assert report.keep_rate_low == wilson_lower_bound(1, 6)
    # agrees with the status each promise reports for itself
    statuses = [p.state(day(20)).status for p in to_promises(spec)]
    assert statuses.count(Status.OVERDUE) == report.overdue
    assert statuses.count(Status.OPEN) == report.open
    assert statuses.count(Status.CANCELLED) == report.cancelled


def test_overdue_is_scored_at_due_after_its_own_promise_events() -> None:
    spec = ledger(promise(0, 10, renegotiated(9, 12)), as_of=20)
    report = score(spec)
    assert [(c.kind, c.at) for c in report.contributions] == [
        ("renegotiated_late", day(9)),
        ("overdue", day(12)),
    ]


def test_due_exactly_at_as_of_is_not_overdue() -> None:
    spec = ledger(promise(0, 10), as_of=10)
    report = score(spec)
    assert (report.open, report.overdue, report.contributions) == (1, 0, ())


def test_a_break_after_the_due_date_is_scored_at_the_due_date() -> None:
    # SPEC §5: broken at t is broken at min(t, due): it was felt as broken from its due date
    late_break = score(ledger(weekly(3), promise(21, 30, broken(40)), as_of=45))
    overdue = score(ledger(weekly(3), promise(21, 30), as_of=45))
    assert [(c.kind, c.at) for c in late_break.contributions][-1] == ("broken", day(30))
    assert (late_break.trust, late_break.distrust) == (overdue.trust, overdue.distrust)
    assert (late_break.broken, late_break.overdue, overdue.overdue) == (1, 0, 1)
    # ... and before the break was recorded it was that same overdue promise
    before = score(ledger(weekly(3), promise(21, 30, broken(40))), as_of=35)
    assert before == score(ledger(weekly(3), promise(21, 30)), as_of=35)
    # a break at or before the due date, or of a promise with no due date, is scored when made
    assert score(ledger(promise(0, 30, broken(20)))).contributions[0].at == day(20)
    assert score(ledger(promise(0, 30, broken(30)))).contributions[0].at == day(30)
    assert score(ledger(promise(0, None, broken(20)))).contributions[0].at == day(20)


def test_a_late_break_comes_before_what_happened_after_its_due_date() -> None:
    # promise 1 due on day 10, broken on day 20; promise 2 kept on day 15
    spec = ledger(promise(0, 10, broken(20)), promise(0, 15, kept(15)), as_of=20)
    assert [(c.promise_id, c.kind, c.at) for c in score(spec).contributions] == [
        (1, "broken", day(10)),
        (2, "kept", day(15)),
    ]


def test_a_renegotiation_after_the_due_date_is_scored_at_the_due_date_with_f_1() -> None:
    # SPEC §5: renegotiated at t >= due: late, f = 1, scored at due (as a break after it)
    spec = ledger(weekly(3), promise(21, 30, renegotiated(40, 60)), as_of=45)
    report = score(spec)
    assert [(c.kind, c.at) for c in report.contributions][-1] == ("renegotiated_late", day(30))
    overdue = score(ledger(weekly(3), promise(21, 30)), as_of=45)
    assert (report.trust, report.distrust) == (overdue.trust, overdue.distrust)
    assert (report.open, report.overdue, report.renegotiated) == (1, 0, 1)
    # a renegotiation after the due date weighs exactly as a break
    broken_then = score(ledger(weekly(3), promise(21, 30, broken(40)), as_of=45))
    assert (report.trust, report.distrust) == (broken_then.trust, broken_then.distrust)
    # the promise goes on under the new terms: missing the new date is a second failure
    later = score(spec, as_of=61)
    assert [(c.kind, c.at) for c in later.contributions][-2:] == [
        ("renegotiated_late", day(30)),
        ("overdue", day(60)),
    ]
    # exactly at the due date it is late with f = 1 too, scored then
    at_due = score(ledger(weekly(3), promise(21, 30, renegotiated(30, 60)), as_of=45))
    assert (at_due.trust, at_due.distrust) == (report.trust, report.distrust)


def test_kept_at_due_is_on_time_and_kept_after_due_is_late() -> None:
    on_time = score(ledger(promise(0, 10, kept(10))))
    late = score(ledger(promise(0, 10, kept(10.5))))
    assert (on_time.kept, on_time.kept_late) == (1, 0)
    assert (late.kept, late.kept_late) == (0, 1)
    assert late.contributions[0].kind == "kept_late"


def test_kept_after_a_renegotiation_is_compared_with_the_new_due() -> None:
    report = score(ledger(promise(0, 10, renegotiated(2, 30), kept(25))))
    assert (report.kept, report.kept_late) == (1, 0)
    late = score(ledger(promise(0, 10, renegotiated(2, 30), kept(31))))
    assert (late.kept, late.kept_late) == (0, 1)


def test_a_late_keep_neither_starts_the_relationship_nor_counts_as_valued_kept() -> None:
    report = score(ledger(promise(0, 10, kept(11)), promise(0, 50)))
    assert report.since is None
    assert report.trust == 0
    assert report.streak == 0


def test_since_is_the_first_on_time_keep_of_a_valued_promise() -> None:
    spec = ledger(
        promise(0, 5, kept(3), value=Value.NONE),
        promise(0, 10, kept(12)),
        promise(0, 20, kept(15), value=Value.LOW),
        promise(0, 30, kept(16)),
    )
    assert score(spec).since == day(15)
    assert score(spec, as_of=14).since is None


def test_streaks_and_early_renegotiation() -> None:
    spec = ledger(
        every(7, 6, broken_at=[2]),  # kept kept broken kept kept kept
        promise(42, 60, renegotiated(43, 80), kept(50)),  # early: streak goes on
        as_of=50,
    )
    report = score(spec)
    assert (report.streak, report.longest_streak) == (4, 4)
    assert report.renegotiated == 1
    assert report.keep_rate == pytest.approx(6 / 7)


# -- what counts -----------------------------------------------------------------------


def test_cancelled_promise_is_left_out_but_counted_apart() -> None:
    base = ledger(weekly(3))
    with_cancelled = ledger(weekly(3), promise(1, 5, broken(4), cancelled(6)), as_of=21)
    report = score(with_cancelled)
    expected = dataclasses.replace(score(base), cancelled=1)
    assert report == expected
    # before the cancellation the break counts
    assert score(with_cancelled, as_of=5).broken == 1


def test_voided_cancellation_restores_the_promise() -> None:
    (p,) = to_promises(ledger(promise(0, 10, cancelled(2))))
    restored = with_events(p, void(99, p.events[0], 3))
    report = score_customer("x", [restored], day(20))
    assert (report.cancelled, report.overdue) == (0, 1)


def test_voided_events_are_gone_for_every_as_of() -> None:
    (p,) = to_promises(ledger(promise(0, 10, broken(5))))
    corrected = with_events(p, void(99, p.events[0], 8))
    for as_of in (5, 6, 9):
        report = score_customer("x", [corrected], day(as_of))
        assert (report.broken, report.open, report.distrust) == (0, 1, 0)


def test_voided_renegotiation_restores_the_earlier_due() -> None:
    (p,) = to_promises(ledger(promise(0, 10, renegotiated(2, 30))))
    corrected = with_events(p, void(99, p.events[0], 3))
    report = score_customer("x", [corrected], day(20))
    assert (report.renegotiated, report.overdue) == (0, 1)
    assert report.contributions[0].at == day(10)


def test_as_of_filters_promises_and_events() -> None:
    spec = ledger(weekly(3), promise(30, 40, broken(35)), as_of=35)
    before_made = score(spec, as_of=29)
    assert before_made.promises == 3
    assert before_made == score(ledger(weekly(3)), as_of=29)
    before_break = score(spec, as_of=34)
    assert (before_break.promises, before_break.open, before_break.broken) == (4, 1, 0)
    assert before_break.trust == pytest.approx(score(ledger(weekly(3))).trust)
    after = score(spec)
    assert after.broken == 1


def test_promise_made_exactly_at_as_of_counts() -> None:
    assert score(ledger(promise(5, 10)), as_of=5).promises == 1


def test_empty_customer_is_a_stranger() -> None:
    report = score_customer("Nobody", [], day(0))
    assert report.customer == "Nobody"
    assert (report.promises, report.open, report.cancelled, report.renegotiated) == (0, 0, 0, 0)
    assert (report.trust, report.distrust, report.uncertainty) == (0, 0, 1)
    assert report.stage is Stage.STRANGER
    assert report.keep_rate is None and report.keep_rate_low is None
    assert (report.streak, report.longest_streak, report.since) == (0, 0, None)
    assert report.timeline == () and report.contributions == ()


# -- timeline and contributions ----------------------------------------------------------


def test_timeline_has_one_point_per_scored_event_with_its_stage() -> None:
    spec = ledger(every(14, 28))
    report = score(spec)
    assert len(report.timeline) == 28
    assert [p.at for p in report.timeline] == [day(14 * (i + 1)) for i in range(28)]
    assert report.timeline[-1].trust == report.trust
    assert report.timeline[-1].stage is report.stage is Stage.MARRIED
    # stage at each point uses that point's time as as_of
    for point in report.timeline:
        assert point.stage is score(spec, as_of=(point.at - day(0)).days).stage
    stages = [p.stage for p in report.timeline]
    assert stages[0] is Stage.DATING  # 1 kept: trust 0.33
    assert Stage.TRUSTED in stages and Stage.LOYAL in stages


def test_contributions_chain_and_name_their_kind() -> None:
    spec = ledger(
        promise(0, 10, kept(10)),
        promise(0, 10, kept(12)),
        promise(0, 30, renegotiated(1, 40)),
        promise(0, 20, renegotiated(19.5, 25)),
        promise(0, 20, broken(21)),
        promise(0, 15),
        as_of=30,
    )
    report = score(spec)
    kinds = [(c.promise_id, c.kind) for c in report.contributions]
    assert kinds == [
        (3, "renegotiated_early"),
        (1, "kept"),
        (2, "kept_late"),
        (6, "overdue"),
        (4, "renegotiated_late"),
        (5, "broken"),
        (4, "overdue"),
    ]
    previous = (0.0, 0.0)
    for c, point in zip(report.contributions, report.timeline, strict=True):
        assert (c.trust_before, c.distrust_before) == previous
        assert (c.trust_after, c.distrust_after) == (point.trust, point.distrust)
        assert c.at == point.at
        previous = (c.trust_after, c.distrust_after)
    assert previous == (report.trust, report.distrust)
    assert report.contributions[1].trust_after > report.contributions[1].trust_before


def test_ties_are_ordered_by_promise_id() -> None:
    spec = ledger(promise(0, 10, broken(10)), promise(0, 10, kept(10)))
    assert [c.promise_id for c in score(spec).contributions] == [1, 2]


def test_detail_false_leaves_out_timeline_and_contributions() -> None:
    spec = WORKED_EXAMPLES["V2"][0]
    full = score(spec)
    brief = score_customer(spec.customer, to_promises(spec), day(spec.as_of), detail=False)
    assert brief == dataclasses.replace(full, timeline=(), contributions=())


# -- helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [
        (8, 10, 0.490157),  # the textbook 95% Wilson interval of 8/10 is (0.490, 0.943)
        (10, 10, 10 / (10 + 1.96**2)),  # all successes: n / (n + z²)
        (1, 1, 1 / (1 + 1.96**2)),
        (0, 10, 0.0),
        (5, 10, 0.236590),  # (0.237, 0.763)
    ],
)
def test_wilson_lower_bound(successes: int, n: int, expected: float) -> None:
    assert wilson_lower_bound(successes, n) == pytest.approx(expected, abs=1e-6)


def test_wilson_lower_bound_of_nothing_is_none() -> None:
    assert wilson_lower_bound(0, 0) is None


def test_renegotiation_cost_edges() -> None:
    made, due = day(0), day(30)  # horizon 30: lreq 7
    assert renegotiation_cost_of(made, due, day(1)) == pytest.approx(F_MIN)
    assert renegotiation_cost_of(made, due, day(23)) == pytest.approx(F_MIN)  # 7 days notice
    assert renegotiation_cost_of(made, due, day(26.5)) == pytest.approx(0.55)  # e = 0.5
    assert renegotiation_cost_of(made, due, day(29)) == pytest.approx(0.1 + 0.9 * 6 / 7)
    assert renegotiation_cost_of(made, due, due - timedelta(microseconds=1)) < 1
    assert renegotiation_cost_of(made, due, due) == 1
    assert renegotiation_cost_of(made, due, day(31)) == 1
    # short horizons need at least a day of notice
    assert renegotiation_cost_of(day(0), day(1), day(0)) == pytest.approx(F_MIN)
    assert renegotiation_cost_of(day(0), day(1), day(0.5)) == pytest.approx(0.55)
    # a horizon of 4 days needs 2 days of notice
    assert renegotiation_cost_of(day(0), day(4), day(2)) == pytest.approx(F_MIN)
    assert renegotiation_cost_of(day(0), day(4), day(3)) == pytest.approx(0.55)
    costs = [renegotiation_cost_of(made, due, day(t / 4)) for t in range(0, 130)]
    assert costs == sorted(costs)


def test_late_cost() -> None:
    assert late_cost_of(day(10), day(10.01)) == F_MIN
    assert late_cost_of(day(10), day(13.5)) == pytest.approx(0.5)
    assert late_cost_of(day(10), day(17)) == 1
    assert late_cost_of(day(10), day(100)) == 1


def test_early_renegotiation_is_scored_by_its_cost() -> None:
    (c,) = score(ledger(promise(0, 30, renegotiated(26.5, 40)))).contributions
    assert c.kind == "renegotiated_early"  # e = 0.5 exactly
    (c,) = score(ledger(promise(0, 30, renegotiated(26.6, 40)))).contributions
    assert c.kind == "renegotiated_late"


def test_a_renegotiation_restarts_the_horizon_of_the_next() -> None:
    # made 0, due 30 -> renegotiated on day 20 to day 24: the promise goes on as if made on
    # day 20, so its horizon is 4 days and 2 days of notice are enough on day 22.
    spec = ledger(promise(0, 30, renegotiated(20, 24), renegotiated(22, 40)))
    first, second = score(spec).contributions
    assert first.kind == second.kind == "renegotiated_early"
    # measured from day 0 instead, 2 days of notice would be a late renegotiation
    assert renegotiation_cost_of(day(0), day(24), day(22)) > 0.55


@pytest.mark.parametrize(
    ("trust", "distrust", "valued_kept", "age", "stage"),
    [
        (0.0, 0.7, 0, 0, Stage.ESTRANGED),
        (0.2, 0.3, 50, 1000, Stage.STRAINED),
        (0.95, 0.0, 25, 365, Stage.MARRIED),
        (0.95, 0.0, 25, 364.9, Stage.LOYAL),
        (0.95, 0.0, 24, 365, Stage.LOYAL),
        (0.85, 0.0, 12, 180, Stage.LOYAL),
        (0.6, 0.0, 5, 60, Stage.TRUSTED),
        (0.6, 0.0, 5, 59, Stage.DATING),
        (0.3, 0.3, 1, 0, Stage.DATING),
        (0.29, 0.0, 1, 0, Stage.STRANGER),
        (0.9, 0.0, 0, 1000, Stage.STRANGER),
        (0.0, 0.0, 0, 0, Stage.STRANGER),
    ],
)
def test_stage_for(
    trust: float, distrust: float, valued_kept: int, age: float, stage: Stage
) -> None:
    assert stage_for(trust, distrust, valued_kept, age) is stage


def test_valued_kept_needs_value_at_least_low() -> None:
    high = score(ledger(every(14, 6)))
    low = score(ledger(every(14, 6, value=Value.LOW, size=Size.LARGE)))
    assert high.stage is Stage.TRUSTED
    assert low.trust > 0.6 and low.stage is Stage.TRUSTED  # low (0.5) >= VALUED
    assert math.isclose(score(ledger(every(14, 6, value=Value.NONE))).trust, 0)


@pytest.mark.parametrize(
    "spec",
    [
        WORKED_EXAMPLES["V5"][0],
        ledger(weekly(2), promise(14, 21, size=Size.LARGE), as_of=30),  # overdue, not broken
        ledger(every(7, 6, broken_at=[3, 4, 5], size=Size.LARGE)),
        ledger(every(7, 4, broken_at=[0, 1, 2, 3], size=Size.MEDIUM)),
    ],
)
def test_keeps_to_leave_estranged_are_exact(spec: LedgerSpec) -> None:
    report = score(spec)
    assert report.stage is Stage.ESTRANGED
    needed = keeps_to_leave_estranged(report)
    for size, count in needed.items():
        assert count >= 1

        def with_keeps(k: int, size: Size = size) -> CustomerReport:
            kept_ones = [
                promise(spec.as_of, None, kept(spec.as_of + (i + 1) / 1000), size=size)
                for i in range(k)
            ]
            return score(ledger(*spec.promises, *kept_ones), spec.as_of + 1)

        assert with_keeps(count).stage is not Stage.ESTRANGED
        assert with_keeps(count - 1).stage is Stage.ESTRANGED
    assert needed[Size.SMALL] >= needed[Size.MEDIUM] >= needed[Size.LARGE]


def test_keeps_to_leave_estranged_are_none_for_other_stages() -> None:
    for name in ("V1", "V2", "V6"):
        report = score(WORKED_EXAMPLES[name][0])
        assert set(keeps_to_leave_estranged(report).values()) == {0}
