"""Entry point of `marry` and `python -m marrycli`.

`marry --version` is answered here, before Typer (or anything else) is imported:
scripts call it in loops. Two things are set up first of all, before any heavy import:
Ctrl-C exits 130 quietly (no traceback from the middle of an import), and a standard
stream that was closed (`marry ... >&-`) is opened on /dev/null, so that output nobody
can read is dropped instead of failing a command that has done its work (and so that no
file the command opens can become its fd 1 or 2).
"""

from __future__ import annotations

# The C module under `signal`: `signal` itself builds its enums when imported (enum, types),
# a few milliseconds in which a Ctrl-C would show a traceback through this file.
import _signal  # type: ignore[import-not-found]  # no stub: typeshed has only `signal`
import os
import sys

# ExitStatus.INTERRUPTED, written out: the handler is installed before anything of marry's is
# imported, so that a Ctrl-C in the middle of an import exits quietly (a test checks they agree).
_INTERRUPTED = 130


def main() -> None:
    """Run the `marry` command."""
    _signal.signal(_signal.SIGINT, _interrupted)
    # A Ctrl-C held back by a parent that blocks it is taken now, by the handler above.
    _signal.pthread_sigmask(_signal.SIG_UNBLOCK, {_signal.SIGINT})
    _open_closed_streams()
    args = sys.argv[1:]
    if _asks_version(args):
        from marrycli import __version__

        sys.stdout.write(f"marry {__version__}\n")
        return
    # Pydantic looks for plugins (to instrument validation) by reading the metadata of every
    # installed distribution, the first time a model is built; marry validates nothing with
    # Pydantic models (its tables are SQLModel's), so it skips the search, unless told otherwise.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from marrycli.cli.app import run

    run()


def _interrupted(_signum: int, _frame: object) -> None:
    """Ctrl-C while starting up: nothing is open or written yet, so just stop."""
    os._exit(_INTERRUPTED)


def _open_closed_streams() -> None:
    """Put /dev/null on each of fds 0, 1 and 2 that is closed, and give Python a stream on it."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        try:
            devnull = os.open(os.devnull, os.O_RDONLY if mode == "r" else os.O_WRONLY)
            if devnull != fd:
                os.dup2(devnull, fd)
                os.close(devnull)
            if getattr(sys, name) is None:
                # Lives as long as the process, as the stream it stands in for would have.
                stream = open(fd, mode, encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
                setattr(sys, name, stream)
        except OSError:
            continue


def _asks_version(args: list[str]) -> bool:
    """True if `--version` comes among the global options, before any command."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--version":
            return True
        if arg == "--db":
            i += 2
            continue
        if arg.startswith("--db=") or arg in ("--debug", "--quiet", "-q"):
            i += 1
            continue
        return False
    return False


if __name__ == "__main__":
    main()
