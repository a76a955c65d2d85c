"""JSONL, the lossless export: its header, its lines written, and read back and checked.

A file is read in the order `marry export` writes it: the header, customers, directory
changes, then each promise followed by its events. JSON documents for stdout (`to_json`)
share the escape: control and format characters as `\\uXXXX`, so a terminal shows them safely.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from marrycli.domain import EventKind, Size, Standing, Value, customer_key
from marrycli.errors import BadInput
from marrycli.formats.records import (
    History,
    Ids,
    ImportChange,
    ImportCustomer,
    ImportEvent,
    ImportPromise,
    Line,
    Record,
    Refs,
    show_value,
)
from marrycli.rules import INVISIBLE, WITHIN_UNITS, parse_period, period_hours

FORMAT_NAME = "marry-export"


# 2: amended events (`changes`) and value changes (`tag`, `level`, `note`); 3: standing
# promises (a series' `every`, `within`, `until`, `zone`; an occurrence's `series_id` and
# `occurrence`), written only on the promises that have them.
FORMAT_VERSION = 3
READS = (1, 2, 3)  # an earlier file has none of these, and reads as it always did


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


_SECTIONS = {"customer": 0, "customer_change": 1, "promise": 2, "event": 2}


_SECTION_NAMES = ("customers", "customer changes", "promises")


_decode = json.JSONDecoder().decode  # json.loads without its checks of the argument


def _load_json(number: int, raw: str) -> Any:
    try:
        # json.loads refuses a byte order mark in its own words: it reads that line
        return json.loads(raw) if raw[:1] == "\ufeff" else _decode(raw)
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
    events: History | None = None
    seen_promises = Ids()
    series: dict[int, ImportPromise] = {}  # the file's standing promises, by their id
    occurrences: set[tuple[int, int]] = set()
    event_ids = Ids()
    refs = Refs()
    section = 0
    header = False
    for number, raw in enumerate(lines, start=1):
        if not raw or raw.isspace():  # blank (`not raw.strip()` without the copy)
            continue
        record = _load_json(number, raw)
        if not isinstance(record, dict):
            raise BadInput(f"line {number}: not a JSON object")
        line = Line(number, record, now)
        if not header:
            if record.get("format") != FORMAT_NAME:
                raise line.fail(f"not a marry export (the first line must name {FORMAT_NAME!r})")
            version = record.get("version")
            if type(version) is not int or version not in READS:
                raise line.fail(
                    f"export format version {show_value(version)}; "
                    f"this marry reads versions {READS[0]} to {READS[-1]}"
                )
            header = True
            continue
        kind = record.get("type")
        at = _SECTIONS.get(kind) if isinstance(kind, str) else None
        if at is None:
            raise line.fail(f"unknown record type {show_value(kind)}")
        if at < section:
            raise line.fail(
                f"a {str(kind).replace('_', ' ')} after the {_SECTION_NAMES[section]}; "
                "a file lists customers, then customer changes, then promises with their events"
            )
        if section == 0 and at > 0:
            yield from _directory(customers)
        section = at
        if kind != "event" and promise is not None:
            yield promise
            promise = None
        if kind == "customer":
            customer = ImportCustomer(
                line=number,
                id=line.integer("id"),
                name=line.name("name", "the customer's name"),
                merged_into=line.integer("merged_into", optional=True),
                created=line.time("created"),
            )
            if customer.id in customers:
                raise line.fail(
                    f"customer {customer.id} appears twice (first on line "
                    f"{customers[customer.id].line})"
                )
            key = customer_key(customer.name)
            if key in keys:
                raise line.fail(
                    f"customer {show_value(customer.name)} is the customer of line {keys[key]} "
                    "again (names match without regard to case and spacing)"
                )
            keys[key] = number
            customers[customer.id] = customer
        elif kind == "customer_change":
            yield _change(line, customers)
        elif kind == "promise":
            pid = line.integer("id")
            if not seen_promises.add(pid):
                raise line.fail(f"promise {pid} appears twice")
            made = line.time("made")
            due = line.time("due", optional=True, past=False)
            if due is not None and due <= made:
                raise line.fail("due is not after made")
            promise = ImportPromise(
                line=number,
                id=pid,
                customer=_customer(line, customers, "customer_id").name,
                text=line.text("text", "the promise text"),
                made=made,
                due=due,
                size=line.choice("size", Size),
                value=line.choice("value", Value),
                owner=line.name("owner", "owner"),
                tags=line.tags(),
                ref=line.ref(),
                recorded=line.time("recorded"),
            )
            _standing(line, promise, series, occurrences)
            if promise.ref is not None:
                refs.add(line, promise.ref)
            events = None
        else:
            promise_id = line.integer("promise_id")
            if promise is None or promise.id != promise_id:
                raise line.fail(f"event of promise {promise_id} does not follow that promise")
            if events is None:
                events = History(promise)
            event = _event(line, event_ids)
            events.add(line, event)
            if event.ref is not None:
                refs.add(line, event.ref)
            promise.events.append(event)
    if not header:
        raise BadInput("the file is empty: not a marry export")
    if section == 0:
        yield from _directory(customers)
    if promise is not None:
        yield promise


_STANDING_FIELDS = ("every", "within", "until", "zone", "series_id", "occurrence")


def _standing(
    line: Line,
    promise: ImportPromise,
    series: dict[int, ImportPromise],
    occurrences: set[tuple[int, int]],
) -> None:
    """A series' terms, or an occurrence's series and k, read into `promise` and checked."""
    if line.record.keys().isdisjoint(_STANDING_FIELDS):
        return  # neither: what the checks below find too, with fewer calls
    every = line.get("every", optional=True)
    if every is not None:
        try:
            period = parse_period(str(every), "every")
            within = parse_period(
                str(line.get("within")), "within", WITHIN_UNITS + (period.unit == "m") * "m"
            )
        except BadInput as error:
            raise line.fail(error.message) from None
        if period_hours(within) > period_hours(period):
            raise line.fail("within is longer than the period")
        if promise.due is not None:
            raise line.fail("a standing promise has no due date (each occurrence has one)")
        until = line.time("until", optional=True, past=False)
        if until is not None and until <= promise.made:
            raise line.fail("until is not after made")
        zone = line.text("zone", "the zone", optional=True)
        promise.standing = Standing(every=period, within=within, until=until, zone=zone)
        series[promise.id] = promise
    elif any(line.get(name, optional=True) is not None for name in ("within", "until", "zone")):
        raise line.fail("only a standing promise (with every) has within, until or zone")
    of = line.integer("series_id", optional=True)
    k = line.integer("occurrence", optional=True)
    if (of is None) != (k is None):
        raise line.fail("an occurrence has both series_id and occurrence")
    if of is None or k is None:
        return
    found = series.get(of)
    if found is None or promise.standing is not None:
        raise line.fail(f"series_id {of} names no standing promise above it")
    if found.customer != promise.customer:
        raise line.fail(f"an occurrence of series {of} is made to another customer")
    if (of, k) in occurrences:
        raise line.fail(f"occurrence {k} of series {of} appears twice")
    occurrences.add((of, k))
    promise.series, promise.occurrence = of, k


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
                f"{where} names {show_value(into.name)}, which is itself merged into another; "
                "name the customer it leads to"
            )
        customer.into = into
    yield from customers.values()


def _customer(line: Line, customers: dict[int, ImportCustomer], name: str) -> ImportCustomer:
    cid = line.integer(name)
    found = customers.get(cid)
    if found is None:
        raise line.fail(f"{name} {cid} names no customer above it")
    return found


def _change(line: Line, customers: dict[int, ImportCustomer]) -> ImportChange:
    kind = line.get("kind")
    if kind not in ("rename", "merge", "value"):
        raise line.fail(f"kind {show_value(kind)} is not rename, merge or value")
    customer = _customer(line, customers, "customer_id")
    into = None
    if kind == "merge":
        into = _customer(line, customers, "into_id")
        if into is customer:
            raise line.fail("a merge of a customer into itself")
        if customer.merged_into is None:
            raise line.fail(
                f"a merge of {show_value(customer.name)}, which the file's customers do not show "
                "merged into anyone"
            )
    elif line.get("into_id", optional=True) is not None:
        raise line.fail(f"a {kind} has no into_id")
    tag = level = note = None
    if kind == "value":
        tag = line.tag()
        if line.get("level", optional=True) is not None:
            level = line.choice("level", Value)
        note = line.text("note", "the note", optional=True)
    else:
        for name in ("tag", "level", "note"):
            if line.get(name, optional=True) is not None:
                raise line.fail(f"a {kind} has no {name}; only a value change has")
    return ImportChange(
        line=line.number,
        kind=kind,
        customer=customer.name,
        into=into.name if into is not None else None,
        old_name=line.name("old_name", "old_name"),
        new_name=line.name("new_name", "new_name"),
        owner=line.name("owner", "owner"),
        at=line.time("at"),
        tag=tag,
        level=level,
        note=note,
    )


def _event(line: Line, event_ids: Ids) -> ImportEvent:
    eid = line.integer("id")
    if not event_ids.add(eid):
        raise line.fail(f"event {eid} appears twice")
    kind = line.choice("kind", EventKind)
    due = line.time("due", optional=True, past=False)
    if due is not None and kind is not EventKind.RENEGOTIATED:
        raise line.fail(f"a {kind.value} event has no due; only a renegotiation moves it")
    voids = line.integer("voids", optional=True)
    if voids is not None and kind is not EventKind.VOID:
        raise line.fail("only a void event cancels another")
    if voids is None and kind is EventKind.VOID:
        raise line.fail("a void event needs voids: the event it cancels")
    amended = kind is EventKind.AMENDED
    if not amended and line.get("changes", optional=True) is not None:
        raise line.fail("only an amended event has changes")
    return ImportEvent(
        line=line.number,
        id=eid,
        kind=kind,
        at=line.time("at"),
        due=due,
        note=line.text("note", "the note", optional=True),
        owner=line.name("owner", "owner"),
        ref=line.ref(),
        voids=voids,
        recorded=line.time("recorded"),
        amendment=line.amendment() if amended else None,
    )


def to_json(document: Any) -> str:
    """JSON for scripts: lossless; format characters escaped so a terminal shows them safely."""
    dumped = json.dumps(document, ensure_ascii=False, indent=2)
    if dumped.replace("\n", "").isprintable():
        return dumped
    return "".join(
        json_escape(c) if c != "\n" and unicodedata.category(c) in INVISIBLE else c for c in dumped
    )
