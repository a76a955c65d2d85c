"""Use cases of export and import: the whole ledger as JSONL or CSV out, a file in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from marrycli.dates import format_utc, to_micros
from marrycli.domain import ImportCounts, Promise
from marrycli.errors import BadInput
from marrycli.formats import csv, jsonl
from marrycli.formats.records import ImportCustomer, ImportPromise, decode_lines

if TYPE_CHECKING:
    from marrycli.storage.ledger import Ledger


def export_jsonl(ledger: Ledger, out: TextIO, now: datetime) -> int:
    """Write the whole ledger as JSONL (lossless; control and format characters escaped, so
    that a terminal shows them safely); returns the number of records."""
    from marrycli.storage.ledger import schema_version

    header = {
        "format": jsonl.FORMAT_NAME,
        "version": jsonl.FORMAT_VERSION,
        "exported": format_utc(now),
        "schema_version": schema_version(),
    }
    out.write(jsonl.jsonl_line(header) + "\n")
    count = 0
    with ledger.read() as conn:
        if conn is None:
            return 0
        from marrycli.storage.transfer import export_records

        # closing(): the stream's cursor ends with the connection, also when writing fails.
        with closing(export_records(conn)) as records:
            for record in records:
                out.write(jsonl.jsonl_line(record) + "\n")
                count += 1
    return count


def export_promises(ledger: Ledger) -> list[Promise]:
    """Every promise with its events, for the CSV export."""
    from marrycli.storage import repo

    with ledger.read() as conn:
        return repo.load_promises(conn) if conn is not None else []


def import_file(
    ledger: Ledger,
    path: Path,
    *,
    csv_format: bool,
    now: datetime,
    progress: Callable[[int, int], None],
) -> ImportCounts:
    """Import an export (JSONL) or a CSV of promises: all or nothing, in one transaction.

    Into a SQLite ledger that does not exist yet, the import is built in a staging file
    beside it and linked into place only once complete, so a rejected import creates
    nothing; staging files that dead imports left behind are removed first. Into a
    PostgreSQL ledger that does not exist yet, the file is checked whole before the ledger
    is created. A file with nothing to import creates no ledger.
    """
    from marrycli.storage import staging

    if not ledger.is_sqlite:
        if not ledger.exists():
            counts = _import(ledger, path, csv_format, now, _no_progress, dry_run=True)
            if not counts.anything:
                return counts
        return _import(ledger, path, csv_format, now, progress)
    target = ledger.location.path
    assert target is not None
    staging.remove_stale(target)
    if ledger.exists():
        return _import(ledger, path, csv_format, now, progress)
    with staging.staged_ledger(target, ledger.lock_timeout) as staged:
        counts = _import(staged.ledger, path, csv_format, now, progress)
        if not counts.anything:
            return ImportCounts()
        if staged.link_into_place():
            return counts
    # Another writer created the ledger meanwhile: import into it.
    return _import(ledger, path, csv_format, now, progress)


def _no_progress(_promises: int, _bytes_read: int) -> None:
    """The progress callback of a check that reports none."""


def _import(
    ledger: Ledger,
    path: Path,
    csv_format: bool,
    now: datetime,
    progress: Callable[[int, int], None],
    dry_run: bool = False,
) -> ImportCounts:
    """Read and check the file, and (unless `dry_run`) write it in one transaction."""
    from marrycli.storage.importer import Importer

    with _open_lines(path) as (lines, bytes_read):
        read = csv.read_csv if csv_format else jsonl.read_jsonl
        records = read(lines, now)
        if dry_run:
            counts = ImportCounts()
            for record in records:
                counts.promises += isinstance(record, ImportPromise)
                counts.customers += isinstance(record, ImportCustomer)
            return counts
        with ledger.write() as conn:
            assert conn is not None

            def advance(written: int) -> None:
                progress(written, bytes_read())  # (promises written, bytes of the file read)

            return Importer(conn, to_micros(now), advance).add(records)


@contextmanager
def _open_lines(path: Path) -> Iterator[tuple[Iterator[str], Callable[[], int]]]:
    """A file to import, as lines of text (UTF-8), and how many bytes of it were read."""
    try:
        handle = path.open("rb")
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None
    try:
        with handle:
            yield decode_lines(handle), handle.tell
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None
