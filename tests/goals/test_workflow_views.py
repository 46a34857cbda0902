"""Goal workflow pages: each URL's happy path and wrong-role 404, form errors next to their
fields, and constant query counts on the list pages."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals import selectors, tasks
from goals.models import AdjustmentRequest, Goal, GoalComment
from perfcycle.models import Cycle, Notification, SentReminder
from tests.factories import enrol, make_cycle, make_employee
from tests.goals.factories import make_adjustment, make_goal, make_goals

pytestmark = pytest.mark.django_db

START = dt.date(2026, 1, 1)


@pytest.fixture
def cycle(org):
    cycle = make_cycle("FY2026", start=START)
    enrol(cycle, org["employee"], org["peer"], org["manager"], org["employee2"])
    return cycle


@pytest.fixture
def submitted(org, cycle):
    return make_goal(org["employee"], cycle=cycle, status="submitted", title="Cut churn")


def goal_url(name, goal):
    return reverse(f"goals:{name}", args=[goal.pk])


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def field_error(html: str, field: str) -> str:
    """The text of the invalid-feedback element that crispy renders under ``field``."""
    match = re.search(
        rf'id="error_1_id_{field}"[^>]*>\s*<strong>(.*?)</strong>', html, flags=re.DOTALL
    )
    return match.group(1).strip() if match else ""


# --- my-goals --------------------------------------------------------------------------


def test_my_goals_groups_by_status_and_shows_the_weight_gap(org, cycle, login):
    """Goals grouped by status, the weight total in words, alignment shown."""
    company = make_goal(cycle=cycle, status="approved", title="Grow revenue")
    make_goal(org["employee"], cycle=cycle, weight=50, parent=company, title="Land 3 deals")
    make_goal(org["employee"], cycle=cycle, weight=40, status="approved", title="Mentor")
    response = login(org["employee"]).get(reverse("goals:my-goals"))
    assert response.status_code == 200
    html = response.content.decode()
    assert [g.status for g in response.context["groups"]] == ["draft", "approved"]
    assert "90 % of 100 % — add 10 %" in html
    assert "Grow revenue" in html  # aligned-to column
    assert "Draft new goal" in html


def test_my_goals_empty_state_says_what_to_do(org, cycle, login):
    """No goals yet: the page says so and offers the first draft."""
    html = login(org["peer"]).get(reverse("goals:my-goals")).content.decode()
    assert "No goals yet — draft your first goal" in html


def test_my_goals_without_a_cycle(org, login):
    """Someone in no open cycle sees why there is nothing to plan."""
    response = login(org["intern"]).get(reverse("goals:my-goals"))
    assert response.status_code == 200
    assert "not in an open performance cycle" in response.content.decode()


def test_my_goals_of_someone_elses_cycle_is_not_found(org, cycle, login):
    """?cycle= of a cycle the user is not in is a 404."""
    other = make_cycle("Other")
    url = f"{reverse('goals:my-goals')}?cycle={other.pk}"
    assert login(org["employee"]).get(url).status_code == 404


def test_my_goals_query_count_does_not_grow_with_goals(org, cycle, login):
    """3 goals or 30: the same number of queries."""
    client = login(org["employee"])
    parent = make_goal(cycle=cycle, status="approved")
    for _ in range(3):
        make_goal(org["employee"], cycle=cycle, parent=parent, weight=1)
    few = count_queries(client, reverse("goals:my-goals"))
    for _ in range(27):
        make_goal(org["employee"], cycle=cycle, parent=parent, weight=1, status="approved")
    assert count_queries(client, reverse("goals:my-goals")) == few


# --- goal-create, goal-edit, goal-assign -----------------------------------------------


def test_employee_drafts_a_goal(org, cycle, login):
    """The form creates a draft owned by the employee and opens it."""
    client = login(org["employee"])
    url = reverse("goals:goal-create")
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "Reduce p95 latency", "weight": "30"})
    goal = Goal.objects.get(title="Reduce p95 latency")
    assert response.status_code == 302
    assert response.url == goal.get_absolute_url()
    assert (goal.owner, goal.status, goal.level) == (org["employee"], "draft", "individual")


def test_create_form_errors_land_next_to_their_fields(org, cycle, login):
    """A weight over 100 and a due date outside the cycle are 400s with field errors."""
    response = login(org["employee"]).post(
        reverse("goals:goal-create"),
        {"title": "Too much", "weight": "120", "due_date": "2030-01-01"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "weight")
    assert 'value="Too much"' in html  # nothing lost on an error
    response = login(org["employee"]).post(
        reverse("goals:goal-create"), {"title": "Late", "weight": "10", "due_date": "2030-01-01"}
    )
    assert response.status_code == 400
    assert "within the cycle" in field_error(response.content.decode(), "due_date")


def test_parent_choices_are_grouped_and_limited_to_what_the_user_sees(org, cycle, login):
    """Company, department and the user's own goals; never another team's goal."""
    company = make_goal(cycle=cycle, status="approved", title="Company aim")
    make_goal(cycle=cycle, department=org["employee"].department, title="Dept aim")
    make_goal(org["employee"], cycle=cycle, title="My other goal")
    make_goal(org["employee2"], cycle=cycle, title="Sales secret")
    other_cycle = make_cycle("Old")
    make_goal(cycle=other_cycle, status="approved", title="Last year")
    response = login(org["employee"]).get(reverse("goals:goal-create"))
    choices = response.context["form"].fields["parent"].choices
    groups = {label: [title for _pk, title in items] for label, items in choices[1:]}
    assert list(groups) == ["Company goals", "Department goals", "Individual goals"]
    assert groups["Company goals"] == ["Company aim"]
    html = response.content.decode()
    assert "Sales secret" not in html
    assert "Last year" not in html
    response = login(org["employee"]).post(
        reverse("goals:goal-create"), {"title": "x", "weight": "5", "parent": company.pk}
    )
    assert Goal.objects.get(title="x").parent == company


def test_level_choice_is_limited_by_role(org, cycle, login):
    """Employees draft individual goals only; managers add department goals; HR company."""
    employee = login(org["employee"])
    department_url = f"{reverse('goals:goal-create')}?level=department"
    assert employee.get(department_url).status_code == 404
    manager = login(org["manager"])
    form = manager.get(department_url).context["form"]
    assert list(form.fields["department"].queryset) == [org["manager"].department]
    response = manager.post(
        department_url,
        {"title": "Team uptime", "weight": "0", "department": org["manager2"].department_id},
    )
    assert response.status_code == 400  # not theirs to plan for
    response = manager.post(
        department_url,
        {"title": "Team uptime", "weight": "0", "department": org["manager"].department_id},
    )
    goal = Goal.objects.get(title="Team uptime")
    assert (goal.level, goal.department, goal.status) == (
        "department",
        org["manager"].department,
        "approved",
    )
    assert response.status_code == 302
    assert manager.get(f"{reverse('goals:goal-create')}?level=company").status_code == 404
    hr = login(org["hr"])
    response = hr.post(
        f"{reverse('goals:goal-create')}?cycle={cycle.pk}&level=company",
        {"title": "Grow 20 %", "weight": "100"},
    )
    assert Goal.objects.get(title="Grow 20 %").level == "company"


def test_goal_create_outside_planning_sends_the_user_back(org, cycle, login):
    """With the cycle past planning there is nothing to draft."""
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.IMPLEMENTATION)
    response = login(org["employee"]).get(reverse("goals:goal-create"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("goals:my-goals")
    assert "cannot be drafted" in response.content.decode()


def test_owner_edits_their_draft_and_others_get_404(org, cycle, login):
    """Only the owner opens the edit form; a stale save is refused with a message."""
    goal = make_goal(org["employee"], cycle=cycle, title="Before", weight=20)
    url = goal_url("goal-edit", goal)
    for person in ("manager", "peer", "employee2"):
        assert login(org[person]).get(url).status_code == 404
    client = login(org["employee"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "After", "weight": "20", "version": goal.version})
    assert response.status_code == 302
    response = client.post(url, {"title": "Stale", "weight": "20", "version": goal.version})
    assert response.status_code == 409
    assert "Someone else changed this goal" in response.content.decode()
    goal.refresh_from_db()
    assert goal.title == "After"


def test_edit_of_an_approved_goal_redirects_with_a_message(org, cycle, login):
    """An approved goal is not edited; the page says so."""
    goal = make_goal(org["employee"], cycle=cycle, status="approved")
    response = login(org["employee"]).get(goal_url("goal-edit", goal), follow=True)
    assert "cannot be edited now" in response.content.decode()


def test_manager_assigns_a_goal_to_a_report(org, cycle, login):
    """The assign form lists the people the manager reviews and creates an approved goal."""
    client = login(org["manager"])
    response = client.get(reverse("goals:goal-assign"))
    assert response.status_code == 200
    owners = {p.employee for p in response.context["form"].fields["owner"].queryset}
    assert owners == {org["employee"], org["peer"]}
    participation = org["employee"].participations.get(cycle=cycle)
    response = client.post(
        reverse("goals:goal-assign"),
        {"owner": participation.pk, "title": "Onboard Ann", "weight": "10"},
    )
    goal = Goal.objects.get(title="Onboard Ann")
    assert (goal.owner, goal.status) == (org["employee"], "approved")
    assert Notification.objects.filter(recipient=org["employee"].user).exists()


def test_assign_is_not_found_for_employees(org, cycle, login):
    """An employee who reviews nobody has no assign page."""
    assert login(org["employee"]).get(reverse("goals:goal-assign")).status_code == 404


# --- goal-detail and its actions -------------------------------------------------------


def test_goal_detail_shows_chain_comments_versions_and_actions(org, cycle, login, submitted):
    """The owner's manager sees the goal with its alignment chain and the review form."""
    company = make_goal(cycle=cycle, status="approved", title="Company aim")
    department = make_goal(
        cycle=cycle, department=org["employee"].department, parent=company, title="Dept aim"
    )
    Goal.objects.filter(pk=submitted.pk).update(parent=department)
    GoalComment.objects.create(goal=submitted, author=org["employee"].user, body="First try")
    response = login(org["manager"]).get(submitted.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Company aim") < html.index("Dept aim")
    assert "First try" in html
    assert response.context["actions"].review
    assert 'data-testid="return-form"' in html


def test_goal_page_chain_stops_at_a_loop_and_ignores_the_rest_of_the_cycle(
    org, cycle, login, submitted
):
    """The chain is walked up from the goal alone: goals elsewhere in the cycle never show,
    and a loop written behind the services' back ends the chain instead of hanging."""
    top = make_goal(cycle=cycle, status="approved", title="Company aim")
    middle = make_goal(cycle=cycle, status="approved", parent=top, title="Dept aim")
    make_goal(cycle=cycle, status="approved", parent=top, title="Unrelated aim")
    Goal.objects.filter(pk=submitted.pk).update(parent=middle)
    Goal.objects.filter(pk=top.pk).update(parent=middle)  # a loop above the goal
    response = login(org["manager"]).get(submitted.get_absolute_url())
    assert response.status_code == 200
    chain = response.context["chain"]
    assert [g.title for g in chain if g] == ["Dept aim", "Company aim"]
    assert "Unrelated aim" not in response.content.decode()


@pytest.mark.parametrize("person", ["manager2", "employee2", "peer"])
def test_goal_detail_is_not_found_outside_scope(org, cycle, login, submitted, person):
    """Another team, or a colleague, gets a 404."""
    assert login(org[person]).get(submitted.get_absolute_url()).status_code == 404


def test_owner_submits_from_my_goals_and_wrong_roles_get_404(org, cycle, login):
    """POST-only; back to the page it came from; only the owner finds it."""
    goal = make_goal(org["employee"], cycle=cycle)
    url = goal_url("goal-submit", goal)
    assert login(org["employee"]).get(url).status_code == 405
    assert login(org["manager"]).post(url).status_code == 404
    response = login(org["employee"]).post(url, {"next": reverse("goals:my-goals")})
    assert response.url == reverse("goals:my-goals")
    goal.refresh_from_db()
    assert goal.status == "submitted"
    response = login(org["employee"]).post(url, follow=True)
    assert "cannot be submitted" in response.content.decode()


def test_manager_approves_and_others_get_404(org, cycle, login, submitted):
    """The reviewer approves; the owner, a peer and another manager get 404."""
    url = goal_url("goal-approve", submitted)
    for person in ("employee", "peer", "manager2"):
        assert login(org[person]).post(url).status_code == 404
    response = login(org["manager"]).post(url)
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "approved"


def test_return_without_comment_is_a_400_with_the_error_next_to_the_field(
    org, cycle, login, submitted
):
    """The comment is required; the page comes back with the error under the field."""
    url = goal_url("goal-return", submitted)
    response = login(org["manager"]).post(url, {"comment": ""})
    assert response.status_code == 400
    assert "Say what needs to change" in field_error(response.content.decode(), "comment")
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    response = login(org["manager"]).post(url, {"comment": "Add a number"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "returned"
    assert login(org["manager2"]).post(url, {"comment": "x"}).status_code == 404


def test_employee_sees_the_return_comment(org, cycle, login, submitted):
    """After a return the owner reads the comment on the goal's page."""
    login(org["manager"]).post(goal_url("goal-return", submitted), {"comment": "Add a number"})
    html = login(org["employee"]).get(submitted.get_absolute_url()).content.decode()
    assert "Add a number" in html
    assert 'data-testid="returned-note"' in html


def _form(html: str, testid: str) -> str:
    return re.search(rf'<form[^>]*data-testid="{testid}".*?</form>', html, re.DOTALL).group(0)


def test_approving_asks_for_nothing_and_the_return_comment_is_behind_its_own_button(
    org, cycle, login, submitted
):
    """The approve form has no field; "What needs to change?" (required) is only in the
    folded "Return for changes…" part, which opens by itself when a return was refused."""
    html = login(org["manager"]).get(submitted.get_absolute_url()).content.decode()
    approve = _form(html, "approve-form")
    assert "<textarea" not in approve and "required" not in approve
    details = re.search(r'<details[^>]*data-testid="return-details"[^>]*>', html).group(0)
    assert " open" not in details
    folded = html[html.index('data-testid="return-details"') : html.index("</details>")]
    assert "What needs to change?" in folded and "Return for changes" in folded

    refused = login(org["manager"]).post(goal_url("goal-return", submitted), {"comment": ""})
    details = re.search(
        r'<details[^>]*data-testid="return-details"[^>]*>', refused.content.decode()
    ).group(0)
    assert " open" in details


def test_declining_an_adjustment_asks_for_a_reason_only_behind_decline(org, cycle, login):
    """Approving an adjustment needs no reason; "Why is the change declined?" is folded
    behind "Decline…"."""
    goal = make_goal(org["employee"], cycle=cycle, status="approved", title="Grow")
    make_adjustment(goal, by=org["employee"], new_target=Decimal("5"))
    html = login(org["manager"]).get(goal.get_absolute_url()).content.decode()
    folded = html[html.index('data-testid="decline-details"') :]
    folded = folded[: folded.index("</details>")]
    assert "Why is the change declined?" in folded
    before = html[: html.index('data-testid="decline-details"')]
    assert "Why is the change declined?" not in before


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("employee", "Edit the goal and submit it again."),
        ("manager", "Employee Tester{n} edits it and submits it again for approval."),
        ("hr", "Employee Tester{n} edits it and submits it again for approval."),
    ],
)
def test_the_returned_note_is_addressed_to_whoever_reads_it(
    org, cycle, login, submitted, role, expected
):
    """The owner is told to edit and resubmit; the reviewer and HR are told the owner
    will."""
    login(org["manager"]).post(goal_url("goal-return", submitted), {"comment": "Add a number"})
    html = login(org[role]).get(submitted.get_absolute_url()).content.decode()
    note = re.search(r'data-testid="returned-note">(.*?)</div>', html, re.DOTALL).group(1)
    expected = expected.replace("Employee Tester{n}", org["employee"].full_name)
    assert expected in note
    if role != "employee":
        assert "Edit the goal and submit it again." not in note


def test_owner_deletes_a_draft_and_others_get_404(org, cycle, login):
    """Delete is POST-only and the owner's."""
    goal = make_goal(org["employee"], cycle=cycle)
    url = goal_url("goal-delete", goal)
    assert login(org["manager"]).post(url).status_code == 404
    response = login(org["employee"]).post(url)
    assert response.status_code == 302
    assert not Goal.objects.filter(pk=goal.pk).exists()


def test_comment_on_a_goal(org, cycle, login, submitted):
    """Whoever sees the goal comments; an empty comment is a 400; others 404."""
    url = goal_url("goal-comment", submitted)
    assert login(org["employee2"]).post(url, {"body": "hi"}).status_code == 404
    response = login(org["employee"]).post(url, {"body": ""})
    assert response.status_code == 400
    assert field_error(response.content.decode(), "body")
    response = login(org["employee"]).post(url, {"body": "Ready for review"})
    assert response.status_code == 302
    assert GoalComment.objects.get().body == "Ready for review"


# --- Adjustments -----------------------------------------------------------------------


@pytest.fixture
def locked(org, cycle):
    goal = make_goal(org["employee"], cycle=cycle, status="approved", weight=40, target=10)
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.IMPLEMENTATION)
    return goal


def test_owner_requests_an_adjustment(org, login, locked):
    """The form takes new values and a reason; another team gets 404."""
    url = goal_url("adjustment-request", locked)
    assert login(org["employee2"]).get(url).status_code == 404
    client = login(org["employee"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"new_target": "8"})
    assert response.status_code == 400
    assert field_error(response.content.decode(), "reason")
    response = client.post(url, {"new_target": "8", "reason": "Budget cut"})
    assert response.status_code == 302
    assert AdjustmentRequest.objects.get().new_target == Decimal("8")


def test_reviewer_approves_an_adjustment_and_others_get_404(org, login, locked):
    """POST-only; the goal takes the new value."""
    adjustment = make_adjustment(locked, by=org["employee"], new_weight=Decimal("55"))
    url = goal_url("adjustment-approve", adjustment)
    for person in ("employee", "manager2"):
        assert login(org[person]).post(url).status_code == 404
    assert login(org["manager"]).post(url).status_code == 302
    locked.refresh_from_db()
    assert locked.weight == Decimal("55.00")
    html = login(org["employee"]).get(locked.get_absolute_url()).content.decode()
    assert 'data-adjustment-status="approved"' in html
    assert "Market changed" in html  # the reason, kept in the version history


def test_reject_adjustment_needs_a_reason(org, login, locked):
    """Declining without a reason is a 400 with the error under the field."""
    adjustment = make_adjustment(locked, by=org["employee"], new_weight=Decimal("55"))
    url = goal_url("adjustment-reject", adjustment)
    assert login(org["employee"]).post(url, {"comment": "no"}).status_code == 404
    response = login(org["manager"]).post(url, {"comment": ""})
    assert response.status_code == 400
    assert field_error(response.content.decode(), "comment")
    assert login(org["manager"]).post(url, {"comment": "Not this quarter"}).status_code == 302
    adjustment.refresh_from_db()
    assert adjustment.status == "rejected"


# --- team-goals -------------------------------------------------------------------------


def test_team_goals_lists_reports_goals_with_weight_totals(org, cycle, login):
    """People I review, their goals and planned/approved totals; filter by status."""
    make_goals(org["employee"], cycle=cycle, weights=[60, 30])
    make_goal(org["peer"], cycle=cycle, status="submitted", title="Peer goal")
    make_goal(org["employee2"], cycle=cycle, status="submitted", title="Not my team")
    client = login(org["manager"])
    response = client.get(reverse("goals:team-goals"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Peer goal" in html
    assert "Not my team" not in html
    assert "90 % planned · 90 % approved" in html
    response = client.get(reverse("goals:team-goals"), {"status": "submitted"})
    people = [person.employee for person, _goals in response.context["rows"]]
    assert people == [org["peer"]]


def test_team_goals_is_not_found_for_employees(org, cycle, login):
    """Someone who reviews nobody has no team page."""
    assert login(org["employee"]).get(reverse("goals:team-goals")).status_code == 404


def test_team_goals_query_count_does_not_grow(org, cycle, login):
    """3 goals of 3 people or 30 goals of 12 people: the same number of queries."""
    client = login(org["manager"])
    for person in (org["employee"], org["peer"]):
        make_goal(person, cycle=cycle, status="submitted")
    make_goal(org["employee"], cycle=cycle)
    few = count_queries(client, reverse("goals:team-goals"))
    for n in range(10):
        person = make_employee(f"report{n}", manager=org["manager"])
        enrol(cycle, person)
        for status in ("draft", "submitted"):
            make_goal(person, cycle=cycle, status=status)
    make_goals(org["peer"], cycle=cycle, weights=[1, 1, 1, 1, 1, 1, 1])
    assert Goal.objects.filter(cycle=cycle).count() == 30
    assert count_queries(client, reverse("goals:team-goals")) == few


def test_bulk_approve_from_the_team_page_reports_skipped_goals(org, cycle, login):
    """Ticked goals of the team are approved; a foreign id is reported as skipped."""
    mine = make_goal(org["employee"], cycle=cycle, status="submitted")
    foreign = make_goal(org["employee2"], cycle=cycle, status="submitted")
    response = login(org["manager"]).post(
        f"{reverse('goals:team-goals-review')}?cycle={cycle.pk}",
        {"goal": [mine.pk, foreign.pk], "action": "approve"},
        follow=True,
    )
    html = response.content.decode()
    assert "1 goal approved." in html
    assert "Skipped" in html
    mine.refresh_from_db()
    foreign.refresh_from_db()
    assert (mine.status, foreign.status) == ("approved", "submitted")


def test_bulk_return_without_comment_is_a_400(org, cycle, login):
    """Returning needs the comment; the error sits under the comment field."""
    goal = make_goal(org["employee"], cycle=cycle, status="submitted")
    url = reverse("goals:team-goals-review")
    response = login(org["manager"]).post(url, {"goal": [goal.pk], "action": "return"})
    assert response.status_code == 400
    assert field_error(response.content.decode(), "comment")
    response = login(org["manager"]).post(
        url, {"goal": [goal.pk], "action": "return", "comment": "Sharper, please"}
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == "returned"
    assert (
        login(org["employee"]).post(url, {"goal": [goal.pk], "action": "approve"}).status_code
        == 404
    )


# --- planning-progress and reminders ------------------------------------------------------


def test_planning_progress_for_hr_with_counts_and_filters(org, cycle, login):
    """HR sees each participant's readiness, the counts and why planning cannot end."""
    make_goals(org["employee"], cycle=cycle, weights=[60, 40])
    make_goals(org["peer"], cycle=cycle, weights=[50])
    client = login(org["hr"])
    response = client.get(reverse("goals:planning-progress"))
    assert response.status_code == 200
    assert response.context["counts"]["ready"] == 1
    assert response.context["counts"]["no_goals"] == 2
    assert "do not total 100 %" in response.content.decode()
    response = client.get(
        reverse("goals:planning-progress"), {"cycle": cycle.pk, "status": "weights_off"}
    )
    assert [row.employee for row in response.context["page"]] == [org["peer"]]
    response = client.get(reverse("goals:planning-progress"), {"cycle": cycle.pk, "q": "employee"})
    assert {row.employee for row in response.context["page"]} == {
        org["employee"],
        org["employee2"],
    }


def test_planning_progress_is_hr_only(org, cycle, login):
    """Employees and managers get a 404."""
    for person in ("employee", "manager"):
        assert login(org[person]).get(reverse("goals:planning-progress")).status_code == 404


def test_planning_progress_pages_at_25(org, cycle, login):
    """Large cycles are paginated, 25 people a page; the count shows everyone."""
    for n in range(55):
        enrol(cycle, make_employee(f"p{n}"))
    response = login(org["hr"]).get(reverse("goals:planning-progress"))
    assert len(response.context["page"].object_list) == 25
    assert response.context["page"].paginator.count == 59


def test_send_reminders_button_queues_the_task_once_a_day(org, cycle, login, monkeypatch):
    """POST runs the reminder task (here in-process); pressing again reminds nobody twice."""
    monkeypatch.setattr(
        tasks.send_planning_reminders,
        "delay",
        lambda *args, **kwargs: tasks.send_planning_reminders.apply(args, kwargs).get(),
    )
    url = reverse("goals:planning-remind", args=[cycle.pk])
    assert login(org["hr"]).get(url).status_code == 405
    assert login(org["manager"]).post(url).status_code == 404
    response = login(org["hr"]).post(url)
    assert response.status_code == 302
    assert SentReminder.objects.filter(kind="planning_reminder").count() == 4
    login(org["hr"]).post(url)
    assert SentReminder.objects.filter(kind="planning_reminder").count() == 4
    assert Notification.objects.filter(recipient=org["employee"].user).count() == 1


def test_send_reminders_with_the_broker_down_says_so(org, cycle, login, monkeypatch):
    """A broker outage is a message, never a 500; nothing is sent."""

    def broker_down(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(tasks.send_planning_reminders, "delay", broker_down)
    url = reverse("goals:planning-remind", args=[cycle.pk])
    response = login(org["hr"]).post(url, follow=True)
    assert "could not be queued" in response.content.decode()
    assert not SentReminder.objects.filter(kind="planning_reminder").exists()


def test_send_reminders_only_in_planning(org, cycle, login):
    """After planning the button is refused with a message."""
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.IMPLEMENTATION)
    url = reverse("goals:planning-remind", args=[cycle.pk])
    response = login(org["hr"]).post(url, follow=True)
    assert "only sent while the cycle is in planning" in response.content.decode()


def test_team_page_first_page_is_the_paginators(org, cycle):
    """The team page's first page (one query compiled once) holds the people, order,
    totals and readiness the paginator gives, with the list's length; so do later pages
    and page numbers past either end, filtered by status or not."""
    make_goals(org["employee"], cycle=cycle, weights=[60, 40])
    make_goal(org["peer"], cycle=cycle, status="submitted")
    for n in range(selectors.TEAM_PAGE_SIZE):
        person = make_employee(f"report{n}", manager=org["manager"])
        enrol(cycle, person)
        if n % 2:
            make_goal(person, cycle=cycle, status="submitted")
    user = org["manager"].user

    def shown(page):
        people = [(p.pk, p.readiness, p.planned_weight, p.approved_weight) for p in page]
        return people, page.number, page.paginator.count

    for number in (None, "1", "x", "2", "0", "9"):
        for status in (None, "submitted"):
            people = selectors.team_participants(user, cycle, status=status)
            expected = Paginator(people, selectors.TEAM_PAGE_SIZE).get_page(number)
            assert shown(selectors.team_page(user, cycle, number, status=status)) == shown(expected)


def test_team_page_lists_requests_routed_to_the_reviewer_and_one_up(org, cycle, login):
    """Asked by the owner: on the reviewer's team page; asked by the reviewer: on the
    reviewer's manager's, not the reviewer's own; nobody else's."""
    by_owner = make_adjustment(
        make_goal(org["employee"], cycle=cycle, status="approved"), by=org["employee"]
    )
    by_reviewer = make_adjustment(
        make_goal(org["peer"], cycle=cycle, status="approved"), by=org["manager"]
    )

    def listed(who):
        response = login(org[who]).get(reverse("goals:team-goals"))
        return [adjustment.pk for adjustment in response.context["adjustments"]]

    assert listed("manager") == [by_owner.pk]
    assert listed("director") == [by_reviewer.pk]
    assert listed("manager2") == []
