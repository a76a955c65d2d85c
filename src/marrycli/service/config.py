"""`marry config`: the settings in effect, as they are used: the ledger's place resolved
(a password hidden), the user's name checked (the login name by default)."""

from __future__ import annotations

from typing import NamedTuple

from marrycli import rules
from marrycli.settings import ConfigFile, Setting, Settings


class Effective(NamedTuple):
    """What `marry config` shows: the config file, and every setting as it is used."""

    file: ConfigFile
    settings: list[Setting]


def effective_settings(found: Settings) -> Effective:
    """Every setting with the value marry uses and where it came from; BadInput if unusable."""
    from marrycli.storage.location import default_path, resolve_location

    shown = []
    for setting in found.all():
        value = setting.value
        if setting.name == "db":
            if value is None:
                value = str(default_path())
            else:
                value = resolve_location(value, setting.label).display
        elif setting.name == "user":
            value = rules.default_owner(setting)
        elif setting.name == "lock_timeout" and float(value).is_integer():
            value = int(value)
        shown.append(setting._replace(value=value))
    return Effective(file=found.file(), settings=shown)
