"""The improvement-plan pages people use daily cost the same number of queries with 2 and
with 8 plans (no query per row), and stay within the daily-page budget of 12."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback.models import (
    ActionOwner,
    CheckpointStatus,
    ImprovementPlan,
    PlanAction,
    PlanCheckpoint,
    PlanStatus,
    RootCause,
)
from perfcycle.models import Cycle
from tests.factories import enrol, make_cycle
from tests.feedback.factories import released_org
from tests.implementation.factories import make_checkin

pytestmark = pytest.mark.django_db
BUDGET = 12


def _plans(org, count: int) -> None:
    """``count`` more running plans, half the employee's, half the colleague's, each with
    two actions, two check-points and two causes."""
    today = timezone.localdate()
    causes = list(RootCause.objects.all()[:2])
    for n in range(count):
        person = org.employee if n % 2 == 0 else org.colleague
        plan = ImprovementPlan.objects.create(
            participation=org.participations[person.pk],
            manager=org.manager,
            status=PlanStatus.DRAFT if n % 3 == 2 else PlanStatus.ACTIVE,
            required=bool(n % 2),
            gap=f"Gap {n}",
            success_criteria="Criteria",
            starts_on=today,
            ends_on=today + dt.timedelta(days=90),
            created_by=org.manager.user,
        )
        plan.causes.set(causes)
        PlanAction.objects.bulk_create(
            PlanAction(plan=plan, description=f"Action {i}", owner=owner, due_date=today)
            for i, owner in enumerate((ActionOwner.EMPLOYEE, ActionOwner.MANAGER))
        )
        PlanCheckpoint.objects.bulk_create(
            PlanCheckpoint(
                plan=plan, due_date=today + dt.timedelta(days=d), status=CheckpointStatus.UPCOMING
            )
            for d in (1, 30)
        )


def _count(client, user, url) -> int:
    client.force_login(user)
    client.get(url)  # warm the per-process caches (navigation layout, content types)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def _pages(org, checkin):
    plan = (
        ImprovementPlan.objects.filter(participation__employee=org.employee).order_by("pk").first()
    )
    return [
        ("my plan", org.employee.user, reverse("feedback:plan-mine")),
        ("plan page (employee)", org.employee.user, plan.get_absolute_url()),
        ("plan page (manager)", org.manager.user, plan.get_absolute_url()),
        ("plans I support", org.manager.user, reverse("feedback:plan-team")),
        ("HR improvement plans", org.hr.user, reverse("feedback:plan-hr")),
        ("check-in with the plan panel", org.employee.user, checkin.get_absolute_url()),
        ("my check-ins", org.employee.user, reverse("implementation:my-checkins")),
        ("my home (to-dos)", org.employee.user, reverse("my-home")),
        ("team home (to-dos)", org.manager.user, reverse("team-home")),
    ]


def test_plan_pages_do_not_grow_with_the_number_of_plans(client):
    org = released_org()
    cycle = make_cycle(phase=Cycle.Phase.IMPLEMENTATION, start=org.cycle.end_date)
    (participation,) = enrol(cycle, org.employee)
    checkin = make_checkin(participation, period_start=cycle.start_date)
    _plans(org, 2)
    small = {name: _count(client, user, url) for name, user, url in _pages(org, checkin)}
    _plans(org, 6)
    assert ImprovementPlan.objects.count() == 8
    large = {name: _count(client, user, url) for name, user, url in _pages(org, checkin)}
    assert small == large, (small, large)
    print("query counts", large)
    over = {name: n for name, n in large.items() if n > BUDGET}
    assert not over, f"over the budget of {BUDGET} queries: {over}"


def test_the_compiled_my_plan_rows_are_the_orms():
    """ "My plan" reads the person's plans with SQL built once (feedback.selectors.plans):
    the same rows, next check-points and open actions as the queryset, running first."""
    from feedback.selectors import plans as selectors

    org = released_org()
    _plans(org, 6)
    first = ImprovementPlan.objects.filter(participation__employee=org.employee).earliest("pk")
    ImprovementPlan.objects.filter(pk=first.pk).update(status=PlanStatus.COMPLETED)
    expected = list(
        selectors.plan_rows(
            ImprovementPlan.objects.filter(participation__employee=org.employee)
        ).order_by("-created_at", "-pk")
    )
    expected.sort(key=lambda p: p.status not in selectors.OPEN)

    def shown(plan):
        return (
            plan.pk,
            plan.status,
            plan.next_checkpoint,
            plan.open_actions,
            plan.participation.cycle.name,
            plan.manager.full_name,
        )

    with CaptureQueriesContext(connection) as queries:
        got = [shown(plan) for plan in selectors.my_plans(org.employee.user)]
    assert len(queries) <= 2  # the employee's row (unless cached) and the plans
    assert got == [shown(plan) for plan in expected]
    assert len(got) == 3 and got[-1][1] == PlanStatus.COMPLETED
