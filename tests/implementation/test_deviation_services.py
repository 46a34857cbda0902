"""Deviations: the trajectory arithmetic (pure), nightly detection, and the corrective
workflow (agree, resolve, accept) with its actors, audit and notifications."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from goals.models import Direction, Indicator, RatingScale
from implementation.models import CheckIn, CheckinSettings, Deviation, DeviationStatus
from implementation.selectors import deviations as deviation_selectors
from implementation.services import checkins as checkin_services
from implementation.services import deviations
from implementation.services.deviations import DeviationWorkflowError, assess
from perfcycle.audit import record_event
from perfcycle.models import AuditEvent, Cycle, Notification, Participation
from perfcycle.services import ConcurrentEditError
from perfcycle.stages import Viewer
from perfcycle.workflow import SYSTEM
from tests.factories import enrol, make_cycle, version_of
from tests.goals.factories import make_goal
from tests.implementation.factories import make_checkin, make_progress

START = dt.date(2026, 1, 1)
DEADLINE = START + dt.timedelta(days=300)  # make_cycle's implementation deadline
MID = START + dt.timedelta(days=150)  # halfway: 50 % expected
D = Decimal


# --- The arithmetic (no database) ---------------------------------------------------------


def figures(**overrides):
    values = {
        "baseline": D("0"),
        "target": D("100"),
        "current_value": D("20"),
        "direction": None,
        "start": START,
        "due": DEADLINE,
        "today": MID,
        "margin": D("10"),
    }
    values.update(overrides)
    return assess(**values)


def test_halfway_with_a_fifth_done_is_thirty_points_behind():
    """50 % expected, 20 % done: 30 points behind, three margins → medium."""
    result = figures()
    assert (result.expected, result.actual, result.gap) == (D("50.00"), D("20.00"), D("30.00"))
    assert result.severity == "medium"


def test_after_the_due_date_everything_is_expected():
    """Once the due date has passed the trajectory expects 100 %."""
    result = figures(today=DEADLINE + dt.timedelta(days=3), current_value=D("95"))
    assert result.expected == D("100")
    assert result.severity is None  # 5 points behind, within the margin


def test_target_below_baseline_reads_as_bringing_the_value_down():
    """Baseline 100, target 50, now 75: half way, whether the goal has no indicator or a
    lower-is-better one."""
    for direction in (None, Direction.LOWER):
        result = figures(
            baseline=D("100"), target=D("50"), current_value=D("75"), direction=direction
        )
        assert result.actual == D("50.00")
        assert result.severity is None


def test_no_current_value_is_no_update_yet_not_a_deviation():
    """Without a reported value the goal reads "no update yet": not behind, whatever the
    expected progress, until its due date has passed."""
    result = figures(current_value=None)
    assert (result.has_value, result.assessable, result.severity) == (False, False, None)


def test_no_value_after_the_due_date_counts_as_nothing_done():
    """Once the due date has passed, no reported value is 0 % done: a high deviation."""
    result = figures(current_value=None, due=MID - dt.timedelta(days=1))
    assert result.actual == D("0")
    assert (result.assessable, result.severity) == (True, "high")


def test_a_goal_in_its_grace_period_is_not_judged():
    """Far behind but approved 13 days ago with 14 days' grace: not assessed; a day later
    it is."""
    young = figures(current_value=D("0"), grace_from=MID - dt.timedelta(days=13), grace_days=14)
    assert (young.assessable, young.severity) == (False, None)
    older = figures(current_value=D("0"), grace_from=MID - dt.timedelta(days=14), grace_days=14)
    assert (older.assessable, older.severity) == (True, "high")


def test_zero_length_time_span_expects_everything_at_once():
    """A goal due on the cycle's first day is expected complete from that day."""
    assert figures(due=START, today=START).expected == D("100")
    assert figures(due=START, today=START - dt.timedelta(days=1)).expected == D("0")


def test_zero_length_value_span_is_done_or_not():
    """Target equal to the baseline: 100 % when reached, 0 % when not."""
    assert figures(baseline=D("5"), target=D("5"), current_value=D("5")).actual == D("100")
    reached = figures(baseline=D("5"), target=D("5"), current_value=D("4"))
    assert reached.actual == D("0")


def test_exactly_the_margin_behind_is_still_on_track():
    """Behind by the margin: fine; a hundredth more: a low deviation."""
    assert figures(current_value=D("40")).severity is None
    assert figures(current_value=D("39.99")).severity == "low"


# --- Detection --------------------------------------------------------------------------------


@pytest.fixture
def cycle(org):
    """A cycle in implementation: the manager's two reports and employee2 take part."""
    cycle = make_cycle("FY2026", start=START, phase=Cycle.Phase.IMPLEMENTATION)
    enrol(cycle, org["employee"], org["peer"], org["employee2"])
    return cycle


def approved_goal(owner, cycle, current, **fields):
    values = {"baseline": D("0"), "target": D("100"), "current_value": current}
    values.update(fields)
    return make_goal(owner, cycle=cycle, status="approved", **values)


def titles(person):
    return list(Notification.objects.filter(recipient=person.user).values_list("title", flat=True))


@pytest.mark.django_db
def test_a_goal_behind_raises_one_deviation(org, cycle):
    """Halfway through with 20 % done: an open, medium deviation owned by the goal's owner
    on their participation, audited, and the owner is told (in-app and email outbox)."""
    goal = approved_goal(org["employee"], cycle, D("20"), title="Ship billing")
    result = deviations.detect_deviations(today=MID)
    assert (result.checked, result.raised) == (1, 1)
    deviation = Deviation.objects.get()
    assert deviation.goal == goal
    assert deviation.owner == org["employee"]
    assert deviation.participation.employee == org["employee"]
    assert deviation.participation.cycle == cycle
    assert (deviation.expected_percent, deviation.actual_percent) == (D("50.00"), D("20.00"))
    assert (deviation.severity, deviation.status, deviation.detected_on) == ("medium", "open", MID)
    assert AuditEvent.objects.filter(
        verb="deviation.detected", object_id=str(deviation.pk), actor=None
    ).exists()
    note = Notification.objects.get(recipient=org["employee"].user)
    assert note.title == "“Ship billing” is behind: 20 % done, 50 % expected"
    assert note.url == deviation.get_absolute_url()
    assert note.send_email is True and note.emailed_at is None  # left for the outbox


@pytest.mark.django_db
def test_an_owner_hears_once_however_many_goals_fell_behind(org, cycle):
    """Two goals behind the same night: one notification listing both, to the list."""
    approved_goal(org["employee"], cycle, D("20"), title="Ship billing")
    approved_goal(org["employee"], cycle, D("0"), title="Hire two engineers")
    assert deviations.detect_deviations(today=MID).raised == 2
    note = Notification.objects.get(recipient=org["employee"].user)
    assert note.title == "2 of your goals are behind their expected progress"
    assert "“Ship billing”: 20 % done, 50 % expected" in note.body
    assert "“Hire two engineers”: 0 % done, 50 % expected" in note.body
    assert note.url == reverse("implementation:my-deviations")


@pytest.mark.django_db
def test_a_goal_with_no_update_yet_raises_nothing(org, cycle):
    """Halfway through and nothing reported: "no update yet", not a 0 % deviation."""
    approved_goal(org["employee"], cycle, None, title="Hire two engineers")
    result = deviations.detect_deviations(today=MID)
    assert (result.checked, result.raised, result.not_assessed) == (1, 0, 1)
    assert not Deviation.objects.exists()
    assert titles(org["employee"]) == []


@pytest.mark.django_db
def test_no_update_by_the_due_date_is_a_deviation(org, cycle):
    """Due yesterday and still nothing reported: 0 % done, 100 % expected, high."""
    approved_goal(org["employee"], cycle, None, due_date=MID - dt.timedelta(days=1))
    assert deviations.detect_deviations(today=MID).raised == 1
    deviation = Deviation.objects.get()
    assert (deviation.actual_percent, deviation.expected_percent) == (D("0"), D("100"))
    assert deviation.severity == "high"


@pytest.mark.django_db
def test_a_reported_value_behind_is_a_deviation(org, cycle):
    """A value reported (here 0, through a check-in) and behind: flagged."""
    approved_goal(org["employee"], cycle, D("0"))
    assert deviations.detect_deviations(today=MID).raised == 1
    assert Deviation.objects.get().severity == "high"


@pytest.mark.django_db
def test_a_goal_approved_within_the_grace_period_is_not_flagged(org, cycle):
    """Approved 13 days ago (14 days' grace by default) with nothing done: not yet; on the
    14th day it is. HR's setting shortens the grace."""
    goal = approved_goal(org["employee"], cycle, D("0"))
    with time_machine.travel(dt.datetime(2026, 5, 18, 12, tzinfo=dt.UTC), tick=False):
        record_event(actor=SYSTEM, verb="goal.approved", obj=goal)
    young = MID - dt.timedelta(days=1)  # 30 May, 12 days after approval
    assert deviations.detect_deviations(today=young).raised == 0
    assert deviations.assess_goal(goal, today=young).assessable is False
    CheckinSettings.objects.create(cycle=cycle, deviation_grace_days=7)
    assert deviations.detect_deviations(today=young).raised == 1


@pytest.mark.django_db
def test_no_goal_is_flagged_in_the_first_days_of_implementation(org, cycle):
    """Implementation started the day after planning ended (day 31); ten days later a goal
    with nothing done is still in its grace period; after 14 days it is judged."""
    approved_goal(org["employee"], cycle, D("0"))
    planning_end = cycle.planning_deadline
    assert deviations.detect_deviations(today=planning_end + dt.timedelta(days=10)).raised == 0
    assert deviations.detect_deviations(today=planning_end + dt.timedelta(days=15)).raised == 1


@pytest.mark.django_db
def test_grace_counts_from_the_day_the_cycle_entered_implementation(org, cycle):
    """HR moved the cycle into implementation late (audited): grace counts from then."""
    approved_goal(org["employee"], cycle, D("0"))
    with time_machine.travel(dt.datetime(2026, 5, 25, 9, tzinfo=dt.UTC), tick=False):
        record_event(
            actor=SYSTEM,
            verb="cycle.phase_changed",
            obj=cycle,
            before={"phase": "planning"},
            after={"phase": "implementation"},
        )
    assert deviations.detect_deviations(today=MID).raised == 0  # 6 days in
    assert deviations.detect_deviations(today=MID + dt.timedelta(days=9)).raised == 1


@pytest.mark.django_db
def test_running_detection_twice_adds_nothing(org, cycle):
    """A second run the same night (or the next) finds the deviation already raised."""
    approved_goal(org["employee"], cycle, D("20"))
    deviations.detect_deviations(today=MID)
    again = deviations.detect_deviations(today=MID + dt.timedelta(days=1))
    assert (again.raised, again.still_behind) == (0, 1)
    assert Deviation.objects.count() == 1
    assert len(titles(org["employee"])) == 1


@pytest.mark.django_db(transaction=True)
def test_two_detection_runs_at_once_raise_one_deviation(org, cycle):
    """Two workers at the same moment: the unique index lets one insert win."""
    approved_goal(org["employee"], cycle, D("20"))
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(deviations.detect_deviations(today=MID))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r.raised for r in results) == [0, 1]
    assert Deviation.objects.count() == 1
    assert Notification.objects.filter(recipient=org["employee"].user).count() == 1


@pytest.mark.django_db
def test_goals_on_track_or_out_of_scope_raise_nothing(org, cycle):
    """Within the margin, not approved, without a target, a department goal, or in a
    cycle not in implementation: no deviation."""
    approved_goal(org["employee"], cycle, D("45"))  # 5 points behind
    make_goal(org["employee"], cycle=cycle, status="submitted", target=D("100"))
    approved_goal(org["employee"], cycle, None, target=None)
    make_goal(cycle=cycle, department=org["employee"].department, status="approved", target=D("9"))
    planning = make_cycle("FY2027", start=START)
    enrol(planning, org["peer"])
    approved_goal(org["peer"], planning, D("0"))
    result = deviations.detect_deviations(today=MID)
    assert result.raised == 0
    assert not Deviation.objects.exists()


@pytest.mark.django_db
def test_the_cycle_margin_is_respected(org, cycle):
    """30 points behind: a deviation with the default 10-point margin, none with 30."""
    approved_goal(org["employee"], cycle, D("20"))
    CheckinSettings.objects.create(cycle=cycle, deviation_margin=D("30"))
    assert deviations.detect_deviations(today=MID).raised == 0
    CheckinSettings.objects.filter(cycle=cycle).update(deviation_margin=D("29"))
    assert deviations.detect_deviations(today=MID).raised == 1
    assert Deviation.objects.get().severity == "low"


@pytest.mark.django_db
def test_the_goal_due_date_sets_the_trajectory(org, cycle):
    """A goal due mid-cycle is expected complete by then; without a due date the
    implementation deadline applies."""
    early = approved_goal(org["employee"], cycle, D("60"), due_date=MID)
    approved_goal(org["peer"], cycle, D("60"))
    deviations.detect_deviations(today=MID)
    deviation = Deviation.objects.get()
    assert deviation.goal == early
    assert (deviation.expected_percent, deviation.severity) == (D("100"), "high")


@pytest.mark.django_db
def test_lower_is_better_indicator_counts_progress_downwards(org, cycle):
    """Defects from 100 down to 0, now 90: 10 % done at halfway → behind."""
    scale = RatingScale.objects.create(name="Five")
    defects = Indicator.objects.create(name="Defects", direction=Direction.LOWER, scale=scale)
    approved_goal(
        org["employee"], cycle, D("90"), baseline=D("100"), target=D("0"), indicator=defects
    )
    deviations.detect_deviations(today=MID)
    assert Deviation.objects.get().actual_percent == D("10.00")


@pytest.mark.django_db
def test_an_owner_outside_the_cycle_is_skipped(org, cycle):
    """A goal whose owner does not take part in the cycle cannot carry a deviation."""
    approved_goal(org["manager"], cycle, D("0"))
    result = deviations.detect_deviations(today=MID)
    assert (result.raised, result.skipped) == (0, 1)


@pytest.mark.django_db
def test_a_goal_back_on_track_closes_its_open_deviation(org, cycle):
    """Open → resolved "Back on track", audited, owner told; an agreed action stays."""
    caught_up = approved_goal(org["employee"], cycle, D("20"))
    committed = approved_goal(org["peer"], cycle, D("20"))
    deviations.detect_deviations(today=MID)
    Deviation.objects.filter(goal=committed).update(
        status=DeviationStatus.ACTION_AGREED, corrective_action="Pair up", follow_up_date=MID
    )
    type(caught_up).objects.filter(pk__in=[caught_up.pk, committed.pk]).update(
        current_value=D("55")
    )
    later = MID + dt.timedelta(days=1)
    result = deviations.detect_deviations(today=later)
    assert result.back_on_track == 1
    closed = Deviation.objects.get(goal=caught_up)
    assert closed.status == DeviationStatus.RESOLVED
    assert closed.resolution == "Back on track on 1 Jun 2026."
    assert closed.closed_at is not None and closed.version == 2
    assert AuditEvent.objects.filter(verb="deviation.back_on_track", object_id=str(closed.pk))
    assert "is back on track" in titles(org["employee"])[0]
    assert Deviation.objects.get(goal=committed).status == DeviationStatus.ACTION_AGREED
    # Falling behind again in a new report raises a new deviation.
    type(caught_up).objects.filter(pk=caught_up.pk).update(current_value=D("0"))
    make_progress(caught_up, 0, by=org["employee"], recorded_on=later)
    assert deviations.detect_deviations(today=later).raised == 1


# --- Reports judged at their own date (defect: on-plan goals flagged between check-ins) ---


def report(goal, value, *, on, by):
    """A value reported on ``on`` (a progress update) that becomes the goal's current one."""
    make_progress(goal, value, by=by, recorded_on=on)
    type(goal).objects.filter(pk=goal.pk).update(current_value=D(str(value)))


@pytest.mark.django_db
def test_a_goal_on_plan_at_its_check_in_is_not_flagged_before_the_next_one(org, cycle):
    """Monthly check-ins, a straight 300-day plan: exactly on plan (50 %) on 31 May, the
    nightly check on 1 July (10.33 points of plan later) finds nothing; the deviation
    page reads the plan of 31 May. The old rule flagged it low."""
    goal = approved_goal(org["employee"], cycle, None)
    report(goal, 50, on=MID, by=org["employee"])
    night = MID + dt.timedelta(days=31)
    result = deviations.detect_deviations(today=night)
    assert (result.raised, result.checked) == (0, 1)
    assert not Deviation.objects.exists()
    goal.refresh_from_db()
    now = deviations.assess_goal(goal, today=night)
    assert (now.as_of, now.expected, now.severity) == (MID, D("50.00"), None)
    # The next report, behind the plan of its own day, is flagged as usual.
    report(goal, 45, on=night, by=org["employee"])
    assert deviations.detect_deviations(today=night + dt.timedelta(days=1)).raised == 1


@pytest.mark.django_db
def test_an_overdue_report_is_judged_against_todays_plan(org, cycle):
    """No update for more than a month and the 3 check-in grace days (HR's setting): the
    last value is judged against today's plan again, and a stalled goal is flagged."""
    goal = approved_goal(org["employee"], cycle, None)
    report(goal, 50, on=MID, by=org["employee"])
    assert deviations.detect_deviations(today=dt.date(2026, 7, 3)).raised == 0  # still current
    assert deviations.detect_deviations(today=dt.date(2026, 7, 10)).raised == 1
    deviation = Deviation.objects.get()
    assert (deviation.expected_percent, deviation.severity) == (D("63.33"), "low")


@pytest.mark.django_db
def test_the_check_in_grace_days_lengthen_how_long_a_report_is_current(org, cycle):
    """With 10 grace days a report of 31 May is still current on 10 July."""
    CheckinSettings.objects.create(cycle=cycle, grace_days=10)
    goal = approved_goal(org["employee"], cycle, None)
    report(goal, 50, on=MID, by=org["employee"])
    assert deviations.detect_deviations(today=dt.date(2026, 7, 10)).raised == 0
    assert deviations.detect_deviations(today=dt.date(2026, 7, 11)).raised == 1


@pytest.mark.django_db
def test_a_check_in_on_plan_is_not_flagged_before_the_next_check_in(org, cycle):
    """Through the check-in service: submitted on plan on 31 May (time-machine), checked
    every night of June: nothing raised."""
    goal = approved_goal(org["employee"], cycle, None)
    participation = Participation.objects.get(cycle=cycle, employee=org["employee"])
    checkin = make_checkin(participation, period_start=dt.date(2026, 5, 1))
    with time_machine.travel(dt.datetime(2026, 5, 31, 10, tzinfo=dt.UTC), tick=False):
        checkin_services.submit_checkin(
            actor=org["employee"].user,
            checkin=checkin,
            data={
                "went_well": "Half way",
                "blockers": "",
                "confidence": 4,
                "progress": {goal.pk: {"actual_value": D("50"), "note": ""}},
                "answers": {},
            },
            expected_version=version_of(checkin),
        )
    assert goal.progress_updates.get().recorded_on == MID
    for n in range(1, 32):
        assert deviations.detect_deviations(today=MID + dt.timedelta(days=n)).raised == 0


# --- A closed deviation holds until something material changes ---------------------------


@pytest.fixture
def behind(org, cycle):
    """A goal reported at 20 % halfway (30 points behind) and its open deviation."""
    goal = approved_goal(org["employee"], cycle, None, title="Ship billing")
    report(goal, 20, on=MID, by=org["employee"])
    deviations.detect_deviations(today=MID)
    return goal, Deviation.objects.get()


def accept(deviation, org):
    return deviations.accept_deviation(
        actor=org["hr"].user,
        deviation=deviation,
        reason="The customer postponed the project",
        expected_version=version_of(deviation),
    )


@pytest.mark.django_db
def test_an_accepted_shortfall_is_not_raised_again_the_next_night(org, behind):
    """HR accepts the shortfall; the nightly checks that follow raise nothing new and count
    the goal as kept closed, and the owner hears nothing more (the old rule raised it again
    the next night)."""
    goal, deviation = behind
    done = accept(deviation, org)
    Notification.objects.all().delete()
    for n in (1, 2, 20):
        result = deviations.detect_deviations(today=MID + dt.timedelta(days=n))
        assert result.raised == 0
        assert result.kept_closed == 1
    assert Deviation.objects.get(pk=done.pk).closed_actual_percent == D("20.00")
    assert list(Deviation.objects.values_list("status", flat=True)) == ["accepted"]
    assert titles(org["employee"]) == []
    checked = AuditEvent.objects.filter(verb="deviations.checked").latest("id")
    assert checked.after["kept_closed"] == 1


@pytest.mark.django_db
def test_an_accepted_shortfall_is_raised_again_when_the_goal_gets_worse(org, behind):
    """A new report at 11 % (9 points below the accepted 20 %) holds; one at 9 % (more than
    the 10-point margin worse) raises a new deviation, audited and notified."""
    goal, deviation = behind
    accept(deviation, org)
    day = MID + dt.timedelta(days=3)
    report(goal, 11, on=day, by=org["employee"])
    assert deviations.detect_deviations(today=day).raised == 0
    report(goal, 9, on=day, by=org["employee"])
    assert deviations.detect_deviations(today=day).raised == 1
    new = Deviation.objects.get(status=DeviationStatus.OPEN)
    assert new.actual_percent == D("9.00")
    assert AuditEvent.objects.filter(verb="deviation.detected", object_id=str(new.pk)).exists()
    assert "“Ship billing” is behind" in titles(org["employee"])[0]


@pytest.mark.django_db
def test_an_accepted_shortfall_is_weighed_again_after_the_due_date(org, cycle):
    """Accepted before the goal's due date: once it has passed (the whole target is due)
    the shortfall is raised again, once."""
    goal = approved_goal(org["employee"], cycle, None, due_date=MID + dt.timedelta(days=10))
    report(goal, 20, on=MID, by=org["employee"])
    deviations.detect_deviations(today=MID)
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False):
        accept(Deviation.objects.get(), org)
    assert deviations.detect_deviations(today=MID + dt.timedelta(days=10)).raised == 0
    after = MID + dt.timedelta(days=11)
    assert deviations.detect_deviations(today=after).raised == 1
    assert Deviation.objects.get(status=DeviationStatus.OPEN).expected_percent == D("100")
    assert deviations.detect_deviations(today=after + dt.timedelta(days=1)).raised == 0


@pytest.mark.django_db
def test_a_resolved_deviation_is_raised_again_only_after_a_new_report(org, behind):
    """Resolved by the reviewer while still behind: the next nights raise nothing on the
    same figures; a new report that is still behind raises a new deviation."""
    goal, deviation = behind
    agree(deviation, org["employee"].user)
    deviations.resolve_deviation(
        actor=org["manager"].user,
        deviation=deviation,
        note="Re-planned with the customer",
        expected_version=version_of(deviation),
    )
    for n in (1, 5):
        result = deviations.detect_deviations(today=MID + dt.timedelta(days=n))
        assert (result.raised, result.kept_closed) == (0, 1)
    day = MID + dt.timedelta(days=6)
    report(goal, 25, on=day, by=org["employee"])
    assert deviations.detect_deviations(today=day).raised == 1


# --- The workflow -----------------------------------------------------------------------------


@pytest.fixture
def deviation(org, cycle):
    approved_goal(org["employee"], cycle, D("20"), title="Ship billing")
    deviations.detect_deviations(today=MID)
    Notification.objects.all().delete()
    return Deviation.objects.get()


def agree(deviation, actor, **overrides):
    values = {
        "action": "Pair with the peer on the billing API",
        "follow_up_date": MID + dt.timedelta(days=14),
        "today": MID,
        "expected_version": version_of(deviation),
    }
    values.update(overrides)
    return deviations.agree_corrective_action(actor=actor, deviation=deviation, **values)


@pytest.mark.django_db
def test_owner_agrees_an_action_and_the_reviewer_hears(org, deviation):
    """Open → action agreed with the action and date; audited; the reviewer is told."""
    done = agree(deviation, org["employee"].user, expected_version=deviation.version)
    assert done.status == DeviationStatus.ACTION_AGREED
    assert done.corrective_action == "Pair with the peer on the billing API"
    assert (done.follow_up_date, done.version) == (MID + dt.timedelta(days=14), 2)
    event = AuditEvent.objects.get(verb="deviation.action_agreed")
    assert event.actor == org["employee"].user
    assert event.before["status"] == "open" and event.after["status"] == "action_agreed"
    assert titles(org["manager"]) == [
        f"{org['employee'].user.get_full_name()} agreed a corrective action on “Ship billing”: "
        "follow up on 14 Jun 2026"
    ]
    assert titles(org["employee"]) == []


@pytest.mark.django_db
def test_reviewer_agrees_in_a_check_in_and_the_owner_hears(org, deviation):
    """The reviewer may record it too, naming the check-in it was agreed in."""
    checkin = CheckIn.objects.create(
        participation=deviation.participation,
        period_start=START,
        period_end=START + dt.timedelta(days=30),
        due_date=START + dt.timedelta(days=30),
    )
    done = agree(deviation, org["manager"].user, checkin=checkin)
    assert done.agreed_in == checkin
    assert len(titles(org["employee"])) == 1


@pytest.mark.django_db
def test_revising_an_action_is_its_own_event(org, deviation):
    """Agreed again: a revision with the old values kept in the audit."""
    agree(deviation, org["employee"].user)
    agree(deviation, org["manager"].user, action="Drop the side project")
    event = AuditEvent.objects.get(verb="deviation.action_revised")
    assert event.before["corrective_action"] == "Pair with the peer on the billing API"
    assert event.after["corrective_action"] == "Drop the side project"


@pytest.mark.django_db
def test_an_action_needs_words_and_a_sensible_date(org, deviation):
    """Blank action, missing or past date, a date after the cycle, another person's
    check-in: refused field by field."""
    user = org["employee"].user
    with pytest.raises(ValidationError) as error:
        agree(deviation, user, action="  ", follow_up_date=None)
    assert set(error.value.message_dict) == {"corrective_action", "follow_up_date"}
    for day in (MID - dt.timedelta(days=1), START + dt.timedelta(days=400)):
        with pytest.raises(ValidationError) as error:
            agree(deviation, user, follow_up_date=day)
        assert "follow_up_date" in error.value.message_dict
    other = enrol(make_cycle("Other", start=START), org["employee"])[0]
    foreign = CheckIn.objects.create(
        participation=other, period_start=START, period_end=START, due_date=START
    )
    with pytest.raises(ValidationError) as error:
        agree(deviation, user, checkin=foreign)
    assert "agreed_in" in error.value.message_dict
    deviation.refresh_from_db()
    assert deviation.status == DeviationStatus.OPEN


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["peer", "manager2", "hr", "director"])
def test_only_owner_and_reviewer_agree_an_action(org, deviation, who):
    """A peer, another manager, HR and the skip-level manager cannot agree it."""
    with pytest.raises(PermissionDenied):
        agree(deviation, org[who].user)


@pytest.mark.django_db
def test_a_stale_page_cannot_overwrite_a_newer_action(org, deviation):
    """Optimistic lock: the version the user saw must still be current."""
    seen = deviation.version
    agree(deviation, org["employee"].user)
    with pytest.raises(ConcurrentEditError):
        agree(deviation, org["manager"].user, expected_version=seen)


@pytest.mark.django_db
def test_no_action_agreed_outside_implementation(org, deviation, cycle):
    """Once the cycle moved to appraisal, actions are no longer agreed."""
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.APPRAISAL)
    with pytest.raises(DeviationWorkflowError):
        agree(deviation, org["employee"].user)


@pytest.mark.django_db
def test_reviewer_resolves_after_an_agreed_action(org, deviation):
    """Action agreed → resolved with a note; audited; the owner is told."""
    with pytest.raises(DeviationWorkflowError):
        deviations.resolve_deviation(
            actor=org["manager"].user,
            deviation=deviation,
            note="Ok",
            expected_version=version_of(deviation),
        )
    agree(deviation, org["employee"].user)
    done = deviations.resolve_deviation(
        actor=org["manager"].user,
        deviation=deviation,
        note="Caught up in June",
        expected_version=version_of(deviation),
    )
    assert (done.status, done.resolution) == (DeviationStatus.RESOLVED, "Caught up in June")
    assert done.closed_at is not None
    assert AuditEvent.objects.filter(verb="deviation.resolved", actor=org["manager"].user)
    assert "resolved the deviation on “Ship billing”" in titles(org["employee"])[0]


@pytest.mark.django_db
def test_resolving_needs_a_note_and_the_right_person(org, deviation):
    """No note: refused on the field. The owner, a peer or another manager: refused."""
    agree(deviation, org["employee"].user)
    with pytest.raises(ValidationError) as error:
        deviations.resolve_deviation(
            actor=org["manager"].user,
            deviation=deviation,
            note=" ",
            expected_version=version_of(deviation),
        )
    assert "note" in error.value.message_dict
    for who in ("employee", "peer", "manager2"):
        with pytest.raises(PermissionDenied):
            deviations.resolve_deviation(
                actor=org[who].user,
                deviation=deviation,
                note="Done",
                expected_version=version_of(deviation),
            )


@pytest.mark.django_db
def test_hr_accepts_a_shortfall_with_a_reason(org, deviation):
    """Open → accepted by HR with the reason; nothing moves a closed deviation again."""
    with pytest.raises(ValidationError) as error:
        deviations.accept_deviation(
            actor=org["hr"].user,
            deviation=deviation,
            reason="",
            expected_version=version_of(deviation),
        )
    assert "reason" in error.value.message_dict
    done = deviations.accept_deviation(
        actor=org["hr"].user,
        deviation=deviation,
        reason="Product line discontinued",
        expected_version=version_of(deviation),
    )
    assert (done.status, done.resolution) == (DeviationStatus.ACCEPTED, "Product line discontinued")
    assert AuditEvent.objects.filter(verb="deviation.accepted", actor=org["hr"].user)
    with pytest.raises(DeviationWorkflowError):
        deviations.accept_deviation(
            actor=org["manager"].user,
            deviation=done,
            reason="Again",
            expected_version=version_of(done),
        )
    with pytest.raises(DeviationWorkflowError):
        agree(done, org["employee"].user)


@pytest.mark.django_db
def test_the_owner_cannot_accept_their_own_shortfall(org, deviation):
    """Accepting is the reviewer's or HR's, never the owner's; nor another manager's."""
    for who in ("employee", "manager2"):
        with pytest.raises(PermissionDenied):
            deviations.accept_deviation(
                actor=org[who].user,
                deviation=deviation,
                reason="Meh",
                expected_version=version_of(deviation),
            )


# --- To-dos -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_owner_todo_is_to_agree_an_action(org, deviation):
    """An open deviation asks its owner for an action; the reviewer sees it too, named by
    whose goal it is (issue 8: the manager's to-dos left out her reports' deviations)."""
    todos = deviation_selectors.deviation_todos(Viewer.of(org["employee"].user))
    assert [t.title for t in todos] == ["“Ship billing” is behind: agree a corrective action"]
    assert todos[0].url == deviation.get_absolute_url()
    name = org["employee"].full_name
    todos = deviation_selectors.deviation_todos(Viewer.of(org["manager"].user))
    assert [t.title for t in todos] == [
        f"{name}: “Ship billing” is behind, no corrective action yet"
    ]
    assert todos[0].url == deviation.get_absolute_url()


@pytest.mark.django_db
def test_reviewer_todo_appears_on_the_follow_up_date(org, deviation):
    """The follow-up becomes the reviewer's to-do on its date, not before."""
    agree(deviation, org["employee"].user)
    follow_up = MID + dt.timedelta(days=14)
    with time_machine.travel(dt.datetime(2026, 6, 13, 9, tzinfo=dt.UTC), tick=False):
        assert deviation_selectors.deviation_todos(Viewer.of(org["manager"].user)) == []
    with time_machine.travel(dt.datetime(2026, 6, 14, 9, tzinfo=dt.UTC), tick=False):
        todos = deviation_selectors.deviation_todos(Viewer.of(org["manager"].user))
    assert [(t.action, t.due) for t in todos] == [("Follow up", follow_up)]
    assert deviation_selectors.deviation_todos(Viewer.of(org["employee"].user)) == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["employee", "manager", "director", "hr"])
def test_the_compiled_deviation_todo_rows_are_the_orms(org, deviation, role):
    """``deviation_todos`` runs SQL compiled once (perfcycle/compiled.py): the same SQL and
    rows as the queryset built with this viewer's lists and today's date."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    agree(deviation, org["employee"].user)
    viewer = Viewer.of(org[role].user)
    args = (
        viewer.own_participation_ids(Cycle.Phase.IMPLEMENTATION),
        viewer.reviewed_ids(Cycle.Phase.IMPLEMENTATION),
        org[role].pk,
        timezone.localdate() + dt.timedelta(days=30),
    )
    with CaptureQueriesContext(connection) as orm_queries:
        expected = list(deviation_selectors._todo_rows_queryset(*args))
    with CaptureQueriesContext(connection) as compiled_queries:
        got = deviation_selectors._todo_rows(*args)
    assert len(compiled_queries) == 1  # one statement, prepared or not
    assert deviation_selectors._todo_rows.statement(*args) == orm_queries[0]["sql"]
    assert [vars(d) | {"_state": None} for d in got] == [
        vars(d) | {"_state": None} for d in expected
    ]
    assert [(d.goal.title, d.owner.user.username) for d in got] == [
        (d.goal.title, d.owner.user.username) for d in expected
    ]
    assert len(got) == (1 if role == "manager" else 0)  # agreed: the follow-up is due
