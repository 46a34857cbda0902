"""The running improvement plan appears in the person's check-ins during the next cycle:
implementation's check-in pages render the panels registered in the core's registry
(perfcycle.stages.register_checkin_panel), and feedback registers the plan's — its next
check-point and the actions due — for whoever may read the plan, nobody else."""

import datetime as dt

import pytest
from django.urls import reverse

from perfcycle.models import Cycle
from perfcycle.stages import CheckinPanel, Viewer, registry
from tests.factories import enrol, make_cycle
from tests.feedback.factories import released_org
from tests.feedback.plan_factories import active, required_plan
from tests.implementation.factories import make_checkin

pytestmark = pytest.mark.django_db


@pytest.fixture
def next_cycle():
    """The organisation's plan running, and the employee's check-in in the next cycle."""
    org = released_org()
    plan = active(required_plan(org), org)
    cycle = make_cycle(phase=Cycle.Phase.IMPLEMENTATION, start=org.cycle.end_date)
    participation, _ = enrol(cycle, org.employee, org.outsider)
    checkin = make_checkin(participation, period_start=cycle.start_date)
    return org, plan, checkin


@pytest.mark.parametrize("who", ["employee", "manager", "hr"])
def test_the_plan_panel_is_on_the_next_cycles_checkin_page(client, next_cycle, who):
    org, plan, checkin = next_cycle
    client.force_login(getattr(org, who).user)
    page = client.get(checkin.get_absolute_url()).content.decode()
    assert 'data-panel="improvement-plan"' in page
    assert f'data-plan="{plan.pk}"' in page
    point = plan.checkpoints.order_by("due_date").first()
    assert 'data-testid="plan-next-checkpoint"' in page
    assert str(point.due_date.year) in page
    assert "Plan each release with the team" in page  # an open action, due soonest


def test_the_panel_is_on_my_checkins_too(client, next_cycle):
    org, plan, checkin = next_cycle
    client.force_login(org.employee.user)
    page = client.get(reverse("implementation:my-checkins")).content.decode()
    assert f'data-plan="{plan.pk}"' in page


def test_no_panel_without_a_running_plan(client, next_cycle):
    org, plan, checkin = next_cycle
    from feedback.services.plans import close_plan

    close_plan(
        plan=plan,
        outcome="completed",
        note="Met.",
        actor=org.manager.user,
        expected_version=plan.version,
    )
    client.force_login(org.employee.user)
    page = client.get(checkin.get_absolute_url()).content.decode()
    assert 'data-panel="improvement-plan"' not in page


def test_the_panel_shows_only_what_the_viewer_may_read(next_cycle):
    """The provider filters by the plan's read rule: someone who reaches the check-in
    page by another route (here: asked directly) sees no plan of a person they cannot
    read."""
    org, plan, checkin = next_cycle
    assert registry.checkin_panels(checkin.participation, Viewer.of(org.outsider.user)) == []
    panels = registry.checkin_panels(checkin.participation, Viewer.of(org.skip.user))
    assert [p.key for p in panels] == ["improvement-plan"]


def test_the_registry_orders_panels_of_several_stages(next_cycle):
    org, plan, checkin = next_cycle

    def other(participation, viewer):
        return [CheckinPanel("another", "Another", "components/empty.html", order=10)]

    registry._checkin_panels["test-other"] = other
    try:
        keys = [
            p.key
            for p in registry.checkin_panels(checkin.participation, Viewer.of(org.employee.user))
        ]
    finally:
        del registry._checkin_panels["test-other"]
    assert keys == ["another", "improvement-plan"]


def test_an_outsiders_checkin_page_has_no_panel(client, next_cycle):
    org, plan, checkin = next_cycle
    cycle = checkin.participation.cycle
    theirs = make_checkin(
        cycle.participations.get(employee=org.outsider),
        period_start=cycle.start_date + dt.timedelta(days=1),
    )
    client.force_login(org.outsider.user)
    page = client.get(theirs.get_absolute_url()).content.decode()
    assert 'data-panel="improvement-plan"' not in page
