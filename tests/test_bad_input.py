"""Bad input: exit 2, a short message, no traceback, and the ledger's rows unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

LONG = "x" * 2001


def iso(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(marry) -> dict[str, int]:
    """A small ledger: an open promise with a due date, a kept one, one without due date."""
    ids = {
        "open": marry.add(
            "Ship SSO", "acme", "--made", iso(5), "--due", iso(-5), "--ref", "r-open"
        ),
        "kept": marry.add("Fix login", "acme", "--made", iso(5), "--due", iso(-5)),
        "nodue": marry.add("Call back", "globex", "--made", iso(5)),
    }
    marry.ok("renegotiate", str(ids["open"]), "--due", iso(-6), "--at", iso(2))
    marry.ok("keep", str(ids["kept"]), "--at", iso(3), "--ref", "r-keep")
    return ids


# (name, arguments with {open}, {kept}, {nodue} placeholders, a word the message must contain)
CASES = [
    (
        "impossible date",
        ["promise", "add", "x", "-c", "a", "--due", "2026-02-30"],
        "not a valid date",
    ),
    ("unparseable date", ["promise", "add", "x", "-c", "a", "--due", "next fri"], "cannot read"),
    (
        "due before made",
        ["promise", "add", "x", "-c", "a", "--made", iso(1), "--due", iso(2)],
        "not after",
    ),
    ("made in the future", ["promise", "add", "x", "-c", "a", "--made", "+2d"], "future"),
    ("at in the future", ["keep", "{open}", "--at", "+1h"], "future"),
    ("at before made", ["break", "{open}", "--at", iso(9)], "before promise"),
    ("at before the last event", ["keep", "{open}", "--at", iso(3)], "before the last event"),
    ("unknown id", ["keep", "999"], "no promise 999"),
    ("non-numeric id", ["keep", "twelve"], "not a promise id"),
    ("zero id", ["keep", "0"], "not a promise id"),
    ("unknown ref:", ["keep", "ref:nope"], "no promise was added"),
    ("event ref used as id", ["break", "ref:r-keep"], "not a promise"),
    ("unknown size", ["promise", "add", "x", "-c", "a", "--size", "huge"], "huge"),
    ("unknown value", ["promise", "add", "x", "-c", "a", "--value", "max"], "max"),
    ("unknown status", ["promise", "list", "--status", "late"], "late"),
    ("empty text", ["promise", "add", "", "-c", "a"], "empty"),
    ("blank text", ["promise", "add", "   ", "-c", "a"], "empty"),
    ("blank customer", ["promise", "add", "x", "-c", " \t "], "control character"),
    ("empty customer", ["promise", "add", "x", "-c", ""], "empty"),
    ("text over the limit", ["promise", "add", LONG, "-c", "a"], "2000"),
    ("customer over the limit", ["promise", "add", "x", "-c", "c" * 201], "200"),
    ("note over the limit", ["keep", "{open}", "--note", LONG], "2000"),
    (
        "too many tags",
        ["promise", "add", "x", "-c", "a", *[f"--tag=t{i}" for i in range(21)]],
        "20",
    ),
    ("tag over the limit", ["promise", "add", "x", "-c", "a", "--tag", "t" * 51], "50"),
    ("ref over the limit", ["promise", "add", "x", "-c", "a", "--ref", "r" * 201], "200"),
    (
        "control character in text",
        ["promise", "add", "ship\x1b[31m", "-c", "a"],
        "control character",
    ),
    (
        "control character in customer",
        ["promise", "add", "x", "-c", "ac\x07me"],
        "control character",
    ),
    ("control character in a note", ["break", "{open}", "--note", "a\x00b"], "control character"),
    ("DEL in a tag", ["promise", "add", "x", "-c", "a", "--tag", "a\x7f"], "control character"),
    (
        "C1 control in a ref",
        ["promise", "add", "x", "-c", "a", "--ref", "a\x85"],
        "control character",
    ),
    ("conflicting outcome", ["break", "{kept}"], "already kept"),
    ("renegotiate a resolved promise", ["renegotiate", "{kept}", "--due", "+9d"], "already kept"),
    ("renegotiate without due date", ["renegotiate", "{nodue}", "--due", "+9d"], "no due date"),
    ("renegotiate to before --at", ["renegotiate", "{open}", "--due", iso(1)], "not after"),
    ("undo with nothing to undo", ["undo", "{nodue}"], "nothing to undo"),
    ("cancel without a note", ["promise", "cancel", "{open}"], "--note"),
    ("cancel with a blank note", ["promise", "cancel", "{open}", "--note", " "], "empty"),
    (
        "ref reused for another promise",
        ["promise", "add", "other", "-c", "acme", "--ref", "r-open"],
        "already used",
    ),
    ("ref reused on another kind", ["break", "{open}", "--ref", "r-keep"], "already used"),
    ("ref reused on another promise", ["keep", "{nodue}", "--ref", "r-keep"], "already used"),
    ("rename an unknown customer", ["customer", "rename", "initech", "Initech"], "no customer"),
    ("rename onto another customer", ["customer", "rename", "acme", "GLOBEX"], "merge"),
    ("merge an unknown customer", ["customer", "merge", "initech", "acme"], "no customer"),
    ("merge into an unknown customer", ["customer", "merge", "acme", "initech"], "no customer"),
    ("merge into itself", ["customer", "merge", "acme", "ACME "], "same customer"),
    ("unsupported URL scheme", ["--db", "mysql://u@h/db", "promise", "list"], "unsupported"),
    ("in-memory sqlite", ["--db", "sqlite://", "promise", "list"], "in-memory"),
    (
        "csv where there is no table",
        ["promise", "show", "{open}", "--format", "csv"],
        "not a table",
    ),
    ("unknown option", ["keep", "{open}", "--when", "now"], "--when"),
    ("missing argument", ["keep"], "ID"),
    (
        "bad MARRY_LOCK_TIMEOUT",
        ["promise", "list", "@MARRY_LOCK_TIMEOUT=soon"],
        "MARRY_LOCK_TIMEOUT",
    ),
    ("made before 1000", ["promise", "add", "x", "-c", "a", "--made", "0001-01-01"], "range"),
    ("due after 8999", ["promise", "add", "x", "-c", "a", "--due", "9999-12-30"], "range"),
    ("as-of before 1000", ["report", "--as-of", "0001-01-01"], "range"),
    ("at before 1000", ["keep", "{open}", "--at", "0999-12-31"], "range"),
    ("an id of 5,000 digits", ["keep", "1" * 5000], "not a promise id"),
    ("text not UTF-8", ["promise", "add", "\udcff", "-c", "a"], "not valid UTF-8"),
    ("a lone surrogate", ["promise", "add", "x", "-c", "\ud800"], "not valid UTF-8"),
    ("MARRY_USER not UTF-8", ["promise", "add", "x", "-c", "a", "@MARRY_USER=\udcff"], "UTF-8"),
]


@pytest.fixture
def seeded(backend, tmp_path, seeded_ledgers):
    """`marry` on the ledger `seed` records (recorded once), and its ids."""
    return seeded_ledgers.marry(backend, seed, tmp_path)


@pytest.mark.parametrize(("name", "args", "says"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_and_changes_nothing(seeded, name, args, says):
    marry, ids = seeded
    env = {}
    argv = []
    for arg in args:
        if arg.startswith("@"):
            key, _, value = arg[1:].partition("=")
            env[key] = value
        else:
            argv.append(arg.format(**{k: str(v) for k, v in ids.items()}))
    if argv[0] == "--db":
        marry.db = argv[1]  # the case is about --db itself
        argv = argv[2:]
    before = marry.rows() if not name.startswith(("unsupported", "in-memory")) else None
    result = marry(*argv, **env)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert says.lower() in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 6
    if before is not None:
        assert marry.rows() == before


def test_bad_input_covers_at_least_30_kinds():
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    "args",
    [
        ["promise", "add", "x", "-c", "acme", "--due", "2026-13-01"],
        ["keep", "1"],
        ["break", "ref:x"],
        ["renegotiate", "1", "--due", "+3d"],
        ["undo", "1"],
        ["promise", "cancel", "1", "--note", "n"],
        ["customer", "rename", "a", "b"],
        ["customer", "merge", "a", "b"],
        ["promise", "show", "1"],
        ["promise", "add", "\udcff", "-c", "acme"],
        ["promise", "add", "x", "-c", "acme", "--made", "0001-01-01"],
        ["keep", "9" * 5000],
    ],
)
def test_a_rejected_write_on_a_missing_ledger_creates_no_file(sqlite_marry, args):
    result = sqlite_marry(*args)
    assert result.exit_code == 2, result.stderr
    assert sqlite_marry.path is not None
    assert not sqlite_marry.path.exists()
    assert not sqlite_marry.path.parent.joinpath("ledger.db-wal").exists()


def test_messages_name_the_option(sqlite_marry):
    result = sqlite_marry("promise", "add", "x", "-c", "a", "--due", "someday")
    assert result.stderr.startswith("marry: error: --due: cannot read 'someday'")
