"""Writing an `--output FILE` safely: complete or not at all, and never over the wrong thing
(the option, and `emit_to`: a view rendered into such a file, for the reports).

Only a regular file (or a new one) is written, through a temporary file in the same folder
renamed into place once complete. Refused, before any work, with exit 2: the ledger's own
file and its `-wal`/`-shm`/`-journal`, anything that is not a regular file (a folder, a
device such as /dev/full, a FIFO, a socket) and a symbolic link (the rename would replace
the link, not write where it points). To write to a device or a pipe, redirect stdout.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Annotated, TypeVar

import typer

from marrycli.errors import BadInput
from marrycli.render import Format, emit
from marrycli.render.output import notice

T = TypeVar("T")

_LEDGER_SUFFIXES = ("", "-wal", "-shm", "-journal")
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)


OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write here (complete or not at all) instead of stdout; "
        "only a regular file, never the ledger.",
    ),
]


def ledger_files(ctx: typer.Context) -> list[Path]:
    """The files of the ledger the command uses (a SQLite file), which no output may be."""
    from marrycli.cli.common import ledger

    path = ledger(ctx).location.path
    return [path] if path else []


def emit_to(ctx: typer.Context, view: object, fmt: Format, output: Path | None) -> None:
    """`render.emit` to stdout, or to the file `output` (complete or not at all)."""
    if output is None:
        emit(view, fmt)
        return
    write_output_file("--output", output, lambda out: emit(view, fmt, out), ledger_files(ctx))
    notice(f"wrote {output}")


def check_output_path(option: str, path: Path, protected: Iterable[Path] = ()) -> None:
    """Refuse (BadInput) an output path that must not be written: see the module's doc.

    `protected` are SQLite ledger files; each one's journals are protected with it.
    """
    shown = _shown(path)
    for ledger in protected:
        if _same_file(path, ledger):
            raise BadInput(
                f"{option} {shown} is the ledger itself (or one of its journal files); "
                "writing there would destroy it: give another file"
            )
    try:
        found = path.lstat()
    except FileNotFoundError:
        found = None
    except OSError as error:
        raise BadInput(f"{option}: cannot use {shown}: {error.strerror}") from None
    if found is not None and not stat.S_ISREG(found.st_mode):
        kind = next((name for test, name in _KINDS if test(found.st_mode)), "not a regular file")
        advice = (
            "give the file it points to, or another name"
            if stat.S_ISLNK(found.st_mode)
            else "give a file name; to write to a device or pipe, leave out --output and "
            "redirect standard output"
        )
        raise BadInput(f"{option} {shown} is {kind}; marry writes only regular files: {advice}")
    folder = path.absolute().parent
    if not folder.is_dir():
        raise BadInput(f"{option}: the folder {_shown(folder)} does not exist")


def write_output_file(
    option: str, path: Path, write: Callable[[IO[str]], T], protected: Iterable[Path] = ()
) -> T:
    """Write `path` through `write(handle)`, complete or not at all; returns what `write` did.

    Checked first with `check_output_path`. An existing file keeps its permissions; a new
    one gets the usual ones (0666 less the umask). A failure to write (a full disk, a
    folder without write permission) is BadInput naming the file, and leaves it as it was.
    """
    protected = list(protected)
    check_output_path(option, path, protected)
    folder = path.absolute().parent
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (renamed into place below)
            "w", encoding="utf-8", newline="", dir=folder, prefix=f".{path.name}.", delete=False
        )
    except OSError as error:
        raise BadInput(
            f"{option}: cannot write a file in {_shown(folder)}: {error.strerror}"
        ) from None
    temporary = Path(handle.name)
    try:
        try:
            with handle:
                result = write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, _mode_for(path))
            check_output_path(option, path, protected)  # nothing slipped in meanwhile
            os.replace(temporary, path)
        except OSError as error:
            raise BadInput(
                f"{option}: cannot write {_shown(path)}: {error.strerror or error}; "
                "it is left unchanged"
            ) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return result


def _same_file(path: Path, ledger: Path) -> bool:
    """True if `path` is the ledger or one of its journals (by name, link or inode)."""
    target = os.path.realpath(path)
    for base in (str(ledger), os.path.realpath(ledger)):
        for suffix in _LEDGER_SUFFIXES:
            journal = base + suffix
            if target == os.path.realpath(journal):
                return True
            try:
                if os.path.samefile(path, journal):
                    return True
            except OSError:
                pass  # one of them does not exist
    return False


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _shown(path: Path) -> str:
    text = str(path)
    return repr(text if len(text) <= 80 else text[:80] + "…")
