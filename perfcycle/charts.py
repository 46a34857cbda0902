"""Chart geometry (no ORM), shared by every stage's charts: small sparklines and the line
chart of values against an expected path. Each returns ready SVG coordinates as strings
("123.4", formatted here so no template filter localises them) and the rows of the table
that stands beside the chart for those who cannot see it."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.core.signals import setting_changed
from django.utils.formats import number_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

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
    return _number_text(get_language(), value)


@lru_cache(maxsize=4096)
def _number_text(language: str | None, value: Decimal) -> str:
    # A chart labels its ticks and dots with the same few round values, page after page:
    # each (language, value) is formatted once per process (number_format: ~10 µs). Equal
    # values format alike once quantized; the formats come from the settings, hence the
    # reset below.
    places = max(0, -value.as_tuple().exponent)
    return number_format(value, decimal_pos=places, use_l10n=True)


def _forget_numbers(**kwargs) -> None:
    if kwargs["setting"] in ("LANGUAGE_CODE", "FORMAT_MODULE_PATH", "USE_THOUSAND_SEPARATOR") or (
        "SEPARATOR" in kwargs["setting"] or "GROUPING" in kwargs["setting"]
    ):
        _number_text.cache_clear()


setting_changed.connect(_forget_numbers)


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


def progress_chart_html(chart: ProgressChart, *, title: str) -> SafeString:
    """The chart as SVG in a figure with its legend, written here rather than by a template
    (``{% progress_chart %}`` in perfcycle/templatetags/rendering.py): through Django's
    template its loops over ticks and dots cost ~1 ms a chart, and the review page shows
    one per goal. The coordinates are this module's own number strings (digits, dots,
    commas, spaces: nothing to escape); labels and the title are escaped."""
    c = chart
    y_ticks = "".join(
        f'<line x1="{c.left}" x2="{c.plot_right}" y1="{t.position}" y2="{t.position}" '
        'stroke="#dee2e6" stroke-width="1"/>\n'
        f'    <text x="{c.left - 6}" y="{t.position}" text-anchor="end" '
        'dominant-baseline="middle" font-size="11" fill="#6c757d">'
        f"{conditional_escape(t.label)}</text>"
        for t in c.y_ticks
    )
    last = len(c.x_ticks) - 1
    x_ticks = "".join(
        f'<text x="{t.position}" y="{c.label_y}" text-anchor="'
        f'{"start" if i == 0 else "end" if i == last else "middle"}" font-size="11" '
        f'fill="#6c757d">{conditional_escape(t.label)}</text>'
        for i, t in enumerate(c.x_ticks)
    )
    today = (
        f'<line x1="{c.today_x}" x2="{c.today_x}" y1="{c.top}" y2="{c.plot_bottom}" '
        f'stroke="#adb5bd" stroke-dasharray="2 3"/><text x="{c.today_x}" y="{c.top - 6}" '
        f'text-anchor="middle" font-size="10" fill="#6c757d">{gettext("today")}</text>'
        if c.today_x is not None
        else ""
    )
    expected = (
        f'<polyline points="{c.expected_points}" fill="none" stroke="#6c757d" '
        'stroke-width="2" stroke-dasharray="6 4" data-line="expected"/>'
        if c.expected_points
        else ""
    )
    actual = (
        f'<polyline points="{c.actual_points}" fill="none" stroke="#2e75b6" '
        'stroke-width="2.5" data-line="actual"/>'
        if c.actual_points
        else ""
    )
    dots = "".join(
        f'<circle cx="{x}" cy="{y}" r="4" fill="#2e75b6"><title>{conditional_escape(day)}: '
        f"{conditional_escape(value)}</title></circle>"
        for x, y, value, day in c.dots
    )
    expected_key = (
        '<span><svg width="24" height="8" aria-hidden="true"><line x1="0" x2="24" y1="4" '
        'y2="4" stroke="#6c757d" stroke-width="2" stroke-dasharray="6 4"/></svg> '
        f"{gettext('Expected (straight line from baseline to target)')}</span>"
        if c.expected_points
        else ""
    )
    heading = gettext("Progress of “%(title)s”") % {"title": conditional_escape(title)}
    description = gettext(
        "Actual values over time against the expected straight-line path from the cycle's "
        "start to the goal's due date. The same numbers are in the table below."
    )
    return mark_safe(  # noqa: S308 (every value escaped above)
        "\n"
        '<figure class="mb-0">\n'
        f'<svg class="pc-progress-chart w-100 h-auto" viewBox="0 0 {c.width} {c.height}" '
        'role="img" aria-labelledby="chart-title chart-desc" data-testid="progress-chart">\n'
        f'  <title id="chart-title">{heading}</title>\n'
        f'  <desc id="chart-desc">{description}</desc>\n'
        '  <g class="pc-chart-grid">\n'
        f"    {y_ticks}\n"
        f"    {x_ticks}\n"
        "  </g>\n"
        f"  {today}\n"
        f"  {expected}\n"
        f"  {actual}\n"
        f"  {dots}\n"
        "</svg>\n"
        '<figcaption class="small text-body-secondary d-flex flex-wrap gap-3 mt-1">\n'
        '  <span><svg width="24" height="8" aria-hidden="true"><line x1="0" x2="24" y1="4" '
        f'y2="4" stroke="#2e75b6" stroke-width="2.5"/></svg> {gettext("Actual")}</span>\n'
        f"  {expected_key}\n"
        "</figcaption>\n"
        "</figure>\n"
        "\n"
    )
