"""Tables, help and progress as a person sees them: the real `marry` on a pseudo-terminal.

Piped output is laid out for $COLUMNS, a terminal for its own width; only a terminal
shows the second case, so these tests give `marry` one (os.openpty, its size set with
TIOCSWINSZ) and read back what it drew. Each test runs several commands on one ledger
through one shell, to keep the number of (slow) subprocess tests small.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shlex
import struct
import subprocess
import sys
import termios
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.cells import cell_len

from conftest import Marry, marry_executable, run_marry

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX"),
]

# Escape sequences a terminal interprets (colours, cursor moves, erasing): not text.
_ESCAPES = re.compile(
    r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Z]"
)

LONG_NAME = "Northwind Traders International"
CUSTOMERS = [LONG_NAME, "Globex Corporation", "Vandelay Industries", "Acme", "Stark Logistics"]
TEXTS = [
    "Migrate the whole warehouse management system to the new cloud region without downtime",
    "Public API for shipments",
    "Answer the security questionnaire before the renewal meeting",
    "Fix login",
    "Fleet tracking go-live with the integration partner",
]
OWNER = "Alexandra Konstantinopoulou"
SEPARATOR = "@@ next command @@"


def on_terminal(
    commands: list[list[str]], columns: int, env: dict[str, str] | None = None
) -> list[str]:
    """Run each `marry ARGS...` on one pseudo-terminal `columns` wide; the text each drew."""
    script = "; ".join(
        f"{shlex.join([marry_executable(), *args])}; echo; echo {shlex.quote(SEPARATOR)}"
        for args in commands
    )
    environ = {**os.environ, "TERM": "xterm-256color", **(env or {})}
    for name in ("COLUMNS", "LINES"):  # the terminal's own size must decide
        environ.pop(name, None)
    main, child = os.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen(
        ["sh", "-c", script], stdin=child, stdout=child, stderr=child, env=environ
    )
    os.close(child)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([main], [], [], 60)
            assert ready, "marry did not finish on the terminal within 60 s"
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main)
        process.wait(timeout=60)
    text = _ESCAPES.sub("", b"".join(chunks).decode("utf-8")).replace("\r\n", "\n")
    outputs = text.split(SEPARATOR + "\n")
    assert len(outputs) == len(commands) + 1, text
    return outputs[:-1]


def _day(offset: int) -> str:
    """A bare day (due at its end, shown without seconds), `offset` days from today."""
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


def _ledger(marry: Marry) -> dict[str, int]:
    """Five customers (one long name), long promise texts, an owner with a long name,
    outcomes, a renegotiation with a note and ref; returns promise ids by customer."""
    ids = {}
    for i, (customer, text) in enumerate(zip(CUSTOMERS, TEXTS, strict=True)):
        ids[customer] = marry.add(
            text, customer, "--made", "-20d", "--due", _day(i + 1), "--owner", OWNER,
            "--tag", "q4", "--force",
        )  # fmt: skip
    for customer in CUSTOMERS[1:3]:
        done = marry.add("Weekly usage report", customer, "--made", "-30d", "--due", _day(-25))
        marry.ok("keep", str(done), "--at", "-26d")
    late = marry.add(
        "Quarterly business review deck", "Stark Logistics", "--made", "-9d", "--due", _day(-6)
    )
    marry.ok("renegotiate", str(late), "--due", _day(-2), "--at", "-8d", "--ref", "deadline-moved-x",
             "--note", "waiting for the integration partner's documentation")  # fmt: skip
    ids["late"] = late
    broken = marry.add("Restore the nightly sync", "Acme", "--made", "-40d", "--due", _day(-35))
    marry.ok("break", str(broken), "--at", "-35d", "--note", "vendor slipped")
    return ids


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def _assert_fits(output: str, columns: int) -> None:
    assert output.strip(), "nothing drawn"
    too_wide = [line for line in output.splitlines() if cell_len(line) > columns]
    assert not too_wide, f"lines wider than {columns} columns: {too_wide}"


def _assert_names_whole(output: str, names: list[str]) -> None:
    for name in names:
        assert any(name in line for line in output.splitlines()), (name, output)


def _assert_words_whole(output: str, texts: list[str]) -> None:
    """Every word of every text drawn whole (or shortened with an ellipsis), never split."""
    tokens = set(output.split())
    for text in texts:
        for word in text.split():
            assert word in tokens or any(
                t.endswith("…") and word.startswith(t[:-1]) for t in tokens
            ), (word, output)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, int]]:
    """One ledger for the table tests (made once: they only read it), and its promise ids."""
    path = tmp_path_factory.mktemp("terminal") / "ledger.db"
    env = {"MARRY_USER": "tester", "TZ": "UTC", "NO_COLOR": "1", "COLUMNS": "80"}
    ids = _ledger(Marry(db=str(path), backend="sqlite", env=env))
    return {"MARRY_DB": str(path)}, ids


@pytest.mark.parametrize("columns", [80, 60])
def test_tables_on_a_terminal_keep_names_whole_and_fit(ledger, columns):
    env, ids = ledger
    commands = [
        ["promise", "list"],
        ["report"],
        ["agenda", "--within", "+30d"],
        ["customer", "list"],
        ["promise", "show", str(ids["late"])],
        ["report", "--by", "owner"],
        ["report", "--customer", "Globex Corporation"],
    ]
    listing, report, agenda, customers, show, owners, detail = on_terminal(commands, columns, env)
    for output in (listing, report, agenda, customers, show, owners, detail):
        _assert_fits(output, columns)
    for output in (listing, report, customers):
        _assert_names_whole(output, CUSTOMERS)
    _assert_names_whole(agenda, [c for c in CUSTOMERS if c != "Acme"])
    _assert_names_whole(owners, [OWNER])
    # Headers and text wrap at spaces or are shortened; no word is cut into pieces.
    _assert_words_whole(listing, ["ID Customer Promise Status", *TEXTS])
    _assert_words_whole(report, ["Customer Stage Trust"])
    _assert_words_whole(show, ["Event Kind At Note", "waiting for the integration partner's"])
    _assert_words_whole(detail, ["Globex Corporation is", "What moved trust most"])
    assert "Owne\n" not in show and "Cu\n" not in report
    # On a terminal a light rule under the header; the ids and statuses are all there.
    assert "───" in listing
    assert all(str(ids[c]) in listing.split() for c in CUSTOMERS)
    if columns == 80:  # room enough for the due date, and for what waiting a day costs
        assert "Due" in listing.split()
        assert {"Act", "Now", "+1d"} <= set(agenda.split())


def test_a_tiny_terminal_or_columns_0_gets_a_sane_minimum_width(ledger):
    env, _ids = ledger
    (listing, report) = on_terminal([["promise", "list"], ["report"]], 20, env)
    for output in (listing, report):
        _assert_fits(output, 40)  # laid out for 40 columns; the terminal wraps the rest
        assert "Customer" in output.split()
    _assert_names_whole(report, CUSTOMERS[1:])
    assert "Northwind Traders" in report and "…" in report  # only the longest name is cut
    for value in ("0", "7"):  # piped: laid out for $COLUMNS, but at least 40
        piped = run_marry("promise", "list", env={**env, "COLUMNS": value})
        assert piped.exit_code == 0 and piped.stdout.strip(), piped
        assert max(cell_len(line) for line in piped.stdout.splitlines()) <= 40
        assert "Customer" in piped.stdout.split()


def test_help_on_a_terminal_keeps_examples_whole_and_types_out(tmp_path: Path):
    commands = [["--help"], ["promise", "add", "--help"], ["promise", "list", "--help"]]
    root, add, listing = on_terminal(commands, columns=80)
    for output in (root, add, listing):
        _assert_fits(output, 80)
        assert "<str>" not in output and "list[" not in output
    assert 'marry promise add "Fix login bug" -c "Acme Corp"' in add
    commands_section = root.partition("Commands:")[2].split()
    assert commands_section[0] == "promise"


def test_import_and_export_show_progress_on_a_terminal(sqlite_marry, tmp_path: Path):
    sqlite_marry.add("Ship SSO", "acme")
    export = tmp_path / "ledger.jsonl"
    source = tmp_path / "many.csv"
    rows = [f"c{i % 7},Promise number {i},2026-01-01T10:00Z,2026-02-01T10:00Z,medium,high,dana,"
            "open," for i in range(12_000)]  # fmt: skip
    source.write_text(
        "customer,text,made,due,size,value,owner,status,resolved\n" + "\n".join(rows) + "\n"
    )
    target = tmp_path / "imported.db"
    exported, imported = on_terminal(
        [
            ["export", "--output", str(export)],
            ["--db", str(target), "import", str(source)],
        ],
        columns=100,
    )
    assert "exporting ledger.jsonl" in exported and "100%" in exported
    assert "records/s" in exported
    assert f"exported 2 record(s) to {export}" in exported  # the customer and the promise
    assert "importing many.csv" in imported
    assert "12,000 promises" in imported and "promises/s" in imported
    assert "100%" in imported
    assert "imported 12000 promise(s)" in imported
    assert export.read_text().count("\n") >= 2
