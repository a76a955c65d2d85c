"""What every command shares: its options (--format, --json, --ref, --as-of, --note, --at, ID),
the output format checked before any work, the clock, WHEN parsing, and the ledger named
by the global options (opened by the service, not here).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from marrycli import settings
from marrycli.cli import completion
from marrycli.errors import BadInput
from marrycli.render import Format, require

if TYPE_CHECKING:
    from marrycli.dates import When
    from marrycli.domain import Recorded
    from marrycli.service.ledgers import Ledger


# The formats a command's --help offers are those of most views; the reports (and the
# agenda) offer html too. A format the view lacks is refused by `output_format`.
FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        case_sensitive=False,
        metavar="[table|json|csv]",
        help="Output: table for people; json or csv for scripts.",
    ),
]
PageFormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        case_sensitive=False,
        metavar="[table|json|csv|html]",
        help="Output: table for people; json or csv for scripts; html: a page for a browser.",
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


IdArgument = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="The promise: its number, or ref:KEY.",
        show_default=False,
        autocompletion=completion.open_promises,
    ),
]
OwnerFilterOption = Annotated[
    str | None,
    typer.Option(
        "--owner",
        metavar="NAME",
        help="Only this owner's promises.",
        autocompletion=completion.owners,
    ),
]
# `undo` mostly corrects a resolved promise: its ID is not completed from the open ones.
UndoIdArgument = Annotated[
    str,
    typer.Argument(metavar="ID", help="The promise: its number, or ref:KEY.", show_default=False),
]


def output_format(ctx: typer.Context, view: type, fmt: Format, json_flag: bool) -> Format:
    """The format asked for (--json wins); BadInput, before any work, if `view` has none such."""
    return require(view, Format.JSON if json_flag else fmt, command=ctx.command_path)


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
    """The ledger of the `db` setting (--db, MARRY_DB, the config file); nothing opened yet."""
    from marrycli.service.ledgers import open_ledger

    del ctx  # the root group configured the run's settings with its options (cli.app)
    found = settings.current()
    return open_ledger(found.db(), lock_timeout=found.lock_timeout().value)


def finish_write(recorded: Recorded, fmt: Format) -> None:
    """A write's notice and warning on stderr, then the promise as it stands now."""
    from marrycli.render import emit
    from marrycli.render.output import notice
    from marrycli.render.written import PromiseWritten

    if recorded.notice:
        notice(recorded.notice)
    if recorded.new_customer:
        notice(recorded.new_customer)
    if recorded.warning:
        notice(f"warning: {recorded.warning}")
    if recorded.note:
        notice(f"note: {recorded.note}")
    view = PromiseWritten(
        recorded.promise, now(), value_from=recorded.value_from, series=recorded.series
    )
    emit(view, fmt)


# A standing promise (SPEC §7), on `promise add`.
EveryOption = Annotated[
    str | None,
    typer.Option(
        "--every",
        metavar="PERIOD",
        help="A standing promise, made again every PERIOD: Nd, Nw or Nm (calendar months).",
    ),
]
WithinOption = Annotated[
    str | None,
    typer.Option(
        "--within",
        metavar="DURATION",
        help="Each occurrence is due this long after it is made: Nh, Nd or Nw "
        "(default: when the next is made).",
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option("--until", metavar="WHEN", help="No occurrence is made from then on."),
]
