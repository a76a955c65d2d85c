"""Tests of marrycli.dates: reading WHEN (SPEC §3), the local zone, and rendering instants."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marrycli import dates
from marrycli.dates import (
    When,
    format_local,
    format_utc,
    from_micros,
    local_zone,
    parse_when,
    to_micros,
)
from marrycli.errors import BadInput, ExitStatus

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MICRO = timedelta(microseconds=1)

# Friday 2026-12-04, 12:00 in Berlin.
NOW = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Pacific/Chatham"]


def utc(text: str) -> datetime:
    """An aware UTC datetime from ISO text such as '2026-12-04T16:00' (read as UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def start(text: str, now: datetime = NOW) -> datetime:
    return parse_when(text, now=now, end_of_day=False).instant


def end(text: str, now: datetime = NOW) -> datetime:
    return parse_when(text, now=now, end_of_day=True).instant


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")


@pytest.fixture(params=ZONES)
def zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[ZoneInfo]:
    monkeypatch.setenv("TZ", request.param)
    yield ZoneInfo(request.param)


def assert_utc(dt: datetime) -> None:
    assert dt.tzinfo is UTC


# --- now and offsets ---------------------------------------------------------------------


def test_now_is_the_given_instant_in_utc(zone: ZoneInfo) -> None:
    when = parse_when("now", now=NOW.astimezone(zone), end_of_day=True)
    assert when == When(NOW, None)
    assert_utc(when.instant)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("+3d", 3 * DAY),
        ("3d", 3 * DAY),
        ("-1d", -DAY),
        ("+2w", 14 * DAY),
        ("2w", 14 * DAY),
        ("-2w", -14 * DAY),
        ("+12h", 12 * HOUR),
        ("-12h", -12 * HOUR),
        ("0h", timedelta(0)),
        ("+0d", timedelta(0)),
        ("+36h", 36 * HOUR),
        ("+3D", 3 * DAY),
        ("  +2W \t", 14 * DAY),
        ("+007d", 7 * DAY),
    ],
)
def test_offsets_are_exact_hours_from_now(
    monkeypatch: pytest.MonkeyPatch, text: str, delta: timedelta
) -> None:
    for key in ZONES:
        monkeypatch.setenv("TZ", key)
        for end_of_day in (False, True):
            when = parse_when(text, now=NOW.astimezone(ZoneInfo(key)), end_of_day=end_of_day)
            assert when == When(NOW + delta, None)
            assert_utc(when.instant)


def test_an_offset_day_is_24_hours_across_a_dst_change(berlin: None) -> None:
    # Saturday noon before the spring change: a day later is 13:00 local, not noon.
    now = datetime(2026, 3, 28, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert start("+1d", now) == utc("2026-03-29T11:00")
    assert start("+1w", now) == utc("2026-04-04T11:00")
    assert format_local(start("+1d", now)) == "2026-03-29 13:00"


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("now", now=datetime(2026, 12, 4, 12), end_of_day=False)


# --- bare dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "first"),
    [
        ("Europe/Berlin", "2026-12-03T23:00"),
        ("America/New_York", "2026-12-04T05:00"),
        ("Asia/Kolkata", "2026-12-03T18:30"),
        ("UTC", "2026-12-04T00:00"),
        ("Pacific/Chatham", "2026-12-03T10:15"),  # +13:45 in the southern summer
    ],
)
def test_a_bare_date_is_a_whole_local_day(
    monkeypatch: pytest.MonkeyPatch, key: str, first: str
) -> None:
    monkeypatch.setenv("TZ", key)
    day = (utc(first), utc(first) + DAY)
    assert parse_when("2026-12-04", now=NOW, end_of_day=False) == When(day[0], day)
    assert parse_when("2026-12-04", now=NOW, end_of_day=True) == When(day[1] - MICRO, day)
    last = end("2026-12-04")
    assert_utc(last)
    assert last.astimezone(ZoneInfo(key)).replace(tzinfo=None) == datetime(
        2026, 12, 4, 23, 59, 59, 999_999
    )


def test_a_bare_date_does_not_depend_on_now(berlin: None) -> None:
    far = datetime(1999, 1, 1, tzinfo=UTC)
    assert parse_when("2026-12-04", now=far, end_of_day=True) == parse_when(
        "2026-12-04", now=NOW, end_of_day=True
    )


@pytest.mark.parametrize(
    ("key", "day", "first", "hours"),
    [
        ("Europe/Berlin", "2026-03-29", "2026-03-28T23:00", 23),
        ("Europe/Berlin", "2026-10-25", "2026-10-24T22:00", 25),
        ("America/New_York", "2026-03-08", "2026-03-08T05:00", 23),
        ("America/New_York", "2026-11-01", "2026-11-01T04:00", 25),
        ("Pacific/Chatham", "2026-04-05", "2026-04-04T10:15", 25),
        ("Pacific/Chatham", "2026-09-27", "2026-09-26T11:15", 23),
        ("Asia/Kolkata", "2026-03-29", "2026-03-28T18:30", 24),
        # Midnight itself does not exist: the day starts at the first instant that does.
        ("America/Santiago", "2026-09-06", "2026-09-06T04:00", 23),
        ("America/Havana", "2026-03-08", "2026-03-08T05:00", 23),
        ("Asia/Beirut", "2026-03-29", "2026-03-28T22:00", 23),
        # Midnight happens twice (00:59 -04:00 is followed by 00:00 -05:00): the first counts.
        ("America/Havana", "2026-11-01", "2026-11-01T04:00", 25),
        # The gap ran from 23:30 to 00:30, so fold=0 alone would say 01:00.
        ("America/Toronto", "1919-03-31", "1919-03-31T04:30", 23.5),
    ],
)
def test_bare_dates_on_dst_change_days(
    monkeypatch: pytest.MonkeyPatch, key: str, day: str, first: str, hours: float
) -> None:
    monkeypatch.setenv("TZ", key)
    begins = utc(first)
    ends = begins + timedelta(hours=hours)
    assert parse_when(day, now=NOW, end_of_day=False) == When(begins, (begins, ends))
    assert parse_when(day, now=NOW, end_of_day=True) == When(ends - MICRO, (begins, ends))
    local = ZoneInfo(key)
    assert begins.astimezone(local).date() == date.fromisoformat(day)
    assert (begins - MICRO).astimezone(local).date() < date.fromisoformat(day)
    assert (ends - MICRO).astimezone(local).date() == date.fromisoformat(day)
    assert ends.astimezone(local).date() > date.fromisoformat(day)


def test_the_day_before_a_midnight_gap_ends_where_the_next_begins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/Santiago")
    assert end("2026-09-05") == utc("2026-09-06T03:59:59.999999")


def test_a_day_that_a_zone_skipped_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Samoa moved across the date line: 2011-12-29 was followed by 2011-12-31.
    monkeypatch.setenv("TZ", "Pacific/Apia")
    with pytest.raises(BadInput, match=r"^2011-12-30 does not exist in Pacific/Apia$"):
        start("2011-12-30")
    assert end("2011-12-29") == utc("2011-12-30T09:59:59.999999")
    assert start("2011-12-31") == utc("2011-12-30T10:00")


@settings(max_examples=150, deadline=None)
@given(
    day=st.dates(min_value=date(1971, 1, 1), max_value=date(2037, 12, 31)),
    key=st.sampled_from([*ZONES, "America/Santiago", "America/Havana", "Australia/Lord_Howe"]),
)
def test_any_bare_date_covers_exactly_its_local_day(day: date, key: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", key)
        when = parse_when(day.isoformat(), now=NOW, end_of_day=True)
    assert when.day is not None
    begins, ends = when.day
    assert_utc(begins)
    assert_utc(ends)
    assert when.instant == ends - MICRO
    assert timedelta(hours=22) <= ends - begins <= timedelta(hours=26)
    local = ZoneInfo(key)
    assert begins.astimezone(local).date() == day
    assert (begins - MICRO).astimezone(local).date() < day
    assert (ends - MICRO).astimezone(local).date() == day
    assert ends.astimezone(local).date() > day


# --- day words ---------------------------------------------------------------------------


FRIDAY_WORDS = [
    ("today", "2026-12-04"),
    ("TODAY", "2026-12-04"),
    (" tomorrow ", "2026-12-05"),
    ("Tomorrow", "2026-12-05"),
    ("yesterday", "2026-12-03"),
    ("saturday", "2026-12-05"),
    ("sat", "2026-12-05"),
    ("sunday", "2026-12-06"),
    ("Sun", "2026-12-06"),
    ("monday", "2026-12-07"),
    ("MON", "2026-12-07"),
    ("tuesday", "2026-12-08"),
    ("tue", "2026-12-08"),
    ("wednesday", "2026-12-09"),
    ("wed", "2026-12-09"),
    ("thursday", "2026-12-10"),
    ("thu", "2026-12-10"),
    ("friday", "2026-12-11"),  # today is a Friday: the next one
    ("fri", "2026-12-11"),
    ("FrIdAy", "2026-12-11"),
    ("eow", "2026-12-06"),
    ("EOW", "2026-12-06"),
    ("eom", "2026-12-31"),
    ("EoM", "2026-12-31"),
]


def test_day_words_on_a_friday(zone: ZoneInfo) -> None:
    now = datetime(2026, 12, 4, 12, 0, tzinfo=zone)
    for text, day in FRIDAY_WORDS:
        begins = datetime.fromisoformat(day).replace(tzinfo=zone).astimezone(UTC)
        ends = (datetime.fromisoformat(day) + DAY).replace(tzinfo=zone).astimezone(UTC)
        assert parse_when(text, now=now, end_of_day=False) == When(begins, (begins, ends)), text
        assert parse_when(text, now=now, end_of_day=True) == When(ends - MICRO, (begins, ends))
        assert parse_when(text, now=now, end_of_day=True) == parse_when(
            day, now=now, end_of_day=True
        )


WEEK = [date(2026, 11, 30) + k * DAY for k in range(7)]  # Monday .. Sunday
NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@pytest.mark.parametrize("today", WEEK, ids=lambda d: d.strftime("%a"))
def test_a_weekday_is_the_next_such_day_after_today(berlin: None, today: date) -> None:
    now = datetime.combine(today, datetime.min.time()).replace(
        hour=9, tzinfo=ZoneInfo("Europe/Berlin")
    )
    for name in NAMES:
        for text in (name, name[:3], name.upper(), name[:3].title()):
            got = start(text, now).astimezone(ZoneInfo("Europe/Berlin")).date()
            assert got.strftime("%A").lower() == name
            assert 1 <= (got - today).days <= 7
            if today.strftime("%A").lower() == name:
                assert got == today + 7 * DAY


@pytest.mark.parametrize(
    ("today", "sunday"),
    [
        ("2026-11-30", "2026-12-06"),  # Monday
        ("2026-12-02", "2026-12-06"),  # Wednesday
        ("2026-12-05", "2026-12-06"),  # Saturday
        ("2026-12-06", "2026-12-06"),  # Sunday: today
        ("2026-12-28", "2027-01-03"),  # across a year
    ],
)
def test_eow_is_this_weeks_sunday(berlin: None, today: str, sunday: str) -> None:
    now = datetime.fromisoformat(today + "T10:00+01:00")
    assert end("eow", now) == end(sunday)
    assert start("eow", now) == start(sunday)


@pytest.mark.parametrize(
    ("today", "last"),
    [
        ("2028-02-10", "2028-02-29"),  # leap year
        ("2028-02-29", "2028-02-29"),  # on the last day itself
        ("2026-02-01", "2026-02-28"),
        ("2100-02-03", "2100-02-28"),  # not a leap year
        ("2000-02-03", "2000-02-29"),  # a leap year
        ("2026-12-04", "2026-12-31"),
        ("2026-12-31", "2026-12-31"),
        ("2026-01-31", "2026-01-31"),
        ("2026-04-15", "2026-04-30"),
    ],
)
def test_eom_is_the_last_day_of_this_month(berlin: None, today: str, last: str) -> None:
    now = datetime.fromisoformat(today + "T10:00+01:00")
    assert end("eom", now) == end(last)


@pytest.mark.parametrize(
    ("key", "now", "today"),
    [
        # 23:30 UTC is already tomorrow morning in Kolkata ...
        ("Asia/Kolkata", "2026-12-04T23:30", "2026-12-05"),
        ("Pacific/Chatham", "2026-12-04T11:00", "2026-12-05"),
        # ... and still yesterday evening in New York.
        ("America/New_York", "2026-12-05T03:00", "2026-12-04"),
        ("UTC", "2026-12-04T23:59:59.999999", "2026-12-04"),
    ],
)
def test_today_is_the_local_date_of_now(
    monkeypatch: pytest.MonkeyPatch, key: str, now: str, today: str
) -> None:
    monkeypatch.setenv("TZ", key)
    the_day = date.fromisoformat(today)
    for text, days in (("today", 0), ("tomorrow", 1), ("yesterday", -1)):
        assert end(text, utc(now)) == end((the_day + days * DAY).isoformat())


def test_day_words_on_dst_change_days(berlin: None) -> None:
    now = datetime(2026, 3, 29, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Sunday
    when = parse_when("today", now=now, end_of_day=True)
    assert when.day == (utc("2026-03-28T23:00"), utc("2026-03-29T22:00"))
    assert when.instant == utc("2026-03-29T21:59:59.999999")
    assert start("eow", now) == utc("2026-03-28T23:00")
    assert start("yesterday", now) == utc("2026-03-27T23:00")


# --- date-times --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-12-04T17:00", "2026-12-04T16:00"),
        ("2026-12-04 17:00", "2026-12-04T16:00"),
        ("2026-12-04t17:00", "2026-12-04T16:00"),
        ("2026-12-04T17:00:30", "2026-12-04T16:00:30"),
        ("2026-12-04T17:00:00.25", "2026-12-04T16:00:00.250000"),
        ("2026-12-04T17:00:00,5", "2026-12-04T16:00:00.500000"),
        ("2026-12-04T17:00:00.000001", "2026-12-04T16:00:00.000001"),
        ("2026-12-04T00:00", "2026-12-03T23:00"),
        ("2026-07-04T17:00", "2026-07-04T15:00"),  # summer time
        ("2026-12-04T17:00Z", "2026-12-04T17:00"),
        ("2026-12-04t17:00z", "2026-12-04T17:00"),
        ("2026-12-04T17:00:00+01:00", "2026-12-04T16:00"),
        ("2026-12-04T17:00+0100", "2026-12-04T16:00"),
        ("2026-12-04T17:00+01", "2026-12-04T16:00"),
        ("2026-12-04T17:00-05:30", "2026-12-04T22:30"),
        ("2026-12-04T17:00+00:00", "2026-12-04T17:00"),
        ("2026-12-04T17:00-00:00", "2026-12-04T17:00"),
        ("2026-12-04 17:00 +01:00", "2026-12-04T16:00"),
        ("  2026-12-04T17:00Z  ", "2026-12-04T17:00"),
        # An explicit offset makes a time in the spring gap or the autumn overlap exact.
        ("2026-03-29T02:30+01:00", "2026-03-29T01:30"),
        ("2026-10-25T02:30+02:00", "2026-10-25T00:30"),
        ("2026-10-25T02:30+01:00", "2026-10-25T01:30"),
    ],
)
def test_date_times_are_exact_instants(berlin: None, text: str, instant: str) -> None:
    for end_of_day in (False, True):
        when = parse_when(text, now=NOW, end_of_day=end_of_day)
        assert when == When(utc(instant), None)
        assert_utc(when.instant)


@pytest.mark.parametrize(
    ("key", "instant"),
    [
        ("Europe/Berlin", "2026-12-04T16:00"),
        ("America/New_York", "2026-12-04T22:00"),
        ("Asia/Kolkata", "2026-12-04T11:30"),
        ("UTC", "2026-12-04T17:00"),
        ("Pacific/Chatham", "2026-12-04T03:15"),
    ],
)
def test_a_date_time_without_offset_is_local(
    monkeypatch: pytest.MonkeyPatch, key: str, instant: str
) -> None:
    monkeypatch.setenv("TZ", key)
    assert start("2026-12-04T17:00") == utc(instant)
    assert start("2026-12-04T17:00+01:00") == utc("2026-12-04T16:00")


def test_a_local_time_in_the_spring_gap_is_an_error(berlin: None) -> None:
    with pytest.raises(BadInput) as caught:
        start("2026-03-29T02:30")
    assert caught.value.message == (
        "2026-03-29T02:30 does not exist in Europe/Berlin (clocks jump forward at that hour); "
        "give an offset, e.g. 2026-03-29T03:30+02:00"
    )
    assert caught.value.exit_status == ExitStatus.BAD_INPUT
    assert start("2026-03-29T03:30+02:00") == utc("2026-03-29T01:30")
    # The edges of the gap exist.
    assert start("2026-03-29T01:59:59.999999") == utc("2026-03-29T00:59:59.999999")
    assert start("2026-03-29T03:00") == utc("2026-03-29T01:00")


@pytest.mark.parametrize(
    ("key", "text", "suggestion"),
    [
        ("America/New_York", "2026-03-08T02:15", "2026-03-08T03:15-04:00"),
        ("America/New_York", "2026-03-08 02:15:30", "2026-03-08T03:15:30-04:00"),
        ("Pacific/Chatham", "2026-09-27T03:00", "2026-09-27T04:00+13:45"),
        ("America/Santiago", "2026-09-06T00:00", "2026-09-06T01:00-03:00"),
    ],
)
def test_gap_errors_in_other_zones(
    monkeypatch: pytest.MonkeyPatch, key: str, text: str, suggestion: str
) -> None:
    monkeypatch.setenv("TZ", key)
    with pytest.raises(
        BadInput, match=rf"does not exist in {key} .*e\.g\. {re.escape(suggestion)}$"
    ):
        start(text)
    start(suggestion)  # the suggestion is accepted


def test_a_local_time_in_the_autumn_overlap_is_an_error(berlin: None) -> None:
    with pytest.raises(BadInput) as caught:
        start("2026-10-25T02:30")
    message = caught.value.message
    assert message.startswith("2026-10-25T02:30 is ambiguous in Europe/Berlin")
    assert "2026-10-25T02:30+02:00 (the first)" in message
    assert "2026-10-25T02:30+01:00 (the second)" in message
    assert "\n" not in message
    assert start("2026-10-25T01:59") == utc("2026-10-24T23:59")
    assert start("2026-10-25T03:00") == utc("2026-10-25T02:00")


def test_overlap_errors_in_other_zones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    with pytest.raises(BadInput, match=r"01:30-04:00 \(the first\) or .*01:30-05:00"):
        start("2026-11-01T01:30")
    monkeypatch.setenv("TZ", "Pacific/Chatham")
    with pytest.raises(BadInput, match=r"ambiguous in Pacific/Chatham"):
        start("2026-04-05T03:00")
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    assert start("2026-11-01T01:30") == utc("2026-10-31T20:00")


# --- errors ------------------------------------------------------------------------------


def test_unreadable_text_names_the_accepted_forms() -> None:
    with pytest.raises(BadInput) as caught:
        start("next fri")
    assert caught.value.message == (
        "cannot read 'next fri' as a time; use a date (2026-12-04), a date-time "
        "(2026-12-04T17:00), now, today, tomorrow, yesterday, a weekday (fri), eow, eom, "
        "or an offset (+3d, -12h, +2w)"
    )
    assert caught.value.exit_status == ExitStatus.BAD_INPUT


@pytest.mark.parametrize(
    "text",
    [
        "next fri",
        "fr",
        "frid",
        "friday!",
        "day",
        "eod",
        "1.5d",
        "+3",
        "+3 d",
        "3days",
        "+3m",
        "++3d",
        "+-3d",
        "d",
        "+d",
        "2026-12-04T17",
        "2026-12-4",
        "26-12-04",
        "20261204",
        "2026-W49-5",
        "2026-12-04T17:00:00.1234567",
        "2026-12-04X17:00",
        "2026-12-04T17:00+1",
        "2026-12-04T17:00 Europe/Berlin",
        "2026-12-04T17:00:00+01:00:00",
        "\u0662\u0660\u0662\u0666-\u0661\u0662-\u0660\u0664",  # Arabic-Indic digits
        "\uff46\uff52\uff49",  # full-width "fri"
        "+\u0663d",
        "now now",
        "none",
    ],
)
def test_unreadable_text_is_bad_input(berlin: None, text: str) -> None:
    with pytest.raises(BadInput, match=r"^cannot read '.*' as a time; use a date"):
        start(text)


@pytest.mark.parametrize("text", ["", " ", "\t\n "])
def test_empty_text_is_bad_input(text: str) -> None:
    with pytest.raises(BadInput, match=r"^no time given; use a date"):
        start(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-02-30", "'2026-02-30' is not a valid date (day is out of range for month)"),
        ("2027-02-29", "'2027-02-29' is not a valid date (day is out of range for month)"),
        ("2026-13-01", "'2026-13-01' is not a valid date (month must be in 1..12)"),
        ("2026-00-10", "'2026-00-10' is not a valid date (month must be in 1..12)"),
        ("0000-01-01", "'0000-01-01' is not a valid date (year 0 is out of range)"),
        (
            "2026-02-30T10:00",
            "'2026-02-30T10:00' is not a valid date-time (day is out of range for month)",
        ),
        ("2026-12-04T25:00", "'2026-12-04T25:00' is not a valid date-time (hour must be in 0..23)"),
        ("2026-12-04T24:00", "'2026-12-04T24:00' is not a valid date-time (hour must be in 0..23)"),
        (
            "2026-12-04T17:60",
            "'2026-12-04T17:60' is not a valid date-time (minute must be in 0..59)",
        ),
        (
            "2026-12-04T17:00:60",
            "'2026-12-04T17:00:60' is not a valid date-time (second must be in 0..59)",
        ),
        (
            "2026-12-04T17:00+24:00",
            "'2026-12-04T17:00+24:00' has an invalid offset (+24:00); use e.g. +01:00 or Z",
        ),
        (
            "2026-12-04T17:00+01:60",
            "'2026-12-04T17:00+01:60' has an invalid offset (+01:60); use e.g. +01:00 or Z",
        ),
    ],
)
def test_impossible_dates_are_bad_input(berlin: None, text: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        start(text)
    assert caught.value.message == message


@pytest.mark.parametrize(
    "text",
    [
        "+99999999d",
        "-99999999d",
        "+999999999w",
        "+9999999999999h",
        "+" + "9" * 5000 + "d",
        "9999-12-31",  # its end is the start of year 10000
        "0001-01-01",  # its start in Berlin is before year 1 in UTC
        "0001-01-01T00:30",
        "0001-01-01T00:30+01:00",
        "9999-12-31T23:30-01:00",
        "0999-12-31",
        "0999-12-31T23:59:59Z",
        "1000-01-01T00:30+01:00",  # 0999-12-31T23:30Z
        "9000-01-01T00:00Z",
        "8999-12-31T23:30-01:00",  # 9000-01-01T00:30Z
        "+400000w",
        "-60000w",
    ],
)
def test_out_of_range_is_bad_input(berlin: None, text: str) -> None:
    for end_of_day in (False, True):
        with pytest.raises(BadInput) as caught:
            parse_when(text, now=NOW, end_of_day=end_of_day)
        assert caught.value.message.endswith(
            f"is out of the range of supported dates ({dates.RANGE_WORDS} UTC)"
        )


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("1000-01-01T00:00Z", "1000-01-01T00:00:00+00:00"),
        ("8999-12-31T23:59:59.999999Z", "8999-12-31T23:59:59.999999+00:00"),
        ("1000-01-01T01:00+01:00", "1000-01-01T00:00:00+00:00"),
    ],
)
def test_the_ends_of_the_range_are_accepted(text: str, instant: str) -> None:
    assert start(text) == datetime.fromisoformat(instant)


@pytest.mark.parametrize(
    ("key", "text", "end_of_day", "accepted"),
    [
        # A bare date is a local day: at the ends of the range, the zone decides.
        ("Etc/GMT+12", "8999-12-31", True, False),  # ends 9000-01-01T11:59Z
        ("Etc/GMT+12", "8999-12-31", False, True),
        ("Etc/GMT-14", "1000-01-01", False, False),  # starts 0999-12-31T10:00Z
        ("Etc/GMT-14", "1000-01-01", True, True),
        ("UTC", "1000-01-01", False, True),
        ("UTC", "8999-12-31", True, True),
    ],
)
def test_a_day_at_the_end_of_the_range_depends_on_the_zone(
    monkeypatch: pytest.MonkeyPatch, key: str, text: str, end_of_day: bool, accepted: bool
) -> None:
    monkeypatch.setenv("TZ", key)
    if accepted:
        assert dates.in_range(parse_when(text, now=NOW, end_of_day=end_of_day).instant)
    else:
        with pytest.raises(BadInput, match="out of the range of supported dates"):
            parse_when(text, now=NOW, end_of_day=end_of_day)


ZONES_AT_THE_EDGES = [
    "Pacific/Kiritimati",
    "Etc/GMT+12",
    "Etc/GMT-14",
    "America/New_York",
    "Asia/Kolkata",
    "JST-9",
    "<-1130>11:30",
    "EST5EDT,M3.2.0,M11.1.0",
]


@settings(max_examples=200, deadline=None)
@given(
    text=st.sampled_from(
        [
            "0001-01-01",
            "0999-12-31",
            "1000-01-01",
            "8999-12-31",
            "9999-12-30",
            "today",
            "+3d",
            "1000-01-01T00:00",
            "8999-12-31T23:59",
        ]
    ),
    entered=st.sampled_from(ZONES_AT_THE_EDGES),
    shown=st.sampled_from(ZONES_AT_THE_EDGES),
    end_of_day=st.booleans(),
)
def test_every_accepted_time_can_be_shown_in_every_zone(
    text: str, entered: str, shown: str, end_of_day: bool
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", entered)
        try:
            instant = parse_when(text, now=NOW, end_of_day=end_of_day).instant
        except BadInput:
            return
        patch.setenv("TZ", shown)
        assert dates.zone_warning() is None
        assert format_local(instant)
        assert format_utc(instant).endswith("Z")
        # What a report does with a time: a day on either side of it.
        format_local(instant + DAY)
        format_local(instant - DAY)


def test_day_words_at_the_end_of_the_calendar_are_bad_input(berlin: None) -> None:
    last = datetime(9999, 12, 31, 12, tzinfo=UTC)
    for text in ("tomorrow", "eom", "fri", "eow", "today"):
        with pytest.raises(BadInput, match="out of the range"):
            start(text, last)


@pytest.mark.parametrize(
    "text",
    ["fri\x00", "to\tday", "2026-12-04\n17:00", "\x1b[31mfri", "fri\x7f", "fri\x85x", "fr\u202ei"],
)
def test_control_characters_are_bad_input(text: str) -> None:
    with pytest.raises(BadInput, match=r"control character$") as caught:
        start(text)
    message = caught.value.message
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in message)
    assert "\u202e" not in message


def test_long_text_is_shortened_in_the_message() -> None:
    with pytest.raises(BadInput) as caught:
        start("x" * 10_000)
    assert len(caught.value.message) < 300
    assert "x" * 39 + "…" in caught.value.message


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_gives_an_instant_or_bad_input(text: str) -> None:
    for end_of_day in (False, True):
        try:
            when = parse_when(text, now=NOW, end_of_day=end_of_day)
        except BadInput as error:
            assert "\n" not in error.message
        else:
            assert_utc(when.instant)


@settings(max_examples=150, deadline=None)
@given(
    st.from_regex(
        r"\A\s?(now|today|eow|eom|[+-]?[0-9]{1,4}[hdwHDW]|[0-9]{4}-[0-9]{2}-[0-9]{2}"
        r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})?)?)\s?\Z"
    )
)
def test_text_near_the_grammar_gives_an_instant_or_bad_input(text: str) -> None:
    try:
        when = parse_when(text, now=NOW, end_of_day=True)
    except BadInput:
        return
    assert_utc(when.instant)
    if when.day is not None:
        assert when.day[0] <= when.instant < when.day[1]


# --- the When value ----------------------------------------------------------------------


def test_when_is_frozen_and_slotted() -> None:
    when = When(NOW)
    assert when.day is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        when.instant = NOW  # type: ignore[misc]
    assert not hasattr(when, "__dict__")


# --- the local zone ----------------------------------------------------------------------


@pytest.mark.parametrize("key", ZONES)
def test_local_zone_follows_tz(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("TZ", key)
    assert local_zone() == ZoneInfo(key)
    assert local_zone() is local_zone()


def test_local_zone_rereads_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    assert str(local_zone()) == "Asia/Kolkata"
    monkeypatch.setenv("TZ", "America/New_York")
    assert str(local_zone()) == "America/New_York"
    assert start("2026-12-04T17:00") == utc("2026-12-04T22:00")


def test_local_zone_accepts_the_forms_of_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", ":Europe/Berlin")
    assert local_zone() == ZoneInfo("Europe/Berlin")
    monkeypatch.setenv("TZ", "/usr/share/zoneinfo/Asia/Kolkata")
    assert local_zone().utcoffset(NOW) == timedelta(hours=5, minutes=30)
    monkeypatch.setenv("TZ", "")
    assert local_zone().utcoffset(NOW) == timedelta(0)


@pytest.mark.parametrize(
    "setting",
    [
        "Not/A_Zone",
        "../../etc/passwd",
        "Europe",
        "/nope",
        "garbage",
        "JST",
        "CET-1CEST,M99",
        "XYZ-99",
        "\udcff",
        "JST-9\n",
        "Europe/Berlin\x1b",
    ],
)
def test_a_tz_that_cannot_be_used_means_utc_and_says_so(
    monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    """As for the C library (`date` shows UTC too), and the CLI says so once on stderr."""
    monkeypatch.setenv("TZ", setting)
    assert local_zone().utcoffset(NOW) == timedelta(0)
    warning = dates.zone_warning()
    assert warning is not None
    assert warning.startswith("TZ=") and warning.endswith("times are in UTC")
    assert "\n" not in warning and "\x00" not in warning


@pytest.mark.parametrize("setting", [None, "UTC", "Europe/Berlin", ":Asia/Tokyo", "", ":", "JST-9"])
def test_a_usable_tz_has_no_warning(monkeypatch: pytest.MonkeyPatch, setting: str | None) -> None:
    if setting is None:
        monkeypatch.delenv("TZ", raising=False)
    else:
        monkeypatch.setenv("TZ", setting)
    assert dates.zone_warning() is None


@pytest.mark.parametrize(
    ("setting", "winter", "summer", "names"),
    [
        ("JST-9", 9 * 60, 9 * 60, ("JST", "JST")),
        ("<+0530>-5:30", 330, 330, ("+0530", "+0530")),
        ("<-03>3", -180, -180, ("-03", "-03")),
        ("UTC0", 0, 0, ("UTC", "UTC")),
        ("EST5EDT,M3.2.0,M11.1.0", -300, -240, ("EST", "EDT")),
        ("CET-1CEST,M3.5.0,M10.5.0/3", 60, 120, ("CET", "CEST")),
        ("CET-1CEST", 60, 120, ("CET", "CEST")),  # no rule: the C library's default (US) rule
        ("NZST-12NZDT,M9.5.0,M4.1.0/3", 780, 720, ("NZDT", "NZST")),
        ("<+1345>-13:45<+1445>,M9.5.0/2:45,M4.1.0/3:45", 885, 825, ("+1445", "+1345")),
    ],
)
def test_posix_tz_strings_are_honoured(
    monkeypatch: pytest.MonkeyPatch, setting: str, winter: int, summer: int, names: tuple[str, str]
) -> None:
    monkeypatch.setenv("TZ", setting)
    assert dates.zone_warning() is None
    january = utc("2027-01-15T12:00").astimezone(local_zone())
    july = utc("2027-07-15T12:00").astimezone(local_zone())
    assert january.utcoffset() == timedelta(minutes=winter)
    assert july.utcoffset() == timedelta(minutes=summer)
    assert (january.tzname(), july.tzname()) == names


def test_a_posix_tz_string_reads_and_shows_local_times(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "JST-9")
    assert start("2026-12-04T17:00") == utc("2026-12-04T08:00")
    assert end("2026-12-04") == utc("2026-12-04T14:59:59.999999")
    assert format_local(utc("2026-12-04T08:00")) == "2026-12-04 17:00"


def test_a_posix_tz_string_knows_its_gaps_and_folds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "EST5EDT,M3.2.0,M11.1.0")
    with pytest.raises(BadInput, match=r"does not exist in EST5EDT,M3.2.0,M11.1.0"):
        start("2027-03-14T02:30")
    with pytest.raises(BadInput, match="ambiguous"):
        start("2027-11-07T01:30")
    assert format_local(utc("2027-11-07T05:30")) == "2027-11-07 01:30-04:00"
    assert format_local(utc("2027-11-07T06:30")) == "2027-11-07 01:30-05:00"


def test_a_posix_tz_string_agrees_with_the_c_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hour of two years, against time.localtime under the same TZ."""
    import time

    setting = "CET-1CEST,M3.5.0,M10.5.0/3"
    monkeypatch.setenv("TZ", setting)
    time.tzset()
    try:
        zone = local_zone()
        first = int(utc("2026-01-01T00:00").timestamp())
        for ts in range(first, first + 2 * 365 * 86400, 3600):
            mine = datetime.fromtimestamp(ts, UTC).astimezone(zone)
            theirs = time.localtime(ts)
            assert mine.utcoffset() == timedelta(seconds=theirs.tm_gmtoff), mine
            assert mine.tzname() == theirs.tm_zone
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


def test_without_a_zone_file_the_c_library_offset_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dates, "_zones", {})
    monkeypatch.setattr(dates, "_zone_from_path", lambda _path: None)
    monkeypatch.delenv("TZ", raising=False)
    zone = local_zone()
    assert isinstance(zone, timezone)
    assert parse_when("today", now=NOW, end_of_day=False).instant.tzinfo is UTC


# --- rendering ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dt", "text"),
    [
        (utc("2026-12-04T16:00"), "2026-12-04T16:00:00Z"),
        (utc("2026-12-04T16:00:00.25"), "2026-12-04T16:00:00.250000Z"),
        (utc("2026-12-04T16:00:00.000001"), "2026-12-04T16:00:00.000001Z"),
        (utc("2026-12-04T23:59:59.999999"), "2026-12-04T23:59:59.999999Z"),
        (datetime.fromisoformat("2026-12-04T17:00+01:00"), "2026-12-04T16:00:00Z"),
        (datetime(2026, 12, 4, 17, tzinfo=ZoneInfo("Asia/Kolkata")), "2026-12-04T11:30:00Z"),
        (utc("0001-01-01T00:00"), "0001-01-01T00:00:00Z"),
        (utc("1969-12-31T23:59:59"), "1969-12-31T23:59:59Z"),
    ],
)
def test_format_utc(dt: datetime, text: str) -> None:
    assert format_utc(dt) == text
    assert datetime.fromisoformat(text) == dt


def test_format_utc_needs_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_utc(datetime(2026, 12, 4))


@pytest.mark.parametrize(
    ("key", "dt", "text"),
    [
        ("Europe/Berlin", "2026-12-04T16:00", "2026-12-04 17:00"),
        ("Europe/Berlin", "2026-12-04T16:00:30", "2026-12-04 17:00:30"),
        ("Europe/Berlin", "2026-12-04T16:00:30.5", "2026-12-04 17:00:30"),
        ("Europe/Berlin", "2026-12-04T16:00:00.5", "2026-12-04 17:00"),
        ("Europe/Berlin", "2026-12-04T22:59:59.999999", "2026-12-04 23:59"),
        ("Europe/Berlin", "2026-12-04T22:59:59", "2026-12-04 23:59:59"),
        ("Europe/Berlin", "2026-07-04T15:00", "2026-07-04 17:00"),
        ("Europe/Berlin", "2026-10-25T00:30", "2026-10-25 02:30+02:00"),
        ("Europe/Berlin", "2026-10-25T01:30", "2026-10-25 02:30+01:00"),
        ("Europe/Berlin", "2026-10-25T02:30", "2026-10-25 03:30"),
        ("America/New_York", "2026-12-04T22:00", "2026-12-04 17:00"),
        ("America/New_York", "2026-11-01T05:30", "2026-11-01 01:30-04:00"),
        ("Asia/Kolkata", "2026-12-04T11:30", "2026-12-04 17:00"),
        ("UTC", "2026-12-04T17:00", "2026-12-04 17:00"),
        ("Pacific/Chatham", "2026-12-04T03:15", "2026-12-04 17:00"),
        ("UTC", "0999-01-02T03:04", "0999-01-02 03:04"),
    ],
)
def test_format_local(monkeypatch: pytest.MonkeyPatch, key: str, dt: str, text: str) -> None:
    monkeypatch.setenv("TZ", key)
    assert format_local(utc(dt)) == text


def test_format_local_of_a_due_date_is_the_day_and_2359(zone: ZoneInfo) -> None:
    assert format_local(end("2026-12-04")) == "2026-12-04 23:59"
    assert format_local(start("2026-12-04")) == "2026-12-04 00:00"


@settings(max_examples=300, deadline=None)
@given(
    dt=st.datetimes(
        timezones=st.one_of(
            st.just(UTC),
            st.builds(
                timezone,
                st.timedeltas(
                    min_value=-timedelta(hours=23, minutes=59),
                    max_value=timedelta(hours=23, minutes=59),
                ),
            ),
            st.sampled_from([ZoneInfo(key) for key in ZONES]),
        ),
    ),
    setting=st.sampled_from(["UTC", "Pacific/Kiritimati", "Etc/GMT+12", "JST-9", "<-1130>11:30"]),
)
def test_formatting_never_fails_on_any_aware_datetime(dt: datetime, setting: str) -> None:
    """Even times no command accepts (a ledger changed by other means): shown, not a crash."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", setting)
        assert format_local(dt)
        text = format_utc(dt)
        if isinstance(dt.tzinfo, timezone):  # in a zone, a time in a gap compares oddly
            assert datetime.fromisoformat(text.replace("Z", "+00:00")) == dt


@pytest.mark.parametrize(
    ("setting", "dt", "local", "utc_text"),
    [
        (
            "Etc/GMT-14",
            datetime.max.replace(tzinfo=UTC),
            "9999-12-31 23:59+00:00",
            "9999-12-31T23:59:59.999999Z",
        ),
        (
            "Etc/GMT+12",
            datetime.min.replace(tzinfo=UTC),
            "0001-01-01 00:00+00:00",
            "0001-01-01T00:00:00Z",
        ),
        (
            "UTC",
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
            "0001-01-01 00:00+05:00",
            "0001-01-01T00:00:00+05:00",
        ),
    ],
)
def test_times_beyond_the_calendar_of_a_zone_are_shown_with_their_offset(
    monkeypatch: pytest.MonkeyPatch, setting: str, dt: datetime, local: str, utc_text: str
) -> None:
    monkeypatch.setenv("TZ", setting)
    assert format_local(dt) == local
    assert format_utc(dt) == utc_text


def test_format_local_needs_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_local(datetime(2026, 12, 4))


# --- microseconds since the epoch --------------------------------------------------------


@pytest.mark.parametrize(
    ("dt", "us"),
    [
        (utc("1970-01-01T00:00"), 0),
        (utc("1970-01-01T00:00:00.000001"), 1),
        (utc("1969-12-31T23:59:59.999999"), -1),
        (utc("2026-12-04T16:00:00.25"), 1_796_400_000_250_000),
        (datetime.fromisoformat("2026-12-04T17:00:00.25+01:00"), 1_796_400_000_250_000),
        (utc("0001-01-01T00:00"), -62_135_596_800_000_000),
        (utc("9999-12-31T23:59:59.999999"), 253_402_300_799_999_999),
    ],
)
def test_micros_known_values(dt: datetime, us: int) -> None:
    assert to_micros(dt) == us
    assert from_micros(us) == dt
    assert from_micros(us).tzinfo is UTC


aware_datetimes = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.one_of(
        st.just(UTC),
        st.builds(
            timezone,
            st.timedeltas(
                min_value=-timedelta(hours=23, minutes=59),
                max_value=timedelta(hours=23, minutes=59),
            ),
        ),
        st.sampled_from([ZoneInfo(key) for key in ZONES]),
    ),
)


@settings(max_examples=300, deadline=None)
@given(aware_datetimes)
def test_micros_round_trip_a_datetime(dt: datetime) -> None:
    us = to_micros(dt)
    assert isinstance(us, int)
    naive_utc = dt.astimezone(UTC).replace(tzinfo=None)
    assert us == (naive_utc - datetime(1970, 1, 1)) // MICRO
    back = from_micros(us)
    # Compared in UTC: an aware datetime in a gap or fold never equals one in another zone.
    assert back == dt.astimezone(UTC)
    assert back.tzinfo is UTC
    assert format_utc(back) == format_utc(dt)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=to_micros(utc("0001-01-01")), max_value=to_micros(utc("9999-12-31"))))
def test_micros_round_trip_an_integer(us: int) -> None:
    assert to_micros(from_micros(us)) == us


@settings(max_examples=100, deadline=None)
@given(aware_datetimes, aware_datetimes)
def test_micros_keep_the_order(a: datetime, b: datetime) -> None:
    assert (to_micros(a) < to_micros(b)) == (a < b)
