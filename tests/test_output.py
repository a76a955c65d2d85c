"""User data is data: shown literally in tables, exactly in JSON; help text has examples."""

from __future__ import annotations

import csv
import io

import pytest
import typer

from marrycli import render

NASTY = ["[bold red]x[/]", '=HYPERLINK("x")', "acme\u202egnp.exe"]


@pytest.mark.parametrize("name", NASTY)
def test_nasty_customer_names_print_literally_in_tables_and_exactly_in_json(marry, name):
    pid = marry.add("[link=http://evil]click[/link]", name)
    for args in (["promise", "list"], ["promise", "show", str(pid)], ["customer", "list"]):
        out = marry.ok(*args).stdout
        assert "\u202e" not in out and "\x1b" not in out
        assert render.visible(name).replace(" ", "") in "".join(out.split())
    assert "[link=http://evil]click[/link]" in marry.ok("promise", "list", COLUMNS="200").stdout
    assert marry.json("promise", "show", str(pid))["customer"] == name
    assert marry.json("customer", "list")[0]["customer"] == name


def test_json_escapes_format_characters_but_stays_lossless(marry):
    marry.add("text", "acme\u202e")
    raw = marry.ok("promise", "list", "--json").stdout
    assert "\u202e" not in raw and "\\u202e" in raw


def test_visible_marks_invisible_characters():
    assert render.visible("plain Müller") == "plain Müller"
    assert render.visible("a\u202eb\u200bc") == "a<U+202E>b<U+200B>c"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("acme", "acme"),
    ],
)
def test_csv_cells_are_neutralised(cell, written):
    assert render.csv_cell(cell) == written


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
