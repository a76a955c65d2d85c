"""The gates of `marry check`: which of them one customer's report fails."""

from __future__ import annotations

from marrycli.domain import (
    CustomerReport,
    Finding,
    Gates,
)


def findings_for(report: CustomerReport, gates: Gates) -> list[Finding]:
    """The gates one customer fails (a customer with nothing resolved passes min-keep-rate)."""
    found = []
    if gates.min_stage is not None and report.stage.rank < gates.min_stage.rank:
        found.append(
            Finding(
                customer=report.customer,
                check="min-stage",
                expected=gates.min_stage.value,
                actual=report.stage.value,
            )
        )
    rate = report.keep_rate
    if gates.min_keep_rate is not None and rate is not None and rate < gates.min_keep_rate:
        found.append(
            Finding(
                customer=report.customer,
                check="min-keep-rate",
                expected=gates.min_keep_rate,
                actual=rate,
            )
        )
    if gates.max_overdue is not None and report.overdue > gates.max_overdue:
        found.append(
            Finding(
                customer=report.customer,
                check="max-overdue",
                expected=gates.max_overdue,
                actual=report.overdue,
            )
        )
    return found
