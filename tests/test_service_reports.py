"""`marry check` reads the customers it names and the lines it checks in one read
transaction (`service.reports.check`), so both are of the same ledger."""

from __future__ import annotations

import pytest

from marrycli.storage.ledger import Ledger


@pytest.fixture
def reads(monkeypatch) -> list[None]:
    """Every read transaction opened, one entry each."""
    opened: list[None] = []
    real = Ledger.read

    def read(self):
        opened.append(None)
        return real(self)

    monkeypatch.setattr(Ledger, "read", read)
    return opened


@pytest.mark.parametrize("named", [[], ["-c", "acme"], ["-c", "acme", "-c", "globex"]])
def test_check_opens_one_read_transaction(marry, reads, named):
    marry.add("a", "acme")
    marry.add("g", "globex")
    reads.clear()
    result = marry("check", *named, "--max-overdue", "0")
    assert result.exit_code == 0, result.stderr
    assert len(reads) == 1


def test_check_of_an_unknown_customer_is_bad_input(marry, reads):
    marry.add("a", "acme")
    reads.clear()
    result = marry("check", "-c", "initech", "--max-overdue", "0")
    assert result.exit_code == 2 and "there is no customer 'initech'" in result.stderr
    assert len(reads) == 1
