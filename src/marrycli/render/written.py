"""What a write prints: the promise as it stands after it, in one line (`PromiseWritten`).

Its own module, apart from the other views and their tables, because scripts write in loops:
a write in the table format imports this, the model's words and nothing else of `render`
(no Rich, no tables, no charts). Its JSON and CSV are drawn by `documents`, as every view's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from marrycli.render import Format, renders
from marrycli.render.words import promise_line

if TYPE_CHECKING:
    from marrycli.domain import Promise, SeriesRecord


@dataclass(frozen=True, slots=True)
class PromiseWritten:
    """A promise after a write (add, keep, break, ...): one line for people."""

    WHAT: ClassVar[str | None] = None  # promise add, keep, break, renegotiate, undo, cancel
    promise: Promise
    as_of: datetime
    value_from: str | None = None  # the tag of the customer's profile that gave the value
    series: SeriesRecord | None = None  # a standing promise's record (its JSON is SPEC §7's)


@renders(PromiseWritten, Format.TABLE)
def _written(view: PromiseWritten) -> str:
    return promise_line(view.promise, view.as_of, view.value_from)
