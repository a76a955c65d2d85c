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
NoteOption = Annotated[str | None, typer.Option("--note", help="Why, in a few words.")]
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
    return datetime.now(UTC)


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


def console(stderr: bool = False) -> Console:
    """The Rich console for stdout (data) or stderr (messages)."""
    if stderr not in _consoles:
        from rich.console import Console

        class _Console(Console):
            def on_broken_pipe(self) -> None:
                # Rich would exit 1 (our "a gate said no"); let the one handler end quietly.
                raise BrokenPipeError

        stream = sys.stderr if stderr else sys.stdout
        _consoles[stderr] = _Console(
            file=stream, highlight=False, emoji=False, markup=False, soft_wrap=False
        )
    return _consoles[stderr]


def reset_consoles() -> None:
    """Forget the consoles (their streams change between in-process test runs)."""
    _consoles.clear()


def emit(*renderables: Any) -> None:
    """Print tables (or other Rich renderables) to stdout."""
    out = console()
    for i, renderable in enumerate(renderables):
        if i:
            out.print()
        out.print(renderable)


def emit_text(text: str) -> None:
    """Print JSON or CSV to stdout, as is."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def notice(message: str) -> None:
    """A one-line notice on stderr."""
    sys.stderr.write(f"marry: {message}\n")
