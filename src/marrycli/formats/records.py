"""What reading an export yields: checked records (customers, directory changes, promises with
their events), and the per-line checks JSONL and CSV share (texts, names, times, histories).

Every field goes through the rules the CLI applies to the same value (`rules.validate_*`,
`dates.in_range`, and for what has happened, not in the future beyond `CLOCK_SKEW`); each
promise's events through `history.problem`, the rules of the CLI's writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from marrycli.dates import EARLIEST, LATEST, RANGE_WORDS, in_range
from marrycli.domain import Amendment, Event, EventKind, Promise, Size, Standing, Value
from marrycli.errors import BadInput
from marrycli.history import describe, problem
from marrycli.rules import (
    CLOCK_SKEW,
    TAG_MAX,
    validate_name,
    validate_ref,
    validate_tags,
    validate_text,
)

T = TypeVar("T")

ID_LIMIT = 2**63  # ids are 64-bit in both databases


@dataclass(slots=True)
class ImportEvent:
    line: int
    id: int
    kind: EventKind
    at: datetime
    due: datetime | None
    note: str | None
    owner: str
    ref: str | None
    voids: int | None
    recorded: datetime
    amendment: Amendment | None = None  # what an `amended` event changes


@dataclass(slots=True)
class ImportPromise:
    line: int
    id: int
    customer: str  # the name it was made to (a directory entry)
    text: str
    made: datetime
    due: datetime | None
    size: Size
    value: Value
    owner: str
    tags: tuple[str, ...]
    ref: str | None
    recorded: datetime
    events: list[ImportEvent] = field(default_factory=list)
    standing: Standing | None = None  # a series of standing promises (SPEC §7)
    series: int | None = None  # an occurrence: its series (by its id in the file) and k
    occurrence: int | None = None


@dataclass(slots=True)
class ImportCustomer:
    line: int
    id: int
    name: str
    merged_into: int | None
    created: datetime
    into: ImportCustomer | None = None  # the customer merged_into names (set once all are read)


@dataclass(slots=True)
class ImportChange:
    line: int
    kind: str  # rename | merge | value
    customer: str
    into: str | None
    old_name: str
    new_name: str
    owner: str
    at: datetime
    # A value change (SPEC §8): the tag, its level (None: cleared) and the note.
    tag: str | None = None
    level: Value | None = None
    note: str | None = None


Record = ImportCustomer | ImportChange | ImportPromise


def decode_lines(raw: Iterable[bytes]) -> Iterator[str]:
    """A file's lines as text: UTF-8 (a leading byte order mark is dropped), else BadInput."""
    lines = iter(raw)
    number = 1
    try:
        first = next(lines, None)
        if first is None:
            return
        yield first.decode("utf-8").removeprefix("\ufeff")
        for number, line in enumerate(lines, start=2):  # noqa: B007 (`except` names the line)
            yield line.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"line {number}: not UTF-8 text") from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def show_value(value: Any, limit: int = 40) -> str:
    """A value for a message: short, and with anything invisible escaped."""
    if isinstance(value, str):
        shown = repr(value if len(value) <= limit else value[: limit - 1] + "…")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**limit:
        shown = "a number of more than 40 digits"
    else:
        shown = repr(value)
        if len(shown) > limit:
            shown = shown[: limit - 1] + "…"
    if not shown.isprintable():
        shown = shown.encode("ascii", "backslashreplace").decode("ascii")
    return shown


_NAMES: dict[str, str] = {}  # ASCII names validate_name accepted, with what it made of them
_NAMES_KEPT = 4096


class Line:
    """Checks of one record's fields; every error names the line."""

    def __init__(self, number: int, record: dict[str, Any], now: datetime) -> None:
        self.number = number
        self.record = record
        self.now = now

    def fail(self, message: str) -> BadInput:
        return BadInput(f"line {self.number}: {message}")

    def get(self, name: str, optional: bool = False) -> Any:
        value = self.record.get(name)
        if value is None:
            if optional:
                return None
            raise self.fail(f"{name} is missing")
        if isinstance(value, str) and not value.isascii():
            found = _SURROGATE.search(value)
            if found is not None:
                raise self.fail(
                    f"{name} contains a lone surrogate (U+{ord(found.group()):04X}), "
                    "which is not text"
                )
        return value

    # Each check below first tries the common case (an ASCII text, a whole number in range:
    # nothing to escape or refuse) with the same rule, and otherwise takes the full path,
    # which refuses what it refuses with its message: same results, fewer calls per line.

    def integer(self, name: str, optional: bool = False) -> Any:
        value = self.record.get(name)
        if type(value) is int and 0 < value < ID_LIMIT:
            return value
        if value is None and optional:
            return None
        value = self.get(name, optional)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < ID_LIMIT:
            raise self.fail(f"{name} is not a whole number from 1 to 2^63-1: {show_value(value)}")
        return value

    def _string(self, name: str, optional: bool) -> Any:
        value = self.get(name, optional)
        if value is not None and not isinstance(value, str):
            raise self.fail(f"{name} is not text: {show_value(value)}")
        return value

    def text(self, name: str, what: str, optional: bool = False) -> Any:
        value = self.record.get(name)
        if type(value) is str and value.isascii():
            return self._check(validate_text, what, value)
        if value is None and optional:
            return None
        value = self._string(name, optional)
        return None if value is None else self._check(validate_text, what, value)

    def name(self, name: str, what: str, optional: bool = False) -> Any:
        value = self.record.get(name)
        if type(value) is str and value.isascii():
            # Names (owners above all) repeat: each one is checked once, then remembered.
            found = _NAMES.get(value)
            if found is None:
                found = self._check(validate_name, what, value)
                if len(_NAMES) < _NAMES_KEPT:
                    _NAMES[value] = found
            return found
        value = self._string(name, optional)
        return None if value is None else self._check(validate_name, what, value)

    def ref(self, name: str = "ref") -> str | None:
        value = self.record.get(name)
        if value is None:
            return None
        if type(value) is str and value.isascii() and value:
            try:
                return validate_ref(value)
            except BadInput as error:
                raise self.fail(error.message) from None
        value = self._string(name, optional=True)
        if value in (None, ""):
            return None
        return self._check(lambda _what, v: validate_ref(v), name, value)

    def tag(self, name: str = "tag") -> str:
        value = self._string(name, optional=False)
        return self._check(lambda what, v: validate_text(what, v, TAG_MAX), "the tag", value)

    def _check(self, validate: Callable[[str, str], T], what: str, value: str) -> T:
        try:
            return validate(what, value)
        except BadInput as error:
            raise self.fail(error.message) from None

    def time(self, name: str, optional: bool = False, past: bool = True) -> Any:
        """A time in range; with `past`, one that has happened (not after now + the skew)."""
        value = self.record.get(name)
        moment = _plain_utc(value)
        if moment is None:
            if value is None and optional:
                return None
            value = self.get(name, optional)
            if value in (None, "") and optional:
                return None
            moment = parse_time(value, lambda message: self.fail(f"{name}: {message}"))
        if past and moment > self.now + CLOCK_SKEW:
            raise self.fail(
                f"{name} {value} is in the future; record what has happened, not what will"
            )
        return moment

    def choice(self, name: str, enum: Any) -> Any:
        found = _members(enum).get(value) if type(value := self.record.get(name)) is str else None
        if found is not None:
            return found
        value = self.get(name)
        try:
            return enum(value)
        except (ValueError, TypeError):
            allowed = ", ".join(member.value for member in enum)
            raise self.fail(f"{name} {show_value(value)} is not one of {allowed}") from None

    def tags(self) -> tuple[str, ...]:
        if not self.record.get("tags"):  # no tags (None, [] or another empty value)
            return ()
        value = self.get("tags", optional=True) or []
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            raise self.fail(f"tags is not a list of texts: {show_value(value)}")
        for tag in value:
            found = _SURROGATE.search(tag)
            if found is not None:
                raise self.fail(f"a tag contains a lone surrogate (U+{ord(found.group()):04X})")
        try:
            return validate_tags(value)
        except BadInput as error:
            raise self.fail(error.message) from None

    def amendment(self, name: str = "changes") -> Amendment:
        """An amendment's changes: an object of the promise's fields it changes (at least one),
        each checked as that field is."""
        changes = self.get(name)
        if not isinstance(changes, dict) or not changes:
            raise self.fail(
                f"{name} is not an object of the fields it changes: {show_value(changes)}"
            )
        unknown = sorted(set(changes) - set(Amendment._fields))
        if unknown:
            raise self.fail(
                f"{name} has {show_value(unknown[0])}, not one of {', '.join(Amendment._fields)}"
            )
        fields = Line(self.number, changes, self.now)

        def member(field: str, enum: Any) -> Any:
            return fields.choice(field, enum) if changes.get(field) is not None else None

        return Amendment(
            text=fields.text("text", "the text", optional=True),
            size=member("size", Size),
            value=member("value", Value),
            owner=fields.name("owner", "owner", optional=True),
            tags=fields.tags() if changes.get("tags") is not None else None,
        )


_MEMBERS: dict[Any, dict[str, Any]] = {}


def _members(enum: Any) -> dict[str, Any]:
    """An enum's members by value (what `enum(value)` finds), looked up without a call."""
    found = _MEMBERS.get(enum)
    if found is None:
        found = _MEMBERS[enum] = {member.value: member for member in enum}
    return found


def _plain_utc(value: Any) -> datetime | None:
    """The common case of an exported time, cheaply: an ASCII text ending in Z that
    `parse_time` takes, as it takes it; None for anything else (then `parse_time` decides)."""
    if type(value) is not str or value[-1:] != "Z" or not value.isascii():
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is UTC and EARLIEST <= moment < LATEST else None


def parse_time(value: Any, fail: Any) -> datetime:
    """An exported time (ISO 8601 with Z or an offset) as an aware UTC datetime, in range."""
    if not isinstance(value, str):
        raise fail(f"not a time: {show_value(value)}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"not an ISO 8601 time: {show_value(value)}") from None
    if moment.tzinfo is None:
        raise fail(f"{show_value(value)} has no time zone; write it in UTC, ending in Z")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = None  # type: ignore[assignment]
    if moment is None or not in_range(moment):
        raise fail(f"{show_value(value)} is out of range; {RANGE_WORDS}")
    return moment


class History:
    """A promise's events so far, checked one by one by the CLI's rules (history.py).

    The last event checked joins the promise's history only when another one comes: most
    promises have one event, and building the promise again for nothing costs an import
    of a million promises seconds.
    """

    def __init__(self, promise: ImportPromise) -> None:
        self.promise = Promise(
            id=promise.id,
            customer=promise.customer,
            text=promise.text,
            made=promise.made,
            due=promise.due,
            size=promise.size,
            value=promise.value,
            owner=promise.owner,
        )
        self.last: ImportEvent | None = None  # checked, not in self.promise.events yet

    def add(self, line: Line, event: ImportEvent) -> None:
        last = self.last
        if last is not None:
            stored = Event(
                id=last.id,
                promise_id=self.promise.id,
                kind=last.kind,
                at=last.at,
                due=last.due,
                voids=last.voids,
                amendment=last.amendment,
            )
            self.promise = self.promise._replace(events=(*self.promise.events, stored))
        found = problem(self.promise, event.kind, event.at, event.due, event.voids)
        if found is not None:
            raise line.fail(describe(found, event.kind))
        self.last = event


class Refs:
    """Refs seen in a file: each may name one promise or one event."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def add(self, line: Line, ref: str | None) -> None:
        if ref is None:
            return
        first = self.seen.setdefault(ref, line.number)
        if first != line.number:
            raise line.fail(
                f"ref {show_value(ref)} appears twice in the file (first on line {first})"
            )


class Ids:
    """A set of ids (whole numbers from 1), compact: a bitmap of one bit per number up to
    2^27 (16 MB at most, as large as the highest id needs), a set for the ones beyond.

    An import checks that no promise and no event id appears twice in the file; ids are
    dense (a ledger numbers from 1), so a million of them take 125 KB here, where a set of
    ints would take about 60 MB.
    """

    __slots__ = ("beyond", "bits")

    BITMAP = 1 << 27

    def __init__(self) -> None:
        self.bits = bytearray()
        self.beyond: set[int] = set()

    def add(self, value: int) -> bool:
        """Add an id; False if it was there already."""
        if value >= self.BITMAP:
            if value in self.beyond:
                return False
            self.beyond.add(value)
            return True
        bits = self.bits
        index = value >> 3
        if index >= len(bits):  # grown at least twofold: amortised, as a list grows
            bits.extend(bytes(max(index + 1 - len(bits), len(bits), 1024)))
        mask = 1 << (value & 7)
        if bits[index] & mask:
            return False
        bits[index] |= mask
        return True
