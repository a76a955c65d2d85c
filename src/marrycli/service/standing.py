"""Standing promises in the service (SPEC §7): the reads' occurrences (`expand`), which
occurrence a write on a series acts on, and each series' own record."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from marrycli.dates import format_local, local_zone, to_micros, zone_named
from marrycli.domain import Promise, Recorded, SeriesRecord
from marrycli.errors import BadInput
from marrycli.model import standing as model
from marrycli.model.scoring import score_customer

if TYPE_CHECKING:
    from sqlalchemy import Connection

FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def zone_of() -> model.ZoneOf:
    """The zone of each series' calendar: the one it was made in (else the reader's)."""
    return model.ZoneOf(local_zone(), zone_named)


def expand(promises: Iterable[Promise], as_of: datetime) -> list[Promise]:
    """The promises a read sees at `as_of`: each series replaced by its occurrences then."""
    return model.expand(promises, as_of, zone_of())


def expand_with(promises: Iterable[Promise], as_of: datetime, zones: model.ZoneOf) -> list[Promise]:
    """As `expand`, with the zones of a whole report (looked up once)."""
    return model.expand(promises, as_of, zones)


def records(
    promises: Iterable[Promise], as_of: datetime, expanded: Iterable[Promise] | None = None
) -> list[SeriesRecord]:
    """Each series among `promises` (with its stored occurrences among them) and its record
    at `as_of`: its occurrences that exist then, scored as the customer's promises are.
    `expanded`: `promises` expanded at `as_of` already (not done again)."""
    listed = list(promises)
    series_list = [p for p in listed if p.standing is not None]
    if not series_list:
        return []
    if expanded is None:
        expanded = model.expand(listed, as_of, zone_of())
    by_series: dict[int, list[Promise]] = {}
    for promise in expanded:
        if promise.series is not None:
            by_series.setdefault(promise.series, []).append(promise)
    found = []
    for series in series_list:
        occurrences = by_series.get(series.id, [])
        scored = score_customer(series.customer, occurrences, as_of, detail=False)
        found.append(
            SeriesRecord(
                series=series.amended(),
                ended=model.ended(series),
                occurrences=scored.promises,
                kept=scored.kept,
                keep_rate=scored.keep_rate,
                streak=scored.streak,
            )
        )
    return found


def with_series_terms(conn: Connection, promise: Promise) -> Promise:
    """A stored occurrence with the terms of its series (amended), as every read shows it."""
    from marrycli.storage import repo

    if promise.series is None or promise.occurrence is None:
        return promise
    found = repo.load_promises(conn, ids=[promise.series])
    if not found or found[0].standing is None:
        return promise  # damage, which `db check` names
    return model.occurrence(found[0], promise.occurrence, zone_of()(found[0]), promise)


def load_series_and_stored(conn: Connection, series: Promise) -> list[Promise]:
    """A series with its stored occurrences (their events too)."""
    from marrycli.storage import repo

    return repo.load_promises(conn, series_id=series.id)


def pick_occurrence(
    conn: Connection, series: Promise, k: int | None, at: datetime, action: str
) -> Promise:
    """The occurrence a write on a series acts on: occurrence k (it must be one the series
    makes), or the oldest that exists at `at` and is unresolved; not stored yet maybe (its
    number is then negative). BadInput when there is none."""
    zone = zone_of()(series)
    listed = load_series_and_stored(conn, series)
    stored = {p.occurrence: p for p in listed if p.occurrence is not None}
    if k is not None:
        made = model.made_at(series, k, zone)
        if not model.exists(series, made, model.ended(series)):
            raise BadInput(
                f"series {series.id} makes no occurrence {k} (made {format_local(made)}): "
                "it ends before then"
            )
        return model.occurrence(series, k, zone, stored.get(k))
    for occurrence in model.occurrences(series, at, zone, stored):
        if not occurrence.state(FAR_FUTURE).status.resolved:
            return occurrence
    following = model.next_made(series, at, zone)
    when = (
        f"the next is made {format_local(following)}"
        if following is not None
        else "it makes no more"
    )
    raise BadInput(
        f"series {series.id} has no unresolved occurrence at {format_local(at)} to {action}; "
        f"{when} (name one as {series.id}/k)"
    )


def store(conn: Connection, series: Promise, occurrence: Promise, now: datetime) -> int:
    """The number of an occurrence, storing it first if it has none yet."""
    from marrycli.storage import repo

    if occurrence.stored:
        return occurrence.id
    assert occurrence.occurrence is not None and occurrence.due is not None
    return repo.store_occurrence(
        conn,
        series=series.id,
        k=occurrence.occurrence,
        made=to_micros(occurrence.made),
        due=to_micros(occurrence.due),
        recorded=to_micros(now),
    )


def record_of(conn: Connection, series: Promise, as_of: datetime) -> SeriesRecord:
    """A series' record at `as_of`, read with its stored occurrences."""
    return records(load_series_and_stored(conn, series), as_of)[0]


def with_record(conn: Connection, recorded: Recorded, now: datetime) -> Recorded:
    """A write's result, with the record of the series when it is a standing promise."""
    if recorded.promise.standing is None:
        return recorded
    return recorded._replace(series=record_of(conn, recorded.promise, now))
