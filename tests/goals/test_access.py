"""Who reads and acts on goals (goals/policies.py over perfcycle.access relations), per
role and per view: the former reviewer, the chain, and four-eyes on adjustments."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals import selectors
from goals.models import AdjustmentStatus, GoalComment
from goals.services import adjustments
from goals.services.workflow import GoalWorkflowError
from perfcycle.models import Cycle, Notification
from perfcycle.stages import Viewer
from tests.factories import enrol, make_cycle
from tests.goals.factories import make_adjustment, make_goal
from tests.implementation.evidence_factories import make_evidence

pytestmark = pytest.mark.django_db


def goal_url(name, obj):
    return reverse(f"goals:{name}", args=[obj.pk])


# --- The former reviewer ---------------------------------------------------------------------


@pytest.fixture
def moved(org):
    """The employee was reviewed by manager in FY2026, then moved to manager2's team;
    FY2027 (in planning) has them reviewed by manager2. Manager takes part in both."""
    earlier = make_cycle("FY2026", start=dt.date(2026, 1, 1), phase=Cycle.Phase.IMPLEMENTATION)
    enrol(earlier, org["employee"], org["manager"])
    old_goal = make_goal(org["employee"], cycle=earlier, status="approved", title="Old aim")
    org["employee"].manager = org["manager2"]
    org["employee"].save(update_fields=["manager"])
    later = make_cycle("FY2027", start=dt.date(2027, 1, 1))
    enrol(later, org["employee"], org["manager"])
    new_goal = make_goal(org["employee"], cycle=later, title="Private new aim")
    return {"earlier": earlier, "later": later, "old": old_goal, "new": new_goal}


def test_former_reviewer_does_not_read_the_later_cycles_goals(org, login, moved):
    """After the person moved, their old reviewer gets 404 on their goals of the later
    cycle, and the goal is not in his team's list."""
    client = login(org["manager"])
    assert client.get(moved["new"].get_absolute_url()).status_code == 404
    assert moved["new"] not in set(selectors.goals_visible_to(org["manager"].user))


def test_former_reviewer_still_reads_the_earlier_cycle_he_reviewed(org, login, moved):
    """The goals he reviewed stay readable to him in their own cycle."""
    response = login(org["manager"]).get(moved["old"].get_absolute_url())
    assert response.status_code == 200
    assert "Old aim" in response.content.decode()


def test_former_reviewer_cannot_comment_on_the_later_goals(org, login, moved):
    """His comment is a 404 and nothing is written."""
    response = login(org["manager"]).post(goal_url("goal-comment", moved["new"]), {"body": "Hi"})
    assert response.status_code == 404
    assert not GoalComment.objects.filter(goal=moved["new"]).exists()


def test_former_reviewer_cannot_align_to_the_later_goals(org, login, moved):
    """The later goal is not offered as a parent, and posting it anyway is refused at the
    field."""
    client = login(org["manager"])
    create = f"{reverse('goals:goal-create')}?cycle={moved['later'].pk}"
    form = client.get(create).context["form"]
    offered = {pk for _label, items in form.fields["parent"].choices[1:] for pk, _t in items}
    assert moved["new"].pk not in offered
    response = client.post(create, {"title": "Mine", "weight": "10", "parent": moved["new"].pk})
    assert response.status_code == 400
    assert not moved["new"].children.exists()


def test_new_manager_reads_and_reviews_the_later_goals(org, login, moved):
    """The current manager (this cycle's reviewer) reads the later goal and comments."""
    client = login(org["manager2"])
    assert client.get(moved["new"].get_absolute_url()).status_code == 200
    response = client.post(goal_url("goal-comment", moved["new"]), {"body": "Welcome"})
    assert response.status_code == 302


def test_chain_above_reads_but_does_not_review(org, login):
    """The skip-level manager reads a report's goal but gets no approve button and 404 on
    approving."""
    cycle = make_cycle("FY2026")
    enrol(cycle, org["employee"], org["manager"])
    goal = make_goal(org["employee"], cycle=cycle, status="submitted")
    client = login(org["director"])
    response = client.get(goal.get_absolute_url())
    assert response.status_code == 200
    assert not response.context["actions"].review
    assert client.post(goal_url("goal-approve", goal)).status_code == 404


# --- Four-eyes on adjustments ----------------------------------------------------------------


@pytest.fixture
def locked(org):
    cycle = make_cycle("FY2026", start=dt.date(2026, 1, 1))
    enrol(cycle, org["employee"], org["manager"], org["intern"], org["peer"])
    goal = make_goal(org["employee"], cycle=cycle, status="approved", weight=40, target=10)
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.IMPLEMENTATION)
    goal.refresh_from_db()
    return goal


def ask(goal, who, weight="55"):
    return adjustments.request_adjustment(
        actor=who.user, goal=goal, data={"new_weight": Decimal(weight), "reason": "Scope grew"}
    )


def test_reviewer_cannot_approve_the_adjustment_he_asked_for(org, locked):
    """Service: the requesting reviewer is refused with a message; the goal is unchanged."""
    request = ask(locked, org["manager"])
    with pytest.raises(GoalWorkflowError, match="someone else decides"):
        adjustments.approve_adjustment(actor=org["manager"].user, adjustment=request)
    with pytest.raises(GoalWorkflowError):
        adjustments.reject_adjustment(actor=org["manager"].user, adjustment=request, comment="x")
    locked.refresh_from_db()
    assert locked.weight == Decimal("40.00")


def test_reviewers_request_is_decided_by_his_manager(org, locked):
    """Service: the reviewer's own manager (one step up) approves it."""
    request = ask(locked, org["manager"])
    adjustments.approve_adjustment(actor=org["director"].user, adjustment=request)
    request.refresh_from_db()
    locked.refresh_from_db()
    assert request.status == AdjustmentStatus.APPROVED
    assert request.decided_by == org["director"].user
    assert locked.weight == Decimal("55.00")


def test_reviewers_request_is_not_decided_by_strangers_or_the_owner(org, locked):
    """Service: the owner, a peer and another manager are refused."""
    request = ask(locked, org["manager"])
    for person in ("employee", "peer", "manager2"):
        with pytest.raises(PermissionDenied):
            adjustments.approve_adjustment(actor=org[person].user, adjustment=request)


def test_owners_request_is_still_decided_by_the_reviewer(org, locked):
    """Service: when the owner asks, the reviewer decides as before; not the next up."""
    request = ask(locked, org["employee"])
    with pytest.raises(PermissionDenied):
        adjustments.approve_adjustment(actor=org["director"].user, adjustment=request)
    adjustments.approve_adjustment(actor=org["manager"].user, adjustment=request)
    request.refresh_from_db()
    assert request.status == AdjustmentStatus.APPROVED


def test_request_without_a_next_up_goes_to_hr(org):
    """A reviewer with no manager: HR decides and HR's to-do list shows it."""
    cycle = make_cycle("FY2026", phase=Cycle.Phase.IMPLEMENTATION)
    enrol(cycle, org["employee2"])  # reviewed by manager2, who has no manager
    goal = make_goal(org["employee2"], cycle=cycle, status="approved", weight=40)
    request = ask(goal, org["manager2"])
    hr_titles = [t.title for t in selectors.todos_for(Viewer.of(org["hr"].user))]
    assert any("adjustment request" in title for title in hr_titles)
    adjustments.approve_adjustment(actor=org["hr"].user, adjustment=request)
    request.refresh_from_db()
    assert request.status == AdjustmentStatus.APPROVED


def test_adjustment_todo_goes_to_the_next_up_not_the_requester(org, locked):
    """The director's list shows the reviewer's request; the reviewer's own does not; HR
    (the reviewer has a manager) does not either."""

    def adjustment_todos(person):
        return [
            t for t in selectors.todos_for(Viewer.of(org[person].user)) if "adjustment" in t.title
        ]

    ask(locked, org["manager"])
    [todo] = adjustment_todos("director")
    assert todo.url == locked.get_absolute_url()  # where his Approve button is
    assert adjustment_todos("manager") == []
    assert adjustment_todos("hr") == []
    assert adjustment_todos("employee") == []


@pytest.mark.parametrize("person", ["employee", "manager", "director", "peer", "manager2"])
def test_the_compiled_adjustment_counts_are_the_policys(org, locked, person):
    """The home pages count the requests waiting on a reviewer with SQL compiled once
    (goals/selectors/todos.py ``_routed_counts``): the same rows as the policy's
    ``adjustments_routed_to`` for that person."""
    from goals.selectors.scopes import adjustments_routed_to
    from goals.selectors.todos import _adjustment_counts, _routed_counts_of

    ask(locked, org["manager"])  # the reviewer asks: the director decides
    other = make_goal(org["intern"], cycle=locked.cycle, status="approved", weight=30)
    ask(other, org["intern"])  # the owner asks: the reviewer decides
    viewer = Viewer.of(org[person].user)
    expected = list(_adjustment_counts(adjustments_routed_to(org[person].user)))
    assert _routed_counts_of(viewer) == expected
    # The reviewer's request waits on the director; the intern's on their reviewer, peer.
    assert bool(expected) == (person in ("director", "peer"))


def test_requesting_reviewer_tells_the_next_up(org, locked):
    """The director is notified that a decision waits for him."""
    with_on_commit = Notification.objects.filter(recipient=org["director"].user)
    before = with_on_commit.count()
    ask(locked, org["manager"])
    assert with_on_commit.count() == before + 1


def test_approve_view_refuses_the_requester(org, login, locked):
    """View: the requester gets 404 on approve and reject, and no decide button; the
    director approves and the goal takes the value."""
    request = make_adjustment(locked, by=org["manager"], new_weight=Decimal("55"))
    client = login(org["manager"])
    assert client.post(goal_url("adjustment-approve", request)).status_code == 404
    assert client.post(goal_url("adjustment-reject", request), {"comment": "x"}).status_code == 404
    assert not client.get(locked.get_absolute_url()).context["actions"].decide_adjustment
    director = login(org["director"])
    assert director.get(locked.get_absolute_url()).context["actions"].decide_adjustment
    assert director.post(goal_url("adjustment-approve", request)).status_code == 302
    locked.refresh_from_db()
    assert locked.weight == Decimal("55.00")


def test_team_page_lists_the_reviewers_request_for_the_next_up_only(org, login, locked):
    """The director (reviewing the manager in this cycle) sees it among the adjustments
    to decide on his team page; the requesting manager's team page does not list it."""
    request = make_adjustment(locked, by=org["manager"], new_weight=Decimal("55"))
    enrol(locked.cycle, org["director"])
    locked.cycle.participations.filter(employee=org["manager"]).update(reviewer=org["director"])
    url = f"{reverse('goals:team-goals')}?cycle={locked.cycle_id}"
    assert list(login(org["manager"]).get(url).context["adjustments"]) == []
    assert list(login(org["director"]).get(url).context["adjustments"]) == [request]


# --- Query counts of the planning to-dos (on every home page) -------------------------------


@pytest.mark.parametrize(
    ("role", "page", "before"),
    [
        ("employee", "my-home", 17),
        ("manager", "my-home", 17),
        ("manager", "team-home", 19),
        ("director", "team-home", 19),
        ("hr", "hr-home", 12),  # + the failed-email count (outbox)
    ],
)
def test_home_pages_cost_no_more_queries_with_four_eyes_routing(
    org, login, locked, role, page, before
):
    """With an escalated adjustment and evidence waiting, each home page costs at most the
    queries it cost before four-eyes routing (measured on the previous main)."""
    ask(locked, org["manager"])
    participation = locked.cycle.participations.get(employee=org["employee"])
    make_evidence(participation, by=org["manager"])
    client = login(org[role])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse(page)).status_code == 200
    assert len(ctx.captured_queries) <= before
