"""Use cases of events: keep, break, renegotiate, cancel, amend and undo, each through the
one event write (`_event_write`), and what-if, which weighs one without recording it.

Each write has its plan (`outcome_write`, `renegotiation_write`, ...: a `Write`, its input
checked) that the command runs alone and `marry batch` runs with others."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from marrycli.dates import When, format_local, to_micros
from marrycli.domain import Amendment, EventKind, Promise, Recorded, Size, Status, Value, WhatIf
from marrycli.errors import BadInput
from marrycli.model import discipline
from marrycli.model.scoring import score_customer
from marrycli.rules import TAGS_MAX, PromiseId
from marrycli.service.lookup import describe_ref, load_promise, resolve_promise
from marrycli.service.writes import Write, not_in_future, run_write, take_ref

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from marrycli.storage.ledger import Ledger


FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def _event_time(promise: Promise, at: When | None, now: datetime) -> datetime:
    """The time of a new event: `--at` (not in the future) or now; `_check_history` checks
    it against the promise's history."""
    standing = promise.standing_events()
    last = standing[-1].at if standing else None
    if at is None:
        return now
    moment = at.instant
    if at.day is not None:
        start, end = at.day
        # A bare day means its start, unless the promise (or its last event) is of
        # that same day: then that moment, so `keep 12 --at today` just works.
        latest = max(promise.made, last) if last is not None else promise.made
        if start <= latest < end:
            moment = latest
    not_in_future("--at", moment, now)
    return moment


def _check_history(
    current: Promise, kind: EventKind, moment: datetime, due: datetime | None = None
) -> None:
    """The history rules (`marrycli.history`, shared with import and `db check`), in the
    CLI's words: BadInput if an event of `kind` at `moment` cannot follow `current`'s."""
    from marrycli.history import Refusal, problem

    found = problem(current, kind, moment, due)
    if found is None:
        return
    pid = current.id
    if found.refusal is Refusal.RESOLVED:
        if kind is EventKind.RENEGOTIATED:
            advice = "only an open promise can be renegotiated"
        elif kind is EventKind.CANCELLED:
            advice = f"run `marry undo {pid}` first to cancel it instead"
        else:
            advice = f"if that was a mistake, run `marry undo {pid}` first"
        raise BadInput(f"promise {pid} is already {found.status.value}; {advice}")
    if found.refusal is Refusal.NO_DUE:
        raise BadInput(
            f"promise {pid} has no due date to move; "
            "a promise without a due date cannot be renegotiated"
        )
    if found.refusal is Refusal.BEFORE_MADE:
        raise BadInput(
            f"--at {format_local(moment)} is before promise {pid} was made "
            f"({format_local(current.made)})"
        )
    if found.refusal is Refusal.BEFORE_LAST:
        assert found.last is not None
        raise BadInput(
            f"--at {format_local(moment)} is before the last event of promise {pid} "
            f"({found.last.kind.value}, {format_local(found.last.at)})"
        )
    if found.refusal is Refusal.DUE_NOT_AFTER:
        assert due is not None
        raise BadInput(
            f"the new --due {format_local(due)} is not after the renegotiation "
            f"({format_local(moment)}); give a later date"
        )
    raise BadInput(f"promise {pid} has nothing to undo; it has no standing event")


@dataclass(frozen=True, slots=True)
class EventValues:
    """What a new event records besides its promise and kind: what `decide` returns."""

    at: datetime
    recorded: datetime
    owner: str
    note: str | None
    due: datetime | None = None  # a renegotiation's new due date
    voids: int | None = None  # the event a void cancels
    amendment: Amendment | None = None  # what an amendment changes


# Given the promise as it stands, the event to record, or a Recorded for a no-op.
Decide = Callable[[Promise], EventValues | Recorded]


def _event_write(
    promise: PromiseId,
    kind: EventKind,
    ref: str | None,
    decide: Decide,
    *,
    now: datetime,
    at: When | None = None,
    on_series: bool = False,
) -> Write:
    """The common frame of every event write: lock, replay a ref, decide, append, claim the ref.

    On a standing promise (SPEC §7) the event is for one of its occurrences (`ID/k`, or the
    oldest unresolved at `at`), stored first if it is not yet; `on_series` writes on the
    series itself (its end, an undo of it, an amendment of its terms) unless `ID/k` is named.
    """
    from marrycli.service import standing
    from marrycli.storage import repo

    def write(maybe: Connection | None) -> Recorded:
        conn, promise_id = resolve_promise(maybe, promise)
        current = load_promise(conn, promise_id)
        if promise.occurrence is not None and current.standing is None:
            raise BadInput(
                f"promise {promise_id} is not a standing promise; "
                f"{promise} names none of its occurrences"
            )
        if ref is not None:
            stored = repo.find_ref(conn, ref)
            if stored is not None:
                named = load_promise(conn, stored.promise_id)
                same = stored.promise_id == promise_id or (
                    named.series == promise_id and promise.occurrence in (None, named.occurrence)
                )
                if same and stored.event_kind == kind.value:
                    replayed = Recorded(
                        promise=named, notice=f"ref {ref} is already recorded; nothing added"
                    )
                    return standing.with_record(conn, replayed, now)
                raise BadInput(
                    f"--ref {ref} is already used for {describe_ref(stored)}; use another ref"
                )
        if current.standing is not None and (promise.occurrence is not None or not on_series):
            moment = at.instant if at is not None else now
            target = standing.pick_occurrence(
                conn, current, promise.occurrence, moment, _ACTIONS[kind]
            )
            promise_id = standing.store(conn, current, target, now)
            current = load_promise(conn, promise_id)
        decision = decide(current)
        if isinstance(decision, Recorded):
            return standing.with_record(conn, decision, now)
        event_id = repo.insert_event(
            conn,
            promise_id=promise_id,
            kind=kind,
            at=to_micros(decision.at),
            due=to_micros(decision.due) if decision.due is not None else None,
            note=decision.note,
            owner=decision.owner,
            voids=decision.voids,
            recorded=to_micros(decision.recorded),
            amendment=decision.amendment,
        )
        take_ref(conn, ref, promise_id, event_id)
        return standing.with_record(conn, Recorded(promise=load_promise(conn, promise_id)), now)

    return Write(apply=write, ref=ref, create=False)


_ACTIONS = {
    EventKind.KEPT: "keep",
    EventKind.BROKEN: "break",
    EventKind.RENEGOTIATED: "renegotiate",
    EventKind.CANCELLED: "cancel",
    EventKind.AMENDED: "amend",
    EventKind.VOID: "undo",
}


def current_status(promise: Promise) -> Status:
    """A promise's status once all of its events count, whenever they are."""
    return promise.state(FAR_FUTURE).status


def _plan_outcome(
    current: Promise, kind: EventKind, at: When | None, now: datetime
) -> datetime | str:
    """When a keep or break would be recorded, or a notice when it is a repeat (a no-op)."""
    status = current_status(current)
    same = (kind is EventKind.KEPT and status in (Status.KEPT, Status.KEPT_LATE)) or (
        kind is EventKind.BROKEN and status is Status.BROKEN
    )
    if same:
        return f"promise {current.id} is already {status.value}; nothing added"
    moment = _event_time(current, at, now)
    _check_history(current, kind, moment)
    return moment


def _plan_renegotiation(current: Promise, due: When, at: When | None, now: datetime) -> datetime:
    """When a renegotiation would be recorded; BadInput if it cannot be."""
    moment = _event_time(current, at, now)
    _check_history(current, EventKind.RENEGOTIATED, moment, due.instant)
    current_due = current.state(FAR_FUTURE).due
    if due.instant == current_due:
        raise BadInput(
            f"promise {current.id} is already due {format_local(current_due)}; "
            "a renegotiation must move the due date: give another --due"
        )
    return moment


def record_outcome(
    ledger: Ledger,
    promise: PromiseId,
    kind: EventKind,
    *,
    at: When | None,
    note: str | None,
    ref: str | None,
    owner: str,
    now: datetime,
) -> Recorded:
    """Record that a promise was kept or broken (a repeat of its outcome is a no-op)."""
    write = outcome_write(promise, kind, at=at, note=note, ref=ref, owner=owner, now=now)
    return run_write(ledger, write)


def outcome_write(
    promise: PromiseId,
    kind: EventKind,
    *,
    at: When | None,
    note: str | None,
    ref: str | None,
    owner: str,
    now: datetime,
) -> Write:
    """`record_outcome`, planned."""
    assert kind in (EventKind.KEPT, EventKind.BROKEN)

    def decide(current: Promise) -> EventValues | Recorded:
        planned = _plan_outcome(current, kind, at, now)
        if isinstance(planned, str):
            return Recorded(promise=current, notice=planned)
        return EventValues(at=planned, recorded=now, owner=owner, note=note)

    return _event_write(promise, kind, ref, decide, now=now, at=at)


def renegotiate(
    ledger: Ledger,
    promise: PromiseId,
    *,
    due: When,
    at: When | None,
    note: str | None,
    ref: str | None,
    owner: str,
    now: datetime,
) -> Recorded:
    """Move the due date of an open promise."""
    write = renegotiation_write(promise, due=due, at=at, note=note, ref=ref, owner=owner, now=now)
    return run_write(ledger, write)


def renegotiation_write(
    promise: PromiseId,
    *,
    due: When,
    at: When | None,
    note: str | None,
    ref: str | None,
    owner: str,
    now: datetime,
) -> Write:
    """`renegotiate`, planned."""

    def decide(current: Promise) -> EventValues:
        moment = _plan_renegotiation(current, due, at, now)
        return EventValues(at=moment, recorded=now, owner=owner, note=note, due=due.instant)

    return _event_write(promise, EventKind.RENEGOTIATED, ref, decide, now=now, at=at)


def what_if(
    ledger: Ledger,
    promise: PromiseId,
    kind: EventKind,
    *,
    at: When | None,
    due: When | None,
    now: datetime,
) -> WhatIf:
    """What recording a keep, break or renegotiation would do, without recording anything."""
    from marrycli.service import standing
    from marrycli.storage import repo

    with ledger.read() as maybe:
        conn, promise_id = resolve_promise(maybe, promise)
        current = load_promise(conn, promise_id)
        customer_id = repo.promise_customer_id(conn, promise_id)
        loaded = repo.load_promises(conn, customer_id=customer_id)
        moment = at.instant if at is not None else now
        if current.standing is not None:  # its occurrence, stored or not (SPEC §7)
            current = standing.pick_occurrence(
                conn, current, promise.occurrence, moment, _ACTIONS[kind]
            )
            promise_id = current.id
    # The customer's promises as they are at the event (occurrences existing then).
    promises = standing.expand(loaded, max(moment, current.made))
    if all(p.id != promise_id for p in promises):
        promises.append(current)
    if kind is EventKind.RENEGOTIATED:
        assert due is not None
        planned: datetime | str = _plan_renegotiation(current, due, at, now)
    else:
        planned = _plan_outcome(current, kind, at, now)
    if isinstance(planned, str):
        same = score_customer(current.customer, promises, moment)
        return WhatIf(before=same, after=same, promise=current, notice=planned)
    before, after = discipline.what_if(
        current.customer,
        promises,
        promise_id,
        kind,
        planned,
        due.instant if due is not None else None,
    )
    return WhatIf(before=before, after=after, promise=current, notice=None)


def cancel(
    ledger: Ledger,
    promise: PromiseId,
    *,
    note: str,
    ref: str | None,
    owner: str,
    now: datetime,
    series: bool = False,
) -> Recorded:
    """Withdraw a promise recorded by mistake or released by the customer; with `series`, end
    a standing promise (SPEC §7: no occurrence made from then on exists)."""
    write = cancel_write(promise, note=note, ref=ref, owner=owner, now=now, series=series)
    return run_write(ledger, write)


def cancel_write(
    promise: PromiseId,
    *,
    note: str,
    ref: str | None,
    owner: str,
    now: datetime,
    series: bool = False,
) -> Write:
    """`cancel`, planned."""

    def decide(current: Promise) -> EventValues | Recorded:
        if series and current.standing is None:
            raise BadInput(
                f"promise {current.address} is not a standing promise; "
                "--series ends a series (name it by its own number)"
            )
        status = current_status(current)
        if status is Status.CANCELLED:
            done = "ended" if current.standing is not None else "cancelled"
            return Recorded(
                promise=current,
                notice=f"promise {current.address} is already {done}; nothing added",
            )
        moment = max(now, current.made, _last_time(current) or now)
        _check_history(current, EventKind.CANCELLED, moment)
        return EventValues(at=moment, recorded=now, owner=owner, note=note)

    if series and promise.occurrence is not None:
        raise BadInput(f"--series ends a whole series; name it as {promise.number or promise}")
    return _event_write(promise, EventKind.CANCELLED, ref, decide, now=now, on_series=series)


def undo(
    ledger: Ledger,
    promise: PromiseId,
    *,
    note: str | None,
    ref: str | None,
    owner: str,
    now: datetime,
) -> Recorded:
    """Void the last standing event of a promise, an amendment too (a void itself cannot be
    undone)."""
    return run_write(ledger, undo_write(promise, note=note, ref=ref, owner=owner, now=now))


def undo_write(
    promise: PromiseId, *, note: str | None, ref: str | None, owner: str, now: datetime
) -> Write:
    """`undo`, planned."""

    def decide(current: Promise) -> EventValues:
        target = current.last_standing()  # what history's rules allow a void to cancel
        if target is None:
            raise BadInput(f"promise {current.id} has nothing to undo; it has no standing event")
        moment = max(now, target.at)
        return EventValues(at=moment, recorded=now, owner=owner, note=note, voids=target.id)

    return _event_write(promise, EventKind.VOID, ref, decide, now=now, on_series=True)


def _last_time(promise: Promise) -> datetime | None:
    standing = promise.standing_events()
    return standing[-1].at if standing else None


def amend(
    ledger: Ledger,
    promise: PromiseId,
    *,
    text: str | None,
    size: Size | None,
    value: Value | None,
    owner: str | None,
    tag: Sequence[str],
    untag: Sequence[str],
    note: str | None,
    ref: str | None,
    by: str,
    now: datetime,
) -> Recorded:
    """Correct how a promise was recorded (SPEC §6): an `amended` event of the fields that
    change; BadInput for a field given its value already (nothing is recorded)."""
    write = amendment_write(
        promise,
        text=text,
        size=size,
        value=value,
        owner=owner,
        tag=tag,
        untag=untag,
        note=note,
        ref=ref,
        by=by,
        now=now,
    )
    return run_write(ledger, write)


def amendment_write(
    promise: PromiseId,
    *,
    text: str | None,
    size: Size | None,
    value: Value | None,
    owner: str | None,
    tag: Sequence[str],
    untag: Sequence[str],
    note: str | None,
    ref: str | None,
    by: str,
    now: datetime,
) -> Write:
    """`amend`, planned: BadInput, before the ledger is opened, for nothing to amend or a tag
    both added and removed."""
    if not (text is not None or size or value or owner is not None or tag or untag):
        raise BadInput("nothing to amend: give --text, --size, --value, --owner, --tag or --untag")
    both = set(tag) & set(untag)
    if both:
        raise BadInput(f"--tag and --untag both name {sorted(both)[0]!r}; give it once")

    def decide(current: Promise) -> EventValues:
        if current.series is not None:
            raise BadInput(
                f"promise {current.address} is an occurrence of series {current.series}; "
                f"amend the series ({current.series}): its terms are all its occurrences'"
            )
        change = _plan_amendment(current, text, size, value, owner, tag, untag)
        moment = max(now, current.made)  # a correction, stamped when it is made
        return EventValues(at=moment, recorded=now, owner=by, note=note, amendment=change)

    return _event_write(promise, EventKind.AMENDED, ref, decide, now=now, on_series=True)


def _plan_amendment(
    current: Promise,
    text: str | None,
    size: Size | None,
    value: Value | None,
    owner: str | None,
    tag: Sequence[str],
    untag: Sequence[str],
) -> Amendment:
    """The amendment of `current`'s terms asked for; BadInput for one that changes nothing."""
    pid = current.id

    def same(option: str, shown: str) -> BadInput:
        return BadInput(
            f"{option}: promise {pid} already has {shown}; an amendment records only changes"
        )

    if text is not None and text == current.text:
        raise same("--text", "this text")
    if size is not None and size is current.size:
        raise same("--size", f"size {size.value}")
    if value is not None and value is current.value:
        raise same("--value", f"value {value.value}")
    if owner is not None and owner == current.owner:
        raise same("--owner", "this owner")
    tags: tuple[str, ...] | None = None
    if tag or untag:
        for name in tag:
            if name in current.tags:
                raise same("--tag", f"the tag {name!r}")
        for name in untag:
            if name not in current.tags:
                raise BadInput(f"--untag: promise {pid} has no tag {name!r} to remove")
        tags = tuple(t for t in current.tags if t not in untag) + tuple(tag)
        if len(tags) > TAGS_MAX:
            raise BadInput(f"promise {pid} would have {len(tags)} tags; the limit is {TAGS_MAX}")
    return Amendment(text=text, size=size, value=value, owner=owner, tags=tags)
