"""Help screens people read: TEXT, WHEN, ID and [a|b] choices, never Python types (<str>).

Typer writes an argument as `TEXT <str>` in help and `{TEXT}` in the usage line, and an
option without a metavar as `--customer <str>`. `MarryCommand` writes what Click would:
the metavar alone, a choice as `[a|b]`. Every `MarryTyper` command is a `MarryCommand`;
when one runs (never for its --help), the config file is read first, if needed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

import typer
from typer.core import TyperCommand
from typer.models import CommandFunctionType

from marrycli import settings

_TYPE_HINT = re.compile(r" <([^<>]*)>$")  # Typer's " <str>" at the end of an option's names


def _metavar(param: Any) -> str:
    return str(param.metavar or (param.name or "").upper())


class MarryCommand(TyperCommand):
    """A command whose usage line and help name arguments and options as people write them."""

    def invoke(self, ctx: Any) -> Any:
        # Whether notices are quiet is known before the command runs: a bad config file or
        # MARRY_QUIET stops it before any work, and a notice after a write cannot fail it.
        settings.current().quiet()
        return super().invoke(ctx)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _metavar(param)
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            names, text = record
            if param.param_type_name == "argument":
                arguments.append((_metavar(param), text))
            else:
                options.append((_TYPE_HINT.sub(partial(_readable, param=param), names), text))
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)


def _readable(found: re.Match[str], param: Any) -> str:
    """`<small|medium|large>` as Click writes a choice, `[a|b]`; any other type as a name."""
    hint = found.group(1)
    return f" [{hint}]" if "|" in hint and "[" not in hint else f" {_metavar(param)}"


class MarryTyper(typer.Typer):
    """A Typer app whose commands are MarryCommands."""

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        return super().command(name, cls=cls or MarryCommand, **kwargs)
