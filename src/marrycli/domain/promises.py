"""The ledger's objects: promises, their events and terms, and the enums they use.

A `Promise` carries its events in recording order; its state at any moment is
derived from them (the ledger is append-only, nothing here is ever mutated).
"""

from __future__ import annotations

import calendar
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
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


def fold_name(name: str) -> str:
    """A name as displayed: NFC, stripped, inner runs of white space folded to one space."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def customer_key(name: str) -> str:
    """The key that matches customers: the folded name, casefolded (SPEC §1)."""
    return unicodedata.normalize("NFC", fold_name(name).casefold())
