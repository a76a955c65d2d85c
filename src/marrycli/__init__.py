"""marry: a promise ledger for people who serve customers."""

__version__ = "0.1.0"
