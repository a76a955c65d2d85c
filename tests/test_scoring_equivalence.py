"""Scoring on integer microseconds (`Scorable`) gives every number exactly as the datetime
scoring it replaced (tests/scoring_reference.py, the code before): the same floats to the
last bit, the same counts, stages, timeline and contributions, for any promises at all,
valid ledgers or not (events out of order, after an outcome, voids, amendments, series,
occurrences, promises sharing a number, times in other zones, microseconds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

import scoring_reference as reference
from marrycli.domain import (
    Amendment,
    Event,
    EventKind,
    Period,
    Promise,
    Size,
    Standing,
    Value,
)
from marrycli.model.scoring import (
    late_cost,
    renegotiation_cost,
    renegotiation_is_early,
    scorable,
    score_customer,
    score_scorables,
)

PROPERTY = settings(max_examples=300, deadline=None)
START = datetime(2024, 1, 1, tzinfo=UTC)
ZONES = (UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)))

# Times up to a year after START, to the microsecond, some on round hours (ties), in a zone.
moments = st.builds(
    lambda micros, round_hour, zone: (
        START
        + timedelta(hours=micros // 3_600_000_000 if round_hour else 0)
        + timedelta(microseconds=0 if round_hour else micros)
    ).astimezone(zone),
    st.integers(0, 365 * 86_400_000_000),
    st.booleans(),
    st.sampled_from(ZONES),
)


@st.composite
def promises(draw: st.DrawFn) -> list[Promise]:
    """Up to 6 promises with up to 5 events each, of any kind, at any time."""
    found = []
    event_id = 0
    for _ in range(draw(st.integers(0, 6))):
        pid = draw(st.integers(-3, 8))  # negative: an occurrence not stored yet; repeats
        made = draw(moments)
        due = draw(st.none() | moments)
        events = []
        for _ in range(draw(st.integers(0, 5))):
            event_id += 1
            kind = draw(st.sampled_from(EventKind))
            events.append(
                Event(
                    id=event_id,
                    promise_id=pid,
                    kind=kind,
                    at=draw(moments),
                    due=draw(st.none() | moments) if kind is EventKind.RENEGOTIATED else None,
                    voids=draw(st.integers(1, event_id)) if kind is EventKind.VOID else None,
                    amendment=Amendment(size=Size.LARGE) if kind is EventKind.AMENDED else None,
                )
            )
        series = draw(st.none() | st.integers(1, 4))
        standing = None
        if draw(st.integers(0, 9)) == 0:
            standing = Standing(every=Period(1, "w"), within=Period(1, "w"))
        found.append(
            Promise(
                id=pid,
                customer="Acme",
                text="t",
                made=made,
                due=due,
                size=draw(st.sampled_from(Size)),
                value=draw(st.sampled_from(Value)),
                owner="o",
                events=tuple(events),
                standing=standing,
                series=series,
                occurrence=draw(st.integers(1, 9)) if series is not None else None,
            )
        )
    return found


@PROPERTY
@given(promises(), moments, st.booleans())
def test_scoring_integers_gives_every_number_as_before(
    listed: list[Promise], as_of: datetime, detail: bool
) -> None:
    expected = reference.score_customer("Acme", listed, as_of, detail=detail)
    assert score_customer("Acme", listed, as_of, detail=detail) == expected
    items = [item for item in map(scorable, listed) if item is not None]
    assert score_scorables("Acme", items, as_of, detail=detail) == expected


@PROPERTY
@given(promises(), moments)
def test_the_timeline_is_of_the_same_moments(listed: list[Promise], as_of: datetime) -> None:
    expected = reference.score_customer("Acme", listed, as_of)
    found = score_customer("Acme", listed, as_of)
    assert [p.at for p in found.timeline] == [p.at for p in expected.timeline]
    assert [c.at for c in found.contributions] == [c.at for c in expected.contributions]
    assert found.since == expected.since


def test_the_far_future_scores_as_before() -> None:
    far = datetime.max.replace(tzinfo=UTC)
    listed = [
        Promise(1, "a", "t", START, START + timedelta(days=3), Size.LARGE, Value.HIGH, "o"),
        Promise(2, "a", "t", START, None, Size.SMALL, Value.LOW, "o"),
    ]
    assert score_customer("a", listed, far) == reference.score_customer("a", listed, far)


@PROPERTY
@given(moments, moments, moments)
def test_cost_factors_are_as_before(made: datetime, due: datetime, at: datetime) -> None:
    assert renegotiation_cost(made, due, at) == reference.renegotiation_cost(made, due, at)
    assert renegotiation_is_early(made, due, at) == reference.renegotiation_is_early(made, due, at)
    assert late_cost(due, at) == reference.late_cost(due, at)
