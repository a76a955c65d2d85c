"""Finding what a command names, for every use case: a promise (by number or `ref:`), a
customer (by any of its names), and what a stored ref names, each BadInput when unknown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marrycli.domain import Promise, customer_key
from marrycli.errors import BadInput
from marrycli.rules import PromiseId

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from marrycli.storage.repo import CustomerEntry, StoredRef


def load_promise(conn: Connection, promise_id: int) -> Promise:
    """One promise with its events; BadInput if there is none with that number."""
    from marrycli.service.standing import with_series_terms
    from marrycli.storage import repo

    found = repo.load_promises(conn, ids=[promise_id])
    if not found:
        raise BadInput(f"there is no promise {promise_id}; `marry promise list --status all`")
    return with_series_terms(conn, found[0])


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


def describe_ref(stored: StoredRef) -> str:
    """What a stored ref names, in words: a promise, or an event of one."""
    if stored.event_id is None:
        return f"another promise (promise {stored.promise_id})"
    return f"a {stored.event_kind} event of promise {stored.promise_id}"


def find_customer_entry(conn: Connection | None, name: str) -> CustomerEntry:
    """The customer a name leads to; BadInput if none does (or there is no ledger)."""
    from marrycli.storage import repo

    entry = repo.find_customer(conn, customer_key(name)) if conn is not None else None
    if entry is None:
        raise BadInput(f"there is no customer {name!r}; see `marry customer list`")
    return entry
