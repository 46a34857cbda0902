import datetime as dt
import io
from collections import Counter

import pytest
import time_machine
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from perfcycle import access, demo
from perfcycle.models import AuditEvent, Cycle, Department, Employee, Participation

pytestmark = pytest.mark.django_db

LOGINS = ["hr", "manager", "employee", "peer", "manager2", "employee2"]


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def person(username: str) -> Employee:
    return Employee.objects.select_related("user", "department", "manager__user").get(
        user__username=username
    )


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in [get_user_model(), Employee, Department, Cycle, Participation, AuditEvent]
    }


def chain_length(managers: dict, pk: int) -> int:
    """How many people from ``pk`` up to the top of the chart, the top included."""
    length = 1
    while managers[pk] is not None and length <= len(managers):
        pk, length = managers[pk], length + 1
    return length


def current_cycle() -> Cycle:
    return Cycle.objects.get(phase=Cycle.Phase.IMPLEMENTATION)


def test_seed_demo_creates_the_six_logins_with_their_roles():
    """hr is an HR admin; manager leads employee and peer; manager2 leads employee2 elsewhere."""
    seed()

    hr, manager, manager2 = person("hr"), person("manager"), person("manager2")
    assert access.is_hr(hr.user)
    assert hr.department.name == "People"
    assert not any(access.is_hr(person(u).user) for u in LOGINS if u != "hr")
    assert {"employee", "peer"} <= set(manager.reports.values_list("user__username", flat=True))
    assert person("employee").department == person("peer").department == manager.department
    assert access.is_manager(manager.user)
    assert person("employee2").manager == manager2
    assert manager2.department != manager.department
    assert all(person(u).job_title and person(u).department for u in LOGINS)


def test_demo_password_logs_everyone_in():
    """Every demo login, and the rest of the demo people, use the password perfcycle-demo."""
    seed()

    for username in [*LOGINS, "olivia.bennett"]:
        assert authenticate(username=username, password=demo.DEMO_PASSWORD) is not None
    assert authenticate(username="employee", password="wrong") is None


def test_seed_demo_prints_the_logins():
    """The command ends with a table of the logins, their roles and the password."""
    output = seed()

    assert "Demo organisation created" in output
    for username in LOGINS:
        assert f"\n{username} " in output
    assert "HR admin" in output
    assert demo.DEMO_PASSWORD in output


def test_demo_org_is_a_realistic_chart():
    """One CEO at the top, six departments plus leadership, about 40 people, 4 levels."""
    seed()

    assert Employee.objects.filter(manager__isnull=True).count() == 1
    assert 35 <= Employee.objects.count() <= 45
    names = set(Department.objects.values_list("name", flat=True))
    assert {"Engineering", "Sales", "Marketing", "Finance", "Operations", "People"} <= names
    managers = dict(Employee.objects.values_list("pk", "manager_id"))
    assert max(chain_length(managers, pk) for pk in managers) == 4


def test_current_cycle_is_in_implementation_with_every_active_person_enrolled():
    """Planning ended in the past, implementation ends in the future; reviewers are managers."""
    seed()

    today = timezone.localdate()
    cycle = current_cycle()
    assert cycle.planning_deadline < today < cycle.implementation_deadline
    participations = Participation.objects.filter(cycle=cycle).select_related("employee")
    assert participations.count() == Employee.objects.filter(is_active=True).count()
    assert all(p.reviewer_id == p.employee.manager_id for p in participations)
    assert not Participation.objects.filter(cycle=cycle, employee__is_active=False).exists()


def test_previous_cycle_is_closed_history():
    """Last year's cycle is closed, a year earlier, and holds the leaver too."""
    seed()

    previous = Cycle.objects.get(phase=Cycle.Phase.CLOSED)
    assert previous.end_date < current_cycle().start_date
    assert Participation.objects.filter(cycle=previous, employee__is_active=False).exists()


def test_cycle_creation_is_audited_as_the_system():
    """Each cycle's creation is one audit event with no actor (the system)."""
    seed()

    created = AuditEvent.objects.filter(verb="cycle.created")
    assert created.count() == 2
    assert not created.exclude(actor=None).exists()


def test_cycles_are_named_after_their_fiscal_year():
    """Seeded on 23 November 2026, the cycles are FY2026 (running) and FY2025 (closed)."""
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC), tick=False):
        seed()

    assert current_cycle().name == "FY2026 performance cycle"
    assert Cycle.objects.get(phase=Cycle.Phase.CLOSED).name == "FY2025 performance cycle"


def test_cycle_dates_stay_sensible_whatever_the_day():
    """On any day (leap years too), planning is over and implementation still runs."""
    day = dt.date(2026, 1, 1)
    while day < dt.date(2029, 1, 1):
        dates = demo.cycle_dates(day)
        assert dates["planning_deadline"] < day < dates["implementation_deadline"]
        day += dt.timedelta(days=1)


def test_seed_demo_twice_changes_nothing():
    """A second run finds the demo org, says so and creates nothing."""
    seed()
    before = counts()

    output = seed()

    assert counts() == before
    assert "already there" in output
    assert "employee2" in output


def test_seed_demo_refuses_a_database_with_clashing_users():
    """If a real user already has a demo username, the command stops before writing."""
    get_user_model().objects.create_user(username="manager", password="x")

    with pytest.raises(CommandError, match="manager"):
        seed()
    assert not Employee.objects.exists()


def test_large_seed_builds_a_tree_and_enrols_everyone():
    """--employees 300: 300+ people, one top, no loops, everyone active enrolled."""
    seed("--employees", "300")

    managers = dict(Employee.objects.values_list("pk", "manager_id"))
    assert len(managers) >= 300
    tops = [pk for pk, manager_id in managers.items() if manager_id is None]
    assert len(tops) == 1
    assert all(chain_length(managers, pk) <= 10 for pk in managers)  # no loops
    generated = set(
        Employee.objects.filter(employee_number__startswith=demo.LARGE_PREFIX).values_list(
            "pk", flat=True
        )
    )
    spans = Counter(m for pk, m in managers.items() if pk in generated and m in generated)
    assert max(spans.values()) <= demo.SPAN_OF_CONTROL
    enrolled = Participation.objects.filter(cycle=current_cycle())
    assert enrolled.count() == Employee.objects.filter(is_active=True).count()
    assert all(p.reviewer_id == managers[p.employee_id] for p in enrolled)
    assert Department.objects.filter(parent__isnull=False).count() >= 40
    for username in LOGINS:
        assert authenticate(username=username, password=demo.DEMO_PASSWORD) is not None


def test_large_seed_grows_an_existing_demo_and_is_then_idempotent():
    """The small demo can grow to a large one; repeating the large run changes nothing."""
    seed()
    small = Employee.objects.count()

    output = seed("--employees", "300")
    after_growth = counts()
    seed("--employees", "300")

    assert "added" in output
    assert after_growth["Employee"] >= 300 > small
    assert counts() == after_growth
    assert Participation.objects.filter(cycle=current_cycle()).count() == (
        Employee.objects.filter(is_active=True).count()
    )


def test_plan_large_org_promotes_people_who_get_their_first_reports():
    """Growing a team gives leaves who now manage people a manager's title."""
    small, _ = demo.plan_large_org(44 * 9, {})
    existing = {}
    for p in small:
        team, _index = demo.parse_large_number(p.number)
        existing[team] = existing.get(team, 0) + 1

    people, promotions = demo.plan_large_org(44 * 30, existing)

    assert promotions
    assert len(people) == 44 * 30 - len(small)
    assert {p.number for p in people}.isdisjoint(p.number for p in small)
    staff_titles = {t for plan in demo.DEPARTMENTS for t in plan.staff_titles}
    assert not staff_titles & set(promotions.values())


def test_seed_demo_gives_everyone_a_weighted_goal_plan(db):
    """The demo cycle comes with a goal cascade: each person's goals total 100 %."""
    from django.db.models import Sum

    from goals.models import Goal

    call_command("seed_demo", stdout=io.StringIO())
    totals = (
        Goal.objects.filter(level=Goal.Level.INDIVIDUAL, status=Goal.Status.APPROVED)
        .values("owner__user__username")
        .annotate(total=Sum("weight"))
    )
    by_user = {row["owner__user__username"]: row["total"] for row in totals}
    assert by_user["employee"] == 100
    assert set(by_user.values()) == {100}
    assert Goal.objects.filter(level=Goal.Level.COMPANY).exists()


def test_the_demo_cycle_moves_to_appraisal_by_itself_after_implementation_ends():
    """The current demo cycle is set to advance automatically: the scheduler leaves it in
    implementation until its deadline, and on the day after moves it to appraisal, once;
    last year's closed cycle is never touched."""
    from perfcycle import phases

    seed()
    cycle = current_cycle()
    assert cycle.auto_advance is True
    assert not Cycle.objects.get(phase=Cycle.Phase.CLOSED).auto_advance
    assert phases.advance_due_phases(today=cycle.implementation_deadline).advanced == []
    day_after = cycle.implementation_deadline + dt.timedelta(days=1)
    assert phases.advance_due_phases(today=day_after).advanced == [cycle.pk]
    assert phases.advance_due_phases(today=day_after).advanced == []
    cycle.refresh_from_db()
    assert cycle.phase == Cycle.Phase.APPRAISAL
    assert Cycle.objects.filter(phase=Cycle.Phase.CLOSED).count() == 1
