"""Storage: SQLModel tables, ledger opening (SQLite, PostgreSQL), schema versions, queries."""
