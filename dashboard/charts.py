"""Charts drawn on the server as SVG geometry: the templates only place the shapes.

Nothing is fetched by the browser to draw them (no chart library, no CDN), and they print.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from metrics.scope import Period
from metrics.thresholds import format_number

WIDTH, HEIGHT = 360, 150
TENTH = Decimal("0.1")
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 22


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Mark:
    """An annotation drawn at its date: a dashed line and a numbered flag."""

    x: float
    number: int
    label: str


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    path: str
    dots: tuple[Dot, ...]
    marks: tuple[Mark, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    baseline: float
    top: float
    left: int
    right: float

    @property
    def empty(self) -> bool:
        return not self.dots


def compact(value: Decimal, unit: str) -> str:
    """An axis label that fits the margin: 126k, 1.2M for money; the value otherwise."""
    if unit in ("money", "money/day") and abs(value) >= 1000:
        for size, suffix in ((Decimal(1_000_000), "M"), (Decimal(1000), "k")):
            if abs(value) >= size:
                return f"{format_number((value / size).quantize(TENTH), '%')}{suffix}"
    return format_number(value, "%" if unit == "money" else unit)


def _x_of(day: date, span: Period) -> float:
    total = max((span.end - span.start).days, 1)
    inner = WIDTH - LEFT - RIGHT
    return round(LEFT + inner * (day - span.start).days / total, 1)


def line_chart(
    span: Period,
    points: Sequence[tuple[Period, Decimal | None]],
    unit: str,
    notes: Iterable[tuple[date, str]] = (),
) -> LineChart:
    """A line through each sub-period's value (at its middle), gaps where there is none.

    Args:
        span: the whole period on the x axis.
        points: (sub-period, value) in date order.
        unit: the KPI's unit, for the value labels.
        notes: (date, text) annotations inside the span, drawn as numbered vertical marks.
    """
    values = [v for _, v in points if v is not None]
    low = min([*values, Decimal(0)]) if values else Decimal(0)
    high = max(values) if values else Decimal(1)
    if high == low:
        high = low + 1
    inner_height = HEIGHT - TOP - BOTTOM

    def y_of(value: Decimal) -> float:
        return round(TOP + inner_height * float((high - value) / (high - low)), 1)

    commands, dots, pen_down = [], [], False
    for period, value in points:
        if value is None:
            pen_down = False
            continue
        middle = period.start + (period.end - period.start) / 2
        x, y = _x_of(middle, span), y_of(value)
        commands.append(f"{'L' if pen_down else 'M'}{x} {y}")
        pen_down = True
        dots.append(Dot(x, y, f"{period.start} – {period.end}: {format_number(value, unit)}"))
    marks = tuple(
        Mark(_x_of(day, span), number, f"{day}: {text}")
        for number, (day, text) in enumerate(notes, start=1)
        if span.start <= day <= span.end
    )
    # A tick at most every few points, so twelve months or fifty weeks stay readable.
    step = max(1, len(points) // 6)
    x_ticks = tuple(
        Tick(_x_of(period.start, span), period.start.strftime("%b %Y"))
        for period, _ in points[::step]
    )
    y_ticks = tuple(Tick(y_of(v), compact(v, unit)) for v in (low, high)) if values else ()
    return LineChart(
        WIDTH,
        HEIGHT,
        " ".join(commands),
        tuple(dots),
        marks,
        x_ticks,
        y_ticks,
        HEIGHT - BOTTOM,
        TOP,
        LEFT,
        WIDTH - RIGHT,
    )


@dataclass(frozen=True)
class Bar:
    label: str
    width: float
    value: str
    share: str


def bars(rows: Sequence[tuple[str, Decimal]], unit: str = "money", width: int = 300) -> list[Bar]:
    """Horizontal bars scaled to the largest value, each with its share of the total."""
    largest = max((value for _, value in rows), default=Decimal(0))
    total = sum((value for _, value in rows), Decimal(0))
    result = []
    for label, value in rows:
        scaled = float(value / largest) * width if largest > 0 and value > 0 else 0.0
        share = f"{format_number(value * 100 / total, '%')}%" if total else "—"
        result.append(Bar(label, round(scaled, 1), format_number(value, unit), share))
    return result
