"""Hostile processes (issue 9): what comes in through argv, the environment, dates, TZ and
the standard streams, and Ctrl-C.

A refusal is exit 2 (or 3) with exactly one line on stderr, no traceback, no "internal
error", and the ledger's rows unchanged (nothing created on a missing ledger). A committed
write exits 0 even when stdout or stderr is closed or full. Most cases run in-process
(CliRunner, both backends); what only a real process has (bytes in argv, closed file
descriptors, /dev/full, signals) runs the installed `marry`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import Marry, ledger_rows, marry_executable

RANGE = "out of the range of supported dates"


def refused(result, says: str, code: int = 2) -> None:
    """Exit `code`, exactly one line on stderr saying `says`, nothing on stdout."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert says.lower() in lines[0].lower(), lines[0]
    assert lines[0].startswith("marry: error: ")
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert result.stdout == ""


# -- arguments and environment that are not UTF-8 (in-process) --------------------------

# Python reads argv bytes that are not UTF-8 as lone surrogates (\udcXX); in-process
# callers can pass any lone surrogate.
NOT_UTF8_ARGS = [
    ["promise", "add", "\udcff", "-c", "acme"],
    ["promise", "add", "x", "-c", "caf\udce9"],
    ["promise", "add", "x", "-c", "acme", "--ref", "\ud800"],
    ["promise", "add", "x", "-c", "acme", "--tag", "\udfff"],
    ["promise", "add", "x", "-c", "acme", "--owner", "\udcff"],
    ["promise", "add", "x", "-c", "acme", "--due", "fri\udcff"],
    ["keep", "\udcff"],
    ["keep", "1", "--note", "\udcff"],
    ["promise", "list", "--customer", "\ud800"],
    ["report", "--customer", "\udcff"],
    ["customer", "rename", "acme", "\udcff"],
    ["\udcff"],
]


@pytest.mark.parametrize("args", NOT_UTF8_ARGS, ids=range(len(NOT_UTF8_ARGS)))
def test_an_argument_that_is_not_utf8_is_refused(marry: Marry, args: list[str]) -> None:
    marry.add()
    before = marry.rows()
    refused(marry(*args), "is not valid UTF-8")
    assert marry.rows() == before


@pytest.mark.parametrize("args", NOT_UTF8_ARGS[:3], ids=range(3))
def test_an_argument_that_is_not_utf8_creates_no_ledger(sqlite_marry: Marry, args) -> None:
    refused(sqlite_marry(*args), "is not valid UTF-8")
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


@pytest.mark.parametrize("name", ["MARRY_USER", "MARRY_LOCK_TIMEOUT", "MARRY_STRICT", "MARRY_DB"])
def test_an_environment_variable_that_is_not_utf8_is_refused(
    sqlite_marry: Marry, name: str
) -> None:
    refused(sqlite_marry("promise", "add", "x", "-c", "acme", **{name: "a\udcff"}), name)
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


def test_a_login_name_that_is_not_utf8_is_refused(
    sqlite_marry: Marry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MARRY_USER")
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "r\udcffot")
    refused(sqlite_marry("promise", "add", "x", "-c", "acme"), "login name")
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


def test_the_message_shows_the_bytes_as_they_came(sqlite_marry: Marry) -> None:
    result = sqlite_marry("promise", "add", "x", "-c", "caf\udce9")
    assert "'caf\\xe9' is not valid UTF-8" in result.stderr


# -- dates at the door, and reading them back in every zone --------------------------------


@pytest.mark.parametrize(
    ("zone", "args"),
    [
        ("UTC", ["promise", "add", "x", "-c", "acme", "--made", "0001-01-01"]),
        ("America/New_York", ["promise", "add", "x", "-c", "acme", "--made", "0999-12-31"]),
        ("Etc/GMT+12", ["promise", "add", "x", "-c", "acme", "--due", "9999-12-30"]),
        ("Etc/GMT+12", ["promise", "add", "x", "-c", "acme", "--due", "8999-12-31"]),
        ("Etc/GMT-14", ["promise", "add", "x", "-c", "acme", "--made", "1000-01-01"]),
        ("UTC", ["report", "--as-of", "0001-01-01"]),
        ("UTC", ["promise", "list", "--as-of", "9999-12-31"]),
        ("UTC", ["check", "--min-stage", "trusted", "--as-of", "+400000w"]),
        ("UTC", ["renegotiate", "1", "--due", "9000-01-01T00:00Z"]),
        ("UTC", ["keep", "1", "--at", "0999-12-31T23:59:59Z"]),
    ],
)
def test_times_outside_the_range_are_refused(marry: Marry, zone: str, args: list[str]) -> None:
    marry.add("first", "acme", "--due", "+3d")
    before = marry.rows()
    result = marry(*args, TZ=zone)
    refused(result, RANGE)
    assert "1000-01-01 to 8999-12-31" in result.stderr
    assert marry.rows() == before


READS = [
    ["promise", "list"],
    ["promise", "list", "--json"],
    ["promise", "list", "--format", "csv"],
    ["promise", "show", "1"],
    ["promise", "show", "2"],
    ["report"],
    ["report", "--customer", "acme"],
    ["report", "--json"],
    ["agenda"],
    ["check", "--max-overdue", "100"],
    ["whatif", "2", "--break"],
    ["export"],
    ["customer", "list"],
    ["db", "check"],
]


def test_the_extremes_accepted_can_be_shown_in_every_zone(marry: Marry) -> None:
    marry.ok("promise", "add", "old", "-c", "acme", "--made", "1000-01-01T00:00Z", TZ="UTC")
    marry.ok("promise", "add", "far", "-c", "acme", "--due", "8999-12-31T23:59:59Z", TZ="UTC")
    marry.ok("keep", "1", "--at", "1000-01-02T00:00Z")
    for zone in ("America/New_York", "Pacific/Kiritimati", "Etc/GMT+12", "Etc/GMT-14", "JST-9"):
        for args in READS:
            result = marry(*args, TZ=zone)
            assert result.exit_code == 0, (zone, args, result.stderr)
            assert "internal error" not in result.stderr


# -- promise ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["keep", "1" * 5000],
        ["break", "#" + "9" * 5000],
        ["undo", "9" * 20],
        ["promise", "show", "1" * 5000],
        ["whatif", "1" * 5000, "--keep"],
    ],
)
def test_a_huge_promise_id_is_bad_input_with_a_short_message(marry: Marry, args) -> None:
    marry.add()
    before = marry.rows()
    result = marry(*args)
    refused(result, "is not a promise id")
    assert len(result.stderr) < 200
    assert marry.rows() == before


# -- messages are sanitised ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["keep", "ref:\u202e"],
        ["keep", "ref:abc\u202edef"],
        ["report", "--customer", "\u202eemca"],
        ["promise", "list", "--owner", "x\u2066y"],
        ["customer", "rename", "\u200bacme", "x"],
        ["keep", "1", "--bogus\u202e"],  # a usage error (with its usage line)
    ],
)
def test_messages_show_format_characters_as_code_points(marry: Marry, args) -> None:
    marry.add()
    result = marry(*args)
    assert result.exit_code in (0, 2), result.stderr
    assert all(line.isprintable() for line in result.stderr.splitlines())
    for c in "\u202e\u2066\u200b":
        assert c not in result.stderr
    if result.exit_code == 2:  # shown as <U+202E>, or escaped by a repr()
        assert "<U+" in result.stderr or "\\u" in result.stderr, result.stderr


# -- TZ --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "utc"),
    [
        ("JST-9", "2036-12-04T08:00:00Z"),
        ("<+0530>-5:30", "2036-12-04T11:30:00Z"),
        ("EST5EDT,M3.2.0,M11.1.0", "2036-12-04T22:00:00Z"),
        (":Asia/Tokyo", "2036-12-04T08:00:00Z"),
    ],
)
def test_posix_tz_strings_are_honoured(marry: Marry, tz: str, utc: str) -> None:
    result = marry.ok(
        "promise", "add", "x", "-c", "acme", "--due", "2036-12-04T17:00", "--json", TZ=tz
    )
    assert json.loads(result.stdout)["due"] == utc
    assert "TZ" not in result.stderr
    table = marry.ok("promise", "list", "--status", "all", TZ=tz)
    assert "2036-12-04 17:00" in table.stdout


@pytest.mark.parametrize("tz", ["Mars/Olympus", "garbage", "JST", "CET-1CEST,M99", "XYZ-99"])
def test_a_tz_that_cannot_be_used_is_said_once_and_utc_is_used(marry: Marry, tz: str) -> None:
    result = marry.ok(
        "promise", "add", "x", "-c", "acme", "--due", "2036-12-04T17:00", "--json", TZ=tz
    )
    assert json.loads(result.stdout)["due"] == "2036-12-04T17:00:00Z"
    warnings = [line for line in result.stderr.splitlines() if "TZ=" in line]
    assert len(warnings) == 1, result.stderr
    assert warnings[0].startswith("marry: warning: TZ=") and "UTC" in warnings[0]
    refusal = marry("keep", "99", TZ=tz)
    assert refusal.exit_code == 2 and "Traceback" not in refusal.stderr


# -- the list of writes ------------------------------------------------------------------


def test_every_command_with_a_ref_is_a_write() -> None:
    """WRITES decides whether an output failure comes after a commit (then exit 0)."""
    import typer

    from marrycli.cli.app import WRITES, app

    def walk(command, path):
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])
        if not hasattr(command, "commands"):
            yield " ".join(path), command

    commands = dict(walk(typer.main.get_command(app), []))
    assert commands.keys() >= WRITES
    for path, command in commands.items():
        if any(param.name == "ref" for param in command.params):
            assert path in WRITES, path


def test_in_process_runs_are_not_disturbed_by_the_output_handling(sqlite_marry: Marry) -> None:
    from marrycli.cli.app import app

    result = CliRunner().invoke(app, ["--db", sqlite_marry.db, "promise", "list"])
    assert result.exit_code == 0


# == the installed command ==================================================================


def run(args: list, *, shell_redirect: str = "", env: dict | None = None, **popen):
    """Run the installed `marry` (args may be bytes), optionally with a shell redirection."""
    base = {k.encode() if isinstance(k, str) else k: v for k, v in os.environb.items()}
    for key, value in (env or {}).items():
        key = key.encode() if isinstance(key, str) else key
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value.encode() if isinstance(value, str) else value
    command = [
        marry_executable().encode(),
        *(a.encode() if isinstance(a, str) else a for a in args),
    ]
    if shell_redirect:
        command = [b"/bin/sh", b"-c", b'"$0" "$@" ' + shell_redirect.encode(), *command]
    completed = subprocess.run(command, capture_output=True, env=base, timeout=60, **popen)
    return completed


class Completed:
    def __init__(self, completed: subprocess.CompletedProcess) -> None:
        self.exit_code = completed.returncode
        self.stdout = completed.stdout.decode("utf-8", "replace")
        self.stderr = completed.stderr.decode("utf-8", "replace")


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "ledger.db")


def promises(db: str) -> int:
    return len(ledger_rows(db).get("marry_promise", []))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        ([b"promise", b"add", b"\xff", b"-c", b"a"], {}, "'\\xff' is not valid UTF-8"),
        ([b"promise", b"add", b"x", b"-c", b"caf\xe9"], {}, "'caf\\xe9' is not valid UTF-8"),
        ([b"promise", b"add", b"\xed\xa0\x80", b"-c", b"a"], {}, "not valid UTF-8"),
        ([b"promise", b"add", b"x", b"-c", b"a"], {"MARRY_USER": b"\xff"}, "MARRY_USER="),
        ([b"promise", b"add", b"x", b"-c", b"a"], {"MARRY_LOCK_TIMEOUT": b"\xff"}, "MARRY_LOCK"),
        ([b"promise", b"add", b"x", b"-c", b"a"], {"MARRY_STRICT": b"\xff"}, "MARRY_STRICT="),
        (
            [b"promise", b"add", b"x", b"-c", b"a"],
            {"MARRY_USER": None, "USER": b"\xff", "LOGNAME": b"\xff"},
            "login name",
        ),
    ],
    ids=["text", "customer", "encoded surrogate", "MARRY_USER", "timeout", "strict", "login"],
)
def test_bytes_that_are_not_utf8_exit_2_and_create_nothing(db: str, args, env, says) -> None:
    result = Completed(run(args, env={"MARRY_DB": db, **env}))
    refused(result, says)
    assert not Path(db).exists()


@pytest.mark.slow
def test_a_ledger_path_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = os.fsencode(tmp_path) + b"/\xff.db"
    for args, env in (
        ([b"--db", path, b"promise", b"add", b"x", b"-c", b"a"], {}),
        ([b"promise", b"add", b"x", b"-c", b"a"], {"MARRY_DB": path}),
    ):
        refused(Completed(run(args, env=env)), "not valid UTF-8")
    assert list(tmp_path.iterdir()) == []


# -- closed and full streams ---------------------------------------------------------------

ADD = ["promise", "add", "Ship SSO", "-c", "acme"]  # a first promise: the guard warns


def add_in_process(db: str, *args: str) -> None:
    """The ledger the next real process reads: ADD, recorded in-process (a process costs more)."""
    Marry(db=db, backend="sqlite").ok(*ADD, *args)


@pytest.mark.slow
@pytest.mark.parametrize(
    "redirect", [">&-", "2>&-", ">&- 2>&-", "<&- >&- 2>&-", ">/dev/full", ">/dev/full 2>&-"]
)
@pytest.mark.parametrize("fmt", [[], ["--json"]], ids=["line", "json"])
def test_a_committed_write_exits_0_whatever_its_streams(db: str, redirect: str, fmt) -> None:
    completed = run([*ADD, *fmt], shell_redirect=redirect, env={"MARRY_DB": db})
    result = Completed(completed)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert promises(db) == 1
    if "/dev/full" in redirect and "2>&-" not in redirect:
        assert "the write was recorded" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["promise", "list"],
        ["promise", "list", "--json"],
        ["promise", "list", "--format", "csv"],
        ["report"],
        ["export"],
        ["promise", "show", "1"],
        ["--help"],
        ["keep", "--help"],
    ],
)
def test_a_read_to_a_full_disk_exits_2_with_one_line(db: str, args) -> None:
    add_in_process(db, "--made", "-1d", "--due", "+1d")
    before = ledger_rows(db)
    result = Completed(run(args, shell_redirect=">/dev/full", env={"MARRY_DB": db}))
    refused(result, "cannot write the output: No space left on device")
    assert ledger_rows(db) == before


@pytest.mark.slow
def test_a_read_with_stdout_closed_exits_0(db: str) -> None:
    add_in_process(db)
    result = Completed(run(["promise", "list"], shell_redirect=">&-", env={"MARRY_DB": db}))
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.slow
def test_a_refusal_with_stderr_full_or_closed_keeps_its_exit_code(db: str) -> None:
    for redirect in ("2>/dev/full", "2>&-"):
        assert run(["keep", "12"], shell_redirect=redirect, env={"MARRY_DB": db}).returncode == 2
        assert run(["keep", "--bogus"], shell_redirect=redirect).returncode == 2
    assert not Path(db).exists()


@pytest.mark.slow
def test_a_failing_gate_with_its_streams_closed_still_exits_1(db: str) -> None:
    add_in_process(db)
    before = ledger_rows(db)
    for redirect in ("2>&-", ">&- 2>&-", "2>/dev/full"):
        gate = ["check", "--min-stage", "trusted"]
        assert run(gate, shell_redirect=redirect, env={"MARRY_DB": db}).returncode == 1
    assert ledger_rows(db) == before


@pytest.mark.slow
def test_an_output_folder_that_cannot_be_written_is_bad_input(db: str) -> None:
    add_in_process(db)
    # /sys is read-only even for root (the tests may run as root, who may write anywhere else).
    result = Completed(run(["export", "--output", "/sys/marry-export.jsonl"], env={"MARRY_DB": db}))
    assert result.exit_code in (2, 3), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


# -- Ctrl-C -------------------------------------------------------------------------------

DELAYS = [i * 0.0075 for i in range(21)]  # 0 .. 150 ms


def _interrupt(args: list[str], db: str, delay: float, *, held: bool):
    """Start `marry`, send SIGINT after `delay` seconds; `held`: blocked until marry runs."""
    if held:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        process = subprocess.Popen(
            [marry_executable(), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "MARRY_DB": db},
        )
    finally:
        if held:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    return process.returncode, err.decode("utf-8", "replace")


@pytest.mark.slow
@pytest.mark.parametrize("args", [["promise", "list"], ADD], ids=["read", "write"])
def test_ctrl_c_from_the_first_instant_of_marry_exits_130_quietly(db: str, args) -> None:
    """A SIGINT that arrives before marry's first line is held (as if Python started at
    once): from its first line on, marry exits 130 with nothing on stderr, or finishes."""
    for delay in DELAYS:
        code, err = _interrupt(args, db, delay, held=True)
        assert code in (130, 0), (delay, code, err)
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, (delay, err)
        if code == 130:
            assert err == "", (delay, err)
    if Path(db).exists():
        assert promises(db) <= len(DELAYS)
        check = Completed(run(["db", "check"], env={"MARRY_DB": db}))
        assert check.exit_code == 0, check.stderr


@pytest.mark.slow
def test_ctrl_c_never_shows_a_traceback_from_marrys_code(db: str) -> None:
    """As a terminal sends it. Python's own start-up (before marry's first line) is not
    marry's to handle: a traceback from there has no frame in marry's package."""
    package = (
        str(Path(sys.modules["marrycli"].__file__).parent) if "marrycli" in sys.modules else None
    )
    if package is None:
        import marrycli

        package = str(Path(marrycli.__file__).parent)
    for delay in DELAYS:
        code, err = _interrupt(["promise", "list"], db, delay, held=False)
        frames = [line for line in err.splitlines() if line.strip().startswith('File "')]
        assert not any(package in frame for frame in frames), (delay, err)
        if "Traceback" not in err:
            assert code in (130, -signal.SIGINT, 0), (delay, code, err)


def test_a_ctrl_c_wrapped_in_another_error_is_still_an_interruption() -> None:
    """Seen in CI: a Ctrl-C during a lazy import, inside a class body's __set_name__, came
    out as RuntimeError with a traceback and exit 1; it is an interruption (exit 130)."""
    from marrycli.cli.app import _interrupted

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise RuntimeError("Error calling __set_name__") from interrupt
    except RuntimeError as wrapped:
        assert _interrupted(wrapped)
    assert not _interrupted(RuntimeError("a bug"))
