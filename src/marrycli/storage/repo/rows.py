"""Stored values read back as domain values, the records of a directory entry and of a ref,
and `Damage` for a value no marry write makes.

Every query module reads its rows through these checks, so that a ledger changed behind
marry's back is refused with one line (exit 3) instead of failing somewhere later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from marrycli.dates import EARLIEST, LATEST, RANGE_WORDS, from_micros, to_micros
from marrycli.domain import Amendment, EventKind, Period, Size, Standing, Value
from marrycli.errors import BadInput, LedgerUnusable
from marrycli.rules import PERIOD_UNITS, WITHIN_UNITS, parse_period


class Damage(LedgerUnusable):
    """A row no marry write could have made: the ledger was changed behind marry's back.

    Raised while rows become domain objects, so that every read refuses a damaged ledger
    with one line (exit 3) instead of failing somewhere later; `Ledger` adds where it is.
    """

    def __init__(self, problem: str) -> None:
        super().__init__(f"the ledger is damaged: {problem}; `marry db check` lists its problems")
        self.problem = problem


@dataclass(frozen=True, slots=True)
class CustomerEntry:
    """A directory entry resolved to its customer: `id` is the customer a name leads to."""

    id: int
    name: str  # the customer's display name
    entry_id: int  # the entry the key matched (an alias after a merge)


@dataclass(frozen=True, slots=True)
class StoredRef:
    """What a `--ref` names: a promise (event_id None) or one event of it."""

    ref: str
    promise_id: int
    event_id: int | None
    event_kind: str | None


SIZES = {s.value: s for s in Size}
VALUES = {v.value: v for v in Value}
KINDS = {k.value: k for k in EventKind}
FIRST_MICROS = to_micros(EARLIEST)  # the times a ledger may hold: [FIRST_MICROS, END_MICROS)
END_MICROS = to_micros(LATEST)

Member = TypeVar("Member", Size, Value, EventKind)


def read_time(us: object, what: str) -> datetime:
    """A stored time as an aware datetime; Damage if it is not one the ledger may hold."""
    if type(us) is int and FIRST_MICROS <= us < END_MICROS:
        return from_micros(us)
    raise Damage(f"{what} is not a time marry can hold ({RANGE_WORDS})")


def optional_time(us: object, what: str) -> datetime | None:
    """A stored time that may be NULL; Damage as `read_time`."""
    return None if us is None else read_time(us, what)


def read_text(value: object, what: str) -> str:
    """A stored text; Damage if it is something else (a number, bytes, NULL)."""
    if type(value) is str:
        return value
    raise Damage(f"{what} is not text")


def read_tags(raw: object, what: str) -> tuple[str, ...]:
    """Stored tags (a JSON array of texts) as a tuple; Damage if they are not that."""
    try:
        tags = json.loads(raw) if type(raw) is str else None
    except (ValueError, RecursionError):
        tags = None
    if type(tags) is list and all(type(tag) is str for tag in tags):
        return tuple(tags)
    raise Damage(f"{what} are not a JSON list of texts")


def read_member(table: dict[str, Member], value: object, what: str) -> Member:
    """A stored size, value or kind (by its value in `table`); Damage for anything else."""
    found = table.get(value) if type(value) is str else None
    if found is None:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
        raise Damage(f"{what} is {shown}, not one of {', '.join(table)}")
    return found


def write_amendment(amendment: Amendment) -> str:
    """An amendment as stored: a JSON object of the fields it changes."""
    return json.dumps(amendment.changes(), ensure_ascii=False, separators=(",", ":"))


def read_amendment(raw: object, what: str) -> Amendment:
    """A stored amendment (a JSON object of changed fields); Damage if it is not one a marry
    write makes: an object of known fields, at least one, each of its type."""
    try:
        changes = json.loads(raw) if type(raw) is str else None
    except (ValueError, RecursionError):
        changes = None
    if type(changes) is not dict or not changes or not set(changes) <= set(Amendment._fields):
        raise Damage(f"{what} is not a JSON object of the fields of a promise it changes")
    text, owner = changes.get("text"), changes.get("owner")
    tags = changes.get("tags")
    if any(v is not None and type(v) is not str for v in (text, owner)) or (
        tags is not None and not (type(tags) is list and all(type(t) is str for t in tags))
    ):
        raise Damage(f"{what} has a text, owner or tags of the wrong type")
    size, value = changes.get("size"), changes.get("value")
    return Amendment(
        text=text,
        size=read_member(SIZES, size, f"the size in {what}") if size is not None else None,
        value=read_member(VALUES, value, f"the value in {what}") if value is not None else None,
        owner=owner,
        tags=tuple(tags) if tags is not None else None,
    )


def _read_period(raw: object, units: str, what: str) -> Period:
    try:
        if type(raw) is str:
            return parse_period(raw, what, units)
    except BadInput:
        pass
    raise Damage(f"{what} is {raw!r}, not a period")


def read_standing(
    every: object, within: object, until: object, zone: object, pid: object
) -> Standing | None:
    """A series' terms as stored (schema version 3), None for any other promise; Damage for
    what no marry write makes."""
    if every is None and within is None and until is None and zone is None:
        return None
    return Standing(
        every=_read_period(every, PERIOD_UNITS, f"the period of promise {pid}"),
        within=_read_period(
            within, WITHIN_UNITS + "m", f"the time of each occurrence of promise {pid}"
        ),
        until=optional_time(until, f"the end of the series {pid}"),
        zone=None if zone is None else read_text(zone, f"the zone of the series {pid}"),
    )
