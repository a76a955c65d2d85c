"""What a customer values (SPEC §8): its value profile, the value a new promise takes from it,
and, per tag, what the customer's promises of that tag did (counts of each value, kept on
time, failures, keep rate, the trust their kept events built).

Pure and standard library only. The record of each promise comes from the trust model's own
per-event contributions (`CustomerReport.contributions`): nothing here scores a second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from fractions import Fraction

from marrycli.domain import (
    Contribution,
    CustomerValues,
    Promise,
    Status,
    TagValues,
    Value,
)
from marrycli.model.scoring import (
    BROKEN,
    KEPT,
    KEPT_LATE,
    OVERDUE,
    RENEGOTIATED_LATE,
    VALUED,
)

# The contribution kinds that are failures (SPEC §5: kept late, broken, late renegotiations,
# overdue); an early renegotiation is neither a keep nor a failure.
FAILURES = frozenset({KEPT_LATE, BROKEN, RENEGOTIATED_LATE, OVERDUE})

# When to say that effort goes to promises the customer does not value (SPEC §8): at least
# this many valued and this many other promises resolved (kept + failures, the keep rate's
# denominator), and the valued ones' keep rate at least EFFORT_GAP below the others'.
EFFORT_RESOLVED = 5
EFFORT_GAP = Fraction(1, 5)

_RANK = {Value.NONE: 0, Value.LOW: 1, Value.HIGH: 2}


def fold_profile(changes: Iterable[tuple[str, Value | None]]) -> dict[str, Value]:
    """The profile a customer's value changes leave, in the order recorded: per tag, the level
    of its latest change (a clear, None, removes the tag); ordered by tag."""
    profile: dict[str, Value] = {}
    for tag, level in changes:
        if level is None:
            profile.pop(tag, None)
        else:
            profile[tag] = level
    return dict(sorted(profile.items(), key=lambda item: _tag_order(item[0])))


def profile_value(profile: dict[str, Value], tags: Sequence[str]) -> tuple[Value, str] | None:
    """The highest level the profile gives one of `tags`, and the tag (the first one of that
    level, in the promise's order); None when the profile names none of them."""
    best: tuple[Value, str] | None = None
    for tag in tags:
        level = profile.get(tag)
        if level is not None and (best is None or _RANK[level] > _RANK[best[0]]):
            best = (level, tag)
    return best


class _Record:
    """Kept on time, failures and trust built, summed over promises."""

    __slots__ = ("failures", "kept", "trust_built")

    def __init__(self) -> None:
        self.kept = 0
        self.failures = 0
        self.trust_built = 0.0

    def add(self, other: _Record) -> None:
        self.kept += other.kept
        self.failures += other.failures
        self.trust_built += other.trust_built

    @property
    def resolved(self) -> int:
        return self.kept + self.failures

    @property
    def keep_rate(self) -> float | None:
        return self.kept / self.resolved if self.resolved else None


def customer_values(
    promises: Iterable[Promise],
    contributions: Iterable[Contribution],
    profile: dict[str, Value],
    as_of: datetime,
) -> CustomerValues:
    """What one customer values at `as_of`: `contributions` are its scored events at `as_of`
    (`score_customer(..., detail=True).contributions`), `promises` its promises."""
    records: dict[int, _Record] = {}
    for c in contributions:
        record = records.setdefault(c.promise_id, _Record())
        if c.kind == KEPT:
            record.kept += 1
            record.trust_built += c.trust_after - c.trust_before
        elif c.kind in FAILURES:
            record.failures += 1
    by_tag: dict[str | None, list[Promise]] = {tag: [] for tag in profile}
    valued, unvalued = _Record(), _Record()
    for promise in promises:
        if promise.made > as_of or promise.state(as_of).status is Status.CANCELLED:
            continue
        scored = records.get(promise.id)
        if scored is not None:
            (valued if promise.value.weight >= VALUED else unvalued).add(scored)
        for tag in promise.tags or (None,):
            by_tag.setdefault(tag, []).append(promise)
    tags = [
        _tag_values(tag, tagged, records, profile.get(tag) if tag is not None else None)
        for tag, tagged in by_tag.items()
    ]
    tags.sort(key=lambda t: (t.tag is None, _tag_order(t.tag or "")))
    return CustomerValues(
        profile=profile,
        valued_keep_rate=valued.keep_rate,
        unvalued_keep_rate=unvalued.keep_rate,
        valued_resolved=valued.resolved,
        unvalued_resolved=unvalued.resolved,
        effort_misplaced=_effort_misplaced(valued, unvalued),
        tags=tuple(tags),
    )


def _tag_values(
    tag: str | None, tagged: list[Promise], records: dict[int, _Record], level: Value | None
) -> TagValues:
    total = _Record()
    for promise in tagged:
        record = records.get(promise.id)
        if record is not None:
            total.add(record)
    values = [promise.value for promise in tagged]
    return TagValues(
        tag=tag,
        promises=len(tagged),
        none=values.count(Value.NONE),
        low=values.count(Value.LOW),
        high=values.count(Value.HIGH),
        kept=total.kept,
        failures=total.failures,
        keep_rate=total.keep_rate,
        trust_built=total.trust_built,
        level=level,
    )


def _effort_misplaced(valued: _Record, unvalued: _Record) -> bool:
    """Whether effort goes to promises the customer does not value (exact fractions: 0.4
    against 0.6 is a gap of 0.2, which floating point would make a hair less)."""
    if valued.resolved < EFFORT_RESOLVED or unvalued.resolved < EFFORT_RESOLVED:
        return False
    valued_rate = Fraction(valued.kept, valued.resolved)
    unvalued_rate = Fraction(unvalued.kept, unvalued.resolved)
    return unvalued_rate - valued_rate >= EFFORT_GAP


def _tag_order(tag: str) -> tuple[str, str]:
    return (tag.casefold(), tag)
