"""The report's own read (storage/repo/report.py) gives scoring what every other read gives it:
a plain promise straight from its rows as the `Scorable` that `scoring.scorable` makes of it
loaded as a `Promise`, and every other promise (a series, an occurrence, one with a void or an
amendment) whole; so the report's numbers are those of `score_customer` over each customer's
promises as `load_promises` reads them, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conftest import Marry
from ledgers import day
from marrycli.dates import format_utc, to_micros
from marrycli.domain import EventKind, Promise
from marrycli.model.scoring import scorable, score_customer
from marrycli.service.reports import report
from marrycli.service.standing import expand
from marrycli.storage import repo
from marrycli.storage.ledger import Ledger
from marrycli.storage.location import resolve_location

LATER = datetime.now(UTC) + timedelta(days=1)  # after every write of the test


def at(days: float) -> str:
    return format_utc(day(days))


def _build(marry: Marry) -> None:
    """A ledger with every kind of promise the report reads."""
    a = [marry.add(f"a{i}", "acme", "--made", at(i), "--due", at(i + 7), "--force")
         for i in range(8)]  # fmt: skip
    marry.ok("keep", str(a[0]), "--at", at(3))
    marry.ok("break", str(a[1]), "--at", at(9))
    marry.ok("renegotiate", str(a[2]), "--due", at(20), "--at", at(4))
    marry.ok("keep", str(a[2]), "--at", at(21))
    marry.ok("promise", "cancel", str(a[3]), "--note", "dropped")  # now: counts at LATER
    marry.ok("keep", str(a[4]), "--at", at(6))
    marry.ok("undo", str(a[4]))  # a void
    marry.ok("break", str(a[4]), "--at", at(12))
    marry.ok("promise", "amend", str(a[5]), "--size", "large", "--value", "low")
    marry.ok("keep", str(a[5]), "--at", at(8))
    marry.ok("keep", str(a[6]), "--at", at(40))  # after the earlier as_of
    marry.add("b", "ACME GmbH", "--made", at(2), "--due", at(9), "--force")
    marry.ok("customer", "merge", "acme gmbh", "acme")
    marry.add("g", "globex", "--made", at(1), "--force")  # no due date, no event
    series = marry.json(
        "promise", "add", "Weekly call", "-c", "globex", "--made", at(0), "--every", "1w",
        "--force",
    )["id"]  # fmt: skip
    marry.ok("keep", str(series), "--at", at(2))  # its first occurrence, stored
    marry.add("late", "initech", "--made", at(30), "--force")  # made after the earlier as_of


def _special(promise: Promise) -> bool:
    return (
        promise.standing is not None
        or promise.series is not None
        or any(e.kind in (EventKind.VOID, EventKind.AMENDED) for e in promise.events)
    )


@pytest.mark.parametrize("chunk", [1, 500])  # promises read whole together, across customers
@pytest.mark.parametrize("as_of", [day(25), day(60), LATER])
def test_the_report_reads_each_promise_as_every_read_does(
    marry: Marry, as_of: datetime, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marrycli.storage.repo import report as module

    monkeypatch.setattr(module, "_SPECIAL_CHUNK", chunk)
    _build(marry)
    ledger = Ledger(resolve_location(marry.db))
    with ledger.read() as conn:
        assert conn is not None
        read = list(repo.report_scorables(conn, to_micros(as_of)))
        assert len({customer for customer, _s, _p in read}) == len(read)
        assert all(scorables for _c, scorables, _p in read)  # plain promises, read straight
        assert sum(len(promises) for _c, _s, promises in read) >= 4  # and the others whole
        for customer, scorables, promises in read:
            loaded = {
                p.id: p
                for p in repo.load_promises(conn, customer_id=customer, made_until=to_micros(as_of))
            }
            plain = {s[1]: s for s in scorables}
            assert sorted([*plain, *(p.id for p in promises)]) == sorted(loaded)
            assert plain == {pid: scorable(loaded[pid]) for pid in plain}
            assert not any(_special(loaded[pid]) for pid in plain)
            assert all(_special(p) for p in promises)
            for promise in promises:
                assert scorable(promise) == scorable(loaded[promise.id])
                assert (promise.standing, promise.series, promise.occurrence) == (
                    loaded[promise.id].standing,
                    loaded[promise.id].series,
                    loaded[promise.id].occurrence,
                )


@pytest.mark.parametrize("as_of", [day(25), day(60), LATER])
def test_the_report_scores_what_load_promises_reads(marry: Marry, as_of: datetime) -> None:
    _build(marry)
    ledger = Ledger(resolve_location(marry.db))
    lines = report(ledger, as_of=as_of, trend=True)
    assert len(lines) == (2 if as_of == day(25) else 3)
    with ledger.read() as conn:
        assert conn is not None
        for line in lines:
            loaded = repo.load_promises(
                conn, customer_id=line.customer_id, made_until=to_micros(as_of)
            )
            promises = expand(loaded, as_of)
            expected = score_customer(line.report.customer, promises, as_of, detail=False)
            assert line.report == expected
            earlier = as_of - timedelta(days=30)
            before = score_customer(line.report.customer, promises, earlier, detail=False)
            assert line.trend == expected.trust - before.trust


def test_on_postgresql_the_report_streams_through_a_server_side_cursor(pg_marry: Marry) -> None:
    """Its rows come through a named cursor (a server-side one, which holds a batch of rows in
    memory at a time), planned for reading them all."""
    for customer in ("acme", "globex", "initech"):
        pg_marry.add("p", customer)
    ledger = Ledger(resolve_location(pg_marry.db))
    with ledger.read() as conn:
        assert conn is not None
        customers = repo.report_scorables(conn, to_micros(LATER))
        next(customers)  # the first customer read, the rows of the others still to come
        cursors = conn.exec_driver_sql("SELECT name FROM pg_cursors").scalars().all()
        fraction = conn.exec_driver_sql("SHOW cursor_tuple_fraction").scalar()
        assert len(list(customers)) == 2
        after = conn.exec_driver_sql("SELECT name FROM pg_cursors").scalars().all()
    assert cursors == ["marry_stream"] and fraction == "1"
    assert after == []  # closed once read
