"""Owners' records across customers (`marry report --by owner`): counts, on-time rate, streaks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from marrycli.domain import (
    OwnerReport,
    Promise,
    Status,
    customer_key,
    fold_name,
)
from marrycli.model.scoring import score_customer, wilson_lower_bound


def owner_report(owner: str, promises: Iterable[Promise], as_of: datetime) -> OwnerReport:
    """The report of one owner (matched by key) over their promises to every customer."""
    key = customer_key(owner)
    mine = [p for p in promises if customer_key(p.owner) == key]
    # Counts and streaks do not depend on whose promises they are: score them as if one
    # customer's, which is SPEC §5's definition applied to the owner's promises.
    record = score_customer(owner, mine, as_of, detail=False)
    resolved = record.kept + record.kept_late + record.broken + record.overdue
    counting = {
        customer_key(p.customer)
        for p in mine
        if p.made <= as_of and p.state(as_of).status is not Status.CANCELLED
    }
    return OwnerReport(
        owner=owner,
        customers=len(counting),
        promises=record.promises,
        open=record.open,
        overdue=record.overdue,
        kept=record.kept,
        kept_late=record.kept_late,
        broken=record.broken,
        cancelled=record.cancelled,
        renegotiated=record.renegotiated,
        on_time_rate=record.kept / resolved if resolved else None,
        on_time_low=wilson_lower_bound(record.kept, resolved),
        streak=record.streak,
        longest_streak=record.longest_streak,
    )


def owner_reports(promises: Iterable[Promise], as_of: datetime) -> list[OwnerReport]:
    """One OwnerReport per owner with a promise made by as_of, ordered by name (casefold)."""
    by_owner: dict[str, list[Promise]] = {}
    names: dict[str, str] = {}
    for p in promises:
        if p.made > as_of:
            continue
        key = customer_key(p.owner)
        by_owner.setdefault(key, []).append(p)
        names.setdefault(key, fold_name(p.owner))
    reports = [owner_report(names[key], theirs, as_of) for key, theirs in by_owner.items()]
    reports.sort(key=lambda r: (r.owner.casefold(), r.owner))
    return reports
