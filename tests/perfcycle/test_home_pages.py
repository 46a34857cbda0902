"""Home pages show the work (issue 8, item 3): HR sees each open cycle's health and who is
in no cycle; a manager's to-dos name whose goal an item is and include her reports'
deviations; to-dos come in order of urgency; the pages' query counts do not grow with the
organisation."""

import datetime as dt
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from goals.models import GoalStatus
from implementation.models import CheckIn, Deviation, DeviationStatus, Severity
from perfcycle.formatting import format_date_range
from perfcycle.models import Cycle, Employee
from tests.factories import enrol, make_cycle, make_employee
from tests.goals.factories import make_goal
from tests.implementation.factories import make_checkin

TODAY = timezone.localdate  # called when used: a run may cross midnight
_seq = itertools.count(1)


@pytest.fixture
def running(director, manager, employee, peer):
    """A cycle in implementation since seven months; this month's check-ins are open."""
    cycle = make_cycle(
        "FY 2026", phase=Cycle.Phase.IMPLEMENTATION, start=TODAY() - dt.timedelta(days=210)
    )
    enrol(cycle, manager, employee, peer)
    return cycle


def _deviation(participation, *, title="Ship billing", severity=Severity.HIGH, **fields):
    goal = make_goal(
        participation.employee, cycle=participation.cycle, title=title, status=GoalStatus.APPROVED
    )
    return Deviation.objects.create(
        goal=goal,
        participation=participation,
        owner=participation.employee,
        detected_on=TODAY() - dt.timedelta(days=3),
        expected_percent=50,
        actual_percent=10,
        severity=severity,
        **fields,
    )


def _period_checkins(cycle, *, submitted: int):
    """This period's check-in for each participant, the first ``submitted`` submitted."""
    from implementation.selectors.checkins import checkin_period

    start, end = checkin_period(cycle, TODAY())
    for index, participation in enumerate(cycle.participations.order_by("pk")):
        status = CheckIn.Status.SUBMITTED if index < submitted else CheckIn.Status.PENDING
        make_checkin(participation, period_start=start, period_end=end, status=status)


def test_hr_home_shows_each_open_cycles_health(running, hr_admin, employee, login):
    """Check-ins in of those due, open deviations by severity, each linking to its list."""
    _period_checkins(running, submitted=1)
    _deviation(running.participations.get(employee=employee))
    response = login(hr_admin).get(reverse("hr-home"))
    lines = {line.key: line for line in dict(response.context["health"])[running]}
    assert (lines["checkins"].done, lines["checkins"].total) == (1, 3)
    assert lines["deviations"].done == 1
    assert lines["deviations"].parts[0][:2] == (Severity.HIGH.label, 1)
    html = response.content.decode()
    assert "1 of 3" in html
    assert f"{reverse('implementation:checkin-participation')}?cycle={running.pk}" in html
    assert (
        f"{reverse('implementation:team-deviations')}?status=unresolved&amp;severity=high" in html
    )


def test_hr_home_shows_the_last_period_beside_this_one(running, hr_admin, login):
    """Early in a period nobody has checked in yet: the last period's figures say how the
    cycle goes, its check-ins still open past their due date count as overdue there, and
    this period's line counts only this period's overdue check-ins."""
    from implementation.selectors.checkins import checkin_period

    start, end = checkin_period(running, TODAY())
    last_start, last_end = checkin_period(running, start - dt.timedelta(days=1))
    statuses = [CheckIn.Status.SUBMITTED, CheckIn.Status.REVIEWED, CheckIn.Status.MISSED]
    for participation, status in zip(running.participations.order_by("pk"), statuses, strict=True):
        make_checkin(
            participation,
            period_start=last_start,
            period_end=last_end,
            due_date=TODAY() - dt.timedelta(days=1),
            status=status,
        )
        make_checkin(participation, period_start=start, period_end=end, due_date=end)
    response = login(hr_admin).get(reverse("hr-home"))
    lines = {line.key: line for line in dict(response.context["health"])[running]}
    this, last = lines["checkins"], lines["checkins_last"]
    assert (this.done, this.total, this.overdue) == (0, 3, 0)
    assert (last.done, last.total, last.overdue) == (2, 3, 1)
    html = response.content.decode()
    assert "2 of 3" in html and "(67 %)" in html and "1 overdue" in html
    assert format_date_range(last_start, last_end) in html
    assert f"cycle={running.pk}&amp;period={last_start:%Y-%m-%d}" in html  # that period's list


def test_hr_home_counts_the_planning_of_a_cycle_in_planning(
    director, manager, employee, hr_admin, login
):
    """Planning: participants whose goals are approved, of all, linking planning progress."""
    cycle = make_cycle("FY 2027", start=TODAY() + dt.timedelta(days=150))
    enrol(cycle, manager, employee)
    response = login(hr_admin).get(reverse("hr-home"))
    (line,) = dict(response.context["health"])[cycle]
    assert (line.key, line.done, line.total) == ("planning", 0, 2)
    assert f"{reverse('goals:planning-progress')}?cycle={cycle.pk}" in response.content.decode()


def test_hr_home_names_people_in_no_open_cycle(running, hr_admin, intern, login):
    """Newly imported people (here: the intern and HR) are counted, one click to the list."""
    response = login(hr_admin).get(reverse("hr-home"))
    assert response.context["not_enrolled"] == 3  # director, intern, HR
    assert f"{reverse('employee-list')}?not_enrolled=1" in response.content.decode()
    listed = login(hr_admin).get(reverse("employee-list"), {"not_enrolled": "1"})
    names = {e.full_name for e in listed.context["page"].object_list}
    assert intern.full_name in names and len(names) == 3


def test_manager_todos_name_whose_deviation_it_is(running, manager, employee, login):
    """A report's open deviation, and a follow-up that has come, are the manager's to-dos,
    each starting with the report's name."""
    _deviation(running.participations.get(employee=employee))
    peer_participation = running.participations.exclude(employee__in=[employee, manager]).get()
    _deviation(
        peer_participation,
        title="Cut costs",
        status=DeviationStatus.ACTION_AGREED,
        corrective_action="Weekly review",
        follow_up_date=TODAY() - dt.timedelta(days=1),
    )
    titles = [t.title for t in login(manager).get(reverse("team-home")).context["todos"]]
    assert f"{peer_participation.employee.full_name}: follow up on “Cut costs”" in titles
    assert f"{employee.full_name}: “Ship billing” is behind, no corrective action yet" in titles


def test_todos_come_in_order_of_urgency(running, director, employee, login):
    """Overdue first, then the soonest due, undated last: this month's check-in above the
    goals to draft for next year's cycle, which carry its planning deadline."""
    upcoming = make_cycle("FY 2027", start=TODAY() + dt.timedelta(days=150))
    enrol(upcoming, employee)
    participation = running.participations.get(employee=employee)
    make_checkin(
        participation,
        period_start=TODAY() - dt.timedelta(days=60),
        due_date=TODAY() - dt.timedelta(days=30),
        status=CheckIn.Status.MISSED,
    )
    make_checkin(participation, period_start=TODAY() - dt.timedelta(days=5))
    _deviation(participation)
    todos = login(employee).get(reverse("my-home")).context["todos"]
    dues = [t.due for t in todos]
    dated = [d for d in dues if d is not None]
    assert dated == sorted(dated) and dues[: len(dated)] == dated
    draft = next(t for t in todos if "Draft your goals" in t.title)
    assert draft.due == upcoming.planning_deadline
    assert todos.index(draft) > next(i for i, t in enumerate(todos) if "Fill in" in t.title)


def test_every_work_to_do_has_a_due_date_from_the_workflow(
    running, manager, employee, peer, login, settings
):
    """The owner's "agree an action" is due a week after detection, the reviewer's
    "no corrective action yet" the same day, evidence to verify two weeks after the
    oldest was recorded (at the latest when appraisal ends), submitted check-ins a week
    after submission: the days are the PERFCYCLE_TODO_DUE_DAYS policy setting."""
    from implementation.models import Evidence

    settings.PERFCYCLE_TODO_DUE_DAYS = {
        **settings.PERFCYCLE_TODO_DUE_DAYS,
        "deviation_action": 5,
        "evidence_verification": 10,
        "checkin_review": 2,
    }
    mine = running.participations.get(employee=employee)
    deviation = _deviation(mine)
    recorded = timezone.now() - dt.timedelta(days=4)
    Evidence.objects.create(
        participation=mine,
        title="Release notes",
        occurred_on=TODAY(),
        created_by=employee.user,
        created_at=recorded,
    )
    start = TODAY() - dt.timedelta(days=2)
    make_checkin(
        running.participations.get(employee=peer),
        period_start=start,
        status=CheckIn.Status.SUBMITTED,
        submitted_at=timezone.now() - dt.timedelta(days=1),
    )

    own = login(employee).get(reverse("my-home")).context["todos"]
    agree = next(t for t in own if "agree a corrective action" in t.title)
    assert agree.due == deviation.detected_on + dt.timedelta(days=5)

    team = login(manager).get(reverse("team-home")).context["todos"]
    dues = {t.action: t.due for t in team}
    assert dues["Review"] == deviation.detected_on + dt.timedelta(days=5)
    assert dues["Verify evidence"] == timezone.localdate(recorded) + dt.timedelta(days=10)
    assert dues["Review check-ins"] == TODAY() + dt.timedelta(days=1)
    assert [t for t in team if t.due is None and "unread" not in t.title] == []
    assert [t.due for t in team if t.due] == sorted(t.due for t in team if t.due)


def test_evidence_to_verify_is_due_by_the_end_of_appraisal_at_the_latest(
    running, manager, employee, login, settings
):
    from implementation.models import Evidence

    settings.PERFCYCLE_TODO_DUE_DAYS = {
        **settings.PERFCYCLE_TODO_DUE_DAYS,
        "evidence_verification": 3650,
    }
    Evidence.objects.create(
        participation=running.participations.get(employee=employee),
        title="Release notes",
        occurred_on=TODAY(),
        created_by=employee.user,
    )
    todos = login(manager).get(reverse("team-home")).context["todos"]
    verify = next(t for t in todos if t.action == "Verify evidence")
    assert verify.due == running.appraisal_deadline


# --- Query counts do not grow with the organisation ------------------------------------------


def _grow(cycle, manager, count: int) -> None:
    """``count`` more active people reporting to ``manager``, all in ``cycle`` with this
    period's check-in; a third of them with an open deviation."""
    User = get_user_model()
    n = next(_seq)
    users = User.objects.bulk_create(
        User(username=f"bulk{n}_{i}", first_name="Bulk", last_name=f"P{i}") for i in range(count)
    )
    people = Employee.objects.bulk_create(
        Employee(
            user=u, employee_number=f"B{n}-{i}", manager=manager, department=manager.department
        )
        for i, u in enumerate(users)
    )
    from implementation.selectors.checkins import checkin_period

    start, end = checkin_period(cycle, TODAY())
    for index, participation in enumerate(enrol(cycle, *people)):
        make_checkin(participation, period_start=start, period_end=end)
        if index % 3 == 0:
            _deviation(participation, title=f"Goal {index}")


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("page", "who", "most"),
    [
        ("hr-home", "hr", 12),
        ("my-home", "employee", 12),
        ("team-home", "manager", 12),
        ("goals:my-goals", "employee", 12),
        ("goals:team-goals", "manager", 12),
        ("implementation:my-checkins", "employee", 12),
        ("implementation:team-board", "manager", 12),
    ],
)
def test_home_query_counts_stay_flat_as_the_organisation_grows(
    page, who, most, running, org, login
):
    """At 41 and at about 400 people: at most ``most`` queries, and the same number, both
    right after a write (HR home computes its roll-ups again) and when nothing changed
    (HR home reads them stored)."""
    make_cycle("FY 2027", start=TODAY() + dt.timedelta(days=150))
    client = login(org[who])
    client.get(reverse(page))  # warm per-process caches (content types, groups)
    counts = {}
    for size, people in (("small", 33), ("large", 360)):
        _grow(running, org["manager"], people)
        counts[size] = (_queries(client, reverse(page)), _queries(client, reverse(page)))
    fresh, stored = counts["small"]
    assert fresh <= most and stored <= most, counts
    assert counts["large"] == counts["small"]


def test_hr_without_to_dos_is_pointed_at_the_cycle_health(org, client):
    """HR with nothing to decide is not told "all caught up" above a health section that
    may show open work; an employee with nothing to do still is."""
    client.force_login(org["hr"].user)
    html = client.get(reverse("hr-home")).content.decode()
    assert "all caught up" not in html
    assert "The cycle health below shows where everyone" in html


def test_the_team_table_shows_each_direct_reports_reports_and_enrolment(
    running, manager, employee, peer, intern, login
):
    """The manager's direct reports, by name, with how many report to each and whether
    they are in the cycle shown; a report who has left is not listed."""
    gone = make_employee("gone", manager=manager, is_active=False)
    page = login(manager).get(reverse("team-home"))
    rows = [(m.full_name, m.report_count, m.in_cycle) for m in page.context["team"]]
    assert rows == sorted(
        [(employee.full_name, 0, 1), (peer.full_name, 1, 1)],
        key=lambda row: (row[0].split()[-1], row[0]),
    )
    html = page.content.decode()
    assert html.count('<span class="badge text-bg-success">Yes</span>') == 2
    assert gone.full_name not in html
    Employee.objects.filter(pk=employee.pk).update(manager=None)
    rows = [
        (m.full_name, m.report_count)
        for m in login(manager).get(reverse("team-home")).context["team"]
    ]
    assert rows == [(peer.full_name, 1)]
