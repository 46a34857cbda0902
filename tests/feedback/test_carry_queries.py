"""The next-cycle goals pages and HR's root-cause pages make the same number of queries
with 2 rows as with 8 (no query per row), within the daily page budget."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from perfcycle.models import Employee
from perfcycle.services import enrol_employees
from tests.feedback.carry_factories import (
    ensure_root_causes,
    interview_for,
    interviewed_people,
    next_cycle,
    propose,
)
from tests.feedback.factories import released_org

pytestmark = pytest.mark.django_db
BUDGET = 12


@pytest.fixture(autouse=True)
def _root_causes(db):
    ensure_root_causes()


def rolled_back(build_and_count):
    """Build one size and count, then undo it (both sizes reuse the same names)."""
    with transaction.atomic():
        result = build_and_count()
        transaction.set_rollback(True)
    return result


def count(client, url, params=None) -> int:
    client.get(url, params)  # warm: session, caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


def proposals_setup(n: int, *, carried: bool):
    org = released_org()
    interview = interview_for(org, org.employee)
    for i in range(n):
        propose(interview, org.manager.user, title=f"Goal {i}")
    if carried:
        enrol_employees(
            actor=org.hr.user,
            cycle=next_cycle(),
            employees=Employee.objects.filter(pk=org.employee.pk),
        )
    return org, interview


@pytest.mark.parametrize("carried", [False, True])
@pytest.mark.parametrize("who", ["manager", "employee", "hr"])
def test_the_proposals_page_does_not_grow_with_its_goals(client, who, carried):
    def measure(n):
        org, interview = proposals_setup(n, carried=carried)
        client.force_login(getattr(org, who).user)
        return count(client, reverse("feedback:carry-proposals", args=[interview.pk]))

    counts = [rolled_back(lambda n=n: measure(n)) for n in (2, 8)]
    assert counts[0] == counts[1], counts
    assert counts[0] <= BUDGET, counts


@pytest.mark.parametrize("carried", [False, True])
def test_my_next_cycle_goals_do_not_grow_with_the_goals(client, carried):
    def measure(n):
        org, _interview = proposals_setup(n, carried=carried)
        client.force_login(org.employee.user)
        return count(client, reverse("feedback:carry-mine"))

    counts = [rolled_back(lambda n=n: measure(n)) for n in (2, 8)]
    assert counts[0] == counts[1], counts
    assert counts[0] <= BUDGET, counts


def people(n: int) -> dict:
    """``n`` interviewed people in each of two departments, naming a few causes."""
    mix = [["Skills"], ["Workload", "Process"], ["Skills", "Motivation"], []]
    return {
        "Finance": [mix[i % 4] for i in range(n)],
        "Support": [mix[(i + 1) % 4] for i in range(n)],
    }


def test_the_root_cause_pages_do_not_grow_with_the_interviews(client):
    def measure(n):
        data = interviewed_people(departments=people(n))
        client.force_login(data["hr"].user)
        report = reverse("feedback:carry-root-cause-report")
        return (
            count(client, report, {"cycle": data["cycle"].pk}),
            count(client, reverse("feedback:carry-root-causes")),
        )

    (report_small, list_small), (report_big, list_big) = [
        rolled_back(lambda n=n: measure(n)) for n in (2, 8)
    ]
    report_counts, list_counts = [report_small, report_big], [list_small, list_big]
    assert report_counts[0] == report_counts[1], report_counts
    assert list_counts[0] == list_counts[1], list_counts
    assert max(report_counts + list_counts) <= BUDGET, (report_counts, list_counts)


def test_the_rules_page_is_within_budget(client):
    org = released_org()
    client.force_login(org.hr.user)
    assert count(client, reverse("feedback:carry-rules", args=[org.cycle.pk])) <= BUDGET


def _shown(proposal) -> tuple:
    """What "My next-cycle goals" shows of a proposal and its related rows."""
    return (
        proposal.pk,
        proposal.title,
        proposal.interview.participation.cycle.name,
        proposal.interview.manager.full_name,
        proposal.carried_goal.title if proposal.carried_goal else None,
        proposal.carried_into.cycle.name if proposal.carried_into else None,
    )


@pytest.mark.parametrize("carried", [False, True])
def test_the_compiled_my_goals_rows_are_the_orms(carried):
    """ "My next-cycle goals" reads its rows with SQL built once (feedback.selectors.carry):
    the same statement, rows and related objects as its queryset run by the ORM."""
    from feedback.selectors import carry

    org, interview = proposals_setup(3, carried=carried)
    employee_id = org.employee.pk
    with CaptureQueriesContext(connection) as orm_queries:
        expected = [_shown(p) for p in carry._my_proposals._build(employee_id)]
    assert carry._my_proposals.statement(employee_id) == orm_queries[0]["sql"]
    with CaptureQueriesContext(connection) as queries:
        shown = [_shown(p) for group in carry.my_proposals(org.employee) for p in group.proposals]
    assert len(queries) == 1  # the related objects come with the rows
    assert shown == expected
    assert len(shown) == 3
    assert all(row[4] is not None for row in shown) == carried
