"""Where the ledger is: the `db` setting as a path or a URL, resolved without opening anything.

Every way of naming a ledger goes through `resolve_location`, which refuses what cannot
work (exit 2) before anything is opened. A PostgreSQL URL is parsed here with the
standard library, carefully: its password may hold `@`, and no error message ever
echoes a piece of a URL that might be part of a password. SQLAlchemy is imported only
to render an accepted URL (and psycopg only to know libpq's option names): a file path
costs neither.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote

from marrycli.errors import BadInput

_POSTGRES_SCHEMES = ("postgresql+psycopg", "postgresql", "postgres")
_NAME_MAX = 255  # bytes in one file name (Linux, macOS, Windows)
_PATH_MAX = 4095  # bytes in a whole path (Linux's PATH_MAX, 4,096 with its NUL)
_ENCODING_HINT = "write @ : / ? # % in a user name or password as %40 %3A %2F %3F %23 %25"
_OPTION_NAME = re.compile(r"[a-z_]{1,40}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Location:
    """A ledger's location: a SQLite file or a PostgreSQL URL."""

    backend: str  # "sqlite" | "postgresql"
    path: Path | None = None  # the SQLite file
    url: str | None = None  # the PostgreSQL URL, with the psycopg driver (holds the password)
    password: str | None = None  # kept only to scrub it from the server's messages
    shown: str | None = None  # the PostgreSQL URL with its password hidden

    @property
    def display(self) -> str:
        """The location as shown to people: a path, or the URL with only its password hidden."""
        if self.path is not None:
            return str(self.path)
        assert self.shown is not None
        return self.shown

    def scrub(self, text: str) -> str:
        """Hide the URL's password wherever it stands alone in a text (a server message, say)."""
        if not self.password:
            return text
        secret = re.escape(self.password)
        return re.sub(rf"(?<![^\W_]){secret}(?![^\W_])", "***", text)


def default_path() -> Path:
    """`ledger.db` in the user data directory (platformdirs)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("marry", appauthor=False)) / "ledger.db"


def resolve_location(db: str | None, source: str = "--db") -> Location:
    """Turn the `db` setting (None: the default) into a Location; BadInput if unusable.

    `source` names where `db` came from in messages: `--db`, `MARRY_DB`, `FILE: db`.
    """
    if db is None:
        return Location("sqlite", path=default_path())
    if not db.strip():
        raise BadInput(
            f"{source} is empty; give a file path, sqlite:///PATH or postgresql+psycopg://…"
        )
    if "://" not in db:
        return Location("sqlite", path=_file(source, db))
    scheme, _, rest = db.partition("://")
    scheme = scheme.lower()
    if scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as in SQLAlchemy.
        path = rest[1:] if rest.startswith("/") else rest
        if not path or path == ":memory:":
            raise BadInput(
                "an in-memory ledger would be lost when marry exits; give a file: sqlite:///PATH"
            )
        if "?" in path:
            raise BadInput("sqlite URLs take no options here; give sqlite:///PATH")
        return Location("sqlite", path=_file(source, path))
    if scheme in _POSTGRES_SCHEMES:
        return postgres_location(source, rest)
    shown = scheme if len(scheme) <= 40 else scheme[:40] + "…"
    raise BadInput(
        f"unsupported database URL scheme {shown!r}; "
        "use a file path, sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
    )


# -- SQLite files ----------------------------------------------------------------------------


def _file(source: str, text: str) -> Path:
    """The absolute path of a ledger file; BadInput for one no file system could hold."""
    if "\0" in text:
        raise BadInput(f"{source}: a file path cannot contain a NUL character")
    try:
        path = Path(text).expanduser().absolute()
    except RuntimeError:  # ~name of no user, or ~ without a home
        head = text.split("/", 1)[0]
        raise BadInput(
            f"{source}: cannot expand {_short(head)}: there is no such user or home folder; "
            "give the path in full"
        ) from None
    except OSError as error:  # the current folder is gone
        raise BadInput(
            f"{source}: cannot make {_short(text)} absolute ({error.strerror}); "
            "give an absolute path"
        ) from None
    try:
        encoded = os.fsencode(path)
    except UnicodeError:
        raise BadInput(f"{source}: {_short(text)} cannot be encoded as a file name") from None
    if len(encoded) > _PATH_MAX:
        raise BadInput(
            f"{source}: the path is {len(encoded):,} bytes long; the limit is {_PATH_MAX:,}"
        )
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > _NAME_MAX:
            raise BadInput(
                f"{source}: the name {_short(part)} is {size:,} bytes long; "
                f"a file or folder name has at most {_NAME_MAX}"
            )
    return path


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


# -- PostgreSQL URLs -----------------------------------------------------------------------


def postgres_location(source: str, rest: str) -> Location:
    """A Location for `postgresql+psycopg://` + `rest`; BadInput naming what is wrong.

    The authority ends at the first `/`, `?` or `#`; within it, the user information ends at
    the last `@` (as browsers read URLs), so an unencoded `@` in a password works.
    """

    def refuse(problem: str) -> BadInput:
        return BadInput(f"{source}: the PostgreSQL URL {problem}")

    if "#" in rest:
        raise refuse(f"contains '#'; {_ENCODING_HINT}")
    end = len(rest)
    for mark in "/?":
        found = rest.find(mark)
        if found != -1:
            end = min(end, found)
    authority, remainder = rest[:end], rest[end:]
    path, _, query = remainder.partition("?")
    if "@" in path or ("@" in query and "@" not in authority):
        raise refuse(f"has '@' after its host; {_ENCODING_HINT}")
    userinfo, at, hostport = authority.rpartition("@")
    user = password = None
    if at:
        name, colon, secret = userinfo.partition(":")
        user = unquote(name) or None
        password = unquote(secret) if colon else None
    host, port = _host_port(hostport, refuse)
    database = unquote(path[1:]) if path else None
    options = _options(query, refuse)
    if "password" in options:
        if password is not None:
            raise refuse("gives a password twice (before the host and as ?password=); give one")
        password = options.pop("password")  # shown hidden, like any password
    if "port" in options:
        port = _port(options.pop("port"), refuse)
    if "user" in options:
        if user is not None:
            raise refuse("gives the user twice (before the host and as ?user=); give one")
        user = options.pop("user") or None
    if "dbname" in options:
        if database:
            raise refuse("gives the database twice (after the host and as ?dbname=); give one")
        database = options.pop("dbname") or None
    if host is not None and "/" in host:  # a Unix socket's folder, percent-encoded as the host
        if "host" in options:
            raise refuse("gives the host twice (before the path and as ?host=); give one")
        options["host"], host = host, None

    from sqlalchemy.engine import URL

    url = URL.create(
        "postgresql+psycopg",
        username=user,
        password=password,
        host=host,
        port=port,
        database=database,
        query=options,
    )
    return Location(
        "postgresql",
        url=url.render_as_string(hide_password=False),
        password=password,
        shown=url.render_as_string(hide_password=True),
    )


def _host_port(hostport: str, refuse: Callable[[str], BadInput]) -> tuple[str | None, int | None]:
    if "," in hostport:
        raise refuse("names several hosts; marry connects to one: give one HOST[:PORT]")
    port_text = None
    if hostport.startswith("["):
        closing = hostport.find("]")
        if closing == -1:
            raise refuse("has a '[' without its ']' around an IPv6 address: write [::1]")
        host = hostport[1:closing]
        after = hostport[closing + 1 :]
        if after:
            if not after.startswith(":"):
                raise refuse("has text after the ']' of its IPv6 address; write [ADDRESS]:PORT")
            port_text = after[1:]
    else:
        if "[" in hostport or "]" in hostport:
            raise refuse("has a '[' or ']' outside an IPv6 address; write [::1]:5432")
        host, colon, after = hostport.partition(":")
        if colon:
            port_text = after
    if any(c.isspace() for c in host):
        raise refuse("has white space in its host")
    port = _port(port_text, refuse) if port_text else None
    return unquote(host) or None, port


def _port(text: str, refuse: Callable[[str], BadInput]) -> int:
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 65535):
        raise refuse("has a port that is not a number from 1 to 65535")
    return int(text)


def _options(query: str, refuse: Callable[[str], BadInput]) -> dict[str, str]:
    """The URL's `?KEY=VALUE&…` options: each one of libpq's, each once."""
    if not query:
        return {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise refuse(f"has options that are not KEY=VALUE&KEY=VALUE; {_ENCODING_HINT}") from None
    known = _libpq_options()
    options: dict[str, str] = {}
    for key, value in pairs:
        if not _OPTION_NAME.fullmatch(key):
            raise refuse(f"has an option name that is not a word; {_ENCODING_HINT}")
        if key not in known:
            raise refuse(
                f"has the option {key!r}, which PostgreSQL does not know "
                "(see libpq's connection parameters: sslmode, connect_timeout, options, …)"
            )
        if key in options:
            raise refuse(f"gives the option {key!r} twice")
        options[key] = value
    return options


def _libpq_options() -> frozenset[str]:
    """The connection parameters this libpq knows (`sslmode`, `options`, …)."""
    from psycopg import pq

    return frozenset(option.keyword.decode() for option in pq.Conninfo.get_defaults())
