"""The interview page leads to the rest of the feedback stage: the next-cycle goals, the
employee's result to agree or dispute, and the improvement plan the interview started."""

import pytest
from django.test import Client
from django.urls import reverse

from feedback.models import ImprovementPlan
from tests.feedback.consensus_factories import hold_interview
from tests.feedback.factories import released_org

pytestmark = pytest.mark.django_db


def links_on_interview(user, interview) -> str:
    client = Client()
    client.force_login(user)
    page = client.get(reverse("feedback:interview-detail", args=[interview.pk]))
    assert page.status_code == 200
    return page.content.decode()


def test_a_held_interview_links_to_goals_result_and_the_required_plan():
    org = released_org(employee_rating=2)  # below the qualified level: a plan is required
    interview = hold_interview(org).appraisal.interview
    plan = ImprovementPlan.objects.get(appraisal=interview.appraisal)

    mine = links_on_interview(org.employee.user, interview)
    assert reverse("feedback:carry-proposals", args=[interview.pk]) in mine
    assert "My result and agreement" in mine
    assert reverse("feedback:plan-detail", args=[plan.pk]) in mine

    theirs = links_on_interview(org.manager.user, interview)
    assert reverse("feedback:carry-proposals", args=[interview.pk]) in theirs
    assert reverse("feedback:plan-detail", args=[plan.pk]) in theirs
    # Only the employee answers the result.
    assert "My result and agreement" not in theirs


def test_a_qualified_result_has_no_plan_link():
    org = released_org(employee_rating=4)
    interview = hold_interview(org).appraisal.interview
    assert not ImprovementPlan.objects.filter(appraisal=interview.appraisal).exists()
    page = links_on_interview(org.employee.user, interview)
    assert "Improvement plan" not in page
