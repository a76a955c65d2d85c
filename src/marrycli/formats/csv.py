"""CSV: the promise list and export written, and read back by `marry import`.

Cells are escaped so that a terminal or spreadsheet never gets a raw control or format
character, and the import restores them exactly (`csv_escape`, `csv_unescape`):

- a character of Unicode category Cc, Cf, Co, Cs, Zl or Zp (`rules.INVISIBLE`) is written
  `<U+XXXX>` (4 to 6 upper-case hex digits), as tables show it;
- text that already reads like such an escape keeps its meaning by escaping its `<`:
  `<U+0041>` is written `<U+003C>U+0041>`;
- in the tags cell, tags are joined with `;` and a `;` inside a tag is written `<U+003B>`;
- then a cell that starts with `=`, `+`, `-`, `@`, tab or CR, after any number of `'`,
  gets one more leading `'` (so a spreadsheet does not run it); the import removes one.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from marrycli.domain import EventKind, Size, Status, Value
from marrycli.errors import BadInput
from marrycli.formats.records import History, ImportEvent, ImportPromise, Line, Record, Refs
from marrycli.rules import INVISIBLE

CSV_REQUIRED = ("customer", "text", "made", "due", "size", "value", "owner", "status", "resolved")


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
    refs = Refs()
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
        yield _csv_promise(Line(number, record, now), refs)


def _csv_row(reader: Any) -> list[str] | None:
    try:
        return next(reader)  # type: ignore[no-any-return]
    except StopIteration:
        return None
    except csv.Error as error:
        raise BadInput(f"line {reader.line_num}: not CSV ({error})") from None


def _csv_promise(line: Line, refs: Refs) -> ImportPromise:
    made = line.time("made")
    due = line.time("due", optional=True, past=False)
    if due is not None and due <= made:
        raise line.fail("due is not after made")
    status = line.choice("status", Status)
    resolved = line.time("resolved", optional=True)
    promise = ImportPromise(
        line=line.number,
        id=line.number,
        customer=line.name("customer", "the customer"),
        text=line.text("text", "the promise text"),
        made=made,
        due=due,
        size=line.choice("size", Size),
        value=line.choice("value", Value),
        owner=line.name("owner", "owner"),
        tags=line.tags(),
        ref=line.ref(),
        recorded=made,
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
    event = ImportEvent(
        line=line.number,
        id=1,
        kind=kind,
        at=resolved,
        due=None,
        note=note,
        owner=promise.owner,
        ref=None,
        voids=None,
        recorded=made,
    )
    History(promise).add(line, event)
    promise.events.append(event)
    return promise


def csv_cell(text: str) -> str:
    """A text cell that neither a terminal nor a spreadsheet runs, and `marry import` restores:
    control and format characters as <U+XXXX>, and a leading `'` before = + - @ tab or CR
    (OWASP). The escape is `transfer.csv_escape`, documented there."""
    return csv_text(text)


def to_csv(fields: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """CSV with a header: None as an empty cell, lists joined with `;`, text escaped."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow(_csv_value(row[name]) for name in fields)
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return csv_list(value)
    return csv_cell(value) if isinstance(value, str) else value


PROMISE_CSV_FIELDS = (
    "id", "customer", "text", "made", "due", "size", "value", "owner", "tags", "ref",
    "status", "resolved", "renegotiations", "series", "occurrence",
)  # fmt: skip
