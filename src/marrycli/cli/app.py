"""The `marry` Typer app: global options, the command tree and the one error handler."""

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from marrycli import __version__
from marrycli.cli import customers, db, promises, report, transfer
from marrycli.cli.common import notice, reset_consoles
from marrycli.errors import ExitStatus, MarryError

# Click's exception base, wherever this Typer keeps Click (vendored or not).
_CLICK_EXCEPTION = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class MarryGroup(TyperGroup):
    """The root group: maps every exception to its exit code in one place."""

    def invoke(self, ctx: Any) -> Any:
        reset_consoles()
        try:
            return super().invoke(ctx)
        except MarryError as error:
            gate = error.exit_status is ExitStatus.GATE_FAILED
            notice(error.message if gate else f"error: {error.message}")
            raise typer.Exit(int(error.exit_status)) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            _quiet_broken_pipe()
        except Exception as error:
            if isinstance(error, _CLICK_EXCEPTION):
                raise  # usage errors: Typer prints them with the usage line (exit 2)
            if ctx.params.get("debug"):
                import traceback

                traceback.print_exc()
            detail = f"{type(error).__name__}: {error}".splitlines()[0][:200]
            notice(f"internal error ({detail}); this is a bug: rerun with --debug and report it")
            raise typer.Exit(int(ExitStatus.INTERNAL_ERROR)) from None


def _quiet_broken_pipe() -> None:
    """The reader went away (`marry report | head`): stop quietly, as SIGPIPE would."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # stdout is not a real file (in-process tests)
    raise typer.Exit(141)


HELP = """\
marry keeps a ledger of the promises you make to customers and of what became of
each, and turns it into keep rates, streaks, trust and a relationship stage.

\b
Examples:
  marry promise add "Ship SSO" --customer acme --due friday --size large
  marry keep 12
  marry break 12 --note "vendor slipped"
  marry promise list --customer acme
  marry report
"""

app = typer.Typer(
    cls=MarryGroup,
    help=HELP,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"marry {__version__}\n")
        raise typer.Exit()


@app.callback()
def root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH_OR_URL",
            help="The ledger: a file, sqlite:///PATH or postgresql+psycopg://USER@HOST/DB "
            "(default: $MARRY_DB, else ledger.db in the user data folder).",
            show_default=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_show_version, help="Print the version."),
    ] = False,
) -> None:
    """marry: a promise ledger for people who serve customers."""


app.add_typer(promises.promise_app, name="promise")
app.command("keep")(promises.keep)
app.command("break")(promises.break_promise)
app.command("renegotiate")(promises.renegotiate)
app.command("undo")(promises.undo)
app.command("whatif")(promises.what_if)
app.command("agenda")(promises.agenda)
app.command("report")(report.report)
app.command("check")(report.check)
app.command("export")(transfer.export)
app.command("import")(transfer.import_)
app.add_typer(customers.customer_app, name="customer")
app.add_typer(db.db_app, name="db")


def run() -> None:
    """Run the app as the `marry` command."""
    app(prog_name="marry")
