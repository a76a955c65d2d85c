"""The trust model of SPEC §5: one customer's promises at a moment -> a CustomerReport.

Pure and standard library only: no database, no clock (`as_of` is an argument), no
output. Everything a report says about a customer (counts, keep rate, streaks, trust,
distrust, stage, the timeline and each event's contribution) is computed here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from operator import itemgetter

from marrycli.domain import (
    Contribution,
    CustomerReport,
    EventKind,
    NextStage,
    Promise,
    Scorable,
    Size,
    Stage,
    TimelinePoint,
    from_micros,
    to_micros,
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
_MICROS_PER_SECOND = 1_000_000

# The kinds of recorded events scoring reads (compared with `is`: they are enum members).
_KEPT_EVENT = EventKind.KEPT
_BROKEN_EVENT = EventKind.BROKEN
_RENEGOTIATED_EVENT = EventKind.RENEGOTIATED
_CANCELLED_EVENT = EventKind.CANCELLED

# A scored event: (time, promise rank, order within the promise, kind, f, z, v, promise id),
# its time in integer microseconds. The first three make the sort key of SPEC §5 and are
# unique per event: the rank is the promise's number, except that an occurrence of a standing
# promise ranks by its series and k, stored or not (`Promise.rank`).
_Scored = tuple[int, int, int, str, float, int, float, int]
_SORT_KEY = itemgetter(0, 1, 2)


def _span(t1: int, t2: int) -> float:
    """Days from t1 to t2 (integer microseconds), exactly as timedelta.total_seconds() / 86400
    computes them for the same two datetimes: the same two roundings, the same float."""
    return (t2 - t1) / _MICROS_PER_SECOND / _SECONDS_PER_DAY


def _days(t1: datetime, t2: datetime) -> float:
    return _span(to_micros(t1), to_micros(t2))


def _notice_ratio(made: int, due: int, at: int) -> float:
    """e of SPEC §5: how much of the notice a renegotiation needed it gave (0 to 1)."""
    horizon = _span(made, due)
    notice = _span(at, due)
    lreq = max(1.0, min(LREQ, horizon / 2))
    return max(0.0, min(1.0, notice / lreq))


def _renegotiation_cost(made: int, due: int, at: int) -> float:
    if at >= due:
        return 1.0
    return F_MIN + (1 - F_MIN) * (1 - _notice_ratio(made, due, at))


def _late_cost(due: int, at: int) -> float:
    return max(F_MIN, min(1.0, _span(due, at) / LATE_FULL))


def renegotiation_cost(made: datetime, due: datetime, at: datetime) -> float:
    """The cost factor f of renegotiating at `at` a promise made at `made`, due at `due`."""
    return _renegotiation_cost(to_micros(made), to_micros(due), to_micros(at))


def renegotiation_is_early(made: datetime, due: datetime, at: datetime) -> bool:
    """True when a renegotiation at `at` gave at least half the notice it needed (e >= 0.5)."""
    return _is_early(to_micros(made), to_micros(due), to_micros(at))


def _is_early(made: int, due: int, at: int) -> bool:
    return at < due and _notice_ratio(made, due, at) >= 0.5


def late_cost(due: datetime, at: datetime) -> float:
    """The cost factor f of keeping at `at` a promise that was due at `due` (F_MIN to 1)."""
    return _late_cost(to_micros(due), to_micros(at))


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


def scorable(promise: Promise) -> Scorable | None:
    """The promise as scoring reads it (`Scorable`: its standing events, amendments applied
    by whoever built it, times as integers); None for a series, which is never scored itself."""
    if promise.standing is not None:
        return None
    due = promise.due
    standing = promise.standing_events()
    return (
        promise.rank,
        promise.id,
        to_micros(promise.made),
        None if due is None else to_micros(due),
        promise.size.weight,
        promise.value.weight,
        [
            (to_micros(e.at), e.kind, None if e.due is None else to_micros(e.due))
            for e in standing
            if e.kind is not _CANCELLED_EVENT
        ],
        tuple(to_micros(e.at) for e in standing if e.kind is _CANCELLED_EVENT),
    )


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
    items = [item for item in map(scorable, promises) if item is not None]
    return score_scorables(customer, items, as_of, detail=detail)


def score_scorables(
    customer: str,
    promises: Iterable[Scorable],
    as_of: datetime,
    *,
    detail: bool = True,
) -> CustomerReport:
    """`score_customer` of promises already made `Scorable` (the report builds them from its
    rows without a `Promise` or a datetime in between): every number is the same."""
    now = to_micros(as_of)
    kept = kept_late = broken = overdue = 0
    open_count = 0
    cancelled = 0
    renegotiated = 0
    scored: list[_Scored] = []
    append = scored.append

    for rank, pid, made, due, z, v, events, cancellations in promises:
        if made > now:
            continue
        if cancellations and min(cancellations) <= now:  # cancelled by as_of: left out
            cancelled += 1
            continue
        # Its events by as_of (a cancellation among them is none: those are later). An outcome
        # ends the promise's history, as in `Promise.state`: later events (which the CLI
        # refuses to record) are not scored. `order`: the event's place among them.
        order = 0
        for at, recorded, new_due in events:
            if at > now:
                continue
            if recorded is _KEPT_EVENT:
                if due is None or at <= due:
                    append((at, rank, order, KEPT, 1.0, z, v, pid))
                    kept += 1
                else:
                    append((at, rank, order, KEPT_LATE, _late_cost(due, at), z, v, pid))
                    kept_late += 1
                break
            if recorded is _BROKEN_EVENT:
                # A promise broken after its due date was felt as broken at that date (and
                # scored there, exactly as it was while overdue).
                when = at if due is None or at < due else due
                append((when, rank, order, BROKEN, 1.0, z, v, pid))
                broken += 1
                break
            # Renegotiated: the only other kind of event scoring reads.
            renegotiated += 1
            if due is None:
                # Not a valid ledger (a renegotiation needs a due date); with no date to
                # miss, the notice was as long as could be.
                append((at, rank, order, RENEGOTIATED_EARLY, F_MIN, z, v, pid))
            elif _is_early(made, due, at):
                f = _renegotiation_cost(made, due, at)
                append((at, rank, order, RENEGOTIATED_EARLY, f, z, v, pid))
            else:
                # At or after the due date: f = 1, scored at the due date, as a break
                # after the due date (the customer felt it as broken from then).
                f = _renegotiation_cost(made, due, at)
                when = at if at < due else due
                append((when, rank, order, RENEGOTIATED_LATE, f, z, v, pid))
            made = at
            due = new_due
            order += 1
        else:
            # Unresolved at as_of (no outcome among the events that count).
            if due is not None and due < now:
                append((due, rank, order, OVERDUE, 1.0, z, v, pid))
                overdue += 1
            else:
                open_count += 1

    scored.sort(key=_SORT_KEY)

    r = 0.0
    n = 0.0
    start: int | None = None
    valued_kept = 0
    failures = 0
    streak = 0
    longest_streak = 0
    timeline: list[TimelinePoint] = []
    contributions: list[Contribution] = []

    trust_before = distrust_before = 0.0
    for t, _rank, _order, kind, f, z, v, pid in scored:
        if detail or kind != KEPT:  # a keep needs them only for its contribution
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
            if streak > longest_streak:
                longest_streak = streak
        else:
            tenure = 0.0 if start is None else min(1.0, max(0.0, _span(start, t)) / H)
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
            age = 0.0 if start is None else max(0.0, _span(start, t))
            stage = stage_for(trust_after, distrust_after, valued_kept, age)
            moment = from_micros(t)
            timeline.append(
                TimelinePoint(at=moment, trust=trust_after, distrust=distrust_after, stage=stage)
            )
            contributions.append(
                Contribution(
                    promise_id=pid,
                    kind=kind,
                    at=moment,
                    trust_before=trust_before,
                    trust_after=trust_after,
                    distrust_before=distrust_before,
                    distrust_after=distrust_after,
                )
            )

    total = r + n + W
    trust = r / total
    distrust = n / total
    resolved = kept + failures
    age = 0.0 if start is None else max(0.0, _span(start, now))
    return CustomerReport(
        customer=customer,
        promises=open_count + overdue + kept + kept_late + broken,
        open=open_count,
        overdue=overdue,
        kept=kept,
        kept_late=kept_late,
        broken=broken,
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
        since=None if start is None else from_micros(start),
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
