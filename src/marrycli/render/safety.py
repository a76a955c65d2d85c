"""TODO docstring."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from marrycli.rules import INVISIBLE

if TYPE_CHECKING:

    pass


def visible(text: str) -> str:
    """Text as it may be shown on a terminal: control and format characters written as <U+XXXX>."""
    if text.isprintable():
        return text
    return "".join(f"<U+{ord(c):04X}>" if unicodedata.category(c) in INVISIBLE else c for c in text)
