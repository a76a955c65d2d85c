"""A new customer name that looks like a typo of a known one (SPEC §6): pure, standard
library only (difflib)."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher

SIMILAR = 0.85  # SequenceMatcher's ratio at or above which two keys look alike
PREFIX = 4  # one key a prefix of the other, of at least this many characters


def looks_alike(new: str, known: str) -> float:
    """How alike two customer keys look: SequenceMatcher's ratio when they look alike (a
    ratio of at least SIMILAR, or one a prefix of the other of at least PREFIX characters),
    else 0.0."""
    shorter, longer = sorted((new, known), key=len)
    prefix = len(shorter) >= PREFIX and longer.startswith(shorter)
    matcher = SequenceMatcher(None, new, known, autojunk=False)
    if not prefix and (matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR):
        return 0.0  # the cheap upper bounds first: most names are nothing alike
    ratio = matcher.ratio()
    return ratio if prefix or ratio >= SIMILAR else 0.0


def closest(new: str, known: Iterable[tuple[str, str]]) -> str | None:
    """The name of the known customer whose key (or other name's key) looks most like the
    key `new`, or None when none does. `known` is (key, customer name) pairs; ties go to the
    first pair."""
    best, best_score = None, 0.0
    for key, name in known:
        if key == new:
            continue
        score = looks_alike(new, key)
        if score > best_score:
            best, best_score = name, score
    return best
