"""`marry batch` (SPEC §10): many writes in one process, through the very plans of the single
commands (`add_write`, `outcome_write`, ...), so every rule of theirs holds: refs, no-op
repeats, conflicts and history.

All or nothing (the default): every line is planned, then applied in order in one write
transaction; the first bad line stops it and nothing is written. `each`: a transaction a
line, and a bad line is that line's result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from datetime import datetime
from typing import TYPE_CHECKING

from marrycli.domain import EventKind, LineResult
from marrycli.errors import BadInput, GateFailed, MarryError
from marrycli.formats.batch import AddLine, AmendLine, BadLine, EventLine, Operation
from marrycli.service.events import (
    amendment_write,
    cancel_write,
    outcome_write,
    renegotiation_write,
    undo_write,
)
from marrycli.service.promises import add_write
from marrycli.service.writes import RefRace, Write, run_write, write_transaction

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from marrycli.domain import Recorded
    from marrycli.storage.ledger import Ledger

Progress = Callable[[int, int], None]  # (lines just done, lines done in all)


def plan(operation: Operation, *, by: str, strict: bool, now: datetime) -> Write:
    """The write of one line, planned as its command plans it: BadInput (or, for an add,
    GateFailed under `strict`) if it cannot be. The guard and the typo check of new
    customers weigh an add only under `strict`; `by` is the owner of events (and of an add
    that names none)."""
    if isinstance(operation, AddLine):
        return add_write(
            text=operation.text,
            customer=operation.customer,
            due=operation.due,
            made=operation.made,
            size=operation.size,
            value=operation.value,
            owner=operation.owner or by,
            tags=operation.tags,
            ref=operation.ref,
            now=now,
            guard=strict,
            strict=strict,
            ask_new_customer=strict,
        )
    if isinstance(operation, AmendLine):
        return amendment_write(
            operation.id,
            text=operation.text,
            size=operation.size,
            value=operation.value,
            owner=operation.owner,
            tag=operation.tag,
            untag=operation.untag,
            note=operation.note,
            ref=operation.ref,
            by=by,
            now=now,
        )
    return _event_plan(operation, by=by, now=now)


def _event_plan(operation: EventLine, *, by: str, now: datetime) -> Write:
    op, pid, ref, note = operation.op, operation.id, operation.ref, operation.note
    if op in ("keep", "break"):
        kind = EventKind.KEPT if op == "keep" else EventKind.BROKEN
        return outcome_write(pid, kind, at=operation.at, note=note, ref=ref, owner=by, now=now)
    if op == "renegotiate":
        assert operation.due is not None  # the line format requires it
        return renegotiation_write(
            pid, due=operation.due, at=operation.at, note=note, ref=ref, owner=by, now=now
        )
    if op == "cancel":
        assert note is not None  # the line format requires it
        return cancel_write(pid, note=note, ref=ref, owner=by, now=now)
    assert op == "undo", op
    return undo_write(pid, note=note, ref=ref, owner=by, now=now)


def run_batch(
    ledger: Ledger,
    lines: Sequence[Operation | BadLine],
    *,
    each: bool,
    strict: bool,
    by: str,
    now: datetime,
    progress: Progress,
) -> Iterator[LineResult]:
    """The result of each line, in order. All or nothing (not `each`): nothing is yielded
    before the whole batch is committed, and the first line that fails raises its error
    (BadInput, or GateFailed for a refusal under `strict`), its line number first."""
    if each:
        yield from _each(ledger, lines, strict=strict, by=by, now=now, progress=progress)
        return
    writes: list[tuple[int, str, Write]] = []
    for item in lines:  # what needs no ledger is found before it is opened
        if isinstance(item, BadLine):
            raise BadInput(f"line {item.line}: {item.error}")
        try:
            writes.append((item.line, item.op, plan(item, by=by, strict=strict, now=now)))
        except (BadInput, GateFailed) as error:
            raise _on_line(error, item.line, item.op) from None
    raced: list[str] = []

    def apply_all(conn: Connection | None) -> list[LineResult]:
        from marrycli.storage import repo

        results = []
        # Later lines read what earlier ones wrote (a keep of ref:KEY after its add, the
        # same customer again): the transaction remembers it rather than asking again.
        with repo.remember_writes(conn) if conn is not None else nullcontext():
            for done, (line, op, write) in enumerate(writes, start=1):
                try:
                    recorded = write.apply(conn)
                except RefRace:
                    raced.append(f"line {line}: {op}: --ref {write.ref}")
                    raise
                except (BadInput, GateFailed) as error:
                    raise _on_line(error, line, op) from None
                results.append(LineResult(line, recorded))
                progress(1, done)
        return results

    create = any(write.create for _, _, write in writes)
    try:
        results = write_transaction(ledger, apply_all, ref=None, create=create)
    except BadInput:
        if raced:  # another writer kept taking a ref of this batch first
            raise BadInput(f"{raced[-1]} is being written by another process; try again") from None
        raise
    yield from results


def _each(
    ledger: Ledger,
    lines: Sequence[Operation | BadLine],
    *,
    strict: bool,
    by: str,
    now: datetime,
    progress: Progress,
) -> Iterator[LineResult]:
    """Each line in a transaction of its own; a line that fails is its result."""
    for done, item in enumerate(lines, start=1):
        if isinstance(item, BadLine):
            yield LineResult(item.line, error=item.error)
        else:
            try:
                recorded: Recorded = run_write(ledger, plan(item, by=by, strict=strict, now=now))
            except (BadInput, GateFailed) as error:
                yield LineResult(
                    item.line,
                    error=f"{item.op}: {error.message}",
                    refused=isinstance(error, GateFailed),
                )
            else:
                yield LineResult(item.line, recorded)
        progress(1, done)


def _on_line(error: BadInput | GateFailed, line: int, op: str) -> MarryError:
    """`error`, of the same kind, its message naming the line and its op."""
    return type(error)(f"line {line}: {op}: {error.message}")
