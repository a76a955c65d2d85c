"""The trust model of SPEC §5: one customer's promises at a moment -> a CustomerReport.

Pure and standard library only: no database, no clock (`as_of` is an argument), no
output. Everything a report says about a customer (counts, keep rate, streaks, trust,
distrust, stage, the timeline and each event's contribution) is computed here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from marrycli.domain import (
    Contribution,
    CustomerReport,
    EventKind,
    NextStage,
    Promise,
    Size,
    Stage,
    TimelinePoint,
)

# Parameters of the trust model (SPEC §5), durations in days.
W = 2.0  # prior weight: the uncertainty of a customer with no history
K = 4.0  # a break weighs K times a keep
RHO = 0.10  # how much a failure shakes belief in every past promise
H = 365.0  # days for the relationship's age to give full tolerance
F_MIN = 0.10  # the least a failure (an early renegotiation, a slightly late keep) costs
LREQ = 7.0  # days of notice a renegotiation needs to count as early, at most
LATE_FULL = 7.0  # days late at which a late keep costs as much as a break
VALUED = 0.5  # the value weight from which a kept promise counts as valued
EST_D = 0.70  # distrust from which a customer is estranged

WILSON_Z = 1.96  # the 95% normal quantile of the keep rate's lower bound

# The stages above stranger: (stage, least trust, least valued kept, least age in days),
# checked in this order after estranged and strained (SPEC §5, "Stages").
STAGE_THRESHOLDS: tuple[tuple[Stage, float, int, float], ...] = (
    (Stage.MARRIED, 0.90, 25, 365.0),
    (Stage.LOYAL, 0.80, 12, 180.0),
    (Stage.TRUSTED, 0.60, 5, 60.0),
    (Stage.DATING, 0.30, 1, 0.0),
)

# The kinds of scored events, as they appear in `Contribution.kind`.
KEPT = "kept"
KEPT_LATE = "kept_late"
BROKEN = "broken"
RENEGOTIATED_EARLY = "renegotiated_early"
RENEGOTIATED_LATE = "renegotiated_late"
OVERDUE = "overdue"

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


def wilson_lower_bound(successes: int, n: int) -> float | None:
    """The Wilson score lower bound at 95% of successes/n; None when n is 0."""
    if n <= 0:
        return None
    p = successes / n
    z2 = WILSON_Z * WILSON_Z
    centre = p + z2 / (2 * n)
    margin = WILSON_Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, (centre - margin) / (1 + z2 / n))


def stage_for(trust: float, distrust: float, valued_kept: int, age_days: float) -> Stage:
    """The relationship stage of SPEC §5 for these trust, distrust, valued kept and age."""
    if distrust >= EST_D:
        return Stage.ESTRANGED
    if distrust > trust:
        return Stage.STRAINED
    for stage, least_trust, least_valued_kept, least_age in STAGE_THRESHOLDS:
        if trust >= least_trust and valued_kept >= least_valued_kept and age_days >= least_age:
            return stage
    return Stage.STRANGER


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


def keeps_to_leave_estranged(report: CustomerReport) -> dict[Size, int]:
    """How many valued (high) promises of each size an estranged customer needs kept, with
    nothing else happening, for its distrust to fall below EST_D; all 0 if not estranged.

    A keep only adds v * z to r (SPEC §5), so this is exact: with t = r + n + W, distrust
    n / (t + k z) < EST_D exactly when k z > n / EST_D - t.
    """
    total = W / report.uncertainty
    excess = report.distrust * total / EST_D - total
    if report.stage is not Stage.ESTRANGED or excess < 0:
        return dict.fromkeys(Size, 0)
    return {size: math.floor(excess / size.weight) + 1 for size in Size}


def next_stage(report: CustomerReport, as_of: datetime) -> NextStage:
    """The next stage up from the report's, and what separates the customer from it."""
    stage = report.stage
    if stage in (Stage.ESTRANGED, Stage.STRAINED, Stage.MARRIED):
        return NextStage(stage=None)
    age = 0.0 if report.since is None else max(0.0, _days(report.since, as_of))
    for candidate, least_trust, least_valued_kept, least_age in reversed(STAGE_THRESHOLDS):
        if candidate.rank > stage.rank:
            return NextStage(
                stage=candidate,
                trust=max(0.0, least_trust - report.trust),
                valued_kept=max(0, least_valued_kept - report.valued_kept),
                days=max(0.0, least_age - age),
            )
    return NextStage(stage=None)
