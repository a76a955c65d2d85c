"""The settings: each from its option, else its environment variable, else the config file,
else its default (SPEC §10), and where each came from.

`config.toml` is in the user config folder, or is the file `MARRY_CONFIG` names. It is read
once per run, and only when a setting is not given by an option or the environment: never
for `--version`, `--help` or an import. A file that cannot be read, is not TOML, has a key
that is not a setting or a value of the wrong type is bad input (exit 2) naming the file
and the key; a missing file at the default place is no file (every setting its default).

The command line configures the run (`configure`); everything else asks `current()`. This
module is the only reader of marry's settings variables (MARRY_DB, MARRY_USER,
MARRY_STRICT, MARRY_LOCK_TIMEOUT, MARRY_QUIET, MARRY_CONFIG); standard library only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, NamedTuple

from marrycli.errors import BadInput

Source = Literal["option", "environment", "file", "default"]

# The settings, in the order `marry config` shows them, with their variables and options.
NAMES = ("db", "user", "strict", "lock_timeout", "quiet")
VARIABLES = {
    "db": "MARRY_DB",
    "user": "MARRY_USER",
    "strict": "MARRY_STRICT",
    "lock_timeout": "MARRY_LOCK_TIMEOUT",
    "quiet": "MARRY_QUIET",
}
OPTIONS = {"db": "--db", "strict": "--strict", "quiet": "--quiet"}
CONFIG_VARIABLE = "MARRY_CONFIG"
LOCK_TIMEOUT_DEFAULT = 30.0
LOCK_TIMEOUT_MAX = 86400.0  # a day: more is a mistake, not a wait
_FILE_MAX = 1 << 20  # bytes: a config file is a few lines

_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f"}


# NamedTuples, not dataclasses: every command imports this module, `marry --help` included.
class Setting(NamedTuple):
    """A setting's value and where it came from: `origin` is the option, the environment
    variable or the config file's path (None for the default)."""

    name: str
    value: Any
    source: Source
    origin: str | None = None

    @property
    def label(self) -> str:
        """How a message names where the value came from: `--db`, `MARRY_DB`, `FILE: db`."""
        if self.source == "file":
            return f"{self.origin}: {self.name}"
        return self.origin or f"the default {self.name}"


class ConfigFile(NamedTuple):
    """Where the config file is, who said so, and whether there is one."""

    path: Path
    source: Source  # "environment" (MARRY_CONFIG) or "default"
    found: bool


def config_path() -> tuple[Path, Source]:
    """The config file's path: $MARRY_CONFIG, else config.toml in the user config folder."""
    named = os.environ.get(CONFIG_VARIABLE, "")
    if named.strip():
        try:
            return Path(named).expanduser().absolute(), "environment"
        except (RuntimeError, OSError):  # ~name of no user; the current folder is gone
            raise BadInput(
                f"{CONFIG_VARIABLE}={named!r} cannot be made a full path; give it in full"
            ) from None
    from platformdirs import user_config_dir

    return Path(user_config_dir("marry", appauthor=False)) / "config.toml", "default"


class Settings:
    """The settings of one run: options given, then the environment, the file, the defaults.

    Each setting is worked out when first asked for, and the file read at most once.
    """

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self._options = {k: v for k, v in (options or {}).items() if v is not None}
        unknown = set(self._options) - set(OPTIONS)
        assert not unknown, f"no option for {unknown}"
        self._found: dict[str, Setting] = {}
        self._file: tuple[ConfigFile, dict[str, Any]] | None = None

    def db(self) -> Setting:
        """The ledger: a path or URL as given, or None for the default (storage knows where)."""
        return self._get("db")

    def user(self) -> Setting:
        """Who is at the keyboard, or None for the login name."""
        return self._get("user")

    def strict(self) -> Setting:
        """Whether `promise add` refuses risky promises."""
        return self._get("strict")

    def lock_timeout(self) -> Setting:
        """Seconds a writer waits for another one, 0 to a day."""
        return self._get("lock_timeout")

    def quiet(self) -> Setting:
        """Whether notices and warnings are silenced."""
        return self._get("quiet")

    def all(self) -> list[Setting]:
        """Every setting, in the order of NAMES."""
        return [self._get(name) for name in NAMES]

    def file(self) -> ConfigFile:
        """The config file (read, and checked, if it was not yet)."""
        return self._read_file()[0]

    def _get(self, name: str) -> Setting:
        if name not in self._found:
            self._found[name] = self._resolve(name)
        return self._found[name]

    def _resolve(self, name: str) -> Setting:
        if name in self._options:
            return Setting(name, self._options[name], "option", OPTIONS[name])
        variable = VARIABLES[name]
        raw = os.environ.get(variable, "")
        if raw.strip():
            return Setting(name, _from_environment(name, variable, raw), "environment", variable)
        config, values = self._read_file()
        if name in values:
            return Setting(name, values[name], "file", str(config.path))
        return Setting(name, _DEFAULTS[name], "default")

    def _read_file(self) -> tuple[ConfigFile, dict[str, Any]]:
        if self._file is None:
            self._file = _load(*config_path())
        return self._file


_DEFAULTS: dict[str, Any] = {
    "db": None,
    "user": None,
    "strict": False,
    "lock_timeout": LOCK_TIMEOUT_DEFAULT,
    "quiet": False,
}


def _from_environment(name: str, variable: str, raw: str) -> Any:
    """A setting's value from its environment variable (set, not blank); BadInput if unusable."""
    if name == "db":
        return raw  # as given: storage says what is wrong with it
    if name == "user":
        return raw.strip()
    if name == "lock_timeout":
        try:
            seconds = float(raw)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= LOCK_TIMEOUT_MAX:
            raise BadInput(
                f"{variable}={raw!r} is not a number of seconds from 0 to {LOCK_TIMEOUT_MAX:.0f}"
            )
        return seconds
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise BadInput(f"{variable}={raw!r} is neither true nor false; set it to 1 or 0")


# -- the config file ------------------------------------------------------------------------


def _load(path: Path, source: Source) -> tuple[ConfigFile, dict[str, Any]]:
    """The file's settings, checked; none when there is no file at the default place."""
    try:
        with path.open("rb") as stream:
            data = stream.read(_FILE_MAX + 1)
    except FileNotFoundError:
        if source == "default":
            return ConfigFile(path, source, found=False), {}
        raise BadInput(
            f"{CONFIG_VARIABLE} names {path}, which does not exist; "
            f"create it, or unset {CONFIG_VARIABLE}"
        ) from None
    except OSError as error:
        raise BadInput(f"{path}: cannot read the config file: {error.strerror or error}") from None
    if len(data) > _FILE_MAX:
        raise BadInput(f"{path}: the config file is over {_FILE_MAX:,} bytes; is it the right one?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInput(
            f"{path}: the config file is not UTF-8 (byte {error.start + 1}); save it as UTF-8"
        ) from None
    import tomllib

    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"{path}: not valid TOML: {error}") from None
    values = {}
    for key, value in table.items():
        if key not in _CHECKS:
            raise BadInput(
                f"{path}: unknown key {_shown(key)}; the keys are {', '.join(NAMES[:-1])} "
                f"and {NAMES[-1]}"
            )
        values[key] = _CHECKS[key](path, value)
    return ConfigFile(path, source, found=True), values


def _text(path: Path, key: str, value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise BadInput(f"{path}: {key} must be {what} in quotes, not {_shown(value)}")
    return value


def _db(path: Path, value: Any) -> str:
    """A file path or URL; a relative file path is relative to the config file's folder."""
    db = _text(path, "db", value, "a file path or URL")
    folder = path.parent
    if db.lower().startswith("sqlite:///"):
        rest = db[len("sqlite:///") :]
        if rest and rest != ":memory:" and not rest.startswith(("/", "~")):
            return "sqlite:///" + str(folder / rest)
        return db
    if db.strip() and "://" not in db and not db.startswith("~") and not Path(db).is_absolute():
        return str(folder / db)
    return db


def _user(path: Path, value: Any) -> str:
    user = _text(path, "user", value, "a name").strip()
    if not user:
        raise BadInput(f"{path}: user is empty; give a name, or remove the line")
    return user


def _flag(key: str) -> Any:
    def check(path: Path, value: Any) -> bool:
        if not isinstance(value, bool):
            raise BadInput(f"{path}: {key} must be true or false, not {_shown(value)}")
        return value

    return check


def _seconds(path: Path, value: Any) -> float:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not 0 <= value <= LOCK_TIMEOUT_MAX:
        raise BadInput(
            f"{path}: lock_timeout must be a number of seconds from 0 to "
            f"{LOCK_TIMEOUT_MAX:.0f}, not {_shown(value)}"
        )
    return float(value)


_CHECKS = {
    "db": _db,
    "user": _user,
    "strict": _flag("strict"),
    "lock_timeout": _seconds,
    "quiet": _flag("quiet"),
}


def _shown(value: Any) -> str:
    """A TOML value as the file wrote it (about): "ten", 10, true, a table, a date."""
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = json.dumps(value if len(value) <= 40 else value[:39] + "…", ensure_ascii=False)
        return shown
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return "a date or time"


# -- the run's settings ---------------------------------------------------------------------

_current: Settings | None = None


def configure(*, db: str | None = None, quiet: bool | None = None) -> Settings:
    """Start a run with the global options given (None: not given) and return its settings."""
    global _current
    _current = Settings({"db": db, "quiet": quiet})
    return _current


def current() -> Settings:
    """The settings of this run (without `configure`: environment, file and defaults)."""
    global _current
    if _current is None:
        _current = Settings()
    return _current


def forget() -> None:
    """End the run: the next `current()` starts afresh (in-process runs, tests)."""
    global _current
    _current = None
