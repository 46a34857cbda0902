"""HR's whole-cycle figures on the check-in participation page, the deviation list and
planning progress are stored roll-ups (perfcycle/rollups.py): read in one query while
nothing they count changed, and a write (a check-in submitted, a deviation resolved, a
goal approved, a department renamed) shows on the very next request."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from goals.models import GoalStatus
from goals.services import workflow as goal_services
from implementation.models import CheckIn, Deviation
from implementation.selectors import checkins as checkin_selectors
from implementation.services import checkins as checkin_services
from implementation.services import deviations as deviation_services
from implementation.services.evidence import verify_evidence
from perfcycle.models import Cycle, Rollup
from tests.factories import enrol
from tests.goals.factories import make_goal
from tests.implementation.evidence_factories import make_evidence, open_cycle
from tests.implementation.factories import make_checkin, make_deviation

pytestmark = pytest.mark.django_db


def get(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return response, len(ctx.captured_queries)


@pytest.fixture
def cycle(org):
    cycle = open_cycle("FY2026")
    enrol(cycle, org["employee"], org["peer"], org["intern"], org["employee2"])
    return cycle


# --- Check-in participation ------------------------------------------------------------------


def this_period_checkin(cycle, person, **fields) -> CheckIn:
    start, end = checkin_selectors.checkin_period(cycle, timezone.localdate())
    participation = cycle.participations.get(employee=person)
    return make_checkin(participation, period_start=start, period_end=end, due_date=end, **fields)


def test_a_submitted_check_in_shows_at_once_on_participation(org, cycle, login):
    checkin = this_period_checkin(cycle, org["employee"])
    this_period_checkin(cycle, org["peer"])
    client = login(org["hr"])
    url = reverse("implementation:checkin-participation")
    first, computed = get(client, url)
    again, stored = get(client, url)
    assert (first.context["total"].period.total, first.context["total"].period.submitted) == (2, 0)
    assert again.context["total"] == first.context["total"]
    assert stored < computed  # the second request read the stored figures
    assert Rollup.objects.filter(key__startswith="checkin-participation:").exists()

    checkin_services.submit_checkin(
        actor=org["employee"].user,
        checkin=checkin,
        data={"went_well": "", "blockers": "", "confidence": 4, "progress": {}, "answers": {}},
        expected_version=checkin.version,
    )
    after, _ = get(client, url)
    assert after.context["total"].period.submitted == 1
    assert after.context["total"].period.submitted_percent == 50
    assert after.context["total"].cycle.submitted == 1
    department = org["employee"].department.name
    row = next(r for r in after.context["rows"] if r.name == department)
    assert row.period.submitted == 1
    assert f'data-department="{department}"' in after.content.decode()


def test_a_renamed_department_shows_at_once_on_participation(org, cycle, login):
    client = login(org["hr"])
    url = reverse("implementation:checkin-participation")
    get(client, url)
    department = org["employee"].department
    department.name = "Platform Engineering"
    department.save(update_fields=["name"])
    names = {row.name for row in get(client, url)[0].context["rows"]}
    assert "Platform Engineering" in names


# --- HR's deviation list ---------------------------------------------------------------------


def deviations_of(cycle, org, *statuses):
    made = []
    for n, status in enumerate(statuses):
        person = [org["employee"], org["peer"], org["intern"]][n % 3]
        goal = make_goal(person, cycle=cycle, status=GoalStatus.APPROVED, title=f"Goal {n}")
        participation = cycle.participations.get(employee=person)
        made.append(
            make_deviation(
                goal,
                participation=participation,
                status=status,
                detected_on=timezone.localdate() - dt.timedelta(days=n),
            )
        )
    return made


def test_a_resolved_deviation_leaves_hrs_list_at_once(org, cycle, login):
    agreed, *_ = deviations_of(
        cycle, org, Deviation.Status.ACTION_AGREED, Deviation.Status.OPEN, Deviation.Status.OPEN
    )
    client = login(org["hr"])
    url = reverse("implementation:team-deviations")
    first, computed = get(client, url)
    _, stored = get(client, url)
    assert (first.context["counts"]["unresolved"], first.context["page"].paginator.count) == (3, 3)
    assert stored < computed

    deviation_services.resolve_deviation(
        actor=org["hr"].user, deviation=agreed, note="Caught up", expected_version=agreed.version
    )
    after, _ = get(client, url)
    assert after.context["counts"]["unresolved"] == 2
    assert after.context["counts"]["resolved"] == 1
    assert after.context["page"].paginator.count == 2
    assert agreed not in after.context["page"].object_list
    everything, _ = get(client, f"{url}?status=all")
    assert everything.context["page"].paginator.count == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 4),  # needs attention: open or action agreed
        ("?status=all", 6),
        ("?status=resolved", 1),
        ("?severity=high", 2),  # unresolved and high: from the counts
        ("?status=all&severity=high", 3),  # not in the counts: counted with the page
        ("?status=resolved&severity=high", 1),
    ],
)
def test_the_list_size_is_that_of_the_rows_shown(org, cycle, login, query, expected):
    """Whether the size comes from the (stored) counts or is counted with the page, it is
    the number of deviations the filter keeps, and every one is listed."""
    made = deviations_of(
        cycle,
        org,
        *[Deviation.Status.OPEN] * 3,
        Deviation.Status.ACTION_AGREED,
        Deviation.Status.RESOLVED,
        Deviation.Status.ACCEPTED,
    )
    for deviation in (made[0], made[3], made[4]):
        Deviation.objects.filter(pk=deviation.pk).update(severity=Deviation.Severity.HIGH)
    page = get(login(org["hr"]), reverse("implementation:team-deviations") + query)[0].context[
        "page"
    ]
    assert page.paginator.count == len(page.object_list) == expected


def test_a_page_past_the_end_of_hrs_list_is_its_last(org, cycle, login, monkeypatch):
    monkeypatch.setattr("perfcycle.paging.ORGANISATION_PAGE_SIZE", 2)
    deviations_of(cycle, org, *[Deviation.Status.OPEN] * 5)
    page = get(login(org["hr"]), reverse("implementation:team-deviations") + "?page=9")[0].context[
        "page"
    ]
    assert (page.number, len(page.object_list), page.paginator.count) == (3, 1, 5)


# --- Planning progress -----------------------------------------------------------------------


def test_an_approved_goal_shows_at_once_on_planning_progress(org, cycle, login):
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.PLANNING)
    goal = make_goal(org["employee"], cycle=cycle, status=GoalStatus.SUBMITTED, weight=100)
    make_goal(org["peer"], cycle=cycle, status=GoalStatus.APPROVED, weight=Decimal("100"))
    client = login(org["hr"])
    url = f"{reverse('goals:planning-progress')}?cycle={cycle.pk}"
    first, computed = get(client, url)
    _, stored = get(client, url)
    counts = first.context["counts"]
    assert (counts["pending"], counts["ready"], counts["no_goals"], counts["total"]) == (1, 1, 2, 4)
    assert first.context["page"].paginator.count == 4
    assert stored < computed

    goal_services.approve_goal(actor=org["manager"].user, goal=goal)
    after, _ = get(client, url)
    assert (after.context["counts"]["pending"], after.context["counts"]["ready"]) == (0, 2)
    ready, _ = get(client, f"{url}&status=ready")
    assert ready.context["page"].paginator.count == 2
    assert {row.employee_id for row in ready.context["page"].object_list} == {
        org["employee"].pk,
        org["peer"].pk,
    }
    assert 'data-count="ready">2<' in after.content.decode()


# --- HR's evidence list ----------------------------------------------------------------------


def test_hr_evidence_counts_are_stored_and_follow_a_verification(org, cycle, login):
    """HR's evidence list reads its size and the "To verify" count from one stored roll-up
    (fewer queries once stored) and a verification shows on the very next request."""
    participation = cycle.participations.get(employee=org["employee"])
    first_record = make_evidence(participation, title="Release notes")
    make_evidence(participation, title="Customer thanks")
    client = login(org["hr"])
    url = reverse("implementation:evidence-list")
    first, computed = get(client, url)
    again, stored = get(client, url)
    assert (first.context["page"].paginator.count, first.context["to_verify_count"]) == (2, 2)
    assert (again.context["page"].paginator.count, again.context["to_verify_count"]) == (2, 2)
    assert stored < computed
    verify_evidence(
        actor=org["hr"].user, evidence=first_record, expected_version=first_record.version
    )
    after, _ = get(client, url)
    assert (after.context["page"].paginator.count, after.context["to_verify_count"]) == (2, 1)
    make_evidence(participation, title="Third")
    assert get(client, url)[0].context["page"].paginator.count == 3
