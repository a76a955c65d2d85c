"""Commands on the customer directory: `customer list|rename|merge`."""

from typing import Annotated

import typer

from marrycli.cli.common import (
    Format,
    FormatOption,
    JsonOption,
    emit,
    emit_text,
    ledger,
    notice,
    now,
    output_format,
)
from marrycli.cli.help import MarryTyper

customer_app = MarryTyper(
    help="The customer directory: list, rename, merge.\n\n\b\nExample:\n  marry customer list",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@customer_app.command("list")
def list_(ctx: typer.Context, fmt: FormatOption = Format.TABLE, json_: JsonOption = False) -> None:
    """List customers with their promise counts, and the names merged into each.

    \b
    Examples:
      marry customer list
      marry customer list --format csv
    """
    from marrycli import render, service
    from marrycli.cli.common import console

    fmt = output_format(fmt, json_)
    summaries = service.list_customers(ledger(ctx), now())
    if fmt is Format.JSON:
        emit_text(render.to_json([render.customer_dict(s) for s in summaries]))
    elif fmt is Format.CSV:
        emit_text(render.customers_csv(summaries))
    elif not summaries:
        notice("no customers yet; the first `marry promise add` creates one")
    else:
        emit(render.customers_table(summaries, console()))


@customer_app.command("rename")
def rename(
    ctx: typer.Context,
    old: Annotated[
        str, typer.Argument(metavar="OLD", help="The customer's current name.", show_default=False)
    ],
    new: Annotated[str, typer.Argument(metavar="NEW", help="The new name.", show_default=False)],
) -> None:
    """Rename a customer. Its history stays; the rename is recorded.

    \b
    Example:
      marry customer rename acme "Acme Corporation"
    """
    from marrycli import service

    new_name = service.validate_name("the new name", new)
    name = service.rename_customer(
        ledger(ctx),
        service.validate_name("the customer", old),
        new_name,
        owner=service.default_owner(),
        now=now(),
    )
    notice(f"renamed to {name!r}")


@customer_app.command("merge")
def merge(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="FROM", help="The customer to merge away.", show_default=False)
    ],
    into: Annotated[
        str, typer.Argument(metavar="INTO", help="The customer that stays.", show_default=False)
    ],
) -> None:
    """Merge one customer into another: its promises count for INTO, and its name leads there.

    \b
    Example:
      marry customer merge "ACME GmbH" acme
    """
    from marrycli import service

    name = service.merge_customers(
        ledger(ctx),
        service.validate_name("FROM", source),
        service.validate_name("INTO", into),
        owner=service.default_owner(),
        now=now(),
    )
    notice(f"merged into {name!r}")
