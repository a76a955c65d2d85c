"""The export formats, read and checked line by line: JSONL (lossless) and CSV.

Pure: text in, checked records out (or BadInput naming the line). Writing them to a
ledger is `storage.transfer`'s job; this module never touches a database.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marrycli.domain import EventKind, Size, Status, Value
from marrycli.errors import BadInput

FORMAT_NAME = "marry-export"
FORMAT_VERSION = 1
CSV_REQUIRED = ("customer", "text", "made", "due", "size", "value", "owner", "status", "resolved")
_CSV_RISKY = ("=", "+", "-", "@", "\t", "\r")


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


@dataclass(slots=True)
class ImportCustomer:
    line: int
    id: int
    name: str
    merged_into: int | None
    created: datetime


@dataclass(slots=True)
class ImportChange:
    line: int
    kind: str
    customer: str
    into: str | None
    old_name: str
    new_name: str
    owner: str
    at: datetime


def unneutralise(cell: str) -> str:
    """Undo the export's CSV-injection guard: drop a `'` put before = + - @ tab or CR."""
    if cell.startswith("'") and cell[1:].startswith(_CSV_RISKY):
        return cell[1:]
    return cell


class _Line:
    """Checks of one record's fields; every error names the line."""

    def __init__(self, number: int, record: dict[str, Any]) -> None:
        self.number = number
        self.record = record

    def fail(self, message: str) -> BadInput:
        return BadInput(f"line {self.number}: {message}")

    def get(self, name: str, optional: bool = False) -> Any:
        if name not in self.record or (self.record[name] is None and not optional):
            if optional:
                return None
            raise self.fail(f"{name} is missing")
        return self.record[name]

    def integer(self, name: str, optional: bool = False) -> Any:
        value = self.get(name, optional)
        if value is None and optional:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(f"{name} is not a positive whole number: {value!r}")
        return value

    def text(self, name: str, what: str, optional: bool = False, limit: int = 2000) -> Any:
        from marrycli.service import validate_text

        value = self.get(name, optional)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(f"{name} is not text: {value!r}")
        try:
            return validate_text(what, value, limit)
        except BadInput as error:
            raise self.fail(error.message) from None

    def name(self, name: str, what: str, optional: bool = False) -> Any:
        from marrycli.service import validate_name

        value = self.get(name, optional)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(f"{name} is not text: {value!r}")
        try:
            return validate_name(what, value)
        except BadInput as error:
            raise self.fail(error.message) from None

    def ref(self, name: str = "ref") -> str | None:
        from marrycli.service import validate_ref

        value = self.get(name, optional=True)
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            raise self.fail(f"{name} is not text: {value!r}")
        try:
            return validate_ref(value)
        except BadInput as error:
            raise self.fail(error.message) from None

    def time(self, name: str, optional: bool = False) -> Any:
        value = self.get(name, optional)
        if value in (None, "") and optional:
            return None
        return parse_time(value, lambda message: self.fail(f"{name}: {message}"))

    def choice(self, name: str, enum: Any) -> Any:
        value = self.get(name)
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            raise self.fail(f"{name} {value!r} is not one of {allowed}") from None

    def tags(self) -> tuple[str, ...]:
        from marrycli.service import validate_tags

        value = self.get("tags", optional=True) or []
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            raise self.fail(f"tags is not a list of texts: {value!r}")
        try:
            return validate_tags(value)
        except BadInput as error:
            raise self.fail(error.message) from None


def parse_time(value: Any, fail: Any) -> datetime:
    """An exported time (ISO 8601 with Z or an offset) as an aware datetime."""
    if not isinstance(value, str):
        raise fail(f"not a time: {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise fail(f"{value!r} has no time zone; write it in UTC, ending in Z")
    return moment


# -- JSONL -----------------------------------------------------------------------------


Record = ImportCustomer | ImportChange | ImportPromise


def read_jsonl(lines: Iterable[str]) -> Iterator[Record]:
    """The records of an export, in file order; a promise comes with its events."""
    customers: dict[int, str] = {}
    promise: ImportPromise | None = None
    seen_promises: set[int] = set()
    event_ids: dict[int, tuple[int, EventKind]] = {}
    header = False
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as error:
            raise BadInput(f"line {number}: not JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise BadInput(f"line {number}: not a JSON object")
        line = _Line(number, record)
        if not header:
            if record.get("format") != FORMAT_NAME:
                raise line.fail(f"not a marry export (the first line must name {FORMAT_NAME!r})")
            if record.get("version") != FORMAT_VERSION:
                raise line.fail(
                    f"export format version {record.get('version')!r}; "
                    f"this marry reads version {FORMAT_VERSION}"
                )
            header = True
            continue
        kind = record.get("type")
        if kind != "event" and promise is not None:
            yield promise
            promise = None
        if kind == "customer":
            customer = ImportCustomer(
                number,
                line.integer("id"),
                line.name("name", "the customer's name"),
                line.integer("merged_into", optional=True),
                line.time("created"),
            )
            customers[customer.id] = customer.name
            yield customer
        elif kind == "customer_change":
            change_kind = line.get("kind")
            if change_kind not in ("rename", "merge"):
                raise line.fail(f"kind {change_kind!r} is not rename or merge")
            yield ImportChange(
                number,
                change_kind,
                _customer(line, customers, "customer_id"),
                _customer(line, customers, "into_id") if line.get("into_id", True) else None,
                line.name("old_name", "old_name"),
                line.name("new_name", "new_name"),
                line.name("owner", "owner"),
                line.time("at"),
            )
        elif kind == "promise":
            pid = line.integer("id")
            if pid in seen_promises:
                raise line.fail(f"promise {pid} appears twice")
            seen_promises.add(pid)
            made = line.time("made")
            due = line.time("due", optional=True)
            if due is not None and due <= made:
                raise line.fail("due is not after made")
            promise = ImportPromise(
                number,
                pid,
                _customer(line, customers, "customer_id"),
                line.text("text", "the promise text"),
                made,
                due,
                line.choice("size", Size),
                line.choice("value", Value),
                line.name("owner", "owner"),
                line.tags(),
                line.ref(),
                line.time("recorded"),
            )
        elif kind == "event":
            promise_id = line.integer("promise_id")
            if promise is None or promise.id != promise_id:
                raise line.fail(f"event of promise {promise_id} does not follow that promise")
            promise.events.append(_event(line, promise, event_ids))
        else:
            raise line.fail(f"unknown record type {kind!r}")
    if not header:
        raise BadInput("the file is empty: not a marry export")
    if promise is not None:
        yield promise


def _customer(line: _Line, customers: dict[int, str], name: str) -> str:
    cid = line.integer(name)
    if cid not in customers:
        raise line.fail(f"{name} {cid} names no customer above it")
    return customers[cid]


def _event(
    line: _Line, promise: ImportPromise, event_ids: dict[int, tuple[int, EventKind]]
) -> ImportEvent:
    eid = line.integer("id")
    if eid in event_ids:
        raise line.fail(f"event {eid} appears twice")
    kind = line.choice("kind", EventKind)
    at = line.time("at")
    if at < promise.made:
        raise line.fail("the event is before its promise was made")
    due = line.time("due", optional=True)
    if kind is EventKind.RENEGOTIATED and (due is None or due <= at):
        raise line.fail("a renegotiation needs a due after its time")
    voids = line.integer("voids", optional=True)
    if kind is EventKind.VOID:
        target = event_ids.get(voids) if voids is not None else None
        if target is None or target[0] != promise.id or target[1] is EventKind.VOID:
            raise line.fail("a void must cancel an earlier event of its own promise")
    elif voids is not None:
        raise line.fail("only a void event cancels another")
    event_ids[eid] = (promise.id, kind)
    return ImportEvent(
        line.number,
        eid,
        kind,
        at,
        due,
        line.text("note", "the note", optional=True),
        line.name("owner", "owner"),
        line.ref(),
        voids,
        line.time("recorded"),
    )


# -- CSV -------------------------------------------------------------------------------------


def read_csv(lines: Iterable[str]) -> Iterator[Record]:
    """Promises from a CSV of at least CSV_REQUIRED's columns (the CSV export's too)."""
    reader = csv.DictReader(lines)
    missing = [name for name in CSV_REQUIRED if name not in (reader.fieldnames or [])]
    if missing:
        raise BadInput(f"line 1: the CSV lacks the column(s) {', '.join(missing)}")
    for row in reader:
        number = reader.line_num
        cells = {key: unneutralise(value or "") for key, value in row.items() if key is not None}
        record: dict[str, Any] = {key: value or None for key, value in cells.items()}
        tags = record.get("tags")
        record["tags"] = [tag for tag in tags.split(";") if tag] if tags else []
        line = _Line(number, record)
        made = line.time("made")
        due = line.time("due", optional=True)
        if due is not None and due <= made:
            raise line.fail("due is not after made")
        status = line.choice("status", Status)
        resolved = line.time("resolved", optional=True)
        promise = ImportPromise(
            number,
            number,
            line.name("customer", "the customer"),
            line.text("text", "the promise text"),
            made,
            due,
            line.choice("size", Size),
            line.choice("value", Value),
            line.name("owner", "owner"),
            line.tags(),
            line.ref(),
            made,
        )
        if status in (Status.OPEN, Status.OVERDUE):
            if resolved is not None:
                raise line.fail(f"an {status.value} promise has no resolved time")
        else:
            if resolved is None:
                raise line.fail(f"a {status.value} promise needs its resolved time")
            if resolved < made:
                raise line.fail("resolved is before made")
            late = due is not None and resolved > due
            if status is Status.KEPT and late:
                raise line.fail("status kept, but resolved after due: that is kept_late")
            if status is Status.KEPT_LATE and not late:
                raise line.fail("status kept_late, but resolved by its due date: that is kept")
            kind = {
                Status.KEPT: EventKind.KEPT,
                Status.KEPT_LATE: EventKind.KEPT,
                Status.BROKEN: EventKind.BROKEN,
                Status.CANCELLED: EventKind.CANCELLED,
            }[status]
            note = "imported as cancelled" if kind is EventKind.CANCELLED else None
            promise.events.append(
                ImportEvent(number, 1, kind, resolved, None, note, promise.owner, None, None, made)
            )
        yield promise
