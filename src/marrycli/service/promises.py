"""Use cases: one function per command, one transaction each, domain objects out.

Input is validated here *before* the ledger is opened (`validate_*`, `parse_id`), so
bad input never creates or touches a ledger. Storage is imported inside the
functions that need it: importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marrycli.dates import When, format_local, to_micros
from marrycli.domain import (
    Promise,
    Recorded,
    Size,
    Status,
    Value,
    customer_key,
)
from marrycli.errors import BadInput, GateFailed
from marrycli.model import guard
from marrycli.rules import CLOCK_SKEW, PromiseId

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from marrycli.domain import Assessment
    from marrycli.storage.ledger import Ledger



# -- validation (no ledger needed) --------------------------------------------------




















# -- results ------------------------------------------------------------------------------








class RefRace(Exception):
    """Another writer took the same ref between our check and our insert: start over."""


def not_in_future(what: str, moment: datetime, now: datetime) -> None:
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
    not_in_future("--made", made_at, now)
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
                    raise RefRace
                return Recorded(load_promise(conn, promise_id), warning=warning)
        except RefRace:
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
    from marrycli.storage import repo

    entry = repo.find_customer(conn, key)
    return guard.assess_promise(
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
        promise = load_promise(conn, stored.promise_id)
        entry = repo.find_customer(conn, key)
        owner_id = repo.promise_customer_id(conn, stored.promise_id)
        if entry is not None and entry.id == owner_id and promise.text == text:
            return Recorded(
                promise, f"ref {ref} is already recorded as promise {promise.id}; nothing added"
            )
    raise BadInput(f"--ref {ref} is already used for {describe_ref(stored)}; use another ref")


def describe_ref(stored: Any) -> str:
    if stored.event_id is None:
        return f"another promise (promise {stored.promise_id})"
    return f"a {stored.event_kind} event of promise {stored.promise_id}"


def load_promise(conn: Connection, promise_id: int) -> Promise:
    from marrycli.storage import repo

    found = repo.load_promises(conn, ids=[promise_id])
    if not found:
        raise BadInput(f"there is no promise {promise_id}; `marry promise list --status all`")
    return found[0]


def resolve_promise(conn: Connection | None, promise: PromiseId) -> tuple[Connection, int]:
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
            f"ref:{promise.ref} names {describe_ref(stored)}, not a promise; "
            f"use {stored.promise_id}"
        )
    repo.lock_promise(conn, stored.promise_id)
    return conn, stored.promise_id


def show_promise(ledger: Ledger, promise: PromiseId) -> Promise:
    """One promise with all of its events."""
    with ledger.read() as maybe:
        conn, promise_id = resolve_promise(maybe, promise)
        return load_promise(conn, promise_id)


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






























# -- customers --------------------------------------------------------------------










# -- the ledger itself --------------------------------------------------------------------








# -- reports ---------------------------------------------------------------------------















# -- the gate ----------------------------------------------------------------------------










# -- export and import ---------------------------------------------------------------------




















