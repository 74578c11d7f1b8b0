"""Bar charts as plain geometry for server-rendered SVG: no chart library, no script."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from math import ceil, log10
from typing import TypeVar

V = TypeVar("V")


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    bottom: float
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    total: int


LEFT, TOP, BOTTOM_MARGIN = 44, 10, 24


def nice_max(value: int) -> int:
    """The axis top: 1, 2 or 5 times a power of ten, at least ``value`` (and at least 1)."""
    if value <= 1:
        return 1
    power: int = 10 ** int(log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def stacked_bars(
    columns: list[tuple[str, dict[str, int]]],
    series: list[Series],
    *,
    width: int = 960,
    height: int = 240,
    labels: int = 8,
    top: int | None = None,
    unit: str = "",
) -> BarChart:
    """``columns``: (label, value by series key), left to right; each bar stacks the series in
    order, bottom up. About ``labels`` column labels are shown on the x axis. ``top`` fixes the
    axis (a share out of 100, say); ``unit`` follows the axis numbers."""
    highest = max((sum(values.values()) for _, values in columns), default=0)
    top_value = top if top is not None else nice_max(highest)
    plot_w, plot_h = width - LEFT - 8, height - TOP - BOTTOM_MARGIN
    bottom = TOP + plot_h
    slot = plot_w / max(len(columns), 1)
    bars: list[Bar] = []
    for index, (label, values) in enumerate(columns):
        y = float(bottom)
        for line in series:
            count = values.get(line.key, 0)
            if not count:
                continue
            h = plot_h * min(count, top_value) / top_value
            y -= h
            bars.append(
                Bar(
                    x=round(LEFT + index * slot + slot * 0.1, 2),
                    y=round(y, 2),
                    width=round(slot * 0.8, 2),
                    height=round(h, 2),
                    color=line.color,
                    title=f"{label}: {count}{unit} {line.label.lower()}",
                )
            )
    every = max(1, ceil(len(columns) / labels))
    x_ticks = [
        Tick(round(LEFT + (i + 0.5) * slot, 2), label)
        for i, (label, _) in enumerate(columns)
        if i % every == 0
    ]
    y_ticks = [
        Tick(round(bottom - plot_h * fraction, 2), f"{top_value * fraction:g}{unit}")
        for fraction in (0, 0.5, 1)
    ]
    total = sum(sum(values.values()) for _, values in columns)
    return BarChart(width, height, LEFT, bottom, bars, x_ticks, y_ticks, total)


def over_time(
    points: Iterable[tuple[datetime, V]],
    start: datetime,
    end: datetime,
    *,
    columns: int = 60,
    size: Callable[[V], float],
) -> list[tuple[datetime, V | None]]:
    """Samples into ``columns`` equal slices of [start, end]: each slice shows its largest
    sample by ``size`` (the peak is what matters in a queue), None where it has none."""
    width = (end - start) / columns
    slices: list[tuple[datetime, V | None]] = [(start + width * i, None) for i in range(columns)]
    for at, value in points:
        if not start <= at <= end:
            continue
        index = min(int((at - start) / width), columns - 1)
        held = slices[index][1]
        if held is None or size(value) > size(held):
            slices[index] = (slices[index][0], value)
    return slices


@dataclass(frozen=True)
class Gauge:
    """A horizontal gauge: the used part, a forecast beyond it, and marks at thresholds."""

    width: int
    height: int
    used: float
    forecast: float
    marks: list[Tick]


def gauge(
    used: int, forecast: int, limit: int, marks: dict[str, int], *, width: int = 960
) -> Gauge:
    """Positions out of ``width`` for ``used`` and ``forecast`` of ``limit`` (capped at the
    end), and a mark per named threshold."""

    def at(value: int) -> float:
        return round(width * min(value, limit) / limit, 2) if limit else 0.0

    ticks = [Tick(at(value), label) for label, value in marks.items()]
    return Gauge(width, 28, at(used), at(max(forecast, used)), ticks)
