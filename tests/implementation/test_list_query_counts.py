"""The implementation stage's list pages and HR's planning progress make the same number
of queries (and at most 12) for a small organisation and for one several times larger,
where the viewer's own team grew too: no query per row, per person or per page of data."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from implementation.models import CheckIn, Deviation
from perfcycle.models import Cycle
from tests.factories import enrol, make_employee
from tests.goals.factories import make_goal
from tests.implementation.evidence_factories import make_evidence, open_cycle
from tests.implementation.factories import make_checkin, make_deviation

pytestmark = pytest.mark.django_db

MAX_QUERIES = 12


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def records_for(cycle, participation, n: int) -> None:
    """What a person has by mid-cycle: goals (one behind), evidence, check-ins."""
    person = participation.employee
    today = timezone.localdate()
    periods = participation.checkins.count()
    for k in range(n):
        goal = make_goal(
            person,
            cycle=cycle,
            status="approved",
            title=f"Goal {k} of {person.pk}",
            weight=Decimal("50"),
            baseline=Decimal("0"),
            target=Decimal("100"),
            current_value=Decimal("10"),
        )
        make_evidence(participation, goal=goal, title=f"Work {k} of {person.pk}")
        make_deviation(goal, participation=participation, detected_on=today)
        make_checkin(
            participation,
            period_start=cycle.start_date + dt.timedelta(days=31 * (periods + k)),
            status=CheckIn.Status.SUBMITTED if k % 2 else CheckIn.Status.PENDING,
        )


@pytest.fixture
def cycle(org):
    cycle = open_cycle("FY2026")
    for participation in enrol(
        cycle, org["employee"], org["peer"], org["intern"], org["employee2"], org["manager"]
    ):
        records_for(cycle, participation, 1)
    return cycle


def grow(cycle, org, *, people: int = 12) -> None:
    """More of everything: new reports of the team lead, a new team elsewhere, and more
    records for everyone already there."""
    for participation in cycle.participations.select_related("employee"):
        records_for(cycle, participation, 2)
    lead = make_employee("newlead", manager=org["manager2"])
    enrol(cycle, lead)
    for n in range(people):
        manager = org["manager"] if n % 2 else lead
        person = make_employee(f"grown{n}", manager=manager)
        (participation,) = enrol(cycle, person)
        records_for(cycle, participation, 3)


PAGES = [
    ("employee", "implementation:evidence-list"),
    ("manager", "implementation:evidence-list"),
    ("hr", "implementation:evidence-list"),
    ("employee", "implementation:my-deviations"),
    ("manager", "implementation:team-deviations"),
    ("hr", "implementation:team-deviations"),
    ("hr", "implementation:checkin-participation"),
]


@pytest.mark.parametrize(("who", "name"), PAGES)
def test_list_pages_query_count_does_not_grow(org, cycle, login, who, name):
    client = login(org[who])
    url = reverse(name)
    few = queries(client, url)
    grow(cycle, org)
    assert Deviation.objects.count() > 3 * 5
    assert queries(client, url) == few
    assert few <= MAX_QUERIES


@pytest.mark.parametrize("query", ["", "?sort=goals", "?status=ready", "?sort=department"])
def test_planning_progress_query_count_does_not_grow(org, cycle, login, query):
    cycle.phase = Cycle.Phase.PLANNING
    cycle.save(update_fields=["phase"])
    client = login(org["hr"])
    url = f"{reverse('goals:planning-progress')}?cycle={cycle.pk}{query.replace('?', '&')}"
    few = queries(client, url)
    grow(cycle, org)
    assert queries(client, url) == few
    assert few <= MAX_QUERIES


def test_evidence_list_pages_past_the_end_show_the_last_page(org, cycle, login):
    """Page 99 of a two-page list is its last page, as before."""
    participation = cycle.participations.get(employee=org["employee"])
    for n in range(60):
        make_evidence(participation, title=f"Extra {n}")
    page = login(org["employee"]).get(reverse("implementation:evidence-list") + "?page=99")
    assert page.context["page"].number == 2
    assert len(page.context["page"].object_list) == 61 - 50
    assert page.context["page"].paginator.count == 61


def test_evidence_search_finds_a_person_by_name(org, cycle, login):
    """HR's person filter is a search once the list of people is too long for a select."""
    response = login(org["hr"]).get(
        reverse("implementation:evidence-list") + f"?q={org['peer'].user.last_name}"
    )
    titles = {e.title for e in response.context["page"].object_list}
    assert titles == {f"Work 0 of {org['peer'].pk}"}


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("implementation:team-deviations", ""),
        ("implementation:team-deviations", "?status=all"),
        ("implementation:team-deviations", "?severity=high&status=all"),  # counted with the page
        ("implementation:checkin-participation", ""),
        ("goals:planning-progress", ""),
        ("goals:planning-progress", "?status=ready"),
    ],
)
def test_hr_pages_with_stored_figures_read_them_at_any_size(org, cycle, login, name, query):
    """HR's whole-cycle figures are stored (perfcycle/rollups.py): a repeated request
    reads them back, and makes as many queries (fewer than computing them) at both sizes."""
    client = login(org["hr"])
    url = reverse(name) + query
    if name == "goals:planning-progress":
        url += f"{'&' if query else '?'}cycle={cycle.pk}"
    computed = queries(client, url)
    stored = queries(client, url)
    grow(cycle, org)
    assert queries(client, url) == computed
    assert queries(client, url) == stored < computed
    assert computed <= MAX_QUERIES
