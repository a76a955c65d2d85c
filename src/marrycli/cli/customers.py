"""Commands on the customer directory: `customer list|show|rename|merge|value`."""

from typing import Annotated

import typer

from marrycli import rules
from marrycli.cli import completion
from marrycli.cli.common import (
    FormatOption,
    JsonOption,
    NoteOption,
    ledger,
    now,
    output_format,
)
from marrycli.cli.help import MarryTyper
from marrycli.domain import Value
from marrycli.errors import BadInput
from marrycli.render import Format, emit
from marrycli.render.output import notice

customer_app = MarryTyper(
    help="The customer directory: list, show, rename, merge, and what each customer values."
    "\n\n\b\nExample:\n  marry customer list",
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


NameArgument = Annotated[
    str,
    typer.Argument(
        metavar="NAME",
        help="The customer (any of its names).",
        show_default=False,
        autocompletion=completion.customers,
    ),
]


@customer_app.command("show")
def show(
    ctx: typer.Context,
    name: NameArgument,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
) -> None:
    """Show a customer: its names, what it values (its value profile) and its promise counts.

    \b
    Examples:
      marry customer show acme
      marry customer show acme --json
    """
    from marrycli.render.views import CustomerProfileView
    from marrycli.service.customers import show_customer

    fmt = output_format(ctx, CustomerProfileView, fmt, json_)
    profile = show_customer(ledger(ctx), rules.validate_name("the customer", name), now())
    emit(CustomerProfileView(profile=profile), fmt)


@customer_app.command("value")
def value(
    ctx: typer.Context,
    name: NameArgument,
    tag: Annotated[
        str,
        typer.Option(
            "--tag",
            metavar="TAG",
            help="Promises with this tag.",
            show_default=False,
            autocompletion=completion.tags,
        ),
    ],
    level: Annotated[
        Value | None,
        typer.Option(
            "--value",
            case_sensitive=False,
            help="How much the customer values them.",
            show_default=False,
        ),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Remove the tag from the customer's profile.")
    ] = False,
    note: NoteOption = None,
) -> None:
    """Record how much a customer values promises with a tag (its value profile).

    A promise added without --value takes the highest value the customer's profile gives
    one of its tags. Each change is recorded; --clear removes the tag.

    \b
    Examples:
      marry customer value acme --tag docs --value low --note "reads no docs"
      marry customer value acme --tag docs --clear
    """
    from marrycli.service.customers import set_value

    if clear and level is not None:
        raise BadInput("--value and --clear contradict each other; give one")
    if not clear and level is None:
        raise BadInput("give --value none|low|high, or --clear to remove the tag")
    tag = rules.validate_text("--tag", tag, rules.TAG_MAX)
    customer, unchanged = set_value(
        ledger(ctx),
        rules.validate_name("the customer", name),
        tag,
        level,
        note=rules.validate_text("--note", note) if note is not None else None,
        owner=rules.default_owner(),
        now=now(),
    )
    if unchanged is not None:
        notice(unchanged)
    elif level is None:
        notice(f"{customer!r} no longer has a value for promises tagged {tag!r}")
    else:
        notice(f"{customer!r} values promises tagged {tag!r} {level.value}")


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
