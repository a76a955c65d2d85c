"""Commands on the customer directory: `customer list|rename|merge`."""

from typing import Annotated

import typer

from marrycli import rules
from marrycli.cli import completion
from marrycli.cli.common import FormatOption, JsonOption, ledger, now, output_format
from marrycli.cli.help import MarryTyper
from marrycli.render import Format, emit
from marrycli.render.output import notice

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
    from marrycli.render.views import CustomerList
    from marrycli.service.customers import list_customers

    fmt = output_format(ctx, CustomerList, fmt, json_)
    summaries = list_customers(ledger(ctx), now())
    emit(CustomerList(customers=summaries), fmt)


@customer_app.command("rename")
def rename(
    ctx: typer.Context,
    old: Annotated[
        str,
        typer.Argument(
            metavar="OLD",
            help="The customer's current name.",
            show_default=False,
            autocompletion=completion.customers,
        ),
    ],
    new: Annotated[str, typer.Argument(metavar="NEW", help="The new name.", show_default=False)],
) -> None:
    """Rename a customer. Its history stays; the rename is recorded.

    \b
    Example:
      marry customer rename acme "Acme Corporation"
    """
    from marrycli.service.customers import rename_customer

    new_name = rules.validate_name("the new name", new)
    name = rename_customer(
        ledger(ctx),
        rules.validate_name("the customer", old),
        new_name,
        owner=rules.default_owner(),
        now=now(),
    )
    notice(f"renamed to {name!r}")


@customer_app.command("merge")
def merge(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="FROM",
            help="The customer to merge away.",
            show_default=False,
            autocompletion=completion.customers,
        ),
    ],
    into: Annotated[
        str,
        typer.Argument(
            metavar="INTO",
            help="The customer that stays.",
            show_default=False,
            autocompletion=completion.customers,
        ),
    ],
) -> None:
    """Merge one customer into another: its promises count for INTO, and its name leads there.

    \b
    Example:
      marry customer merge "ACME GmbH" acme
    """
    from marrycli.service.customers import merge_customers

    name = merge_customers(
        ledger(ctx),
        rules.validate_name("FROM", source),
        rules.validate_name("INTO", into),
        owner=rules.default_owner(),
        now=now(),
    )
    notice(f"merged into {name!r}")
