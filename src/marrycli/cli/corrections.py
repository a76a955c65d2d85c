"""`marry promise amend`: correcting how a promise was recorded (SPEC §6)."""

from typing import Annotated

import typer

from marrycli import rules
from marrycli.cli import completion
from marrycli.cli.common import (
    FormatOption,
    IdArgument,
    JsonOption,
    NoteOption,
    RefOption,
    ledger,
    now,
    output_format,
)
from marrycli.domain import Size, Value
from marrycli.render import Format


def amend(
    ctx: typer.Context,
    promise: IdArgument,
    text: Annotated[
        str | None, typer.Option("--text", metavar="TEXT", help="What was promised, corrected.")
    ] = None,
    size: Annotated[
        Size | None, typer.Option("--size", case_sensitive=False, help="Its size, corrected.")
    ] = None,
    value: Annotated[
        Value | None,
        typer.Option("--value", case_sensitive=False, help="How much the customer values it."),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(
            "--owner",
            metavar="NAME",
            help="Who promised, corrected.",
            autocompletion=completion.owners,
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            metavar="TAG",
            help="Add this tag; repeat for more.",
            autocompletion=completion.tags,
        ),
    ] = None,
    untag: Annotated[
        list[str] | None,
        typer.Option("--untag", metavar="TAG", help="Remove this tag; repeat for more."),
    ] = None,
    note: NoteOption = None,
    ref: RefOption = None,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
) -> None:
    """Correct how a promise was recorded: its text, size, value, owner or tags.

    The correction is a new event (`amended`) carrying only what changes; the promise's
    terms are then the corrected ones everywhere, for every --as-of (scores, lists,
    exports). `marry undo` takes the last correction back. The due date is moved by
    `marry renegotiate`; a promise to the wrong customer is cancelled and added again.

    \b
    Examples:
      marry promise amend 12 --size large --note "it is the whole SSO rollout"
      marry promise amend 12 --text "Ship SSO for the EU" --tag eu --untag q4
    """
    from marrycli.cli.common import finish_write
    from marrycli.render.written import PromiseWritten
    from marrycli.service.events import amend as amend_

    fmt = output_format(ctx, PromiseWritten, fmt, json_)
    tags, untags = rules.validate_tags(tag or []), rules.validate_tags(untag or [])
    recorded = amend_(
        ledger(ctx),
        rules.parse_id(promise),
        text=rules.validate_text("--text", text) if text is not None else None,
        size=size,
        value=value,
        owner=rules.validate_name("--owner", owner) if owner is not None else None,
        tag=tags,
        untag=untags,
        note=rules.validate_text("--note", note) if note is not None else None,
        ref=rules.validate_ref(ref),
        by=rules.default_owner(),
        now=now(),
    )
    finish_write(recorded, fmt)
