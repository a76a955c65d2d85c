"""The `marry` Typer app: global options, the command tree, and the one error handler that
maps every exception to its `ExitStatus` (plus `run`, for what Typer writes itself: help and
usage errors, a closed pipe or Ctrl-C before a command starts)."""

import copy
import errno
import os
import sys
from functools import partial
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from marrycli import __version__, settings
from marrycli.cli import (
    batch,
    config,
    corrections,
    customers,
    db,
    planning,
    promises,
    report,
    transfer,
)
from marrycli.cli.help import MarryTyper
from marrycli.errors import BadInput, ExitStatus, MarryError
from marrycli.render import output

# Click's exception base, wherever this Typer keeps Click (vendored or not).
_CLICK_EXCEPTION = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class MarryGroup(TyperGroup):
    """The root group: maps every exception to its exit code in one place."""

    def list_commands(self, ctx: Any) -> list[str]:
        """The commands as `marry --help` lists them: COMMAND_ORDER, `promise` first."""
        del ctx  # Click's signature; the order is the same in every context
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(self.commands, key=lambda name: rank.get(name, len(rank)))

    def invoke(self, ctx: Any) -> Any:
        output.reset_consoles()
        path, command = _command_to_run(self, ctx)
        try:
            settings.configure(db=ctx.params.get("db"), quiet=ctx.params.get("quiet") or None)
            _check_utf8(ctx)
            _warn_about_tz()
            return super().invoke(ctx)
        except MarryError as error:
            # A gate's refusal is the command's answer (exit 1): shown under --quiet too.
            gate = error.exit_status is ExitStatus.GATE_FAILED
            output.error(error.message if gate else f"error: {error.message}")
            raise typer.Exit(int(error.exit_status)) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            _quiet_broken_pipe()
        except OSError as error:
            if error.filename is not None:  # a file the user named (or its folder)
                output.error(f"error: cannot use {error.filename}: {error.strerror or error}")
                raise typer.Exit(int(ExitStatus.BAD_INPUT)) from None
            if error.errno not in _OUTPUT_ERRORS:
                _internal_error(ctx, error)
            # A write's callback returns only once the write is committed (or was a no-op).
            _output_failed(error, committed=path in WRITES and _ran(command, error))
        except Exception as error:
            if isinstance(error, _CLICK_EXCEPTION):
                # Usage errors: Typer prints them with the usage line (exit 2); they quote
                # what was typed, so its format characters are made visible first.
                message = getattr(error, "message", "")
                if isinstance(message, str) and not message.isprintable():
                    from marrycli.render.safety import visible

                    setattr(error, "message", visible(message))  # noqa: B010
                raise
            _internal_error(ctx, error)
        finally:
            settings.forget()

    def _main_shell_completion(
        self, ctx_args: Any, prog_name: str, complete_var: str | None = None
    ) -> None:
        """Answer the shell's completion request, if this run is one (`_MARRY_COMPLETE`)."""
        variable = complete_var or f"_{prog_name}_COMPLETE".replace("-", "_").upper()
        if not os.environ.get(variable):
            return
        from marrycli.cli.completion import answer

        answer(partial(super()._main_shell_completion, ctx_args, prog_name, variable))


def _interrupted(error: BaseException) -> bool:
    """True if a Ctrl-C is behind `error`: Python wraps a KeyboardInterrupt raised inside
    some machinery (a class body's __set_name__ during a lazy import) in another error."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _internal_error(ctx: Any, error: BaseException) -> NoReturn:
    if _interrupted(error):
        raise typer.Exit(int(ExitStatus.INTERRUPTED)) from None
    if ctx.params.get("debug"):
        import traceback

        traceback.print_exc()
    detail = f"{type(error).__name__}: {error}".splitlines()[0][:200]
    output.error(f"internal error ({detail}); this is a bug: rerun with --debug and report it")
    raise typer.Exit(int(ExitStatus.INTERNAL_ERROR)) from None


# The errors of a write to standard output that are not the program's fault.
_OUTPUT_ERRORS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS, errno.EBADF, errno.EINVAL}
)


# The commands that write to the ledger. When one of them cannot write its output, the
# write has already been committed: it still exits 0 (SPEC: a committed write never reports
# failure). A test checks that every command with --ref is here.
WRITES = frozenset(
    {
        "promise add",
        "promise amend",
        "promise cancel",
        "keep",
        "break",
        "renegotiate",
        "undo",
        "batch",
        "import",
        "customer rename",
        "customer merge",
        "customer value",
        "db upgrade",
    }
)

# The environment variables marry reads as text (TZ is read too: one it cannot use is a
# warning, as for the C library).
_ENVIRONMENT = (*settings.VARIABLES.values(), settings.CONFIG_VARIABLE)


def _command_to_run(group: TyperGroup, ctx: Any) -> tuple[str, Any]:
    """The command about to run, and its words: `promise add`, `keep`."""
    words = [*getattr(ctx, "_protected_args", ()), *ctx.args]
    path: list[str] = []
    command: Any = group
    for word in words:
        if not isinstance(command, TyperGroup) or word.startswith("-"):
            break
        found = command.get_command(ctx, word)
        if found is None:
            break
        path.append(word)
        command = found
    return " ".join(path), command


def _ran(command: Any, error: BaseException) -> bool:
    """True if `error` came out of the command's callback (not its --help, say)."""
    code = getattr(getattr(command, "callback", None), "__code__", None)
    frame = error.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code is code:
            return True
        frame = frame.tb_next
    return False


def _check_utf8(ctx: Any) -> None:
    """Refuse arguments and marry's environment variables that are not UTF-8 text.

    Python reads bytes that are not UTF-8 as lone surrogates, which no ledger can store:
    refused at the door, before anything is opened or created.
    """
    values = [*getattr(ctx, "_protected_args", ()), *ctx.args]
    values += [value for value in ctx.params.values() if isinstance(value, str)]
    for value in values:
        if _has_surrogate(value):
            raise BadInput(f"the argument '{_shown(value)}' is not valid UTF-8; give it in UTF-8")
    for name in _ENVIRONMENT:
        value = os.environ.get(name)
        if value is not None and _has_surrogate(value):
            raise BadInput(f"{name}='{_shown(value)}' is not valid UTF-8; set it in UTF-8")


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def _shown(text: str, limit: int = 40) -> str:
    """Text that is not UTF-8 as it came in: its bytes that are not UTF-8 as \\xNN."""
    try:
        shown = os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeError:  # a lone surrogate that came from no bytes (in-process callers)
        shown = text.encode("utf-8", "backslashreplace").decode("ascii")
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _warn_about_tz() -> None:
    """Say once, on stderr, when TZ is set but cannot be used (times are then in UTC)."""
    if "TZ" in os.environ:
        from marrycli.dates import zone_warning

        warning = zone_warning()
        if warning is not None:
            output.notice(f"warning: {warning}")


def _output_failed(error: OSError, *, committed: bool) -> None:
    """Standard output cannot be written (a full disk, /dev/full, an I/O error)."""
    _stdout_to_devnull()  # what is still buffered must not fail again at exit
    reason = error.strerror or str(error)
    if committed:  # not silenced by --quiet: what the command was for went missing
        output.error(f"warning: the output could not be written ({reason}); the write was recorded")
        raise typer.Exit(int(ExitStatus.OK))
    output.error(f"error: cannot write the output: {reason}")
    raise typer.Exit(int(ExitStatus.BAD_INPUT))


def _quiet_broken_pipe() -> None:
    """The reader went away (`marry report | head`): stop quietly, as SIGPIPE would."""
    _stdout_to_devnull()
    raise typer.Exit(int(ExitStatus.BROKEN_PIPE))


def _stdout_to_devnull() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a real file (in-process tests)


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

app = MarryTyper(
    cls=MarryGroup,
    help=HELP,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _show_version(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:  # not while completing `marry --version <TAB>`
        sys.stdout.write(f"marry {__version__}\n")
        raise typer.Exit(int(ExitStatus.OK))


@app.callback()
def root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH_OR_URL",
            help="The ledger: a file, sqlite:///PATH or postgresql+psycopg://USER@HOST/DB "
            "(default: $MARRY_DB, the config file's db, else ledger.db in the user data folder).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="No notices or warnings on stderr; errors still show (also MARRY_QUIET=1).",
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_show_version, help="Print the version."),
    ] = False,
) -> None:
    """marry: a promise ledger for people who serve customers."""


# The order of `marry --help`: recording promises first, then reading the ledger, then
# the directory, moving ledgers, and the ledger itself.
COMMAND_ORDER = (
    "promise", "keep", "break", "renegotiate", "undo", "batch", "whatif", "agenda", "report",
    "check", "customer", "export", "import", "db", "config",
)  # fmt: skip

promises.promise_app.command("amend")(corrections.amend)
app.add_typer(promises.promise_app, name="promise")
app.command("keep")(promises.keep)
app.command("break")(promises.break_promise)
app.command("renegotiate")(promises.renegotiate)
app.command("undo")(promises.undo)
app.command("batch")(batch.batch)
app.command("whatif")(planning.what_if)
app.command("agenda")(planning.agenda)
app.command("report")(report.report)
app.command("check")(report.check)
app.command("export")(transfer.export)
app.command("import")(transfer.import_)
app.add_typer(customers.customer_app, name="customer")
app.add_typer(db.db_app, name="db")
app.command("config")(config.config)


def only_the_command_run(args: list[str]) -> typer.Typer:
    """The app with only the command `args` run, when it names one: Typer builds a Click
    command for every command it has, and a script calls one command in a loop. Help without
    a command, completion, and a word that is no command get the whole app (or group), so
    that what they list and suggest is the same."""
    global_flags = ("--quiet", "-q", "--debug")
    words = iter(args)
    for word in words:
        if word == "--db":
            next(words, None)
        elif not (word.startswith("--db=") or word in global_flags):
            return app if "_MARRY_COMPLETE" in os.environ else _pruned(app, [word, *words])
    return app


def _pruned(typer_app: typer.Typer, words: list[str]) -> typer.Typer:
    """`typer_app` with only the command or group `words[0]` names (in a group, only its
    command `words[1]` names); `typer_app` itself when `words[0]` names none."""
    commands = [c for c in typer_app.registered_commands if words and c.name == words[0]]
    groups = [copy.copy(g) for g in typer_app.registered_groups if words and g.name == words[0]]
    if not (commands or groups):
        return typer_app
    for group in groups:
        assert group.typer_instance is not None  # every group here is a Typer app
        group.typer_instance = _pruned(group.typer_instance, words[1:])
    pruned = copy.copy(typer_app)
    pruned.registered_commands, pruned.registered_groups = commands, groups
    return pruned


def run() -> None:
    """Run the app as the `marry` command (`__main__.main` has made Ctrl-C quiet until now)."""
    import signal

    try:
        # From here on Ctrl-C raises KeyboardInterrupt: a write in progress is rolled back,
        # and Typer (or the handler below) exits 130 without a traceback.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        only_the_command_run(sys.argv[1:])(prog_name="marry")
    except KeyboardInterrupt:
        raise SystemExit(int(ExitStatus.INTERRUPTED)) from None
    except OSError as error:  # writing help or a usage error (the command's own are handled)
        if isinstance(error, BrokenPipeError):
            _stdout_to_devnull()
            raise SystemExit(int(ExitStatus.BROKEN_PIPE)) from None
        if error.errno not in _OUTPUT_ERRORS:
            raise
        _stdout_to_devnull()
        output.error(f"error: cannot write the output: {error.strerror or error}")
        raise SystemExit(int(ExitStatus.BAD_INPUT)) from None
    except Exception as error:
        if _interrupted(error):  # a Ctrl-C inside an import Typer makes before the command
            raise SystemExit(int(ExitStatus.INTERRUPTED)) from None
        raise
    finally:
        # The work is done (or refused); a Ctrl-C now would only turn its exit status into
        # 130 or print a traceback from the interpreter's shutdown.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
