"""Domain objects: frozen dataclasses and enums shared by every layer.

A `Promise` carries its events in recording order; its state at any moment is
derived from them (the ledger is append-only, nothing here is ever mutated).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


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


class Event(NamedTuple):
    """One recorded event of a promise: an outcome, a renegotiation, a cancellation or a void.

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

    def standing_events(self) -> list[Event]:
        """The events that count: not voids, and not voided (whatever the void's time)."""
        voided = {e.voids for e in self.events if e.kind is EventKind.VOID}
        if not voided:
            return list(self.events)
        return [e for e in self.events if e.kind is not EventKind.VOID and e.id not in voided]

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
                return PromiseState(status, due, event.at, renegotiations)
            elif event.kind is EventKind.BROKEN:
                return PromiseState(Status.BROKEN, due, event.at, renegotiations)
            elif event.kind is EventKind.CANCELLED:
                return PromiseState(Status.CANCELLED, due, event.at, renegotiations)
        overdue = due is not None and due < as_of
        return PromiseState(Status.OVERDUE if overdue else Status.OPEN, due, None, renegotiations)


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
