"""What a database failure means, in one line: SQLite's and PostgreSQL's errors told apart
(locked, full, corrupt, damaged, refused login, unreachable server ...), each with what to
do, and the URL's password scrubbed from whatever the server said.

`translated` wraps every use of a ledger (`Ledger` opens its transactions inside it).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from marrycli.errors import BadInput, LedgerUnusable, MarryError
from marrycli.storage.location import Location
from marrycli.storage.repo import Damage


@contextmanager
def translated(location: Location, lock_timeout: float) -> Iterator[None]:
    """Turn the database's failures into LedgerUnusable, with the password scrubbed."""
    try:
        yield
    except Damage as damage:
        raise LedgerUnusable(
            f"the ledger {location.display} is damaged: {damage.problem}; "
            "`marry db check` lists its problems"
        ) from None
    except exc.ProgrammingError as error:
        # A table or column gone (renamed behind marry's back) is a damaged ledger;
        # any other ProgrammingError is a bug of ours, not a state of the ledger.
        if getattr(error.orig, "sqlstate", None) in _DAMAGED_SQLSTATES:
            raise damaged(location, error) from None
        raise
    except exc.IntegrityError:
        raise  # a bug of ours, not a state of the ledger
    except exc.DBAPIError as error:
        raise unusable(location, lock_timeout, error) from None
    except sqlite3.Error as error:  # raised through the raw connection (WAL switch)
        raise unusable(location, lock_timeout, error) from None


def damaged(location: Location, error: BaseException) -> LedgerUnusable:
    """A ledger whose tables were changed behind marry's back."""
    original = getattr(error, "orig", error)
    detail = location.scrub(_first_line(original))
    return LedgerUnusable(
        f"the ledger {location.display} is damaged ({detail}); restore it from a backup"
    )


def unusable(
    location: Location, lock_timeout: float, error: BaseException, creating: bool = False
) -> MarryError:
    """Why the ledger cannot be used (or, `creating`, created), from the database's error."""
    original = getattr(error, "orig", error)
    message = _first_line(original)
    where = location.display
    lowered = message.lower()
    if location.backend == "sqlite":
        if "locked" in lowered:
            return LedgerUnusable(
                f"the ledger {where} stayed locked for more than {lock_timeout:g} s "
                "by another writer; try again, or raise MARRY_LOCK_TIMEOUT"
            )
        if "full" in lowered:
            doing = "create" if creating else "write to"
            return LedgerUnusable(
                f"cannot {doing} the ledger {where}: the disk is full; "
                "free some space and try again"
            )
        if "not a database" in lowered:
            return LedgerUnusable(f"{where} is not a marry ledger (not a SQLite database)")
        if "malformed" in lowered or "corrupt" in lowered:
            return LedgerUnusable(
                f"the ledger {where} is corrupt ({message}); restore it from a backup"
            )
        if "no such table" in lowered or "no such column" in lowered:
            return damaged(location, error)
        if "unable to open" in lowered or "readonly" in lowered:
            return LedgerUnusable(f"cannot open the ledger {where}: {message}")
        if creating:
            return LedgerUnusable(f"cannot create the ledger {where}: {message}")
        return LedgerUnusable(f"cannot use the ledger {where}: {message}")
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate == "55P03":
        return LedgerUnusable(
            f"the ledger {where} stayed locked for more than {lock_timeout:g} s; "
            "try again, or raise MARRY_LOCK_TIMEOUT"
        )
    if isinstance(error, exc.OperationalError) and sqlstate is None:
        return _connection_failed(location, str(original))
    message = location.scrub(message)
    return LedgerUnusable(f"cannot use the PostgreSQL ledger {where}: {message}")


def _connection_failed(location: Location, message: str) -> MarryError:
    """Why a connection to PostgreSQL failed, told apart, with what to do.

    libpq does not pass the server's SQLSTATE on for a failed connection, so its
    (English) message is read; anything unrecognised is shown as it is.
    """
    where = location.display
    reason = location.scrub(_connection_reason(message))
    lowered = reason.lower()
    if lowered.startswith("invalid") and " value" in lowered:  # libpq read the URL's options
        return BadInput(
            f"the PostgreSQL URL {where} has an option value libpq refuses ({reason}); "
            "see libpq's connection parameters"
        )
    if "database" in lowered and "does not exist" in lowered:
        return LedgerUnusable(
            f"the PostgreSQL server has no database for the ledger {where} ({reason}); "
            f"create it with `{_createdb_command(location, reason)}` and marry creates its "
            "tables on the first write, or fix the database name in the URL"
        )
    if any(words in lowered for words in _AUTHENTICATION_FAILED):
        return LedgerUnusable(
            f"the PostgreSQL server refused the login to the ledger {where} ({reason}); "
            "check the user name and password (in the URL, PGPASSWORD or ~/.pgpass) "
            "and that the server's pg_hba.conf lets this user in"
        )
    if any(words in lowered for words in _NOT_NOW):
        return LedgerUnusable(
            f"the PostgreSQL server of the ledger {where} does not take connections now "
            f"({reason}); try again shortly"
        )
    if any(words in lowered for words in _UNREACHABLE):
        return LedgerUnusable(
            f"cannot reach the PostgreSQL server of the ledger {where} ({reason}); "
            "check that it is running and that the URL's host and port are right"
        )
    return LedgerUnusable(f"cannot connect to the PostgreSQL ledger {where}: {reason}")


def _createdb_command(location: Location, reason: str) -> str:
    """The `createdb` command that creates the database a PostgreSQL URL names."""
    import shlex

    from sqlalchemy.engine import make_url

    assert location.url is not None
    url = make_url(location.url)
    named = re.search(r'database "(.*)" does not exist', reason)
    database = url.database or (named.group(1) if named else "NAME")
    words = ["createdb"]
    host = url.host or url.query.get("host")
    if isinstance(host, str) and host:
        words += ["-h", host]
    if url.port:
        words += ["-p", str(url.port)]
    if url.username:
        words += ["-U", url.username]
    words.append(database)
    return " ".join(shlex.quote(word) for word in words)


# Failed logins, connections refused for now, and servers not reached, as libpq says them.
_AUTHENTICATION_FAILED = (
    "authentication failed",
    "password authentication",
    "no password supplied",
    "role ",
    "pg_hba.conf",
    "permission denied for database",
    "not permitted to log in",
)
_NOT_NOW = ("starting up", "shutting down", "too many clients", "remaining connection slots")
_UNREACHABLE = (
    "connection refused",
    "could not connect",
    "could not translate host name",
    "failed to resolve host",
    "name or service not known",
    "no route to host",
    "network is unreachable",
    "timeout expired",
    "timed out",
    "no such file or directory",
    "server closed the connection",
)

# undefined table, undefined column: the ledger's tables were changed behind marry's back.
_DAMAGED_SQLSTATES = frozenset({"42P01", "42703"})


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _connection_reason(message: str) -> str:
    """The gist of libpq's connection message: the server's FATAL text, or the socket error."""
    first = message.strip().splitlines()[0] if message.strip() else message
    if "FATAL:" in first:
        return first.rsplit("FATAL:", 1)[1].strip()
    if " failed: " in first:
        return first.rsplit(" failed: ", 1)[1].strip()
    return first.removeprefix("connection failed: ").removeprefix("connection is bad: ").strip()
