"""The export formats, read and checked line by line: JSONL (lossless) and CSV.

Pure: text in, checked records out (or BadInput naming the line). Writing them to a
ledger is `storage.transfer`'s job; this module never touches a database.

Every field of a file goes through the rules the CLI applies to the same value: texts,
names, tags and refs through `service.validate_*` (and no lone surrogates), times within
`dates.in_range` and, for what has happened (made, at, recorded, created), not in the
future beyond the clock skew; each promise's events through `history.problem`, the rules
of the CLI's writes. A file is read in the order `marry export` writes it: the header,
customers, directory changes, then each promise followed by its events.

CSV cells are escaped so that a terminal or spreadsheet never gets a raw control or format
character, and the import restores them exactly (`csv_escape`, `csv_unescape`):

- a character of Unicode category Cc, Cf, Co, Cs, Zl or Zp is written `<U+XXXX>` (4 to 6
  upper-case hex digits), as tables show it;
- text that already reads like such an escape keeps its meaning by escaping its `<`:
  `<U+0041>` is written `<U+003C>U+0041>`;
- in the tags cell, tags are joined with `;` and a `;` inside a tag is written `<U+003B>`;
- then a cell that starts with `=`, `+`, `-`, `@`, tab or CR, after any number of `'`,
  gets one more leading `'` (so a spreadsheet does not run it); the import removes one.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from marrycli.dates import RANGE_WORDS, in_range
from marrycli.domain import Event, EventKind, Promise, Size, Status, Value, customer_key
from marrycli.errors import BadInput
from marrycli.history import describe, problem

FORMAT_NAME = "marry-export"
FORMAT_VERSION = 1
CSV_REQUIRED = ("customer", "text", "made", "due", "size", "value", "owner", "status", "resolved")
CLOCK_SKEW = timedelta(minutes=5)  # as the CLI's: "now" on two hosts may differ this much
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
    into: ImportCustomer | None = None  # the customer merged_into names (set once all are read)


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


Record = ImportCustomer | ImportChange | ImportPromise


# -- cells: escapes for CSV, and for JSONL lines -------------------------------------------

INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}  # what tables show as <U+XXXX> too
_CODE = re.compile(r"<U\+(10[0-9A-F]{4}|[0-9A-F]{4,5})>")
_RISKY = re.compile(r"'*[=+\-@\t\r]")
_GUARDED = re.compile(r"'+[=+\-@\t\r]")


def csv_escape(text: str) -> str:
    """Text with control and format characters written `<U+XXXX>` (and literal escapes kept)."""
    if text.isprintable() and "<U+" not in text:
        return text
    text = _CODE.sub(lambda match: "<U+003C>" + match.group()[1:], text)
    return "".join(
        f"<U+{ord(c):04X}>" if not c.isprintable() and unicodedata.category(c) in INVISIBLE else c
        for c in text
    )


def csv_unescape(text: str) -> str:
    """The inverse of `csv_escape`."""
    if "<U+" not in text:
        return text
    return _CODE.sub(lambda match: chr(int(match.group(1), 16)), text)


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will not run: one more `'` before a leading = + - @ tab or CR."""
    return "'" + cell if _RISKY.match(cell) else cell


def unneutralise(cell: str) -> str:
    """The inverse of `neutralise`."""
    return cell[1:] if _GUARDED.match(cell) else cell


def csv_text(text: str) -> str:
    """A text as a CSV cell: escaped, then neutralised."""
    return neutralise(csv_escape(text))


def csv_list(items: Iterable[str]) -> str:
    """A list (tags) as one CSV cell: each escaped, `;` inside one escaped, joined with `;`."""
    return neutralise(";".join(csv_escape(item).replace(";", "<U+003B>") for item in items))


def jsonl_line(record: dict[str, Any]) -> str:
    """One JSON line, lossless, with control and format characters as \\u escapes."""
    line = json.dumps(record, ensure_ascii=False)
    if line.isprintable():
        return line
    return "".join(
        json_escape(c) if not c.isprintable() and unicodedata.category(c) in INVISIBLE else c
        for c in line
    )


def json_escape(char: str) -> str:
    """A character as a JSON \\u escape (a surrogate pair above the BMP)."""
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


# -- lines -----------------------------------------------------------------------------------


def decode_lines(raw: Iterable[bytes]) -> Iterator[str]:
    """A file's lines as text: UTF-8 (a leading byte order mark is dropped), else BadInput."""
    for number, line in enumerate(raw, start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput(f"line {number}: not UTF-8 text") from None
        yield text.removeprefix("\ufeff") if number == 1 else text


_SURROGATE = re.compile("[\ud800-\udfff]")


def _show(value: Any, limit: int = 40) -> str:
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


class _Line:
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

    def integer(self, name: str, optional: bool = False) -> Any:
        value = self.get(name, optional)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < ID_LIMIT:
            raise self.fail(f"{name} is not a whole number from 1 to 2^63-1: {_show(value)}")
        return value

    def _string(self, name: str, optional: bool) -> Any:
        value = self.get(name, optional)
        if value is not None and not isinstance(value, str):
            raise self.fail(f"{name} is not text: {_show(value)}")
        return value

    def text(self, name: str, what: str, optional: bool = False) -> Any:
        from marrycli.service import validate_text

        value = self._string(name, optional)
        return None if value is None else self._check(validate_text, what, value)

    def name(self, name: str, what: str, optional: bool = False) -> Any:
        from marrycli.service import validate_name

        value = self._string(name, optional)
        return None if value is None else self._check(validate_name, what, value)

    def ref(self, name: str = "ref") -> str | None:
        from marrycli.service import validate_ref

        value = self._string(name, optional=True)
        if value in (None, ""):
            return None
        return self._check(lambda what, v: validate_ref(v), name, value)  # type: ignore[no-any-return]

    def _check(self, validate: Any, what: str, value: str) -> Any:
        try:
            return validate(what, value)
        except BadInput as error:
            raise self.fail(error.message) from None

    def time(self, name: str, optional: bool = False, past: bool = True) -> Any:
        """A time in range; with `past`, one that has happened (not after now + the skew)."""
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
        value = self.get(name)
        try:
            return enum(value)
        except (ValueError, TypeError):
            allowed = ", ".join(member.value for member in enum)
            raise self.fail(f"{name} {_show(value)} is not one of {allowed}") from None

    def tags(self) -> tuple[str, ...]:
        from marrycli.service import validate_tags

        value = self.get("tags", optional=True) or []
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            raise self.fail(f"tags is not a list of texts: {_show(value)}")
        for tag in value:
            found = _SURROGATE.search(tag)
            if found is not None:
                raise self.fail(f"a tag contains a lone surrogate (U+{ord(found.group()):04X})")
        try:
            return validate_tags(value)
        except BadInput as error:
            raise self.fail(error.message) from None


def parse_time(value: Any, fail: Any) -> datetime:
    """An exported time (ISO 8601 with Z or an offset) as an aware UTC datetime, in range."""
    if not isinstance(value, str):
        raise fail(f"not a time: {_show(value)}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"not an ISO 8601 time: {_show(value)}") from None
    if moment.tzinfo is None:
        raise fail(f"{_show(value)} has no time zone; write it in UTC, ending in Z")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = None  # type: ignore[assignment]
    if moment is None or not in_range(moment):
        raise fail(f"{_show(value)} is out of range; {RANGE_WORDS}")
    return moment


# -- promises and their events ------------------------------------------------------------


class _History:
    """A promise's events so far, checked one by one by the CLI's rules (history.py)."""

    def __init__(self, promise: ImportPromise) -> None:
        self.promise = Promise(
            promise.id,
            promise.customer,
            promise.text,
            promise.made,
            promise.due,
            promise.size,
            promise.value,
            promise.owner,
        )

    def add(self, line: _Line, event: ImportEvent) -> None:
        found = problem(self.promise, event.kind, event.at, event.due, event.voids)
        if found is not None:
            raise line.fail(describe(found, event.kind))
        stored = Event(event.id, self.promise.id, event.kind, event.at, event.due)
        stored = stored._replace(voids=event.voids)
        self.promise = self.promise._replace(events=(*self.promise.events, stored))


class _Refs:
    """Refs seen in a file: each may name one promise or one event."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def add(self, line: _Line, ref: str | None) -> None:
        if ref is None:
            return
        first = self.seen.setdefault(ref, line.number)
        if first != line.number:
            raise line.fail(f"ref {_show(ref)} appears twice in the file (first on line {first})")


# -- JSONL -----------------------------------------------------------------------------


_SECTIONS = {"customer": 0, "customer_change": 1, "promise": 2, "event": 2}
_SECTION_NAMES = ("customers", "customer changes", "promises")


def _load(number: int, raw: str) -> Any:
    try:
        return json.loads(raw)
    except RecursionError:
        raise BadInput(f"line {number}: not JSON (nested too deeply)") from None
    except json.JSONDecodeError as error:
        raise BadInput(f"line {number}: not JSON ({error.msg})") from None
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        message = str(error).split(";")[0]
        raise BadInput(f"line {number}: not JSON ({message})") from None


def read_jsonl(lines: Iterable[str], now: datetime) -> Iterator[Record]:
    """The records of an export, in file order; a promise comes with its events.

    Customers come all at once, after their section is read (a merge may name a later one).
    """
    customers: dict[int, ImportCustomer] = {}
    keys: dict[str, int] = {}
    promise: ImportPromise | None = None
    events: _History | None = None
    seen_promises: set[int] = set()
    event_ids: set[int] = set()
    refs = _Refs()
    section = 0
    header = False
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        record = _load(number, raw)
        if not isinstance(record, dict):
            raise BadInput(f"line {number}: not a JSON object")
        line = _Line(number, record, now)
        if not header:
            if record.get("format") != FORMAT_NAME:
                raise line.fail(f"not a marry export (the first line must name {FORMAT_NAME!r})")
            if record.get("version") != FORMAT_VERSION:
                raise line.fail(
                    f"export format version {_show(record.get('version'))}; "
                    f"this marry reads version {FORMAT_VERSION}"
                )
            header = True
            continue
        kind = record.get("type")
        if not isinstance(kind, str) or kind not in _SECTIONS:
            raise line.fail(f"unknown record type {_show(kind)}")
        if _SECTIONS[kind] < section:
            raise line.fail(
                f"a {kind.replace('_', ' ')} after the {_SECTION_NAMES[section]}; "
                "a file lists customers, then customer changes, then promises with their events"
            )
        if section == 0 and _SECTIONS[kind] > 0:
            yield from _directory(customers)
        section = _SECTIONS[kind]
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
            if customer.id in customers:
                raise line.fail(
                    f"customer {customer.id} appears twice (first on line "
                    f"{customers[customer.id].line})"
                )
            key = customer_key(customer.name)
            if key in keys:
                raise line.fail(
                    f"customer {_show(customer.name)} is the customer of line {keys[key]} "
                    "again (names match without regard to case and spacing)"
                )
            keys[key] = number
            customers[customer.id] = customer
        elif kind == "customer_change":
            yield _change(line, customers)
        elif kind == "promise":
            pid = line.integer("id")
            if pid in seen_promises:
                raise line.fail(f"promise {pid} appears twice")
            seen_promises.add(pid)
            made = line.time("made")
            due = line.time("due", optional=True, past=False)
            if due is not None and due <= made:
                raise line.fail("due is not after made")
            promise = ImportPromise(
                number,
                pid,
                _customer(line, customers, "customer_id").name,
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
            refs.add(line, promise.ref)
            events = None
        else:
            promise_id = line.integer("promise_id")
            if promise is None or promise.id != promise_id:
                raise line.fail(f"event of promise {promise_id} does not follow that promise")
            if events is None:
                events = _History(promise)
            event = _event(line, event_ids)
            events.add(line, event)
            refs.add(line, event.ref)
            promise.events.append(event)
    if not header:
        raise BadInput("the file is empty: not a marry export")
    if section == 0:
        yield from _directory(customers)
    if promise is not None:
        yield promise


def _directory(customers: dict[int, ImportCustomer]) -> Iterator[ImportCustomer]:
    """The file's customers once all are read: each merge names another customer, not merged."""
    for customer in customers.values():
        if customer.merged_into is None:
            continue
        into = customers.get(customer.merged_into)
        where = f"line {customer.line}: merged_into {customer.merged_into}"
        if into is None:
            raise BadInput(f"{where} names no customer in the file")
        if into is customer:
            raise BadInput(f"{where} is the customer itself")
        if into.merged_into is not None:
            raise BadInput(
                f"{where} names {_show(into.name)}, which is itself merged into another; "
                "name the customer it leads to"
            )
        customer.into = into
    yield from customers.values()


def _customer(line: _Line, customers: dict[int, ImportCustomer], name: str) -> ImportCustomer:
    cid = line.integer(name)
    found = customers.get(cid)
    if found is None:
        raise line.fail(f"{name} {cid} names no customer above it")
    return found


def _change(line: _Line, customers: dict[int, ImportCustomer]) -> ImportChange:
    kind = line.get("kind")
    if kind not in ("rename", "merge"):
        raise line.fail(f"kind {_show(kind)} is not rename or merge")
    customer = _customer(line, customers, "customer_id")
    into = None
    if kind == "merge":
        into = _customer(line, customers, "into_id")
        if into is customer:
            raise line.fail("a merge of a customer into itself")
        if customer.merged_into is None:
            raise line.fail(
                f"a merge of {_show(customer.name)}, which the file's customers do not show "
                "merged into anyone"
            )
    elif line.get("into_id", optional=True) is not None:
        raise line.fail("a rename has no into_id")
    return ImportChange(
        line.number,
        kind,
        customer.name,
        into.name if into is not None else None,
        line.name("old_name", "old_name"),
        line.name("new_name", "new_name"),
        line.name("owner", "owner"),
        line.time("at"),
    )


def _event(line: _Line, event_ids: set[int]) -> ImportEvent:
    eid = line.integer("id")
    if eid in event_ids:
        raise line.fail(f"event {eid} appears twice")
    event_ids.add(eid)
    kind = line.choice("kind", EventKind)
    due = line.time("due", optional=True, past=False)
    if due is not None and kind is not EventKind.RENEGOTIATED:
        raise line.fail(f"a {kind.value} event has no due; only a renegotiation moves it")
    voids = line.integer("voids", optional=True)
    if voids is not None and kind is not EventKind.VOID:
        raise line.fail("only a void event cancels another")
    if voids is None and kind is EventKind.VOID:
        raise line.fail("a void event needs voids: the event it cancels")
    return ImportEvent(
        line.number,
        eid,
        kind,
        line.time("at"),
        due,
        line.text("note", "the note", optional=True),
        line.name("owner", "owner"),
        line.ref(),
        voids,
        line.time("recorded"),
    )


# -- CSV -------------------------------------------------------------------------------------


def read_csv(lines: Iterable[str], now: datetime) -> Iterator[Record]:
    """Promises from a CSV of at least CSV_REQUIRED's columns (the CSV export's too)."""
    reader = csv.reader(lines)
    header = _csv_row(reader)
    if header is None:
        raise BadInput("the file is empty: no CSV header")
    names = [csv_unescape(unneutralise(name)).strip() for name in header]
    missing = [name for name in CSV_REQUIRED if name not in names]
    if missing:
        raise BadInput(f"line 1: the CSV lacks the column(s) {', '.join(missing)}")
    refs = _Refs()
    while True:
        number = reader.line_num + 1
        row = _csv_row(reader)
        if row is None:
            return
        if not any(cell.strip() for cell in row):
            continue
        record: dict[str, Any] = {}
        for name, cell in zip(names, row, strict=False):
            cell = unneutralise(cell)
            if name == "tags":
                record[name] = [csv_unescape(tag) for tag in cell.split(";") if tag]
            else:
                record[name] = csv_unescape(cell) or None
        yield _csv_promise(_Line(number, record, now), refs)


def _csv_row(reader: Any) -> list[str] | None:
    try:
        return next(reader)  # type: ignore[no-any-return]
    except StopIteration:
        return None
    except csv.Error as error:
        raise BadInput(f"line {reader.line_num}: not CSV ({error})") from None


def _csv_promise(line: _Line, refs: _Refs) -> ImportPromise:
    made = line.time("made")
    due = line.time("due", optional=True, past=False)
    if due is not None and due <= made:
        raise line.fail("due is not after made")
    status = line.choice("status", Status)
    resolved = line.time("resolved", optional=True)
    promise = ImportPromise(
        line.number,
        line.number,
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
    refs.add(line, promise.ref)
    if status in (Status.OPEN, Status.OVERDUE):
        if resolved is not None:
            raise line.fail(f"an {status.value} promise has no resolved time")
        return promise
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
    event = ImportEvent(line.number, 1, kind, resolved, None, note, promise.owner, None, None, made)
    _History(promise).add(line, event)
    promise.events.append(event)
    return promise
