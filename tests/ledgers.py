"""Ledgers described in days, for tests: the worked examples of SPEC §5 and their kin.

A description is plain data (`LedgerSpec` of `PromiseSpec`s of `Step`s, times in days
after 2024-01-01T00:00:00Z), so the same ledger can be built as domain objects here
(`to_promises`) or through the real CLI by a later test (`promise add --made --due`,
then `keep` / `break` / `renegotiate` / `promise cancel` with `--at`, in the order of
`LedgerSpec.commands()`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from marrycli.domain import Event, EventKind, Promise, Size, Value

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
CUSTOMER = "Acme Corp"
OWNER = "tester"


def day(days: float) -> datetime:
    """The moment `days` days after 2024-01-01T00:00:00Z."""
    return EPOCH + timedelta(days=days)


@dataclass(frozen=True)
class Step:
    """One event of a promise: kept, broken, renegotiated (to `due`) or cancelled, at `at`."""

    kind: EventKind
    at: float
    due: float | None = None


def kept(at: float) -> Step:
    return Step(EventKind.KEPT, at)


def broken(at: float) -> Step:
    return Step(EventKind.BROKEN, at)


def renegotiated(at: float, due: float) -> Step:
    return Step(EventKind.RENEGOTIATED, at, due)


def cancelled(at: float) -> Step:
    return Step(EventKind.CANCELLED, at)


@dataclass(frozen=True)
class PromiseSpec:
    made: float
    due: float | None
    steps: tuple[Step, ...] = ()
    size: Size = Size.SMALL
    value: Value = Value.HIGH
    text: str = "a promise"


def promise(
    made: float,
    due: float | None,
    *steps: Step,
    size: Size = Size.SMALL,
    value: Value = Value.HIGH,
) -> PromiseSpec:
    return PromiseSpec(made, due, tuple(steps), size, value)


@dataclass(frozen=True)
class LedgerSpec:
    """Promises of one customer, in the order they are added, and the `as_of` to score at."""

    promises: tuple[PromiseSpec, ...]
    as_of: float
    customer: str = CUSTOMER

    def commands(self) -> Iterator[tuple[int, PromiseSpec | Step]]:
        """Every write in time order: (promise index, the PromiseSpec or Step to record)."""
        writes: list[tuple[float, int, int, PromiseSpec | Step]] = []
        for index, spec in enumerate(self.promises):
            writes.append((spec.made, index, 0, spec))
            for order, step in enumerate(spec.steps, start=1):
                writes.append((step.at, index, order, step))
        for _at, index, _order, write in sorted(writes, key=lambda w: w[:3]):
            yield index, write


def ledger(*groups: PromiseSpec | Iterable[PromiseSpec], as_of: float | None = None) -> LedgerSpec:
    """A ledger of these promises; `as_of` defaults to the last event (or promise made)."""
    specs: list[PromiseSpec] = []
    for group in groups:
        if isinstance(group, PromiseSpec):
            specs.append(group)
        else:
            specs.extend(group)
    if as_of is None:
        times = [s.made for s in specs] + [step.at for s in specs for step in s.steps]
        as_of = max(times, default=0.0)
    return LedgerSpec(tuple(specs), as_of)


def every(
    period: float,
    count: int,
    *,
    broken_at: Iterable[int] = (),
    open_at: Iterable[int] = (),
    size: Size = Size.SMALL,
    value: Value = Value.HIGH,
    first: float = 0.0,
) -> list[PromiseSpec]:
    """Promise i (i = 0, 1, ...) made on day first + period*i, due and resolved one period later.

    Promises whose index is in `broken_at` are broken, those in `open_at` left open, the
    others kept, all exactly on their due day.
    """
    broken_set = set(broken_at)
    open_set = set(open_at)
    specs = []
    for i in range(count):
        made = first + period * i
        due = made + period
        if i in open_set:
            steps: tuple[Step, ...] = ()
        elif i in broken_set:
            steps = (broken(due),)
        else:
            steps = (kept(due),)
        specs.append(PromiseSpec(made, due, steps, size, value, text=f"promise {i}"))
    return specs


def weekly(
    count: int,
    *,
    broken_at: Iterable[int] = (),
    size: Size = Size.SMALL,
    value: Value = Value.HIGH,
) -> list[PromiseSpec]:
    """SPEC §5's "weekly": promise i made on day 7i, due on day 7(i+1) and resolved then."""
    return every(7, count, broken_at=broken_at, size=size, value=value)


def to_promises(spec: LedgerSpec, *, first_id: int = 1) -> list[Promise]:
    """The domain Promises of a ledger description, numbered from `first_id` in order."""
    promises = []
    event_id = 1
    for index, p in enumerate(spec.promises):
        pid = first_id + index
        events = []
        for step in p.steps:
            events.append(
                Event(
                    id=event_id,
                    promise_id=pid,
                    kind=step.kind,
                    at=day(step.at),
                    due=None if step.due is None else day(step.due),
                    owner=OWNER,
                )
            )
            event_id += 1
        promises.append(
            Promise(
                id=pid,
                customer=spec.customer,
                text=p.text,
                made=day(p.made),
                due=None if p.due is None else day(p.due),
                size=p.size,
                value=p.value,
                owner=OWNER,
                events=tuple(events),
            )
        )
    return promises


# The worked examples of SPEC §5: name -> (ledger, trust, distrust, stage, keep rate,
# streak, longest streak).
def _v8_like(*steps: Step, as_of: float) -> LedgerSpec:
    return ledger(every(15, 6), promise(90, 120, *steps, size=Size.MEDIUM), as_of=as_of)


WORKED_EXAMPLES: dict[str, tuple[LedgerSpec, float, float, str, float, int, int]] = {
    "V1": (ledger(weekly(3)), 0.6000, 0.0000, "dating", 1.0, 3, 3),
    "V2": (ledger(weekly(15, broken_at=(4, 9, 14))), 0.4380, 0.4743, "strained", 0.8, 0, 4),
    "V3": (ledger(weekly(10, value=Value.NONE)), 0.0, 0.0, "stranger", 1.0, 10, 10),
    "V4": (ledger(weekly(2), promise(14, 21, broken(21))), 0.2334, 0.5077, "strained", 2 / 3, 0, 2),
    "V5": (
        ledger(weekly(2), promise(14, 21, broken(21), size=Size.LARGE)),
        0.0916,
        0.7779,
        "estranged",
        2 / 3,
        0,
        2,
    ),
    "V6": (
        ledger(every(14, 30), promise(420, 427, broken(427))),
        0.9298,
        0.0078,
        "married",
        30 / 31,
        0,
        30,
    ),
    "V7": (
        ledger(every(14, 30), promise(420, 427, broken(427), size=Size.LARGE)),
        0.6991,
        0.2422,
        "trusted",
        30 / 31,
        0,
        30,
    ),
    "V8": (_v8_like(renegotiated(106, 150), as_of=120), 0.6837, 0.0842, "trusted", 1.0, 6, 6),
    "V9": (_v8_like(renegotiated(119, 150), as_of=120), 0.3811, 0.4684, "strained", 6 / 7, 0, 6),
    "V10": (_v8_like(broken(120), as_of=120), 0.3504, 0.5074, "strained", 6 / 7, 0, 6),
    "V11": (_v8_like(kept(121), as_of=121), 0.6595, 0.1149, "trusted", 6 / 7, 0, 6),
    "V12": (_v8_like(as_of=121), 0.3504, 0.5074, "strained", 6 / 7, 0, 6),
    "V13": (ledger(every(14, 26)), 0.9286, 0.0, "loyal", 1.0, 26, 26),
    "V14": (ledger(every(14, 28)), 0.9333, 0.0, "married", 1.0, 28, 28),
}
