"""Commands on the ledger itself: `db info|check|upgrade`."""

import typer

from marrycli.cli.common import FormatOption, JsonOption, ledger, output_format
from marrycli.cli.help import MarryTyper
from marrycli.errors import LedgerUnusable
from marrycli.render import Format, emit
from marrycli.render.output import error, notice

db_app = MarryTyper(
    help="The ledger itself: where it is, an integrity check, upgrades.\n\n\b\nExample:\n"
    "  marry db info",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@db_app.command("info")
def info(ctx: typer.Context, fmt: FormatOption = Format.TABLE, json_: JsonOption = False) -> None:
    """Where the ledger is, its backend, schema version and counts.

    \b
    Examples:
      marry db info
      MARRY_DB=postgresql+psycopg://marry@db/marry marry db info --json
    """
    from marrycli.render.views import LedgerInfoView
    from marrycli.service.ledgers import ledger_info

    fmt = output_format(ctx, LedgerInfoView, fmt, json_)
    found = ledger_info(ledger(ctx))
    emit(LedgerInfoView(info=found), fmt)


@db_app.command("check")
def check(ctx: typer.Context) -> None:
    """Check the ledger's integrity: the database's own check and the ledger's rules.

    Exit 0 when sound; exit 3, with each problem on stderr, when not.

    \b
    Example:
      marry db check
    """
    from marrycli.service.ledgers import check_ledger

    problems = check_ledger(ledger(ctx))
    if problems:
        for problem in problems:  # the error's detail: shown under --quiet too
            error(problem)
        raise LedgerUnusable(f"the ledger failed its check ({len(problems)} problem(s))")
    notice("the ledger is sound")


@db_app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Upgrade the ledger's schema to this marry's version.

    SQLite ledgers upgrade by themselves; a shared PostgreSQL ledger only through
    this command, once every client of it runs a marry that knows the new version.

    \b
    Example:
      MARRY_DB=postgresql+psycopg://marry@db/marry marry db upgrade
    """
    from marrycli.service.ledgers import upgrade_ledger

    before, after = upgrade_ledger(ledger(ctx))
    if before == after:
        notice(f"the ledger is at schema version {after} already; nothing to do")
    else:
        notice(f"upgraded the ledger from schema version {before} to {after}")
