"""Use cases: one function per command, one transaction each, domain objects out.

`promises`, `events`, `customers`, `reports`, `ledgers` and `transfer` hold the use cases;
`lookup` finds what a command names (a promise, a customer, a ref) and `writes` is the one
write path (a write transaction, started over when another writer takes its ref).
"""
