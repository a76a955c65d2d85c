"""Shared fixtures: a fresh ledger per test, on SQLite and (when configured) PostgreSQL.

`MARRY_TEST_POSTGRES_URL` names a PostgreSQL database the tests may use (each test
gets a schema of its own there). Without it the PostgreSQL tests are skipped with
that reason; with it they must pass (an unreachable server fails them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

POSTGRES_URL = os.environ.get("MARRY_TEST_POSTGRES_URL", "").strip()
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(
                not POSTGRES_URL,
                reason="PostgreSQL tests need MARRY_TEST_POSTGRES_URL "
                "(e.g. postgresql+psycopg://postgres@127.0.0.1/marry_test)",
            ),
        ],
    ),
]


@pytest.fixture(scope="session", autouse=True)
def _cli_built_once() -> Iterator[None]:
    """Build the Click commands of a Typer app once per session, not on every invoke.

    Typer's CliRunner turns the app into Click commands on every `invoke`, which costs more
    than most marry commands do in-process (about half the time of the in-process tests).
    A real `marry` process builds them once too. The built commands keep nothing between
    runs (each run's state is in its Click Context), so one build serves every run.
    """
    import typer.testing

    build = getattr(typer.testing, "_get_command", None)
    if build is None:  # a Typer that builds elsewhere: every invoke builds, as before
        yield
        return
    built: dict[int, tuple[Any, Any]] = {}  # id(app) -> (app, its command); app kept alive

    def get_command(app: Any) -> Any:
        if id(app) not in built:
            built[id(app)] = (app, build(app))
        return built[id(app)][1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", get_command)
        yield


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's ledger, config file, clock zone, or columns."""
    monkeypatch.setenv("MARRY_DB", str(tmp_path / "ledger.db"))
    monkeypatch.setenv("MARRY_USER", "tester")
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    for name in ("MARRY_LOCK_TIMEOUT", "MARRY_STRICT", "MARRY_QUIET", "MARRY_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    # The default config file is config.toml in here, which no test creates unless it means to.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Marry:
    """Runs `marry` in-process (CliRunner) against one ledger, and reads that ledger back."""

    db: str
    backend: str
    path: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, input: str | bytes | None = None, **env: str) -> Result:
        """Run `marry --db LEDGER *args`, with `input` on standard input."""
        from marrycli.cli.app import app

        runner = CliRunner()
        result = runner.invoke(
            app,
            ["--db", self.db, *args],
            input=input,
            env={**self.env, **env},
            catch_exceptions=True,
            prog_name="marry",
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Result(result.exit_code, result.stdout, result.stderr)

    def ok(self, *args: str, input: str | bytes | None = None, **env: str) -> Result:
        result = self(*args, input=input, **env)
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        return result

    def json(self, *args: str) -> Any:
        return self.ok(*args, "--json").json()

    def add(self, text: str = "Ship SSO", customer: str = "acme", *args: str) -> int:
        """Add a promise; returns its id."""
        return int(self.json("promise", "add", text, "--customer", customer, *args)["id"])

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every marry table, to compare a ledger before and after."""
        return ledger_rows(self.db)


def ledger_rows(db: str) -> dict[str, list[tuple[Any, ...]]]:
    from sqlalchemy import create_engine, text

    url = db if "://" in db else f"sqlite:///{db}"
    if url.startswith("sqlite") and not Path(url.removeprefix("sqlite:///")).exists():
        return {}
    engine = create_engine(url)
    names = [
        "marry_schema",
        "marry_customer",
        "marry_customer_change",
        "marry_promise",
        "marry_event",
        "marry_ref",
    ]
    try:
        with engine.connect() as conn:
            return {
                name: [tuple(row) for row in conn.execute(text(f"SELECT * FROM {name} ORDER BY 1"))]
                for name in names
            }
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_base() -> Iterator[str]:
    """The test database's URL; fails (not skips) when it is configured but unreachable."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need MARRY_TEST_POSTGRES_URL")
    import psycopg

    plain = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        psycopg.connect(plain, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error) or not _create_database(plain):
            pytest.fail(f"MARRY_TEST_POSTGRES_URL is set but the server is unreachable: {error}")
    yield POSTGRES_URL


def _create_database(url: str) -> bool:
    """Create the database named by `url` on its (reachable) server; False if that fails."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    name = str(params.get("dbname", ""))
    if not name:
        return False
    try:
        with psycopg.connect(
            make_conninfo(url, dbname="postgres"), autocommit=True, connect_timeout=5
        ) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error:
        return False
    return True


def _create_schema(base: str) -> tuple[str, str]:
    """A fresh, empty schema in the database `base`: (its name, a URL whose search_path it is)."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in base else "?"
    return schema, f"{base}{separator}options=-csearch_path%3D{schema}"


def _drop_schema(base: str, schema: str) -> None:
    import psycopg

    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def postgres_url(postgres_base: str) -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema, dropped after the test."""
    schema, url = _create_schema(postgres_base)
    yield url
    _drop_schema(postgres_base, schema)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def marry(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Marry:
    """`marry` against a new, empty ledger on each backend."""
    if backend == "postgresql":
        return Marry(db=request.getfixturevalue("postgres_url"), backend=backend)
    path = tmp_path / "ledger.db"
    return Marry(db=str(path), backend=backend, path=path)


@pytest.fixture
def sqlite_marry(tmp_path: Path) -> Marry:
    """`marry` against a new SQLite ledger only (for what only SQLite has: files)."""
    path = tmp_path / "ledger.db"
    return Marry(db=str(path), backend="sqlite", path=path)


def marry_executable() -> str:
    """The installed `marry` command of this environment."""
    found = shutil.which("marry", path=str(Path(sys.executable).parent)) or shutil.which("marry")
    assert found, "the marry command is not installed (pip install -e '.[test]')"
    return found


def run_marry(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Result:
    """Run the installed `marry` in a subprocess."""
    completed = subprocess.run(
        [marry_executable(), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def pg_marry(postgres_url: str) -> Marry:
    """`marry` against a new PostgreSQL ledger only (for what only PostgreSQL does)."""
    return Marry(db=postgres_url, backend="postgresql")


@dataclass
class _Seeded:
    db: str
    value: Any  # what the seed function returned (e.g. the ids it recorded)
    rows: dict[str, list[tuple[Any, ...]]]


class SeededLedgers:
    """Ledgers filled once per session by a seed function, for tests that only read them or
    whose commands are refused (they assert the rows unchanged).

    Recording a seed through the CLI again for every test costs more than the test. On
    SQLite each test gets its own copy of the seeded file (where a new ledger would be). On
    PostgreSQL the tests of one seed share its schema, and it is seeded again into a new
    schema whenever its rows are not exactly what the seed left.
    """

    def __init__(self, folder: Path, request: pytest.FixtureRequest) -> None:
        self._folder = folder
        self._request = request
        self._seeded: dict[tuple[str, Callable[[Marry], Any]], _Seeded] = {}
        self.schemas: list[tuple[str, str]] = []  # (database URL, schema)

    def marry(
        self, backend: str, seed: Callable[[Marry], Any], tmp_path: Path
    ) -> tuple[Marry, Any]:
        """A `marry` on a ledger as `seed` left it, and what `seed` returned."""
        seeded = self._seeded.get((backend, seed))
        if backend == "sqlite":
            if seeded is None:
                seeded = self._seeded[backend, seed] = self._seed_sqlite(seed)
            path = tmp_path / "ledger.db"
            shutil.copyfile(seeded.db, path)
            return Marry(db=str(path), backend=backend, path=path), seeded.value
        if seeded is None or ledger_rows(seeded.db) != seeded.rows:
            base = self._request.getfixturevalue("postgres_base")
            schema, url = _create_schema(base)
            self.schemas.append((base, schema))
            marry = Marry(db=url, backend=backend)
            value = seed(marry)
            seeded = self._seeded[backend, seed] = _Seeded(url, value, marry.rows())
        return Marry(db=seeded.db, backend=backend), seeded.value

    def _seed_sqlite(self, seed: Callable[[Marry], Any]) -> _Seeded:
        folder = self._folder / f"seed-{len(self._seeded)}"
        folder.mkdir()
        path = folder / "ledger.db"
        marry = Marry(db=str(path), backend="sqlite", path=path)
        value = seed(marry)
        # marry closes the ledger after each command: all of it is in the one file.
        assert sorted(p.name for p in folder.iterdir()) == ["ledger.db"]
        return _Seeded(str(path), value, marry.rows())


@pytest.fixture(scope="session")
def seeded_ledgers(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[SeededLedgers]:
    ledgers = SeededLedgers(tmp_path_factory.mktemp("seeded-ledgers"), request)
    yield ledgers
    for base, schema in ledgers.schemas:
        _drop_schema(base, schema)
