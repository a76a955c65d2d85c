"""Dates and times (SPEC §3): reading a WHEN into an aware UTC instant, the local zone,
and the UTC and local renderings of instants.

Nothing here reads the clock: `now` is always passed in. Standard library only, so that
importing this module stays cheap.
"""

from __future__ import annotations

import io
import os
import re
import struct
import time as _time
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from marrycli.domain import from_micros, to_micros  # defined there: the model scores them
from marrycli.errors import BadInput
from marrycli.rules import has_invisible

__all__ = [
    "EARLIEST",
    "LATEST",
    "RANGE_WORDS",
    "When",
    "format_local",
    "format_utc",
    "from_micros",
    "in_range",
    "local_zone",
    "parse_when",
    "to_micros",
    "zone_warning",
]


# Every time the ledger holds lies in [EARLIEST, LATEST): far enough inside datetime's range
# that any zone can show it and the model's arithmetic (a day's end, trends, what-ifs, a
# year of tenure) never leaves it. The CLI, import and `db check` all use this one rule.
EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
RANGE_WORDS = "supported dates are from 1000-01-01 to 8999-12-31"
_ONE_MICROSECOND = timedelta(microseconds=1)

_FORMS = (
    "use a date (2026-12-04), a date-time (2026-12-04T17:00), now, today, tomorrow, "
    "yesterday, a weekday (fri), eow, eom, or an offset (+3d, -12h, +2w)"
)

_WEEKDAYS = {
    name: number
    for number, full in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
    for name in (full, full[:3])
}

_OFFSET = re.compile(r"([+-]?)(\d+)([hdw])", re.ASCII)
_OFFSET_HOURS = {"h": 1, "d": 24, "w": 168}

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_DATE_TIME = re.compile(
    r"""
    (\d{4})-(\d{2})-(\d{2})                    # date
    [t\ ]
    (\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?   # time, seconds and fraction optional
    (?:\ ?(z|[+-]\d{2}(?::?\d{2})?))?           # offset or Z, optional
    """,
    re.ASCII | re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class When:
    """A parsed WHEN: the instant, and for a bare date or day word that local day."""

    instant: datetime
    """Aware, in UTC."""
    day: tuple[datetime, datetime] | None = None
    """[start, start of next day) of the local day, in UTC; None for now, offsets, date-times."""


def parse_when(text: str, *, now: datetime, end_of_day: bool) -> When:
    """Parse a WHEN of SPEC §3 relative to `now` (an aware datetime)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    stripped = text.strip()
    if not stripped:
        raise BadInput(f"no time given; {_FORMS}")
    if has_invisible(stripped):
        raise BadInput(f"cannot read {_quote(stripped)} as a time: it contains a control character")
    word = stripped.lower()
    try:
        when = _parse(word, stripped, now.astimezone(UTC), end_of_day)
    except OverflowError:
        when = None
    if when is None or not in_range(when.instant):
        raise BadInput(
            f"{_quote(stripped)} is out of the range of supported dates ({RANGE_WORDS} UTC)"
        )
    return when


def _parse(word: str, shown: str, now: datetime, end_of_day: bool) -> When:
    if word == "now":
        return When(instant=now)

    match = _OFFSET.fullmatch(word)
    if match:
        sign, amount, unit = match.groups()
        if len(amount) > 12:  # far beyond any date; int() of a huge string is slow
            raise OverflowError
        hours = int(amount) * _OFFSET_HOURS[unit]
        return When(instant=now + timedelta(hours=-hours if sign == "-" else hours))

    zone = local_zone()
    day = _day_word(word, now.astimezone(zone).date())
    if day is not None:
        return _whole_day(day, zone, end_of_day)

    match = _DATE.fullmatch(word)
    if match:
        return _whole_day(_make_date(shown, *match.groups()), zone, end_of_day)

    match = _DATE_TIME.fullmatch(word)
    if match:
        return When(instant=_date_time(shown, match, zone))

    raise BadInput(f"cannot read {_quote(shown)} as a time; {_FORMS}")


def _day_word(word: str, today: date) -> date | None:
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word == "yesterday":
        return today - timedelta(days=1)
    if word == "eow":
        return today + timedelta(days=(6 - today.weekday()) % 7)
    if word == "eom":
        first_of_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first_of_next - timedelta(days=1)
    weekday = _WEEKDAYS.get(word)
    if weekday is not None:
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return None


def _make_date(shown: str, year: str, month: str, day: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError as error:
        raise BadInput(f"{_quote(shown)} is not a valid date ({error})") from None


def _whole_day(day: date, zone: tzinfo, end_of_day: bool) -> When:
    start = _day_start(day, zone)
    end = _day_start(day + timedelta(days=1), zone)
    if end <= start:
        raise BadInput(f"{day.isoformat()} does not exist in {_zone_name(zone)}")
    return When(instant=end - _ONE_MICROSECOND if end_of_day else start, day=(start, end))


def _day_start(day: date, zone: tzinfo) -> datetime:
    """The first instant whose local date is `day` or later."""
    midnight = datetime.combine(day, time())
    first = midnight.replace(tzinfo=zone).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == midnight:
        return first  # midnight exists; if it happens twice, fold=0 gave the first
    # Midnight falls in a gap. fold=0 used the offset before the change, which lands on the
    # change itself when the gap starts at midnight (the usual case); when it starts earlier,
    # search between the two readings for the change.
    low = midnight.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    while high - low > _ONE_MICROSECOND:
        middle = low + (high - low) // 2
        if middle.astimezone(zone).replace(tzinfo=None) >= midnight:
            high = middle
        else:
            low = middle
    return high


def _date_time(shown: str, match: re.Match[str], zone: tzinfo) -> datetime:
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        wall = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError as error:
        raise BadInput(f"{_quote(shown)} is not a valid date-time ({error})") from None

    if offset is not None:
        return wall.replace(tzinfo=_fixed_offset(shown, offset)).astimezone(UTC)

    earlier = wall.replace(tzinfo=zone, fold=0)
    later = wall.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() == later.utcoffset():
        return earlier.astimezone(UTC)
    name = _zone_name(zone)
    text = _wall_text(wall)
    if earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        moved = earlier.astimezone(UTC).astimezone(zone)
        raise BadInput(
            f"{text} does not exist in {name} (clocks jump forward at that hour); "
            f"give an offset, e.g. {_wall_text(moved)}{_offset_text(moved)}"
        )
    raise BadInput(
        f"{text} is ambiguous in {name} (clocks go back at that hour, so it happens twice); "
        f"give an offset: {text}{_offset_text(earlier)} (the first) "
        f"or {text}{_offset_text(later)} (the second)"
    )


def _fixed_offset(shown: str, offset: str) -> timezone:
    if offset == "z":
        return UTC
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise BadInput(f"{_quote(shown)} has an invalid offset ({offset}); use e.g. +01:00 or Z")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if offset[0] == "-" else delta)


def _wall_text(dt: datetime) -> str:
    seconds = dt.second or dt.microsecond
    return dt.replace(tzinfo=None).isoformat(timespec="auto" if seconds else "minutes")


def _offset_text(dt: datetime) -> str:
    offset = dt.utcoffset()
    assert offset is not None
    sign = "-" if offset < timedelta(0) else "+"
    minutes = int(abs(offset).total_seconds()) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _zone_name(zone: tzinfo) -> str:
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    return zone.tzname(None) or "the local time zone"


def _quote(text: str, limit: int = 40) -> str:
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    if has_invisible(shown):
        return repr(shown)
    return f"'{shown}'"


# --- the local zone ----------------------------------------------------------------------

# The zone for each TZ setting seen, and why a setting could not be used.
_zones: dict[str | None, tzinfo] = {}
_unusable: dict[str, str] = {}

# What the C library assumes for a POSIX TZ string with daylight saving time but no rule
# (TZ=CET-1CEST): glibc's built-in default, the United States' rule.
_DEFAULT_DST_RULE = ",M3.2.0,M11.1.0"


def local_zone() -> tzinfo:
    """The local time zone: TZ when set and usable, else /etc/localtime, else the C library's.

    TZ may name a zone (Europe/Berlin, :Europe/Berlin), a zone file (/usr/share/zoneinfo/UTC)
    or be a POSIX TZ string (JST-9, <+0530>-5:30, EST5EDT,M3.2.0,M11.1.0). A TZ that is none
    of these means UTC, as it does for the C library; `zone_warning` says so.
    """
    setting = os.environ.get("TZ")
    zone = _zones.get(setting)
    if zone is None:
        zone = _zones[setting] = _find_local_zone(setting)
    return zone


def zone_warning() -> str | None:
    """Why the TZ setting cannot be used (times are then in UTC), or None when it can."""
    setting = os.environ.get("TZ")
    if setting is None:
        return None
    local_zone()
    return _unusable.get(setting)


def _find_local_zone(setting: str | None) -> tzinfo:
    if setting is not None:
        name = setting.removeprefix(":")
        if not name:
            return UTC  # as the C library reads an empty TZ
        if name.startswith("/"):
            zone = _zone_from_path(name)
        else:
            zone = _zone_from_key(name) or _zone_from_posix(name)
        if zone is not None:
            return zone
        _unusable[setting] = (
            f"TZ={_quote(setting)} is not a time zone name, a zone file or a POSIX TZ string "
            "this system knows; times are in UTC"
        )
        return UTC
    zone = _zone_from_path("/etc/localtime")
    if zone is not None:
        return zone
    now = _time.localtime()
    return timezone(timedelta(seconds=now.tm_gmtoff), now.tm_zone)


def zone_named(key: str) -> tzinfo | None:
    """The IANA zone of that name, or None when this machine does not know it."""
    return _zone_from_key(key)


def zone_key(zone: tzinfo) -> str | None:
    """The IANA name of a zone, None for one that has none (a fixed offset, a POSIX rule)."""
    key = getattr(zone, "key", None)
    return key if isinstance(key, str) else None


def _zone_from_key(key: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(key)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None


def _zone_from_path(path: str) -> ZoneInfo | None:
    try:
        target = os.path.realpath(path)
        _, found, key = target.rpartition("/zoneinfo/")
        if found:
            zone = _zone_from_key(key)
            if zone is not None:
                return zone
        with open(target, "rb") as file:
            return _checked(ZoneInfo.from_file(file, key=path))
    except (KeyError, ValueError, OSError):
        return None


def _zone_from_posix(text: str) -> ZoneInfo | None:
    """A POSIX TZ string (JST-9) as a zone: the footer of a zone file without transitions.

    RFC 8536 zone files end in a POSIX TZ string that rules all times after the last
    transition; with no transitions it rules all times, and zoneinfo parses and applies it
    exactly as the C library would (the standard library has no public parser of its own).
    """
    try:
        footer = text.encode("ascii")
    except UnicodeEncodeError:
        return None
    if not text.isprintable():
        return None
    for candidate in (footer, footer + _DEFAULT_DST_RULE.encode()):
        # Header: magic, version 2, unused; counts: UT/local, standard/wall, leap seconds,
        # transitions, local time types, characters of abbreviations. One type, unused.
        header = b"TZif2" + bytes(15) + struct.pack(">6l", 0, 0, 0, 0, 1, 1)
        data = struct.pack(">lbb", 0, 0, 0) + b"\0"
        blob = header + data + header + data + b"\n" + candidate + b"\n"
        try:
            return _checked(ZoneInfo.from_file(io.BytesIO(blob), key=text))
        except (ValueError, OverflowError):
            if b"," in footer:
                return None
    return None


def _checked(zone: ZoneInfo) -> ZoneInfo:
    """The zone, once it has shown a time of every season (some errors show only then)."""
    for month in (1, 7):
        datetime(2026, month, 1, tzinfo=UTC).astimezone(zone)
    return zone


def in_range(moment: datetime) -> bool:
    """True if an aware `moment` lies in [EARLIEST, LATEST), the times a ledger may hold."""
    return EARLIEST <= moment < LATEST


# --- rendering and storage ---------------------------------------------------------------


def format_utc(dt: datetime) -> str:
    """ISO 8601 in UTC with a Z, microseconds only when not zero: 2026-12-04T16:00:00Z."""
    if dt.utcoffset() is None:
        raise ValueError("format_utc needs an aware datetime")
    try:
        return dt.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
    except OverflowError:  # beyond year 1 or 9999 in UTC: exact, with its own offset
        return dt.isoformat()


def format_local(dt: datetime) -> str:
    """Local time for people: 2026-12-04 17:00.

    Seconds are added only when not zero (2026-12-04 17:00:30); microseconds are never
    shown, and the last microsecond of a minute (the end of a day, as in a due date)
    shows as that minute: 2026-12-04 23:59. When the local time happens twice (clocks
    going back), the offset is added: 2026-10-25 02:30+01:00.
    """
    if dt.utcoffset() is None:
        raise ValueError("format_local needs an aware datetime")
    try:
        local = dt.astimezone(local_zone())
    except OverflowError:
        # Beyond the calendar in the local zone (only a ledger changed by other means holds
        # such a time): shown in UTC, or failing that in its own offset, and marked as such.
        try:
            local = dt.astimezone(UTC)
        except OverflowError:
            local = dt
        return _wall_minutes(local) + _offset_text(local)
    text = _wall_minutes(local)
    if local.second and not (local.second == 59 and local.microsecond == 999_999):
        text += f":{local.second:02d}"
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        text += _offset_text(local)
    return text


def format_local_day(dt: datetime) -> str:
    """The local day of `dt`, for a chart's axis: 2026-12-04."""
    if dt.utcoffset() is None:
        raise ValueError("format_local_day needs an aware datetime")
    try:
        return dt.astimezone(local_zone()).date().isoformat()
    except OverflowError:  # beyond year 1 or 9999 in local time: its own day
        return dt.date().isoformat()


def _wall_minutes(dt: datetime) -> str:
    return f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d} {dt.hour:02d}:{dt.minute:02d}"
