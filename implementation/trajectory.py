"""Pure arithmetic of the implementation stage (no ORM): cadence periods, expected
trajectories and deviation severity."""

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal("100")


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def periods(start: dt.date, end: dt.date, cadence: str) -> list[tuple[dt.date, dt.date]]:
    """The check-in periods covering [start, end]: weekly, fortnightly or monthly.
    Each period is (first day, last day); the last one is cut at ``end``."""
    if end < start:
        return []
    result = []
    first = start
    while first <= end:
        if cadence == "weekly":
            nxt = first + dt.timedelta(days=7)
        elif cadence == "fortnightly":
            nxt = first + dt.timedelta(days=14)
        elif cadence == "monthly":
            nxt = _add_months(start, len(result) + 1)
        else:
            raise ValueError(f"unknown cadence {cadence!r}")
        result.append((first, min(nxt - dt.timedelta(days=1), end)))
        first = nxt
    return result


def period_containing(
    day: dt.date, start: dt.date, end: dt.date, cadence: str
) -> tuple[dt.date, dt.date] | None:
    for first, last in periods(start, end, cadence):
        if first <= day <= last:
            return first, last
    return None


def expected_percent(*, start: dt.date, due: dt.date, today: dt.date) -> Decimal:
    """Linear trajectory: 0 % at ``start``, 100 % at ``due``, 100 % after it."""
    if today >= due:
        return HUNDRED
    if today <= start:
        return Decimal("0")
    elapsed = Decimal((today - start).days)
    total = Decimal((due - start).days)
    return (elapsed / total * HUNDRED).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected_from_milestones(
    milestones: list[tuple[dt.date, Decimal]], *, today: dt.date
) -> Decimal:
    """Trajectory through dated milestones (date, expected %), linear between them."""
    points = sorted(milestones)
    if not points:
        return Decimal("0")
    if today <= points[0][0]:
        return points[0][1] if today == points[0][0] else Decimal("0")
    for (d0, p0), (d1, p1) in zip(points, points[1:], strict=False):
        if d0 <= today <= d1:
            if d1 == d0:
                return p1
            share = Decimal((today - d0).days) / Decimal((d1 - d0).days)
            return (p0 + (p1 - p0) * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return points[-1][1]


def severity(*, gap: Decimal, margin: Decimal) -> str | None:
    """None when within the margin; else low, medium or high by how far behind."""
    if gap <= margin:
        return None
    if gap <= margin * 2:
        return "low"
    if gap <= margin * 3:
        return "medium"
    return "high"
