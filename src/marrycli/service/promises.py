"""Use cases of promises: add (weighed by the guard first), list (and find) and show.

Input is validated here *before* the ledger is opened, so bad input never creates or
touches a ledger. Storage is imported inside the functions that need it: importing this
module stays cheap.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from marrycli.dates import When, format_local, local_zone, to_micros, zone_key
from marrycli.domain import (
    Period,
    Promise,
    Recorded,
    SeriesRecord,
    Size,
    Standing,
    Status,
    Value,
    customer_key,
)
from marrycli.errors import BadInput, GateFailed
from marrycli.model import guard
from marrycli.model.standing import due_at
from marrycli.rules import PromiseId, period_hours
from marrycli.service.lookup import (
    describe_ref,
    find_customer_entry,
    load_promise,
    resolve_promise,
)
from marrycli.service.standing import with_record
from marrycli.service.writes import Write, not_in_future, run_write, take_ref

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from marrycli.domain import Assessment
    from marrycli.storage.ledger import Ledger
    from marrycli.storage.repo import StoredRef


def add_promise(
    ledger: Ledger,
    *,
    text: str,
    customer: str,
    due: When | None,
    made: When | None,
    size: Size,
    value: Value | None,
    owner: str,
    tags: tuple[str, ...],
    ref: str | None,
    now: datetime,
    guard: bool = True,
    strict: bool = False,
    ask_new_customer: bool = True,
    every: Period | None = None,
    within: Period | None = None,
    until: When | None = None,
) -> Recorded:
    """Record a promise (or, for a ref already stored with the same customer and text, nothing).

    Unless `guard` is off, the promise is first weighed (`discipline.assess_promise`): a
    risky one is recorded with a warning, or with `strict` refused (GateFailed, exit 1).
    Unless `ask_new_customer` is off, a new customer whose name looks like a typo of a
    known one is said (Recorded.new_customer), or with `strict` refused. Without a `value`,
    the promise takes the highest the customer's profile gives one of its tags (SPEC §8;
    Recorded.value_from names that tag), else high. With `every`, a standing promise (SPEC §7):
    a series of occurrences, each due `within` (default: the period) after it is made, made
    until `until`; the guard weighs its first occurrence.
    """
    write = add_write(
        text=text,
        customer=customer,
        due=due,
        made=made,
        size=size,
        value=value,
        owner=owner,
        tags=tags,
        ref=ref,
        now=now,
        guard=guard,
        strict=strict,
        ask_new_customer=ask_new_customer,
        every=every,
        within=within,
        until=until,
    )
    return run_write(ledger, write)


def add_write(
    *,
    text: str,
    customer: str,
    due: When | None,
    made: When | None,
    size: Size,
    value: Value | None,
    owner: str,
    tags: tuple[str, ...],
    ref: str | None,
    now: datetime,
    guard: bool = True,
    strict: bool = False,
    ask_new_customer: bool = True,
    every: Period | None = None,
    within: Period | None = None,
    until: When | None = None,
) -> Write:
    """`add_promise`, planned: its times and terms checked (BadInput) before the ledger is
    opened."""
    made_at = made.instant if made is not None else now
    not_in_future("--made", made_at, now)
    if due is not None and due.instant <= made_at:
        raise BadInput(
            f"--due {format_local(due.instant)} is not after --made {format_local(made_at)}; "
            "a promise falls due after it is made"
        )
    series = _standing(due, made_at, every, within, until)
    if series is not None:
        due = When(instant=due_at(made_at, series, local_zone()))
    key = customer_key(customer)

    def add(conn: Connection | None) -> Recorded:
        from marrycli.storage import repo

        assert conn is not None  # the write creates the ledger
        if ref is not None:
            stored = repo.find_ref(conn, ref)
            if stored is not None:
                return _replay_add(conn, stored, ref, key, text)
        typo = _looks_like_a_typo(conn, key, customer) if ask_new_customer else None
        if typo is not None and strict:
            raise GateFailed(
                f"refused (--strict): {typo} To record it as a new customer, add --new-customer."
            )
        level, value_from = _value(conn, key, tags) if value is None else (value, None)
        warning = note = None
        if guard:
            assessment = _assess(conn, customer, key, owner, size, level, made_at, due, now)
            if strict and assessment.refuse:
                raise GateFailed(
                    f"refused (--strict): {assessment.warning} "
                    "Renegotiate or split the promise, or record it with --force."
                )
            warning, note = assessment.warning, assessment.note
        entry = repo.ensure_customer(conn, key, customer, to_micros(now))
        promise_id = repo.insert_promise(
            conn,
            customer_id=entry.entry_id,
            text=text,
            made=to_micros(made_at),
            due=to_micros(due.instant) if due is not None and series is None else None,
            size=size,
            value=level,
            owner=owner,
            tags=tags,
            recorded=to_micros(now),
            standing=series,
        )
        take_ref(conn, ref, promise_id, None)
        added = Recorded(
            promise=load_promise(conn, promise_id),
            warning=warning,
            new_customer=typo,
            note=note,
            value_from=value_from,
        )
        return with_record(conn, added, now)

    return Write(apply=add, ref=ref, create=True)


def _standing(
    due: When | None,
    made: datetime,
    every: Period | None,
    within: Period | None,
    until: When | None,
) -> Standing | None:
    """The terms of a standing promise about to be added, or None for a single promise;
    BadInput for terms that do not fit together (SPEC §7)."""
    if every is None:
        if within is not None or until is not None:
            given = "--within" if within is not None else "--until"
            raise BadInput(f"{given} is for a standing promise; give --every PERIOD too")
        return None
    if due is not None:
        raise BadInput(
            "--due and --every exclude each other: each occurrence of a standing promise is "
            "due --within after it is made"
        )
    if within is not None and period_hours(within) > period_hours(every):
        raise BadInput(
            f"--within {within} is longer than the period --every {every}; "
            "give at most the period (each occurrence is due before the next is made)"
        )
    if until is not None and until.instant <= made:
        raise BadInput(
            f"--until {format_local(until.instant)} is not after --made {format_local(made)}; "
            "a series ends after it starts"
        )
    return Standing(
        every=every,
        within=within if within is not None else every,
        until=until.instant if until is not None else None,
        zone=zone_key(local_zone()),
    )


def _value(conn: Connection, key: str, tags: Sequence[str]) -> tuple[Value, str | None]:
    """The value of a promise added without one: the highest the customer's profile gives
    one of its tags, and that tag; else high (SPEC §8)."""
    from marrycli.model.values import profile_value
    from marrycli.service.customers import value_profile
    from marrycli.storage import repo

    entry = repo.find_customer(conn, key) if tags else None
    if entry is None:
        return Value.HIGH, None
    profile = {tag: e.level for tag, e in value_profile(conn, entry.id).items()}
    found = profile_value(profile, tags)
    return found if found is not None else (Value.HIGH, None)


def _looks_like_a_typo(conn: Connection, key: str, customer: str) -> str | None:
    """For a customer the directory does not know: the sentence naming the known customer
    its name looks like a typo of (SPEC §6), if there is one."""
    from marrycli.model.typos import closest
    from marrycli.storage import repo

    if repo.find_customer(conn, key) is not None:
        return None
    known = closest(key, repo.directory_keys(conn))
    if known is None:
        return None
    return f"new customer {customer!r}; did you mean {known!r}?"


def _assess(
    conn: Connection,
    customer: str,
    key: str,
    owner: str,
    size: Size,
    value: Value,
    made: datetime,
    due: When | None,
    now: datetime,
) -> Assessment:
    """The guard's view of a promise about to be made, from the ledger as it is."""
    from marrycli.service.standing import expand
    from marrycli.storage import repo

    entry = repo.find_customer(conn, key)
    customer_promises = repo.load_promises(conn, customer_id=entry.id) if entry else []
    owner_promises = repo.load_promises(conn, owner=owner)
    # Occurrences of standing promises count as they exist now (SPEC §7); those made later
    # but falling due around this promise crowd its week too.
    horizon = max(now, due.instant if due is not None else now) + guard.CROWDED_WINDOW
    upcoming = {
        (p.series, p.occurrence): p
        for p in expand([*customer_promises, *owner_promises], horizon)
        if p.series is not None and p.made > now
    }
    return guard.assess_promise(
        customer=entry.name if entry is not None else customer,
        customer_promises=expand(customer_promises, now),
        owner=owner,
        owner_promises=expand(owner_promises, now),
        size=size,
        value=value,
        made=made,
        due=due.instant if due is not None else None,
        now=now,
        upcoming=upcoming.values(),
    )


def _replay_add(conn: Connection, stored: StoredRef, ref: str, key: str, text: str) -> Recorded:
    """A repeat of an add with the same ref (same customer and text) is a no-op; any other
    use of a stored ref is BadInput."""
    from marrycli.storage import repo

    if stored.event_id is None:
        promise = load_promise(conn, stored.promise_id)
        entry = repo.find_customer(conn, key)
        owner_id = repo.promise_customer_id(conn, stored.promise_id)
        # The text as the add gave it: as first recorded (a retry after an amendment of the
        # text is still a retry), or as it is now.
        same_text = text in (promise.text, repo.recorded_text(conn, stored.promise_id))
        if entry is not None and entry.id == owner_id and same_text:
            replayed = Recorded(
                promise=promise,
                notice=f"ref {ref} is already recorded as promise {promise.id}; nothing added",
            )
            return with_record(conn, replayed, datetime.now(UTC))
    raise BadInput(f"--ref {ref} is already used for {describe_ref(stored)}; use another ref")


def show_promise(ledger: Ledger, promise: PromiseId, now: datetime) -> Recorded:
    """One promise with all of its events; a standing one with its record now; `ID/k`: that
    occurrence, stored or not (SPEC §7)."""
    from marrycli.service.standing import pick_occurrence, with_record

    with ledger.read() as maybe:
        conn, promise_id = resolve_promise(maybe, promise)
        found = load_promise(conn, promise_id)
        if promise.occurrence is not None:
            if found.standing is None:
                raise BadInput(
                    f"promise {promise_id} is not a standing promise; "
                    f"{promise} names none of its occurrences"
                )
            return Recorded(promise=pick_occurrence(conn, found, promise.occurrence, now, "show"))
        return with_record(conn, Recorded(promise=found), now)


_FAR = datetime.max.replace(tzinfo=UTC)  # sorts promises without a due date last

# How `promise list --sort` orders (SPEC §10), each a key of (promise, its due date now);
# ties, and the default, by id.
_SORT_KEYS: dict[str, Callable[[tuple[Promise, datetime | None]], tuple[object, ...]]] = {
    "id": lambda found: (found[0].rank,),
    "due": lambda found: (found[1] or _FAR, found[0].rank),
    "customer": lambda found: (customer_key(found[0].customer), found[0].rank),
    "made": lambda found: (found[0].made, found[0].rank),
}
ORDERS = tuple(_SORT_KEYS)


def list_promises(
    ledger: Ledger,
    *,
    customer: str | None,
    statuses: Iterable[Status] | None,
    owner: str | None,
    tags: Sequence[str] = (),
    words: Sequence[str] = (),
    due_after: datetime | None = None,
    due_before: datetime | None = None,
    order: str = "id",
    limit: int | None = None,
    as_of: datetime,
    series: bool = False,
) -> Listing:
    """Promises made by `as_of` whose status then is one of `statuses` (None: all), that
    carry every tag of `tags` (SPEC §10: a repeated --tag means all of them), whose text
    holds every one of `words` (casefolded), and whose due date at `as_of` lies within
    [due_after, due_before] (either given: a promise without one is left out); sorted by
    `order`, then id; the first `limit` of them. Occurrences of standing promises are listed
    as they exist at `as_of` (SPEC §7); with `series`, the series that match too, each with
    its record at `as_of`."""
    from marrycli.service.standing import expand, records
    from marrycli.storage import repo

    if order not in ORDERS:
        raise BadInput(f"cannot sort by {order!r}; sort by one of {', '.join(ORDERS)}")
    if limit is not None and limit < 1:
        raise BadInput(f"--limit {limit} shows nothing; give a number of 1 or more")
    if due_after is not None and due_before is not None and due_after > due_before:
        raise BadInput(
            f"--due-after {format_local(due_after)} is later than "
            f"--due-before {format_local(due_before)}; no promise can be due in between"
        )
    folded = [_fold_text(word) for word in words]
    bounded = due_after is not None or due_before is not None
    wanted = set(statuses) if statuses is not None else None
    with ledger.read() as conn:
        customer_id = find_customer_entry(conn, customer).id if customer is not None else None
        if conn is None:
            return Listing([], [])
        loaded = repo.load_promises(
            conn,
            customer_id=customer_id,
            made_until=to_micros(as_of),
            tags=tags,
            due_ever_within=((_micros(due_after), _micros(due_before)) if bounded else None),
            text_matches=(lambda text: _holds(_fold_text(text), folded)) if folded else None,
        )
        if series:  # their stored occurrences, whatever the filters (they make the record)
            wanted_series = [p.id for p in loaded if p.standing is not None]
            stored = [o for sid in wanted_series for o in repo.load_promises(conn, series_id=sid)]
            listed_series = records({p.id: p for p in [*loaded, *stored]}.values(), as_of)
        else:
            listed_series = []
    promises = expand(loaded, as_of)
    owner_key = customer_key(owner) if owner is not None else None
    found = []
    for p in promises:
        state = p.state(as_of)
        if (
            (wanted is None or state.status in wanted)
            and (owner_key is None or customer_key(p.owner) == owner_key)
            and (not bounded or _due_within(state.due, due_after, due_before))
        ):
            found.append((p, state.due))
    found.sort(key=_SORT_KEYS[order])
    if owner_key is not None:
        listed_series = [r for r in listed_series if customer_key(r.series.owner) == owner_key]
    return Listing([p for p, _ in found[:limit]], listed_series)


class Listing(NamedTuple):
    """What `promise list` finds: promises (occurrences with them), and series if asked."""

    promises: list[Promise]
    series: list[SeriesRecord]


def _fold_text(text: str) -> str:
    """`text` for a case-insensitive search: NFC, Unicode casefolded, NFC again (`Straße` and
    `STRASSE` alike, and a decomposed `Ä` as a composed one)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())


def _holds(folded_text: str, folded_words: Sequence[str]) -> bool:
    return all(word in folded_text for word in folded_words)


def _micros(moment: datetime | None) -> int | None:
    return to_micros(moment) if moment is not None else None


def _due_within(due: datetime | None, after: datetime | None, before: datetime | None) -> bool:
    """Whether a due date lies within [after, before]; no due date never does."""
    return due is not None and (after is None or due >= after) and (before is None or due <= before)
