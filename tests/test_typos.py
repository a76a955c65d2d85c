"""A new customer that looks like a typo (SPEC §6): the rule itself, without the CLI."""

from __future__ import annotations

import pytest

from marrycli.model.typos import closest, looks_alike


@pytest.mark.parametrize(
    ("new", "known", "alike"),
    [
        ("nortwind", "northwind", True),  # one letter left out: ratio 0.94
        ("northwind traders", "northwind", True),  # a prefix of 9 characters
        ("acme", "acme corp", True),  # a prefix of exactly 4
        ("acm", "acme", True),  # a prefix of 3 is too short, but the ratio is 0.86
        ("abc", "abcdefg", False),  # a prefix of 3, ratio 0.6
        ("initech", "globex", False),
        ("hooli", "hoolo", False),  # ratio 0.8: below 0.85
        ("umbrela health", "umbrella health", True),
    ],
)
def test_looks_alike(new: str, known: str, alike: bool) -> None:
    assert (looks_alike(new, known) > 0) is alike
    assert (looks_alike(known, new) > 0) is alike  # the same both ways


def test_closest_names_the_most_alike_customer_by_its_display_name() -> None:
    known = [("northwind", "Northwind"), ("northwest", "Northwest Ltd"), ("acme", "Acme")]
    assert closest("nortwind", known) == "Northwind"
    assert closest("globex", known) is None
    assert closest("northwind", known) is None  # itself: not a new customer
    # Two prefixes: the most alike wins.
    assert closest("acmee2", [("acme", "Acme"), ("acmee", "Acmee")]) == "Acmee"
