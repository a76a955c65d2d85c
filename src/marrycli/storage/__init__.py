"""Storage, the only layer that touches the database: `tables` (SQLModel tables and their
public handles), `ledger` (opening a ledger: engines, locking, creation, schema versions),
`failures` (what a database error means, in one line), `repo` (the queries the service
runs; rows become domain objects there), `transfer` (export and bulk import), `staging`
(the staged import file), `integrity` (`db check`) and `location` (--db / MARRY_DB)."""
