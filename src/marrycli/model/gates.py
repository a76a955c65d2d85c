"""TODO docstring."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marrycli.domain import (
    CustomerReport,
    Finding,
    Gates,
)

if TYPE_CHECKING:

    pass


def findings_for(report: CustomerReport, gates: Gates) -> list[Finding]:
    """The gates one customer fails (a customer with nothing resolved passes min-keep-rate)."""
    found = []
    if gates.min_stage is not None and report.stage.rank < gates.min_stage.rank:
        found.append(
            Finding(report.customer, "min-stage", gates.min_stage.value, report.stage.value)
        )
    rate = report.keep_rate
    if gates.min_keep_rate is not None and rate is not None and rate < gates.min_keep_rate:
        found.append(Finding(report.customer, "min-keep-rate", gates.min_keep_rate, rate))
    if gates.max_overdue is not None and report.overdue > gates.max_overdue:
        found.append(Finding(report.customer, "max-overdue", gates.max_overdue, report.overdue))
    return found
