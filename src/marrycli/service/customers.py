"""Use cases of the customer directory: list (with promise counts), show, rename, merge, and
the value profile (SPEC §8)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from marrycli.dates import to_micros
from marrycli.domain import (
    CustomerProfile,
    CustomerSummary,
    ProfileEntry,
    Status,
    Value,
    customer_key,
)
from marrycli.errors import BadInput
from marrycli.service.lookup import find_customer_entry
from marrycli.service.standing import expand

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from marrycli.storage.ledger import Ledger


def list_customers(ledger: Ledger, now: datetime) -> list[CustomerSummary]:
    """Every customer, with its promise counts as of now."""
    from marrycli.storage import repo

    with ledger.read() as conn:
        if conn is None:
            return []
        directory = repo.list_customers(conn)
        promises = expand(repo.load_promises(conn), now)
    by_customer: dict[str, list[Status]] = {}
    for promise in promises:
        by_customer.setdefault(promise.customer, []).append(promise.state(now).status)
    summaries = []
    for listed in directory:
        statuses = [s for s in by_customer.get(listed.name, []) if s is not Status.CANCELLED]
        summaries.append(
            CustomerSummary(
                customer=listed.name,
                promises=len(statuses),
                open=statuses.count(Status.OPEN),
                overdue=statuses.count(Status.OVERDUE),
                merged=tuple(listed.merged),
            )
        )
    return summaries


def rename_customer(ledger: Ledger, old: str, new: str, *, owner: str, now: datetime) -> str:
    """Rename a customer; returns the new display name."""
    from marrycli.storage import repo

    with ledger.write(create=False) as conn:
        entry = find_customer_entry(conn, old)
        assert conn is not None
        new_key = customer_key(new)
        other = repo.find_customer(conn, new_key)
        if other is not None and other.id != entry.id:
            raise BadInput(
                f"{other.name!r} is another customer; to make them one, run "
                f"`marry customer merge {old!r} {other.name!r}`"
            )
        if other is not None and other.entry_id != entry.id:
            raise BadInput(
                f"{new!r} is already another name of {entry.name!r} (merged into it, or a name "
                f"it had), so it leads there as it is: `--customer {new!r}` records for "
                f"{entry.name!r}; rename to a spelling the directory does not have yet"
            )
        if entry.name == new:
            return new
        repo.rename_customer(conn, entry, new_key, new, owner, to_micros(now))
        return new


def merge_customers(ledger: Ledger, source: str, into: str, *, owner: str, now: datetime) -> str:
    """Merge one customer into another; returns the surviving display name."""
    from marrycli.storage import repo

    with ledger.write(create=False) as conn:
        source_entry = find_customer_entry(conn, source)
        into_entry = find_customer_entry(conn, into)
        assert conn is not None
        if source_entry.id == into_entry.id:
            raise BadInput(
                f"{source!r} and {into!r} are the same customer; name two different ones"
            )
        repo.merge_customers(conn, source_entry, into_entry, owner, to_micros(now))
        return into_entry.name


def show_customer(ledger: Ledger, name: str, now: datetime) -> CustomerProfile:
    """A customer's names, value profile and promise counts as of now (as `customer list`)."""
    from marrycli.storage import repo

    with ledger.read() as conn:
        entry = find_customer_entry(conn, name)
        assert conn is not None
        names = repo.customer_entry_names(conn, entry.id)
        profile = value_profile(conn, entry.id)
        promises = expand(repo.load_promises(conn, customer_id=entry.id), now)
    statuses = [p.state(now).status for p in promises]
    statuses = [s for s in statuses if s is not Status.CANCELLED]
    return CustomerProfile(
        customer=entry.name,
        names=tuple(names),
        profile=tuple(profile.values()),
        promises=len(statuses),
        open=statuses.count(Status.OPEN),
        overdue=statuses.count(Status.OVERDUE),
    )


def value_profile(conn: Connection, customer_id: int) -> dict[str, ProfileEntry]:
    """A customer's value profile: each tag's latest change, by tag."""
    from marrycli.model.values import fold_profile
    from marrycli.storage import repo

    changes = repo.value_changes(conn, customer_id)
    levels = fold_profile((change.tag, change.level) for change in changes)
    latest = {change.tag: change for change in changes}
    return {
        tag: ProfileEntry(
            tag=tag, level=level, note=latest[tag].note, at=latest[tag].at, owner=latest[tag].owner
        )
        for tag, level in levels.items()
    }


def set_value(
    ledger: Ledger,
    name: str,
    tag: str,
    level: Value | None,
    *,
    note: str | None,
    owner: str,
    now: datetime,
) -> tuple[str, str | None]:
    """Record how much a customer values promises tagged `tag` (None: clear the entry).

    Returns the customer's display name and a notice when nothing was recorded, because the
    profile already says so (as a repeated outcome, a no-op).
    """
    from marrycli.storage import repo

    with ledger.write(create=False) as conn:
        entry = find_customer_entry(conn, name)
        assert conn is not None
        current = value_profile(conn, entry.id).get(tag)
        if level is None and current is None:
            return entry.name, (
                f"{entry.name!r} has no value for the tag {tag!r} to clear; nothing recorded"
            )
        if current is not None and current.level is level:
            return entry.name, (
                f"{entry.name!r} already values promises tagged {tag!r} {level.value}; "
                "nothing recorded"
            )
        repo.record_value(conn, entry, tag, level, note, owner, to_micros(now))
        return entry.name, None
