"""The queries the service runs on an open connection; rows become domain objects here.

Every function takes a Connection inside a transaction opened by `Ledger`. The service
calls them through this package (`repo.load_promises(...)`); each lives in the module of
its part of the ledger:

- `rows`: stored values read back as domain values (a directory entry, a ref too); `Damage`
  for what marry never writes
- `directory`: the customer directory (names, renames, merges, value profiles)
- `writes`: the write path: promises, events and refs appended, what a ref names, row locks
- `reads`: promises and their events as domain objects; counts; the ledger's schema version
- `report`: the report's one streamed, ordered read
- `prepared`: the write path's statements, compiled once and run on the driver's cursor
- `memo`: what a write transaction wrote, remembered for its own later reads (`marry batch`)
"""

from marrycli.storage.repo.directory import (
    ListedCustomer,
    ValueChange,
    customer_entry_names,
    customer_names,
    directory_keys,
    ensure_customer,
    find_customer,
    keep_renamed_names,
    list_customers,
    merge_customers,
    record_value,
    rename_customer,
    value_changes,
)
from marrycli.storage.repo.memo import remember_writes
from marrycli.storage.repo.reads import Counts, counts, ledger_version, load_promises
from marrycli.storage.repo.report import (
    REPORT_SQL,
    REPORT_SQL_POSTGRES,
    report_scorables,
    report_sql,
)
from marrycli.storage.repo.rows import (
    END_MICROS,
    FIRST_MICROS,
    CustomerEntry,
    Damage,
    StoredRef,
    read_amendment,
    read_tags,
    read_text,
    read_time,
    write_amendment,
)
from marrycli.storage.repo.writes import (
    claim_ref,
    find_ref,
    insert_event,
    insert_promise,
    lock_promise,
    promise_customer_id,
    recorded_text,
    reserve_ids,
    store_occurrence,
)

__all__ = [
    "END_MICROS",
    "FIRST_MICROS",
    "REPORT_SQL",
    "REPORT_SQL_POSTGRES",
    "Counts",
    "CustomerEntry",
    "Damage",
    "ListedCustomer",
    "StoredRef",
    "ValueChange",
    "claim_ref",
    "counts",
    "customer_entry_names",
    "customer_names",
    "directory_keys",
    "ensure_customer",
    "find_customer",
    "find_ref",
    "insert_event",
    "insert_promise",
    "keep_renamed_names",
    "ledger_version",
    "list_customers",
    "load_promises",
    "lock_promise",
    "merge_customers",
    "promise_customer_id",
    "read_amendment",
    "read_tags",
    "read_text",
    "read_time",
    "record_value",
    "recorded_text",
    "remember_writes",
    "rename_customer",
    "report_scorables",
    "report_sql",
    "reserve_ids",
    "store_occurrence",
    "value_changes",
    "write_amendment",
]
