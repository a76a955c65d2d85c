"""MarryError and its subclasses; each carries the exit code of SPEC §2."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """The exit codes of the whole program (SPEC §2)."""

    OK = 0
    GATE_FAILED = 1
    BAD_INPUT = 2
    LEDGER_UNUSABLE = 3
    INTERNAL_ERROR = 70
    INTERRUPTED = 130


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
