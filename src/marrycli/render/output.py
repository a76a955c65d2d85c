"""Where rendered output goes: the two Rich consoles (stdout for data, stderr for
messages), plain text to stdout, and one-line notices (silenced by --quiet) and errors
(never silenced) to stderr.

Tables are printed without trailing spaces; a console at least MIN_WIDTH wide; a broken
pipe is raised to the one error handler in `cli.app` instead of Rich's exit 1.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from marrycli import settings
from marrycli.errors import MarryError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.segment import Segment


MIN_WIDTH = 40  # narrower (COLUMNS=0, a split pane) is laid out for this; the terminal wraps

_consoles: dict[bool, Console] = {}  # by stderr: False for data, True for messages
_data: list[IO[str]] = []  # where data goes instead of stdout (an --output file), innermost last


def console(stderr: bool = False) -> Console:
    """The Rich console for stdout (data) or stderr (messages), at least MIN_WIDTH wide."""
    if stderr not in _consoles:
        from rich.console import Console

        class _Console(Console):
            def on_broken_pipe(self) -> None:
                # Rich would exit 1 (our "a gate said no"); let the one handler end quietly.
                raise BrokenPipeError

        stream = sys.stderr if stderr else _data_stream()
        made = _Console(file=stream, highlight=False, emoji=False, markup=False, soft_wrap=False)
        if made.width < MIN_WIDTH:
            made.width = MIN_WIDTH
        _consoles[stderr] = made
    return _consoles[stderr]


def _data_stream() -> IO[str]:
    return _data[-1] if _data else sys.stdout


@contextmanager
def writing_to(file: IO[str] | None) -> Iterator[None]:
    """Within: data goes to `file` (None: stdout, as before); messages stay on stderr."""
    if file is None:
        yield
        return
    saved = _consoles.pop(False, None)
    _data.append(file)
    try:
        yield
    finally:
        _data.pop()
        _consoles.pop(False, None)
        if saved is not None:
            _consoles[False] = saved


def reset_consoles() -> None:
    """Forget the consoles (their streams change between in-process test runs)."""
    _consoles.clear()


def emit_renderables(*renderables: Any) -> None:
    """Print tables (or other Rich renderables) to stdout, no line ending in spaces."""
    from rich.segment import Segment, Segments

    out = console()
    for i, renderable in enumerate(renderables):
        if i:
            out.print()
        lines = out.render_lines(renderable, pad=False)
        out.print(Segments(s for line in lines for s in (*_rstrip(line), Segment.line())))


def _rstrip(line: list[Segment]) -> list[Segment]:
    """A rendered line without its trailing spaces (a table pads every cell to its width)."""
    from rich.segment import Segment

    line = list(line)
    while line and not line[-1].control and not line[-1].text.strip():
        line.pop()
    if line and not line[-1].control:
        last = line[-1]
        line[-1] = Segment(last.text.rstrip(), last.style)
    return line


def emit_text(text: str) -> None:
    """Print JSON or CSV to stdout, as is (flushed: a failure shows here, not at exit)."""
    out = _data_stream()
    out.write(text if text.endswith("\n") else text + "\n")
    out.flush()


def emit_pieces(pieces: Iterable[str]) -> None:
    """Print text that comes in pieces (a page as it is drawn) to stdout, then flush."""
    out = _data_stream()
    for piece in pieces:
        out.write(piece)
    out.flush()


def notice(message: str) -> None:
    """A notice or warning on stderr (one line); nothing under --quiet."""
    try:
        quiet = settings.current().quiet().value
    except MarryError:  # a bad config file: the command reports it before it runs
        quiet = False
    if not quiet:
        error(message)


def error(message: str) -> None:
    """A line on stderr that --quiet does not silence: an error, or a gate's answer.

    Its control and format characters are made visible. A line that cannot be written
    (stderr closed or full) is dropped: there is nowhere else to say it, and it must not
    turn a finished command into a failure.
    """
    if not message.isprintable():
        from marrycli.render.safety import visible

        message = visible(message)
    try:
        sys.stderr.write(f"marry: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # ValueError: the stream is closed
        pass
