"""What the service returns: reports, timelines and contributions, a write's record, the
directory's summaries, assessments, agenda items, findings, import counts.

Frozen dataclasses for the report's pieces, NamedTuples for the rest (see below).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from marrycli.domain.promises import Promise, Size, Stage, Status, Value


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    """Trust and distrust just after one scored event, with the stage at that moment."""

    at: datetime
    trust: float
    distrust: float
    stage: Stage


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one scored event did to a customer's trust and distrust."""

    promise_id: int
    kind: str  # kept | kept_late | broken | renegotiated_early | renegotiated_late | overdue
    at: datetime
    trust_before: float
    trust_after: float
    distrust_before: float
    distrust_after: float


@dataclass(frozen=True, slots=True)
class CustomerReport:
    """Every field of SPEC §2's CUSTOMER object, plus the timeline and contributions."""

    customer: str
    promises: int
    open: int
    overdue: int
    kept: int
    kept_late: int
    broken: int
    cancelled: int
    renegotiated: int
    keep_rate: float | None
    keep_rate_low: float | None
    streak: int
    longest_streak: int
    trust: float
    distrust: float
    uncertainty: float
    stage: Stage
    since: datetime | None
    valued_kept: int = 0  # kept events of valued promises: the stages count them
    timeline: tuple[TimelinePoint, ...] = field(default=())
    contributions: tuple[Contribution, ...] = field(default=())


# The service's results. NamedTuples, as Promise and Event: every command imports this package,
# `marry --help` included, and a NamedTuple costs a tenth of a frozen dataclass to define.


class Recorded(NamedTuple):
    """A promise after a write, with a notice when nothing new was recorded, or a warning."""

    promise: Promise
    notice: str | None = None
    warning: str | None = None  # the guard's, for a risky promise
    new_customer: str | None = None  # a new customer that looks like a typo, in words
    note: str | None = None  # the guard's note (a promise the customer does not value)
    value_from: str | None = None  # the tag whose entry in the customer's profile gave the value
    series: SeriesRecord | None = None  # the promise is a standing one: its record now


class SeriesRecord(NamedTuple):
    """A standing promise (SPEC §7) and the record of its occurrences that exist at a moment."""

    series: Promise
    ended: datetime | None  # when it was ended (not voided), or None
    occurrences: int  # that exist and count (not cancelled)
    kept: int  # kept on time
    keep_rate: float | None
    streak: int

    @property
    def status(self) -> str:
        return "ended" if self.ended is not None else "standing"


class LineResult(NamedTuple):
    """What became of one line of `marry batch`: the promise it wrote (or found already
    written), or why it failed (`refused`: by --strict, rather than bad input)."""

    line: int
    recorded: Recorded | None = None
    error: str | None = None  # "keep: there is no promise 99; ..."
    refused: bool = False


class CustomerSummary(NamedTuple):
    """A customer in the directory, with counts as of now."""

    customer: str
    promises: int
    open: int
    overdue: int
    merged: tuple[str, ...]


class ProfileEntry(NamedTuple):
    """One tag of a customer's value profile (SPEC §8): how much it values promises so tagged,
    as its latest value change says."""

    tag: str
    level: Value
    note: str | None
    at: datetime  # when it was recorded
    owner: str  # who recorded it


class CustomerProfile(NamedTuple):
    """`marry customer show`: a customer's names, value profile and counts as of now."""

    customer: str
    names: tuple[str, ...]  # every name leading to the customer, the display name first
    profile: tuple[ProfileEntry, ...]  # by tag
    promises: int
    open: int
    overdue: int


class LedgerInfo(NamedTuple):
    """Where the ledger is and what it holds."""

    location: str
    backend: str
    exists: bool
    schema_version: int | None
    marry_schema_version: int
    customers: int
    promises: int
    events: int


class WhatIf(NamedTuple):
    """A customer before and after a hypothetical event, both scored at its time."""

    before: CustomerReport
    after: CustomerReport
    promise: Promise
    notice: str | None  # set when the event would be a no-op


class ReportLine(NamedTuple):
    """One customer in `marry report`: its scores, and its trust trend over 30 days."""

    customer_id: int
    report: CustomerReport
    trend: float | None  # trust now minus trust 30 days earlier (None when not asked for)
    detail: CustomerDetail | None = None  # the customer in detail (only when asked for)


class CustomerDetail(NamedTuple):
    """`marry report --customer`: the scores with timeline, the promises, the next stage."""

    report: CustomerReport
    trend: float
    promises: list[Promise]
    next_stage: NextStage
    budget: dict[Size, int]  # breaks of each size it can absorb before its stage drops
    values: CustomerValues | None = None  # what the customer values (SPEC §8)
    standing: tuple[SeriesRecord, ...] = ()  # its standing promises, with their records (SPEC §7)


class TagValues(NamedTuple):
    """One tag of a customer's promises (or those without a tag), for what it values."""

    tag: str | None  # None: the promises without a tag
    promises: int  # made by as_of and not cancelled
    none: int  # of those, how many have each value
    low: int
    high: int
    kept: int  # kept on time
    failures: int  # kept late, broken, renegotiated late, overdue (SPEC §5)
    keep_rate: float | None  # kept / (kept + failures)
    trust_built: float  # the sum of its kept events' contributions to trust
    level: Value | None  # what the customer's profile says of the tag (None: nothing)


class CustomerValues(NamedTuple):
    """What a customer values (`report --customer`, SPEC §8): its profile, each tag's record,
    and the keep rate of valued promises (v >= VALUED) beside that of the others."""

    profile: dict[str, Value]
    valued_keep_rate: float | None
    unvalued_keep_rate: float | None
    valued_resolved: int  # kept + failures of the valued promises
    unvalued_resolved: int
    effort_misplaced: bool  # enough of both resolved, and the valued kept clearly less often
    tags: tuple[TagValues, ...]  # by tag, the promises without a tag last


class Gates(NamedTuple):
    """What `marry check` demands of each customer (None: not checked)."""

    min_stage: Stage | None = None
    min_keep_rate: float | None = None
    max_overdue: int | None = None


class Finding(NamedTuple):
    """One customer failing one gate."""

    customer: str
    check: str  # min-stage | min-keep-rate | max-overdue
    expected: str | float | int
    actual: str | float | int


class NextStage(NamedTuple):
    """What a customer lacks for the next stage up (None at the top, or below stranger)."""

    stage: Stage | None
    trust: float = 0.0  # more trust needed
    valued_kept: int = 0  # more valued promises kept on time
    days: float = 0.0  # more days of relationship


class Assessment(NamedTuple):
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
    note: str | None = None  # what to know that is never a refusal (a value of none)


class Timing(NamedTuple):
    """One action taken now or AGENDA_WAIT later: its cost factor f and the trust after it.

    Both trusts are scored at now + AGENDA_WAIT, so they differ only by the wait.
    """

    cost_now: float
    cost_later: float
    trust_acting_now: float  # the customer's trust at now + AGENDA_WAIT, having acted now
    trust_acting_later: float  # the same, having acted at now + AGENDA_WAIT


class AgendaItem(NamedTuple):
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


class OwnerReport(NamedTuple):
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


class TagReport(NamedTuple):
    """One tag's promises across customers (`report --by tag`, SPEC §8)."""

    tag: str
    customers: int  # customers with a promise carrying the tag that counts
    promises: int  # made by as_of and not cancelled
    valued_share: float | None  # the share of those with value low or high (v >= VALUED)
    keep_rate: float | None  # SPEC §5's, over the tag's promises
    keep_rate_low: float | None
    open: int
    overdue: int


@dataclass
class ImportCounts:
    """What an import added, and what it found already there."""

    customers: int = 0
    promises: int = 0
    events: int = 0
    skipped: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.customers or self.promises or self.events)
