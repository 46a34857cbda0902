"""Chart geometry (no ORM), shared by every stage's charts: small sparklines and the line
chart of values against an expected path. Each returns ready SVG coordinates as strings
("123.4", formatted here so no template filter localises them) and the rows of the table
that stands beside the chart for those who cannot see it."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format

from perfcycle.formatting import format_date


@dataclass(frozen=True)
class Sparkline:
    """A small line of values (confidence 1–5), oldest first; ``points`` for an SVG
    polyline of ``width`` × ``height``."""

    values: tuple
    points: str
    width: int = 96
    height: int = 24

    @property
    def text(self) -> str:
        return " ".join("–" if v is None else str(v) for v in self.values)

    @property
    def rows(self) -> tuple:
        """(position, value) per value, oldest first, for a table beside the line."""
        return tuple((index + 1, value) for index, value in enumerate(self.values))

    @property
    def last(self):
        known = [v for v in self.values if v is not None]
        return known[-1] if known else None


def sparkline(values, *, low: int = 1, high: int = 5, width: int = 96, height: int = 24):
    """A sparkline of ``values`` (None: a gap) between ``low`` and ``high``."""
    values = tuple(values)
    step = width / max(len(values) - 1, 1)
    pad = 3
    points = []
    for index, value in enumerate(values):
        if value is None:
            continue
        y = height - pad - (value - low) / (high - low) * (height - 2 * pad)
        points.append(f"{index * step:.1f},{y:.1f}")
    return Sparkline(values=values, points=" ".join(points), width=width, height=height)


@dataclass(frozen=True)
class ChartTick:
    position: str  # an SVG coordinate, formatted here so no locale touches it
    label: str


@dataclass(frozen=True)
class ChartRow:
    """One point of the actual line, as the table beside the chart shows it."""

    day: dt.date
    date_text: str
    value_text: str


@dataclass(frozen=True)
class ProgressChart:
    """An SVG line chart of a goal's actual values against its expected trajectory. Every
    coordinate is a ready string ("123.4"): a template filter would localise it."""

    width: int
    height: int
    left: int
    top: int
    plot_right: int
    plot_bottom: int
    label_y: int
    actual_points: str
    dots: tuple  # (x, y, value text, date text)
    expected_points: str
    y_ticks: tuple
    x_ticks: tuple
    today_x: str | None
    rows: tuple = ()  # ChartRow per actual point, oldest first


def number_text(value: Decimal) -> str:
    value = Decimal(value).quantize(Decimal("0.01")).normalize()
    places = max(0, -value.as_tuple().exponent)
    return number_format(value, decimal_pos=places, use_l10n=True)


def nice_scale(low: Decimal, high: Decimal, *, ticks: int = 4) -> tuple[Decimal, Decimal, Decimal]:
    """An axis from ``low`` to ``high`` on round numbers: (start, end, step), the step
    1, 2, 2.5 or 5 times a power of ten, about ``ticks`` steps in all."""
    low, high = Decimal(low), Decimal(high)
    if low == high:
        low, high = low - 1, high + 1
    rough = (high - low) / ticks
    power = Decimal(10) ** rough.adjusted()
    step = next(
        m * power
        for m in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
        if m * power >= rough
    )
    start = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    end = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    return start, end, step


def progress_chart(
    *,
    series: list[tuple[dt.date, Decimal]],
    expected: list[tuple[dt.date, Decimal]],
    today: dt.date,
    width: int = 640,
    height: int = 260,
) -> ProgressChart | None:
    """Pure geometry of the chart: actual values (``series``) as a line with dots, the
    expected trajectory (``expected``, its corner points) dashed, a marker for today."""
    if not series and not expected:
        return None
    left, right, top, bottom = 64, 16, 20, 40
    dates = [d for d, _v in series] + [d for d, _v in expected]
    values = [Decimal(v) for _d, v in series] + [Decimal(v) for _d, v in expected]
    x0, x1 = min(dates), max(dates)
    if x1 == x0:
        x1 = x0 + dt.timedelta(days=1)
    y0, y1, step = nice_scale(min(values), max(values))
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day: dt.date) -> str:
        return f"{left + (day - x0).days / (x1 - x0).days * plot_w:.1f}"

    def y(value: Decimal) -> str:
        return f"{top + float((y1 - Decimal(value)) / (y1 - y0)) * plot_h:.1f}"

    def line(points) -> str:
        return " ".join(f"{x(d)},{y(v)}" for d, v in points)

    y_values = [y0 + step * i for i in range(int((y1 - y0) / step) + 1)]
    x_days = sorted({x0, x1, *(d for d, _v in expected)})
    return ProgressChart(
        width=width,
        height=height,
        left=left,
        top=top,
        plot_right=width - right,
        plot_bottom=height - bottom,
        label_y=height - bottom + 18,
        actual_points=line(series),
        dots=tuple((x(d), y(v), number_text(v), format_date(d)) for d, v in series),
        expected_points=line(expected),
        y_ticks=tuple(ChartTick(y(v), number_text(v)) for v in y_values),
        x_ticks=tuple(ChartTick(x(d), format_date(d)) for d in x_days),
        today_x=x(today) if x0 <= today <= x1 else None,
        rows=tuple(ChartRow(d, format_date(d), number_text(v)) for d, v in series),
    )
