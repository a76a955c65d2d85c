"""The installed `marry` in a subprocess: entry points, cheap startup, pipes, a round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Marry, marry_executable, run_marry
from marrycli import __version__

pytestmark = pytest.mark.slow  # every test here starts marry processes

HEAVY = {"sqlalchemy", "sqlmodel", "psycopg"}


def _imported(*args: str) -> set[str]:
    """The modules `python -X importtime -m marrycli ARGS` imports (it must exit 0)."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "marrycli", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    modules = set()
    for line in completed.stderr.splitlines():
        # "import time: self [us] | cumulative | imported package", nesting shown by indent
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                modules.add(name)
    assert "marrycli" in modules, completed.stderr[-2000:]
    return modules


def _top_levels(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_version_prints_the_version() -> None:
    result = run_marry("--version")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"marry {__version__}\n", "")


def test_python_dash_m_marrycli_prints_the_version() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "marrycli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == f"marry {__version__}\n"
    assert completed.stderr == ""


@pytest.mark.parametrize(
    "args", [("--help",), ("promise", "add", "--help")], ids=["help", "promise-add-help"]
)
def test_help_imports_no_database_library(args: tuple[str, ...]) -> None:
    assert _top_levels(_imported(*args)) & HEAVY == set()


@pytest.mark.parametrize(
    "args",
    [("--help",), ("report", "--help"), ("promise", "add", "Ship SSO", "-c", "acme")],
    ids=["help", "report-help", "promise-add"],
)
def test_only_the_html_report_imports_jinja2(args: tuple[str, ...]) -> None:
    assert _top_levels(_imported(*args)) & {"jinja2", "markupsafe"} == set()
    html = _top_levels(_imported("report", "--format", "html"))
    assert {"jinja2", "markupsafe"} <= html  # the check above can fail


def test_a_write_imports_no_tables_and_no_other_views() -> None:
    """A write prints one line: `render.written`, not the views, the tables or Rich."""
    added = _imported("promise", "add", "Ship SSO", "-c", "acme")
    assert "marrycli.render.written" in added  # the check below can fail
    tables = {"marrycli.render.views", "marrycli.render.layout", "marrycli.render.charts"}
    assert added & tables == set()
    assert "rich" not in _top_levels(added)
    assert tables <= _imported("promise", "list")


def test_version_imports_no_typer() -> None:
    modules = _top_levels(_imported("--version"))
    assert "typer" not in modules
    assert modules & HEAVY == set()


@pytest.fixture(scope="module")
def big_ledger(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A ledger of 300 promises: its JSON listing (~120 kB) is more than a pipe holds."""
    folder = tmp_path_factory.mktemp("big")
    ledger = Marry(db=str(folder / "ledger.db"), backend="sqlite")
    # One `marry import` instead of 300 `promise add`s (~9 s): the same promises, as an add
    # would record them (open, no due date, medium, high, now).
    ledger.ok("promise", "add", "promise number 0 " + "x" * 100, "--customer", "acme")
    template = ledger.ok("export").stdout.splitlines()
    header, customer, first = template[0], template[1], json.loads(template[2])
    assert json.loads(customer)["name"] == "acme" and first["text"].startswith("promise number 0")
    lines = [header, customer]
    for n in range(1, 300):
        lines.append(json.dumps({**first, "id": n + 1, "text": f"promise number {n} " + "x" * 100}))
    export = folder / "more.jsonl"
    export.write_text("\n".join(lines) + "\n")
    ledger.ok("import", str(export))
    assert len(ledger.json("promise", "list", "--status", "all")) == 300
    return ledger.db


def _list_into_closed_pipe(db: str, fmt: str, read_first_line: bool) -> tuple[bytes, bytes, int]:
    """List every promise to a reader that goes away; returns (first line, stderr, exit code)."""
    with subprocess.Popen(
        [marry_executable(), "--db", db, "promise", "list", "--status", "all", "--format", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as reader:
        assert reader.stdout is not None and reader.stderr is not None
        first = reader.stdout.readline() if read_first_line else b""
        reader.stdout.close()  # like `| head -1`: the rest has nowhere to go
        stderr = reader.stderr.read()
        exit_code = reader.wait(timeout=60)
    return first, stderr, exit_code


def test_a_pipe_closed_after_one_line_ends_quietly(big_ledger: str) -> None:
    first, stderr, exit_code = _list_into_closed_pipe(big_ledger, "json", read_first_line=True)
    assert first == b"[\n"
    assert stderr == b""
    # marry is blocked in one big write when the reader goes: the write returns short
    # and CPython's text layer drops the rest without raising, so marry never sees the
    # broken pipe and exits 0. A Python that raised would make it 141, as below.
    assert exit_code in (0, 141)


@pytest.mark.parametrize(
    "fmt",
    [
        "json",
        "csv",
        "table",
    ],
)
def test_a_reader_gone_before_the_output_ends_quietly_with_141(big_ledger: str, fmt: str) -> None:
    _, stderr, exit_code = _list_into_closed_pipe(big_ledger, fmt, read_first_line=False)
    assert (exit_code, stderr) == (141, b"")  # 128 + SIGPIPE, as a shell reports it


def test_add_then_keep_through_the_installed_command(tmp_path: Path) -> None:
    db = tmp_path / "round" / "trip.db"
    env = {"MARRY_DB": str(db)}
    added = run_marry("promise", "add", "Ship SSO", "--customer", "Acme", "--json", env=env)
    assert added.exit_code == 0, added.stderr
    promise = added.json()
    assert (promise["customer"], promise["text"], promise["status"]) == ("Acme", "Ship SSO", "open")
    assert db.exists()

    kept = run_marry("keep", str(promise["id"]), "--json", env=env)
    assert kept.exit_code == 0, kept.stderr
    assert kept.json()["status"] == "kept"

    shown = run_marry("promise", "show", str(promise["id"]), "--json", env=env)
    assert shown.exit_code == 0, shown.stderr
    assert [event["kind"] for event in shown.json()["events"]] == ["kept"]
