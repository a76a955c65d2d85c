"""Help screens for people: metavars (TEXT, WHEN, ID, NAME, TAG), `promise` first, 80 columns."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from marrycli.cli.app import COMMAND_ORDER, app, only_the_command_run


def _commands(command, path: tuple[str, ...] = ()):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


ALL = [path for path, _ in _commands(typer.main.get_command(app))]


@pytest.mark.parametrize("path", ALL, ids=lambda path: " ".join(path) or "marry")
def test_help_names_no_python_type_and_fits_80_columns(sqlite_marry, path):
    marry = sqlite_marry
    out = marry.ok(*path, "--help", COLUMNS="80").stdout
    assert not re.search(r"<\w[^>]*>", out), out  # <str>, <list[str]>, <small|medium|large>
    assert "list[" not in out and "{" not in out, out
    too_wide = [line for line in out.splitlines() if len(line) > 80]
    assert not too_wide, too_wide
    # Every example is one whole line: a command line, never a wrapped remainder.
    examples = out.partition("Example")[2].partition("\n\n")[0].splitlines()[1:]
    assert examples, out
    assert all(line.strip().startswith(("marry ", "MARRY_DB=")) for line in examples), examples


def test_help_shows_metavars_people_read(sqlite_marry):
    marry = sqlite_marry
    add = marry.ok("promise", "add", "--help").stdout
    assert "Usage: marry promise add [OPTIONS] TEXT\n" in add
    assert re.search(r"^  TEXT +What was promised", add, re.M)
    for shown in ("-c, --customer NAME", "--due WHEN", "--made WHEN", "--owner NAME", "--tag TAG",
                  "--ref KEY", "--size [small|medium|large]", "--format [table|json|csv]"):  # fmt: skip
        assert shown in add, shown
    listing = marry.ok("promise", "list", "--help").stdout
    for shown in ("-c, --customer NAME", "--owner NAME", "--tag TAG", "--as-of WHEN"):
        assert shown in listing, shown
    keep = marry.ok("keep", "--help").stdout
    assert "Usage: marry keep [OPTIONS] ID\n" in keep
    assert "--note TEXT" in keep and "--at WHEN" in keep
    assert "-c, --customer NAME" in marry.ok("report", "--help").stdout
    assert (
        "Usage: marry customer merge [OPTIONS] FROM INTO\n"
        in marry.ok("customer", "merge", "--help").stdout
    )


def test_marry_help_lists_promise_first_then_the_day_s_work(sqlite_marry):
    marry = sqlite_marry
    out = marry.ok("--help").stdout
    listed = [line.split()[0] for line in out.partition("Commands:\n")[2].splitlines() if line]
    assert listed == list(COMMAND_ORDER)
    assert listed[0] == "promise"
    root = typer.main.get_command(app)
    assert set(root.commands) == set(COMMAND_ORDER)  # a new command gets a place in the order


def _names(typer_app: typer.Typer) -> set[str | None]:
    """The commands `typer_app` has, a group's as `group command`."""
    names: set[str | None] = {c.name for c in typer_app.registered_commands}
    for group in typer_app.registered_groups:
        assert group.typer_instance is not None
        names |= {f"{group.name} {name}" for name in _names(group.typer_instance)}
    return names


@pytest.mark.parametrize(
    ("args", "built"),
    [
        (["keep", "3"], {"keep"}),
        (["--db", "x.db", "-q", "--debug", "promise", "add", "x"], {"promise add"}),
        (["customer", "rename", "a", "b"], {"customer rename"}),
        (["--db=x.db", "report", "--json"], {"report"}),
        ([], None),
        (["-q"], None),
        (["--help"], None),
        (["kep", "3"], None),  # no such command: Click's suggestion needs every name
        (["--install-completion"], None),
        (["promise"], "promise"),  # a group without its command: all of the group's
        (["promise", "--help"], "promise"),
        (["promise", "ad", "x"], "promise"),
    ],
)
def test_a_run_builds_only_the_command_it_names(args, built):
    pruned = only_the_command_run(args)
    if built == "promise":
        built = {name for name in _names(app) if name and name.startswith("promise ")}
    assert _names(pruned) == (built or _names(app))
    assert (pruned is app) == (built is None)
    assert pruned.registered_callback is app.registered_callback  # the global options


def test_completion_builds_the_whole_app(monkeypatch):
    monkeypatch.setenv("_MARRY_COMPLETE", "bash_complete")
    assert only_the_command_run(["keep", "3"]) is app


@pytest.mark.parametrize("path", [p for p in ALL if p], ids=" ".join)
def test_the_command_alone_says_what_the_whole_app_says(sqlite_marry, path):
    """Help and usage errors of a command are the same whether the app has one command or all."""
    runner = CliRunner()
    env = {"MARRY_DB": sqlite_marry.db, "COLUMNS": "80"}
    for args in ([*path, "--help"], [*path, "--no-such-option"]):
        alone = runner.invoke(only_the_command_run(args), args, prog_name="marry", env=env)
        whole = runner.invoke(app, args, prog_name="marry", env=env)
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output), args
