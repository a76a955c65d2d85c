"""The trust model's scoring as it was before it scored integers (commit 46416e4): the oracle
of tests/test_scoring_equivalence.py, kept here only to check that the restructured
`model.scoring` gives every number exactly as before. Not imported by marry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from marrycli.domain import (
    Contribution,
    CustomerReport,
    EventKind,
    Promise,
    TimelinePoint,
)
from marrycli.model.scoring import (
    BROKEN,
    F_MIN,
    KEPT,
    KEPT_LATE,
    LATE_FULL,
    LREQ,
    OVERDUE,
    RENEGOTIATED_EARLY,
    RENEGOTIATED_LATE,
    RHO,
    VALUED,
    H,
    K,
    W,
    stage_for,
    wilson_lower_bound,
)

_SECONDS_PER_DAY = 86400.0

# A scored event: (time, promise rank, order within the promise, kind, f, z, v, promise id).
# The first three make the sort key of SPEC §5 and are unique per event: the rank is the
# promise's number, except that an occurrence of a standing promise ranks by its series and k,
# stored or not (`Promise.rank`).
_Scored = tuple[datetime, int, int, str, float, int, float, int]


def _days(t1: datetime, t2: datetime) -> float:
    return (t2 - t1).total_seconds() / _SECONDS_PER_DAY


def _notice_ratio(made: datetime, due: datetime, at: datetime) -> float:
    """e of SPEC §5: how much of the notice a renegotiation needed it gave (0 to 1)."""
    horizon = _days(made, due)
    notice = _days(at, due)
    lreq = max(1.0, min(LREQ, horizon / 2))
    return max(0.0, min(1.0, notice / lreq))


def renegotiation_cost(made: datetime, due: datetime, at: datetime) -> float:
    """The cost factor f of renegotiating at `at` a promise made at `made`, due at `due`."""
    if at >= due:
        return 1.0
    return F_MIN + (1 - F_MIN) * (1 - _notice_ratio(made, due, at))


def renegotiation_is_early(made: datetime, due: datetime, at: datetime) -> bool:
    """True when a renegotiation at `at` gave at least half the notice it needed (e >= 0.5)."""
    return at < due and _notice_ratio(made, due, at) >= 0.5


def late_cost(due: datetime, at: datetime) -> float:
    """The cost factor f of keeping at `at` a promise that was due at `due` (F_MIN to 1)."""
    return max(F_MIN, min(1.0, _days(due, at) / LATE_FULL))


def score_customer(
    customer: str,
    promises: Iterable[Promise],
    as_of: datetime,
    *,
    detail: bool = True,
) -> CustomerReport:
    """Score one customer's promises as they stood at as_of (SPEC §5).

    With `detail=False` the timeline and contributions are left empty, which is all a
    report over every customer needs.
    """
    counts = {KEPT: 0, KEPT_LATE: 0, BROKEN: 0, OVERDUE: 0}
    open_count = 0
    cancelled = 0
    renegotiated = 0
    scored: list[_Scored] = []

    for promise in promises:
        if promise.made > as_of or promise.standing is not None:  # a series is never scored
            continue
        events = [e for e in promise.standing_events() if e.at <= as_of]
        if any(e.kind is EventKind.CANCELLED for e in events):
            cancelled += 1
            continue
        pid = promise.id
        rank = promise.rank
        z = promise.size.weight
        v = promise.value.weight
        made = promise.made
        due = promise.due
        # An outcome ends the promise's history, as in `Promise.state`: later events
        # (which the CLI refuses to record) are not scored.
        for order, event in enumerate(events):
            at = event.at
            recorded = event.kind
            if recorded is EventKind.KEPT:
                if due is None or at <= due:
                    scored.append((at, rank, order, KEPT, 1.0, z, v, pid))
                    counts[KEPT] += 1
                else:
                    scored.append((at, rank, order, KEPT_LATE, late_cost(due, at), z, v, pid))
                    counts[KEPT_LATE] += 1
                break
            if recorded is EventKind.BROKEN:
                # A promise broken after its due date was felt as broken at that date (and
                # scored there, exactly as it was while overdue).
                when = at if due is None else min(at, due)
                scored.append((when, rank, order, BROKEN, 1.0, z, v, pid))
                counts[BROKEN] += 1
                break
            if recorded is EventKind.RENEGOTIATED:
                renegotiated += 1
                if due is None:
                    # Not a valid ledger (a renegotiation needs a due date); with no date to
                    # miss, the notice was as long as could be.
                    scored.append((at, rank, order, RENEGOTIATED_EARLY, F_MIN, z, v, pid))
                elif renegotiation_is_early(made, due, at):
                    f = renegotiation_cost(made, due, at)
                    scored.append((at, rank, order, RENEGOTIATED_EARLY, f, z, v, pid))
                else:
                    # At or after the due date: f = 1, scored at the due date, as a break
                    # after the due date (the customer felt it as broken from then).
                    f = renegotiation_cost(made, due, at)
                    scored.append((min(at, due), rank, order, RENEGOTIATED_LATE, f, z, v, pid))
                made = at
                due = event.due
        else:
            # Unresolved at as_of (no outcome among the events that count).
            if due is not None and due < as_of:
                scored.append((due, rank, len(events), OVERDUE, 1.0, z, v, pid))
                counts[OVERDUE] += 1
            else:
                open_count += 1

    scored.sort(key=lambda s: (s[0], s[1], s[2]))

    r = 0.0
    n = 0.0
    start: datetime | None = None
    valued_kept = 0
    failures = 0
    streak = 0
    longest_streak = 0
    timeline: list[TimelinePoint] = []
    contributions: list[Contribution] = []

    for t, _rank, _order, kind, f, z, v, pid in scored:
        total = r + n + W
        trust_before = r / total
        distrust_before = n / total
        if kind == KEPT:
            if start is None and v > 0:
                start = t
            r += v * z
            if v >= VALUED:
                valued_kept += 1
            streak += 1
            longest_streak = max(longest_streak, streak)
        else:
            tenure = 0.0 if start is None else min(1.0, max(0.0, _days(start, t)) / H)
            tau = trust_before * tenure
            severity = f * z * (1 - tau * min(1.0, 1 / z))
            n += K * severity
            r *= max(0.0, 1 - RHO * severity)
            if kind != RENEGOTIATED_EARLY:
                failures += 1
                streak = 0
        if detail:
            after_total = r + n + W
            trust_after = r / after_total
            distrust_after = n / after_total
            age = 0.0 if start is None else max(0.0, _days(start, t))
            stage = stage_for(trust_after, distrust_after, valued_kept, age)
            timeline.append(
                TimelinePoint(at=t, trust=trust_after, distrust=distrust_after, stage=stage)
            )
            contributions.append(
                Contribution(
                    promise_id=pid,
                    kind=kind,
                    at=t,
                    trust_before=trust_before,
                    trust_after=trust_after,
                    distrust_before=distrust_before,
                    distrust_after=distrust_after,
                )
            )

    total = r + n + W
    trust = r / total
    distrust = n / total
    kept = counts[KEPT]
    resolved = kept + failures
    age = 0.0 if start is None else max(0.0, _days(start, as_of))
    return CustomerReport(
        customer=customer,
        promises=open_count + counts[OVERDUE] + kept + counts[KEPT_LATE] + counts[BROKEN],
        open=open_count,
        overdue=counts[OVERDUE],
        kept=kept,
        kept_late=counts[KEPT_LATE],
        broken=counts[BROKEN],
        cancelled=cancelled,
        renegotiated=renegotiated,
        keep_rate=kept / resolved if resolved else None,
        keep_rate_low=wilson_lower_bound(kept, resolved),
        streak=streak,
        longest_streak=longest_streak,
        trust=trust,
        distrust=distrust,
        uncertainty=W / total,
        stage=stage_for(trust, distrust, valued_kept, age),
        since=start,
        valued_kept=valued_kept,
        timeline=tuple(timeline),
        contributions=tuple(contributions),
    )
