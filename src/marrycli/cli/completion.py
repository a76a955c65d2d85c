"""Shell completion: the values completed from the ledger, and the answer to the shell.

`marry --install-completion` and `--show-completion` are Typer's (bash, zsh, fish). The
shell then runs `marry` with `_MARRY_COMPLETE` set on every TAB, and these callbacks offer
customer names, owners, tags and unresolved promises from the ledger that `--db` (as typed
so far), MARRY_DB or the config file names. Whatever is printed lands in the shell, so
completion is silent on any error: nothing offered, never a message or a traceback.
"""

import re
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any, TypeVar

import typer  # the callbacks' annotations are read by Typer, at run time (not strings: cheaper)

if TYPE_CHECKING:
    from marrycli.settings import Setting

T = TypeVar("T")
_HELP_MAX = 60  # characters of a promise's text shown beside its number


def customers(ctx: typer.Context, incomplete: str) -> list[str]:
    """Customer names (and names merged into them) from the ledger."""
    from marrycli.service.completion import customer_names

    return _quietly(lambda: customer_names(_db(ctx), incomplete))


def owners(ctx: typer.Context) -> list[str]:
    """Owners of recent promises."""
    from marrycli.service.completion import owner_names

    return _quietly(lambda: owner_names(_db(ctx)))


def tags(ctx: typer.Context) -> list[str]:
    """Tags of recent promises."""
    from marrycli.service.completion import tag_names

    return _quietly(lambda: tag_names(_db(ctx)))


def open_promises(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Numbers of unresolved promises, each with its text."""
    from marrycli.service.completion import unresolved_promises

    found = _quietly(lambda: unresolved_promises(_db(ctx), incomplete))
    return [(str(number), _help(text)) for number, text in found]


def _db(ctx: typer.Context) -> "Setting":
    """The ledger of the command line being completed: its --db, else MARRY_DB, the file."""
    from marrycli import settings

    return settings.Settings({"db": ctx.find_root().params.get("db")}).db()


def _help(text: str) -> str:
    """A promise's text as a completion's description: one short line, markup inert."""
    from rich.markup import escape

    from marrycli.render.safety import visible

    shown = " ".join(visible(text).split())
    if len(shown) > _HELP_MAX:
        shown = shown[: _HELP_MAX - 1] + "…"
    return escape(shown)  # Typer renders descriptions as Rich markup for zsh and fish


def _quietly(find: Callable[[], list[T]]) -> list[T]:
    try:
        return find()
    except Exception:  # a bad config, a damaged or unreachable ledger: offer nothing
        return []


def answer(complete: Callable[[], None]) -> None:
    """Run Typer's answer to the shell, with bash's words escaped; silent on any error."""
    with suppress(ImportError):  # a Typer that keeps its completion classes elsewhere
        _escape_for_bash()
    try:
        complete()
    except Exception:
        raise SystemExit(1) from None


def _escape_for_bash() -> None:
    """Typer's bash script inserts a value as it is: `Acme Corp` would become two words.

    Its completion class is replaced by one that escapes what the shell would split or
    expand (as `shlex.quote` counts safe), so the value arrives as one word.
    """
    from typer._click.shell_completion import add_completion_class
    from typer._completion_classes import BashComplete

    unsafe = re.compile(r"[^\w@%+=:,./-]")

    class EscapedBashComplete(BashComplete):
        def format_completion(self, item: Any) -> str:
            return unsafe.sub(r"\\\g<0>", str(item.value))

    add_completion_class(EscapedBashComplete, "bash")
