"""Every GET page's query count is the same for a small and a grown organisation.

The pages come from ``bench.urlwalk`` (the URLconf, each parametrised route filled with the
role's own objects: the same walk as ``bench/pages.py``), so a new page is checked without
editing this file. The data: the 41-person demo with its planning and implementation data
(as ``manage.py seed_demo`` builds it), then the same demo grown with more people in every
department, two more direct reports for ``manager``, an earlier period's check-ins for
everyone, and more goals, evidence and notifications for the fixed logins. A page whose
count changes between the two has a query per row somewhere (an N+1). The logins:
``urlwalk.ROLES`` (HR, a team lead, an employee, the VP of Engineering).
"""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from appraisal.services.opening import open_missing_appraisals
from bench import urlwalk
from goals.demo import seed_planning
from goals.models import CyclePlan, Goal, GoalLevel
from implementation.demo import seed_implementation
from implementation.models import Deviation, DeviationStatus, Evidence, Severity
from implementation.services.checkins import open_checkins
from implementation.services.deviations import detect_deviations
from perfcycle import demo
from perfcycle.models import Cycle, Employee, Notification, Participation
from perfcycle.workflow import SYSTEM
from tests.factories import enrol, make_employee

# The marker also tells pytest-django to set up the test database for the module fixture.
pytestmark = pytest.mark.django_db

GROWN_TO = 160  # people; the demo has 41

# Pages whose count still grows with the data, each with the reason. strict: the test
# fails once a page is fixed, so that its entry is removed here.
KNOWN_GROWING: dict[str, str] = {}
# Pages whose count depends on the mix of rows shown, not on their number (not strict:
# whether the mix differs between the two sizes depends on the day's seed).
KNOWN_VARYING: dict[str, str] = {
    "audit-list": (
        "7–9 queries: one look-up per kind of object the first page's events name, so the "
        "count follows the mix of event kinds on the page (bounded, not an N+1)"
    ),
}
LOGINS = ("employee", "manager", "hr", "rajesh.iyer")


def _notify(count: int, label: str) -> None:
    """``count`` notifications for each login: a few at the small size, so that no page
    compares an empty list (which skips its query) with a full one."""
    for username in LOGINS:
        user = Employee.objects.get(user__username=username).user
        Notification.objects.bulk_create(
            Notification(recipient=user, title=f"{label} ({n})", url="/", send_email=False)
            for n in range(count)
        )


def _seed(today: dt.date):
    result = demo.seed_demo(today=today)
    cycle = result.current_cycle
    seed_planning(cycle, actor=SYSTEM)
    open_checkins(cycle=cycle, today=today)
    seed_implementation(cycle, today=today)
    _notify(2, "Earlier news")
    _one_open_deviation(cycle, today)
    _open_last_years_appraisals(cycle)
    return cycle


def _open_last_years_appraisals(cycle) -> None:
    """Appraisals in last year's (closed) cycle, on this year's scale and template, so
    that the appraisal pages have rows to show (the current cycle is in implementation).
    Run again after growing: the newcomers get theirs too."""
    previous = (
        Cycle.objects.filter(phase=Cycle.Phase.CLOSED, start_date__lt=cycle.start_date)
        .order_by("-start_date")
        .first()
    )
    plan = CyclePlan.objects.get(cycle=cycle)
    CyclePlan.objects.get_or_create(
        cycle=previous,
        defaults={"rating_scale": plan.rating_scale, "default_template": plan.default_template},
    )
    open_missing_appraisals(cycle=previous)


def _one_open_deviation(cycle, today: dt.date) -> None:
    """An unresolved deviation on a goal of each login and of someone below the VP, at
    both sizes, so that no deviation list (a person's own, a team lead's, the VP's, HR's)
    compares an empty list (which skips the rows query) with a full one. The demo's
    history cannot promise one: its pseudo-randomness is keyed on primary keys, which
    the sequences hand out anew in every run (a rollback does not reset them), so whose
    goals fell behind changes from run to run — ``my-deviations`` of HR or the team lead
    was 5 queries at one size and 6 at the other in some runs. The deviation is one with
    an agreed action, which detection leaves alone, so that its page is the same at both
    sizes too (an open one may be closed as back on track by the detection after growing:
    the VP's deviation page was 10 queries, then 9)."""
    vp = Employee.objects.get(user__username="rajesh.iyer")
    below_vp = (
        Participation.objects.filter(cycle=cycle, reviewer=vp)
        .values_list("employee__user__username", flat=True)
        .order_by("pk")
        .first()
    )
    assert below_vp is not None, "the demo's VP reviews someone in the current cycle"
    for username in (*LOGINS, below_vp):
        person = Employee.objects.get(user__username=username)
        participation = Participation.objects.filter(cycle=cycle, employee=person).first()
        if participation is None:
            continue
        goal = Goal.objects.filter(cycle=cycle, owner=person, level=GoalLevel.INDIVIDUAL).first()
        if goal is None:
            continue
        if not Deviation.objects.unresolved().filter(participation=participation).exists():
            Deviation.objects.create(
                goal=goal,
                participation=participation,
                owner=person,
                detected_on=today,
                expected_percent=50,
                actual_percent=10,
                severity=Severity.HIGH,
                # Agreed, not open: detection after growing closes open ones whose goal is
                # back on track, and the page of a closed one makes fewer queries.
                status=DeviationStatus.ACTION_AGREED,
                corrective_action="Pair with the team lead weekly until back on plan.",
                follow_up_date=today + dt.timedelta(days=14),
            )


def _grow(cycle, today: dt.date) -> None:
    """More of everything, for the fixed logins' own pages too."""
    demo.seed_demo(employees=GROWN_TO, today=today)
    manager = Employee.objects.get(user__username="manager")
    newcomers = [
        make_employee(manager=manager, department=manager.department, job_title="Engineer")
        for _ in range(2)
    ]
    enrol(cycle, *newcomers)
    seed_planning(cycle, actor=SYSTEM)
    # An earlier period's check-ins (every participant), then this period's for newcomers.
    open_checkins(cycle=cycle, today=max(cycle.start_date, today - dt.timedelta(days=35)))
    open_checkins(cycle=cycle, today=today)
    seed_implementation(cycle, today=today)
    _notify(5, "Something happened")
    for username in LOGINS:
        person = Employee.objects.get(user__username=username)
        participation = Participation.objects.filter(cycle=cycle, employee=person).first()
        goals = list(Goal.objects.filter(cycle=cycle, owner=person, level=GoalLevel.INDIVIDUAL))
        for n, goal in enumerate(goals[:2]):
            goal.pk = None
            goal.title = f"{goal.title} (second part {n})"
            goal.save()
        if participation is not None:
            Evidence.objects.bulk_create(
                Evidence(
                    participation=participation,
                    title=f"More evidence {n}",
                    description="Notes.",
                    occurred_on=max(cycle.start_date, today - dt.timedelta(days=n + 1)),
                    goal=goals[0] if goals else None,
                    created_by=person.user,
                )
                for n in range(4)
            )
    detect_deviations(today=today, cycle_ids=[cycle.pk])
    # Detection may find the seeded deviation back on track: keep one open, as at 41.
    _one_open_deviation(cycle, today)
    _open_last_years_appraisals(cycle)


def _counts(walk: urlwalk.Walk) -> dict[tuple[str, str], tuple[int, str]]:
    return {(p.route.name, p.role): (p.queries, p.url) for p in walk.pages}


@pytest.fixture(scope="module")
def two_sizes(django_db_setup, django_db_blocker):
    """(counts at 41 people, counts at GROWN_TO), from one transaction rolled back after."""
    today = timezone.localdate()
    with django_db_blocker.unblock(), transaction.atomic():
        cycle = _seed(today)
        small = _counts(urlwalk.walk())
        _grow(cycle, today)
        assert Employee.objects.count() > GROWN_TO
        large = _counts(urlwalk.walk(only=set(small)))
        transaction.set_rollback(True)
    return small, large


def _params():
    params = []
    for route in urlwalk.routes():
        marks = []
        if route.name in KNOWN_GROWING:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_GROWING[route.name]))
        if route.name in KNOWN_VARYING:
            marks.append(pytest.mark.xfail(strict=False, reason=KNOWN_VARYING[route.name]))
        params.append(pytest.param(route.name, id=route.name, marks=marks))
    return params


@pytest.mark.parametrize("route_name", _params())
def test_query_count_does_not_grow_with_the_data(two_sizes, route_name):
    small, large = two_sizes
    walked = sorted(role for name, role in small if name == route_name)
    if not walked:
        pytest.skip("not a GET page for any demo login (POST only, a redirect or skipped)")
    differences = []
    for role in walked:
        count_small, url = small[route_name, role]
        if (route_name, role) not in large:
            differences.append(f"{role}: {url} answered at 41 people, not after growing")
            continue
        count_large, url_large = large[route_name, role]
        if count_small != count_large:
            differences.append(
                f"{role}: {url} {count_small} queries at 41 people, "
                f"{url_large} {count_large} at {GROWN_TO}+"
            )
    assert not differences, f"{route_name}: " + "; ".join(differences)


def test_the_walk_covers_the_daily_pages(two_sizes):
    """The URL derivation finds the pages people use daily, for the right logins."""
    small, _ = two_sizes
    expected = {
        ("hr-home", "hr"),
        ("team-home", "manager"),
        ("team-home", "rajesh.iyer"),
        ("my-home", "employee"),
        ("goals:my-goals", "employee"),
        ("goals:team-goals", "manager"),
        ("goals:goal-detail", "employee"),
        ("implementation:my-checkins", "employee"),
        ("implementation:checkin-detail", "manager"),
        ("implementation:team-board", "manager"),
        ("implementation:evidence-list", "employee"),
        ("implementation:my-deviations", "employee"),
        ("implementation:checkin-participation", "hr"),
        ("goals:planning-progress", "hr"),
        ("goals:tree", "hr"),
        ("audit-list", "hr"),
        ("appraisal:my-appraisal", "employee"),
        ("appraisal:team-appraisals", "manager"),
        ("appraisal:appraisal-detail", "manager"),
        ("appraisal:appraisal-detail", "employee"),
        ("appraisal:appraisal-breakdown", "hr"),
    }
    assert expected <= set(small), sorted(expected - set(small))
    # ... and none of HR's pages for an employee (they are not found for anyone else).
    assert ("hr-home", "employee") not in small
