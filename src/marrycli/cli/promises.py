"""Commands on promises: `promise add|list|show|cancel`, `keep`, `break`, `renegotiate`, `undo`
(`whatif` and `agenda`, which weigh what to do next, are in `planning`)."""

from enum import StrEnum
from typing import Annotated

import typer

from marrycli import rules, settings
from marrycli.cli import completion
from marrycli.cli.common import (
    AsOfOption,
    AtOption,
    EveryOption,
    FormatOption,
    IdArgument,
    JsonOption,
    NoteOption,
    OwnerFilterOption,
    RefOption,
    UndoIdArgument,
    UntilOption,
    WithinOption,
    as_of_moment,
    finish_write,
    ledger,
    now,
    output_format,
    parse_when,
)
from marrycli.cli.help import MarryTyper
from marrycli.domain import EventKind, Size, Status, Value
from marrycli.errors import BadInput
from marrycli.render import Format, emit

promise_app = MarryTyper(
    help="Record, list, show, cancel and amend promises.\n\n\b\nExample:\n"
    '  marry promise add "Ship SSO" --customer acme --due friday',
    no_args_is_help=True,
    rich_markup_mode=None,
)


class StatusFilter(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    KEPT = "kept"
    KEPT_LATE = "kept_late"
    BROKEN = "broken"
    CANCELLED = "cancelled"
    STANDING = "standing"  # the series of standing promises (SPEC §7)
    ALL = "all"


class ListOrder(StrEnum):
    ID = "id"
    DUE = "due"
    CUSTOMER = "customer"
    MADE = "made"


@promise_app.command("add")
def add(
    ctx: typer.Context,
    text: Annotated[
        str, typer.Argument(metavar="TEXT", help="What was promised.", show_default=False)
    ],
    customer: Annotated[
        str,
        typer.Option(
            "--customer",
            "-c",
            metavar="NAME",
            help="Who it was promised to.",
            show_default=False,
            autocompletion=completion.customers,
        ),
    ],
    due: Annotated[
        str | None,
        typer.Option("--due", metavar="WHEN", help="When it falls due (a bare day: its end)."),
    ] = None,
    made: Annotated[
        str | None,
        typer.Option("--made", metavar="WHEN", help="When it was promised (default: now)."),
    ] = None,
    every: EveryOption = None,
    within: WithinOption = None,
    until: UntilOption = None,
    size: Annotated[
        Size, typer.Option("--size", case_sensitive=False, help="How big it is.")
    ] = Size.MEDIUM,
    value: Annotated[
        Value | None,
        typer.Option(
            "--value",
            case_sensitive=False,
            help="How much the customer values it (default: its profile's value for a tag "
            "of the promise, else high).",
            show_default=False,
        ),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(
            "--owner",
            metavar="NAME",
            help="Who promised (default: $MARRY_USER, the config file's user, else "
            "your login name).",
            autocompletion=completion.owners,
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="A tag; repeat for more.", autocompletion=completion.tags),
    ] = None,
    ref: RefOption = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse a risky promise (exit 1, nothing recorded). Also MARRY_STRICT=1, "
            "or strict = true in the config file.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Record without weighing the promise first, nor asking about a new customer.",
        ),
    ] = False,
    new_customer: Annotated[
        bool,
        typer.Option(
            "--new-customer",
            help="The customer is new: record it even if its name looks like a known one's.",
        ),
    ] = False,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
) -> None:
    """Record a promise made to a customer, and print it.

    First it is weighed against the ledger: what breaking it would do to the customer,
    how often promises of this size are kept on time, and what else falls due that
    week. A risky promise gets a warning on stderr; with --strict it is refused. So does
    a new customer whose name looks like a typo of a known one (`did you mean ...?`).

    \b
    Examples:
      marry promise add "Ship SSO" --customer acme --due friday --size large
      marry promise add "Fix login bug" -c "Acme Corp" --due +3d --ref fix-login
      marry promise add "Weekly status call" -c acme --every 1w --within 1d
    """
    from marrycli.render.written import PromiseWritten
    from marrycli.service.promises import add_promise

    fmt = output_format(ctx, PromiseWritten, fmt, json_)
    if strict and force:
        raise BadInput("--strict and --force contradict each other; give one")
    # --force is an option too: it outranks strict from the environment or the config file.
    strict = strict or (not force and settings.current().strict().value)
    clock = now()
    recorded = add_promise(
        ledger(ctx),
        text=rules.validate_text("the promise text", text),
        customer=rules.validate_name("--customer", customer),
        due=parse_when("--due", due, end_of_day=True, at=clock),
        made=parse_when("--made", made, end_of_day=False, at=clock),
        size=size,
        value=value,
        owner=rules.validate_name("--owner", owner) if owner is not None else rules.default_owner(),
        tags=rules.validate_tags(tag or []),
        ref=rules.validate_ref(ref),
        now=clock,
        guard=not force,
        strict=strict,
        ask_new_customer=not (force or new_customer),
        every=rules.parse_period(every, "--every") if every is not None else None,
        within=(
            rules.parse_period(within, "--within", rules.WITHIN_UNITS)
            if within is not None
            else None
        ),
        until=parse_when("--until", until, end_of_day=True, at=clock),
    )
    finish_write(recorded, fmt)


@promise_app.command("list")
def list_(
    ctx: typer.Context,
    customer: Annotated[
        str | None,
        typer.Option(
            "--customer",
            "-c",
            metavar="NAME",
            help="Only this customer's promises.",
            autocompletion=completion.customers,
        ),
    ] = None,
    status: Annotated[
        StatusFilter | None,
        typer.Option(
            "--status",
            case_sensitive=False,
            help="Only promises with this status (default: open and overdue).",
            show_default=False,
        ),
    ] = None,
    owner: OwnerFilterOption = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            metavar="TAG",
            help="Only promises with this tag; repeat for promises with all of them.",
            autocompletion=completion.tags,
        ),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option(
            "--text", metavar="WORDS", help="Only promises whose text has every word (any case)."
        ),
    ] = None,
    due_after: Annotated[
        str | None,
        typer.Option(
            "--due-after", metavar="WHEN", help="Due then or later (a bare day: from its start)."
        ),
    ] = None,
    due_before: Annotated[
        str | None,
        typer.Option(
            "--due-before", metavar="WHEN", help="Due then or earlier (a bare day: to its end)."
        ),
    ] = None,
    sort: Annotated[
        ListOrder, typer.Option("--sort", case_sensitive=False, help="Order by this, then by id.")
    ] = ListOrder.ID,
    limit: Annotated[
        int | None, typer.Option("--limit", metavar="N", help="Only the first N promises.")
    ] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
) -> None:
    """List promises: by default the open and overdue ones.

    Every filter given must hold. The due date is the current one (after
    renegotiations); --due-after and --due-before leave out promises without one,
    and --sort due lists them last.

    \b
    Examples:
      marry promise list
      marry promise list --customer acme --status all --json
      marry promise list --text "sso login" --tag q4 --due-before fri --sort due
    """
    from marrycli.render.views import PromiseList
    from marrycli.service.promises import list_promises

    fmt = output_format(ctx, PromiseList, fmt, json_)
    clock = now()
    moment = as_of_moment(as_of, clock)
    after = parse_when("--due-after", due_after, end_of_day=False, at=clock)
    before = parse_when("--due-before", due_before, end_of_day=True, at=clock)
    if status is None:
        statuses: list[Status] | None = [Status.OPEN, Status.OVERDUE]
    elif status is StatusFilter.ALL:
        statuses = None
    elif status is StatusFilter.STANDING:
        statuses = []
    else:
        statuses = [Status(status.value)]
    found = list_promises(
        ledger(ctx),
        customer=rules.validate_name("--customer", customer) if customer is not None else None,
        statuses=statuses,
        owner=rules.validate_name("--owner", owner) if owner is not None else None,
        tags=[rules.validate_text("--tag", t, rules.TAG_MAX) for t in tag or []],
        words=rules.validate_text("--text", text).split() if text is not None else (),
        due_after=after.instant if after is not None else None,
        due_before=before.instant if before is not None else None,
        order=sort.value,
        limit=limit,
        as_of=moment,
        series=status in (StatusFilter.STANDING, StatusFilter.ALL),
    )
    emit(PromiseList(promises=found.promises, as_of=moment, series=found.series), fmt)


@promise_app.command("show")
def show(
    ctx: typer.Context,
    promise: IdArgument,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
) -> None:
    """Show one promise with its whole history of events.

    \b
    Examples:
      marry promise show 12
      marry promise show ref:release-4711 --json
    """
    from marrycli.render.views import PromiseDetail
    from marrycli.service.promises import show_promise

    fmt = output_format(ctx, PromiseDetail, fmt, json_)
    clock = now()
    found = show_promise(ledger(ctx), rules.parse_id(promise), clock)
    emit(PromiseDetail(promise=found.promise, as_of=clock, series=found.series), fmt)


@promise_app.command("cancel")
def cancel(
    ctx: typer.Context,
    promise: IdArgument,
    note: Annotated[
        str,
        typer.Option(
            "--note", metavar="TEXT", help="Why it is withdrawn (required).", show_default=False
        ),
    ],
    ref: RefOption = None,
    series: Annotated[
        bool, typer.Option("--series", help="End a standing promise: no more occurrences.")
    ] = False,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
) -> None:
    """Withdraw a promise recorded by mistake or released by the customer.

    A cancelled promise leaves all scoring; `marry undo` brings it back. On a standing
    promise it cancels its oldest open occurrence; --series ends the series instead.

    \b
    Examples:
      marry promise cancel 12 --note "customer dropped the feature"
      marry promise cancel 14 --series --note "weekly calls end with the project"
    """
    from marrycli.render.written import PromiseWritten
    from marrycli.service.events import cancel as cancel_

    fmt = output_format(ctx, PromiseWritten, fmt, json_)
    recorded = cancel_(
        ledger(ctx),
        rules.parse_id(promise),
        note=rules.validate_text("--note", note),
        ref=rules.validate_ref(ref),
        owner=rules.default_owner(),
        now=now(),
        series=series,
    )
    finish_write(recorded, fmt)


def _outcome(
    ctx: typer.Context,
    kind: EventKind,
    promise: str,
    at: str | None,
    note: str | None,
    ref: str | None,
    fmt: Format,
    json_: bool,
) -> None:
    from marrycli.render.written import PromiseWritten
    from marrycli.service.events import record_outcome

    fmt = output_format(ctx, PromiseWritten, fmt, json_)
    clock = now()
    recorded = record_outcome(
        ledger(ctx),
        rules.parse_id(promise),
        kind,
        at=parse_when("--at", at, end_of_day=False, at=clock),
        note=rules.validate_text("--note", note) if note is not None else None,
        ref=rules.validate_ref(ref),
        owner=rules.default_owner(),
        now=clock,
    )
    finish_write(recorded, fmt)


def keep(
    ctx: typer.Context,
    promise: IdArgument,
    at: AtOption = None,
    note: NoteOption = None,
    ref: RefOption = None,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
) -> None:
    """Record that a promise was kept (after its due date: kept late).

    \b
    Examples:
      marry keep 12
      marry keep ref:release-4711 --at 2026-12-04T16:30 --ref "$CI_JOB_ID-keep"
    """
    _outcome(ctx, EventKind.KEPT, promise, at, note, ref, fmt, json_)


def break_promise(
    ctx: typer.Context,
    promise: IdArgument,
    at: AtOption = None,
    note: NoteOption = None,
    ref: RefOption = None,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
) -> None:
    """Record that a promise was broken.

    \b
    Example:
      marry break 12 --note "vendor slipped"
    """
    _outcome(ctx, EventKind.BROKEN, promise, at, note, ref, fmt, json_)


def renegotiate(
    ctx: typer.Context,
    promise: IdArgument,
    due: Annotated[
        str, typer.Option("--due", metavar="WHEN", help="The new due date.", show_default=False)
    ],
    at: AtOption = None,
    note: NoteOption = None,
    ref: RefOption = None,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
) -> None:
    """Move the due date of an open promise. Early costs little trust; late, almost a break.

    \b
    Example:
      marry renegotiate 12 --due 2026-12-18 --note "waiting on the vendor"
    """
    from marrycli.render.written import PromiseWritten
    from marrycli.service.events import renegotiate as renegotiate_

    fmt = output_format(ctx, PromiseWritten, fmt, json_)
    clock = now()
    new_due = parse_when("--due", due, end_of_day=True, at=clock)
    assert new_due is not None
    recorded = renegotiate_(
        ledger(ctx),
        rules.parse_id(promise),
        due=new_due,
        at=parse_when("--at", at, end_of_day=False, at=clock),
        note=rules.validate_text("--note", note) if note is not None else None,
        ref=rules.validate_ref(ref),
        owner=rules.default_owner(),
        now=clock,
    )
    finish_write(recorded, fmt)


def undo(
    ctx: typer.Context,
    promise: UndoIdArgument,
    note: NoteOption = None,
    ref: RefOption = None,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
) -> None:
    """Take back the last outcome, renegotiation, cancellation or amendment of a promise.

    Nothing is deleted: a void event is appended. Undo again to void the event before.

    \b
    Example:
      marry undo 12 --note "kept the wrong promise"
    """
    from marrycli.render.written import PromiseWritten
    from marrycli.service.events import undo as undo_

    fmt = output_format(ctx, PromiseWritten, fmt, json_)
    recorded = undo_(
        ledger(ctx),
        rules.parse_id(promise),
        note=rules.validate_text("--note", note) if note is not None else None,
        ref=rules.validate_ref(ref),
        owner=rules.default_owner(),
        now=now(),
    )
    finish_write(recorded, fmt)
