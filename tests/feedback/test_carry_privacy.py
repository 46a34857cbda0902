"""The manager's private preparation notes never reach the employee through the
next-cycle goals: not on their pages, not in the goals carried into the next cycle, not
in their notifications or emails."""

import pytest
from django.core import mail
from django.urls import reverse

from feedback.models import GoalProposal, NoteRole, PreparationNote
from perfcycle.models import Employee, Notification
from perfcycle.services import enrol_employees
from tests.feedback.carry_factories import ensure_root_causes, interview_for, next_cycle, propose
from tests.feedback.factories import released_org

pytestmark = pytest.mark.django_db
SECRET = "PRIVATE-NOTE-7f3a: thinking of moving them off the team"


def test_no_page_notification_or_goal_of_the_employee_holds_the_private_note(client):
    ensure_root_causes()
    org = released_org()
    interview = interview_for(org, org.employee)
    PreparationNote.objects.create(
        interview=interview, role=NoteRole.MANAGER, author=org.manager, text=SECRET
    )
    propose(interview, org.manager.user, title="Ship the mobile app")
    later = next_cycle()
    enrol_employees(
        actor=org.hr.user, cycle=later, employees=Employee.objects.filter(pk=org.employee.pk)
    )
    goal = GoalProposal.objects.get().carried_goal
    client.force_login(org.employee.user)
    for url in (
        reverse("feedback:carry-mine"),
        reverse("feedback:carry-proposals", args=[interview.pk]),
        goal.get_absolute_url(),
        f"{reverse('goals:my-goals')}?cycle={later.pk}",
        reverse("notification-list"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET not in response.content.decode(), url
    assert SECRET not in f"{goal.title} {goal.description}"
    for note in Notification.objects.filter(recipient=org.employee.user):
        assert SECRET not in f"{note.title} {note.body} {note.url}"
    for message in mail.outbox:
        assert SECRET not in f"{message.subject} {message.body}"
    # The note is there, for its author only.
    assert PreparationNote.objects.get(author=org.manager).text == SECRET
