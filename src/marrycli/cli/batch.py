"""`marry batch`: many writes from JSON lines in one process (SPEC §10)."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from marrycli import rules, settings
from marrycli.cli.common import ledger, now
from marrycli.domain import LineResult
from marrycli.errors import BadInput, GateFailed
from marrycli.render.output import emit_pieces, error, notice

LONG = 200  # lines from which a terminal shows a progress bar
OUT_BLOCK = 1000  # results written (and flushed) at once


def batch(
    ctx: typer.Context,
    file: Annotated[
        str | None,
        typer.Argument(
            metavar="FILE",
            help="JSON lines of writes (default, or -: standard input).",
            show_default=False,
        ),
    ] = None,
    each: Annotated[
        bool,
        typer.Option(
            "--each",
            help="Commit line by line and go on after a bad line (exit 2 at the end); "
            "default: all lines or none.",
        ),
    ] = False,
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--no-strict",
            help="Weigh each add as `promise add --strict` does, refusing a risky one or a "
            "new customer that looks like a typo (default: MARRY_STRICT, the config file's "
            "strict, else not weighed).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Record many writes, one JSON object a line: add, keep, break, renegotiate,
    cancel, undo, amend.

    Each line has "op" and the long options of its command as fields, such as
    "text", "customer", "due", "id" (a number or "ref:KEY"), "at", "note", "ref";
    "tags", "tag" and "untag" take lists. All lines are checked and applied in one
    transaction: a bad line stops the batch, names its line number, and nothing is
    written. With --each, each line is committed on its own. Out comes one JSON
    line per line: the promise, or (under --each) its "line" and "error". Refs
    make a retried batch record nothing new.

    \b
    Examples:
      marry batch writes.jsonl
      marry batch --each --strict < writes.jsonl > results.jsonl
    """
    from marrycli.formats.batch import read_batch
    from marrycli.render.documents import batch_lines
    from marrycli.render.progress import progress_bar
    from marrycli.service.batch import run_batch
    from marrycli.service.collector import collector_paused

    clock = now()
    # Every line, its planned write and its result are kept to the end: no cycle among them.
    with collector_paused():
        with _input(file) as raw:
            lines = list(read_batch(raw, clock))
        strict = settings.current().strict().value if strict is None else strict
        results: list[LineResult] = []
        what = "batch" if len(lines) >= LONG else None
        pending: list[str] = []
        with progress_bar(what or "", len(lines), "lines") as advance:
            for result in run_batch(
                ledger(ctx),
                lines,
                each=each,
                strict=strict,
                by=rules.default_owner(),
                now=clock,
                progress=advance if what else _no_progress,
            ):
                results.append(result)
                _say(result)
                pending.append(batch_lines([result], clock))
                # Under --each a result is out as soon as its line is committed; all or
                # nothing, the results come at once after the commit: out in blocks.
                if each or len(pending) == OUT_BLOCK:
                    emit_pieces(pending)
                    pending.clear()
        emit_pieces(pending)
    _summary(results, len(lines))


def _no_progress(_done: int, _total: int) -> None:
    """A short batch shows no bar."""


@contextmanager
def _input(file: str | None) -> Iterator[BinaryIO]:
    """The batch's bytes: the file, or standard input (none given, or -)."""
    if file is None or file == "-":
        if sys.stdin.isatty():
            raise BadInput("give a FILE of JSON lines, or pipe them in: marry batch < FILE")
        yield sys.stdin.buffer
        return
    try:
        handle = Path(file).open("rb")  # noqa: SIM115 (its errors are told apart from the with's)
    except OSError as problem:
        raise BadInput(f"cannot read {file}: {problem.strerror or problem}") from None
    with handle:
        yield handle


def _say(result: LineResult) -> None:
    """A line's error, or what its command would have said on stderr, naming the line."""
    if result.error is not None:
        error(f"error: line {result.line}: {result.error}")
        return
    recorded = result.recorded
    assert recorded is not None
    for said in (recorded.new_customer, recorded.warning):
        if said:
            notice(f"line {result.line}: warning: {said}")
    if recorded.note:
        notice(f"line {result.line}: note: {recorded.note}")


def _summary(results: list[LineResult], lines: int) -> None:
    """What the batch did, on stderr; under --each, the exit status of its failures."""
    failed = [r for r in results if r.error is not None]
    repeats = sum(1 for r in results if r.recorded is not None and r.recorded.notice)
    written = len(results) - len(failed) - repeats
    said = f"batch: {written} line(s) written"
    if repeats:
        said += f", {repeats} already recorded (nothing added)"
    if not failed:
        notice(said)
        return
    numbers = ", ".join(str(r.line) for r in failed[:10]) + (", ..." if len(failed) > 10 else "")
    message = f"{said}; {len(failed)} of {lines} failed (line {numbers})"
    if all(r.refused for r in failed):
        raise GateFailed(message)
    raise BadInput(message)
