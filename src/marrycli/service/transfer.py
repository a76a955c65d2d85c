"""TODO docstring."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from marrycli.dates import format_utc, to_micros
from marrycli.domain import ImportCounts, Promise
from marrycli.errors import BadInput, LedgerUnusable
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
    if not ledger.is_sqlite:
        if not ledger.exists():
            counts = _import(ledger, path, csv_format, now, lambda done, read: None, dry_run=True)
            if not counts.anything:
                return counts
        return _import(ledger, path, csv_format, now, progress)
    target = ledger.location.path
    assert target is not None
    _remove_stale_staging(target)
    if ledger.exists():
        return _import(ledger, path, csv_format, now, progress)
    from marrycli.storage.ledger import Ledger as LedgerClass
    from marrycli.storage.location import Location

    staging_path = _staging_name(target, os.getpid())
    _remove_staging(staging_path)  # a dead process's, whose number this process now has
    staging = LedgerClass(Location("sqlite", path=staging_path), ledger.lock_timeout)
    try:
        counts = _import(staging, path, csv_format, now, progress)
        staging.close()
        if not counts.anything:
            return ImportCounts()
        try:
            os.link(staging_path, target)
            return counts
        except FileExistsError:
            pass  # another writer created the ledger meanwhile: import into it
        except OSError as error:
            message = f"cannot create the ledger {target}: {error.strerror}"
            raise LedgerUnusable(message) from None
    finally:
        staging.close()
        _remove_staging(staging_path)
    return _import(ledger, path, csv_format, now, progress)


_STAGING_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _staging_name(target: Path, pid: int) -> Path:
    return target.with_name(f".{target.name}.import-{pid}")


def _remove_staging(staging: Path) -> None:
    from contextlib import suppress

    for suffix in _STAGING_SUFFIXES:
        with suppress(OSError):  # not ours to remove after all: harmless, it is hidden
            Path(f"{staging}{suffix}").unlink(missing_ok=True)


def _remove_stale_staging(target: Path) -> None:
    """Remove the staging files of imports into `target` whose process is gone (SIGKILL)."""
    prefix = f".{target.name}.import-"
    try:
        names = [entry.name for entry in os.scandir(target.parent) if entry.name.startswith(prefix)]
    except OSError:
        return  # no folder yet, or not readable: creating the ledger will say so
    for name in names:
        number = name[len(prefix) :]
        for suffix in _STAGING_SUFFIXES[1:]:
            number = number.removesuffix(suffix)
        if number.isascii() and number.isdigit() and not _alive(int(number)):
            _remove_staging(_staging_name(target, int(number)))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process (or not a process number): leave its files
    return True


def _import(
    ledger: Ledger,
    path: Path,
    csv_format: bool,
    now: datetime,
    progress: Callable[[int, int], None],
    dry_run: bool = False,
) -> ImportCounts:
    """Read and check the file, and (unless `dry_run`) write it in one transaction."""
    from marrycli.storage.transfer import Importer

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
            # progress(promises written, bytes of the file read so far)
            advance = lambda done: progress(done, bytes_read())  # noqa: E731
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
