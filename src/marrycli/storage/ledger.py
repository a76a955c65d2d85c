"""Opening a ledger: engines, SQLite locking, creation, schema versions and upgrades.

SQLite: WAL (switched on once, at creation), a busy timeout, `synchronous=NORMAL`,
`foreign_keys=ON`, and write transactions begun with `BEGIN IMMEDIATE` through
SQLAlchemy's documented pysqlite recipe (isolation_level None plus a `begin`
event), so concurrent writers queue up front instead of failing half-way.
PostgreSQL: psycopg 3; creation and upgrades hold an advisory lock. What a failure
means (locked, full, corrupt, unreachable ...) is told in `failures`.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, func, select, text
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from marrycli.errors import LedgerUnusable
from marrycli.storage import failures, repo, tables
from marrycli.storage.location import Location

# Schema versions: (version, name, migration). A new ledger is created at the
# latest version directly; an older one runs each later migration once, in order.
Migration = Callable[[Connection], None]


def _migrate_to_2(conn: Connection) -> None:
    """The columns of amendments and of value profiles; customers' names before their
    renames kept as aliases."""
    for table, column in (
        ("marry_event", "changes"),
        ("marry_customer_change", "tag"),
        ("marry_customer_change", "level"),
        ("marry_customer_change", "note"),
    ):
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
    repo.keep_renamed_names(conn)


def _migrate_to_3(conn: Connection) -> None:
    """The columns of standing promises: a series' terms, an occurrence's series and k (one
    row per occurrence)."""
    for column, kind in (
        ("every", "TEXT"),
        ("within", "TEXT"),
        ("until", "BIGINT"),
        ("zone", "TEXT"),
        ("series_id", "INTEGER REFERENCES marry_promise (id)"),
        ("occurrence", "INTEGER"),
    ):
        conn.exec_driver_sql(f"ALTER TABLE marry_promise ADD COLUMN {column} {kind}")
    conn.exec_driver_sql(
        "CREATE UNIQUE INDEX ix_marry_promise_occurrence ON marry_promise (series_id, occurrence)"
    )


MIGRATIONS: list[tuple[int, str, Migration | None]] = [
    (1, "create the ledger", None),
    (2, "amendments, value profiles, names kept after a rename", _migrate_to_2),
    (3, "standing promises", _migrate_to_3),
]

# "marry": serialises creation, upgrades and imports on PostgreSQL (an advisory lock).
PG_LOCK_KEY = 0x6D61727279


def schema_version() -> int:
    """The schema version this marry writes."""
    return MIGRATIONS[-1][0]


class Ledger:
    """A ledger at one location; opens connections in read or write transactions."""

    def __init__(
        self, location: Location, lock_timeout: float = 30.0, connect_timeout: int = 10
    ) -> None:
        self.location = location
        self.lock_timeout = lock_timeout
        self.connect_timeout = connect_timeout  # seconds to reach a PostgreSQL server
        self._engine: Engine | None = None
        self._begin_sql = "BEGIN"

    # -- connections -----------------------------------------------------

    @property
    def is_sqlite(self) -> bool:
        return self.location.backend == "sqlite"

    def exists(self) -> bool:
        """True if the ledger has been created (for SQLite: without touching the file)."""
        if self.is_sqlite:
            assert self.location.path is not None
            return self.location.path.exists()
        with self._errors(), self._connect() as conn, conn.begin():
            return self._version(conn) is not None

    @contextmanager
    def read(self) -> Iterator[Connection | None]:
        """A read transaction, or None when the ledger does not exist yet (nothing is created)."""
        with self._errors():
            if not self._prepare(create=False):
                yield None
                return
            with self._connect() as conn:
                self._begin_sql = "BEGIN"
                with conn.begin():
                    yield conn

    @contextmanager
    def peek(self) -> Iterator[Connection | None]:
        """A read transaction on the ledger as it is, or None when it does not exist or is not
        at this marry's schema version: nothing is created, upgraded or refused (completion)."""
        with self._errors():
            if self.is_sqlite:
                assert self.location.path is not None
                if not self.location.path.is_file():
                    yield None
                    return
            with self._connect() as conn:
                self._begin_sql = "BEGIN"
                with conn.begin():
                    yield conn if self._version(conn) == schema_version() else None

    @contextmanager
    def write(self, create: bool = True) -> Iterator[Connection | None]:
        """A write transaction holding the write lock from its start; creates the ledger if asked.

        Yields None when the ledger does not exist and `create` is false.
        """
        with self._errors():
            if not self._prepare(create=create):
                yield None
                return
            with self._connect() as conn:
                self._begin_sql = "BEGIN IMMEDIATE"
                with conn.begin():
                    if not self.is_sqlite:
                        # Short statement-level waits are the server's job; only the
                        # lock timeout needs setting per transaction.
                        conn.exec_driver_sql(
                            f"SET LOCAL lock_timeout = {int(self.lock_timeout * 1000)}"
                        )
                    yield conn

    def close(self) -> None:
        """Let go of the database (its connections are closed after each use already)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _connect(self) -> Connection:
        return self._get_engine().connect()

    def _get_engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._make_engine()
        return self._engine

    def _make_engine(self) -> Engine:
        if self.is_sqlite:
            from sqlalchemy.engine import URL

            assert self.location.path is not None
            url = URL.create("sqlite", database=str(self.location.path))
            engine = create_engine(
                url, poolclass=NullPool, connect_args={"timeout": self.lock_timeout}
            )
            busy_ms = int(self.lock_timeout * 1000)

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_connection: Any, _record: Any) -> None:
                # Let SQLAlchemy, not pysqlite, say when a transaction begins.
                dbapi_connection.isolation_level = None
                cursor = dbapi_connection.cursor()
                cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
                cursor.execute("PRAGMA foreign_keys = ON")
                cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.close()

            @event.listens_for(engine, "begin")
            def _on_begin(conn: Connection) -> None:
                conn.exec_driver_sql(self._begin_sql)

            return engine
        assert self.location.url is not None
        return create_engine(
            self.location.url,
            poolclass=NullPool,
            connect_args={"connect_timeout": self.connect_timeout, "application_name": "marry"},
        )

    # -- versions, creation and upgrades --------------------------------------

    def version(self) -> int | None:
        """The ledger's schema version, or None if it does not exist yet."""
        with self._errors():
            if self.is_sqlite and not self.exists():
                return None
            with self._connect() as conn:
                self._begin_sql = "BEGIN"
                with conn.begin():
                    return self._version(conn)

    def _prepare(self, create: bool) -> bool:
        """Make sure the ledger exists at this version; False if it does not (and not `create`)."""
        if self.is_sqlite:
            path = self.location.path
            assert path is not None
            try:
                if path.is_dir():
                    raise LedgerUnusable(
                        f"{path} is a directory, not a ledger file; give a file path"
                    )
                if not path.exists():
                    if not create:
                        return False
                    self._create_file(path)
            except OSError as error:
                raise LedgerUnusable(
                    f"cannot use the ledger {path}: {error.strerror or error}"
                ) from None
        with self._connect() as conn:
            for attempt in range(3):
                self._begin_sql = "BEGIN"
                with conn.begin():
                    version = self._version(conn)
                if version is None and not create:
                    return False
                if version is not None and version >= schema_version():
                    return True
                if version is not None and not self.is_sqlite:
                    raise LedgerUnusable(
                        f"the ledger at {self.location.display} has schema version {version}; "
                        f"this marry needs {schema_version()}: run `marry db upgrade` "
                        "(check first that every client of this ledger is up to date)"
                    )
                try:
                    self._create_or_upgrade(conn)
                    return True
                except (exc.IntegrityError, exc.ProgrammingError):
                    # PostgreSQL: another client created the ledger while this one waited
                    # for the lock, unseen by this transaction's catalog cache. A new
                    # transaction sees it.
                    if self.is_sqlite or attempt == 2:
                        raise
        return True

    def _create_file(self, path: Path) -> None:
        """Create a new SQLite ledger complete or not at all: built in a file of this process
        beside it and linked into place, so that a failure (a full disk, say) leaves nothing
        behind and a concurrent creator's ledger is never replaced."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LedgerUnusable(
                f"cannot create the folder for the ledger {path}: {error.strerror}"
            ) from None
        staging = path.with_name(f".{path.name}.create-{os.getpid()}")
        builder = Ledger(Location("sqlite", path=staging), self.lock_timeout)
        try:
            _remove_ledger_files(staging)  # a leftover of a dead process with this pid
            try:
                with builder._connect() as conn:
                    builder._create_or_upgrade(conn)
            except (exc.DBAPIError, sqlite3.Error) as error:
                raise failures.unusable(
                    self.location, self.lock_timeout, error, creating=True
                ) from None
            finally:
                builder.close()
            # FileExistsError: another process created the ledger meanwhile; use that one.
            with suppress(FileExistsError):
                os.link(staging, path)
        except OSError as error:
            raise LedgerUnusable(f"cannot create the ledger {path}: {error.strerror}") from None
        finally:
            _remove_ledger_files(staging)

    def upgrade(self) -> tuple[int, int]:
        """Bring the ledger to this marry's schema version; returns (before, after)."""
        with self._errors():
            before = self.version()
            if before is None:
                raise LedgerUnusable(
                    f"there is no ledger at {self.location.display} to upgrade; "
                    "the first `marry promise add` creates one"
                )
            with self._connect() as conn:
                self._create_or_upgrade(conn)
            return before, schema_version()

    def _create_or_upgrade(self, conn: Connection) -> None:
        """Create or upgrade inside one locked transaction, re-checking once the lock is held."""
        created = False
        self._begin_sql = "BEGIN IMMEDIATE"
        with conn.begin():
            if not self.is_sqlite:
                conn.execute(select(func.pg_advisory_xact_lock(PG_LOCK_KEY)))
            version = self._version(conn)
            now = time.time_ns() // 1000
            if version is None:
                SQLModel.metadata.create_all(conn, tables=list(tables.ALL_TABLES))
                conn.execute(
                    tables.schema_table.insert().values(
                        version=schema_version(), name=MIGRATIONS[-1][1], applied=now
                    )
                )
                created = True
            else:
                for number, name, migrate in MIGRATIONS:
                    if number > version and migrate is not None:
                        migrate(conn)
                        conn.execute(
                            tables.schema_table.insert().values(
                                version=number, name=name, applied=now
                            )
                        )
        if created and self.is_sqlite:
            self._switch_to_wal(conn)

    def _switch_to_wal(self, conn: Connection) -> None:
        """Switch a new SQLite ledger to WAL, retrying while other processes hold a lock."""
        raw = conn.connection.driver_connection
        assert raw is not None
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                raw.execute("PRAGMA journal_mode = WAL").fetchall()
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _version(self, conn: Connection) -> int | None:
        """The schema version, None for an empty database; refuses one that is not marry's."""
        if self.is_sqlite:
            names = set(
                conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
                .scalars()
                .all()
            )
            if "marry_schema" not in names:
                if names:
                    raise LedgerUnusable(
                        f"{self.location.display} is a SQLite database but not a marry ledger; "
                        "marry leaves it untouched: give another --db"
                    )
                return None
            missing = [name for name in _TABLE_NAMES if name not in names]
        else:
            found = conn.execute(
                text("SELECT " + ", ".join(f"to_regclass('{name}')" for name in _TABLE_NAMES))
            ).one()
            if found[0] is None:
                return None
            missing = [name for name, oid in zip(_TABLE_NAMES, found, strict=True) if oid is None]
        if missing:
            raise LedgerUnusable(
                f"the ledger {self.location.display} is damaged: its table {missing[0]} is "
                "missing; restore it from a backup"
            )
        version = repo.ledger_version(conn)
        if version is None:
            raise LedgerUnusable(f"{self.location.display} has no schema version; it is damaged")
        if version > schema_version():
            raise LedgerUnusable(
                f"the ledger at {self.location.display} has schema version {version}, "
                f"newer than this marry understands ({schema_version()}); upgrade marry"
            )
        return version

    def _errors(self) -> AbstractContextManager[None]:
        """The database's failures as one-line errors (`failures.translated`)."""
        return failures.translated(self.location, self.lock_timeout)


# The tables every schema version has (a migration that adds a table does not add it here:
# an older ledger lacks it until upgraded).
_TABLE_NAMES = (
    "marry_schema",
    "marry_customer",
    "marry_customer_change",
    "marry_promise",
    "marry_event",
    "marry_ref",
)


def _remove_ledger_files(path: Path) -> None:
    """Remove a SQLite file and its journals, if there."""
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
        path.with_name(name).unlink(missing_ok=True)
