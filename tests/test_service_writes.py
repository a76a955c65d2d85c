"""The one write path: a write whose ref another writer takes first starts over in a new
transaction (`service.writes.write_transaction`), for promises and events alike."""

from __future__ import annotations

import pytest

from marrycli.service.writes import ATTEMPTS
from marrycli.storage import repo


@pytest.fixture
def racing(monkeypatch):
    """Make `claim_ref` lose the race the first `losses` times (the row of the write is
    there, uncommitted, as when another writer's claim got in between); counts the calls."""
    real = repo.claim_ref
    calls: list[str] = []
    state = {"losses": 0}

    def claim_ref(conn, ref, promise_id, event_id):
        calls.append(ref)
        if len(calls) <= state["losses"]:
            return False
        return real(conn, ref, promise_id, event_id)

    monkeypatch.setattr(repo, "claim_ref", claim_ref)

    def lose(times: int) -> list[str]:
        state["losses"] = times
        calls.clear()
        return calls

    return lose


def test_an_add_that_loses_a_ref_race_starts_over_and_records_once(marry, racing):
    calls = racing(1)
    pid = marry.add("Ship SSO", "acme", "--ref", "r1")
    assert calls == ["r1", "r1"]
    assert [p["id"] for p in marry.json("promise", "list", "--status", "all")] == [pid]
    assert marry.json("promise", "show", "ref:r1")["id"] == pid


def test_an_event_that_loses_a_ref_race_starts_over_and_records_once(marry, racing):
    pid = marry.add()
    calls = racing(2)
    marry.ok("keep", str(pid), "--ref", "k1")
    assert calls == ["k1", "k1", "k1"]
    events = marry.json("promise", "show", str(pid))["events"]
    assert [(e["kind"], e["ref"]) for e in events] == [("kept", "k1")]


@pytest.mark.parametrize(
    "args",
    [
        ["promise", "add", "second", "-c", "globex", "--ref", "r1"],
        ["keep", "1", "--ref", "r1"],
        ["undo", "1", "--ref", "r1"],
    ],
    ids=["add", "keep", "undo"],
)
def test_a_ref_that_keeps_racing_gives_up_and_writes_nothing(marry, racing, args):
    marry.add("first")
    if args[0] == "undo":
        marry.ok("break", "1")
    before = marry.rows()
    calls = racing(ATTEMPTS)
    result = marry(*args)
    assert result.exit_code == 2
    assert "--ref r1 is being written by another process; try again" in result.stderr
    assert calls == ["r1"] * ATTEMPTS
    assert marry.rows() == before
