"""The customer directory: names (keys) leading to customers, renames, merges and the
value profile (SPEC §8).

Unlike history, the directory may change; each change is recorded in `marry_customer_change`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, Select, bindparam, func, select, update

from marrycli.domain import Value
from marrycli.storage.repo.memo import forget_directory, memo_of
from marrycli.storage.repo.prepared import Prepared
from marrycli.storage.repo.rows import (
    VALUES,
    CustomerEntry,
    Damage,
    read_member,
    read_text,
    read_time,
)
from marrycli.storage.repo.writes import insert_unless_taken
from marrycli.storage.tables import change_table, customer_table


class ListedCustomer(NamedTuple):
    """A customer of the directory (not an alias), with the names merged into it."""

    id: int
    name: str
    merged: list[str]


def _find_customer(_dialect: str) -> Select[tuple[int, str, int]]:
    entry = customer_table.alias("entry")
    root = customer_table.alias("root")
    return (
        select(root.c.id, root.c.name, entry.c.id.label("entry_id"))
        .select_from(entry)
        .join(root, root.c.id == func.coalesce(entry.c.merged_into, entry.c.id))
        .where(entry.c.key == bindparam("key"))
    )


_FIND_CUSTOMER = Prepared(_find_customer)  # an import or a batch looks up thousands
_ADD_CUSTOMER = Prepared(
    lambda dialect: insert_unless_taken(dialect, customer_table, "key").values(
        key=bindparam("key"), name=bindparam("name"), created=bindparam("created")
    )
)


def find_customer(conn: Connection, key: str) -> CustomerEntry | None:
    """The customer a key leads to (through a merge), or None."""
    row = _FIND_CUSTOMER.first(conn, {"key": key})
    if row is None:
        return None
    customer_id, name, entry_id = row
    return CustomerEntry(id=customer_id, name=name, entry_id=entry_id)


def ensure_customer(conn: Connection, key: str, name: str, now: int) -> CustomerEntry:
    """The customer for a key, created with this display name if new (safe under concurrency:
    a key once in the directory stays there, and two writers adding it store one row)."""
    memo = memo_of(conn)
    if memo is not None and key in memo.customers:
        return memo.customers[key]
    found = find_customer(conn, key)
    if found is None:
        _ADD_CUSTOMER.rows(conn, {"key": key, "name": name, "created": now})
        found = find_customer(conn, key)
        assert found is not None
    if memo is not None:
        memo.customers[key] = found
    return found


def list_customers(conn: Connection) -> list[ListedCustomer]:
    """Every customer (not aliases), in id order, with the names merged into it."""
    rows = conn.execute(
        select(customer_table.c.id, customer_table.c.name, customer_table.c.merged_into).order_by(
            customer_table.c.id
        )
    ).all()
    check_merges((row.id, row.merged_into) for row in rows)
    merged: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        read_text(row.name, f"the name of customer {row.id}")
        if row.merged_into is not None:
            merged[row.merged_into].append(row.name)
    return [
        ListedCustomer(id=row.id, name=row.name, merged=merged[row.id])
        for row in rows
        if row.merged_into is None
    ]


def directory_keys(conn: Connection) -> list[tuple[str, str]]:
    """Every key of the directory (customers' and their other names') with the display name
    of the customer it leads to, in entry order."""
    entry = customer_table.alias("entry")
    root = customer_table.alias("root")
    rows = conn.execute(
        select(entry.c.key, root.c.name)
        .select_from(entry)
        .join(root, root.c.id == func.coalesce(entry.c.merged_into, entry.c.id))
        .order_by(entry.c.id)
    )
    return [(key, name) for key, name in rows]


def customer_names(conn: Connection) -> dict[int, str]:
    """The display name of every customer (not of aliases), by id."""
    rows = conn.execute(
        select(customer_table.c.id, customer_table.c.name).where(
            customer_table.c.merged_into.is_(None)
        )
    )
    return {cid: read_text(name, f"the name of customer {cid}") for cid, name in rows}


def directory_roots(conn: Connection) -> tuple[dict[int, int], set[int]]:
    """Each directory entry's customer, and the customers that have names merged into them."""
    rows = conn.execute(select(customer_table.c.id, customer_table.c.merged_into)).all()
    root_of = check_merges((row.id, row.merged_into) for row in rows)
    merged_roots = {row.merged_into for row in rows if row.merged_into is not None}
    return root_of, merged_roots


def check_merges(entries: Iterable[tuple[int, int | None]]) -> dict[int, int]:
    """Each directory entry's customer (itself, or the one it is merged into); Damage for
    a merge no `customer merge` makes: into itself, into a missing entry or into an alias."""
    into_of = dict(entries)
    for entry_id, into in into_of.items():
        if into is None:
            continue
        if into == entry_id:
            raise Damage(f"customer {entry_id} is merged into itself")
        if into not in into_of:
            raise Damage(
                f"customer {entry_id} is merged into customer {into}, which does not exist"
            )
        if into_of[into] is not None:
            raise Damage(
                f"customer {entry_id} is merged into customer {into}, which is merged itself"
            )
    return {entry_id: entry_id if into is None else into for entry_id, into in into_of.items()}


def rename_customer(
    conn: Connection, customer: CustomerEntry, key: str, name: str, owner: str, now: int
) -> None:
    """Give a customer a new name (and key); the change is recorded, and the old name stays
    in the directory as an alias of the customer (as a merged name), so it still leads there."""
    forget_directory(conn)
    old_key = conn.execute(
        select(customer_table.c.key).where(customer_table.c.id == customer.id)
    ).scalar_one()
    conn.execute(
        update(customer_table).where(customer_table.c.id == customer.id).values(key=key, name=name)
    )
    if old_key != key:  # not a change of case or spacing only
        conn.execute(
            customer_table.insert().values(
                key=old_key, name=customer.name, merged_into=customer.id, created=now
            )
        )
    conn.execute(
        change_table.insert().values(
            kind="rename",
            customer_id=customer.id,
            into_id=None,
            old_name=customer.name,
            new_name=name,
            owner=owner,
            at=now,
        )
    )


def merge_customers(
    conn: Connection, source: CustomerEntry, into: CustomerEntry, owner: str, now: int
) -> None:
    """Make `source` (and its aliases) lead to `into`; the change is recorded."""
    forget_directory(conn)
    conn.execute(
        update(customer_table)
        .where((customer_table.c.id == source.id) | (customer_table.c.merged_into == source.id))
        .values(merged_into=into.id)
    )
    conn.execute(
        change_table.insert().values(
            kind="merge",
            customer_id=source.id,
            into_id=into.id,
            old_name=source.name,
            new_name=into.name,
            owner=owner,
            at=now,
        )
    )


def keep_renamed_names(conn: Connection) -> None:
    """A customer's names before each rename lead to it, as aliases (renames recorded
    before schema version 2 did not keep them)."""
    from marrycli.domain import customer_key

    taken = set(conn.execute(select(customer_table.c.key)).scalars())
    root_of, _ = directory_roots(conn)
    renames = conn.execute(
        select(change_table.c.customer_id, change_table.c.old_name, change_table.c.at)
        .where(change_table.c.kind == "rename")
        .order_by(change_table.c.id)
    ).all()
    for customer_id, old_name, at in renames:
        key = customer_key(old_name)
        if key in taken or customer_id not in root_of:
            continue  # the name leads somewhere already (or the change is damaged: db check)
        conn.execute(
            customer_table.insert().values(
                key=key, name=old_name, merged_into=root_of[customer_id], created=at
            )
        )
        taken.add(key)


class ValueChange(NamedTuple):
    """A value change of a customer's profile, as recorded (`level` None: a clear)."""

    tag: str
    level: Value | None
    note: str | None
    at: datetime
    owner: str


def record_value(
    conn: Connection,
    customer: CustomerEntry,
    tag: str,
    level: Value | None,
    note: str | None,
    owner: str,
    now: int,
) -> None:
    """Record how much a customer values promises tagged `tag` (None: the entry is cleared);
    the change names the customer by its display name, as both old and new name."""
    conn.execute(
        change_table.insert().values(
            kind="value",
            customer_id=customer.id,
            into_id=None,
            old_name=customer.name,
            new_name=customer.name,
            owner=owner,
            at=now,
            tag=tag,
            level=level.value if level is not None else None,
            note=note,
        )
    )


def value_changes(conn: Connection, customer_id: int) -> list[ValueChange]:
    """The value changes of a customer, recorded for it or for a name merged into it since, in
    the order recorded."""
    entries = select(customer_table.c.id).where(
        (customer_table.c.id == customer_id) | (customer_table.c.merged_into == customer_id)
    )
    query = (
        select(
            change_table.c.id,
            change_table.c.tag,
            change_table.c.level,
            change_table.c.note,
            change_table.c.at,
            change_table.c.owner,
        )
        .where(change_table.c.kind == "value", change_table.c.customer_id.in_(entries))
        .order_by(change_table.c.id)
    )
    return [
        ValueChange(
            tag=read_text(row.tag, f"the tag of directory change {row.id}"),
            level=None
            if row.level is None
            else read_member(VALUES, row.level, f"the level of directory change {row.id}"),
            note=None if row.note is None else read_text(row.note, f"the note of change {row.id}"),
            at=read_time(row.at, f"the time of directory change {row.id}"),
            owner=read_text(row.owner, f"the owner of directory change {row.id}"),
        )
        for row in conn.execute(query)
    ]


def customer_entry_names(conn: Connection, customer_id: int) -> list[str]:
    """Every name leading to a customer: its display name, then the names merged into it
    (and those it had before a rename), in entry order."""
    rows = conn.execute(
        select(customer_table.c.id, customer_table.c.name)
        .where((customer_table.c.id == customer_id) | (customer_table.c.merged_into == customer_id))
        .order_by(customer_table.c.id)
    ).all()
    names = [read_text(name, f"the name of customer {cid}") for cid, name in rows]
    own = next(i for i, (cid, _) in enumerate(rows) if cid == customer_id)
    return [names[own], *names[:own], *names[own + 1 :]]
