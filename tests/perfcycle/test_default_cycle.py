"""Which cycle a page shows: one rule on every page (issue 8, item 1).

When HR creates next year's cycle (in planning, starting months from now), the pages of
someone in the running cycle keep showing the running one, and offer a chooser."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from implementation.models import CheckIn
from perfcycle.models import Cycle
from perfcycle.stages import Viewer, running_first
from tests.factories import enrol, make_cycle
from tests.implementation.factories import make_checkin

MY_PAGES = ["my-home", "goals:my-goals", "implementation:my-checkins"]
TEAM_PAGES = ["team-home", "goals:team-goals", "implementation:team-board"]


@pytest.fixture
def two_cycles(director, manager, employee, peer):
    """A cycle in implementation since seven months, and next year's in planning that
    starts in five months (created later, so newest by id and by start date)."""
    today = timezone.localdate()
    running = make_cycle(
        "FY 2026", phase=Cycle.Phase.IMPLEMENTATION, start=today - dt.timedelta(days=210)
    )
    upcoming = make_cycle(
        "FY 2027", phase=Cycle.Phase.PLANNING, start=today + dt.timedelta(days=150)
    )
    for cycle in (running, upcoming):
        enrol(cycle, manager, employee, peer)
    return running, upcoming


def test_the_rule_puts_a_started_cycle_before_a_future_one(two_cycles):
    """Started before future; among started the newest, among future the soonest."""
    running, upcoming = two_cycles
    today = timezone.localdate()
    older = make_cycle(
        "FY 2025", phase=Cycle.Phase.IMPLEMENTATION, start=today - dt.timedelta(days=400)
    )
    later = make_cycle("FY 2028", phase=Cycle.Phase.PLANNING, start=today + dt.timedelta(days=500))
    assert running_first([later, older, upcoming, running]) == [running, older, upcoming, later]


def test_viewer_defaults_to_the_running_cycle(two_cycles, employee):
    """The one place the rule lives for the per-request viewer."""
    running, upcoming = two_cycles
    viewer = Viewer.of(employee.user)
    assert viewer.current_participation.cycle == running
    assert viewer.cycle_choices == [running, upcoming]


@pytest.mark.parametrize("page", MY_PAGES)
def test_my_pages_default_to_the_running_cycle_and_offer_the_other(
    page, two_cycles, employee, login
):
    """My cycle card, My goals and My check-ins show the running cycle, with a chooser."""
    running, upcoming = two_cycles
    response = login(employee).get(reverse(page))
    assert response.status_code == 200
    assert response.context["cycle"] == running
    html = response.content.decode()
    assert 'data-testid="cycle-picker"' in html
    assert f'<option value="{upcoming.pk}"' in html

    chosen = login(employee).get(reverse(page), {"cycle": upcoming.pk})
    assert chosen.context["cycle"] == upcoming


@pytest.mark.parametrize("page", TEAM_PAGES)
def test_team_pages_default_to_the_running_cycle_and_offer_the_other(
    page, two_cycles, manager, login
):
    """My team, Team goals and Team check-ins show the running cycle too, with a chooser."""
    running, upcoming = two_cycles
    response = login(manager).get(reverse(page))
    assert response.status_code == 200
    assert response.context["cycle"] == running
    assert 'data-testid="cycle-picker"' in response.content.decode()

    chosen = login(manager).get(reverse(page), {"cycle": upcoming.pk})
    assert chosen.context["cycle"] == upcoming


@pytest.mark.parametrize("page", MY_PAGES + TEAM_PAGES)
def test_a_cycle_the_person_has_no_part_in_is_not_found(
    page, two_cycles, manager, employee2, login
):
    """Another team's cycle, asked for by id, is a 404 on every page."""
    theirs = make_cycle("Sales only", phase=Cycle.Phase.IMPLEMENTATION)
    enrol(theirs, employee2)
    assert login(manager).get(reverse(page), {"cycle": theirs.pk}).status_code == 404


def test_the_open_checkin_stays_on_my_checkins(two_cycles, employee, login):
    """The open check-in of the running cycle, and its button, stay on the page."""
    running, _ = two_cycles
    participation = running.participations.get(employee=employee)
    today = timezone.localdate()
    checkin = make_checkin(
        participation, period_start=today - dt.timedelta(days=5), status=CheckIn.Status.PENDING
    )
    response = login(employee).get(reverse("implementation:my-checkins"))
    assert response.context["current"] == checkin
    assert checkin.get_absolute_url() in response.content.decode()


def test_one_cycle_offers_no_chooser(director, employee, login):
    """With a single open cycle there is nothing to choose."""
    enrol(make_cycle(phase=Cycle.Phase.IMPLEMENTATION), employee)
    response = login(employee).get(reverse("goals:my-goals"))
    assert 'data-testid="cycle-picker"' not in response.content.decode()
