"""`marry export` and `marry import`: move a ledger in and out."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer

from marrycli.cli.common import ledger, notice, now
from marrycli.errors import BadInput


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
        "--output", output, lambda out: _export(ctx, fmt, out), protected=[path] if path else []
    )
    notice(f"exported {count} record(s) to {output}")


def _export(ctx: typer.Context, fmt: ExportFormat, out: TextIO) -> int:
    from marrycli import render, service

    clock = now()
    if fmt is ExportFormat.JSONL:
        return service.export_jsonl(ledger(ctx), out, clock)
    promises = service.export_promises(ledger(ctx))
    out.write(render.promises_csv(promises, clock))
    return len(promises)


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
    from marrycli import service

    if not file.is_file():
        raise BadInput(f"{file} is not a file to import")
    if fmt is None:
        fmt = ExportFormat.CSV if file.suffix.lower() == ".csv" else ExportFormat.JSONL
    with _progress(file) as advance:
        counts = service.import_file(
            ledger(ctx), file, csv_format=fmt is ExportFormat.CSV, now=now(), progress=advance
        )
    notice(
        f"imported {counts.promises} promise(s) with {counts.events} event(s) "
        f"and {counts.customers} new customer(s); {counts.skipped} already there"
    )


@contextmanager
def _progress(file: Path) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on a terminal (stderr); nothing in a script."""
    if not sys.stderr.isatty():
        yield lambda done: None
        return
    from rich.progress import Progress

    from marrycli.cli.common import console

    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"importing {file.name}", total=None)
        yield lambda done: bar.advance(task, done)
