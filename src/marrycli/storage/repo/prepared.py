"""The write path's statements, compiled once per process and run on the driver's cursor.

A write runs a handful of narrow statements (a ref looked up, a promise locked and read, a
row appended), and `marry batch` runs them for every line. SQLAlchemy's `Connection.execute`
costs about 15 µs a statement even when its compiled cache hits (the cache key, an execution
context, a result object): three times what SQLite takes to run one of these. A `Prepared`
statement is written in SQLAlchemy Core like any query (one definition, each dialect's SQL
from it), compiled the first time a dialect needs it, then executed straight on the DBAPI
cursor of the transaction's connection: the same transaction, and the driver's errors
raised as SQLAlchemy's (`DBAPIError.instance`), so `failures` tells them apart as before.

A statement that needs what only `Connection.execute` does (types that convert values on
the way in or out, parameters expanded at run time) runs through it instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import ClauseElement, Executable

Row = Sequence[Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A statement's SQL in one dialect, and how its parameters go to the driver."""

    sql: str
    positions: tuple[str, ...] | None  # the parameters' names in order (a positional driver)
    fixed: dict[str, Any]  # the values of the literals the statement binds itself
    returns_rows: bool

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = {**self.fixed, **params} if self.fixed else params
        if self.positions is not None:
            return tuple(map(values.__getitem__, self.positions))
        return dict(values)


class Prepared:
    """A statement built by `build(dialect_name)` (a dialect may need its own form, such as
    its INSERT ... ON CONFLICT), compiled on first use per dialect."""

    def __init__(self, build: Callable[[str], Executable]) -> None:
        self._build = build
        self._statements: dict[str, Executable] = {}
        self._compiled: dict[str, _Compiled | None] = {}  # None: through Connection.execute

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> Sequence[Row]:
        """Run the statement with `params` (every bind it names); its rows, all fetched."""
        dialect = conn.dialect
        name = dialect.name
        try:
            compiled = self._compiled[name]
        except KeyError:
            compiled = self._compiled[name] = self._compile(dialect)
        if compiled is None:
            return conn.execute(self._statements[name], dict(params)).all()
        arguments = compiled.arguments(params)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, arguments)
            return cursor.fetchall() if compiled.returns_rows else []
        except dialect.loaded_dbapi.Error as error:
            raise exc.DBAPIError.instance(
                compiled.sql, arguments, error, dialect.loaded_dbapi.Error, dialect=dialect
            ) from error
        finally:
            cursor.close()

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Row | None:
        """The statement's first row, or None."""
        found = self.rows(conn, params)
        return found[0] if found else None

    def _compile(self, dialect: Dialect) -> _Compiled | None:
        statement = self._statements[dialect.name] = self._build(dialect.name)
        compiled: Any = cast(ClauseElement, statement).compile(dialect=dialect)
        binds = compiled.binds
        # The types as this dialect implements them: those are what convert values.
        converted = any(
            bind.type.dialect_impl(dialect).bind_processor(dialect) is not None
            for bind in binds.values()
        ) or any(
            column.type.dialect_impl(dialect).result_processor(dialect, None) is not None
            for column in getattr(statement, "exported_columns", ())
        )
        if converted or "POSTCOMPILE" in compiled.string or compiled.escaped_bind_names:
            return None
        return _Compiled(
            sql=compiled.string,
            positions=tuple(compiled.positiontup) if compiled.positional else None,
            fixed={name: bind.value for name, bind in binds.items() if not bind.required},
            returns_rows=bool(getattr(statement, "exported_columns", ())),
        )
