"""`marry db check`: the database's own integrity check, then the ledger's rules."""

from __future__ import annotations

from sqlalchemy import Connection

from marrycli import history, rules
from marrycli.dates import RANGE_WORDS, format_utc, local_zone, zone_named
from marrycli.domain import EventKind, Promise, Size, Value
from marrycli.errors import BadInput
from marrycli.storage import repo
from marrycli.storage.ledger import Ledger


def check(ledger: Ledger) -> list[str]:
    """Every problem found, as one line each; an empty list for a sound ledger."""
    with ledger.read() as conn:
        if conn is None:
            return []
        problems = _database(conn) if ledger.is_sqlite else _references(conn)
        problems += _tampering(conn)
        if problems:
            return problems  # the rules read rows as domain objects, which these are not
        try:
            return _rules(conn)
        except repo.Damage as damage:  # damage of a kind the checks above do not name
            return [damage.problem]


def _database(conn: Connection) -> list[str]:
    problems = [
        f"SQLite integrity check: {row}"
        for (row,) in conn.exec_driver_sql("PRAGMA integrity_check")
        if row != "ok"
    ]
    for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check"):
        problems.append(f"{table} row {rowid} points to a missing row of {parent}")
    return problems


def _rules(conn: Connection) -> list[str]:
    """Each promise's history replayed through the rules every write follows (history.py):
    outcomes after outcomes, events out of time order, voids of anything but the last."""
    problems = []
    promises = repo.load_promises(conn)
    problems += _standing(promises)
    for promise in promises:
        ids = {e.id for e in promise.events}
        if promise.due is not None and promise.due <= promise.made:
            problems.append(f"promise {promise.id} falls due before it was made")
        foreign = set()
        for event in promise.events:
            if event.kind is EventKind.VOID and event.voids not in ids:
                problems.append(f"void {event.id} cancels an event of another promise")
                foreign.add(event.id)
        for event, found in history.replay(promise):
            if event.id not in foreign:
                problems.append(
                    f"event {event.id} of promise {promise.id}: "
                    f"{history.describe(found, event.kind)}"
                )
    return problems


_SERIES_EVENTS = (EventKind.CANCELLED, EventKind.VOID, EventKind.AMENDED)


def _standing(promises: list[Promise]) -> list[str]:
    """The rules of standing promises (SPEC §7): a series has no due date and is never kept,
    broken or renegotiated itself (it is ended, amended, or its end undone); an occurrence
    belongs to a series of the same customer, is made and due when the series says, and
    is never amended itself (its series is)."""
    problems = []
    by_id = {p.id: p for p in promises}
    for promise in promises:
        terms = promise.standing
        if terms is not None:
            if promise.due is not None:
                problems.append(f"series {promise.id} has a due date; its occurrences have")
            if terms.until is not None and terms.until <= promise.made:
                problems.append(f"series {promise.id} ends (until) before it was made")
            for event in promise.events:
                if event.kind not in _SERIES_EVENTS:
                    problems.append(
                        f"event {event.id} of series {promise.id}: a {event.kind.value} event "
                        "of a series (its occurrences are kept or broken, not the series)"
                    )
        if promise.series is None:
            continue
        pid, k = promise.id, promise.occurrence
        series = by_id.get(promise.series)
        if series is None or series.standing is None or k is None or k < 1:
            problems.append(f"promise {pid} is occurrence {k} of {promise.series}, not a series")
            continue
        if series.customer != promise.customer:
            problems.append(f"promise {pid} is made to another customer than its series")
        zone = (zone_named(series.standing.zone) if series.standing.zone else None) or (
            local_zone()
        )
        every, within = series.standing.every, series.standing.within
        made = every.after(series.made, k - 1, zone)
        due = every.after(series.made, k, zone) if within == every else within.after(made, 1, zone)
        if (promise.made, promise.due) != (made, due):
            problems.append(
                f"promise {pid} (occurrence {promise.series}/{k}) is not made and due when its "
                f"series makes it ({format_utc(made)}, due {format_utc(due)})"
            )
        if series.standing.until is not None and made >= series.standing.until:
            problems.append(f"promise {pid}: series {promise.series} makes no occurrence {k}")
        if any(e.kind is EventKind.AMENDED for e in promise.events):
            problems.append(f"promise {pid} is an occurrence, amended itself (not its series)")
    return problems


# -- rows no write of marry's makes (the ledger changed behind its back) ------------------------

# (table, column) of every stored time; each must lie in dates.EARLIEST .. dates.LATEST.
_TIMES = (
    ("marry_customer", "created", "the time customer {} was created"),
    ("marry_customer_change", "at", "the time of directory change {}"),
    ("marry_promise", "made", "the time promise {} was made"),
    ("marry_promise", "due", "the due time of promise {}"),
    ("marry_promise", "recorded", "the time promise {} was recorded"),
    ("marry_promise", "until", "the end (until) of series {}"),
    ("marry_event", "at", "the time of event {}"),
    ("marry_event", "due", "the new due time of event {}"),
    ("marry_event", "recorded", "the time event {} was recorded"),
)
_CHOICES = (
    ("marry_promise", "size", "the size of promise {}", [s.value for s in Size]),
    ("marry_promise", "value", "the value of promise {}", [v.value for v in Value]),
    ("marry_event", "kind", "the kind of event {}", [k.value for k in EventKind]),
    (
        "marry_customer_change",
        "kind",
        "the kind of directory change {}",
        ["rename", "merge", "value"],
    ),
)
# (table, id column, column): texts SQLite would let hold a number or bytes.
_TEXTS = (
    ("marry_customer", "id", "key"),
    ("marry_customer", "id", "name"),
    ("marry_promise", "id", "text"),
    ("marry_promise", "id", "owner"),
    ("marry_promise", "id", "every"),
    ("marry_promise", "id", "within"),
    ("marry_promise", "id", "zone"),
    ("marry_event", "id", "note"),
    ("marry_event", "id", "owner"),
    ("marry_customer_change", "id", "tag"),
    ("marry_customer_change", "id", "level"),
    ("marry_customer_change", "id", "note"),
    ("marry_ref", "promise_id", "ref"),
)
# (table, column, parent): references PostgreSQL would enforce unless its checks were
# switched off (SQLite's are listed by PRAGMA foreign_key_check).
_REFERENCES = (
    ("marry_customer", "merged_into", "marry_customer"),
    ("marry_customer_change", "customer_id", "marry_customer"),
    ("marry_customer_change", "into_id", "marry_customer"),
    ("marry_promise", "customer_id", "marry_customer"),
    ("marry_promise", "series_id", "marry_promise"),
    ("marry_event", "promise_id", "marry_promise"),
    ("marry_event", "voids", "marry_event"),
    ("marry_ref", "promise_id", "marry_promise"),
    ("marry_ref", "event_id", "marry_event"),
)


def _tampering(conn: Connection) -> list[str]:
    """Values no write of marry's stores: unknown sizes, values and kinds, times out of
    range, tags that are not a JSON list of texts, amendments that are not one (or changes
    on another event), value changes no `customer value` records, merges no `customer
    merge` makes."""
    problems = []
    for table, column, what, choices in _CHOICES:
        allowed = ", ".join(f"'{choice}'" for choice in choices)
        for row_id, value in conn.exec_driver_sql(
            f"SELECT id, {column} FROM {table} WHERE {column} NOT IN ({allowed}) ORDER BY id"
        ):
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
            problems.append(f"{what.format(row_id)} is {shown}, not one of {', '.join(choices)}")
    for table, column, what in _TIMES:
        for (row_id,) in conn.exec_driver_sql(
            f"SELECT id FROM {table} WHERE {column} IS NOT NULL"
            f" AND NOT ({column} >= {repo.FIRST_MICROS} AND {column} < {repo.END_MICROS})"
            " ORDER BY id"
        ):
            problems.append(f"{what.format(row_id)} is out of range ({RANGE_WORDS})")
    if conn.dialect.name == "sqlite":
        problems += _sqlite_types(conn)
    for promise_id, tags in conn.exec_driver_sql("SELECT id, tags FROM marry_promise ORDER BY id"):
        try:
            repo.read_tags(tags, f"the tags of promise {promise_id}")
        except repo.Damage as damage:
            problems.append(damage.problem)
    for event_id, kind, changes in conn.exec_driver_sql(
        "SELECT id, kind, changes FROM marry_event"
        " WHERE kind = 'amended' OR changes IS NOT NULL ORDER BY id"
    ):
        if kind != "amended":
            problems.append(f"event {event_id} is {kind} but has an amendment's changes")
            continue
        try:
            repo.read_amendment(changes, f"the changes of event {event_id}")
        except repo.Damage as damage:
            problems.append(damage.problem)
    problems += _value_changes(conn)
    rows = conn.exec_driver_sql("SELECT id, merged_into FROM marry_customer ORDER BY id").all()
    into_of = {row.id: row.merged_into for row in rows}
    for entry_id, into in rows:
        if into == entry_id:
            problems.append(f"customer {entry_id} is merged into itself")
        elif into is not None and into_of.get(into) is not None:
            problems.append(
                f"customer {entry_id} is merged into customer {into}, which is merged itself"
            )
    return problems


def _value_changes(conn: Connection) -> list[str]:
    """Value changes (SPEC §8) as `customer value` records them: a tag of 1..TAG_MAX
    characters without control characters, a level of none|low|high or NULL (a clear), a
    note of 1..TEXT_MAX characters or NULL; and no tag, level or note on a rename or merge."""
    problems = []
    levels = [v.value for v in Value]
    for row_id, kind, tag, level, note in conn.exec_driver_sql(
        "SELECT id, kind, tag, level, note FROM marry_customer_change ORDER BY id"
    ):
        what = f"directory change {row_id}"
        if kind != "value":
            if tag is not None or level is not None or note is not None:
                problems.append(f"{what} is a {kind} with a tag, level or note of a value change")
            continue
        if not isinstance(tag, str) or _refused(tag, rules.TAG_MAX):
            problems.append(f"the tag of {what} is {_shown(tag)}, not a tag marry records")
        if level is not None and level not in levels:
            problems.append(
                f"the level of {what} is {_shown(level)}, not one of {', '.join(levels)} or NULL"
            )
        if note is not None and (not isinstance(note, str) or _refused(note, rules.TEXT_MAX)):
            problems.append(f"the note of {what} is {_shown(note)}, not a note marry records")
    return problems


def _refused(text: str, limit: int) -> bool:
    """Whether `rules` refuses `text` as a text of at most `limit` characters."""
    try:
        return rules.validate_text("it", text, limit) != text
    except BadInput:
        return True


def _shown(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:40] + "…"


def _sqlite_types(conn: Connection) -> list[str]:
    """Stored values of the wrong type (SQLite keeps what it is given)."""
    problems = []
    for table, column, _what in _TIMES:
        for row_id, kind in conn.exec_driver_sql(
            f"SELECT id, typeof({column}) FROM {table}"
            f" WHERE typeof({column}) NOT IN ('integer', 'null') ORDER BY id"
        ):
            problems.append(f"{table} row {row_id}: {column} holds {kind}, not an integer time")
    for table, key, column in _TEXTS:
        for row_id, kind in conn.exec_driver_sql(
            f"SELECT {key}, typeof({column}) FROM {table}"
            f" WHERE typeof({column}) NOT IN ('text', 'null') ORDER BY {key}"
        ):
            problems.append(f"{table} row {row_id}: {column} holds {kind}, not text")
    return problems


def _references(conn: Connection) -> list[str]:
    """Rows pointing to rows that do not exist (PostgreSQL with its checks switched off)."""
    problems = []
    for table, column, parent in _REFERENCES:
        key = "ref" if table == "marry_ref" else "id"
        for row_id, missing in conn.exec_driver_sql(
            f"SELECT c.{key}, c.{column} FROM {table} c LEFT JOIN {parent} p"
            f" ON p.id = c.{column} WHERE c.{column} IS NOT NULL AND p.id IS NULL ORDER BY 1"
        ):
            problems.append(
                f"{table} row {row_id} points to a missing row of {parent} (id {missing})"
            )
    return problems
