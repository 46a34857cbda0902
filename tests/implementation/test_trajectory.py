"""The implementation stage's pure arithmetic: cadence periods, expected trajectories and
deviation severity. No database."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from implementation import trajectory

D = dt.date


# --- periods ----------------------------------------------------------------------------


def test_weekly_periods_are_seven_days_and_the_last_is_cut_at_the_end():
    """Weekly periods run seven days from the start; the last one stops at the end date."""
    assert trajectory.periods(D(2026, 1, 1), D(2026, 1, 31), "weekly") == [
        (D(2026, 1, 1), D(2026, 1, 7)),
        (D(2026, 1, 8), D(2026, 1, 14)),
        (D(2026, 1, 15), D(2026, 1, 21)),
        (D(2026, 1, 22), D(2026, 1, 28)),
        (D(2026, 1, 29), D(2026, 1, 31)),
    ]


def test_fortnightly_periods_are_fourteen_days_and_the_last_is_cut():
    """Fortnightly periods run fourteen days; the remainder is a short last period."""
    assert trajectory.periods(D(2026, 1, 1), D(2026, 1, 31), "fortnightly") == [
        (D(2026, 1, 1), D(2026, 1, 14)),
        (D(2026, 1, 15), D(2026, 1, 28)),
        (D(2026, 1, 29), D(2026, 1, 31)),
    ]


def test_monthly_periods_from_the_first_are_calendar_months_with_leap_february():
    """From the 1st, monthly periods are calendar months (29 February in a leap year)."""
    assert trajectory.periods(D(2028, 1, 1), D(2028, 3, 15), "monthly") == [
        (D(2028, 1, 1), D(2028, 1, 31)),
        (D(2028, 2, 1), D(2028, 2, 29)),
        (D(2028, 3, 1), D(2028, 3, 15)),
    ]


def test_monthly_periods_from_a_month_end_do_not_drift():
    """From the 31st, each period starts on the 31st or the month's last day, and a
    short February does not pull later periods earlier."""
    assert trajectory.periods(D(2026, 1, 31), D(2026, 5, 31), "monthly") == [
        (D(2026, 1, 31), D(2026, 2, 27)),
        (D(2026, 2, 28), D(2026, 3, 30)),
        (D(2026, 3, 31), D(2026, 4, 29)),
        (D(2026, 4, 30), D(2026, 5, 30)),
        (D(2026, 5, 31), D(2026, 5, 31)),
    ]


def test_monthly_periods_cross_the_year_end():
    """December rolls into January of the next year."""
    assert trajectory.periods(D(2026, 11, 15), D(2027, 1, 20), "monthly") == [
        (D(2026, 11, 15), D(2026, 12, 14)),
        (D(2026, 12, 15), D(2027, 1, 14)),
        (D(2027, 1, 15), D(2027, 1, 20)),
    ]


@pytest.mark.parametrize("cadence", ["weekly", "fortnightly", "monthly"])
def test_periods_cover_the_range_without_gaps_or_overlaps(cadence):
    """Whatever the cadence, consecutive periods touch and cover start to end exactly."""
    start, end = D(2026, 1, 1), D(2026, 10, 28)
    result = trajectory.periods(start, end, cadence)
    assert result[0][0] == start
    assert result[-1][1] == end
    for (_first, last), (next_first, _next_last) in zip(result, result[1:], strict=False):
        assert next_first == last + dt.timedelta(days=1)


def test_a_one_day_range_is_one_period():
    """Start equal to end gives a single one-day period."""
    assert trajectory.periods(D(2026, 3, 1), D(2026, 3, 1), "weekly") == [
        (D(2026, 3, 1), D(2026, 3, 1))
    ]


def test_an_end_before_the_start_gives_no_periods():
    """A range that ends before it starts has no periods."""
    assert trajectory.periods(D(2026, 3, 1), D(2026, 2, 1), "monthly") == []


def test_an_unknown_cadence_is_refused():
    """A cadence other than weekly, fortnightly or monthly is an error, not a guess."""
    with pytest.raises(ValueError, match="quarterly"):
        trajectory.periods(D(2026, 1, 1), D(2026, 12, 31), "quarterly")


# --- period_containing --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 1, 1), (D(2026, 1, 1), D(2026, 1, 7))),  # first day of the range
        (D(2026, 1, 14), (D(2026, 1, 8), D(2026, 1, 14))),  # last day of a period
        (D(2026, 1, 15), (D(2026, 1, 15), D(2026, 1, 21))),  # first day of the next
        (D(2026, 1, 31), (D(2026, 1, 29), D(2026, 1, 31))),  # in the cut last period
    ],
)
def test_period_containing_finds_the_period_of_a_day(day, expected):
    """The period a day falls in, boundaries included."""
    assert trajectory.period_containing(day, D(2026, 1, 1), D(2026, 1, 31), "weekly") == expected


@pytest.mark.parametrize("day", [D(2025, 12, 31), D(2026, 2, 1)])
def test_period_containing_is_none_outside_the_range(day):
    """Before the start or after the end there is no period."""
    assert trajectory.period_containing(day, D(2026, 1, 1), D(2026, 1, 31), "weekly") is None


# --- expected_percent -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2025, 12, 1), Decimal("0")),  # before the start
        (D(2026, 1, 1), Decimal("0")),  # on the start
        (D(2026, 1, 2), Decimal("10.00")),  # one day of ten
        (D(2026, 1, 6), Decimal("50.00")),  # half way
        (D(2026, 1, 11), Decimal("100")),  # on the due date
        (D(2026, 6, 1), Decimal("100")),  # long after
    ],
)
def test_expected_percent_is_a_straight_line_from_start_to_due(today, expected):
    """0 % until the start, linear to 100 % on the due date, 100 % after it."""
    assert (
        trajectory.expected_percent(start=D(2026, 1, 1), due=D(2026, 1, 11), today=today)
        == expected
    )


def test_expected_percent_rounds_half_up_to_two_places():
    """One day of three is 33.33 %, two days 66.67 %."""
    start, due = D(2026, 1, 1), D(2026, 1, 4)
    assert trajectory.expected_percent(start=start, due=due, today=D(2026, 1, 2)) == Decimal(
        "33.33"
    )
    assert trajectory.expected_percent(start=start, due=due, today=D(2026, 1, 3)) == Decimal(
        "66.67"
    )


def test_expected_percent_when_due_equals_start():
    """A goal due the day it starts is expected complete from that day (no division by
    zero), and 0 % before it."""
    day = D(2026, 1, 1)
    assert trajectory.expected_percent(start=day, due=day, today=day) == Decimal("100")
    assert trajectory.expected_percent(start=day, due=day, today=D(2025, 12, 31)) == Decimal("0")


# --- expected_from_milestones -----------------------------------------------------------


MILESTONES = [(D(2026, 1, 1), Decimal("0")), (D(2026, 3, 1), Decimal("60"))]


def test_milestones_interpolate_linearly_between_points():
    """Between two milestones the expectation is on the straight line joining them."""
    milestones = [(D(2026, 1, 1), Decimal("0")), (D(2026, 1, 11), Decimal("40"))]
    assert trajectory.expected_from_milestones(milestones, today=D(2026, 1, 6)) == Decimal("20.00")


def test_milestones_on_a_point_and_after_the_last():
    """On a milestone date its value; after the last milestone, the last value."""
    assert trajectory.expected_from_milestones(MILESTONES, today=D(2026, 3, 1)) == Decimal("60")
    assert trajectory.expected_from_milestones(MILESTONES, today=D(2026, 9, 1)) == Decimal("60")


def test_milestones_before_the_first_expect_nothing():
    """Before the first milestone nothing is expected yet, even if it expects more."""
    milestones = [(D(2026, 2, 1), Decimal("25")), (D(2026, 3, 1), Decimal("50"))]
    assert trajectory.expected_from_milestones(milestones, today=D(2026, 1, 15)) == Decimal("0")
    assert trajectory.expected_from_milestones(milestones, today=D(2026, 2, 1)) == Decimal("25")


def test_milestones_are_sorted_first():
    """Milestones given out of order are read in date order."""
    shuffled = [(D(2026, 1, 11), Decimal("40")), (D(2026, 1, 1), Decimal("0"))]
    assert trajectory.expected_from_milestones(shuffled, today=D(2026, 1, 6)) == Decimal("20.00")


def test_no_milestones_expect_nothing():
    """Without milestones the expectation is 0 %."""
    assert trajectory.expected_from_milestones([], today=D(2026, 1, 1)) == Decimal("0")


# --- severity ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gap", "expected"),
    [
        ("-5", None),  # ahead of plan
        ("0", None),
        ("10", None),  # exactly the margin is still within it
        ("10.01", "low"),
        ("20", "low"),
        ("20.01", "medium"),
        ("30", "medium"),
        ("30.01", "high"),
        ("95", "high"),
    ],
)
def test_severity_grows_with_the_gap_in_multiples_of_the_margin(gap, expected):
    """Within the margin no deviation; up to twice it low, three times medium, then high."""
    assert trajectory.severity(gap=Decimal(gap), margin=Decimal("10")) == expected


# --- expected values and the line to draw -------------------------------------------------


def test_the_expected_value_moves_from_baseline_to_target():
    """Baseline 10, target 30 over 100 days: 20 halfway, 30 from the due date on; no
    target, no expectation; no baseline counts from 0."""
    start, due = D(2026, 1, 1), D(2026, 4, 11)
    half = D(2026, 2, 20)
    value = trajectory.expected_value
    assert value(baseline=Decimal("10"), target=Decimal("30"), start=start, due=due, day=half) == (
        Decimal("20.00")
    )
    assert value(baseline=Decimal("10"), target=Decimal("30"), start=start, due=due, day=due) == (
        Decimal("30.00")
    )
    assert value(baseline=None, target=Decimal("30"), start=start, due=due, day=half) == Decimal(
        "15.00"
    )
    assert value(baseline=Decimal("1"), target=None, start=start, due=due, day=half) is None


def test_the_expected_line_is_held_flat_after_the_due_date():
    """Two corners to the due date, a third when today (or a late update) is later."""
    start, due = D(2026, 1, 1), D(2026, 6, 30)
    line = trajectory.expected_line
    assert line(baseline=None, target=Decimal("8"), start=start, due=due, last=due) == [
        (start, Decimal("0")),
        (due, Decimal("8")),
    ]
    assert line(
        baseline=Decimal("2"), target=Decimal("8"), start=start, due=due, last=D(2026, 7, 9)
    )[-1] == (D(2026, 7, 9), Decimal("8"))
    assert line(baseline=None, target=None, start=start, due=due, last=due) == []


# --- grace period and "no update yet" -------------------------------------------------------


def test_grace_starts_at_the_later_of_approval_and_implementation():
    """Approved in planning: grace waits for implementation; approved later: from then."""
    started = D(2026, 2, 1)
    assert trajectory.grace_start(
        approved_on=D(2026, 1, 20), implementation_started_on=started
    ) == (started)
    assert trajectory.grace_start(approved_on=D(2026, 3, 5), implementation_started_on=started) == (
        D(2026, 3, 5)
    )
    assert trajectory.grace_start(approved_on=None, implementation_started_on=started) == started


@pytest.mark.parametrize(
    ("has_value", "today", "assessable"),
    [
        (True, D(2026, 2, 14), False),  # day 13 of 14: still in grace
        (True, D(2026, 2, 15), True),  # grace over, a value reported
        (False, D(2026, 5, 1), False),  # no update yet, not due
        (False, D(2026, 6, 30), False),  # due today: not yet passed
        (False, D(2026, 7, 1), True),  # due date passed without a value
    ],
)
def test_a_goal_is_judged_with_a_value_or_once_overdue_and_never_in_grace(
    has_value, today, assessable
):
    """Grace 14 days from 1 Feb, due 30 Jun."""
    assert (
        trajectory.is_assessable(
            has_value=has_value,
            due=D(2026, 6, 30),
            today=today,
            grace_from=D(2026, 2, 1),
            grace_days=14,
        )
        is assessable
    )


# --- The day a report is judged at (defect: on-plan goals flagged between check-ins) ----

START, DUE = D(2026, 1, 1), D(2026, 10, 28)  # a 300-day straight line


def on_plan_value(day: dt.date) -> Decimal:
    """The value exactly on the 0 → 100 straight line on ``day``."""
    return trajectory.expected_percent(start=START, due=DUE, today=day)


def judge(value, *, reported_on, today, cadence="monthly", grace=3):
    return trajectory.assess(
        baseline=Decimal("0"),
        target=Decimal("100"),
        current_value=value,
        direction=None,
        start=START,
        due=DUE,
        today=today,
        margin=Decimal("10"),
        reported_on=reported_on,
        cadence=cadence,
        report_grace_days=grace,
    )


def test_a_goal_on_plan_at_its_check_in_is_on_track_until_the_next_one():
    """On plan on 31 May; on 1 July (31 days on, 10.3 points of plan later) it is judged
    against the plan of 31 May: on track, gap 0."""
    result = judge(on_plan_value(D(2026, 5, 31)), reported_on=D(2026, 5, 31), today=D(2026, 7, 1))
    assert (result.as_of, result.gap, result.severity) == (D(2026, 5, 31), 0, None)


def test_an_overdue_report_is_judged_against_todays_plan():
    """No update for longer than a month and the 3 grace days: today's plan again."""
    reported = D(2026, 5, 31)
    last_current = trajectory.report_current_until(reported, cadence="monthly", grace_days=3)
    assert last_current == D(2026, 7, 3)
    assert judge(on_plan_value(reported), reported_on=reported, today=last_current).as_of == (
        reported
    )
    late = judge(on_plan_value(reported), reported_on=reported, today=D(2026, 7, 10))
    assert (late.as_of, late.severity) == (D(2026, 7, 10), "low")


@pytest.mark.parametrize(
    ("cadence", "current_until"),
    [("weekly", D(2026, 3, 13)), ("fortnightly", D(2026, 3, 20)), ("monthly", D(2026, 4, 6))],
)
def test_a_report_is_current_for_one_cadence_period_and_the_grace_days(cadence, current_until):
    assert (
        trajectory.report_current_until(D(2026, 3, 3), cadence=cadence, grace_days=3)
        == current_until
    )


def test_without_a_report_date_or_cadence_today_s_plan_applies():
    """A value set outside check-ins (no date known): judged as before, on today's plan."""
    today = D(2026, 7, 1)
    assert judge(Decimal("50"), reported_on=None, today=today).as_of == today
    assert judge(Decimal("50"), reported_on=D(2026, 6, 20), today=today, cadence=None).as_of == (
        today
    )


DAYS = [START + dt.timedelta(days=n) for n in range(0, 330, 7)]


@pytest.mark.parametrize("cadence", ["weekly", "fortnightly", "monthly"])
def test_property_a_value_on_plan_when_reported_is_on_track_while_current(cadence):
    """For every report day and every later day while the report is current, a value on
    plan at its report is on track; and the day judged at never lies before the report
    nor after today."""
    for reported in DAYS:
        until = trajectory.report_current_until(reported, cadence=cadence, grace_days=3)
        for today in [reported + dt.timedelta(days=n) for n in range(0, 50, 3)]:
            result = judge(
                on_plan_value(reported), reported_on=reported, today=today, cadence=cadence
            )
            assert reported <= result.as_of <= today
            if today <= until:
                assert result.severity is None, (reported, today)
            else:
                assert result.as_of == today


def test_property_judging_at_the_report_never_flags_more_than_judging_today():
    """The plan only grows: for any value, reading it at the report's date is never more
    severe than reading it today (the old rule)."""
    order = [None, "low", "medium", "high"]
    for reported in DAYS:
        for value in (Decimal(v) for v in range(0, 101, 5)):
            for days_on in (1, 15, 30, 40, 90):
                today = reported + dt.timedelta(days=days_on)
                fresh = judge(value, reported_on=reported, today=today)
                old = judge(value, reported_on=None, today=today)
                assert order.index(fresh.severity) <= order.index(old.severity)


# --- Raising again after a closed deviation (defect: accepting did not stick) -----------

AT = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
NEXT_DAY = D(2026, 6, 2)


def closed(status, actual="20", at=AT):
    return trajectory.ClosedDeviation(
        status=status, closed_at=at, closed_on=at.date(), actual=Decimal(actual)
    )


def again(previous, *, actual="20", report_at=None, due=DUE, today=NEXT_DAY):
    return trajectory.raises_again(
        previous,
        actual=Decimal(actual),
        last_report_at=report_at,
        due=due,
        today=today,
        margin=Decimal("10"),
    )


def test_a_goal_that_never_had_a_deviation_raises_one():
    assert again(None) is True


def test_an_accepted_shortfall_holds_the_next_night_and_while_no_worse_than_the_margin():
    """Accepted at 20 %: still 20 %, or 10.01 % after a new report, holds; below 10 %
    (more than the margin worse) raises again."""
    later = AT + dt.timedelta(days=20)
    assert again(closed("accepted")) is False
    assert again(closed("accepted"), actual="10", report_at=later) is False
    assert again(closed("accepted"), actual="9.99", report_at=later) is True


def test_an_accepted_shortfall_is_weighed_again_once_the_due_date_passes():
    """Accepted before the due date: once it has passed, the whole target is expected and
    the shortfall is new; accepted after the due date, it holds."""
    due = D(2026, 6, 30)
    assert again(closed("accepted"), due=due, today=due) is False
    assert again(closed("accepted"), due=due, today=D(2026, 7, 1)) is True
    after_due = dt.datetime(2026, 7, 5, 9, tzinfo=dt.UTC)
    assert again(closed("accepted", at=after_due), due=due, today=D(2026, 7, 6)) is False


def test_a_resolved_deviation_is_raised_again_only_after_a_new_report():
    """Resolved (or back on track): the figures it was resolved on raise nothing; a value
    reported after it was closed that is behind raises a new one."""
    assert again(closed("resolved")) is False
    assert again(closed("resolved"), report_at=AT - dt.timedelta(days=3)) is False
    assert again(closed("resolved"), report_at=AT + dt.timedelta(minutes=1)) is True


def test_property_raising_again_is_monotonic_in_how_far_behind_and_how_late():
    """Over a grid: an accepted shortfall that raises at some actual also raises at every
    lower one; a resolved one never raises without a report after its closing; nothing
    closed always raises."""
    actuals = [Decimal(v) for v in range(0, 101, 2)]
    days = [AT.date() + dt.timedelta(days=n) for n in range(0, 200, 9)]
    reports = [None, AT - dt.timedelta(days=1), AT + dt.timedelta(days=1)]
    for accepted in ("0", "20", "55"):
        for today in days:
            for report_at in reports:
                raised = [
                    again(
                        closed("accepted", accepted),
                        actual=str(a),
                        report_at=report_at,
                        today=today,
                    )
                    for a in actuals
                ]
                # True for low actuals, then False: never False then True again.
                assert raised == sorted(raised, reverse=True)
                assert all(
                    again(None, actual=str(a), report_at=report_at, today=today) for a in actuals
                )
                resolved = again(closed("resolved", accepted), report_at=report_at, today=today)
                assert resolved is (report_at is not None and report_at > AT)


# --- Properties over generated cases (hypothesis) ---------------------------------------

CADENCES = st.sampled_from(["weekly", "fortnightly", "monthly", None])


@given(
    reported=st.one_of(st.none(), st.dates(D(2025, 12, 1), D(2026, 11, 30))),
    today=st.dates(D(2026, 1, 1), D(2026, 12, 31)),
    cadence=CADENCES,
    grace=st.integers(0, 30),
)
def test_property_the_day_judged_is_never_after_today_nor_before_the_report(
    reported, today, cadence, grace
):
    """Whatever the dates: the plan read is today's or the report's own, never a day the
    report could not know (after today) nor earlier than the report; past the due date
    it is always today's (the whole target is expected)."""
    day = trajectory.judged_on(
        reported_on=reported, today=today, due=DUE, cadence=cadence, grace_days=grace
    )
    assert day <= today
    assert day in (today, reported)
    if today > DUE or reported is None or cadence is None:
        assert day == today


@given(
    accepted=st.decimals(0, 100, places=2),
    actual=st.decimals(0, 100, places=2),
    lower=st.decimals(0, 100, places=2),
    days_on=st.integers(0, 400),
)
def test_property_an_accepted_shortfall_that_raises_raises_for_any_worse_value(
    accepted, actual, lower, days_on
):
    """Monotonic in how far behind: if a value raises an accepted shortfall again, any
    lower value does too; a value at or above the accepted one never does before the
    due date."""
    today = AT.date() + dt.timedelta(days=days_on)
    previous = closed("accepted", str(accepted))
    worse = min(actual, lower)
    if again(previous, actual=str(actual), today=today):
        assert again(previous, actual=str(worse), today=today)
    if actual >= accepted and today <= DUE:
        assert not again(previous, actual=str(actual), today=today)
