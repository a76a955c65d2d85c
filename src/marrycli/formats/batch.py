"""The input of `marry batch` (SPEC §10): one JSON object a line, each a write with the fields
of its command's options (`{"op": "keep", "id": 12, "at": "2026-12-04T16:30"}`).

Every field goes through what the command applies to the same option: `rules.validate_*`,
`rules.parse_id`, and `dates.parse_when` with one `now` for the whole batch and the same
end-of-day rule (a bare day: the end for `due`, the start for `made` and `at`). A line that
cannot be read is a `BadLine`; blank lines are skipped, and line numbers are those of the
file (the first line is 1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from marrycli.dates import When, parse_when
from marrycli.domain import Size, Value
from marrycli.errors import BadInput
from marrycli.formats.records import show_value
from marrycli.rules import (
    PromiseId,
    parse_id,
    validate_name,
    validate_ref,
    validate_tags,
    validate_text,
)

E = TypeVar("E", bound=StrEnum)

# The fields each op takes: its command's long options without dashes (`tag` and `tags`
# both for add, which may give its tags either way).
FIELDS: dict[str, tuple[str, ...]] = {
    "add": ("text", "customer", "due", "made", "size", "value", "owner", "tags", "tag", "ref"),
    "keep": ("id", "at", "note", "ref"),
    "break": ("id", "at", "note", "ref"),
    "renegotiate": ("id", "due", "at", "note", "ref"),
    "cancel": ("id", "note", "ref"),
    "undo": ("id", "note", "ref"),
    "amend": ("id", "text", "size", "value", "owner", "tag", "untag", "note", "ref"),
}
OPS = tuple(FIELDS)

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class AddLine:
    """`promise add`; `owner` None: the default owner."""

    line: int
    text: str
    customer: str
    due: When | None
    made: When | None
    size: Size
    value: Value | None
    owner: str | None
    tags: tuple[str, ...]
    ref: str | None
    op: str = "add"


@dataclass(frozen=True, slots=True)
class EventLine:
    """`keep`, `break`, `renegotiate` (with `due`), `promise cancel` (with `note`), `undo`."""

    line: int
    op: str
    id: PromiseId
    at: When | None
    due: When | None
    note: str | None
    ref: str | None


@dataclass(frozen=True, slots=True)
class AmendLine:
    """`promise amend`."""

    line: int
    id: PromiseId
    text: str | None
    size: Size | None
    value: Value | None
    owner: str | None
    tag: tuple[str, ...]
    untag: tuple[str, ...]
    note: str | None
    ref: str | None
    op: str = "amend"


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that cannot be read as a write: why, in words (its op first, when known)."""

    line: int
    error: str


Operation = AddLine | EventLine | AmendLine


def read_batch(raw: Iterable[bytes], now: datetime) -> Iterator[Operation | BadLine]:
    """The writes of a batch's lines (bytes, as read from the file), in order; a line that
    is not UTF-8 or not a write is a BadLine. Blank lines yield nothing."""
    for number, data in enumerate(raw, start=1):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            yield BadLine(number, "not UTF-8 text; give the batch in UTF-8")
            continue
        if number == 1:
            text = text.removeprefix("\ufeff")
        if not text.strip():
            continue
        try:
            yield parse_line(number, text, now)
        except BadInput as error:
            yield BadLine(number, error.message)


def parse_line(number: int, text: str, now: datetime) -> Operation:
    """One line of a batch as a write; BadInput (without the line number) if it is not one."""
    record = _decode(text)
    op = record.get("op")
    if op is None:
        raise BadInput(f'"op" is missing; give one of {", ".join(OPS)}')
    if op not in FIELDS:
        raise BadInput(f"op {show_value(op)} is not one of {', '.join(OPS)}")
    fields = _Fields(op, record, now)
    unknown = [name for name in record if name != "op" and name not in FIELDS[op]]
    if unknown:
        raise fields.fail(
            f"unknown field {show_value(unknown[0])}; {op} takes {', '.join(FIELDS[op])}"
        )
    if op == "add":
        if "tag" in record and "tags" in record:
            raise fields.fail('both "tag" and "tags" given; give the tags once')
        return AddLine(
            line=number,
            text=fields.text("text", required=True),
            customer=fields.name("customer", required=True),
            due=fields.when("due", end_of_day=True),
            made=fields.when("made", end_of_day=False),
            size=fields.choice("size", Size) or Size.MEDIUM,
            value=fields.choice("value", Value),
            owner=fields.name("owner"),
            tags=fields.tags("tags" if "tags" in record else "tag"),
            ref=fields.ref(),
        )
    if op == "amend":
        return AmendLine(
            line=number,
            id=fields.promise_id(),
            text=fields.text("text"),
            size=fields.choice("size", Size),
            value=fields.choice("value", Value),
            owner=fields.name("owner"),
            tag=fields.tags("tag"),
            untag=fields.tags("untag"),
            note=fields.text("note"),
            ref=fields.ref(),
        )
    return EventLine(
        line=number,
        op=op,
        id=fields.promise_id(),
        at=fields.when("at", end_of_day=False) if "at" in FIELDS[op] else None,
        due=fields.when("due", end_of_day=True, required=True) if op == "renegotiate" else None,
        note=fields.text("note", required=op == "cancel"),
        ref=fields.ref(),
    )


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise BadInput(f"the field {show_value(key)} is given twice; give it once")
            seen.add(key)
    return found


def _no_constant(name: str) -> None:
    raise BadInput(f"{name} is not a JSON number; give a number or text")


# Built once: `json.loads` with hooks builds a decoder for every line.
_DECODER = json.JSONDecoder(object_pairs_hook=_no_repeats, parse_constant=_no_constant)


def _decode(text: str) -> dict[str, Any]:
    """A line's JSON object; BadInput if it is not JSON, not an object, or repeats a key."""
    try:
        if text.startswith("\ufeff"):  # as json.loads refuses it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        record = _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise BadInput(f"not JSON ({error.msg} at column {error.colno})") from None
    except (ValueError, RecursionError):  # a number of thousands of digits; nesting too deep
        raise BadInput("not a JSON object of a write") from None
    if not isinstance(record, dict):
        raise BadInput(f"not a JSON object but {show_value(record)}; give one object a line")
    return record


class _Fields:
    """A line's fields, each checked as its command's option is; errors name the op."""

    def __init__(self, op: str, record: dict[str, Any], now: datetime) -> None:
        self.op = op
        self.record = record
        self.now = now

    def fail(self, message: str) -> BadInput:
        return BadInput(f"{self.op}: {message}")

    def _get(self, name: str, required: bool) -> Any:
        value = self.record.get(name)  # null is as good as left out
        if value is None and required:
            raise self.fail(f"{name} is missing")
        return value

    def _string(self, name: str, required: bool = False) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(f"{name} is not text: {show_value(value)}")
        found = _SURROGATE.search(value)
        if found is not None:
            raise self.fail(
                f"{name} contains a lone surrogate (U+{ord(found.group()):04X}), which is not text"
            )
        return value

    def _checked(self, check: Any, *args: Any) -> Any:
        try:
            return check(*args)
        except BadInput as error:
            raise self.fail(error.message) from None

    def text(self, name: str, required: bool = False) -> Any:
        value = self._string(name, required)
        return None if value is None else self._checked(validate_text, name, value)

    def name(self, name: str, required: bool = False) -> Any:
        value = self._string(name, required)
        return None if value is None else self._checked(validate_name, name, value)

    def ref(self) -> str | None:
        value = self._string("ref")
        if value is None:
            return None
        checked: str | None = self._checked(validate_ref, value)
        return checked

    def when(self, name: str, *, end_of_day: bool, required: bool = False) -> When | None:
        value = self._string(name, required)
        if value is None:
            return None
        try:
            return parse_when(value, now=self.now, end_of_day=end_of_day)
        except BadInput as error:
            raise self.fail(f"{name}: {error.message}") from None

    def choice(self, name: str, enum: type[E]) -> E | None:
        value = self._string(name)
        if value is None:
            return None
        try:
            return enum(value.strip().lower())  # any case, as on the command line
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            raise self.fail(f"{name} {show_value(value)} is not one of {allowed}") from None

    def tags(self, name: str) -> tuple[str, ...]:
        value = self._get(name, required=False)
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(tag, str) for tag in items):
            raise self.fail(f"{name} is not a list of texts: {show_value(value)}")
        for tag in items:
            found = _SURROGATE.search(tag)
            if found is not None:
                raise self.fail(f"a tag contains a lone surrogate (U+{ord(found.group()):04X})")
        checked: tuple[str, ...] = self._checked(validate_tags, items)
        return checked

    def promise_id(self) -> PromiseId:
        value = self._get("id", required=True)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.fail(f"id is not a promise number or ref:KEY: {show_value(value)}")
        if isinstance(value, str):
            value = self._string("id")
        checked: PromiseId = self._checked(parse_id, str(value))
        return checked
