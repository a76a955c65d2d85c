"""`marry export` and `marry import`: move a ledger in and out."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO, cast

import typer

from marrycli.cli.common import ledger, now
from marrycli.errors import BadInput
from marrycli.render import output
from marrycli.render.output import notice


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


def export(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write here (complete or not at all) instead of stdout; "
            "only a regular file, never the ledger.",
        ),
    ] = None,
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            case_sensitive=False,
            help="jsonl: lossless, for `marry import`; csv: one row per promise.",
        ),
    ] = ExportFormat.JSONL,
) -> None:
    """Export the whole ledger: JSONL (lossless) or CSV (one row per promise).

    \b
    Examples:
      marry export --output ledger.jsonl
      marry export --format csv > promises.csv
    """
    if output is None:
        _export(ctx, fmt, sys.stdout)
        return
    from marrycli.cli.output_file import write_output_file

    path = ledger(ctx).location.path  # a SQLite ledger's file: never an output
    count = write_output_file(
        "--output",
        output,
        lambda out: _export(ctx, fmt, cast(TextIO, out), progress_as=output.name),
        protected=[path] if path else [],
    )
    notice(f"exported {count} record(s) to {output}")


def _export(
    ctx: typer.Context, fmt: ExportFormat, out: TextIO, progress_as: str | None = None
) -> int:
    """Write the export to `out`; with `progress_as` (a file's name), a bar on a terminal."""
    from marrycli.render.documents import promises_csv
    from marrycli.service.ledgers import ledger_info
    from marrycli.service.transfer import export_jsonl, export_promises

    if progress_as is not None and sys.stderr.isatty():
        info = ledger_info(ledger(ctx))
        # A line a record: JSONL's customers, promises and events (and renames), CSV's promises.
        records = info.promises if fmt is ExportFormat.CSV else info.customers + info.promises
        records += 0 if fmt is ExportFormat.CSV else info.events
        with _progress(f"exporting {progress_as}", records + 1, "records") as advance:
            counter = _LineCounter(out, advance)
            count = _export(ctx, fmt, cast(TextIO, counter))
            counter.flush_count()
            return count
    clock = now()
    if fmt is ExportFormat.JSONL:
        return export_jsonl(ledger(ctx), out, clock)
    promises = export_promises(ledger(ctx))
    out.write(promises_csv(promises, clock))
    return len(promises)


class _LineCounter:
    """A text stream that reports the lines written through it (every 1000, and at the end)."""

    def __init__(self, out: TextIO, advance: Callable[[int, int], None]) -> None:
        self.out = out
        self.advance = advance
        self.lines = self.reported = 0

    def write(self, text: str) -> int:
        written = self.out.write(text)
        self.lines += text.count("\n")
        if self.lines - self.reported >= 1000:
            self.flush_count()
        return written

    def flush_count(self) -> None:
        self.advance(self.lines - self.reported, self.lines)
        self.reported = self.lines

    def __getattr__(self, name: str) -> Any:
        return getattr(self.out, name)


def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A `marry export` JSONL file, or a CSV with the columns "
            "customer,text,made,due,size,value,owner,status,resolved.",
            show_default=False,
        ),
    ],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            case_sensitive=False,
            help="jsonl or csv (default: from the file name, .csv or else jsonl).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Import promises: all or nothing, in one transaction; a second import adds nothing.

    Imported promises get new numbers; their refs, times, notes and owners are kept.

    \b
    Examples:
      marry import ledger.jsonl
      marry --db postgresql+psycopg://marry@db/marry import ledger.jsonl
      marry import promises.csv
    """
    from marrycli.service.transfer import import_file

    if not file.is_file():
        raise BadInput(f"{file} is not a file to import")
    if fmt is None:
        fmt = ExportFormat.CSV if file.suffix.lower() == ".csv" else ExportFormat.JSONL
    with _progress(f"importing {file.name}", file.stat().st_size, "promises") as advance:
        counts = import_file(
            ledger(ctx), file, csv_format=fmt is ExportFormat.CSV, now=now(), progress=advance
        )
    notice(
        f"imported {counts.promises} promise(s) with {counts.events} event(s) "
        f"and {counts.customers} new customer(s); {counts.skipped} already there"
    )


@contextmanager
def _progress(what: str, total: int, unit: str) -> Iterator[Callable[[int, int], None]]:
    """On a terminal (stderr), a bar: `what`, the share of `total` done, how many `unit`
    so far, their rate and the time left; nothing in a script.

    The callback takes the `unit`s just done and how much of `total` is done (for an
    import: promises written and bytes of the file read).
    """
    if not sys.stderr.isatty():
        yield lambda _done, _completed: None
        return
    import time

    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(bar_width=24),
        TaskProgressColumn(),
        TextColumn("{task.fields[count]:,} " + unit),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    started = time.monotonic()
    count = 0
    with Progress(*columns, console=output.console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=total or None, count=0, rate="")

        def advance(done: int, completed: int) -> None:
            nonlocal count
            count += done
            elapsed = time.monotonic() - started
            rate = f"{count / elapsed:,.0f} {unit}/s" if elapsed > 0 else ""
            bar.update(task, completed=completed, count=count, rate=rate)

        yield advance
