"""The interview's daily pages cost the same number of queries with 2 and with 8
interviews (no query per row), within the budget of 12."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.models import Appraisal, AppraisalStatus
from feedback.services import interviews as services
from tests.appraisal.factories import appraisal_of
from tests.factories import enrol, make_employee
from tests.feedback.factories import released_org
from tests.feedback.interview_factories import schedule, slot

pytestmark = pytest.mark.django_db

BUDGET = 12


def _grow(org, n: int) -> None:
    """``n`` more reports of the manager with released results (rows as the appraisal
    stage leaves them), each with an interview scheduled through the service."""
    model = appraisal_of(org, org.employee)
    for i in range(n):
        person = make_employee(manager=org.manager, department=org.employee.department)
        (participation,) = enrol(org.cycle, person)
        appraisal = Appraisal.objects.create(
            participation=participation,
            status=AppraisalStatus.FINALIZED,
            reviewer=org.manager,
            scale=model.scale,
            scale_levels=model.scale_levels,
            section_weights=model.section_weights,
            department=model.department,
            department_name=model.department_name if i % 2 else "Sales",
            final_score=model.final_score,
            final_band=model.final_band,
            finalized_at=model.finalized_at,
            released_at=model.released_at,
        )
        services.schedule_interview(
            actor=org.manager.user, appraisal=appraisal, slot=slot(days=2 + i)
        )


def _count(person, url) -> int:
    client = Client()
    client.force_login(person.user)
    client.get(url)  # warm: the session, the navigation layout
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def _pages(org, interview):
    return {
        "my interview": (org.employee, reverse("feedback:interview-mine")),
        "interview (employee)": (
            org.employee,
            reverse("feedback:interview-detail", args=[interview.pk]),
        ),
        "interview (reviewer)": (
            org.manager,
            reverse("feedback:interview-detail", args=[interview.pk]),
        ),
        "interviews": (org.manager, reverse("feedback:interview-team")),
        "interview completion": (org.hr, reverse("feedback:interview-completion")),
        "completion, held filter": (
            org.hr,
            reverse("feedback:interview-completion") + "?group=scheduled",
        ),
    }


def test_the_daily_pages_do_not_grow_with_interviews():
    org = released_org()
    interview = schedule(org)
    services.schedule_interview(
        actor=org.manager.user, appraisal=appraisal_of(org, org.colleague), slot=slot(days=3)
    )
    small = {name: _count(*page) for name, page in _pages(org, interview).items()}
    _grow(org, 6)
    grown = {name: _count(*page) for name, page in _pages(org, interview).items()}
    assert grown == small
    assert max(small.values()) <= BUDGET, small


def test_the_held_interview_pages_stay_in_budget():
    """After the record: the employee's page shows the record and its causes."""
    import time_machine

    from tests.feedback.interview_factories import causes, record

    org = released_org()
    interview = schedule(org)
    with time_machine.travel(interview.starts_at + dt.timedelta(hours=1), tick=False):
        services.record_interview(
            actor=org.manager.user,
            interview=interview,
            record=record(root_causes=causes("Skills", "Process")),
            expected_version=1,
        )
        counts = {name: _count(*page) for name, page in _pages(org, interview).items()}
    assert max(counts.values()) <= BUDGET, counts
