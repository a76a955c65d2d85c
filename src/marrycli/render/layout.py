"""How a table fits the terminal: `Column` says how each column gives way when the
terminal is narrow, and `fit_table` lays a Rich table out for the console's width
(no word split, the least important columns dropped first, names cut last).

Light lines on a terminal, no box-drawing art elsewhere (a pipe, a file).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


def new_table(console: Console, *, header: bool = True) -> Table:
    """A table that suits where it goes: light lines on a terminal, no box-drawing elsewhere.

    Either way two spaces separate the columns (GAP), which `fit_table` counts on.
    """
    from rich import box
    from rich.table import Table

    on_terminal = console.is_terminal
    return Table(
        box=box.SIMPLE_HEAD if on_terminal else None,
        show_edge=False,
        collapse_padding=on_terminal,  # pad 1, rule 1: two spaces, as without a box
        show_header=header,
        header_style="bold" if on_terminal else "",
        pad_edge=False,
        highlight=False,
    )


GAP = 2  # spaces between two columns
TEXT_MIN = 20  # a text column keeps this width before columns are dropped...
TEXT_FLOOR = 10  # ...and this much once none is left to drop
NAME_FLOOR = 12  # a name is cut (with an ellipsis) to no less than this, as a last resort


@dataclass(frozen=True)
class Column:
    """How a table column behaves when the terminal is narrow.

    kind "short": never wrapped (ids, dates, numbers, stages); "name": a customer or
    owner, whole on one line, cut with an ellipsis only as the last resort; "text":
    wraps at spaces (a word too long for the column ends in an ellipsis). `drop`: 0 is
    always shown; otherwise columns are dropped lowest number first (equal numbers go
    together) until the rest fit.
    """

    header: str
    kind: Literal["short", "name", "text"] = "short"
    drop: int = 0
    justify: Literal["left", "right"] = "left"
    style: str = ""
    min_width: int = TEXT_MIN
    overflow: Literal["ellipsis", "fold"] = "ellipsis"


def fit_table(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str | Text]],
    *,
    header: bool = True,
) -> Table:
    """A table laid out for the console's width, as `gh` does: no word is ever split.

    Everything at its natural width when it fits. Otherwise text columns narrow to
    their minimum, then droppable columns go, then text narrows to TEXT_FLOOR, and
    only then are names cut with an ellipsis. Spare width goes back to the text.
    """
    from rich.cells import cell_len

    def plain(cell: str | Text) -> str:
        return cell if isinstance(cell, str) else cell.plain

    natural = [
        max([cell_len(column.header) if header else 0]
            + [cell_len(plain(row[i])) for row in rows])
        for i, column in enumerate(columns)
    ]  # fmt: skip

    def least(i: int, floor: int | None = None) -> int:
        column = columns[i]
        if column.kind != "text":
            return natural[i]
        header_word = max((cell_len(w) for w in column.header.split()), default=0)
        wanted = floor if floor is not None else column.min_width
        return max(min(natural[i], wanted), header_word if header else 0, 1)

    def total(widths: dict[int, int]) -> int:
        return sum(widths.values()) + GAP * (len(widths) - 1)

    room = console.width
    kept = list(range(len(columns)))
    widths = {i: least(i) for i in kept}
    for rank in sorted({c.drop for c in columns if c.drop}):
        if total(widths) <= room:
            break
        kept = [i for i in kept if columns[i].drop != rank]
        widths = {i: least(i) for i in kept}
    if total(widths) > room:
        widths = {i: least(i, TEXT_FLOOR) for i in kept}
    while total(widths) > room:  # the last resort: cut the longest name
        names = [i for i in kept if columns[i].kind == "name" and widths[i] > NAME_FLOOR]
        if not names:
            break  # nothing more to give: lines wrap on the terminal, words stay whole
        widest = max(names, key=lambda i: widths[i])
        widths[widest] = max(NAME_FLOOR, widths[widest] - (total(widths) - room))
    texts = [i for i in kept if columns[i].kind == "text"]
    spare = room - total(widths)
    while spare > 0 and texts:  # spare width back to the text, shared out evenly
        growing = [i for i in texts if widths[i] < natural[i]]
        if not growing:
            break
        share = max(1, spare // len(growing))
        for i in growing:
            step = min(share, natural[i] - widths[i], spare)
            widths[i] += step
            spare -= step

    table = new_table(console, header=header)
    for i in kept:
        column = columns[i]
        table.add_column(
            column.header,
            width=widths[i],
            no_wrap=column.kind != "text",
            overflow=column.overflow,
            justify=column.justify,
            style=column.style or None,
        )
    for row in rows:
        table.add_row(*(row[i] for i in kept))
    return table
