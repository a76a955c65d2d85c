"""`marry whatif` and `marry agenda`: what to do next, weighed before doing it (nothing is
recorded)."""

from typing import Annotated

import typer

from marrycli import rules
from marrycli.cli.common import (
    FormatOption,
    IdArgument,
    JsonOption,
    OwnerFilterOption,
    PageFormatOption,
    ledger,
    now,
    output_format,
    parse_when,
)
from marrycli.cli.output_file import OutputOption
from marrycli.domain import EventKind
from marrycli.errors import BadInput
from marrycli.render import Format, emit
from marrycli.render.output import notice


def what_if(
    ctx: typer.Context,
    promise: IdArgument,
    keep_: Annotated[bool, typer.Option("--keep", help="If it were kept.")] = False,
    break_: Annotated[bool, typer.Option("--break", help="If it were broken.")] = False,
    renegotiate_to: Annotated[
        str | None,
        typer.Option("--renegotiate", metavar="WHEN", help="If it were moved to this due date."),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", metavar="WHEN", help="When (default: now).")
    ] = None,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
) -> None:
    """What keeping, breaking or renegotiating a promise would do; records nothing.

    Trust, distrust and stage before and after, exactly as recording the event and
    then `marry report --as-of` that moment would show them.

    \b
    Examples:
      marry whatif 12 --break
      marry whatif 12 --renegotiate 2026-12-18 --json
    """
    from marrycli.render.views import WhatIfView
    from marrycli.service.events import what_if as what_if_

    fmt = output_format(ctx, WhatIfView, fmt, json_)
    chosen = [keep_, break_, renegotiate_to is not None]
    if sum(chosen) != 1:
        raise BadInput("give exactly one of --keep, --break or --renegotiate WHEN")
    clock = now()
    kind = EventKind.KEPT if keep_ else EventKind.BROKEN if break_ else EventKind.RENEGOTIATED
    result = what_if_(
        ledger(ctx),
        rules.parse_id(promise),
        kind,
        at=parse_when("--at", at, end_of_day=False, at=clock),
        due=parse_when("--renegotiate", renegotiate_to, end_of_day=True, at=clock),
        now=clock,
    )
    if result.notice:
        notice(f"{result.notice}: before and after are the same")
    emit(WhatIfView(result=result), fmt)


def agenda(
    ctx: typer.Context,
    owner: OwnerFilterOption = None,
    within: Annotated[
        str,
        typer.Option("--within", metavar="WHEN", help="Due by then (default: +7d)."),
    ] = "+7d",
    fmt: PageFormatOption = Format.TABLE,
    json_: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """What to deliver or renegotiate first: overdue promises, then those due soon.

    Each with what hangs on it (the customer's trust if kept minus if broken) and what
    renegotiating now costs against waiting a day (a late renegotiation costs almost
    as much as a break; delivering an overdue promise recovers part of it).

    \b
    Examples:
      marry agenda
      marry agenda --owner dana --within +14d --json
      marry agenda --format html --output agenda.html
    """
    from marrycli.cli.output_file import check_output_path, emit_to, ledger_files
    from marrycli.render.views import Agenda
    from marrycli.service.reports import agenda as agenda_

    fmt = output_format(ctx, Agenda, fmt, json_)
    if output is not None:
        check_output_path("--output", output, ledger_files(ctx))
    clock = now()
    until = parse_when("--within", within, end_of_day=True, at=clock)
    assert until is not None
    items = agenda_(
        ledger(ctx),
        owner=rules.validate_name("--owner", owner) if owner is not None else None,
        until=until.instant,
        now=clock,
    )
    emit_to(ctx, Agenda(items=items, as_of=clock, until=until.instant), fmt, output)
