"""Python's cyclic garbage collector, paused around work that makes millions of objects and
no reference cycle: the report's read (a third of its time on 1,000,000 promises went to the
collector) and `marry batch` (a fifth of a 20,000-line batch's).

The collector runs when enough allocations have outlived the last run, and then walks every
object of the process (SQLAlchemy's thousands too), again and again as the work allocates.
Reference counting still frees each object once unused; the few cycles made meanwhile are
collected once the collector is back on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the block (and back on after, if it was on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
