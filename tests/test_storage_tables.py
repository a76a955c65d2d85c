"""The tables' public handles (storage/tables.py): every table marry defines is created."""

from __future__ import annotations

from marrycli.storage import tables


def test_every_table_is_a_handle_and_created_with_the_ledger():
    from sqlmodel import SQLModel

    assert set(tables.ALL_TABLES) == set(SQLModel.metadata.tables.values())
    assert tables.promise_table is tables.PromiseRow.__table__
    assert all(table.name.startswith("marry_") for table in tables.ALL_TABLES)
