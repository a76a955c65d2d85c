"""The format registry through the real CLI: every data command, every format.

A format a view has no renderer for is bad input: exit 2, one line on stderr naming the
command and the formats it has, nothing on stdout (never a table in its place), and,
for a write, nothing recorded. Today most views have every format, so a newly added
format is simulated by taking one renderer out of the registry at a time.
"""

from __future__ import annotations

import re
import shutil
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

from conftest import Marry
from marrycli import render
from marrycli.cli.app import WRITES, app
from marrycli.render import Format, views, written
from marrycli.render.views import (
    Agenda,
    CheckResult,
    CustomerList,
    CustomerProfileView,
    CustomerReportView,
    LedgerInfoView,
    OwnersReport,
    PromiseDetail,
    PromiseList,
    Report,
    SettingsView,
    TagsReport,
    WhatIfView,
)
from marrycli.render.written import PromiseWritten

TABLE, JSON, CSV, HTML = Format.TABLE, Format.JSON, Format.CSV, Format.HTML

# The formats each view has (SPEC §2: csv where the data is a table). A change here is a
# change of the contract scripts rely on, so it is spelled out rather than derived.
FORMATS: dict[type, set[Format]] = {
    PromiseWritten: {TABLE, JSON, CSV},
    PromiseDetail: {TABLE, JSON},
    PromiseList: {TABLE, JSON, CSV},
    CustomerList: {TABLE, JSON, CSV},
    CustomerProfileView: {TABLE, JSON},
    LedgerInfoView: {TABLE, JSON},
    Report: {TABLE, JSON, CSV, HTML},
    CustomerReportView: {TABLE, JSON, HTML},
    OwnersReport: {TABLE, JSON, CSV, HTML},
    TagsReport: {TABLE, JSON, CSV, HTML},
    CheckResult: {TABLE, JSON},
    WhatIfView: {TABLE, JSON},
    Agenda: {TABLE, JSON, CSV, HTML},
    SettingsView: {TABLE, JSON},
}

# Commands whose --format names a file format (jsonl, csv), not a view's.
FILE_FORMAT_COMMANDS = {"export", "import"}


@dataclass(frozen=True)
class Shows:
    """A command line that shows `view`, and the name its messages give it."""

    name: str  # as the message names it: `marry report --customer`
    view: type
    args: tuple[str, ...]  # {open} and {kept}: the seeded promises' ids

    @property
    def command(self) -> str:
        """The command's words: `promise add`, `report`."""
        return self.name.removeprefix("marry ").partition(" --")[0]

    def argv(self, ids: dict[str, str]) -> list[str]:
        return [ids.get(word, word) for word in self.args]


SHOWS = [
    Shows("marry promise add", PromiseWritten, ("promise", "add", "Runbook", "-c", "acme")),
    Shows("marry promise cancel", PromiseWritten, ("promise", "cancel", "{open}", "--note", "x")),
    Shows("marry promise amend", PromiseWritten, ("promise", "amend", "{open}", "--size", "small")),
    Shows("marry keep", PromiseWritten, ("keep", "{open}")),
    Shows("marry break", PromiseWritten, ("break", "{open}")),
    Shows("marry renegotiate", PromiseWritten, ("renegotiate", "{open}", "--due", "+10d")),
    Shows("marry undo", PromiseWritten, ("undo", "{kept}")),
    Shows("marry promise list", PromiseList, ("promise", "list")),
    Shows("marry promise show", PromiseDetail, ("promise", "show", "{open}")),
    Shows("marry customer list", CustomerList, ("customer", "list")),
    Shows("marry customer show", CustomerProfileView, ("customer", "show", "acme")),
    Shows("marry db info", LedgerInfoView, ("db", "info")),
    Shows("marry report", Report, ("report",)),
    Shows("marry report --customer", CustomerReportView, ("report", "--customer", "acme")),
    Shows("marry report --by owner", OwnersReport, ("report", "--by", "owner")),
    Shows("marry report --by tag", TagsReport, ("report", "--by", "tag")),
    Shows("marry check", CheckResult, ("check", "--min-stage", "estranged")),
    Shows("marry whatif", WhatIfView, ("whatif", "{open}", "--break")),
    Shows("marry agenda", Agenda, ("agenda",)),
    Shows("marry config", SettingsView, ("config",)),
]
# Each command line with each format, asked for as --format F (and JSON also as --json).
CASES = [
    (shows, fmt, flags)
    for shows in SHOWS
    for fmt in Format
    for flags in (
        [["--format", fmt.value], ["--json"]] if fmt is JSON else [["--format", fmt.value]]
    )
]


def _case_id(case: tuple[Shows, Format, list[str]]) -> str:
    shows, _, flags = case
    return f"{shows.name.removeprefix('marry ')} {' '.join(flags)}"


# -- the contract: which views have which formats, and which commands show them ----------


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def _format_options() -> dict[str, type]:
    """Every command with a --format option, and the type that option takes."""
    found = {}
    for path, command in _commands(typer.main.get_command(app)):
        for param in command.params:
            if "--format" in getattr(param, "opts", ()):
                hint = typing.get_type_hints(command.callback, include_extras=True)[param.name]
                found[" ".join(path)] = typing.get_args(hint)[0]  # Annotated[T, Option]
    return found


def test_every_view_in_views_py_has_table_and_json_and_the_formats_listed_here():
    defined = {
        cls
        for module in (views, written)
        for cls in vars(module).values()
        if isinstance(cls, type) and cls.__module__ == module.__name__
    }
    assert defined == set(FORMATS), "a new view gets its formats listed in FORMATS"
    for view, formats in FORMATS.items():
        assert {TABLE, JSON} <= formats, view
        assert set(render.formats_of(view)) == formats, view


def test_every_command_with_a_view_format_is_exercised_here():
    options = _format_options()
    view_commands = {path for path, kind in options.items() if kind is Format}
    assert view_commands == {shows.command for shows in SHOWS}, (
        "a new command with --format gets its lines in SHOWS"
    )
    assert set(options) - view_commands == FILE_FORMAT_COMMANDS  # jsonl|csv: files, not views
    assert {shows.view for shows in SHOWS} == set(FORMATS), "every view is shown by a command"
    writes = {shows.command for shows in SHOWS if shows.view is PromiseWritten}
    assert writes <= WRITES


def test_every_command_with_a_view_format_also_takes_json():
    for path, command in _commands(typer.main.get_command(app)):
        opts = {opt for param in command.params for opt in getattr(param, "opts", ())}
        if " ".join(path) in {shows.command for shows in SHOWS}:
            assert "--json" in opts, path


# -- one ledger for every case: built once, copied for each test ------------------------


@dataclass(frozen=True)
class Seeded:
    path: Path
    ids: dict[str, str]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """A small ledger: an open promise due in 3 days, a kept one, a broken one."""
    path = tmp_path_factory.mktemp("formats") / "ledger.db"
    marry = Marry(db=str(path), backend="sqlite", path=path, env={"MARRY_USER": "tester"})
    open_ = marry.add("Ship SSO", "acme", "--due", "+3d", "--size", "large", "--tag", "sso")
    kept = marry.add("Fix login", "acme", "--due", "+5d")
    broken = marry.add("Write docs", "globex", "--due", "+2d")
    marry.ok("keep", str(kept))
    marry.ok("break", str(broken))
    return Seeded(path, {"{open}": str(open_), "{kept}": str(kept)})


@pytest.fixture
def ledger(seeded: Seeded, tmp_path: Path) -> Marry:
    """A copy of the seeded ledger, for one test to write to (or not)."""
    path = tmp_path / "seeded.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{seeded.path}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{path}{suffix}")
    return Marry(db=str(path), backend="sqlite", path=path)


def _drop(monkeypatch: pytest.MonkeyPatch, view: type, fmt: Format) -> None:
    """Take the renderer of `view` in `fmt` out of the registry (as a new format lacks it)."""
    render.formats_of(view)  # every renderer module imported: none registers later
    monkeypatch.delitem(render._registry, (view, fmt), raising=False)


def _offered(message: str) -> set[str]:
    """The formats a message offers: `use --format table, json or csv`."""
    choice = message.rpartition("use --format ")[2]
    return set(re.split(r", | or ", choice))


# -- every command, every format ---------------------------------------------------------


@pytest.mark.parametrize(("shows", "fmt", "flags"), CASES, ids=map(_case_id, CASES))
def test_a_format_the_view_has_works(
    ledger: Marry, seeded: Seeded, shows: Shows, fmt: Format, flags: list[str]
):
    """The control for the test below: these command lines succeed as they are."""
    if fmt not in FORMATS[shows.view]:
        pytest.skip(f"{shows.name} has no {fmt.value} output")
    result = ledger(*shows.argv(seeded.ids), *flags)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    if not (shows.view is CheckResult and fmt is TABLE):  # a passing check prints nothing
        assert result.stdout.strip(), result.stderr


@pytest.mark.parametrize(("shows", "fmt", "flags"), CASES, ids=map(_case_id, CASES))
def test_a_format_the_view_lacks_is_bad_input_and_does_nothing(
    ledger: Marry,
    seeded: Seeded,
    monkeypatch: pytest.MonkeyPatch,
    shows: Shows,
    fmt: Format,
    flags: list[str],
):
    """Each format missing in turn (a real gap, or one renderer taken out): exit 2, one line."""
    argv = shows.argv(seeded.ids)
    _drop(monkeypatch, shows.view, fmt)
    has = FORMATS[shows.view] - {fmt}
    before = ledger.rows()
    result = ledger(*argv, *flags)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""  # never a table (or anything else) in its place
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    message = lines[0]
    assert message.startswith(f"marry: error: `{shows.name}` has no {fmt.value} output"), message
    assert _offered(message) == {f.value for f in has}, message
    assert ledger.rows() == before  # nothing recorded, nothing changed


def test_a_write_in_a_format_it_lacks_creates_no_ledger(
    sqlite_marry: Marry, monkeypatch: pytest.MonkeyPatch
):
    _drop(monkeypatch, PromiseWritten, CSV)
    result = sqlite_marry("promise", "add", "Ship SSO", "-c", "acme", "--format", "csv")
    assert result.exit_code == 2, result.stderr
    assert "`marry promise add` has no csv output" in result.stderr
    assert result.stdout == ""
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()
