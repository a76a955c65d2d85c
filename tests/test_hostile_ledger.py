"""Hostile ways in through storage: --db / MARRY_DB values, export --output targets, tampered
ledgers, failing PostgreSQL connections and full disks (issues 8 and 9).

Every refusal: its exit code (2 bad input, 3 unusable ledger), exactly one line on stderr,
no traceback, no "internal error", the ledger's rows unchanged, the reads still working.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import stat
import struct
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import POSTGRES_URL, Marry, Result, run_marry
from marrycli.dates import EARLIEST, LATEST, to_micros

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def invoke(*args: str, **env: str) -> Result:
    """`marry ARGS` in-process, without the fixture's --db (these tests give their own)."""
    from marrycli.cli.app import app

    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)


def assert_refused(result: Result, code: int, *says: str) -> None:
    """Exit `code`, one line on stderr saying each of `says`, nothing internal."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for words in says:
        assert words in result.stderr, result.stderr


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def reads_work(marry: Marry, promises: int = 1) -> None:
    assert len(marry.json("promise", "list", "--status", "all")) == promises
    marry.ok("report")
    marry.ok("export")
    marry.ok("db", "check")


# -- --db and MARRY_DB: paths and URLs that cannot work --------------------------------------

LONG_NAME = "a" * 300 + ".db"
BAD_LOCATIONS = [
    ("~nosuchuser-h4/x.db", "no such user"),
    ("sqlite:///~nosuchuser-h4/x.db", "no such user"),
    (f"/tmp/{LONG_NAME}", "a file or folder name has at most 255"),
    ("/tmp/" + "d/" * 2100 + "x.db", "the limit is 4,095"),
    ("postgresql+psycopg://u@127.0.0.1:abc/x", "port that is not a number"),
    ("postgresql+psycopg://u@127.0.0.1:0/x", "port that is not a number"),
    ("postgresql+psycopg://u@127.0.0.1:70000/x", "port that is not a number"),
    ("postgresql+psycopg://u@[::1/x", "without its ']'"),
    ("postgresql+psycopg://u@127.0.0.1/x?bogus=1", "'bogus', which PostgreSQL does not know"),
    ("postgresql+psycopg://u@127.0.0.1/x?sslmode", "not KEY=VALUE"),
    ("postgresql+psycopg://u@127.0.0.1/x?port=1&port=2", "twice"),
    ("postgresql+psycopg://a,b/x", "several hosts"),
    ("postgresql+psycopg://u:pw@127.0.0.1/x?password=pw2", "password twice"),
]


@pytest.mark.parametrize(("db", "says"), BAD_LOCATIONS, ids=[s for _db, s in BAD_LOCATIONS])
@pytest.mark.parametrize("args", [["promise", "list"], ["promise", "add", "x", "-c", "acme"]])
def test_a_bad_location_is_bad_input_and_creates_nothing(tmp_path, monkeypatch, db, says, args):
    monkeypatch.chdir(tmp_path)
    assert_refused(invoke("--db", db, *args), 2, "--db", says)
    assert_refused(invoke(*args, MARRY_DB=db), 2, "MARRY_DB", says)
    assert files_in(tmp_path) == []


@pytest.mark.parametrize(
    ("option", "says"),
    [("sslmode=bogus", "invalid sslmode value"), ("keepalives=x", "invalid integer value")],
)
def test_an_option_value_libpq_refuses_is_bad_input(tmp_path, option, says):
    result = invoke("--db", f"postgresql://u:s3cr3t@127.0.0.1:1/x?{option}", "promise", "list")
    assert_refused(result, 2, says, "postgresql+psycopg://u:***@127.0.0.1:1/x")
    assert "s3cr3t" not in result.stderr


@pytest.mark.parametrize(
    "db",
    [
        "postgresql+psycopg://marry:pa@ss-tail-9@127.0.0.1:1/x",  # '@' in the password
        "postgresql+psycopg://marry:pa/ss-tail-9@127.0.0.1:1/x",  # '/' unencoded
        "postgresql+psycopg://marry:pa?ss-tail-9@127.0.0.1:1/x",  # '?' unencoded
        "postgresql+psycopg://marry:pa#ss-tail-9@127.0.0.1:1/x",  # '#' unencoded
        "postgresql+psycopg://marry:pa:ss-tail-9@127.0.0.1:abc/x",  # and a bad port
    ],
)
def test_no_piece_of_a_password_is_ever_printed(db):
    result = invoke("--db", db, "promise", "list")
    assert result.exit_code in (2, 3), result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "ss-tail-9" not in result.stderr and "marry:pa" not in result.stderr
    assert "internal error" not in result.stderr


def test_a_password_with_at_is_read_as_browsers_read_it():
    from marrycli.storage.location import resolve_location

    location = resolve_location("postgresql://marry:p@ss@db.example:5433/ledger")
    assert location.display == "postgresql+psycopg://marry:***@db.example:5433/ledger"
    assert location.url == "postgresql+psycopg://marry:p%40ss@db.example:5433/ledger"
    assert location.password == "p@ss"


@pytest.mark.parametrize(
    ("db", "shown"),
    [
        # The garbled mask of issue 8: the password equal to the user and database names.
        (
            "postgresql+psycopg://postgres:postgres@127.0.0.1:1/postgres",
            "postgresql+psycopg://postgres:***@127.0.0.1:1/postgres",
        ),
        (
            "postgres://marry@127.0.0.1:1/ledger?password=s3cr3t&sslmode=disable",
            "postgresql+psycopg://marry:***@127.0.0.1:1/ledger?sslmode=disable",
        ),
        ("postgresql://marry@[::1]:1/ledger", "postgresql+psycopg://marry@[::1]:1/ledger"),
    ],
)
def test_only_the_password_is_hidden(db, shown):
    result = invoke("--db", db, "promise", "list")
    assert_refused(result, 3, shown)
    assert "s3cr3t" not in result.stderr


def test_a_unix_socket_folder_as_the_host_is_kept():
    from marrycli.storage.location import resolve_location

    location = resolve_location("postgresql://marry@%2Fvar%2Frun%2Fpostgresql/ledger")
    assert location.display == "postgresql+psycopg://marry@/ledger?host=%2Fvar%2Frun%2Fpostgresql"


@pytest.mark.slow
def test_a_bad_location_through_the_installed_marry(tmp_path):
    result = run_marry("--db", "~nosuchuser-h4/x.db", "promise", "add", "x", "-c", "acme")
    assert_refused(result, 2, "no such user")
    result = run_marry("promise", "list", env={"MARRY_DB": "postgresql://u@127.0.0.1:abc/x"})
    assert_refused(result, 2, "MARRY_DB", "port")


# -- PostgreSQL: unreachable, login refused, no such database ---------------------------------


def _server_url(database: str, user: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL).set(database=database)
    if user is not None:
        url = url.set(username=user)
    return url.render_as_string(hide_password=False)


@pytest.mark.postgres
def test_a_missing_database_says_createdb(postgres_base):
    name = f"marry_missing_{uuid.uuid4().hex[:8]}"
    db = _server_url(name)
    for args in (["promise", "list"], ["promise", "add", "x", "-c", "acme"], ["db", "info"]):
        result = invoke("--db", db, *args)
        assert_refused(result, 3, "has no database", f'database "{name}" does not exist')
        assert "createdb" in result.stderr and name in result.stderr
        assert "cannot reach" not in result.stderr


@pytest.mark.postgres
def test_an_unknown_user_is_a_refused_login(postgres_base):
    db = _server_url("postgres", user=f"nobody_{uuid.uuid4().hex[:8]}")
    result = invoke("--db", db, "promise", "list")
    assert_refused(result, 3, "refused the login", "does not exist", "password")
    assert "cannot reach" not in result.stderr and "createdb" not in result.stderr


def test_an_unreachable_port_is_unreachable():
    result = invoke("--db", "postgresql+psycopg://marry:s3cr3t@127.0.0.1:1/ledger", "db", "info")
    assert_refused(result, 3, "cannot reach the PostgreSQL server", "Connection refused")
    assert "s3cr3t" not in result.stderr


@pytest.fixture
def password_refusing_server() -> Iterator[int]:
    """A stand-in PostgreSQL server on a free port that asks for a password and refuses it,
    as a server with password authentication does (the test server trusts everyone)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def read_exactly(conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    def serve(conn: socket.socket) -> None:
        with conn:
            while True:  # SSL and GSS requests first, answered "no"
                size, code = struct.unpack("!ii", read_exactly(conn, 8))
                read_exactly(conn, size - 8)
                if code in (80877103, 80877104):
                    conn.sendall(b"N")
                    continue
                break
            conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # cleartext password, please
            kind = read_exactly(conn, 1)
            (size,) = struct.unpack("!i", read_exactly(conn, 4))
            read_exactly(conn, size - 4)
            assert kind == b"p"
            fields = b"".join(
                tag + text.encode() + b"\0"
                for tag, text in (
                    (b"S", "FATAL"),
                    (b"V", "FATAL"),
                    (b"C", "28P01"),
                    (b"M", 'password authentication failed for user "marry"'),
                )
            )
            body = fields + b"\0"
            conn.sendall(b"E" + struct.pack("!i", len(body) + 4) + body)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with contextlib.suppress(ConnectionError, OSError, AssertionError):
                serve(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


def test_a_wrong_password_is_a_refused_login(password_refusing_server):
    db = f"postgresql+psycopg://marry:wr0ng-pw@127.0.0.1:{password_refusing_server}/ledger"
    result = invoke("--db", db, "promise", "list")
    assert_refused(
        result,
        3,
        "refused the login",
        'password authentication failed for user "marry"',
        "postgresql+psycopg://marry:***@127.0.0.1:",
    )
    assert "wr0ng-pw" not in result.stderr and "cannot reach" not in result.stderr


# -- export --output: never over the ledger or anything that is not a regular file -------------


def _ledger_with_a_promise(marry: Marry) -> None:
    marry.add()
    if marry.path is not None:  # make sure the -wal and -shm files exist too
        holder = sqlite3.connect(marry.path)
        holder.execute("SELECT count(*) FROM marry_promise").fetchall()
        holder.close()


def _make_target(kind: str, folder: Path, marry: Marry) -> tuple[Path, str]:
    """An output path of `kind`, and the words the refusal says."""
    if kind == "fifo":
        path = folder / "pipe"
        os.mkfifo(path)
        return path, "a FIFO"
    if kind == "symlink":
        (folder / "real.jsonl").write_text("keep me\n")
        path = folder / "link.jsonl"
        path.symlink_to(folder / "real.jsonl")
        return path, "a symbolic link"
    if kind == "dangling symlink":
        path = folder / "nowhere.jsonl"
        path.symlink_to(folder / "missing" / "x.jsonl")
        return path, "a symbolic link"
    if kind == "folder":
        path = folder / "out"
        path.mkdir()
        return path, "a folder"
    if kind == "device":
        return Path("/dev/null"), "a character device"
    if kind == "missing folder":
        return folder / "no" / "such" / "out.jsonl", "does not exist"
    raise AssertionError(kind)


OUTPUT_KINDS = ["fifo", "symlink", "dangling symlink", "folder", "device", "missing folder"]


def _state(path: Path) -> tuple[Any, ...]:
    """What is at a path: its type, and for a link its target, for a file its bytes."""
    try:
        found = path.lstat()
    except FileNotFoundError:
        return ("nothing",)
    if stat.S_ISLNK(found.st_mode):
        return ("link", os.readlink(path))
    if stat.S_ISREG(found.st_mode):
        return ("file", path.read_bytes())
    return ("other", stat.S_IFMT(found.st_mode))


@pytest.mark.parametrize("kind", OUTPUT_KINDS)
def test_export_output_refuses_what_is_not_a_regular_file(marry, tmp_path, kind):
    _ledger_with_a_promise(marry)
    folder = tmp_path / "out"
    folder.mkdir()
    target, says = _make_target(kind, folder, marry)
    before_target, before_rows, before_files = _state(target), marry.rows(), files_in(folder)
    for fmt in ("jsonl", "csv"):
        assert_refused(marry("export", "--output", str(target), "--format", fmt), 2, says)
    assert _state(target) == before_target
    assert files_in(folder) == before_files  # no temporary file left behind
    assert marry.rows() == before_rows
    reads_work(marry)


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
@pytest.mark.parametrize("spelling", ["as given", "relative", "with ..", "hard link"])
def test_export_output_refuses_the_ledger_and_its_journals(
    sqlite_marry, tmp_path, monkeypatch, request, suffix, spelling
):
    marry = sqlite_marry
    _ledger_with_a_promise(marry)
    assert marry.path is not None
    # Another process reading the ledger meanwhile keeps its -wal and -shm files in place.
    holder = sqlite3.connect(marry.path)
    request.addfinalizer(holder.close)
    holder.execute("SELECT count(*) FROM marry_promise").fetchall()
    target = marry.path.with_name(marry.path.name + suffix)
    if spelling == "relative":
        monkeypatch.chdir(tmp_path)
        target = Path(target.name)
    elif spelling == "with ..":
        target = tmp_path / ".." / tmp_path.name / target.name
    elif spelling == "hard link":
        if not target.exists():
            pytest.skip(f"no {suffix} file to link to")
        linked = tmp_path / "elsewhere.db"
        os.link(target, linked)
        target = linked
    before_rows, before_files = marry.rows(), files_in(tmp_path)
    before_target = _state(target)
    result = marry("export", "--output", str(target))
    assert_refused(result, 2, "is the ledger itself", "give another file")
    assert _state(target) == before_target
    assert files_in(tmp_path) == before_files
    assert marry.rows() == before_rows
    reads_work(marry)


@pytest.mark.slow
def test_export_output_refuses_the_ledger_named_by_marry_db(tmp_path):
    """The report of issue 9: `marry export --output "$MARRY_DB"` through the installed marry."""
    db = tmp_path / "ledger.db"
    env = {"MARRY_DB": str(db), "MARRY_USER": "tester"}
    # The promise is recorded in-process (cheaper); the export is the installed marry's.
    Marry(db=str(db), backend="sqlite").ok("promise", "add", "x", "-c", "acme")
    before = db.read_bytes()
    result = run_marry("export", "--output", str(db), env=env)
    assert_refused(result, 2, "is the ledger itself")
    assert db.read_bytes() == before
    assert run_marry("db", "check", env=env).exit_code == 0


def test_export_output_replaces_a_regular_file_keeping_its_mode(marry, tmp_path):
    _ledger_with_a_promise(marry)
    target = tmp_path / "export.jsonl"
    target.write_text("old\n")
    target.chmod(0o640)
    result = marry("export", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text().startswith('{"format": "marry-export"')
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export")] == []


def test_a_new_export_file_gets_the_usual_mode(marry, tmp_path):
    _ledger_with_a_promise(marry)
    umask = os.umask(0o022)
    try:
        marry.ok("export", "--output", str(tmp_path / "new.jsonl"))
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.jsonl").stat().st_mode) == 0o644


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs mounted for this test (root only; skipped elsewhere)."""
    if not IS_ROOT:
        pytest.skip("mounting a small tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int = 0) -> None:
    """Fill a small disk up to `leave` bytes free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / "filler", "wb") as handle:
        try:
            handle.write(b"\0" * max(free - leave, 0))
            handle.flush()
        except OSError:
            pass


def test_export_output_on_a_full_disk_leaves_the_old_file(marry, small_disk):
    for i in range(30):
        marry.add(f"promise number {i} with a longer text to take some room", f"customer {i}")
    target = small_disk / "export.jsonl"
    target.write_text("the previous export\n")
    fill(small_disk, leave=1024)
    result = marry("export", "--output", str(target))
    assert_refused(result, 2, "No space left on device", "left unchanged")
    assert target.read_text() == "the previous export\n"
    assert files_in(small_disk) == ["export.jsonl", "filler"]


def test_export_output_in_a_read_only_folder_is_one_line(marry, small_disk):
    _ledger_with_a_promise(marry)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = marry("export", "--output", str(small_disk / "export.jsonl"))
    assert_refused(result, 2, "Read-only file system")
    reads_work(marry)


# -- a new ledger on a full disk: an error, and no empty ledger left behind --------------------


def test_a_ledger_is_not_created_on_a_full_disk(small_disk):
    fill(small_disk)
    db = small_disk / "ledger.db"
    result = invoke("--db", str(db), "promise", "add", "x", "-c", "acme")
    assert_refused(result, 3, "cannot create the ledger", "the disk is full")
    assert files_in(small_disk) == ["filler"]
    result = run_marry("--db", str(db), "promise", "add", "x", "-c", "acme")
    assert_refused(result, 3, "the disk is full")
    assert files_in(small_disk) == ["filler"]
    (small_disk / "filler").unlink()
    Marry(db=str(db), backend="sqlite").ok("promise", "add", "x", "-c", "acme")
    assert files_in(small_disk) == ["ledger.db"]


@pytest.fixture
def tiny_sqlite_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SQLite file marry opens may hold 2 pages: SQLite's own "database or disk is
    full" on any machine (a fault injected through SQLite, not around it)."""
    from sqlalchemy import event

    from marrycli.storage.ledger import Ledger

    real = Ledger._make_engine

    def make_engine(self: Ledger) -> Any:
        engine = real(self)
        if self.is_sqlite:

            @event.listens_for(engine, "connect")
            def _tiny(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.execute("PRAGMA max_page_count = 2")

        return engine

    monkeypatch.setattr(Ledger, "_make_engine", make_engine)


def test_a_failed_creation_leaves_no_file(tmp_path, tiny_sqlite_files):
    db = tmp_path / "deep" / "ledger.db"
    result = invoke("--db", str(db), "promise", "add", "x", "-c", "acme")
    assert_refused(result, 3, "cannot create the ledger", "the disk is full")
    assert files_in(db.parent) == []
    assert invoke("--db", str(db), "promise", "list").exit_code == 0  # a read creates nothing
    assert files_in(db.parent) == []


def test_an_existing_empty_file_is_kept_when_creation_fails(tmp_path, tiny_sqlite_files):
    db = tmp_path / "ledger.db"
    db.touch()
    assert_refused(invoke("--db", str(db), "promise", "add", "x", "-c", "acme"), 3)
    assert files_in(tmp_path) == ["ledger.db"]  # the user's file: left as it was


def test_a_folder_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "plain").write_text("x")
    result = invoke("--db", str(tmp_path / "plain" / "ledger.db"), "promise", "add", "x", "-c", "a")
    assert_refused(result, 3, "cannot create the folder")


# -- tampered ledgers ---------------------------------------------------------------------------


def _dangling_customer(backend: str) -> list[str]:
    update = "UPDATE marry_promise SET customer_id = 99 WHERE id = 2"
    if backend == "sqlite":
        return [update]  # foreign keys are off in a plain sqlite3 connection
    return [
        "ALTER TABLE marry_promise DISABLE TRIGGER ALL",
        update,
        "ALTER TABLE marry_promise ENABLE TRIGGER ALL",
    ]


TAMPERS: dict[str, tuple[list[str] | None, str]] = {
    "unknown event kind": (
        ["UPDATE marry_event SET kind = 'exploded'"],
        "the kind of event 1 is 'exploded'",
    ),
    "unknown size": (["UPDATE marry_promise SET size = 'huge' WHERE id = 2"], "size of promise 2"),
    "unknown value": (
        ["UPDATE marry_promise SET value = 'priceless' WHERE id = 2"],
        "value of promise 2",
    ),
    "tags not JSON": (["UPDATE marry_promise SET tags = 'not json' WHERE id = 2"], "tags"),
    "tags not texts": (["UPDATE marry_promise SET tags = '[1, {}]' WHERE id = 2"], "tags"),
    "due after the range": (
        [f"UPDATE marry_promise SET due = {to_micros(LATEST)} WHERE id = 2"],
        "due time of promise 2",
    ),
    "made before the range": (
        [f"UPDATE marry_promise SET made = {to_micros(EARLIEST) - 1} WHERE id = 2"],
        "the time promise 2 was made",
    ),
    "event beyond any date": (
        ["UPDATE marry_event SET at = 9223372036854775807"],
        "the time of event 1",
    ),
    "merged into itself": (
        ["UPDATE marry_customer SET merged_into = id WHERE id = 1"],
        "customer 1 is merged into itself",
    ),
    "dangling customer": (None, "marry_promise row 2 points to a missing row of marry_customer"),
    "renamed table": (
        ["ALTER TABLE marry_event RENAME TO marry_event_old"],
        "table marry_event is missing",
    ),
    "renamed column": (["ALTER TABLE marry_promise RENAME COLUMN tags TO tagz"], "tags"),
}

READS = [
    ["promise", "list", "--status", "all"],
    ["promise", "show", "2"],
    ["customer", "list"],
    ["report"],
    ["report", "--customer", "acme"],
    ["report", "--by", "owner"],
    ["agenda"],
    ["check", "--min-stage", "strained"],
    ["export"],
    ["export", "--format", "csv"],
    ["db", "info"],
]


def _dump(marry: Marry) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table there is (tampered names too), to compare before and after."""
    from sqlalchemy import create_engine, text

    url = marry.db if "://" in marry.db else f"sqlite:///{marry.db}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if marry.backend == "sqlite":
                names = conn.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'table'")
                ).scalars()
            else:
                names = conn.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables"
                        " WHERE table_schema = current_schema()"
                    )
                ).scalars()
            return {
                name: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {name}"))), key=repr)
                for name in sorted(names)
            }
    finally:
        engine.dispose()


def _tamper(marry: Marry, statements: list[str]) -> None:
    if marry.backend == "sqlite":
        conn = sqlite3.connect(marry.db, isolation_level=None)
        try:
            for statement in statements:
                conn.execute(statement)
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(marry.db.replace("postgresql+psycopg://", "postgresql://")) as conn:
        for statement in statements:
            conn.execute(statement)


@pytest.fixture(params=list(TAMPERS))
def tampered(request: pytest.FixtureRequest, marry: Marry) -> tuple[Marry, str]:
    """A ledger of two promises (one kept), then changed behind marry's back."""
    marry.add("Ship SSO", "acme")
    marry.add("Fix login", "globex", "--due", "+3d", "--tag", "web")
    marry.ok("keep", "1")
    statements, says = TAMPERS[request.param]
    _tamper(marry, statements if statements is not None else _dangling_customer(marry.backend))
    return marry, says


def test_db_check_names_the_tampering(tampered):
    marry, says = tampered
    before = _dump(marry)
    result = marry("db", "check")
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert says in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert _dump(marry) == before


def test_every_read_of_a_tampered_ledger_is_one_clear_line(tampered):
    marry, _says = tampered
    before = _dump(marry)
    refused = 0
    for args in READS:
        result = marry(*args)
        assert result.exit_code in (0, 3), (args, result.exit_code, result.stderr)
        if result.exit_code == 3:
            refused += 1
            assert_refused(result, 3, "is damaged")
        assert "Traceback" not in result.stderr, (args, result.stderr)
    assert refused, "no read noticed the damage"
    assert _dump(marry) == before


@pytest.mark.slow
def test_a_tampered_report_through_the_installed_marry_closes_cleanly(tmp_path):
    """No "closed database" traceback after the error (issue 9, item 10)."""
    db = tmp_path / "ledger.db"
    env = {"MARRY_DB": str(db), "MARRY_USER": "tester"}
    recorder = Marry(db=str(db), backend="sqlite")  # in-process: the reads are the point
    recorder.ok("promise", "add", "x", "-c", "acme")
    recorder.ok("keep", "1")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE marry_event SET kind = 'exploded'")
    conn.close()
    for args in (["report"], ["check", "--min-stage", "strained"], ["promise", "list"]):
        result = run_marry(*args, env=env)
        assert_refused(result, 3, "is damaged", "the kind of event 1 is 'exploded'")
        assert "closed database" not in result.stderr
