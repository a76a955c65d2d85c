"""Standing promises (SPEC §7): when each occurrence of a series is made and due, which
occurrences exist at a moment, and a customer's promises with its series' occurrences in
place of the series. Pure: an occurrence exists by time, not by writes, so every read
expands the series it reads the same way, and nothing is written by a read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, tzinfo

from marrycli.domain import EventKind, Promise, Standing, occurrence_id


def made_at(series: Promise, k: int, zone: tzinfo) -> datetime:
    """When occurrence k (1, 2, ...) of a series is made."""
    assert series.standing is not None
    return series.standing.every.after(series.made, k - 1, zone)


def due_at(made: datetime, standing: Standing, zone: tzinfo) -> datetime:
    """When an occurrence made at `made` is due: `within` later (see `due_of` for k)."""
    return standing.within.after(made, 1, zone)


def due_of(series: Promise, k: int, made: datetime, zone: tzinfo) -> datetime:
    """When occurrence k (made at `made`) is due: `within` after it is made; with the default
    `within` (the period), when occurrence k + 1 is made (so a month of 31 days that follows
    February's 28th is due on the 31st, not the 28th)."""
    assert series.standing is not None
    if series.standing.within == series.standing.every:
        return made_at(series, k + 1, zone)
    return due_at(made, series.standing, zone)


def ended(series: Promise) -> datetime | None:
    """When the series was ended (`promise cancel ID --series`, not voided), or None."""
    for event in series.standing_events():
        if event.kind is EventKind.CANCELLED:
            return event.at
    return None


def exists(series: Promise, made: datetime, end: datetime | None) -> bool:
    """Whether an occurrence made at `made` is one the series makes at all (not after its
    `--until`, nor after it was ended), whatever the moment."""
    assert series.standing is not None
    until = series.standing.until
    return (until is None or made < until) and (end is None or made < end)


def occurrence(
    series: Promise,
    k: int,
    zone: tzinfo,
    stored: Promise | None = None,
    terms: Promise | None = None,
) -> Promise:
    """Occurrence k of a series with the series' terms (amended: SPEC §7; `terms`: the series
    amended, when known), as stored (its number and events) or, not stored yet, with a
    stand-in number and no events."""
    assert series.standing is not None
    if terms is None:
        terms = series.amended()
    if stored is not None:
        return stored._replace(
            customer=terms.customer or stored.customer,
            text=terms.text,
            size=terms.size,
            value=terms.value,
            owner=terms.owner,
            tags=terms.tags,
            series=series.id,
            occurrence=k,
        )
    made = made_at(series, k, zone)
    return _not_stored(series, k, terms, made, due_of(series, k, made, zone))


def _not_stored(series: Promise, k: int, terms: Promise, made: datetime, due: datetime) -> Promise:
    """Occurrence k, not stored yet: the series' terms, a stand-in number, no events."""
    return Promise(
        id=occurrence_id(series.id, k),
        customer=terms.customer,
        text=terms.text,
        made=made,
        due=due,
        size=terms.size,
        value=terms.value,
        owner=terms.owner,
        tags=terms.tags,
        series=series.id,
        occurrence=k,
    )


def occurrences(
    series: Promise,
    as_of: datetime,
    zone: tzinfo,
    stored: Mapping[int, Promise] | None = None,
) -> Iterator[Promise]:
    """The occurrences of a series that exist at `as_of`, in order of k: those stored (by k in
    `stored`) as stored, the others not stored yet. Lazy: one at a time."""
    assert series.standing is not None
    end = ended(series)
    terms = series.amended()
    standing = series.standing
    by_period = standing.within == standing.every  # due when the next is made
    times = _made_times(series, zone)
    made = next(times)
    k = 1
    while made <= as_of and exists(series, made, end):
        following = next(times)
        found = stored.get(k) if stored else None
        if found is not None:
            yield occurrence(series, k, zone, found, terms)
        else:
            due = following if by_period else standing.within.after(made, 1, zone)
            yield _not_stored(series, k, terms, made, due)
        made = following
        k += 1


def _made_times(series: Promise, zone: tzinfo) -> Iterator[datetime]:
    """When occurrences 1, 2, ... are made (as `made_at`, with the wall clock read once)."""
    assert series.standing is not None
    every = series.standing.every
    if every.unit != "d" and every.unit != "w":
        k = 1
        while True:
            yield every.after(series.made, k - 1, zone)
            k += 1
    wall = series.made.astimezone(zone).replace(tzinfo=None)
    step = timedelta(days=every.amount * (7 if every.unit == "w" else 1))
    while True:
        yield wall.replace(tzinfo=zone).astimezone(UTC)
        wall += step


def next_made(series: Promise, after: datetime, zone: tzinfo) -> datetime | None:
    """When the series makes its next occurrence after `after`, or None if it makes no more."""
    end = ended(series)
    k = 1
    while True:
        made = made_at(series, k, zone)
        if not exists(series, made, end):
            return None
        if made > after:
            return made
        k += 1


def expand(
    promises: Iterable[Promise],
    as_of: datetime,
    zone_of: ZoneOf,
) -> list[Promise]:
    """`promises` with each series replaced by its occurrences that exist at `as_of` (stored
    or not), in rank order; an occurrence stored without its series among `promises` stays
    as it is. `zone_of` gives the zone of a series' calendar."""
    plain: list[Promise] = []
    series: list[Promise] = []
    stored: dict[int, dict[int, Promise]] = {}
    for promise in promises:
        if promise.standing is not None:
            series.append(promise)
        elif promise.series is not None and promise.occurrence is not None:
            stored.setdefault(promise.series, {})[promise.occurrence] = promise
        else:
            plain.append(promise)
    if not series and not stored:
        return plain
    known = {s.id for s in series}
    for sid, found in stored.items():
        if sid not in known:
            plain.extend(found.values())
    for one in series:
        plain.extend(occurrences(one, as_of, zone_of(one), stored.get(one.id)))
    plain.sort(key=lambda p: p.rank)
    return plain


class ZoneOf:
    """The zone a series' calendar is counted in: the one it was made in, by name, or else
    `default` (the reader's)."""

    def __init__(self, default: tzinfo, named: Callable[[str], tzinfo | None]) -> None:
        self.default = default
        self.named = named
        self._cache: dict[str, tzinfo] = {}

    def __call__(self, series: Promise) -> tzinfo:
        key = series.standing.zone if series.standing is not None else None
        if key is None:
            return self.default
        zone = self._cache.get(key)
        if zone is None:
            zone = self._cache[key] = self.named(key) or self.default
        return zone
