"""The staged import file: a SQLite ledger built beside its final place, linked in once complete.

An import into a SQLite ledger that does not exist yet writes a hidden `.NAME.import-PID`
beside it and links it into place (`os.link`, which never replaces a file) only once the
import succeeded, so a rejected or interrupted import creates no ledger. The staging file
and its journals (-wal, -shm, -journal) are removed afterwards; those that an import
killed outright left behind are removed by the next import into the same ledger.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from marrycli.errors import LedgerUnusable
from marrycli.storage.ledger import Ledger
from marrycli.storage.location import Location

_SUFFIXES = ("", "-wal", "-shm", "-journal")  # a SQLite file and its journals


@dataclass(frozen=True, slots=True)
class StagedLedger:
    """A new ledger being built in a staging file, for `target` once complete."""

    ledger: Ledger
    path: Path
    target: Path

    def link_into_place(self) -> bool:
        """Put the complete ledger at `target`; False if another writer created one meanwhile."""
        self.ledger.close()
        try:
            os.link(self.path, self.target)
        except FileExistsError:
            return False
        except OSError as error:
            message = f"cannot create the ledger {self.target}: {error.strerror}"
            raise LedgerUnusable(message) from None
        return True


@contextmanager
def staged_ledger(target: Path, lock_timeout: float) -> Iterator[StagedLedger]:
    """A staging ledger of this process for `target`; its files are removed on the way out."""
    path = _staging_name(target, os.getpid())
    _remove(path)  # a dead process's, whose number this process now has
    staged = StagedLedger(
        ledger=Ledger(Location("sqlite", path=path), lock_timeout), path=path, target=target
    )
    try:
        yield staged
    finally:
        staged.ledger.close()
        _remove(path)


def remove_stale(target: Path) -> None:
    """Remove the staging files of imports into `target` whose process is gone (SIGKILL)."""
    prefix = f".{target.name}.import-"
    try:
        names = [entry.name for entry in os.scandir(target.parent) if entry.name.startswith(prefix)]
    except OSError:
        return  # no folder yet, or not readable: creating the ledger will say so
    for name in names:
        number = name[len(prefix) :]
        for suffix in _SUFFIXES[1:]:
            number = number.removesuffix(suffix)
        if number.isascii() and number.isdigit() and not _alive(int(number)):
            _remove(_staging_name(target, int(number)))


def _staging_name(target: Path, pid: int) -> Path:
    return target.with_name(f".{target.name}.import-{pid}")


def _remove(staging: Path) -> None:
    for suffix in _SUFFIXES:
        with suppress(OSError):  # not ours to remove after all: harmless, it is hidden
            Path(f"{staging}{suffix}").unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """True unless `pid` is surely gone (this process, or another one's: alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process (or not a process number): leave its files
    return True
