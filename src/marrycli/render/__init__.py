"""Rendering: a view (what a command shows) in a format (how), through one `emit`.

This package owns the `Format` enum, the registry of renderers and `emit`. Each format's
renderers live in their own modules, imported only when that format is asked for
(`tables` needs Rich; `documents` does not). A renderer registers itself for a view type
with `@renders(View, Format.X)`; a view a format has no renderer for is bad input,
refused by `require` before the command does any work. A new format is one module of
renderers plus its line in `_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import IO, Any, TypeVar

from marrycli.errors import BadInput


class Format(StrEnum):
    """What `--format` takes: table for people, json and csv for scripts, html for a browser."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    HTML = "html"


# Where each format's renderers are; importing the modules registers them.
_MODULES: dict[Format, tuple[str, ...]] = {
    Format.TABLE: (
        "marrycli.render.tables",
        "marrycli.render.report_tables",
        "marrycli.render.settings_tables",
    ),
    Format.JSON: ("marrycli.render.documents", "marrycli.render.report_documents"),
    Format.CSV: ("marrycli.render.documents", "marrycli.render.report_documents"),
    Format.HTML: ("marrycli.render.html",),
}

# Views with renderers in a small module of their own, tried before a format's modules: a
# write (`PromiseWritten`) in the table format loads neither Rich nor the tables.
_OWN_MODULES: dict[str, str] = {"PromiseWritten": "marrycli.render.written"}


class Notice(str):
    """What a renderer says on stderr instead of data (an empty table: "no promises match")."""

    __slots__ = ()


# What a renderer returns: text for stdout as is (JSON, CSV, plain lines), a notice, Rich
# renderables for stdout (separated by a blank line), or text in pieces (a page, streamed).
Rendered = str | list[Any] | Iterator[str]
V = TypeVar("V")
RendererOf = Callable[[V], Rendered]
Renderer = Callable[[Any], Rendered]

_registry: dict[tuple[type, Format], Renderer] = {}


def renders(view: type[V], fmt: Format) -> Callable[[RendererOf[V]], RendererOf[V]]:
    """Register the decorated function as the renderer of `view` in `fmt`."""

    def register(function: RendererOf[V]) -> RendererOf[V]:
        _registry[(view, fmt)] = function
        return function

    return register


def _load(fmt: Format) -> None:
    for module in _MODULES[fmt]:
        importlib.import_module(module)


def _found(view: type, fmt: Format) -> bool:
    """True once `view` has a renderer in `fmt`: its own module's, else its format's."""
    own = _OWN_MODULES.get(view.__name__)
    if own is not None:
        importlib.import_module(own)
        if (view, fmt) in _registry:
            return True
    _load(fmt)
    return (view, fmt) in _registry


def formats_of(view: type) -> list[Format]:
    """The formats `view` can be shown in."""
    return [fmt for fmt in Format if _found(view, fmt)]


def require(view: type, fmt: Format, command: str | None = None) -> Format:
    """`fmt`, if `view` can be shown in it; BadInput (exit 2) naming the formats it has.

    The message names the view's `WHAT`, else `command` (the command that ran).
    """
    if _found(view, fmt):
        return fmt
    what = getattr(view, "WHAT", None) or (f"`{command}`" if command else "this command")
    why = " (its output is not a table)" if fmt is Format.CSV else ""
    offered = [f.value for f in formats_of(view)]
    raise BadInput(f"{what} has no {fmt.value} output{why}; use --format {_one_of(offered)}")


def _one_of(words: list[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    return " or ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def emit(view: object, fmt: Format, file: IO[str] | None = None) -> None:
    """Show `view` in `fmt`: data on stdout (or `file`), or a notice on stderr."""
    from marrycli.render import output

    require(type(view), fmt)
    with output.writing_to(file):
        rendered = _registry[(type(view), fmt)](view)
        if isinstance(rendered, Notice):
            output.notice(rendered)
        elif isinstance(rendered, str):
            if rendered:  # `check` with nothing found prints nothing
                output.emit_text(rendered)
        elif isinstance(rendered, Iterator):
            output.emit_pieces(rendered)
        else:
            output.emit_renderables(*rendered)
