"""Charts of trust over real time, as geometry: the time axis (x proportional to time) that
the terminal chart and the HTML page share, and the SVG chart and sparkline of the page.

Plain numbers and strings, no drawing library: the HTML template draws what is computed
here (every string in it is escaped there), and `report_tables` draws the terminal's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from marrycli.dates import format_local, format_local_day
from marrycli.domain import Contribution, Promise, Stage, TimelinePoint

# How each scored event reads in a point's title, and the colour class of its point.
EVENT_WORDS = {
    "kept": ("kept", "good"),
    "kept_late": ("kept late", "bad"),
    "broken": ("broken", "bad"),
    "renegotiated_early": ("renegotiated early", "warn"),
    "renegotiated_late": ("renegotiated late", "bad"),
    "overdue": ("overdue", "bad"),
}


@dataclass(frozen=True, slots=True)
class TimeScale:
    """x proportional to time: `start` at `left`, `end` at `left + width`."""

    start: datetime
    end: datetime
    left: float
    width: float

    @classmethod
    def over(cls, start: datetime, end: datetime, left: float, width: float) -> TimeScale:
        """A scale from `start` to `end`, at least a day long (a single moment has no width)."""
        if end - start < timedelta(days=1):
            end = start + timedelta(days=1)
        return cls(start, end, left, width)

    def x(self, at: datetime) -> float:
        """Where `at` falls (clamped to the axis)."""
        share = (at - self.start) / (self.end - self.start)
        return self.left + self.width * min(1.0, max(0.0, share))

    def ticks(self, count: int = 3) -> list[tuple[float, datetime]]:
        """`count` evenly spaced moments with their x: both ends and between."""
        span = self.end - self.start
        moments = [self.start + span * (i / (count - 1)) for i in range(count)]
        return [(self.x(moment), moment) for moment in moments]


def chart_start(timeline: Sequence[TimelinePoint], promises: Sequence[Promise]) -> datetime:
    """Where a customer's chart begins: its first promise made, else its first scored event."""
    made = [p.made for p in promises]
    firsts = [*made, timeline[0].at] if timeline else made
    return min(firsts)


@dataclass(frozen=True, slots=True)
class Band:
    """A stretch of time the customer spent in one stage."""

    x: float
    width: float
    stage: Stage


@dataclass(frozen=True, slots=True)
class Dot:
    """One scored event on the trust line, with the sentence its tooltip shows."""

    x: float
    y: float
    kind: str  # good | bad | warn: its colour
    title: str


@dataclass(frozen=True, slots=True)
class Chart:
    """Trust and distrust over real time, with the stages behind, in SVG user units."""

    width: float
    height: float
    left: float
    top: float
    plot_width: float
    plot_height: float
    trust: str  # an SVG path: a step line (trust changes only at scored events)
    distrust: str
    bands: list[Band]
    stages: list[Stage]  # the stages the bands show, in the order first reached
    dots: list[Dot]
    x_ticks: list[tuple[float, str, str]]  # x, label, text-anchor
    y_ticks: list[tuple[float, str]]
    as_of_x: float
    as_of: str


def _step_path(
    scale: TimeScale, y: Callable[[float], float], values: Sequence[tuple[datetime, float]]
) -> str:
    """A step line from 0 at the scale's start through each (moment, value) to its end."""
    parts = [f"M{scale.left:.1f} {y(0.0):.1f}"]
    for at, value in values:
        parts.append(f"H{scale.x(at):.1f} V{y(value):.1f}")
    parts.append(f"H{scale.left + scale.width:.1f}")
    return " ".join(parts)


def trust_chart(
    timeline: Sequence[TimelinePoint],
    contributions: Sequence[Contribution],
    promises: Sequence[Promise],
    as_of: datetime,
    *,
    width: float = 720,
    height: float = 240,
) -> Chart:
    """The chart of one customer's section: x is time from its first promise to `as_of`."""
    left, top, right, bottom = 40.0, 12.0, 12.0, 28.0
    plot_width, plot_height = width - left - right, height - top - bottom
    scale = TimeScale.over(chart_start(timeline, promises), as_of, left, plot_width)

    def y(value: float) -> float:
        return top + plot_height * (1 - value)

    bands: list[Band] = []
    for i, point in enumerate(timeline):
        end = timeline[i + 1].at if i + 1 < len(timeline) else scale.end
        x0, x1 = scale.x(point.at), scale.x(end)
        if bands and bands[-1].stage is point.stage:
            last = bands.pop()
            x0 = last.x
        bands.append(Band(x0, x1 - x0, point.stage))
    texts = {p.id: p.text for p in promises}
    dots = []
    for c in contributions:
        words, kind = EVENT_WORDS.get(c.kind, (c.kind.replace("_", " "), "warn"))
        text = texts.get(c.promise_id)
        about = f"promise {c.promise_id}" + (f" “{text}”" if text is not None else "")
        title = (
            f"{format_local(c.at)}: {words}, {about}: trust {c.trust_before:.2f} → "
            f"{c.trust_after:.2f} ({c.trust_after - c.trust_before:+.3f}), distrust "
            f"{c.distrust_before:.2f} → {c.distrust_after:.2f} "
            f"({c.distrust_after - c.distrust_before:+.3f})"
        )
        dots.append(Dot(scale.x(c.at), y(c.trust_after), kind, title))
    ticks = scale.ticks(3)
    anchors = ("start", "middle", "end")
    return Chart(
        width=width,
        height=height,
        left=left,
        top=top,
        plot_width=plot_width,
        plot_height=plot_height,
        trust=_step_path(scale, y, [(p.at, p.trust) for p in timeline]),
        distrust=_step_path(scale, y, [(p.at, p.distrust) for p in timeline]),
        bands=bands,
        stages=list(dict.fromkeys(band.stage for band in bands)),
        dots=dots,
        x_ticks=[
            (x, format_local_day(at), anchor)
            for (x, at), anchor in zip(ticks, anchors, strict=True)
        ],
        y_ticks=[(y(v), f"{v:g}") for v in (0.0, 0.25, 0.5, 0.75, 1.0)],
        as_of_x=scale.x(as_of),
        as_of=format_local(as_of),
    )


def sparkline(
    timeline: Sequence[TimelinePoint],
    promises: Sequence[Promise],
    as_of: datetime,
    *,
    width: float = 120,
    height: float = 28,
) -> str:
    """The overview's small line of trust over real time, as an SVG path ('' without events)."""
    if not timeline:
        return ""
    scale = TimeScale.over(chart_start(timeline, promises), as_of, 1.0, width - 2)

    def y(value: float) -> float:
        return 1 + (height - 2) * (1 - value)

    return _step_path(scale, y, [(p.at, p.trust) for p in timeline])
