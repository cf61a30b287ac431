"""A bar chart as inline SVG, drawn on the server: no script, no outside host."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

WIDTH = 1000
HEIGHT = 230
LEFT = 36  # room for the count labels
RIGHT = 24  # room for the last date label
BOTTOM = 28  # room for the date labels
TOP = 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    baseline: float
    left: int


def _grid_step(peak: int) -> int:
    """The smallest of 1, 2, 5 x 10^n with four steps reaching `peak`, for round gridlines."""
    needed = max(math.ceil(peak / 4), 1)
    magnitude = 10 ** math.floor(math.log10(needed))
    return next(s * magnitude for s in (1, 2, 5, 10) if s * magnitude >= needed)


def daily_bar_chart(series: list[tuple[dt.date, int]], *, unit: str = "booking") -> BarChart:
    step = _grid_step(max((n for _, n in series), default=0))
    top = 4 * step
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(series), 1)
    baseline = TOP + plot_height
    bars = []
    x_ticks = []
    for i, (day, count) in enumerate(series):
        height = plot_height * count / top
        x = LEFT + i * slot
        plural = "" if count == 1 else "s"
        bars.append(
            Bar(
                x=round(x + slot * 0.15, 1),
                y=round(baseline - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                title=f"{day:%a %d %b}: {count} {unit}{plural}",
            )
        )
        # A date under every seventh bar (and the last), counted back from today.
        if (len(series) - 1 - i) % 7 == 0:
            x_ticks.append(Tick(round(x + slot / 2, 1), f"{day:%d %b}"))
    y_ticks = [Tick(round(baseline - plot_height * k / 4, 1), str(step * k)) for k in range(5)]
    return BarChart(WIDTH, HEIGHT, bars, x_ticks, y_ticks, baseline, LEFT)
