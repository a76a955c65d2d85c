"""Shell completion from the ledger: customer names, owners, tags and unresolved promises.

Each reads the ledger as it is (`Ledger.peek`): a ledger that does not exist, or is not
at this marry's schema version, offers nothing, and none is ever created or upgraded.
Completion must not keep a shell waiting, so a lock or an unreachable server is given
up on quickly. The callers (cli) turn any error into no completions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, TypeVar

from marrycli.domain import customer_key

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from marrycli.settings import Setting

LOCK_WAIT = 0.5  # seconds: a reader waits for a lock only on a ledger not in WAL mode
CONNECT_WAIT = 2  # seconds to reach a PostgreSQL server

T = TypeVar("T")


def customer_names(db: Setting, typed: str) -> list[str]:
    """The customers' names, and the names merged into them, that begin as `typed` does
    (matched as customers are: case and extra white space aside)."""
    key = customer_key(typed)
    if typed[-1:].isspace() and key:
        key += " "  # "acme " is on its way to "acme corp"
    return _read(db, lambda conn: _queries().customer_names(conn, key))


def owner_names(db: Setting) -> list[str]:
    """The owners of the most recent promises, the most recent first."""
    return _read(db, lambda conn: _queries().recent_owners(conn))


def tag_names(db: Setting) -> list[str]:
    """The tags of the most recent promises, the most recent first."""
    return _read(db, lambda conn: _queries().recent_tags(conn))


def unresolved_promises(db: Setting, typed: str) -> list[tuple[int, str]]:
    """(number, text) of the unresolved promises whose number begins with `typed`."""
    digits = typed.removeprefix("#")
    return _read(db, lambda conn: _queries().unresolved_promises(conn, digits))


def _queries() -> ModuleType:
    from marrycli.storage.repo import completion

    return completion


def _read(db: Setting, query: Callable[[Connection], list[T]]) -> list[T]:
    with _peek(db) as conn:
        return [] if conn is None else query(conn)


@contextmanager
def _peek(db: Setting) -> Iterator[Connection | None]:
    from marrycli.storage.location import resolve_location

    location = resolve_location(db.value, db.label)
    if location.path is not None and not location.path.is_file():
        # No ledger file: nothing to offer, and no database library to import for it.
        yield None
        return
    from marrycli.storage.ledger import Ledger

    ledger = Ledger(location, lock_timeout=LOCK_WAIT, connect_timeout=CONNECT_WAIT)
    try:
        with ledger.peek() as conn:
            yield conn
    finally:
        ledger.close()
