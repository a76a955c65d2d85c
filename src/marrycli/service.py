"""Use cases: one function per command, one transaction each, domain objects out.

Input is validated here *before* the ledger is opened (`validate_*`, `parse_id`), so
bad input never creates or touches a ledger. Storage is imported inside the
functions that need it: importing this module stays cheap.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from marrycli.dates import When, format_local, format_utc, to_micros
from marrycli.domain import (
    CustomerReport,
    EventKind,
    Promise,
    Size,
    Stage,
    Status,
    Value,
    customer_key,
    fold_name,
)
from marrycli.errors import BadInput, GateFailed, LedgerUnusable
from marrycli.scoring import NextStage, next_stage, score_customer

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from marrycli.discipline import AgendaItem, Assessment, OwnerReport
    from marrycli.storage.ledger import Ledger
    from marrycli.storage.repo import CustomerEntry
    from marrycli.storage.transfer import ImportCounts

CLOCK_SKEW = timedelta(minutes=5)
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)

TEXT_MAX = 2000
NAME_MAX = 200
TAG_MAX = 50
TAGS_MAX = 20
REF_MAX = 200

# -- validation (no ledger needed) --------------------------------------------------


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc, exactly


def _check_characters(what: str, value: str) -> None:
    found = _CONTROL.search(value)
    if found is not None:
        raise BadInput(
            f"{what} contains a control character (U+{ord(found.group()):04X}); "
            "remove it and try again"
        )


def validate_text(what: str, value: str, limit: int = TEXT_MAX) -> str:
    """Strip and check a text: 1..limit characters, no control characters."""
    _check_characters(what, value)
    value = value.strip()
    if not value:
        raise BadInput(f"{what} is empty; give some text")
    if len(value) > limit:
        raise BadInput(f"{what} is {len(value)} characters long; the limit is {limit}")
    return value


def validate_name(what: str, value: str) -> str:
    """Check a customer or owner name and return its display form (folded white space)."""
    _check_characters(what, value)
    name = fold_name(value)
    if not name:
        raise BadInput(f"{what} is empty; give a name")
    if len(name) > NAME_MAX:
        raise BadInput(f"{what} is {len(name)} characters long; the limit is {NAME_MAX}")
    return name


def validate_tags(tags: Sequence[str]) -> tuple[str, ...]:
    """Check the tags: at most 20, each 1..50 characters; duplicates dropped, order kept."""
    cleaned: list[str] = []
    for tag in tags:
        tag = validate_text("a tag", tag, TAG_MAX)
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > TAGS_MAX:
        raise BadInput(f"{len(cleaned)} tags given; the limit is {TAGS_MAX}")
    return tuple(cleaned)


def validate_ref(ref: str | None) -> str | None:
    """Check a --ref key: 1..200 characters, no control characters, kept exactly."""
    if ref is None:
        return None
    _check_characters("--ref", ref)
    if not ref.strip():
        raise BadInput("--ref is empty; give a key such as $CI_PIPELINE_ID-add")
    if len(ref) > REF_MAX:
        raise BadInput(f"--ref is {len(ref)} characters long; the limit is {REF_MAX}")
    return ref


def default_owner() -> str:
    """$MARRY_USER, else the login name."""
    owner = os.environ.get("MARRY_USER", "").strip()
    what = "the owner ($MARRY_USER)"
    if not owner:
        what = "the login name (the default owner; MARRY_USER sets another)"
        try:
            owner = getpass.getuser()
        except (KeyError, OSError):
            owner = "unknown"
    if any("\ud800" <= c <= "\udfff" for c in owner):  # bytes that are not UTF-8
        raise BadInput(f"{what} is not valid UTF-8; set MARRY_USER to a name in UTF-8")
    return validate_name(what, owner)


@dataclass(frozen=True, slots=True)
class PromiseId:
    """A promise named on the command line: a number or `ref:KEY`."""

    number: int | None = None
    ref: str | None = None

    def __str__(self) -> str:
        return str(self.number) if self.number is not None else f"ref:{self.ref}"


def parse_id(text: str) -> PromiseId:
    """Read an ID argument: `12`, `#12` or `ref:KEY`."""
    _check_characters("the promise id", text)
    stripped = text.strip()
    if stripped.lower().startswith("ref:"):
        key = validate_ref(stripped[4:])
        return PromiseId(ref=key)
    digits = stripped.removeprefix("#")
    # At most 19 digits (ids are below 2**63): int() of thousands of digits is refused.
    if digits.isascii() and digits.isdigit() and len(digits) <= 19 and 0 < int(digits) < 2**63:
        return PromiseId(number=int(digits))
    shown = text if len(text) <= 40 else text[:39] + "…"
    raise BadInput(f"{shown!r} is not a promise id; give its number (12) or ref:KEY")


# -- results ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recorded:
    """A promise after a write, with a notice when nothing new was recorded, or a warning."""

    promise: Promise
    notice: str | None = None
    warning: str | None = None  # the guard's, for a risky promise


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    """A customer in the directory, with counts as of now."""

    customer: str
    promises: int
    open: int
    overdue: int
    merged: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LedgerInfo:
    """Where the ledger is and what it holds."""

    location: str
    backend: str
    exists: bool
    schema_version: int | None
    marry_schema_version: int
    customers: int
    promises: int
    events: int


class _RefRace(Exception):
    """Another writer took the same ref between our check and our insert: start over."""


def _not_in_future(what: str, moment: datetime, now: datetime) -> None:
    if moment > now + CLOCK_SKEW:
        raise BadInput(
            f"{what} {format_local(moment)} is in the future; "
            "record what has happened, not what will"
        )


# -- promises ----------------------------------------------------------------------


def add_promise(
    ledger: Ledger,
    *,
    text: str,
    customer: str,
    due: When | None,
    made: When | None,
    size: Size,
    value: Value,
    owner: str,
    tags: tuple[str, ...],
    ref: str | None,
    now: datetime,
    guard: bool = True,
    strict: bool = False,
) -> Recorded:
    """Record a promise (or, for a ref already stored with the same customer and text, nothing).

    Unless `guard` is off, the promise is first weighed (`discipline.assess_promise`): a
    risky one is recorded with a warning, or with `strict` refused (GateFailed, exit 1).
    """
    made_at = made.instant if made is not None else now
    _not_in_future("--made", made_at, now)
    if due is not None and due.instant <= made_at:
        raise BadInput(
            f"--due {format_local(due.instant)} is not after --made {format_local(made_at)}; "
            "a promise falls due after it is made"
        )
    key = customer_key(customer)
    for _attempt in range(3):
        try:
            with ledger.write() as conn:
                assert conn is not None
                from marrycli.storage import repo

                if ref is not None:
                    stored = repo.find_ref(conn, ref)
                    if stored is not None:
                        return _replay_add(conn, stored, ref, key, text)
                warning = None
                if guard:
                    assessment = _assess(conn, customer, key, owner, size, value, made_at, due, now)
                    if strict and assessment.refuse:
                        raise GateFailed(
                            f"refused (--strict): {assessment.warning} "
                            "Renegotiate or split the promise, or record it with --force."
                        )
                    warning = assessment.warning
                entry = repo.ensure_customer(conn, key, customer, to_micros(now))
                promise_id = repo.insert_promise(
                    conn,
                    customer_id=entry.entry_id,
                    text=text,
                    made=to_micros(made_at),
                    due=to_micros(due.instant) if due is not None else None,
                    size=size.value,
                    value=value.value,
                    owner=owner,
                    tags=tags,
                    recorded=to_micros(now),
                )
                if ref is not None and not repo.claim_ref(conn, ref, promise_id, None):
                    raise _RefRace
                return Recorded(_load(conn, promise_id), warning=warning)
        except _RefRace:
            continue
    raise BadInput(f"--ref {ref} is being written by another process; try again")


def _assess(
    conn: Connection,
    customer: str,
    key: str,
    owner: str,
    size: Size,
    value: Value,
    made: datetime,
    due: When | None,
    now: datetime,
) -> Assessment:
    """The guard's view of a promise about to be made, from the ledger as it is."""
    from marrycli import discipline
    from marrycli.storage import repo

    entry = repo.find_customer(conn, key)
    return discipline.assess_promise(
        customer=entry.name if entry is not None else customer,
        customer_promises=repo.load_promises(conn, customer_id=entry.id) if entry else [],
        owner=owner,
        owner_promises=repo.load_promises(conn, owner=owner),
        size=size,
        value=value,
        made=made,
        due=due.instant if due is not None else None,
        now=now,
    )


def _replay_add(conn: Connection, stored: Any, ref: str, key: str, text: str) -> Recorded:
    from marrycli.storage import repo

    if stored.event_id is None:
        promise = _load(conn, stored.promise_id)
        entry = repo.find_customer(conn, key)
        owner_id = repo.promise_customer_id(conn, stored.promise_id)
        if entry is not None and entry.id == owner_id and promise.text == text:
            return Recorded(
                promise, f"ref {ref} is already recorded as promise {promise.id}; nothing added"
            )
    raise BadInput(f"--ref {ref} is already used for {_describe_ref(stored)}; use another ref")


def _describe_ref(stored: Any) -> str:
    if stored.event_id is None:
        return f"another promise (promise {stored.promise_id})"
    return f"a {stored.event_kind} event of promise {stored.promise_id}"


def _load(conn: Connection, promise_id: int) -> Promise:
    from marrycli.storage import repo

    found = repo.load_promises(conn, ids=[promise_id])
    if not found:
        raise BadInput(f"there is no promise {promise_id}; `marry promise list --status all`")
    return found[0]


def _resolve(conn: Connection | None, promise: PromiseId) -> tuple[Connection, int]:
    """The ledger's connection and the number of the promise an ID names, its row locked;
    BadInput if unknown (also when the ledger does not exist: `conn` is None)."""
    from marrycli.storage import repo

    if promise.number is not None:
        if conn is None or not repo.lock_promise(conn, promise.number):
            raise BadInput(
                f"there is no promise {promise.number}; see `marry promise list --status all`"
            )
        return conn, promise.number
    assert promise.ref is not None
    stored = repo.find_ref(conn, promise.ref) if conn is not None else None
    if conn is None or stored is None:
        raise BadInput(f"no promise was added with --ref {promise.ref}")
    if stored.event_id is not None:
        raise BadInput(
            f"ref:{promise.ref} names {_describe_ref(stored)}, not a promise; "
            f"use {stored.promise_id}"
        )
    repo.lock_promise(conn, stored.promise_id)
    return conn, stored.promise_id


def show_promise(ledger: Ledger, promise: PromiseId) -> Promise:
    """One promise with all of its events."""
    with ledger.read() as maybe:
        conn, promise_id = _resolve(maybe, promise)
        return _load(conn, promise_id)


def list_promises(
    ledger: Ledger,
    *,
    customer: str | None,
    statuses: Iterable[Status] | None,
    owner: str | None,
    tags: Sequence[str] = (),
    as_of: datetime,
) -> list[Promise]:
    """Promises made by `as_of` whose status then is one of `statuses` (None: all) and
    that carry every tag of `tags` (SPEC §10: a repeated --tag means all of them)."""
    from marrycli.storage import repo

    wanted = set(statuses) if statuses is not None else None
    with ledger.read() as conn:
        if conn is None:
            if customer is not None:
                raise BadInput(f"there is no customer {customer!r}; see `marry customer list`")
            return []
        customer_id = None
        if customer is not None:
            entry = repo.find_customer(conn, customer_key(customer))
            if entry is None:
                raise BadInput(f"there is no customer {customer!r}; see `marry customer list`")
            customer_id = entry.id
        promises = repo.load_promises(conn, customer_id=customer_id, made_until=to_micros(as_of))
    owner_key = customer_key(owner) if owner is not None else None
    return [
        p
        for p in promises
        if (wanted is None or p.state(as_of).status in wanted)
        and (owner_key is None or customer_key(p.owner) == owner_key)
        and all(tag in p.tags for tag in tags)
    ]


# -- events ------------------------------------------------------------------------


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
    _not_in_future("--at", moment, now)
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


def _write_event(
    ledger: Ledger,
    promise: PromiseId,
    kind: EventKind,
    ref: str | None,
    decide: Any,
) -> Recorded:
    """The common frame of every event write: lock, replay a ref, decide, append, claim the ref.

    `decide(promise)` returns the event's values, or a Recorded for a no-op.
    """
    from marrycli.storage import repo

    for _attempt in range(3):
        try:
            with ledger.write(create=False) as maybe:
                conn, promise_id = _resolve(maybe, promise)
                current = _load(conn, promise_id)
                if ref is not None:
                    stored = repo.find_ref(conn, ref)
                    if stored is not None:
                        if stored.promise_id == promise_id and stored.event_kind == kind.value:
                            return Recorded(
                                current, f"ref {ref} is already recorded; nothing added"
                            )
                        raise BadInput(
                            f"--ref {ref} is already used for {_describe_ref(stored)}; "
                            "use another ref"
                        )
                decision = decide(current)
                if isinstance(decision, Recorded):
                    return decision
                event_id = repo.insert_event(
                    conn, promise_id=promise_id, kind=kind.value, **decision
                )
                if ref is not None and not repo.claim_ref(conn, ref, promise_id, event_id):
                    raise _RefRace
                return Recorded(_load(conn, promise_id))
        except _RefRace:
            continue
    raise BadInput(f"--ref {ref} is being written by another process; try again")


def _current_status(promise: Promise) -> Status:
    return promise.state(FAR_FUTURE).status


def _plan_outcome(
    current: Promise, kind: EventKind, at: When | None, now: datetime
) -> datetime | str:
    """When a keep or break would be recorded, or a notice when it is a repeat (a no-op)."""
    status = _current_status(current)
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
    assert kind in (EventKind.KEPT, EventKind.BROKEN)

    def decide(current: Promise) -> Recorded | dict[str, Any]:
        planned = _plan_outcome(current, kind, at, now)
        if isinstance(planned, str):
            return Recorded(current, planned)
        return _event_values(planned, now, note, owner)

    return _write_event(ledger, promise, kind, ref, decide)


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

    def decide(current: Promise) -> dict[str, Any]:
        values = _event_values(_plan_renegotiation(current, due, at, now), now, note, owner)
        values["due"] = to_micros(due.instant)
        return values

    return _write_event(ledger, promise, EventKind.RENEGOTIATED, ref, decide)


@dataclass(frozen=True, slots=True)
class WhatIf:
    """A customer before and after a hypothetical event, both scored at its time."""

    before: CustomerReport
    after: CustomerReport
    promise: Promise
    notice: str | None  # set when the event would be a no-op


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
    from marrycli import discipline
    from marrycli.storage import repo

    with ledger.read() as maybe:
        conn, promise_id = _resolve(maybe, promise)
        current = _load(conn, promise_id)
        customer_id = repo.promise_customer_id(conn, promise_id)
        promises = repo.load_promises(conn, customer_id=customer_id)
    if kind is EventKind.RENEGOTIATED:
        assert due is not None
        planned: datetime | str = _plan_renegotiation(current, due, at, now)
    else:
        planned = _plan_outcome(current, kind, at, now)
    if isinstance(planned, str):
        moment = at.instant if at is not None else now
        same = score_customer(current.customer, promises, moment)
        return WhatIf(same, same, current, planned)
    before, after = discipline.what_if(
        current.customer,
        promises,
        promise_id,
        kind,
        planned,
        due.instant if due is not None else None,
    )
    return WhatIf(before, after, current, None)


def cancel(
    ledger: Ledger,
    promise: PromiseId,
    *,
    note: str,
    ref: str | None,
    owner: str,
    now: datetime,
) -> Recorded:
    """Withdraw a promise recorded by mistake or released by the customer."""

    def decide(current: Promise) -> Recorded | dict[str, Any]:
        status = _current_status(current)
        if status is Status.CANCELLED:
            return Recorded(current, f"promise {current.id} is already cancelled; nothing added")
        moment = max(now, current.made, _last_time(current) or now)
        _check_history(current, EventKind.CANCELLED, moment)
        return _event_values(moment, now, note, owner)

    return _write_event(ledger, promise, EventKind.CANCELLED, ref, decide)


def undo(
    ledger: Ledger,
    promise: PromiseId,
    *,
    note: str | None,
    ref: str | None,
    owner: str,
    now: datetime,
) -> Recorded:
    """Void the last standing event of a promise (a void itself cannot be undone)."""

    def decide(current: Promise) -> dict[str, Any]:
        standing = current.standing_events()
        if not standing:
            raise BadInput(f"promise {current.id} has nothing to undo; it has no standing event")
        target = standing[-1]  # what history's rules allow a void to cancel
        moment = max(now, target.at)
        values = _event_values(moment, now, note, owner)
        values["voids"] = target.id
        return values

    return _write_event(ledger, promise, EventKind.VOID, ref, decide)


def _last_time(promise: Promise) -> datetime | None:
    standing = promise.standing_events()
    return standing[-1].at if standing else None


def _event_values(moment: datetime, now: datetime, note: str | None, owner: str) -> dict[str, Any]:
    return {"at": to_micros(moment), "note": note, "owner": owner, "recorded": to_micros(now)}


# -- customers --------------------------------------------------------------------


def list_customers(ledger: Ledger, now: datetime) -> list[CustomerSummary]:
    """Every customer, with its promise counts as of now."""
    from marrycli.storage import repo

    with ledger.read() as conn:
        if conn is None:
            return []
        directory = repo.list_customers(conn)
        promises = repo.load_promises(conn)
    by_customer: dict[str, list[Status]] = {}
    for promise in promises:
        by_customer.setdefault(promise.customer, []).append(promise.state(now).status)
    summaries = []
    for _cid, name, merged in directory:
        statuses = [s for s in by_customer.get(name, []) if s is not Status.CANCELLED]
        summaries.append(
            CustomerSummary(
                customer=name,
                promises=len(statuses),
                open=statuses.count(Status.OPEN),
                overdue=statuses.count(Status.OVERDUE),
                merged=tuple(merged),
            )
        )
    return summaries


def _find(conn: Connection | None, name: str) -> CustomerEntry:
    from marrycli.storage import repo

    entry = repo.find_customer(conn, customer_key(name)) if conn is not None else None
    if entry is None:
        raise BadInput(f"there is no customer {name!r}; see `marry customer list`")
    return entry


def rename_customer(ledger: Ledger, old: str, new: str, *, owner: str, now: datetime) -> str:
    """Rename a customer; returns the new display name."""
    from marrycli.storage import repo

    with ledger.write(create=False) as conn:
        entry = _find(conn, old)
        assert conn is not None
        new_key = customer_key(new)
        other = repo.find_customer(conn, new_key)
        if other is not None and other.id != entry.id:
            raise BadInput(
                f"{other.name!r} is another customer; to make them one, run "
                f"`marry customer merge {old!r} {other.name!r}`"
            )
        if other is not None and other.entry_id != entry.id:
            raise BadInput(f"{new!r} is already a name merged into {entry.name!r}")
        if entry.name == new:
            return new
        repo.rename_customer(conn, entry, new_key, new, owner, to_micros(now))
        return new


def merge_customers(ledger: Ledger, source: str, into: str, *, owner: str, now: datetime) -> str:
    """Merge one customer into another; returns the surviving display name."""
    from marrycli.storage import repo

    with ledger.write(create=False) as conn:
        source_entry = _find(conn, source)
        into_entry = _find(conn, into)
        assert conn is not None
        if source_entry.id == into_entry.id:
            raise BadInput(
                f"{source!r} and {into!r} are the same customer; name two different ones"
            )
        repo.merge_customers(conn, source_entry, into_entry, owner, to_micros(now))
        return into_entry.name


# -- the ledger itself --------------------------------------------------------------------


def ledger_info(ledger: Ledger) -> LedgerInfo:
    """Where the ledger is, its backend, schema version and counts."""
    from marrycli.storage import repo
    from marrycli.storage.ledger import schema_version

    counts = {"customers": 0, "promises": 0, "events": 0}
    version = None
    with ledger.read() as conn:
        if conn is not None:
            counts = repo.counts(conn)
            version = schema_version()
    return LedgerInfo(
        location=ledger.location.display,
        backend=ledger.location.backend,
        exists=version is not None,
        schema_version=version,
        marry_schema_version=schema_version(),
        **counts,
    )


def check_ledger(ledger: Ledger) -> list[str]:
    """An integrity check: the database's own and the ledger's rules; returns the problems."""
    from marrycli.storage import integrity

    return integrity.check(ledger)


def upgrade_ledger(ledger: Ledger) -> tuple[int, int]:
    """Bring the ledger to this marry's schema version; returns (before, after)."""
    return ledger.upgrade()


# -- reports ---------------------------------------------------------------------------

TREND_DAYS = 30


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One customer in `marry report`: its scores, and its trust trend over 30 days."""

    customer_id: int
    report: CustomerReport
    trend: float | None  # trust now minus trust 30 days earlier (None when not asked for)


@dataclass(frozen=True, slots=True)
class CustomerDetail:
    """`marry report --customer`: the scores with timeline, the promises, the next stage."""

    report: CustomerReport
    trend: float
    promises: list[Promise]
    next_stage: NextStage
    budget: dict[Size, int]  # breaks of each size it can absorb before its stage drops


def report(ledger: Ledger, *, as_of: datetime, trend: bool) -> list[ReportLine]:
    """Every customer scored at `as_of`, streamed customer by customer from one query."""
    from marrycli.storage import repo

    lines = []
    earlier = as_of - timedelta(days=TREND_DAYS)
    with ledger.read() as conn:
        if conn is None:
            return []
        names = repo.customer_names(conn)
        for customer_id, promises in repo.report_promises(conn, to_micros(as_of)):
            name = names[customer_id]
            scored = score_customer(name, promises, as_of, detail=False)
            change = None
            if trend:
                before = score_customer(name, promises, earlier, detail=False)
                change = scored.trust - before.trust
            lines.append(ReportLine(customer_id, scored, change))
    return lines


def report_customer(ledger: Ledger, customer: str, *, as_of: datetime) -> CustomerDetail:
    """One customer in detail at `as_of`: timeline, contributions, promises, next stage."""
    from marrycli.storage import repo

    with ledger.read() as conn:
        entry = _find(conn, customer)
        assert conn is not None
        promises = repo.load_promises(conn, customer_id=entry.id, made_until=to_micros(as_of))
    scored = score_customer(entry.name, promises, as_of)
    before = score_customer(entry.name, promises, as_of - timedelta(days=TREND_DAYS), detail=False)
    from marrycli.discipline import error_budget

    return CustomerDetail(
        report=scored,
        trend=scored.trust - before.trust,
        promises=promises,
        next_stage=next_stage(scored, as_of),
        budget=error_budget(entry.name, promises, as_of),
    )


def owner_reports(ledger: Ledger, *, as_of: datetime) -> list[OwnerReport]:
    """Every owner's record across customers, at `as_of`."""
    from marrycli import discipline
    from marrycli.storage import repo

    with ledger.read() as conn:
        promises = repo.load_promises(conn, made_until=to_micros(as_of)) if conn else []
    return discipline.owner_reports(promises, as_of)


def agenda(
    ledger: Ledger, *, owner: str | None, until: datetime, now: datetime
) -> list[AgendaItem]:
    """Overdue promises, then those due by `until`, with what acting now or later costs."""
    from marrycli import discipline
    from marrycli.storage import repo

    with ledger.read() as conn:
        promises = repo.load_promises(conn, made_until=to_micros(now)) if conn else []
    owner_key = customer_key(owner) if owner is not None else None
    return discipline.agenda(promises, now, until, owner_key=owner_key)


# -- the gate ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gates:
    """What `marry check` demands of each customer (None: not checked)."""

    min_stage: Stage | None = None
    min_keep_rate: float | None = None
    max_overdue: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One customer failing one gate."""

    customer: str
    check: str  # min-stage | min-keep-rate | max-overdue
    expected: str | float | int
    actual: str | float | int


def findings_for(report: CustomerReport, gates: Gates) -> list[Finding]:
    """The gates one customer fails (a customer with nothing resolved passes min-keep-rate)."""
    found = []
    if gates.min_stage is not None and report.stage.rank < gates.min_stage.rank:
        found.append(
            Finding(report.customer, "min-stage", gates.min_stage.value, report.stage.value)
        )
    rate = report.keep_rate
    if gates.min_keep_rate is not None and rate is not None and rate < gates.min_keep_rate:
        found.append(Finding(report.customer, "min-keep-rate", gates.min_keep_rate, rate))
    if gates.max_overdue is not None and report.overdue > gates.max_overdue:
        found.append(Finding(report.customer, "max-overdue", gates.max_overdue, report.overdue))
    return found


def check(
    ledger: Ledger, *, customers: Sequence[str], gates: Gates, as_of: datetime
) -> tuple[int, list[Finding]]:
    """Apply the gates to every customer, or those named; returns (customers checked, findings)."""
    wanted: set[int] | None = None
    if customers:
        with ledger.read() as conn:
            wanted = {_find(conn, name).id for name in customers}
    checked = 0
    found: list[Finding] = []
    for line in report(ledger, as_of=as_of, trend=False):
        if wanted is not None and line.customer_id not in wanted:
            continue
        checked += 1
        found.extend(findings_for(line.report, gates))
    return checked, found


# -- export and import ---------------------------------------------------------------------


def export_jsonl(ledger: Ledger, out: TextIO, now: datetime) -> int:
    """Write the whole ledger as JSONL (lossless; control and format characters escaped, so
    that a terminal shows them safely); returns the number of records."""
    from marrycli import transfer
    from marrycli.storage.ledger import schema_version

    header = {
        "format": transfer.FORMAT_NAME,
        "version": transfer.FORMAT_VERSION,
        "exported": format_utc(now),
        "schema_version": schema_version(),
    }
    out.write(transfer.jsonl_line(header) + "\n")
    count = 0
    with ledger.read() as conn:
        if conn is None:
            return 0
        from marrycli.storage.transfer import export_records

        # closing(): the stream's cursor ends with the connection, also when writing fails.
        with closing(export_records(conn)) as records:
            for record in records:
                out.write(transfer.jsonl_line(record) + "\n")
                count += 1
    return count


def export_promises(ledger: Ledger) -> list[Promise]:
    """Every promise with its events, for the CSV export."""
    from marrycli.storage import repo

    with ledger.read() as conn:
        return repo.load_promises(conn) if conn is not None else []


def import_file(
    ledger: Ledger,
    path: Path,
    *,
    csv_format: bool,
    now: datetime,
    progress: Callable[[int, int], None],
) -> ImportCounts:
    """Import an export (JSONL) or a CSV of promises: all or nothing, in one transaction.

    Into a SQLite ledger that does not exist yet, the import is built in a staging file
    beside it and linked into place only once complete, so a rejected import creates
    nothing; staging files that dead imports left behind are removed first. Into a
    PostgreSQL ledger that does not exist yet, the file is checked whole before the ledger
    is created. A file with nothing to import creates no ledger.
    """
    from marrycli.storage.transfer import ImportCounts

    if not ledger.is_sqlite:
        if not ledger.exists():
            counts = _import(ledger, path, csv_format, now, lambda done, read: None, dry_run=True)
            if not counts.anything:
                return counts
        return _import(ledger, path, csv_format, now, progress)
    target = ledger.location.path
    assert target is not None
    _remove_stale_staging(target)
    if ledger.exists():
        return _import(ledger, path, csv_format, now, progress)
    from marrycli.storage.ledger import Ledger as LedgerClass
    from marrycli.storage.location import Location

    staging_path = _staging_name(target, os.getpid())
    _remove_staging(staging_path)  # a dead process's, whose number this process now has
    staging = LedgerClass(Location("sqlite", path=staging_path), ledger.lock_timeout)
    try:
        counts = _import(staging, path, csv_format, now, progress)
        staging.close()
        if not counts.anything:
            return ImportCounts()
        try:
            os.link(staging_path, target)
            return counts
        except FileExistsError:
            pass  # another writer created the ledger meanwhile: import into it
        except OSError as error:
            message = f"cannot create the ledger {target}: {error.strerror}"
            raise LedgerUnusable(message) from None
    finally:
        staging.close()
        _remove_staging(staging_path)
    return _import(ledger, path, csv_format, now, progress)


_STAGING_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _staging_name(target: Path, pid: int) -> Path:
    return target.with_name(f".{target.name}.import-{pid}")


def _remove_staging(staging: Path) -> None:
    from contextlib import suppress

    for suffix in _STAGING_SUFFIXES:
        with suppress(OSError):  # not ours to remove after all: harmless, it is hidden
            Path(f"{staging}{suffix}").unlink(missing_ok=True)


def _remove_stale_staging(target: Path) -> None:
    """Remove the staging files of imports into `target` whose process is gone (SIGKILL)."""
    prefix = f".{target.name}.import-"
    try:
        names = [entry.name for entry in os.scandir(target.parent) if entry.name.startswith(prefix)]
    except OSError:
        return  # no folder yet, or not readable: creating the ledger will say so
    for name in names:
        number = name[len(prefix) :]
        for suffix in _STAGING_SUFFIXES[1:]:
            number = number.removesuffix(suffix)
        if number.isascii() and number.isdigit() and not _alive(int(number)):
            _remove_staging(_staging_name(target, int(number)))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process (or not a process number): leave its files
    return True


def _import(
    ledger: Ledger,
    path: Path,
    csv_format: bool,
    now: datetime,
    progress: Callable[[int, int], None],
    dry_run: bool = False,
) -> ImportCounts:
    """Read and check the file, and (unless `dry_run`) write it in one transaction."""
    from marrycli import transfer
    from marrycli.storage.transfer import ImportCounts, Importer

    with _open_lines(path) as (lines, bytes_read):
        read = transfer.read_csv if csv_format else transfer.read_jsonl
        records = read(lines, now)
        if dry_run:
            counts = ImportCounts()
            for record in records:
                counts.promises += isinstance(record, transfer.ImportPromise)
                counts.customers += isinstance(record, transfer.ImportCustomer)
            return counts
        with ledger.write() as conn:
            assert conn is not None
            # progress(promises written, bytes of the file read so far)
            advance = lambda done: progress(done, bytes_read())  # noqa: E731
            return Importer(conn, to_micros(now), advance).add(records)


@contextmanager
def _open_lines(path: Path) -> Iterator[tuple[Iterator[str], Callable[[], int]]]:
    """A file to import, as lines of text (UTF-8), and how many bytes of it were read."""
    from marrycli import transfer

    try:
        handle = path.open("rb")
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None
    try:
        with handle:
            yield transfer.decode_lines(handle), handle.tell
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None
