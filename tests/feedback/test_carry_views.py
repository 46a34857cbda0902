"""The next-cycle goals pages: the reviewer adds, edits and removes goals on the interview's
"Next-cycle goals" page; the employee reads them on theirs; everyone else in the
interview's read scope reads them; anyone else finds nothing (404). Bad input is a 400
with the message at its field, a stale form a 409 that overwrites nothing. The carried
goals show on the person's planning page of the next cycle."""

import pytest
from django.urls import reverse

from feedback.models import GoalProposal, InterviewStatus
from perfcycle.models import Employee
from perfcycle.services import enrol_employees
from tests.feedback.carry_factories import ensure_root_causes, interview_for, next_cycle, propose
from tests.feedback.factories import released_org

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _root_causes(db):
    ensure_root_causes()


@pytest.fixture
def org():
    return released_org()


@pytest.fixture
def interview(org):
    return interview_for(org, org.employee)


def page(interview):
    return reverse("feedback:carry-proposals", args=[interview.pk])


def as_user(client, person):
    client.force_login(person.user)
    return client


def valid(**changes):
    data = {
        "title": "Ship the mobile app",
        "description": "Both stores, by June.",
        "indicator": "",
        "target": "2",
        "unit": "apps",
        "weight": "40",
    }
    data.update(changes)
    return data


def test_the_reviewer_adds_a_goal_and_sees_it_listed(client, org, interview):
    as_user(client, org.manager)
    empty = client.get(page(interview))
    assert empty.status_code == 200
    assert "No goals yet — add the first goal" in empty.content.decode()
    response = client.post(page(interview), valid())
    assert response.status_code == 302
    html = client.get(page(interview)).content.decode()
    assert "“Ship the mobile app” added." in html
    assert "Both stores, by June." in html
    assert 'data-proposal-state="waiting"' in html
    assert "Weights so far: 40\u00a0%" in html
    assert GoalProposal.objects.get().created_by == org.manager.user


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"weight": "120"}, "weight", "less than or equal to 100"),
        ({"weight": "lots"}, "weight", "Enter a number."),
        ({"target": "1e99"}, "target", "digits"),
        ({"indicator": "999999"}, "indicator", "valid choice"),
    ],
)
def test_bad_input_is_a_400_with_the_message_at_the_field(
    client, org, interview, changes, field, message
):
    response = as_user(client, org.manager).post(page(interview), valid(**changes))
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert 'data-testid="form-errors"' in html
    assert 'value="Both stores, by June."' in html or "Both stores, by June." in html
    assert not GoalProposal.objects.exists()


def test_the_reviewer_edits_a_goal_and_a_stale_form_is_a_409(client, org, interview):
    proposal = propose(interview, org.manager.user, title="First")
    url = reverse("feedback:carry-proposal-edit", args=[proposal.pk])
    as_user(client, org.manager)
    form = client.get(url)
    assert form.status_code == 200
    assert f'name="version" value="{proposal.version}"' in form.content.decode()
    saved = client.post(url, valid(title="Second", version=proposal.version))
    assert saved.status_code == 302
    stale = client.post(url, valid(title="Third", version=proposal.version))
    assert stale.status_code == 409
    assert "Someone else changed this next-cycle goal" in stale.content.decode()
    missing = client.post(url, valid(title="Fourth"))
    assert missing.status_code == 409
    bad = client.post(url, valid(title="", version=proposal.version + 1))
    assert bad.status_code == 400
    proposal.refresh_from_db()
    assert proposal.title == "Second"


def test_the_reviewer_removes_a_goal(client, org, interview):
    proposal = propose(interview, org.manager.user, title="Drop me")
    as_user(client, org.manager)
    url = reverse("feedback:carry-proposal-remove", args=[proposal.pk])
    assert client.get(url).status_code == 405
    stale = client.post(url, {"version": proposal.version + 5}, follow=True)
    assert "Someone else changed" in stale.content.decode()
    assert GoalProposal.objects.exists()
    done = client.post(url, {"version": proposal.version}, follow=True)
    assert "“Drop me” taken off the list." in done.content.decode()
    assert not GoalProposal.objects.exists()


@pytest.mark.parametrize("who", ["employee", "skip", "hr"])
def test_the_employee_the_skip_level_and_hr_read_it_without_forms(client, org, interview, who):
    propose(interview, org.manager.user, title="Visible goal")
    as_user(client, getattr(org, who))
    response = client.get(page(interview))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Visible goal" in html
    assert 'data-testid="read-only-note"' in html
    assert 'data-testid="proposal-form"' not in html
    assert "carry-proposal-edit" not in html and "/edit/" not in html


@pytest.mark.parametrize("who", ["employee", "skip", "hr", "colleague", "outsider"])
def test_nobody_but_the_reviewer_writes_them_404(client, org, interview, who):
    proposal = propose(interview, org.manager.user)
    as_user(client, getattr(org, who))
    assert client.post(page(interview), valid()).status_code == 404
    edit = reverse("feedback:carry-proposal-edit", args=[proposal.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, valid(version=proposal.version)).status_code == 404
    remove = reverse("feedback:carry-proposal-remove", args=[proposal.pk])
    assert client.post(remove, {"version": proposal.version}).status_code == 404
    assert GoalProposal.objects.count() == 1


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_people_outside_the_interview_find_nothing(client, org, interview, who):
    as_user(client, getattr(org, who))
    assert client.get(page(interview)).status_code == 404
    assert client.get(reverse("feedback:carry-proposals", args=[999_999])).status_code == 404


def test_a_cancelled_interview_shows_its_goals_but_no_form(client, org):
    interview = interview_for(org, org.employee, status=InterviewStatus.SCHEDULED)
    propose(interview, org.manager.user, title="Before the cancel")
    interview.status = InterviewStatus.CANCELLED
    interview.save(update_fields=["status"])
    as_user(client, org.manager)
    html = client.get(page(interview)).content.decode()
    assert "Before the cancel" in html
    assert 'data-testid="cancelled-note"' in html
    assert 'data-testid="proposal-form"' not in html
    assert client.post(page(interview), valid()).status_code == 404


def test_the_employee_sees_their_goals_and_where_they_went(client, org, interview):
    as_user(client, org.employee)
    empty = client.get(reverse("feedback:carry-mine"))
    assert empty.status_code == 200
    assert 'data-testid="no-proposals"' in empty.content.decode()
    propose(interview, org.manager.user, title="Ship the mobile app")
    later = next_cycle(name="Cycle of 2027")
    enrol_employees(
        actor=org.hr.user, cycle=later, employees=Employee.objects.filter(pk=org.employee.pk)
    )
    html = client.get(reverse("feedback:carry-mine")).content.decode()
    assert "Ship the mobile app" in html
    assert 'data-proposal-state="carried"' in html
    assert "A goal of Cycle of 2027" in html
    assert "(draft)" in html  # the goal's own status, as it changes there
    assert "/edit/" not in html
    # …and on the planning page of the next cycle, as a draft of theirs.
    planning = client.get(reverse("goals:my-goals"), {"cycle": later.pk})
    assert planning.status_code == 200
    assert "Ship the mobile app" in planning.content.decode()
    goal = GoalProposal.objects.get().carried_goal
    detail = client.get(goal.get_absolute_url())
    assert detail.status_code == 200
    assert f"Agreed in your feedback interview of {org.cycle.name}" in detail.content.decode()
    client.force_login(org.manager.user)
    theirs = client.get(goal.get_absolute_url()).content.decode()
    assert f"Agreed in the feedback interview of {org.cycle.name}" in theirs


def test_a_carried_goal_cannot_be_edited_from_the_interview(client, org, interview):
    proposal = propose(interview, org.manager.user, title="Carried")
    enrol_employees(
        actor=org.hr.user,
        cycle=next_cycle(),
        employees=Employee.objects.filter(pk=org.employee.pk),
    )
    proposal.refresh_from_db()
    as_user(client, org.manager)
    url = reverse("feedback:carry-proposal-edit", args=[proposal.pk])
    form = client.get(url)
    assert 'data-testid="locked-note"' in form.content.decode()
    refused = client.post(url, valid(title="Changed", version=proposal.version))
    assert refused.status_code == 400
    assert "already a draft goal" in refused.content.decode()
    listed = client.get(page(interview)).content.decode()
    assert 'data-proposal-state="carried"' in listed
    assert f"/next-cycle-goals/{proposal.pk}/edit/" not in listed
