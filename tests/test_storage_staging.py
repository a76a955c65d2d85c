"""The staged import file (storage/staging.py): built beside the ledger, linked into place
only once complete, and never left behind."""

from __future__ import annotations

import os
import subprocess

from marrycli.storage import staging


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _write_something(ledger) -> None:
    with ledger.write() as conn:
        assert conn is not None


def test_a_staged_ledger_is_linked_into_place_and_its_files_removed(tmp_path):
    target = tmp_path / "ledger.db"
    with staging.staged_ledger(target, lock_timeout=5) as staged:
        assert staged.path.name == f".ledger.db.import-{os.getpid()}"
        _write_something(staged.ledger)
        assert not target.exists()
        assert staged.link_into_place() is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.db"]


def test_a_ledger_created_meanwhile_is_left_alone(tmp_path):
    target = tmp_path / "ledger.db"
    with staging.staged_ledger(target, lock_timeout=5) as staged:
        _write_something(staged.ledger)
        target.write_bytes(b"another writer's ledger")
        assert staged.link_into_place() is False
    assert target.read_bytes() == b"another writer's ledger"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.db"]


def test_a_failure_inside_removes_the_staging_files(tmp_path):
    target = tmp_path / "ledger.db"
    try:
        with staging.staged_ledger(target, lock_timeout=5) as staged:
            _write_something(staged.ledger)
            raise RuntimeError("the import was refused")
    except RuntimeError:
        pass
    assert list(tmp_path.iterdir()) == []


def test_only_the_staging_files_of_dead_processes_are_removed(tmp_path):
    target = tmp_path / "ledger.db"
    dead = _dead_pid()
    stale = [tmp_path / f".ledger.db.import-{dead}{s}" for s in ("", "-wal", "-shm", "-journal")]
    kept = [
        tmp_path / f".ledger.db.import-{os.getpid()}",  # this process's own
        tmp_path / f".ledger.db.import-{os.getppid()}-wal",  # a live process's
        tmp_path / ".ledger.db.import-notanumber",
        tmp_path / f".other.db.import-{dead}",  # another ledger's
    ]
    for path in [*stale, *kept]:
        path.write_bytes(b"x")
    staging.remove_stale(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in kept)


def test_no_folder_yet_is_nothing_to_remove(tmp_path):
    staging.remove_stale(tmp_path / "missing" / "ledger.db")
