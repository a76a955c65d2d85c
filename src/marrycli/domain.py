"""Domain objects: frozen dataclasses and enums shared by every layer.

A `Promise` carries its events in recording order; its state at any moment is
derived from them (the ledger is append-only, nothing here is ever mutated).
"""

from __future__ import annotations

import calendar
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import NamedTuple

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(dt: datetime) -> int:
    """Integer microseconds since the Unix epoch of an aware datetime; exact."""
    delta = dt - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(us: int) -> datetime:
    """The aware UTC datetime `us` microseconds after the Unix epoch; inverse of to_micros."""
    return EPOCH + timedelta(0, 0, us)  # positional arguments: measurably faster


class Size(StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"

    @property
    def weight(self) -> int:
        """The size weight z of SPEC §5."""
        return _SIZE_WEIGHT[self]


class Value(StrEnum):
    NONE = "none"
    LOW = "low"
    HIGH = "high"

    @property
    def weight(self) -> float:
        """The value weight v of SPEC §5."""
        return _VALUE_WEIGHT[self]


_SIZE_WEIGHT = {Size.SMALL: 1, Size.MEDIUM: 2, Size.LARGE: 3}
_VALUE_WEIGHT = {Value.NONE: 0.0, Value.LOW: 0.5, Value.HIGH: 1.0}


class EventKind(StrEnum):
    KEPT = "kept"
    BROKEN = "broken"
    RENEGOTIATED = "renegotiated"
    CANCELLED = "cancelled"
    AMENDED = "amended"  # a correction of the promise's terms (SPEC §6), not of its history
    VOID = "void"


class Status(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    KEPT = "kept"
    KEPT_LATE = "kept_late"
    BROKEN = "broken"
    CANCELLED = "cancelled"

    @property
    def resolved(self) -> bool:
        """True once the promise has an outcome or was cancelled."""
        return self not in (Status.OPEN, Status.OVERDUE)


class Stage(StrEnum):
    """Relationship stages, declared from worst to best (SPEC §5)."""

    ESTRANGED = "estranged"
    STRAINED = "strained"
    STRANGER = "stranger"
    DATING = "dating"
    TRUSTED = "trusted"
    LOYAL = "loyal"
    MARRIED = "married"

    @property
    def rank(self) -> int:
        """Position in the order used by `--min-stage` (estranged is 0)."""
        return _STAGE_RANK[self]


_STAGE_RANK = {stage: rank for rank, stage in enumerate(Stage)}


class Amendment(NamedTuple):
    """The terms an `amended` event changes (SPEC §6); None: unchanged."""

    text: str | None = None
    size: Size | None = None
    value: Value | None = None
    owner: str | None = None
    tags: tuple[str, ...] | None = None

    def changes(self) -> dict[str, str | list[str]]:
        """The changed fields and their new values, in the order of the promise's fields."""
        changed: dict[str, str | list[str]] = {}
        for name, new in zip(self._fields, self, strict=True):
            if new is not None:
                changed[name] = list(new) if isinstance(new, tuple) else str(new)
        return changed


class Period(NamedTuple):
    """A length of calendar time (SPEC §7): `amount` hours, days, weeks or months (unit h, d,
    w or m). Days, weeks and months are counted on the local calendar; hours exactly."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def after(self, start: datetime, times: int, zone: tzinfo) -> datetime:
        """`start` moved on by `times` periods: hours exactly; days, weeks and months on the
        wall clock of `zone` (a 10:00 call stays at 10:00 across a daylight-saving change; a
        month keeps its day, or takes the month's last day when it has no such day)."""
        if self.unit == "h":
            return start + timedelta(hours=self.amount * times)
        wall = start.astimezone(zone).replace(tzinfo=None)
        if self.unit == "m":
            months = wall.month - 1 + self.amount * times
            year, month = wall.year + months // 12, months % 12 + 1
            day = min(wall.day, calendar.monthrange(year, month)[1])
            wall = wall.replace(year=year, month=month, day=day)
        else:
            wall += timedelta(days=self.amount * times * (7 if self.unit == "w" else 1))
        return wall.replace(tzinfo=zone).astimezone(UTC)


class Standing(NamedTuple):
    """What makes a promise a standing promise (SPEC §7): its period, how long each
    occurrence has, when the series stops making them, and the zone of its calendar."""

    every: Period
    within: Period  # each occurrence is due this long after it is made
    until: datetime | None = None  # no occurrence is made at or after it
    zone: str | None = None  # the IANA zone its calendar is counted in (None: the reader's)


# An occurrence's rank among promises (SPEC §5's sort key "promise id"): the series' number
# shifted, plus k. Stored or not, occurrence k of a series ranks the same, after its series
# and before any promise numbered after the series; a promise's rank is its number shifted.
RANK_SHIFT = 20


def occurrence_id(series: int, k: int) -> int:
    """The stand-in number of occurrence k of `series` before it is stored: negative, unique."""
    return -((series << RANK_SHIFT) + k)


class Event(NamedTuple):
    """One recorded event of a promise: an outcome, a renegotiation, a cancellation, an
    amendment or a void.

    A NamedTuple rather than a frozen dataclass: as immutable, and built three times
    faster, which a report reading a million of them feels.
    """

    id: int
    promise_id: int
    kind: EventKind
    at: datetime
    due: datetime | None = None  # the new due date of a renegotiation
    note: str | None = None
    owner: str | None = None
    ref: str | None = None
    voids: int | None = None  # the event a void cancels
    amendment: Amendment | None = None  # what an `amended` event changes


# A promise as scoring reads it (model/scoring.py), times in integer microseconds since the
# epoch: (rank, id, made, due, size weight z, value weight v, its standing events as (at, kind,
# new due) in recording order but its cancellations, the times of its standing cancellations).
# Plain tuples, not a class: the report builds one per promise straight from its rows
# (storage/repo/report.py), a million of them, and scores integers rather than datetimes;
# `model.scoring.scorable` makes one from a `Promise`. Only kept, broken and renegotiated
# events are left in the list (voids and amendments are applied before).
ScoredEvent = tuple[int, EventKind, int | None]
Scorable = tuple[int, int, int, int | None, int, float, Sequence[ScoredEvent], tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class PromiseState:
    """What a promise is at one moment, derived from its standing events."""

    status: Status
    due: datetime | None
    resolved: datetime | None
    renegotiations: int


class Promise(NamedTuple):
    """A promise as recorded, with all of its events in recording order (a NamedTuple, as Event)."""

    id: int
    customer: str
    text: str
    made: datetime
    due: datetime | None  # as first promised; renegotiations move it
    size: Size
    value: Value
    owner: str
    tags: tuple[str, ...] = ()
    ref: str | None = None
    events: tuple[Event, ...] = ()
    standing: Standing | None = None  # a series of standing promises (never scored itself)
    series: int | None = None  # an occurrence: the number of its series ...
    occurrence: int | None = None  # ... and its k (1, 2, ...)

    @property
    def stored(self) -> bool:
        """False for an occurrence that exists by time but has no number yet."""
        return self.id > 0

    @property
    def rank(self) -> int:
        """Its place among promises in SPEC §5's sort key (occurrences by series, then k)."""
        if self.series is not None and self.occurrence is not None:
            return (self.series << RANK_SHIFT) + self.occurrence
        return self.id << RANK_SHIFT

    @property
    def address(self) -> str:
        """How a command names it: its number, or `SERIES/k` for an occurrence."""
        if self.series is not None and self.occurrence is not None:
            return f"{self.series}/{self.occurrence}"
        return str(self.id)

    def standing_events(self) -> list[Event]:
        """The events of its history that count: outcomes, renegotiations and cancellations
        that are not voided (whatever the void's time). Amendments are not history: they
        correct the terms (`standing_amendments`)."""
        voided = {e.voids for e in self.events if e.kind is EventKind.VOID}
        if not voided and all(e.kind is not EventKind.AMENDED for e in self.events):
            return list(self.events)  # the usual case, and a report reads a million
        return [
            e
            for e in self.events
            if e.kind is not EventKind.VOID
            and e.kind is not EventKind.AMENDED
            and e.id not in voided
        ]

    def standing_amendments(self) -> list[Event]:
        """Its amendments that are not voided, in the order recorded."""
        voided = {e.voids for e in self.events if e.kind is EventKind.VOID}
        return [e for e in self.events if e.kind is EventKind.AMENDED and e.id not in voided]

    def last_standing(self) -> Event | None:
        """The last recorded event that is not a void nor voided (amendments too): what
        `undo` voids."""
        voided = {e.voids for e in self.events if e.kind is EventKind.VOID}
        for event in reversed(self.events):
            if event.kind is not EventKind.VOID and event.id not in voided:
                return event
        return None

    def amended(self) -> Promise:
        """The promise with the terms of its standing amendments (for every moment: a
        correction of the record, as a void is), its events unchanged."""
        terms = self
        for event in self.standing_amendments():
            change = event.amendment
            if change is None:
                continue
            terms = terms._replace(
                text=change.text if change.text is not None else terms.text,
                size=change.size if change.size is not None else terms.size,
                value=change.value if change.value is not None else terms.value,
                owner=change.owner if change.owner is not None else terms.owner,
                tags=change.tags if change.tags is not None else terms.tags,
            )
        return terms

    def state(self, as_of: datetime) -> PromiseState:
        """The promise's status, due date and resolution as they stood at `as_of`."""
        due = self.due
        renegotiations = 0
        for event in self.standing_events():
            if event.at > as_of:
                break
            if event.kind is EventKind.RENEGOTIATED:
                due = event.due
                renegotiations += 1
            elif event.kind is EventKind.KEPT:
                late = due is not None and event.at > due
                status = Status.KEPT_LATE if late else Status.KEPT
                return PromiseState(
                    status=status, due=due, resolved=event.at, renegotiations=renegotiations
                )
            elif event.kind is EventKind.BROKEN:
                return PromiseState(
                    status=Status.BROKEN, due=due, resolved=event.at, renegotiations=renegotiations
                )
            elif event.kind is EventKind.CANCELLED:
                return PromiseState(
                    status=Status.CANCELLED,
                    due=due,
                    resolved=event.at,
                    renegotiations=renegotiations,
                )
        overdue = due is not None and due < as_of
        return PromiseState(
            status=Status.OVERDUE if overdue else Status.OPEN,
            due=due,
            resolved=None,
            renegotiations=renegotiations,
        )


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


def fold_name(name: str) -> str:
    """A name as displayed: NFC, stripped, inner runs of white space folded to one space."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def customer_key(name: str) -> str:
    """The key that matches customers: the folded name, casefolded (SPEC §1)."""
    return unicodedata.normalize("NFC", fold_name(name).casefold())


# The service's results. NamedTuples, as Promise and Event: every command imports this module,
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
