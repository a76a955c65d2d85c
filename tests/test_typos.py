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


# -- through the CLI ------------------------------------------------------------------------


def test_a_new_customer_like_a_known_one_is_said_and_recorded(marry):
    marry.add("a", "Northwind")
    result = marry.ok("promise", "add", "b", "-c", "Nortwind")
    assert "marry: new customer 'Nortwind'; did you mean 'Northwind'?" in result.stderr
    assert {c["customer"] for c in marry.json("customer", "list")} == {"Northwind", "Nortwind"}
    again = marry.ok("promise", "add", "c", "-c", "nortwind")  # known now: nothing to ask
    assert "did you mean" not in again.stderr


def test_strict_refuses_it_and_new_customer_or_force_records_it(marry):
    marry.add("a", "Northwind")
    before = marry.rows()
    refused = marry("promise", "add", "b", "-c", "Nortwind", "--strict")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert "did you mean 'Northwind'?" in refused.stderr and "--new-customer" in refused.stderr
    assert marry.rows() == before
    for flag in ("--new-customer", "--force"):
        result = marry.ok("promise", "add", "b", "-c", f"Nortwind {flag[2:]}", flag)
        assert "did you mean" not in result.stderr


def test_a_name_a_customer_had_is_not_new(marry):
    marry.add("a", "Northwind")
    marry.ok("customer", "rename", "northwind", "Northwind Traders")
    result = marry.ok("promise", "add", "b", "-c", "Northwind")
    assert "did you mean" not in result.stderr
    assert result.stdout.startswith("2 Northwind Traders: b")


def test_a_promise_the_customer_does_not_value_gets_a_note_never_a_refusal(marry):
    marry.add("a", "acme")
    result = marry.ok("promise", "add", "b", "-c", "acme", "--value", "none", "--strict")
    assert "marry: note: acme does not value this promise (value none)" in result.stderr
    assert "keeping it builds no trust" in result.stderr
    assert "note:" not in marry.ok("promise", "add", "c", "-c", "acme").stderr
    quiet = marry.ok("-q", "promise", "add", "d", "-c", "acme", "--value", "none")
    assert quiet.stderr == ""
