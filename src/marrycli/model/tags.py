"""Tags across customers (`marry report --by tag`, SPEC §8): customers, promises, the share
of valued promises, keep rate with its bound, overdue."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from marrycli.domain import Promise, Status, TagReport, customer_key
from marrycli.model.scoring import VALUED, score_customer


def tag_report(tag: str, tagged: list[Promise], as_of: datetime) -> TagReport:
    """The report of one tag over the promises carrying it, to every customer."""
    # Counts and the keep rate do not depend on whose promises they are: score them as if
    # one customer's, which is SPEC §5's definition applied to the tag's promises.
    record = score_customer(tag, tagged, as_of, detail=False)
    counting = [
        p for p in tagged if p.made <= as_of and p.state(as_of).status is not Status.CANCELLED
    ]
    valued = sum(1 for p in counting if p.value.weight >= VALUED)
    return TagReport(
        tag=tag,
        customers=len({customer_key(p.customer) for p in counting}),
        promises=record.promises,
        valued_share=valued / len(counting) if counting else None,
        keep_rate=record.keep_rate,
        keep_rate_low=record.keep_rate_low,
        open=record.open,
        overdue=record.overdue,
    )


def tag_reports(promises: Iterable[Promise], as_of: datetime) -> list[TagReport]:
    """One TagReport per tag of a promise made by `as_of`, ordered by tag (casefold)."""
    by_tag: dict[str, list[Promise]] = {}
    for p in promises:
        if p.made <= as_of:
            for tag in p.tags:
                by_tag.setdefault(tag, []).append(p)
    reports = [tag_report(tag, tagged, as_of) for tag, tagged in by_tag.items()]
    reports.sort(key=lambda r: (r.tag.casefold(), r.tag))
    return reports
