"""Chart geometry (perfcycle.charts): pure, no database."""

import datetime as dt
from decimal import Decimal

from perfcycle.charts import nice_scale, number_text, progress_chart, sparkline


def test_the_chart_axis_is_on_round_numbers():
    """The value axis runs on round steps that cover the data (1, 2, 2.5 or 5 × 10ⁿ)."""
    assert nice_scale(Decimal("0.76"), Decimal("10")) == (0, 10, Decimal("2.5"))
    assert nice_scale(Decimal("-5"), Decimal("120")) == (-50, 150, 50)
    assert nice_scale(Decimal("3"), Decimal("3")) == (2, 4, Decimal("0.5"))


def test_the_chart_puts_points_in_the_plot_and_marks_today():
    """Dates map left to right, values bottom to top; today gets a marker inside the
    range and none outside it; coordinates are plain strings with a dot."""
    start, due = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    chart = progress_chart(
        series=[(dt.date(2026, 3, 1), Decimal("2")), (dt.date(2026, 6, 1), Decimal("6"))],
        expected=[(start, Decimal("0")), (due, Decimal("10"))],
        today=dt.date(2026, 7, 1),
    )
    first, second = (point.split(",") for point in chart.actual_points.split())
    assert float(first[0]) < float(second[0])
    assert float(first[1]) > float(second[1])  # higher values are drawn higher up
    assert chart.expected_points.split()[0] == f"{chart.left:.1f},{chart.plot_bottom:.1f}"
    assert chart.today_x is not None and "." in chart.today_x
    assert [t.label for t in chart.y_ticks] == ["0", "2.5", "5", "7.5", "10"]
    outside = progress_chart(series=[], expected=[(start, 0), (due, 10)], today=dt.date(2027, 6, 1))
    assert outside.today_x is None
    assert progress_chart(series=[], expected=[], today=start) is None


def test_the_chart_gives_the_rows_for_the_table_beside_it():
    """One row per actual point, oldest first, with the date and value as shown."""
    chart = progress_chart(
        series=[(dt.date(2026, 3, 1), Decimal("2.5")), (dt.date(2026, 6, 1), Decimal("6"))],
        expected=[],
        today=dt.date(2026, 7, 1),
    )
    assert [(r.date_text, r.value_text) for r in chart.rows] == [
        ("1 Mar 2026", "2.5"),
        ("1 Jun 2026", "6"),
    ]


def test_a_single_point_chart_still_has_a_width():
    """One date only: the x axis spans a day rather than dividing by zero."""
    chart = progress_chart(
        series=[(dt.date(2026, 3, 1), Decimal("4"))], expected=[], today=dt.date(2026, 3, 1)
    )
    assert (
        chart.actual_points
        == f"{chart.left:.1f},{chart.top + (chart.plot_bottom - chart.top) / 2:.1f}"
    )


def test_the_sparkline_runs_left_to_right_bottom_to_top_with_gaps():
    """Confidence 1 is at the bottom, 5 at the top (3 px padding); None leaves a gap but
    keeps its slot; the text and rows list every value."""
    line = sparkline([1, None, 5], width=96, height=24)
    assert line.points == "0.0,21.0 96.0,3.0"
    assert line.text == "1 – 5"
    assert line.rows == ((1, 1), (2, None), (3, 5))
    assert line.last == 5
    assert sparkline([]).points == "" and sparkline([]).last is None
    assert sparkline([3]).points == "0.0,12.0"


def test_numbers_are_shown_without_trailing_zeros():
    """2.50 reads 2.5, 6.00 reads 6."""
    assert (number_text(Decimal("2.50")), number_text(Decimal("6.00"))) == ("2.5", "6")
