"""`marry export` and `marry import`: move a ledger in and out."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO, cast

import typer

from marrycli.cli.common import ledger, now
from marrycli.cli.output_file import OutputOption
from marrycli.errors import BadInput
from marrycli.render.output import notice


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


def export(
    ctx: typer.Context,
    output: OutputOption = None,
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
    from marrycli.cli.output_file import ledger_files, write_output_file

    count = write_output_file(
        "--output",
        output,
        lambda out: _export(ctx, fmt, cast(TextIO, out), progress_as=output.name),
        protected=ledger_files(ctx),  # a SQLite ledger's file: never an output
    )
    notice(f"exported {count} record(s) to {output}")


def _export(
    ctx: typer.Context, fmt: ExportFormat, out: TextIO, progress_as: str | None = None
) -> int:
    """Write the export to `out`; with `progress_as` (a file's name), a bar on a terminal."""
    from marrycli.render.documents import promises_csv
    from marrycli.render.progress import LineCounter, progress_bar
    from marrycli.service.ledgers import ledger_info
    from marrycli.service.transfer import export_jsonl, export_promises

    if progress_as is not None and sys.stderr.isatty():
        info = ledger_info(ledger(ctx))
        # A line a record: JSONL's customers, promises and events (and renames), CSV's promises.
        records = info.promises if fmt is ExportFormat.CSV else info.customers + info.promises
        records += 0 if fmt is ExportFormat.CSV else info.events
        with progress_bar(f"exporting {progress_as}", records + 1, "records") as advance:
            counter = LineCounter(out, advance)
            count = _export(ctx, fmt, cast(TextIO, counter))
            counter.flush_count()
            return count
    clock = now()
    if fmt is ExportFormat.JSONL:
        return export_jsonl(ledger(ctx), out, clock)
    promises = export_promises(ledger(ctx))
    out.write(promises_csv(promises, clock))
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
    from marrycli.render.progress import progress_bar
    from marrycli.service.transfer import import_file

    if not file.is_file():
        raise BadInput(f"{file} is not a file to import")
    if fmt is None:
        fmt = ExportFormat.CSV if file.suffix.lower() == ".csv" else ExportFormat.JSONL
    with progress_bar(f"importing {file.name}", file.stat().st_size, "promises") as advance:
        counts = import_file(
            ledger(ctx), file, csv_format=fmt is ExportFormat.CSV, now=now(), progress=advance
        )
    notice(
        f"imported {counts.promises} promise(s) with {counts.events} event(s) "
        f"and {counts.customers} new customer(s); {counts.skipped} already there"
    )
