"""A progress bar on stderr for the long commands (export to a file, import): on a
terminal only, not under --quiet, and gone once done (`transient`); a script sees nothing.

`LineCounter` turns the lines written to an output stream into progress.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from marrycli import settings
from marrycli.render.output import console


@contextmanager
def progress_bar(what: str, total: int, unit: str) -> Iterator[Callable[[int, int], None]]:
    """On a terminal (stderr), unless quiet, a bar: `what`, the share of `total` done, how
    many `unit` so far, their rate and the time left; nothing in a script.

    The callback takes the `unit`s just done and how much of `total` is done (for an
    import: promises written and bytes of the file read).
    """
    if not sys.stderr.isatty() or settings.current().quiet().value:
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
    # Rich prints what is written to stdout meanwhile above the bar, on the bar's console
    # (stderr): right on a terminal, but data piped to a file must stay on stdout.
    redirect = sys.stdout.isatty()
    with Progress(
        *columns, console=console(stderr=True), transient=True, redirect_stdout=redirect
    ) as bar:
        task = bar.add_task(what, total=total or None, count=0, rate="")

        def advance(done: int, completed: int) -> None:
            nonlocal count
            count += done
            elapsed = time.monotonic() - started
            rate = f"{count / elapsed:,.0f} {unit}/s" if elapsed > 0 else ""
            bar.update(task, completed=completed, count=count, rate=rate)

        yield advance


class LineCounter:
    """A text stream that reports the lines written through it (every 1000, and at the end)."""

    def __init__(self, out: TextIO, advance: Callable[[int, int], None]) -> None:
        self.out = out
        self.advance = advance
        self.lines = self.reported = 0

    def write(self, text: str) -> int:
        """Write `text` through, counting its lines."""
        written = self.out.write(text)
        self.lines += text.count("\n")
        if self.lines - self.reported >= 1000:
            self.flush_count()
        return written

    def flush_count(self) -> None:
        """Report the lines written since the last report."""
        self.advance(self.lines - self.reported, self.lines)
        self.reported = self.lines

    def __getattr__(self, name: str) -> Any:
        return getattr(self.out, name)
