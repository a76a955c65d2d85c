"""The examples/ scripts, run against a temporary ledger, and the CI files that call them."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import Marry, Result, marry_executable

pytestmark = pytest.mark.slow  # every test here starts marry processes

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.sh"))
CI_FILES = sorted(EXAMPLES.glob("*.yml"))
STAGES = {"estranged", "strained", "stranger", "dating", "trusted", "loyal", "married"}
REPORT_FIELDS = [
    "customer", "promises", "open", "overdue", "kept", "kept_late", "broken", "cancelled",
    "renegotiated", "keep_rate", "keep_rate_low", "streak", "longest_streak", "trust",
    "distrust", "uncertainty", "stage", "since",
]  # fmt: skip
CI_VARIABLES = ("CI_PIPELINE_ID", "GITHUB_RUN_ID", "MARRY_REF_PREFIX")


def _env(db: Path, **extra: str) -> dict[str, str]:
    """The environment of a script: this venv's marry first on PATH, the ledger `db`."""
    env = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES}
    bin_dir = str(Path(marry_executable()).parent)
    env.update(
        MARRY=marry_executable(),
        MARRY_DB=str(db),
        PATH=os.pathsep.join([bin_dir, str(Path(sys.executable).parent), env.get("PATH", "")]),
        MARRY_USER="tester",
        TZ="UTC",
        NO_COLOR="1",
        COLUMNS="100",
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path | None = None) -> Result:
    done = subprocess.run(
        args, capture_output=True, text=True, env=env, cwd=cwd, timeout=300, check=False
    )
    return Result(done.returncode, done.stdout, done.stderr)


def script(name: str, *args: str, db: Path, cwd: Path | None = None, **env: str) -> Result:
    return _run([str(EXAMPLES / name), *args], _env(db, **env), cwd)


def marry_json(db: Path, *args: str) -> Any:
    """What the scripts left in the ledger, read in-process (the scripts ran the real marry)."""
    result = Marry(db=str(db), backend="sqlite")(*args, "--json")
    assert result.exit_code == 0, result
    return result.json()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


# --- every script ------------------------------------------------------------------------


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_script_is_executable_bash_and_parses(path: Path) -> None:
    assert os.access(path, os.X_OK), f"chmod +x {path}"
    assert path.read_text().startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in path.read_text()
    result = _run(["bash", "-n", str(path)], dict(os.environ))
    assert result.exit_code == 0, result.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_scripts_pass_shellcheck() -> None:
    result = _run(["shellcheck", *map(str, SCRIPTS)], dict(os.environ))
    assert result.exit_code == 0, result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("ci-release-promise.sh",),
        ("ci-release-promise.sh", "ship"),
        ("ci-release-promise.sh", "schedule", "acme", "Release 4.2"),
        ("ci-release-promise.sh", "schedule", "", "Release 4.2", "+3d"),
        ("ci-release-promise.sh", "deployed", "one", "two"),
        ("ci-release-promise.sh", "status", "extra"),
        ("weekly-report.sh", "a", "b"),
        ("weekly-report.sh", "--bogus"),
        ("seed-demo.sh", "now"),
    ],
    ids=" ".join,
)
def test_bad_arguments_print_usage_and_exit_2(args: tuple[str, ...], db: Path) -> None:
    result = script(*args, db=db, CI_PIPELINE_ID="7")
    assert result.exit_code == 2, result
    assert "usage:" in result.stderr
    assert not db.exists()


@pytest.mark.parametrize("name", [p.name for p in SCRIPTS])
def test_help_exits_0(name: str, db: Path) -> None:
    result = script(name, "--help", db=db)
    assert result.exit_code == 0, result
    assert "usage:" in result.stdout
    assert not db.exists()


def test_ci_release_promise_needs_a_pipeline_id(db: Path) -> None:
    result = script("ci-release-promise.sh", "deployed", db=db)
    assert result.exit_code == 2
    assert "CI_PIPELINE_ID" in result.stderr and "GITHUB_RUN_ID" in result.stderr
    assert not db.exists()


def test_seed_demo_needs_marry_db_set(db: Path) -> None:
    result = script("seed-demo.sh", db=db, MARRY_DB="")
    assert result.exit_code == 2
    assert "MARRY_DB" in result.stderr


# --- ci-release-promise.sh ---------------------------------------------------------------


def test_ci_release_retried_steps_record_once(db: Path) -> None:
    gitlab = {"CI_PIPELINE_ID": "4711", "GITHUB_RUN_ID": "99"}  # GitLab's id wins
    for _ in range(2):  # a retried schedule job
        result = script(
            "ci-release-promise.sh", "schedule", "Acme Corp", "Release 4.2", "+3d",
            "--size", "large", db=db, **gitlab,
        )  # fmt: skip
        assert result.exit_code == 0, result
    (promise,) = marry_json(db, "promise", "list", "--status", "all")
    assert promise["ref"] == "4711-add"
    assert (promise["customer"], promise["text"], promise["size"]) == (
        "Acme Corp",
        "Release 4.2",
        "large",
    )
    assert promise["tags"] == ["release"] and promise["status"] == "open"

    for _ in range(2):  # a retried deploy job
        result = script("ci-release-promise.sh", "deployed", db=db, **gitlab)
        assert result.exit_code == 0, result
    shown = marry_json(db, "promise", "show", "ref:4711-add")
    assert shown["status"] == "kept"
    assert [(e["kind"], e["ref"]) for e in shown["events"]] == [("kept", "4711-keep")]

    # A later job's failure does not break a delivered release.
    result = script("ci-release-promise.sh", "failed", db=db, **gitlab)
    assert result.exit_code == 0, result
    assert "already kept" in result.stderr
    assert len(marry_json(db, "promise", "show", "ref:4711-add")["events"]) == 1

    result = script("ci-release-promise.sh", "status", db=db, **gitlab)
    assert result.exit_code == 0 and "4711-keep" in result.stdout


def test_ci_release_failed_breaks_once_and_a_successful_rerun_keeps(db: Path) -> None:
    github = {"GITHUB_RUN_ID": "123", "MARRY_REF_PREFIX": "shop-"}
    # The pipeline failed before it promised anything: nothing to break, nothing written.
    result = script("ci-release-promise.sh", "failed", db=db, **github)
    assert result.exit_code == 0, result
    assert "nothing to break" in result.stderr
    assert not db.exists()

    result = script(
        "ci-release-promise.sh", "schedule", "Globex", "Release 7", "+2d", db=db, **github
    )
    assert result.exit_code == 0, result
    for _ in range(2):
        result = script("ci-release-promise.sh", "failed", "vendor down", db=db, **github)
        assert result.exit_code == 0, result
    shown = marry_json(db, "promise", "show", "ref:shop-123-add")
    assert shown["status"] == "broken"
    assert [(e["kind"], e["note"], e["ref"]) for e in shown["events"]] == [
        ("broken", "vendor down", "shop-123-break")
    ]

    # The deploy job is re-run and succeeds: the CI's break is voided, the promise kept.
    for _ in range(2):
        result = script("ci-release-promise.sh", "deployed", db=db, **github)
        assert result.exit_code == 0, result
    shown = marry_json(db, "promise", "show", "ref:shop-123-add")
    assert shown["status"] == "kept"
    assert [e["kind"] for e in shown["events"]] == ["broken", "void", "kept"]


def test_ci_release_deployed_leaves_a_break_recorded_by_hand(db: Path) -> None:
    gitlab = {"CI_PIPELINE_ID": "5"}
    result = script("ci-release-promise.sh", "schedule", "Initech", "R", "+1d", db=db, **gitlab)
    assert result.exit_code == 0, result
    assert _run([marry_executable(), "break", "ref:5-add"], _env(db)).exit_code == 0
    result = script("ci-release-promise.sh", "deployed", db=db, **gitlab)
    assert result.exit_code == 2
    assert "undo" in result.stderr
    assert marry_json(db, "promise", "show", "ref:5-add")["status"] == "broken"


# --- seed-demo.sh and weekly-report.sh ---------------------------------------------------


# Stands in for marry while seed-demo.sh runs: appends its argument count and arguments,
# each NUL-terminated (no argument can hold a NUL), to $MARRY_RECORD, and prints nothing.
# The script seeds customers in parallel, so one call at a time holds the lock (mkdir is
# atomic everywhere); each customer's calls stay in order.
RECORDER = """#!/usr/bin/env bash
set -euo pipefail
until mkdir "$MARRY_RECORD.lock" 2>/dev/null; do sleep 0.01; done
printf '%s\\0' "$#" "$@" >>"$MARRY_RECORD"
rmdir "$MARRY_RECORD.lock"
"""


def _write_recorder(folder: Path) -> Path:
    recorder = folder / "record-marry"
    recorder.write_text(RECORDER)
    recorder.chmod(0o755)
    return recorder


def _recorded_calls(record: Path) -> list[list[str]]:
    """The argument lists the recorder wrote, in the order it wrote them."""
    fields = record.read_bytes().split(b"\0")
    assert fields.pop() == b"", "the record ends with a NUL"
    calls = []
    while fields:
        count = int(fields.pop(0))
        calls.append([os.fsdecode(arg) for arg in fields[:count]])
        del fields[:count]
    return calls


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger filled by seed-demo.sh, once per module.

    The script runs for real, with MARRY naming a recorder instead of marry; its ~120
    recorded command lines then run in this process (CliRunner, as the `marry` fixture
    does), each of which must exit 0. That tests the script's logic and every command line
    it builds without starting ~120 interpreters (~40 s). The installed marry runs through
    the other scripts here, and on this ledger in the tests that use it.
    """
    from typer.testing import CliRunner

    from marrycli.cli.app import app

    folder = tmp_path_factory.mktemp("seeded")
    db = folder / "demo.db"
    recorder = _write_recorder(folder)
    record = folder / "calls"
    result = script("seed-demo.sh", db=db, MARRY=str(recorder), MARRY_RECORD=str(record))
    assert result.exit_code == 0, result

    calls = _recorded_calls(record)
    assert len(calls) > 100 and calls[-1] == ["report"], calls
    env = _env(db)
    runner = CliRunner()
    for args in calls:
        run = runner.invoke(app, args, env=env, catch_exceptions=False, prog_name="marry")
        assert run.exit_code == 0, (args, run.exit_code, run.stdout, run.stderr)
    assert "Northwind Traders" in run.stdout  # the closing `marry report`
    return db


def test_the_recorder_gives_back_every_argument_as_it_came(tmp_path: Path) -> None:
    """`seeded` replays what the recorder wrote, so every argument must survive the trip."""
    recorder = _write_recorder(tmp_path)
    record = tmp_path / "calls"
    odd = [b"", b" two  spaces ", b"new\nline", b"tab\t", b"caf\xe9", b"3", b"-", b"\\0", b"*"]
    env = {**os.environb, b"MARRY_RECORD": os.fsencode(record)}
    for args in ([], odd, [b"report"]):
        done = subprocess.run([os.fsencode(recorder), *args], env=env, capture_output=True)
        assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    assert _recorded_calls(record) == [[], [os.fsdecode(arg) for arg in odd], ["report"]]


@pytest.mark.slow
def test_seed_demo_shows_every_stage(seeded: Path) -> None:
    customers = marry_json(seeded, "report")["customers"]
    assert len(customers) == 12
    assert {c["stage"] for c in customers} == STAGES
    stage = {c["customer"]: c["stage"] for c in customers}
    assert stage["Northwind Traders"] == "married"
    assert stage["Stark Logistics"] == "estranged"
    assert _run([marry_executable(), "db", "check"], _env(seeded)).exit_code == 0


@pytest.mark.slow
def test_weekly_report_writes_csv_json_and_summary(seeded: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "week-47"
    result = script("weekly-report.sh", str(out), db=seeded)
    assert result.exit_code == 0, result
    assert sorted(p.name for p in out.iterdir()) == ["report.csv", "report.json", "summary.txt"]

    report = json.loads((out / "report.json").read_text())
    rows = list(csv.DictReader(io.StringIO((out / "report.csv").read_text())))
    assert list(rows[0]) == REPORT_FIELDS
    assert [r["customer"] for r in rows] == [c["customer"] for c in report["customers"]]
    assert {r["stage"] for r in rows} == STAGES  # both taken as of the same moment
    assert [float(r["trust"]) for r in rows] == [c["trust"] for c in report["customers"]]

    summary = (out / "summary.txt").read_text()
    assert result.stdout == summary
    assert "12 customer(s)" in summary
    attention = summary.split("Needs attention", 1)[1]
    for name in ("Stark Logistics", "Pied Piper", "Vandelay Industries"):
        assert name in attention
    assert "Northwind Traders" not in attention


def test_weekly_report_on_an_empty_ledger_into_the_default_folder(db: Path, tmp_path: Path) -> None:
    result = script("weekly-report.sh", db=db, cwd=tmp_path)
    assert result.exit_code == 0, result
    (out,) = tmp_path.glob("marry-report-*")
    assert re.fullmatch(r"marry-report-\d{4}-\d{2}-\d{2}", out.name)
    assert sorted(p.name for p in out.iterdir()) == ["report.csv", "report.json", "summary.txt"]
    assert json.loads((out / "report.json").read_text())["customers"] == []
    assert (out / "report.csv").read_text().splitlines() == [",".join(REPORT_FIELDS)]
    assert "No promises" in result.stdout
    assert not db.exists()  # a report creates no ledger


# --- the CI files ------------------------------------------------------------------------


def _marry_lines(text: str) -> list[list[str]]:
    """The `marry ...` command lines of a CI file (YAML list items and run: blocks)."""
    commands = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(-\s+)?(run:\s*)?", "", line)
        if line.startswith("marry "):
            commands.append(shlex.split(line, comments=True))
    return commands


@pytest.mark.parametrize("path", CI_FILES, ids=lambda p: p.name)
def test_ci_file_scripts_exist_and_subcommands_are_known(path: Path, db: Path) -> None:
    text = path.read_text()
    assert "\t" not in text
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    referenced = re.findall(r"examples/([\w.-]+\.sh)(?:\s+(\w+))?", code)
    assert referenced, f"{path.name} calls no example script"
    usage = script("ci-release-promise.sh", "--help", db=db).stdout
    for name, subcommand in referenced:
        assert (EXAMPLES / name).is_file(), f"{path.name} names examples/{name}"
        if name == "ci-release-promise.sh":
            known = re.search(rf"^\s*(usage: )?{re.escape(name)} {subcommand}\b", usage, re.M)
            assert known, f"{path.name}: unknown subcommand {subcommand!r}"
    assert {sub for _, sub in referenced} >= {"schedule", "deployed", "failed"}


@pytest.mark.parametrize("path", CI_FILES, ids=lambda p: p.name)
def test_ci_file_marry_commands_parse(path: Path, db: Path) -> None:
    commands = _marry_lines(path.read_text())
    gate = ["marry", "check", "--min-stage", "trusted", "--max-overdue", "0"]
    assert gate in commands, f"{path.name} has no gate line"
    for command in commands:
        help_run = _run([marry_executable(), *command[1:], "--help"], _env(db))
        assert help_run.exit_code == 0, (command, help_run)
        if command[1] == "check":  # a gate on an empty ledger passes and creates nothing
            real = _run([marry_executable(), *command[1:]], _env(db))
            assert real.exit_code == 0, (command, real)
    assert not db.exists()


def test_github_workflow_takes_the_ledger_from_a_secret() -> None:
    text = (EXAMPLES / "github-actions.yml").read_text()
    assert "MARRY_DB: ${{ secrets.MARRY_DB }}" in text


# --- the CI files, run as their shell would ------------------------------------------------

ROOT = EXAMPLES.parent


def _shell_lines(text: str) -> list[str]:
    """The install and `marry` lines of a CI file, as its shell would run them."""
    lines = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(-\s+)?(run:\s*)?", "", line)
        if line.startswith(("marry ", "python -m pip install ")):
            lines.append(line)
    return lines


@pytest.fixture(scope="module")
def ci_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment that sees this one's dependencies (no downloads of them)."""
    venv = tmp_path_factory.mktemp("ci") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    site = next((venv / "lib").glob("python*/site-packages"))
    here = [p for p in sys.path if p.endswith("site-packages")]
    (site / "_marry_test_dependencies.pth").write_text("\n".join(here) + "\n")
    return venv


@pytest.mark.slow
@pytest.mark.parametrize("path", CI_FILES, ids=lambda p: p.name)
def test_ci_file_installs_marry_and_runs_its_marry_lines(
    path: Path, ci_venv: Path, db: Path
) -> None:
    lines = _shell_lines(path.read_text())
    assert any("pip install" in line for line in lines), f"{path.name} installs nothing"
    script_text = "set -euo pipefail\n" + "\n".join(lines) + "\n"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(
        PATH=os.pathsep.join([str(ci_venv / "bin"), "/usr/bin", "/bin"]),
        MARRY_DB=str(db),
        MARRY_USER="tester",
        NO_COLOR="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    unset = _run(["bash", "-c", script_text], env)
    assert unset.exit_code != 0 and "set the MARRY_PACKAGE variable" in unset.stderr, unset

    installed = _run(
        ["bash", "-c", script_text], {**env, "MARRY_PACKAGE": str(ROOT)}, cwd=db.parent
    )
    assert installed.exit_code == 0, installed
    marry = ci_venv / "bin" / "marry"
    assert marry.exists(), "the install line installed no marry command"
    version = _run([str(marry), "--version"], env)
    assert version.exit_code == 0 and version.stdout.startswith("marry "), version
    assert not db.exists()  # the gate on an empty ledger passes and creates nothing
    page = (db.parent / "trust-report.html").read_text(encoding="utf-8")  # templates installed
    assert page.startswith("<!DOCTYPE html>") and "No customers yet" in page
