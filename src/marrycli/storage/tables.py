"""The ledger's tables (SQLModel). Times are integer microseconds since the Unix epoch, UTC.

Every table name starts with `marry_`, so a PostgreSQL ledger can share a database
with other applications. History (promises, events, refs) is append-only; the
customer directory (names, merges) may change, and each change is recorded in
`marry_customer_change`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel


class _Table(SQLModel):
    """A table of the ledger. Rows are read and written through SQLAlchemy Core (the tables
    at the bottom), never as these models: Pydantic builds a model's validator only if one
    is ever made, instead of for every table at every start."""

    model_config = SQLModel.model_config | {"defer_build": True}


class SchemaRow(_Table, table=True):
    """One row per schema version applied; the highest is the ledger's version."""

    __tablename__ = "marry_schema"
    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str
    applied: int = Field(sa_type=BigInteger)


class CustomerRow(_Table, table=True):
    """A directory entry: a customer, or an alias merged into another one."""

    __tablename__ = "marry_customer"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # NFC, casefolded, white space folded
    name: str  # the display name
    merged_into: int | None = Field(default=None, foreign_key="marry_customer.id", index=True)
    created: int = Field(sa_type=BigInteger)


class CustomerChangeRow(_Table, table=True):
    """A recorded change of the directory: a rename, a merge, or a value of the profile."""

    __tablename__ = "marry_customer_change"
    id: int | None = Field(default=None, primary_key=True)
    kind: str  # rename | merge | value
    customer_id: int = Field(foreign_key="marry_customer.id")
    into_id: int | None = Field(default=None, foreign_key="marry_customer.id")
    old_name: str
    new_name: str
    owner: str
    at: int = Field(sa_type=BigInteger)
    # Schema version 2, for kind `value`: how much the customer values promises tagged `tag`
    # (`level` none | low | high; null: the entry is cleared), and why.
    tag: str | None = None
    level: str | None = None
    note: str | None = None


class PromiseRow(_Table, table=True):
    """A promise as made. Never updated: its outcome lives in `marry_event`."""

    __tablename__ = "marry_promise"
    __table_args__ = (
        Index("ix_marry_promise_customer", "customer_id", "made"),
        # Schema version 3: one row per occurrence of a series, however many writers race.
        Index("ix_marry_promise_occurrence", "series_id", "occurrence", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="marry_customer.id")
    text: str
    made: int = Field(sa_type=BigInteger)
    due: int | None = Field(default=None, sa_type=BigInteger)
    size: str
    value: str
    owner: str
    tags: str = "[]"  # a JSON array of strings
    recorded: int = Field(sa_type=BigInteger)
    # Schema version 3, standing promises (SPEC §7). A series: its period (`1w`, `2d`, `1m`),
    # how long each occurrence has (`3d`, `12h`), when it stops, the zone of its calendar.
    every: str | None = None
    within: str | None = None
    until: int | None = Field(default=None, sa_type=BigInteger)
    zone: str | None = None
    # An occurrence stored once something was recorded for it: its series and its k.
    series_id: int | None = Field(default=None, foreign_key="marry_promise.id")
    occurrence: int | None = None


class EventRow(_Table, table=True):
    """An event of a promise: kept, broken, renegotiated, cancelled, amended (a correction of
    its terms), or void (a correction of the history)."""

    __tablename__ = "marry_event"
    id: int | None = Field(default=None, primary_key=True)
    promise_id: int = Field(foreign_key="marry_promise.id", index=True)
    kind: str
    at: int = Field(sa_type=BigInteger)
    due: int | None = Field(default=None, sa_type=BigInteger)  # a renegotiation's new due date
    note: str | None = None
    owner: str
    voids: int | None = Field(default=None, foreign_key="marry_event.id", unique=True)
    recorded: int = Field(sa_type=BigInteger)
    # Schema version 2, for kind `amended`: the fields it changes, a JSON object.
    changes: str | None = None


class RefRow(_Table, table=True):
    """The ledger-wide namespace of `--ref` keys: each names one promise or one event."""

    __tablename__ = "marry_ref"
    ref: str = Field(primary_key=True)
    promise_id: int = Field(foreign_key="marry_promise.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="marry_event.id", unique=True)


# The tables as SQLAlchemy Core sees them: the handles queries are written against.
schema_table = SQLModel.metadata.tables[SchemaRow.__tablename__]
customer_table = SQLModel.metadata.tables[CustomerRow.__tablename__]
change_table = SQLModel.metadata.tables[CustomerChangeRow.__tablename__]
promise_table = SQLModel.metadata.tables[PromiseRow.__tablename__]
event_table = SQLModel.metadata.tables[EventRow.__tablename__]
ref_table = SQLModel.metadata.tables[RefRow.__tablename__]

# Every table, in the order they are created (a table after those it refers to).
ALL_TABLES = (schema_table, customer_table, change_table, promise_table, event_table, ref_table)
