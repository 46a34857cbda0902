"""Pure arithmetic of the implementation stage (no ORM): cadence periods, expected
trajectories (linear or through milestones), deviation severity from the gap, the grace
period and the "no update yet" state, the day a report is judged at, the assessment of
one goal, and whether a goal behind again raises a new deviation after a closed one."""

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from goals import rules

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


def expected_value(
    *, baseline: Decimal | None, target: Decimal | None, start: dt.date, due: dt.date, day: dt.date
) -> Decimal | None:
    """The value the linear trajectory expects on ``day``: from the baseline (0 without
    one) at ``start`` to the target at ``due``; None without a target."""
    if target is None:
        return None
    base = baseline if baseline is not None else Decimal("0")
    share = expected_percent(start=start, due=due, today=day) / 100
    return (base + (target - base) * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected_line(
    *, baseline: Decimal | None, target: Decimal | None, start: dt.date, due: dt.date, last: dt.date
) -> list[tuple[dt.date, Decimal]]:
    """The corner points of the expected path to draw: baseline at ``start``, target at
    ``due``, held flat until ``last`` when that is later; none without a target."""
    if target is None:
        return []
    line = [(start, baseline if baseline is not None else Decimal("0")), (due, target)]
    if last > due:
        line.append((last, target))
    return line


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


# --- The day a report is judged at ------------------------------------------------------


def report_current_until(reported_on: dt.date, *, cadence: str, grace_days: int) -> dt.date:
    """The last day a value reported on ``reported_on`` is current: one period of the
    cycle's check-in cadence and the check-in grace days later (then the next report is
    overdue, as a check-in is marked missed)."""
    if cadence == "weekly":
        next_due = reported_on + dt.timedelta(days=7)
    elif cadence == "fortnightly":
        next_due = reported_on + dt.timedelta(days=14)
    elif cadence == "monthly":
        next_due = _add_months(reported_on, 1)
    else:
        raise ValueError(f"unknown cadence {cadence!r}")
    return next_due + dt.timedelta(days=grace_days)


def judged_on(
    *,
    reported_on: dt.date | None,
    today: dt.date,
    due: dt.date,
    cadence: str | None,
    grace_days: int = 0,
) -> dt.date:
    """The day whose plan a goal's latest reported value is compared with.

    A current report is judged against the plan as of its own date: the plan's growth
    since then is not held against a value that could not know it (a goal exactly on
    plan at its check-in is not behind the day before the next one). An overdue report
    (no update for longer than the cadence and the grace days) is judged against today's
    plan, as a missing value is once its due date has passed: silence stops protecting
    a goal once the update it owes is late. Once the goal's due date has passed, the
    whole target is expected whatever the report's date (as for "no update yet").
    Without a report date (a value set outside check-ins and progress updates) or a
    cadence, today's plan applies."""
    if reported_on is None or cadence is None or reported_on >= today or today > due:
        return today
    if today > report_current_until(reported_on, cadence=cadence, grace_days=grace_days):
        return today
    return reported_on


# --- Assessment of one goal against its trajectory ---------------------------------------


def grace_start(*, approved_on: dt.date | None, implementation_started_on: dt.date) -> dt.date:
    """The day a goal's grace period starts: the later of its approval and the start of
    implementation (a goal approved during planning waits for implementation)."""
    if approved_on is None:
        return implementation_started_on
    return max(approved_on, implementation_started_on)


def is_assessable(
    *,
    has_value: bool,
    due: dt.date,
    today: dt.date,
    grace_from: dt.date,
    grace_days: int,
) -> bool:
    """Whether a goal can be behind today. "No update yet" is its own state, not 0 %: a
    goal without a reported value is only judged once its due date has passed, and a
    goal younger than the grace period (``grace_days`` from ``grace_from``) never is."""
    if today < grace_from + dt.timedelta(days=grace_days):
        return False
    return has_value or today > due


@dataclass(frozen=True)
class Assessment:
    """Where a goal stands today against its trajectory (percentages, 0–100).
    ``severity`` is None when on track or not assessable (``assessable`` False: no update
    yet, or still in its grace period); ``has_value`` False reads "No update yet"."""

    expected: Decimal
    actual: Decimal
    severity: str | None
    has_value: bool = True
    assessable: bool = True
    as_of: dt.date | None = None  # the day whose plan ``expected`` is (``judged_on``)

    @property
    def gap(self) -> Decimal:
        return self.expected - self.actual


def assess(
    *,
    baseline: Decimal | None,
    target: Decimal | None,
    current_value: Decimal | None,
    direction: str | None,
    start: dt.date,
    due: dt.date,
    today: dt.date,
    margin: Decimal,
    grace_from: dt.date | None = None,
    grace_days: int = 0,
    expected: Decimal | None = None,
    reported_on: dt.date | None = None,
    cadence: str | None = None,
    report_grace_days: int = 0,
) -> Assessment:
    """Expected and actual progress of one goal and how far behind it is. Without
    ``grace_from`` there is no grace period. The plan is read on the day ``judged_on``
    gives for ``reported_on`` (the date of the latest reported value) under the cycle's
    ``cadence`` and check-in grace days (``report_grace_days``); without them, today.
    ``expected`` may be given precomputed (it depends only on start, due and that day)."""
    as_of = today
    if current_value is not None:
        as_of = judged_on(
            reported_on=reported_on,
            today=today,
            due=due,
            cadence=cadence,
            grace_days=report_grace_days,
        )
    if expected is None:
        expected = expected_percent(start=start, due=due, today=as_of)
    actual = rules.goal_progress(
        baseline=baseline,
        target=target,
        actual=current_value,
        direction=direction or "higher",
    )
    has_value = current_value is not None
    assessable = is_assessable(
        has_value=has_value,
        due=due,
        today=today,
        grace_from=grace_from or start,
        grace_days=grace_days if grace_from is not None else 0,
    )
    return Assessment(
        expected=expected,
        actual=actual,
        severity=severity(gap=expected - actual, margin=margin) if assessable else None,
        has_value=has_value,
        assessable=assessable,
        as_of=as_of,
    )


# --- Raising again after a closed deviation -----------------------------------------------


@dataclass(frozen=True)
class ClosedDeviation:
    """The latest closed deviation of a goal, as far as raising a new one goes."""

    status: str  # "resolved" or "accepted"
    closed_at: dt.datetime
    closed_on: dt.date  # ``closed_at``'s local day
    actual: Decimal  # the goal's actual progress (%) when it was closed


def raises_again(
    previous: ClosedDeviation | None,
    *,
    actual: Decimal,
    last_report_at: dt.datetime | None,
    due: dt.date,
    today: dt.date,
    margin: Decimal,
) -> bool:
    """Whether a goal behind its trajectory today, with no unresolved deviation, gets a
    new one, given its latest closed deviation (None: it never had one).

    - Resolved (by a person, or by the detection as back on track): only after a new
      report — a value recorded after it was closed — shows the goal behind again.
      The same figures that were resolved never raise it anew.
    - Accepted: the accepted shortfall holds until something material changes: the
      goal's actual progress falls more than the margin below the accepted one, or the
      goal's due date (the cycle's implementation deadline without one) passes after
      the acceptance, when the whole target is expected.
    """
    if previous is None:
        return True
    if previous.status == "accepted":
        if actual < previous.actual - margin:
            return True
        return previous.closed_on <= due < today
    return last_report_at is not None and last_report_at > previous.closed_at
