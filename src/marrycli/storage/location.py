"""Where the ledger is: `--db` / `MARRY_DB` as a path or a URL, resolved without opening anything.

Kept free of SQLAlchemy so that a bad `--db` is reported before any heavy import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from marrycli.errors import BadInput

_POSTGRES_SCHEMES = ("postgresql+psycopg", "postgresql", "postgres")


@dataclass(frozen=True, slots=True)
class Location:
    """A ledger's location: a SQLite file or a PostgreSQL URL."""

    backend: str  # "sqlite" | "postgresql"
    path: Path | None = None  # the SQLite file
    url: str | None = None  # the PostgreSQL URL, with the psycopg driver
    password: str | None = None  # kept only to scrub it from messages

    @property
    def display(self) -> str:
        """The location as shown to people: a path, or the URL with its password hidden."""
        if self.path is not None:
            return str(self.path)
        assert self.url is not None
        return self.scrub(self.url)

    def scrub(self, text: str) -> str:
        """Remove the URL's password from any text (an error message, say)."""
        if self.password:
            return text.replace(self.password, "***")
        return text


def default_path() -> Path:
    """`ledger.db` in the user data directory (platformdirs)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("marry", appauthor=False)) / "ledger.db"


def resolve_location(db: str | None) -> Location:
    """Turn `--db`, else `$MARRY_DB`, else the default into a Location; BadInput if unsupported."""
    if db is None:
        db = os.environ.get("MARRY_DB") or None
    if db is None:
        return Location("sqlite", path=default_path())
    if not db.strip():
        raise BadInput("--db is empty; give a file path, sqlite:///PATH or postgresql+psycopg://…")
    if "://" not in db:
        return Location("sqlite", path=_file(db))
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
        return Location("sqlite", path=_file(path))
    if scheme in _POSTGRES_SCHEMES:
        url = "postgresql+psycopg://" + rest
        password = urlsplit(url).password
        return Location("postgresql", url=url, password=password)
    shown = scheme if len(scheme) <= 40 else scheme[:40] + "…"
    raise BadInput(
        f"unsupported database URL scheme {shown!r}; "
        "use a file path, sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
    )


def _file(path: str) -> Path:
    return Path(path).expanduser().absolute()
