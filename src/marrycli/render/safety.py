"""What user text may look like on a terminal: `visible()` writes control and format
characters (ESC, bidi overrides, zero-width spaces) as <U+XXXX>.

Every customer name, promise text, note and ref goes through it (or a Rich `Text` made
from it) before a table or a message shows it; JSON and CSV escape in `formats`. The one
set of invisible categories is `rules.INVISIBLE`.
"""

from __future__ import annotations

import unicodedata

from marrycli.rules import INVISIBLE


def visible(text: str) -> str:
    """Text as it may be shown on a terminal: control and format characters written as <U+XXXX>."""
    if text.isprintable():
        return text
    return "".join(f"<U+{ord(c):04X}>" if unicodedata.category(c) in INVISIBLE else c for c in text)
