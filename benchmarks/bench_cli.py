"""How long the installed `marry` takes, against baselines measured in the same run.

Run by hand (not by pytest), from the project's environment:

    python benchmarks/bench_cli.py [--runs 21]

Each case is a fresh process timed with `time.perf_counter` around `subprocess.run`.
The cases run interleaved, round-robin (the order rotated every round), so whatever
else the machine does hits every case alike; medians are compared, never means.

Baselines: `python -c pass` (the interpreter's own start-up) for `--version` and
`--help`; for the writes, a bare SQLModel script that inserts and commits one row
into an existing SQLite table: the floor SQLModel itself sets; for `promise list` on a
ledger of 100 promises, a bare SQLModel script that selects the same rows from the same
ledger (every promise with its customer's name, then their events) and prints them.
Exits 1 if a ratio misses its target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BARE_SQLMODEL = """\
import sys

from sqlmodel import Field, Session, SQLModel, create_engine


class Row(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    text: str


engine = create_engine("sqlite:///" + sys.argv[1])
if "--create" in sys.argv:
    SQLModel.metadata.create_all(engine)
with Session(engine) as session:
    session.add(Row(text="bench"))
    session.commit()
"""

BARE_SQLMODEL_SELECT = """\
import sys

from sqlmodel import Field, Session, SQLModel, create_engine, select


class Customer(SQLModel, table=True):
    __tablename__ = "marry_customer"
    id: int | None = Field(default=None, primary_key=True)
    name: str


class Promise(SQLModel, table=True):
    __tablename__ = "marry_promise"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="marry_customer.id")
    text: str
    made: int
    due: int | None
    size: str
    value: str
    owner: str
    tags: str


class Event(SQLModel, table=True):
    __tablename__ = "marry_event"
    id: int | None = Field(default=None, primary_key=True)
    promise_id: int
    kind: str
    at: int
    due: int | None
    voids: int | None


engine = create_engine("sqlite:///" + sys.argv[1])
with Session(engine) as session:
    rows = session.exec(select(Promise, Customer.name).join(Customer)).all()
    events = session.exec(select(Event)).all()
    for promise, name in rows:
        print(promise.id, name, promise.text, promise.due, promise.size, promise.owner)
"""

# (numerator, denominator, target): the numerator's median may be at most target x the other's.
TARGETS = [
    ("marry --version", "python -c pass", 6.0),
    ("marry --help", "python -c pass", 10.0),
    ("marry promise add", "bare SQLModel insert", 1.15),
    ("marry keep", "bare SQLModel insert", 1.15),
    ("marry promise list", "bare SQLModel select", 1.15),
]


def marry_executable() -> str:
    found = shutil.which("marry", path=str(Path(sys.executable).parent)) or shutil.which("marry")
    if not found:
        sys.exit("the marry command is not installed here (pip install -e .)")
    return found


def prepare_promises(db: Path, count: int, env: dict[str, str]) -> list[int]:
    """Add `count` promises to a new ledger (in-process: quicker) and return their ids."""
    import json

    from typer.testing import CliRunner

    from marrycli.cli.app import app

    runner = CliRunner()
    ids = []
    for n in range(count):
        result = runner.invoke(
            app,
            ["--db", str(db), "promise", "add", f"to keep {n}", "--customer", "acme", "--json"],
            env=env,
        )
        if result.exit_code != 0:
            sys.exit(f"preparing the ledger failed: {result.output}")
        ids.append(int(json.loads(result.stdout)["id"]))
    return ids


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    completed = subprocess.run(command, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(
            f"{' '.join(command)} exited {completed.returncode}:\n"
            f"{completed.stderr.decode(errors='replace')}"
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs of each case (21)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    marry = marry_executable()
    python = sys.executable
    # An installed marry has its bytecode compiled (pip does it at install time); an
    # editable checkout may not, and with PYTHONDONTWRITEBYTECODE every run would compile
    # marry's modules again. Compile them, as the dependencies are.
    import compileall

    import marrycli

    compileall.compile_dir(Path(marrycli.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory(prefix="marry-bench-") as folder:
        tmp = Path(folder)
        env = {
            **os.environ,
            "MARRY_DB": str(tmp / "ledger.db"),
            "MARRY_USER": "bench",
            "NO_COLOR": "1",
            "XDG_DATA_HOME": str(tmp / "xdg"),
        }
        env.pop("MARRY_LOCK_TIMEOUT", None)

        bare = tmp / "bare_sqlmodel.py"
        bare.write_text(BARE_SQLMODEL)
        bare_db = tmp / "bare.db"
        timed([python, str(bare), str(bare_db), "--create"], env)  # the table exists from now on

        to_keep = iter(prepare_promises(tmp / "ledger.db", args.runs + 1, env))
        listed = tmp / "listed.db"  # 100 promises, which `promise list` shows
        prepare_promises(listed, 100, env)
        bare_select = tmp / "bare_select.py"
        bare_select.write_text(BARE_SQLMODEL_SELECT)

        cases: dict[str, Callable[[], list[str]]] = {
            "python -c pass": lambda: [python, "-c", "pass"],
            "bare SQLModel insert": lambda: [python, str(bare), str(bare_db)],
            "marry --version": lambda: [marry, "--version"],
            "marry --help": lambda: [marry, "--help"],
            "marry promise add": lambda: [marry, "promise", "add", "bench", "--customer", "acme"],
            "marry keep": lambda: [marry, "keep", str(next(to_keep))],
            "bare SQLModel select": lambda: [python, str(bare_select), str(listed)],
            "marry promise list": lambda: [marry, "--db", str(listed), "promise", "list"],
        }
        names = list(cases)
        times: dict[str, list[float]] = {name: [] for name in names}

        for name in names:  # one untimed round: warm the file-system cache
            timed(cases[name](), env)
        for round_number in range(args.runs):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(timed(cases[name](), env))

    medians = {name: statistics.median(values) for name, values in times.items()}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{args.runs} runs each, interleaved; Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load average {load:.2f}"
    )
    print()
    print(f"{'case':<24}{'median':>10}{'min':>10}{'max':>10}")
    for name in names:
        values = times[name]
        print(
            f"{name:<24}{medians[name] * 1000:>8.1f}ms{min(values) * 1000:>8.1f}ms"
            f"{max(values) * 1000:>8.1f}ms"
        )
    print()
    missed = 0
    for numerator, denominator, target in TARGETS:
        ratio = medians[numerator] / medians[denominator]
        verdict = "PASS" if ratio <= target else "MISS"
        missed += verdict == "MISS"
        print(f"{numerator} / {denominator}: {ratio:5.2f}  (target <= {target:g})  {verdict}")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
