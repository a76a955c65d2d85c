"""Shell completion (SPEC §10): Typer's --show-completion and --install-completion for bash,
zsh and fish, and the values completed from the ledger, read-only.

A shell asks for completions by running `marry` with `_MARRY_COMPLETE=complete_SHELL` and
the command line in COMP_WORDS/COMP_CWORD (bash) or _TYPER_COMPLETE_ARGS (zsh, fish);
`complete` does exactly that, in-process.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import Marry, Result, marry_executable
from marrycli.cli.app import app


def invoke(*args: str, **env: str) -> Result:
    result = CliRunner().invoke(app, list(args), env=env, prog_name="marry")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)


_WORD = re.compile(r"""(?:\\.|'[^']*'?|"[^"]*"?|[^\s'"\\])+""")


def complete(line: str, shell: str = "bash", **env: str) -> Result:
    """What marry answers the shell's TAB at the end of `line` (a trailing space: a new word)."""
    if shell == "bash":
        words = _WORD.findall(line)  # as bash splits them: quotes and backslashes kept
        current = len(words) if line.endswith(" ") else len(words) - 1
        shell_env = {"COMP_WORDS": "\n".join(words), "COMP_CWORD": str(current)}
    else:
        shell_env = {"_TYPER_COMPLETE_ARGS": line, "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    return invoke(**{"_MARRY_COMPLETE": f"complete_{shell}", **shell_env, **env})


def offered(line: str, marry: Marry | None = None) -> list[str]:
    """The values bash is offered (unescaped) for `line`, on `marry`'s ledger."""
    if marry is not None:
        line = line.replace("marry ", f"marry --db {shlex.quote(marry.db)} ", 1)
    result = complete(line)
    assert (result.exit_code, result.stderr) == (0, ""), result
    return [shlex.split(word)[0] for word in result.stdout.splitlines() if word]


# -- the scripts a shell sources -----------------------------------------------------------


SCRIPTS = {
    "bash": ["_MARRY_COMPLETE=complete_bash", "complete -o default -F _marry_completion marry"],
    "zsh": ["#compdef marry", "_MARRY_COMPLETE=complete_zsh", "compdef _marry_completion marry"],
    "fish": ["complete --command marry", "_MARRY_COMPLETE=complete_fish"],
}


@pytest.fixture
def shell_is(monkeypatch: pytest.MonkeyPatch):
    """Make Typer's shell detection (shellingham) find the given shell."""
    import shellingham

    def use(shell: str) -> None:
        monkeypatch.setattr(shellingham, "detect_shell", lambda: (shell, f"/bin/{shell}"))

    return use


@pytest.mark.parametrize("shell", sorted(SCRIPTS))
def test_show_completion_prints_the_script_for_the_shell(shell_is, shell: str) -> None:
    shell_is(shell)
    result = invoke("--show-completion")
    assert result.exit_code == 0, result.stderr
    for line in SCRIPTS[shell]:
        assert line in result.stdout, (shell, result.stdout)
    others = {s for s in SCRIPTS if s != shell}
    assert not any(f"complete_{other}" in result.stdout for other in others)


INSTALLED = {
    "bash": (".bash_completions/marry.sh", ".bashrc", "source '{home}/.bash_completions/marry.sh'"),
    "zsh": (".zfunc/_marry", ".zshrc", "fpath+=~/.zfunc; autoload -Uz compinit; compinit"),
    "fish": (".config/fish/completions/marry.fish", None, None),
}


@pytest.mark.parametrize("shell", sorted(INSTALLED))
def test_install_completion_writes_the_script_where_the_shell_reads_it(
    shell_is, tmp_path: Path, shell: str
) -> None:
    shell_is(shell)
    home = tmp_path / "home"
    home.mkdir()
    result = invoke("--install-completion", HOME=str(home))
    assert result.exit_code == 0, result.stderr
    script, rc_file, rc_line = INSTALLED[shell]
    assert f"{shell} completion installed in {home / script}" in result.stdout
    assert f"_MARRY_COMPLETE=complete_{shell}" in (home / script).read_text()
    if rc_file is not None:
        assert rc_line.format(home=home) in (home / rc_file).read_text()
    assert not (tmp_path / "ledger.db").exists()  # no ledger, no config file
    assert not (tmp_path / "xdg-config").exists()


def test_the_completion_options_are_in_the_help() -> None:
    out = invoke("--help").stdout
    assert "--install-completion" in out and "--show-completion" in out


# -- commands and options complete as Click knows them -------------------------------------


def test_commands_and_options_complete() -> None:
    assert offered("marry re") == ["renegotiate", "report"]
    assert "--customer" in offered("marry promise add x --cu")
    assert offered("marry promise add x --size ") == ["small", "medium", "large"]


# -- values from the ledger -------------------------------------------------------------------


def seed(marry: Marry) -> dict[str, int]:
    ids = {
        "sso": marry.add("Ship SSO", "Acme Corp", "--tag", "sso", "--tag", "q4"),
        "login": marry.add("Fix the login [/bold] bug", "acme labs", "--owner", "lee", "--tag", "bugs"),
        "docs": marry.add("Write docs", "Globex", "--owner", "Dana Scully", "--due", "+3d"),
        "kept": marry.add("Kept one", "Globex"),
        "unkept": marry.add("Kept, then undone", "Globex"),
        "cancelled": marry.add("Cancelled one", "Initech"),
    }  # fmt: skip
    marry.ok("keep", str(ids["kept"]))
    marry.ok("keep", str(ids["unkept"]))
    marry.ok("undo", str(ids["unkept"]))
    marry.ok("promise", "cancel", str(ids["cancelled"]), "--note", "dropped")
    marry.ok("renegotiate", str(ids["docs"]), "--due", "+9d")
    marry.ok("customer", "merge", "acme labs", "Acme Corp")
    return ids


@pytest.fixture
def seeded(marry: Marry) -> tuple[Marry, dict[str, int]]:
    return marry, seed(marry)


def test_customer_names_and_merged_names_complete(seeded) -> None:
    marry, _ = seeded
    before = marry.rows()
    folder = sorted(marry.path.parent.iterdir()) if marry.path is not None else None
    assert offered("marry promise add x --customer ", marry) == [
        "Acme Corp", "acme labs", "Globex", "Initech",
    ]  # fmt: skip
    assert offered("marry promise add x -c A", marry) == ["Acme Corp"]
    assert offered("marry report --customer acme", marry) == ["acme labs"]
    assert offered("marry report --customer 'Acme C", marry) == ["Acme Corp"]
    assert offered("marry report --customer Acme\\ C", marry) == ["Acme Corp"]
    assert offered("marry check -c G", marry) == ["Globex"]
    assert offered("marry customer merge In", marry) == ["Initech"]
    assert offered("marry customer merge Initech G", marry) == ["Globex"]
    assert offered("marry customer rename Z", marry) == []
    assert marry.rows() == before  # read only
    if marry.path is not None:  # and no journal left behind
        assert sorted(marry.path.parent.iterdir()) == folder


def test_bash_gets_a_name_with_a_space_as_one_word(seeded) -> None:
    marry, _ = seeded
    line = f"marry --db {shlex.quote(marry.db)} promise add x -c Acme"
    assert complete(line).stdout.splitlines() == ["Acme\\ Corp"]
    zsh = complete(line, "zsh").stdout
    assert '"Acme Corp"' in zsh  # zsh and fish quote what they insert themselves
    assert complete(line, "fish").stdout.splitlines() == ["Acme Corp"]


def test_owners_and_tags_complete_most_recent_first(seeded) -> None:
    marry, _ = seeded
    assert offered("marry promise add x --owner ", marry) == ["tester", "Dana Scully", "lee"]
    assert offered("marry agenda --owner D", marry) == ["Dana Scully"]
    assert offered("marry promise add x --tag ", marry) == ["bugs", "sso", "q4"]
    assert offered("marry promise add x --tag s", marry) == ["sso"]


def test_unresolved_promise_numbers_complete_with_their_text(seeded) -> None:
    marry, ids = seeded
    unresolved = [ids["unkept"], ids["docs"], ids["login"], ids["sso"]]  # newest first
    for command in ("keep", "break", "renegotiate", "whatif", "promise show", "promise cancel"):
        assert offered(f"marry {command} ", marry) == [str(i) for i in unresolved], command
    assert offered(f"marry keep {ids['login']}", marry) == [str(ids["login"])]
    line = f"marry --db {shlex.quote(marry.db)} keep "
    fish = complete(line, "fish").stdout.splitlines()
    assert f"{ids['login']}\tFix the login [/bold] bug" in fish  # the text, literally
    zsh = complete(line, "zsh").stdout
    assert f'"{ids["docs"]}":"Write docs"' in zsh


def test_undo_completes_no_promise_numbers(seeded) -> None:
    marry, _ = seeded
    assert offered("marry undo ", marry) == []


def test_promise_numbers_complete_by_their_digits(sqlite_marry: Marry) -> None:
    """Numbers that begin with what was typed, whatever their length."""
    ids = [sqlite_marry.add(f"promise {n}", "acme") for n in range(12)]
    assert ids == list(range(1, 13))
    assert offered("marry keep 1", sqlite_marry) == ["12", "11", "10", "1"]
    assert offered("marry keep #1", sqlite_marry) == []  # Typer offers what begins as typed
    assert offered("marry keep 0", sqlite_marry) == []
    assert offered("marry keep x", sqlite_marry) == []
    assert offered("marry keep 9" + "9" * 25, sqlite_marry) == []


# -- read-only, and silent --------------------------------------------------------------------


def test_no_ledger_offers_nothing_and_creates_nothing(sqlite_marry: Marry) -> None:
    for line in ("marry promise add x -c ", "marry keep ", "marry agenda --owner ",
                 "marry promise add x --tag "):  # fmt: skip
        assert offered(line, sqlite_marry) == []
    assert (
        sqlite_marry.path is not None
        and not sqlite_marry.path.parent.joinpath("ledger.db").exists()
    )
    assert [p.name for p in sqlite_marry.path.parent.iterdir()] == []


def test_no_postgresql_ledger_offers_nothing_and_creates_no_table(pg_marry: Marry) -> None:
    assert offered("marry keep ", pg_marry) == []
    assert offered("marry promise add x -c ", pg_marry) == []
    assert pg_marry.json("db", "info")["exists"] is False  # no table was created


def test_the_ledger_is_the_one_the_settings_name(
    seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marry, _ = seeded
    monkeypatch.setenv("MARRY_DB", marry.db)  # no --db typed: MARRY_DB
    assert offered("marry promise add x -c G") == ["Globex"]
    config = tmp_path / "marry.toml"
    config.write_text(f"db = {json_string(marry.db)}\n")
    monkeypatch.setenv("MARRY_DB", "")
    monkeypatch.setenv("MARRY_CONFIG", str(config))  # the config file's db
    assert offered("marry promise add x -c G") == ["Globex"]
    elsewhere = tmp_path / "elsewhere.db"
    assert offered(f"marry --db {elsewhere} promise add x -c G") == []  # --db typed wins
    assert not elsewhere.exists()


def json_string(text: str) -> str:
    import json

    return json.dumps(text)


@pytest.mark.parametrize(
    "problem",
    ["a bad config file", "not a ledger", "a damaged ledger", "an unsupported URL", "a bug"],
)
def test_completion_is_silent_on_any_error(
    seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, problem: str
) -> None:
    marry, _ = seeded
    db = marry.db
    if problem == "a bad config file":
        (tmp_path / "bad.toml").write_text("colour = true\n")
        monkeypatch.setenv("MARRY_CONFIG", str(tmp_path / "bad.toml"))
        monkeypatch.setenv("MARRY_DB", "")
        db = ""
    elif problem == "not a ledger":
        db = str(tmp_path / "notes.txt")
        Path(db).write_text("just some notes\n")
    elif problem == "a damaged ledger":
        if marry.backend != "sqlite":
            pytest.skip("a damaged file")
        import sqlite3

        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE marry_promise SET tags = 'not json'")
        conn.close()
    elif problem == "an unsupported URL":
        db = "mysql://u@h/db"
    else:
        from marrycli.service import completion

        def broken(*_args: object) -> list[str]:
            raise RuntimeError("a bug")

        monkeypatch.setattr(completion, "customer_names", broken)
        monkeypatch.setattr(completion, "tag_names", broken)
    before = Path(db).read_bytes() if problem == "not a ledger" else None
    prefix = f"marry --db {shlex.quote(db)} " if db else "marry "
    lines = ["promise add x --tag "]  # the tags are what is damaged
    if problem != "a damaged ledger":
        lines.append("promise add x -c ")
    for shell in ("bash", "zsh", "fish"):
        for line in lines:
            result = complete(prefix + line, shell)
            assert result.stderr == "", (shell, line, result.stderr)
            assert "Traceback" not in result.stdout and "error" not in result.stdout
            assert result.stdout.strip() in ("", "_files"), (shell, result.stdout)
    if before is not None:
        assert Path(db).read_bytes() == before


def test_completing_version_prints_no_version() -> None:
    assert "marry" not in complete("marry --version ").stdout


# -- the installed command, as a shell runs it ------------------------------------------------


@pytest.mark.slow
def test_bash_completes_a_customer_through_the_installed_marry(tmp_path: Path) -> None:
    """Source the script `marry --show-completion` prints for bash, then press TAB."""
    ledger = Marry(db=str(tmp_path / "ledger.db"), backend="sqlite")
    ledger.add("Ship SSO", "Acme Corp")
    ledger.add("Write docs", "Globex")
    folder = os.path.dirname(marry_executable())
    script = f"""
        export PATH={shlex.quote(folder)}:$PATH MARRY_DB={shlex.quote(ledger.db)}
        source <(marry --show-completion)
        COMP_WORDS=(marry promise add x --customer Ac); COMP_CWORD=5
        _marry_completion marry
        printf '%s\\n' "${{COMPREPLY[@]}}"
        COMP_WORDS=(marry keep ''); COMP_CWORD=2
        _marry_completion marry
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    completed = subprocess.run(
        ["bash", "--norc", "-c", script], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == ["Acme\\ Corp", "2", "1"]
    assert completed.stderr == ""


@pytest.mark.slow
def test_completing_without_a_ledger_imports_no_database_library(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MARRY_DB": str(tmp_path / "none.db"),
        "_MARRY_COMPLETE": "complete_bash",
        "COMP_WORDS": "marry keep ",
        "COMP_CWORD": "2",
    }
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "marrycli"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    imported = {line.rsplit("|", 1)[1].strip().split(".")[0]
                for line in completed.stderr.splitlines() if line.startswith("import time:")}  # fmt: skip
    assert "marrycli" in imported
    assert imported & {"sqlalchemy", "sqlmodel", "psycopg"} == set()
    assert not (tmp_path / "none.db").exists()
