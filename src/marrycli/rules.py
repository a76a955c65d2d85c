"""Input rules: text limits, the refused and invisible characters, validators, promise ids.

Every value a user or a file gives goes through these before a ledger is opened, so
bad input never creates or touches a ledger; `marry import` applies the same rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from marrycli import settings
from marrycli.domain import Period, fold_name
from marrycli.errors import BadInput

CLOCK_SKEW = timedelta(minutes=5)  # "now" on two hosts may differ this much

# Text limits, in characters.
TEXT_MAX = 2000
NAME_MAX = 200
TAG_MAX = 50
TAGS_MAX = 20
REF_MAX = 200

# The one set of characters refused, and the one set shown as code points:
# refused at the door in every text, name, tag and ref: Unicode category Cc, exactly;
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# shown as <U+XXXX> in tables, messages and CSV cells, and escaped in JSON: what a terminal
# would act on or hide (control, format, private-use, surrogate, line and paragraph
# separator characters, such as bidi overrides and zero-width spaces).
INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}


def has_invisible(text: str) -> bool:
    """Whether `text` holds a character of INVISIBLE's categories."""
    return not text.isprintable() and any(unicodedata.category(c) in INVISIBLE for c in text)


def _check_characters(what: str, value: str) -> None:
    found = _CONTROL.search(value)
    if found is not None:
        raise BadInput(
            f"{what} contains a control character (U+{ord(found.group()):04X}); "
            "remove it and try again"
        )


def validate_text(what: str, value: str, limit: int = TEXT_MAX) -> str:
    """Strip and check a text: 1..limit characters, no control characters."""
    _check_characters(what, value)
    value = value.strip()
    if not value:
        raise BadInput(f"{what} is empty; give some text")
    if len(value) > limit:
        raise BadInput(f"{what} is {len(value)} characters long; the limit is {limit}")
    return value


def validate_name(what: str, value: str) -> str:
    """Check a customer or owner name and return its display form (folded white space)."""
    _check_characters(what, value)
    name = fold_name(value)
    if not name:
        raise BadInput(f"{what} is empty; give a name")
    if len(name) > NAME_MAX:
        raise BadInput(f"{what} is {len(name)} characters long; the limit is {NAME_MAX}")
    return name


def validate_tags(tags: Sequence[str]) -> tuple[str, ...]:
    """Check the tags: at most 20, each 1..50 characters; duplicates dropped, order kept."""
    cleaned: list[str] = []
    for tag in tags:
        tag = validate_text("a tag", tag, TAG_MAX)
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > TAGS_MAX:
        raise BadInput(f"{len(cleaned)} tags given; the limit is {TAGS_MAX}")
    return tuple(cleaned)


def validate_ref(ref: str | None) -> str | None:
    """Check a --ref key: 1..200 characters, no control characters, kept exactly."""
    if ref is None:
        return None
    _check_characters("--ref", ref)
    if not ref.strip():
        raise BadInput("--ref is empty; give a key such as $CI_PIPELINE_ID-add")
    if len(ref) > REF_MAX:
        raise BadInput(f"--ref is {len(ref)} characters long; the limit is {REF_MAX}")
    return ref


def default_owner(user: settings.Setting | None = None) -> str:
    """The `user` setting (MARRY_USER, the config file; default: this run's), else the login
    name; checked as a name."""
    user = user or settings.current().user()
    owner = user.value or ""
    what = f"the owner ({user.label})"
    if not owner:
        what = "the login name (the default owner; MARRY_USER sets another)"
        import getpass  # only when MARRY_USER is unset: it costs startup time

        try:
            owner = getpass.getuser()
        except (KeyError, OSError):
            owner = "unknown"
    if any("\ud800" <= c <= "\udfff" for c in owner):  # bytes that are not UTF-8
        raise BadInput(f"{what} is not valid UTF-8; set MARRY_USER to a name in UTF-8")
    return validate_name(what, owner)


@dataclass(frozen=True, slots=True)
class PromiseId:
    """A promise named on the command line: a number or `ref:KEY`, and for occurrence k of a
    standing promise `/k` after it (SPEC §7)."""

    number: int | None = None
    ref: str | None = None
    occurrence: int | None = None

    def __str__(self) -> str:
        named = str(self.number) if self.number is not None else f"ref:{self.ref}"
        return named if self.occurrence is None else f"{named}/{self.occurrence}"


# Standing promises (SPEC §7): a period is N days, weeks or calendar months; the time an
# occurrence has, N hours, days or weeks. Compared by their shortest length (a month: 28 days).
PERIOD_UNITS = "dwm"
WITHIN_UNITS = "hdw"
_PERIOD = re.compile(r"(\d{1,6})([hdwm])", re.ASCII)
_SHORTEST_HOURS = {"h": 1, "d": 24, "w": 168, "m": 28 * 24}


def parse_period(text: str, option: str, units: str = PERIOD_UNITS) -> Period:
    """Read `--every` (units d, w, m) or `--within` (units h, d, w): N ≥ 1 and a unit."""
    match = _PERIOD.fullmatch(text.strip().lower())
    if match is None or match.group(2) not in units or int(match.group(1)) < 1:
        shown = text if len(text) <= 40 else text[:39] + "…"
        words = {"d": "days", "w": "weeks", "m": "months", "h": "hours"}
        kinds = ", ".join(f"N{u} ({words[u]})" for u in units)
        raise BadInput(f"{option} {shown!r} is not a period; give {kinds}, e.g. 1{units[1]}")
    return Period(int(match.group(1)), match.group(2))


def period_hours(period: Period) -> int:
    """A period's shortest length in hours (a month counts 28 days)."""
    return period.amount * _SHORTEST_HOURS[period.unit]


def parse_id(text: str) -> PromiseId:
    """Read an ID argument: `12`, `#12`, `ref:KEY`, or `12/3` (occurrence 3 of series 12)."""
    _check_characters("the promise id", text)
    stripped = text.strip()
    if stripped.lower().startswith("ref:"):  # a ref is the whole rest (it may hold a `/`)
        key = validate_ref(stripped[4:])
        return PromiseId(ref=key)
    digits, slash, tail = stripped.removeprefix("#").partition("/")
    if slash:
        if tail.isascii() and tail.isdigit() and len(tail) <= 9 and int(tail) > 0:
            return PromiseId(number=parse_id(digits).number, occurrence=int(tail))
        shown = text if len(text) <= 40 else text[:39] + "…"
        raise BadInput(f"{shown!r} is not an occurrence; give SERIES/k with k 1 or more (12/3)")
    # At most 19 digits (ids are below 2**63): int() of thousands of digits is refused.
    if digits.isascii() and digits.isdigit() and len(digits) <= 19 and 0 < int(digits) < 2**63:
        return PromiseId(number=int(digits))
    shown = text if len(text) <= 40 else text[:39] + "…"
    raise BadInput(
        f"{shown!r} is not a promise id; give its number (12), ref:KEY, or 12/3 for an occurrence"
    )
