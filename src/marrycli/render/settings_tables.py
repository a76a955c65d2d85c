"""`marry config` for people: each setting, its value and where it came from, then where
the config file is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marrycli.render import Format, renders
from marrycli.render.layout import Column, fit_table
from marrycli.render.output import console
from marrycli.render.safety import visible
from marrycli.render.views import SettingsView

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from marrycli.service.config import Effective
    from marrycli.settings import ConfigFile, Setting


def settings_table(effective: Effective, console: Console) -> Table:
    """Setting, value, and where it came from: an option, a variable, the file, the default."""
    from rich.text import Text

    rows: list[list[str | Text]] = [
        [s.name, Text(visible(_value(s))), Text(visible(_origin(s)))] for s in effective.settings
    ]
    # A path or URL is one long token: folded over lines rather than cut, so it can be copied.
    columns = [
        Column("Setting"),
        Column("Value", "text", overflow="fold"),
        Column("From", "text", overflow="fold", min_width=12),
    ]
    return fit_table(console, columns, rows)


def file_line(file: ConfigFile) -> Text:
    """Where the config file is (and who said so), and whether there is one."""
    from rich.text import Text

    named = " (MARRY_CONFIG)" if file.source == "environment" else ""
    missing = "" if file.found else "; there is none"
    return Text(f"Config file: {visible(str(file.path))}{named}{missing}")


def _value(setting: Setting) -> str:
    value = setting.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if setting.name == "lock_timeout":
        return f"{value:g} s"
    return str(value)


def _origin(setting: Setting) -> str:
    if setting.source == "file":
        return "config file"
    if setting.source == "default":
        return "default (login name)" if setting.name == "user" else "default"
    return f"{setting.source} {setting.origin}"  # option --db, environment MARRY_DB


@renders(SettingsView, Format.TABLE)
def _settings(view: SettingsView) -> list[Any]:
    return [settings_table(view.effective, console()), file_line(view.effective.file)]
