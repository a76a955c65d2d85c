"""What every command shares: the ledger from the global options, WHEN parsing, output.

Data goes to stdout (tables, JSON, CSV); notices and errors go to stderr.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from marrycli.errors import BadInput

if TYPE_CHECKING:
    from rich.console import Console
    from rich.segment import Segment

    from marrycli.dates import When
    from marrycli.storage.ledger import Ledger


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FormatOption = Annotated[
    Format,
    typer.Option(
        "--format", case_sensitive=False, help="Output: table for people; json or csv for scripts."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Shorthand for --format json.")]
RefOption = Annotated[
    str | None,
    typer.Option(
        "--ref",
        metavar="KEY",
        help="Idempotency key: a retry with the same key records nothing new.",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", metavar="WHEN", help="The ledger as it stood then (a bare day: its end)."
    ),
]
NoteOption = Annotated[
    str | None, typer.Option("--note", metavar="TEXT", help="Why, in a few words.")
]
AtOption = Annotated[
    str | None,
    typer.Option("--at", metavar="WHEN", help="When it happened (default: now)."),
]


def output_format(fmt: Format, json_flag: bool, csv_ok: bool = True) -> Format:
    """The format asked for; --json wins. BadInput if csv makes no sense here."""
    if json_flag:
        return Format.JSON
    if fmt is Format.CSV and not csv_ok:
        raise BadInput("this command's output is not a table; use --format table or json")
    return fmt


def now() -> datetime:
    """The current time, in UTC. The only place the CLI reads the clock."""
    from marrycli.dates import RANGE_WORDS, in_range

    clock = datetime.now(UTC)
    if not in_range(clock):  # a clock this wrong would put times in the ledger no zone shows
        raise BadInput(f"the system clock reads {clock:%Y-%m-%d}; {RANGE_WORDS}: set the clock")
    return clock


def parse_when(option: str, text: str | None, *, end_of_day: bool, at: datetime) -> When | None:
    """Parse a WHEN option; its errors name the option."""
    if text is None:
        return None
    from marrycli.dates import parse_when as parse

    try:
        return parse(text, now=at, end_of_day=end_of_day)
    except BadInput as error:
        raise BadInput(f"{option}: {error.message}") from None


def as_of_moment(text: str | None, clock: datetime) -> datetime:
    """The moment of an --as-of option (a bare day: its end), or now."""
    when = parse_when("--as-of", text, end_of_day=True, at=clock)
    return when.instant if when is not None else clock


def ledger(ctx: typer.Context) -> Ledger:
    """The ledger named by --db, $MARRY_DB or the default; nothing is opened yet."""
    from marrycli.storage.ledger import Ledger
    from marrycli.storage.location import resolve_location

    root = ctx.find_root()
    location = resolve_location(root.params.get("db"))
    return Ledger(location, lock_timeout=lock_timeout())


def lock_timeout() -> float:
    """$MARRY_LOCK_TIMEOUT in seconds (default 30)."""
    raw = os.environ.get("MARRY_LOCK_TIMEOUT", "").strip()
    if not raw:
        return 30.0
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86400:
        raise BadInput(f"MARRY_LOCK_TIMEOUT={raw!r} is not a number of seconds from 0 to 86400")
    return seconds


# -- output ------------------------------------------------------------------------------

_consoles: dict[bool, Console] = {}

MIN_WIDTH = 40  # narrower (COLUMNS=0, a split pane) is laid out for this; the terminal wraps


def console(stderr: bool = False) -> Console:
    """The Rich console for stdout (data) or stderr (messages), at least MIN_WIDTH wide."""
    if stderr not in _consoles:
        from rich.console import Console

        class _Console(Console):
            def on_broken_pipe(self) -> None:
                # Rich would exit 1 (our "a gate said no"); let the one handler end quietly.
                raise BrokenPipeError

        stream = sys.stderr if stderr else sys.stdout
        made = _Console(file=stream, highlight=False, emoji=False, markup=False, soft_wrap=False)
        if made.width < MIN_WIDTH:
            made.width = MIN_WIDTH
        _consoles[stderr] = made
    return _consoles[stderr]


def reset_consoles() -> None:
    """Forget the consoles (their streams change between in-process test runs)."""
    _consoles.clear()


def emit(*renderables: Any) -> None:
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
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def notice(message: str) -> None:
    """A one-line notice on stderr, its control and format characters made visible.

    A notice that cannot be written (stderr closed or full) is dropped: there is nowhere
    else to say it, and it must not turn a finished command into a failure.
    """
    if not message.isprintable():
        from marrycli.render import visible

        message = visible(message)
    try:
        sys.stderr.write(f"marry: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # ValueError: the stream is closed
        pass
