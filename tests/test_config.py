"""Settings (SPEC §10): option, then environment variable, then config file, then default;
the bad config files; `marry config`; `--quiet`.

The autouse fixture points XDG_CONFIG_HOME at the test's folder, so the default config
file is `xdg-config/marry/config.toml` there, and no test reads the user's own.
"""

from __future__ import annotations

import getpass
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import Marry, Result, run_marry
from marrycli.cli.app import app


def marry(*args: str, **env: str) -> Result:
    """`marry ARGS` in-process, with no --db of its own (the settings decide)."""
    result = CliRunner().invoke(app, list(args), env=env, prog_name="marry")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """Where the default config file is (not created)."""
    return tmp_path / "xdg-config" / "marry" / "config.toml"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def settings(*args: str, **env: str) -> dict[str, Any]:
    result = marry(*args, "config", "--json", **env)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = result.json()
    return document


def shown(document: dict[str, Any], name: str) -> tuple[Any, str, str | None]:
    setting = document["settings"][name]
    return setting["value"], setting["source"], setting["from"]


# -- precedence: option > environment > file > default, for every setting ----------------


def test_db_comes_from_the_option_then_the_environment_then_the_file_then_the_default(
    tmp_path: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MARRY_DB")
    default = str(tmp_path / "xdg-data" / "marry" / "ledger.db")
    assert shown(settings(), "db") == (default, "default", None)
    write(config_file, f'db = "{tmp_path / "file.db"}"\n')
    assert shown(settings(), "db") == (str(tmp_path / "file.db"), "file", str(config_file))
    env = {"MARRY_DB": str(tmp_path / "env.db")}
    assert shown(settings(**env), "db") == (str(tmp_path / "env.db"), "environment", "MARRY_DB")
    option = str(tmp_path / "option.db")
    assert shown(settings("--db", option, **env), "db") == (option, "option", "--db")


def test_the_db_the_settings_name_is_the_ledger_used(
    tmp_path: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MARRY_DB")
    write(config_file, 'db = "ledgers/team.db"\n')  # relative: to the config file's folder
    assert marry("promise", "add", "Ship SSO", "-c", "acme").exit_code == 0
    assert (config_file.parent / "ledgers" / "team.db").is_file()
    env_ledger = tmp_path / "env.db"
    assert marry("promise", "add", "x", "-c", "a", MARRY_DB=str(env_ledger)).exit_code == 0
    assert env_ledger.is_file()
    assert not (tmp_path / "xdg-data").exists()  # the default was never used


@pytest.mark.parametrize(
    ("written", "resolved"),
    [
        ('db = "team.db"', "{folder}/team.db"),
        ('db = "sqlite:///sub/team.db"', "{folder}/sub/team.db"),
        ('db = "/srv/marry/team.db"', "/srv/marry/team.db"),
        ('db = "sqlite:////srv/marry/team.db"', "/srv/marry/team.db"),
        ('db = "~/team.db"', "{home}/team.db"),
    ],
)
def test_a_relative_db_path_in_the_file_is_relative_to_the_file_s_folder(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, written: str, resolved: str
) -> None:
    monkeypatch.delenv("MARRY_DB")
    write(config_file, written + "\n")
    expected = resolved.format(folder=config_file.parent, home=Path.home())
    assert shown(settings(), "db")[0] == expected


def test_user_comes_from_the_environment_then_the_file_then_the_login_name(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, sqlite_marry: Marry
) -> None:
    monkeypatch.delenv("MARRY_USER")
    assert shown(settings(), "user") == (getpass.getuser(), "default", None)
    write(config_file, 'user = "  dana "\n')
    assert shown(settings(), "user") == ("dana", "file", str(config_file))
    assert sqlite_marry.json("promise", "add", "x", "-c", "acme")["owner"] == "dana"
    assert shown(settings(MARRY_USER="lee"), "user") == ("lee", "environment", "MARRY_USER")
    added = sqlite_marry.json("promise", "add", "y", "-c", "acme")
    assert added["owner"] == "dana"
    assert (
        sqlite_marry("promise", "add", "z", "-c", "acme", "--json", MARRY_USER="lee").json()[
            "owner"
        ]
        == "lee"
    )


def test_a_user_in_the_file_is_checked_as_a_name(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, sqlite_marry: Marry
) -> None:
    monkeypatch.delenv("MARRY_USER")
    write(config_file, 'user = "da\\u0007na"\n')
    result = sqlite_marry("promise", "add", "x", "-c", "acme")
    assert result.exit_code == 2
    assert f"the owner ({config_file}: user) contains a control character" in result.stderr
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


@pytest.mark.parametrize(
    ("name", "variable", "file_value", "env_value", "default"),
    [
        ("strict", "MARRY_STRICT", True, False, False),
        ("quiet", "MARRY_QUIET", True, False, False),
        ("lock_timeout", "MARRY_LOCK_TIMEOUT", 12.5, 3, 30),
    ],
)
def test_each_setting_comes_from_the_environment_then_the_file_then_its_default(
    config_file: Path, name: str, variable: str, file_value: Any, env_value: Any, default: Any
) -> None:
    assert shown(settings(), name) == (default, "default", None)
    write(config_file, f"{name} = {json.dumps(file_value)}\n")
    assert shown(settings(), name) == (file_value, "file", str(config_file))
    env = {variable: str(int(env_value) if isinstance(env_value, bool) else env_value)}
    assert shown(settings(**env), name) == (env_value, "environment", variable)


def test_quiet_from_the_option_outranks_the_environment_and_the_file(config_file: Path) -> None:
    write(config_file, "quiet = false\n")
    for flag in ("--quiet", "-q"):
        assert shown(settings(flag, MARRY_QUIET="0"), "quiet") == (True, "option", "--quiet")


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("yes", True), ("TRUE", True), ("0", False), ("off", False)]
)
def test_boolean_variables_take_the_usual_words(raw: str, value: bool) -> None:
    assert shown(settings(MARRY_QUIET=raw), "quiet")[0] is value
    assert shown(settings(MARRY_STRICT=raw), "strict")[0] is value


def test_a_blank_variable_is_unset(config_file: Path) -> None:
    write(config_file, "quiet = true\nlock_timeout = 5\n")
    document = settings(MARRY_QUIET=" ", MARRY_LOCK_TIMEOUT="")
    assert shown(document, "quiet")[1:] == ("file", str(config_file))
    assert shown(document, "lock_timeout")[1:] == ("file", str(config_file))


def test_a_bad_boolean_variable_is_bad_input(sqlite_marry: Marry) -> None:
    result = sqlite_marry("promise", "add", "x", "-c", "acme", MARRY_STRICT="maybe")
    assert result.exit_code == 2
    assert result.stderr == (
        "marry: error: MARRY_STRICT='maybe' is neither true nor false; set it to 1 or 0\n"
    )
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


def test_the_lock_timeout_of_the_file_is_the_one_a_writer_waits(
    config_file: Path, sqlite_marry: Marry
) -> None:
    sqlite_marry.add()
    write(config_file, "lock_timeout = 0.2\n")
    holder = sqlite3.connect(sqlite_marry.db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = sqlite_marry("keep", "1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 3
    assert "stayed locked for more than 0.2 s" in result.stderr


# -- strict: the option, the environment, the file; --force outranks them ----------------


@pytest.fixture
def risky(sqlite_marry: Marry) -> tuple[Marry, tuple[str, ...]]:
    """A ledger on which this `promise add` is risky (the guard warns; --strict refuses)."""
    from test_discipline_cli import trusted_acme_and_a_poor_large_record

    trusted_acme_and_a_poor_large_record(sqlite_marry)
    args = ("promise", "add", "Migrate", "-c", "acme", "--size", "large", "--owner", "lee",
            "--due", "+7d")  # fmt: skip
    return sqlite_marry, args


def test_strict_from_the_file_refuses_and_the_environment_or_force_outrank_it(
    risky: tuple[Marry, tuple[str, ...]], config_file: Path
) -> None:
    ledger, args = risky
    before = ledger.rows()
    write(config_file, "strict = true\n")
    refused = ledger(*args)
    assert refused.exit_code == 1
    assert "refused (--strict)" in refused.stderr
    assert ledger.rows() == before
    assert ledger(*args, MARRY_STRICT="0").exit_code == 0  # the environment outranks the file
    forced = ledger(*args, "--force")  # an option outranks both
    assert (forced.exit_code, forced.stderr) == (0, "")
    assert ledger(*args, "--force", MARRY_STRICT="1").exit_code == 0
    assert ledger(*args, "--strict", "--force").exit_code == 2  # two options contradict


def test_strict_from_the_option_outranks_the_environment(
    risky: tuple[Marry, tuple[str, ...]],
) -> None:
    ledger, args = risky
    assert ledger(*args, "--strict", MARRY_STRICT="0").exit_code == 1


# -- bad config files: exit 2, one line naming the file and the key, nothing created ------


BAD_FILES = [
    pytest.param("db = 12\n", "db must be a file path or URL in quotes, not 12", id="db-number"),
    pytest.param('user = ["dana"]\n', "user must be a name in quotes, not a list", id="user-list"),
    pytest.param('strict = "yes"\n', 'strict must be true or false, not "yes"', id="strict-text"),
    pytest.param('user = " "\n', "user is empty; give a name, or remove the line", id="user-empty"),
    pytest.param("quiet = 1\n", "quiet must be true or false, not 1", id="quiet-number"),
    pytest.param(
        'lock_timeout = "ten"\n',
        'lock_timeout must be a number of seconds from 0 to 86400, not "ten"',
        id="lock-timeout-text",
    ),
    pytest.param(
        "lock_timeout = -1\n",
        "lock_timeout must be a number of seconds from 0 to 86400, not -1",
        id="lock-timeout-negative",
    ),
    pytest.param(
        "lock_timeout = inf\n",
        "lock_timeout must be a number of seconds from 0 to 86400, not inf",
        id="lock-timeout-inf",
    ),
    pytest.param(
        "lock_timeout = true\n",
        "lock_timeout must be a number of seconds from 0 to 86400, not true",
        id="lock-timeout-bool",
    ),
    pytest.param(
        "[db]\npath = 'x'\n", "db must be a file path or URL in quotes, not a table", id="db-table"
    ),
    pytest.param(
        "colour = true\n",
        'unknown key "colour"; the keys are db, user, strict, lock_timeout and quiet',
        id="unknown-key",
    ),
    pytest.param(
        "quiet = true\nquiet = false\n",
        "not valid TOML: Cannot overwrite a value (at line 2, column 14)",
        id="duplicate-key",
    ),
    pytest.param(
        "quiet = \n", "not valid TOML: Invalid value (at line 1, column 9)", id="bad-toml"
    ),
    pytest.param(
        b'user = "caf\xe9"\n',
        "the config file is not UTF-8 (byte 12); save it as UTF-8",
        id="not-utf8",
    ),
]


@pytest.mark.parametrize(("text", "problem"), BAD_FILES)
@pytest.mark.parametrize("where", ["default", "MARRY_CONFIG"])
def test_a_bad_config_file_is_bad_input_naming_the_file_and_the_key(
    tmp_path: Path, config_file: Path, sqlite_marry: Marry, text: str | bytes, problem: str,
    where: str,
) -> None:  # fmt: skip
    path = config_file if where == "default" else tmp_path / "elsewhere" / "marry.toml"
    write(path, text)
    env = {"MARRY_CONFIG": str(path)} if where == "MARRY_CONFIG" else {}
    result = sqlite_marry("promise", "add", "x", "-c", "acme", **env)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"marry: error: {path}: {problem}\n"
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


def test_every_command_refuses_a_bad_config_file_even_with_every_variable_set(
    config_file: Path, sqlite_marry: Marry
) -> None:
    """The file is read once a command runs (for quiet, if not for another setting)."""
    write(config_file, "colour = true\n")
    env = {"MARRY_LOCK_TIMEOUT": "5", "MARRY_STRICT": "0"}
    for args in (["promise", "list"], ["config"], ["db", "info"], ["report"]):
        result = sqlite_marry(*args, **env)
        assert result.exit_code == 2, args
        assert "colour" in result.stderr
    # ... but not when every setting it needs is given: -q and every variable.
    assert sqlite_marry("-q", "promise", "list", "--json", **env).exit_code == 0


def test_a_config_file_that_cannot_be_read_is_bad_input(
    config_file: Path, sqlite_marry: Marry
) -> None:
    config_file.mkdir(parents=True)  # a folder where the file should be
    result = sqlite_marry("promise", "add", "x", "-c", "acme")
    assert result.exit_code == 2
    assert result.stderr == (
        f"marry: error: {config_file}: cannot read the config file: Is a directory\n"
    )
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


def test_marry_config_naming_a_missing_file_is_bad_input(
    tmp_path: Path, sqlite_marry: Marry
) -> None:
    missing = tmp_path / "nowhere" / "config.toml"
    result = sqlite_marry("promise", "add", "x", "-c", "acme", MARRY_CONFIG=str(missing))
    assert result.exit_code == 2
    assert result.stderr == (
        f"marry: error: MARRY_CONFIG names {missing}, which does not exist; "
        "create it, or unset MARRY_CONFIG\n"
    )
    assert not missing.parent.exists()
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


def test_a_missing_default_file_and_an_empty_one_are_the_defaults(
    config_file: Path, tmp_path: Path
) -> None:
    document = settings()
    assert document["file"] == {
        "path": str(config_file),
        "found": False,
        "source": "default",
        "from": None,
    }
    assert not config_file.parent.exists()  # nothing created
    assert settings(MARRY_CONFIG="/dev/null")["file"]["found"] is True  # no config at all
    write(config_file, "# nothing set yet\n")
    assert all(s["source"] != "file" for s in settings()["settings"].values())


def test_help_and_version_do_not_read_the_config_file(config_file: Path) -> None:
    write(config_file, "colour = true\n")
    assert marry("--help").exit_code == 0
    assert marry("promise", "add", "--help").exit_code == 0
    assert marry("--version").exit_code == 0


# -- marry config ---------------------------------------------------------------------------


def test_marry_config_as_a_table(config_file: Path) -> None:
    write(config_file, "strict = true\nlock_timeout = 10\n")
    result = marry("-q", "config", MARRY_USER="dana", COLUMNS="250")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Setting", "Value", "From"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:6]}
    assert rows["db"][1:] == ["environment", "MARRY_DB"]
    assert rows["user"] == ["dana", "environment", "MARRY_USER"]
    assert rows["strict"] == ["true", "config", "file"]
    assert rows["lock_timeout"] == ["10", "s", "config", "file"]
    assert rows["quiet"] == ["true", "option", "--quiet"]
    assert lines[6:] == ["", f"Config file: {config_file}"]


def test_marry_config_names_the_file_marry_config_names(tmp_path: Path) -> None:
    path = write(tmp_path / "team.toml", "quiet = true\n")
    document = settings(MARRY_CONFIG=str(path))
    assert document["file"] == {
        "path": str(path),
        "found": True,
        "source": "environment",
        "from": "MARRY_CONFIG",
    }
    assert shown(document, "quiet") == (True, "file", str(path))
    table = marry("config", MARRY_CONFIG=str(path), COLUMNS="120").stdout
    assert f"Config file: {path} (MARRY_CONFIG)" in table


@pytest.mark.parametrize("where", ["option", "environment", "file"])
def test_marry_config_hides_a_database_password(config_file: Path, where: str) -> None:
    url = "postgresql://marry:s3cr%40t@db.example:5433/ledger"
    args: list[str] = []
    env: dict[str, str] = {}
    if where == "option":
        args = ["--db", url]
    elif where == "environment":
        env = {"MARRY_DB": url}
    else:
        write(config_file, f'db = "{url}"\n')
        env = {"MARRY_DB": ""}
    for fmt in ("json", "table"):
        result = marry(*args, "config", "--format", fmt, COLUMNS="120", **env)
        assert result.exit_code == 0, result.stderr
        assert "s3cr" not in result.stdout + result.stderr
        assert "postgresql+psycopg://marry:***@db.example:5433/ledger" in result.stdout
    value, source, _ = shown(settings(*args, **env), "db")
    assert (value, source) == ("postgresql+psycopg://marry:***@db.example:5433/ledger", where)


def test_marry_config_refuses_a_db_it_cannot_use_naming_where_it_came_from(
    config_file: Path,
) -> None:
    write(config_file, 'db = "mysql://u@h/db"\n')
    result = marry("config", MARRY_DB="")
    assert result.exit_code == 2
    assert result.stderr.startswith("marry: error: unsupported database URL scheme 'mysql'")
    write(config_file, 'db = ""\n')
    result = marry("config", MARRY_DB="")
    assert result.stderr == f"marry: error: {config_file}: db is empty; give a file path, " \
        "sqlite:///PATH or postgresql+psycopg://…\n"  # fmt: skip


# -- --quiet: no notices or warnings; errors and a gate's answer still show ---------------


def test_quiet_silences_a_warning_and_a_notice(sqlite_marry: Marry) -> None:
    bad_zone = {"TZ": "Nowhere/Special"}
    warned = sqlite_marry("promise", "add", "Ship SSO", "-c", "acme", **bad_zone)
    assert warned.exit_code == 0 and "warning: " in warned.stderr  # the control
    assert sqlite_marry("-q", "promise", "list", "--json", **bad_zone).stderr == ""
    sqlite_marry.ok("keep", "1")
    again = sqlite_marry("keep", "1")
    assert again.stderr == "marry: promise 1 is already kept; nothing added\n"  # the control
    quiet = sqlite_marry("--quiet", "keep", "1")
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    assert quiet.stdout == again.stdout  # the data is the same


@pytest.mark.parametrize("how", ["MARRY_QUIET", "file"])
def test_quiet_from_the_environment_or_the_file(
    sqlite_marry: Marry, config_file: Path, how: str
) -> None:
    sqlite_marry.add()
    sqlite_marry.ok("keep", "1")
    env = {"MARRY_QUIET": "1"} if how == "MARRY_QUIET" else {}
    if how == "file":
        write(config_file, "quiet = true\n")
    assert sqlite_marry("keep", "1", **env).stderr == ""
    assert sqlite_marry("keep", "1", **{**env, "MARRY_QUIET": "0"}).stderr != ""


def test_quiet_still_shows_errors(sqlite_marry: Marry) -> None:
    result = sqlite_marry("-q", "keep", "7")
    assert result.exit_code == 2
    assert result.stderr.startswith("marry: error: ")
    usage = sqlite_marry("-q", "keep", "1", "--when", "now")
    assert usage.exit_code == 2 and "--when" in usage.stderr


def test_quiet_still_shows_a_failing_gate_but_not_a_passing_one(sqlite_marry: Marry) -> None:
    sqlite_marry.add("Ship SSO", "acme", "--due", "+3d")
    passed = sqlite_marry("-q", "check", "--max-overdue", "0")
    assert (passed.exit_code, passed.stderr) == (0, "")
    assert "check passed" in sqlite_marry("check", "--max-overdue", "0").stderr  # the control
    failed = sqlite_marry("-q", "check", "--min-stage", "trusted")
    assert failed.exit_code == 1
    assert "check failed: " in failed.stderr  # the gate's answer


@pytest.mark.slow
def test_the_installed_marry_reads_the_config_file(tmp_path: Path) -> None:
    config = write(tmp_path / "marry.toml", f'db = "{tmp_path / "team.db"}"\nquiet = true\n')
    env = {"MARRY_CONFIG": str(config), "MARRY_DB": "", "TZ": "Nowhere/Special"}
    added = run_marry("promise", "add", "Ship SSO", "-c", "acme", "--json", env=env)
    assert (added.exit_code, added.stderr) == (0, "")
    assert (tmp_path / "team.db").is_file()
    assert run_marry("-q", "--version", env=env).stdout.startswith("marry ")
    broken = write(tmp_path / "broken.toml", "quiet = yes\n")
    result = run_marry("promise", "list", env={**env, "MARRY_CONFIG": str(broken)})
    assert result.exit_code == 2
    # Whether to be quiet is what the file cannot say: the zone's warning shows.
    assert result.stderr.splitlines()[-1].startswith(f"marry: error: {broken}: not valid TOML: ")


def test_the_example_config_file_sets_every_setting(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "examples" / "config.toml"
    document = settings(MARRY_CONFIG=str(example), MARRY_DB="", MARRY_USER="")
    assert document["file"]["found"] is True
    found = {name: shown(document, name) for name in document["settings"]}
    assert {source for _, source, _ in found.values()} == {"file"}
    assert found["db"][0] == str(Path.home() / "promises" / "ledger.db")
    assert found["user"][0] == "dana"
    assert (found["strict"][0], found["lock_timeout"][0], found["quiet"][0]) == (False, 30, False)


@pytest.mark.parametrize("name", ["MARRY_QUIET", "MARRY_CONFIG"])
def test_a_settings_variable_that_is_not_utf8_is_refused(sqlite_marry: Marry, name: str) -> None:
    result = sqlite_marry("promise", "add", "x", "-c", "acme", **{name: "a\udcff"})
    assert result.exit_code == 2
    assert result.stderr == f"marry: error: {name}='a\\xff' is not valid UTF-8; set it in UTF-8\n"
    assert sqlite_marry.path is not None and not sqlite_marry.path.exists()


def test_marry_config_naming_a_home_folder_that_does_not_exist_is_bad_input(
    sqlite_marry: Marry,
) -> None:
    result = sqlite_marry("promise", "list", MARRY_CONFIG="~no-such-user-here/config.toml")
    assert result.exit_code == 2
    assert result.stderr == (
        "marry: error: MARRY_CONFIG='~no-such-user-here/config.toml' cannot be made a full "
        "path; give it in full\n"
    )
