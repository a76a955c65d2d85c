"""`marry config`: the settings in effect and where each came from."""

import typer

from marrycli import settings
from marrycli.cli.common import FormatOption, JsonOption, output_format
from marrycli.render import Format, emit


def config(
    ctx: typer.Context,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
) -> None:
    """Show the settings in effect and where each came from.

    Each setting comes from its option, else its environment variable, else the config
    file (config.toml in the user config folder, or the file MARRY_CONFIG names), else
    its default. A database password is shown as ***.

    \b
    Examples:
      marry config
      marry --db team.db config --json
    """
    from marrycli.render.views import SettingsView
    from marrycli.service.config import effective_settings

    fmt = output_format(ctx, SettingsView, fmt, json_)
    emit(SettingsView(effective=effective_settings(settings.current())), fmt)
