"""The one error handler: internal errors, Ctrl-C, and the lock timeout."""

from __future__ import annotations

import sqlite3

import pytest

from marrycli.storage import repo


def test_an_internal_error_is_one_line_and_exit_70(sqlite_marry, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("boom")

    sqlite_marry.add()
    monkeypatch.setattr(repo, "load_promises", broken)
    result = sqlite_marry("promise", "list")
    assert result.exit_code == 70
    assert result.stderr.count("\n") == 1
    assert "internal error (ValueError: boom)" in result.stderr and "--debug" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(sqlite_marry, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("boom")

    sqlite_marry.add()
    monkeypatch.setattr(repo, "load_promises", broken)
    from typer.testing import CliRunner

    from marrycli.cli.app import app

    result = CliRunner().invoke(app, ["--debug", "--db", sqlite_marry.db, "promise", "list"])
    assert result.exit_code == 70
    assert "Traceback" in result.stderr and "ValueError: boom" in result.stderr


@pytest.mark.parametrize("where", ["insert_promise", "claim_ref"])
def test_ctrl_c_mid_write_exits_130_with_nothing_written(marry, monkeypatch, where):
    marry.add("first")
    before = marry.rows()
    real = getattr(repo, where)

    def interrupted(*args, **kwargs):
        real(*args, **kwargs)  # the row is written inside the transaction...
        raise KeyboardInterrupt  # ...and then the user presses Ctrl-C

    monkeypatch.setattr(repo, where, interrupted)
    result = marry("promise", "add", "second", "-c", "globex", "--ref", "r1")
    assert result.exit_code == 130
    assert marry.rows() == before


def test_a_writer_gives_up_after_the_lock_timeout_with_exit_3(sqlite_marry):
    sqlite_marry.add()
    holder = sqlite3.connect(sqlite_marry.db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = sqlite_marry("keep", "1", MARRY_LOCK_TIMEOUT="0.2")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 3
    assert "stayed locked" in result.stderr and "MARRY_LOCK_TIMEOUT" in result.stderr
    assert sqlite_marry.json("promise", "show", "1")["status"] == "open"


def test_readers_do_not_wait_for_a_writer(sqlite_marry):
    sqlite_marry.add()
    holder = sqlite3.connect(sqlite_marry.db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = sqlite_marry("promise", "list", "--json", MARRY_LOCK_TIMEOUT="0.2")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 0 and len(result.json()) == 1


def test_the_entry_points_early_ctrl_c_exit_is_exit_status_interrupted() -> None:
    from marrycli import __main__ as entry
    from marrycli.errors import ExitStatus

    assert entry._INTERRUPTED == ExitStatus.INTERRUPTED
