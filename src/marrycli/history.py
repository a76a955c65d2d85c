"""The rules of a promise's history: which event may follow the events already recorded.

One implementation, used by every way in: the CLI's writes plan their event with `problem`
(service), an import checks each event of a file with it (transfer), and `db check` replays
every stored history through it (`replay`). Pure: standard library, `dates` and the domain.

The rules, for an event at time `at` after the promise's events so far:

- kept, broken, renegotiated and cancelled need a promise that is not resolved yet (kept,
  kept late, broken or cancelled); a renegotiation also needs a due date to move, and a new
  due date after its own time;
- no event is before the promise was made, or before its last standing event (the events
  that count: not voids, not voided), so standing events are in time order;
- a void cancels the last standing event, and is not before it (so an event is voided once);
- an amendment (a correction of the terms, not an event of the history) may follow any
  history, resolved or not, but is not before the promise was made; it is a standing event
  for a void (so `undo` voids it when it is the last), and not for the time order of the
  others (a keep recorded after an amendment may be dated before it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from marrycli.dates import format_utc
from marrycli.domain import Event, EventKind, Promise, Status

_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


class Refusal(StrEnum):
    RESOLVED = "resolved"  # an outcome, renegotiation or cancellation of a resolved promise
    NO_DUE = "no_due"  # a renegotiation of a promise without a due date
    DUE_NOT_AFTER = "due_not_after"  # a renegotiation's new due date not after its time
    BEFORE_MADE = "before_made"
    BEFORE_LAST = "before_last"  # before the last standing event
    NOTHING_TO_VOID = "nothing_to_void"
    NOT_LAST = "not_last"  # a void of another event than the last standing one


@dataclass(frozen=True, slots=True)
class Problem:
    """Why an event cannot follow a promise's history, with what the message needs."""

    refusal: Refusal
    status: Status  # the promise's status before the event
    last: Event | None  # its last standing event before the event


def problem(
    promise: Promise,
    kind: EventKind,
    at: datetime,
    due: datetime | None = None,
    voids: int | None = None,
) -> Problem | None:
    """Why an event of `kind` at `at` cannot follow `promise.events`, or None if it can.

    `due` is a renegotiation's new due date, `voids` the id of the event a void cancels.
    """
    standing = promise.standing_events()
    last = standing[-1] if standing else None
    state = promise.state(_END_OF_TIME)

    def refuse(refusal: Refusal, last: Event | None = last) -> Problem:
        return Problem(refusal=refusal, status=state.status, last=last)

    if kind is EventKind.VOID:
        target = promise.last_standing()  # an amendment too
        if target is None:
            return refuse(Refusal.NOTHING_TO_VOID)
        if voids != target.id:
            return refuse(Refusal.NOT_LAST, target)
        if at < target.at:
            return refuse(Refusal.BEFORE_LAST, target)
        return None
    if kind is EventKind.AMENDED:
        return refuse(Refusal.BEFORE_MADE) if at < promise.made else None
    if state.status.resolved:
        return refuse(Refusal.RESOLVED)
    if kind is EventKind.RENEGOTIATED and state.due is None:
        return refuse(Refusal.NO_DUE)
    if at < promise.made:
        return refuse(Refusal.BEFORE_MADE)
    if last is not None and at < last.at:
        return refuse(Refusal.BEFORE_LAST)
    if kind is EventKind.RENEGOTIATED and (due is None or due <= at):
        return refuse(Refusal.DUE_NOT_AFTER)
    return None


def describe(found: Problem, kind: EventKind) -> str:
    """A problem in plain words, for an import's line or `db check` (the CLI says it its way)."""
    last = found.last
    refusal = found.refusal
    if refusal is Refusal.RESOLVED:
        return f"a {kind.value} event follows its {found.status.value} outcome"
    if refusal is Refusal.NO_DUE:
        return "a renegotiation of a promise that has no due date"
    if refusal is Refusal.DUE_NOT_AFTER:
        return "a renegotiation needs a new due date after its own time"
    if refusal is Refusal.BEFORE_MADE:
        return "the event is before its promise was made"
    if refusal is Refusal.BEFORE_LAST:
        assert last is not None
        return (
            f"the event is before the promise's last standing event "
            f"({last.kind.value} at {format_utc(last.at)}); events must be in time order"
        )
    if refusal is Refusal.NOTHING_TO_VOID:
        return "a void, but the promise has no standing event to cancel"
    assert last is not None
    return f"a void must cancel the promise's last standing event ({last.kind.value} {last.id})"


def replay(promise: Promise) -> list[tuple[Event, Problem]]:
    """Every event of a stored promise that could not have followed the ones before it."""
    found = []
    for index, event in enumerate(promise.events):
        before = promise._replace(events=promise.events[:index])
        wrong = problem(before, event.kind, event.at, event.due, event.voids)
        if wrong is not None:
            found.append((event, wrong))
    return found
