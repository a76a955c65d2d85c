"""The guard at promise time: what breaking a new promise would cost its customer, how
likely its owner keeps one of its size on time, and whether the owner is over-committed.

Pure, like `scoring`: the consequence is the hypothetical ledger scored, never an estimate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from marrycli.domain import (
    Assessment,
    Promise,
    Size,
    Stage,
    Status,
    Value,
    customer_key,
)
from marrycli.model.discipline import known_at, open_with_due, with_promise, without_deadline
from marrycli.model.scoring import score_customer, wilson_lower_bound

# A break that would leave the customer at one of these stages is a serious consequence...
SERIOUS_STAGES = frozenset({Stage.STRAINED, Stage.ESTRANGED})


# ... and so is one that would cost the customer this many stage ranks or more.
SERIOUS_DROP = 2


# Resolved promises of a size an owner needs before their record judges the next one.
ENOUGH_HISTORY = 5


# With enough history, an on-time rate whose Wilson lower bound (95%) is below this makes
# keeping the next promise of that size unlikely: the record cannot show that keeping is
# even as likely as not. (A perfect record of ENOUGH_HISTORY has a bound of 0.566, so it
# is never judged unlikely; a bar of 0.6 would need 6.)
UNLIKELY_BELOW = 0.5


# Promises due within this of each other compete for the same working time.
CROWDED_WINDOW = timedelta(days=7)


# An owner's record supports at least this many promises due within one CROWDED_WINDOW,
# whatever their busiest window so far.
CAPACITY_FLOOR = 3


def assess_promise(
    *,
    customer: str,
    customer_promises: Iterable[Promise],
    owner: str,
    owner_promises: Iterable[Promise],
    size: Size,
    value: Value,
    made: datetime,
    due: datetime | None,
    now: datetime,
    upcoming: Iterable[Promise] = (),
) -> Assessment:
    """The guard: the consequence, likelihood and crowding of a promise before it is made.

    `upcoming`: occurrences of standing promises (SPEC §7) of this customer or this owner
    made after `now` but falling due around this promise: they crowd its week too.
    """
    known = known_at(customer_promises, now)
    before = score_customer(customer, known, now, detail=False)
    # The consequence is weighed at one moment, the earliest at which this promise can
    # be known to be broken: its due date, or now for one due in the past or never due.
    # (A break after the due date is scored at the due date, SPEC §5.) Comparing two
    # moments would credit the break with what time alone does.
    at = max(due, now) if due is not None else now
    others = [without_deadline(p) if open_with_due(p, now) else p for p in known]
    then = score_customer(customer, others, at, detail=False)
    hypothetical = with_promise(
        others,
        made=made,
        due=due,
        size=size,
        value=value,
        owner=owner,
        broken_at=at,
        customer=customer,
    )
    after = score_customer(customer, hypothetical, at, detail=False)
    serious = after.stage in SERIOUS_STAGES or then.stage.rank - after.stage.rank >= SERIOUS_DROP

    owner_key = customer_key(owner)
    mine = [p for p in owner_promises if customer_key(p.owner) == owner_key]
    on_time, resolved = _on_time_record(owner, [p for p in mine if p.size is size], now)
    enough_history = resolved >= ENOUGH_HISTORY
    on_time_low = wilson_lower_bound(on_time, resolved)
    unlikely = enough_history and on_time_low is not None and on_time_low < UNLIKELY_BELOW

    anchor = due if due is not None else now
    later = [p for p in upcoming if p.made > now and p.due is not None]
    customer_key_ = customer_key(customer)
    customer_due_nearby = _open_due_near(known, anchor, now) + _due_near(
        (p for p in later if customer_key(p.customer) == customer_key_), anchor
    )
    owner_due_nearby = _open_due_near(mine, anchor, now) + _due_near(
        (p for p in later if customer_key(p.owner) == owner_key), anchor
    )
    capacity = max(CAPACITY_FLOOR, _most_kept_on_time_within(mine, now))
    over_committed = owner_due_nearby >= capacity

    risky = serious and (unlikely or over_committed)
    first = before.promises == 0
    warning = None
    if serious and (risky or not enough_history):
        warning = _warning(
            customer=customer,
            size=size,
            first=first,
            stage_now=before.stage,
            stage_then=then.stage,
            stage_after=after.stage,
            on_time=on_time,
            resolved=resolved,
            customer_due_nearby=customer_due_nearby,
            owner_due_nearby=owner_due_nearby,
            capacity=capacity,
            over_committed=over_committed,
        )
    return Assessment(
        customer=customer,
        owner=owner,
        size=size,
        first=first,
        at=at,
        stage_now=before.stage,
        stage_then=then.stage,
        stage_after=after.stage,
        trust_after=after.trust,
        distrust_after=after.distrust,
        serious=serious,
        on_time=on_time,
        resolved=resolved,
        on_time_rate=on_time / resolved if resolved else None,
        on_time_low=on_time_low,
        enough_history=enough_history,
        unlikely=unlikely,
        customer_due_nearby=customer_due_nearby,
        owner_due_nearby=owner_due_nearby,
        capacity=capacity,
        over_committed=over_committed,
        risky=risky,
        refuse=risky,
        warning=warning,
        note=_value_note(customer) if value is Value.NONE else None,
    )


def _value_note(customer: str) -> str:
    """SPEC §8: a promise the customer does not value, said plainly (never a refusal)."""
    return (
        f"{customer} does not value this promise (value none): keeping it builds no trust; "
        "breaking it costs as much as breaking any other"
    )


def _on_time_record(owner: str, promises: Sequence[Promise], as_of: datetime) -> tuple[int, int]:
    """(kept on time, resolved) at as_of; resolved = kept on time, kept late, broken, overdue."""
    record = score_customer(owner, promises, as_of, detail=False)
    return record.kept, record.kept + record.kept_late + record.broken + record.overdue


def _open_due_near(promises: Iterable[Promise], anchor: datetime, now: datetime) -> int:
    """How many promises, unresolved at `now`, fall due within CROWDED_WINDOW of `anchor`."""
    count = 0
    for p in promises:
        if p.made > now:
            continue
        state = p.state(now)
        if state.status.resolved or state.due is None:
            continue
        if abs(state.due - anchor) <= CROWDED_WINDOW:
            count += 1
    return count


def _due_near(promises: Iterable[Promise], anchor: datetime) -> int:
    """How many of these promises (not made yet: unresolved) fall due within CROWDED_WINDOW
    of `anchor`."""
    return sum(1 for p in promises if p.due is not None and abs(p.due - anchor) <= CROWDED_WINDOW)


def _most_kept_on_time_within(promises: Iterable[Promise], now: datetime) -> int:
    """The most promises kept on time by `now` within any one CROWDED_WINDOW."""
    times = sorted(
        state.resolved
        for p in promises
        if p.made <= now
        and (state := p.state(now)).status is Status.KEPT
        and state.resolved is not None
    )
    best = 0
    first = 0
    for last, t in enumerate(times):
        while t - times[first] > CROWDED_WINDOW:
            first += 1
        best = max(best, last - first + 1)
    return best


def _stage_words(stage: Stage) -> str:
    return "a stranger" if stage is Stage.STRANGER else stage.value


def _promises_words(count: int) -> str:
    return f"{count} other promise{'' if count == 1 else 's'}"


def _window_words() -> str:
    return f"within {CROWDED_WINDOW.total_seconds() / 86400:g} days of this one"


def _warning(
    *,
    customer: str,
    size: Size,
    first: bool,
    stage_now: Stage,
    stage_then: Stage,
    stage_after: Stage,
    on_time: int,
    resolved: int,
    customer_due_nearby: int,
    owner_due_nearby: int,
    capacity: int,
    over_committed: bool,
) -> str:
    this = "this first promise" if first else f"this {size.value} promise"
    # Both stages compared are at the due date (stage_after is never above stage_then);
    # when time alone would change the stage by then, the sentence says so.
    verb = "leave" if stage_after is stage_then else "make"
    standing = f"{customer} is {_stage_words(stage_now)}"
    if stage_then is not stage_now:
        standing += f", {_stage_words(stage_then)} by its due date"
    sentences = [f"{standing}; breaking {this} would {verb} it {_stage_words(stage_after)}."]
    if resolved == 0:
        sentences.append("There is no record yet to judge how likely it is to be kept.")
    else:
        rate = f"Your on-time rate for {size.value} promises is {on_time / resolved:.0%} "
        rate += f"({on_time} of {resolved})"
        if resolved < ENOUGH_HISTORY:
            rate += ", too short a record to judge how likely it is to be kept"
        sentences.append(rate + ".")
    if customer_due_nearby:
        verb = "falls" if customer_due_nearby == 1 else "fall"
        sentences.append(
            f"{_promises_words(customer_due_nearby)} to {customer} {verb} due {_window_words()}."
        )
    if over_committed:
        sentences.append(
            f"You already have {_promises_words(owner_due_nearby)} due {_window_words()}; "
            f"your record supports {capacity}."
        )
    return " ".join(sentences)
