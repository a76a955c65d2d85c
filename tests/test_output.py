"""User data is data: shown literally in tables, exactly in JSON; help text has examples."""

from __future__ import annotations

import csv
import io

import pytest
import typer

from marrycli.formats.csv import csv_cell
from marrycli.render.safety import visible

NASTY = ["[bold red]x[/]", '=HYPERLINK("x")', "acme\u202egnp.exe"]


@pytest.mark.parametrize("name", NASTY)
def test_nasty_customer_names_print_literally_in_tables_and_exactly_in_json(marry, name):
    pid = marry.add("[link=http://evil]click[/link]", name)
    for args in (["promise", "list"], ["promise", "show", str(pid)], ["customer", "list"]):
        out = marry.ok(*args).stdout
        assert "\u202e" not in out and "\x1b" not in out
        assert visible(name).replace(" ", "") in "".join(out.split())
    assert "[link=http://evil]click[/link]" in marry.ok("promise", "list", COLUMNS="200").stdout
    assert marry.json("promise", "show", str(pid))["customer"] == name
    assert marry.json("customer", "list")[0]["customer"] == name


def test_json_escapes_format_characters_but_stays_lossless(marry):
    marry.add("text", "acme\u202e")
    raw = marry.ok("promise", "list", "--json").stdout
    assert "\u202e" not in raw and "\\u202e" in raw


def test_visible_marks_invisible_characters():
    assert visible("plain Müller") == "plain Müller"
    assert visible("a\u202eb\u200bc") == "a<U+202E>b<U+200B>c"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "<U+0009>x"),  # control characters are escaped, so nothing is left to run
        ("\rx", "<U+000D>x"),
        ("'=x", "''=x"),  # lossless: the import removes exactly one quote
        ("a\x1b[31m", "a<U+001B>[31m"),
        ("acme", "acme"),
    ],
)
def test_csv_cells_are_neutralised(cell, written):
    assert csv_cell(cell) == written


def test_csv_round_trips_through_the_csv_module(marry):
    marry.add('say "hi", then leave', "acme, inc")
    rows = list(csv.DictReader(io.StringIO(marry.ok("promise", "list", "--format", "csv").stdout)))
    assert rows[0]["text"] == 'say "hi", then leave' and rows[0]["customer"] == "acme, inc"


def test_tables_off_a_terminal_have_no_box_art_and_fit_80_columns(marry):
    marry.add(
        "A rather long promise text that must wrap within the eighty columns of a CI log", "acme"
    )
    for i in range(12):
        marry.add(f"p{i}", "globex")
    out = marry.ok("promise", "list").stdout
    assert not set(out) & set("─│┌┐└┘├┤┬┴┼━┃╇╈")
    assert all(len(line) <= 80 for line in out.splitlines())
    assert any(line.split()[0] == "13" for line in out.splitlines())  # ids are never cut


def _commands(command, path: tuple[str, ...] = ()):
    yield path, command
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def test_every_help_shows_a_usage_example(marry):
    from marrycli.cli.app import app

    root = typer.main.get_command(app)
    seen = 0
    for path, _command in _commands(root):
        result = marry.ok(*path, "--help")
        examples = result.stdout.partition("Example")[2]
        assert "marry " in examples.partition("Options:")[0], path
        seen += 1
    assert seen >= 15


def test_piped_tables_end_no_line_in_spaces_and_keep_names_whole(sqlite_marry):
    marry = sqlite_marry
    long_name = "Northwind Traders International"
    pid = marry.add(
        "Migrate the whole warehouse management system to the new cloud region", long_name,
        "--due", "+2d", "--owner", "Alexandra Konstantinopoulou", "--tag", "q4", "--force",
    )  # fmt: skip
    marry.ok("renegotiate", str(pid), "--due", "+9d", "--note", "waiting for the vendor's answer")
    done = marry.add("Weekly usage report", "acme", "--made", "-3d", "--due", "-2d")
    marry.ok("keep", str(done), "--at", "-2d")
    views = [
        ["promise", "list"],
        ["promise", "list", "--status", "all"],
        ["promise", "show", str(pid)],
        ["customer", "list"],
        ["report"],
        ["report", "--customer", "acme"],
        ["report", "--by", "owner"],
        ["agenda", "--within", "+30d"],
        ["whatif", str(pid), "--keep"],
        ["db", "info"],
    ]
    for columns in ("80", "60"):
        for args in views:
            out = marry.ok(*args, COLUMNS=columns).stdout
            lines = out.splitlines()
            assert lines, args
            assert not [line for line in lines if line != line.rstrip()], (args, out)
            assert all(len(line) <= int(columns) for line in lines), (args, columns, out)
            if args in (views[0], views[1], views[3], views[4], views[7]):  # name in a column
                assert any(long_name in line for line in lines), (args, out)


def test_the_package_ships_its_type_hints():
    """PEP 561: py.typed is in the package, and pyproject puts it in the wheel."""
    import tomllib
    from importlib.resources import files
    from pathlib import Path

    assert files("marrycli").joinpath("py.typed").is_file()
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["marrycli"]
