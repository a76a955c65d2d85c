"""The program's exit codes (`ExitStatus`), and MarryError with its subclasses, each
carrying the exit code of SPEC §2.

Imports nothing but `enum`: `__main__` uses ExitStatus before anything heavy is loaded.
"""

from __future__ import annotations

from enum import IntEnum, unique


@unique
class ExitStatus(IntEnum):
    """Every exit code of the whole program (SPEC §2); no other number is ever used."""

    OK = 0
    GATE_FAILED = 1
    BAD_INPUT = 2
    LEDGER_UNUSABLE = 3
    INTERNAL_ERROR = 70
    INTERRUPTED = 130  # 128 + SIGINT: Ctrl-C
    BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader went away (`marry report | head`)


class MarryError(Exception):
    """An error the user can act on: one line on stderr and an exit code."""

    exit_status: ExitStatus = ExitStatus.INTERNAL_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(MarryError):
    """An invalid value, an unknown promise or customer, a conflicting outcome."""

    exit_status = ExitStatus.BAD_INPUT


class LedgerUnusable(MarryError):
    """The ledger cannot be opened, created, trusted or reached."""

    exit_status = ExitStatus.LEDGER_UNUSABLE


class GateFailed(MarryError):
    """A gate said no: `check` found a failure, or `--strict` refused a promise."""

    exit_status = ExitStatus.GATE_FAILED
