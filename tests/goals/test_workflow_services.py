"""Goal workflow services: the cascade, each transition allowed and refused, adjustments,
the planning guard, readiness and the home-page to-dos."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from goals import selectors
from goals.models import (
    AdjustmentRequest,
    Goal,
    GoalComment,
    GoalStatus,
    GoalVersion,
    Indicator,
    RatingScale,
)
from goals.services import adjustments, workflow
from goals.services.workflow import GoalWorkflowError
from perfcycle import phases
from perfcycle.models import AuditEvent, Cycle, Notification
from perfcycle.services import ConcurrentEditError
from perfcycle.stages import Viewer
from tests.factories import enrol, make_cycle
from tests.goals.factories import make_adjustment, make_goal, make_goals

pytestmark = pytest.mark.django_db

START = dt.date(2026, 1, 1)


@pytest.fixture
def cycle(org):
    """A cycle in planning: the manager's two reports, the manager and employee2 take part."""
    cycle = make_cycle("FY2026", start=START)
    enrol(cycle, org["employee"], org["peer"], org["manager"], org["employee2"])
    return cycle


def data(**overrides):
    values = {"title": "Ship the new billing service", "weight": Decimal("40")}
    values.update(overrides)
    return values


def notes_to(person):
    return list(Notification.objects.filter(recipient=person.user).values_list("title", flat=True))


def submitted_goal(org, cycle, **kw):
    return make_goal(org["employee"], cycle=cycle, status=GoalStatus.SUBMITTED, **kw)


# --- Creating goals: the cascade ----------------------------------------------------------


def test_employee_drafts_own_goal_and_it_is_audited(org, cycle):
    """An employee's new goal is their own draft; the creation is audited, nobody notified."""
    goal = workflow.create_goal(
        actor=org["employee"].user, cycle=cycle, level="individual", data=data()
    )
    assert (goal.owner, goal.status, goal.version) == (org["employee"], "draft", 1)
    event = AuditEvent.objects.get(verb="goal.created")
    assert event.after["title"] == "Ship the new billing service"
    assert event.after["status"] == "draft"
    assert not Notification.objects.exists()
    assert not GoalVersion.objects.exists()


def test_goal_with_an_indicator_takes_its_unit_unless_given(org, cycle):
    """The indicator's unit is the default; a unit typed in wins."""
    scale = RatingScale.objects.create(name="Five")
    indicator = Indicator.objects.create(name="Revenue", unit="EUR", scale=scale)
    inherited = workflow.create_goal(
        actor=org["employee"].user, cycle=cycle, level="individual", data=data(indicator=indicator)
    )
    typed = workflow.create_goal(
        actor=org["employee"].user,
        cycle=cycle,
        level="individual",
        data=data(indicator=indicator, unit="kEUR"),
    )
    assert (inherited.unit, typed.unit) == ("EUR", "kEUR")


def test_someone_outside_the_cycle_cannot_draft_in_it(org, cycle):
    """The intern is not enrolled, so has no goals to plan in this cycle."""
    with pytest.raises(GoalWorkflowError):
        workflow.create_goal(actor=org["intern"].user, cycle=cycle, level="individual", data=data())


def test_only_hr_creates_company_goals_and_they_start_approved(org, cycle):
    """Company goals are HR's; they are the plan, so approved at once with a first version."""
    with pytest.raises(PermissionDenied):
        workflow.create_goal(actor=org["manager"].user, cycle=cycle, level="company", data=data())
    goal = workflow.create_goal(actor=org["hr"].user, cycle=cycle, level="company", data=data())
    assert (goal.owner, goal.department, goal.status) == (None, None, "approved")
    assert goal.versions.get().number == 1


def test_manager_creates_department_goals_for_their_own_department_only(org, cycle):
    """A manager writes goals for their department, not another; HR for any."""
    own = workflow.create_goal(
        actor=org["manager"].user,
        cycle=cycle,
        level="department",
        data=data(),
        department=org["manager"].department,
    )
    assert own.status == "approved"
    with pytest.raises(PermissionDenied):
        workflow.create_goal(
            actor=org["manager"].user,
            cycle=cycle,
            level="department",
            data=data(),
            department=org["manager2"].department,
        )
    with pytest.raises(PermissionDenied):
        workflow.create_goal(
            actor=org["employee"].user,
            cycle=cycle,
            level="department",
            data=data(),
            department=org["employee"].department,
        )
    by_hr = workflow.create_goal(
        actor=org["hr"].user,
        cycle=cycle,
        level="department",
        data=data(),
        department=org["manager2"].department,
    )
    assert by_hr.department == org["manager2"].department


def test_goal_aligned_to_another_cycles_goal_is_refused_on_the_parent_field(org, cycle):
    """Alignment stays within one cycle; the error is on the parent field."""
    other = make_cycle("FY2025", start=dt.date(2025, 1, 1))
    foreign = make_goal(cycle=other, status="approved")
    with pytest.raises(ValidationError) as excinfo:
        workflow.create_goal(
            actor=org["employee"].user, cycle=cycle, level="individual", data=data(parent=foreign)
        )
    assert "same cycle" in excinfo.value.error_dict["parent"][0].messages[0]
    assert not Goal.objects.filter(cycle=cycle).exists()


def test_goal_can_align_to_company_department_or_individual_goal_of_the_cycle(org, cycle):
    """Any goal of the same cycle the user sees is a valid parent."""
    company = make_goal(cycle=cycle, status="approved")
    department = make_goal(cycle=cycle, department=org["employee"].department, parent=company)
    mine = make_goal(org["employee"], cycle=cycle)
    for parent in (company, department, mine):
        goal = workflow.create_goal(
            actor=org["employee"].user, cycle=cycle, level="individual", data=data(parent=parent)
        )
        assert goal.parent == parent


def test_goal_cannot_align_to_itself_or_a_descendant(org, cycle):
    """A loop in the cascade is refused: itself, its child, its grandchild."""
    top = make_goal(org["employee"], cycle=cycle)
    child = make_goal(org["employee"], cycle=cycle, parent=top)
    grandchild = make_goal(org["employee"], cycle=cycle, parent=child)
    for parent in (top, child, grandchild):
        with pytest.raises(ValidationError) as excinfo:
            workflow.update_goal(
                actor=org["employee"].user,
                goal=top,
                data=data(parent=parent),
                expected_version=top.version,
            )
        assert "aligned to itself" in excinfo.value.error_dict["parent"][0].messages[0]


def test_goal_cannot_align_to_a_goal_the_user_cannot_see(org, cycle):
    """Another team's individual goal is not a parent the employee may pick."""
    theirs = make_goal(org["employee2"], cycle=cycle)
    with pytest.raises(ValidationError) as excinfo:
        workflow.create_goal(
            actor=org["employee"].user, cycle=cycle, level="individual", data=data(parent=theirs)
        )
    assert "parent" in excinfo.value.error_dict


@pytest.mark.parametrize("weight", [Decimal("-1"), Decimal("100.01"), None])
def test_weight_outside_0_to_100_is_refused(org, cycle, weight):
    """A weight is a percentage; the error is on the weight field."""
    with pytest.raises(ValidationError) as excinfo:
        workflow.create_goal(
            actor=org["employee"].user, cycle=cycle, level="individual", data=data(weight=weight)
        )
    assert "weight" in excinfo.value.error_dict


@pytest.mark.parametrize("due", [START - dt.timedelta(days=1), START + dt.timedelta(days=365)])
def test_due_date_outside_the_cycle_is_refused(org, cycle, due):
    """A goal is due within its cycle's dates."""
    with pytest.raises(ValidationError) as excinfo:
        workflow.create_goal(
            actor=org["employee"].user, cycle=cycle, level="individual", data=data(due_date=due)
        )
    assert "due_date" in excinfo.value.error_dict


def test_goals_are_created_only_while_the_cycle_is_in_planning(org, cycle):
    """After planning, no new goals (changes go through adjustments)."""
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.IMPLEMENTATION)
    with pytest.raises(GoalWorkflowError):
        workflow.create_goal(
            actor=org["employee"].user, cycle=cycle, level="individual", data=data()
        )


def test_manager_assigns_a_goal_to_a_report_already_approved(org, cycle):
    """An assigned goal is agreed by the assigning reviewer; the owner is told."""
    goal = workflow.assign_goal(
        actor=org["manager"].user, cycle=cycle, owner=org["employee"], data=data()
    )
    assert (goal.owner, goal.status, goal.created_by) == (
        org["employee"],
        "approved",
        org["manager"].user,
    )
    assert AuditEvent.objects.filter(verb="goal.assigned", object_id=str(goal.pk)).exists()
    assert goal.versions.count() == 1
    [title] = notes_to(org["employee"])
    assert title.endswith(f"assigned you a goal: {goal.title}")


def test_manager_cannot_assign_goals_outside_their_team(org, cycle):
    """employee2 is reviewed by manager2: the manager may not give them goals."""
    with pytest.raises(PermissionDenied):
        workflow.assign_goal(
            actor=org["manager"].user, cycle=cycle, owner=org["employee2"], data=data()
        )
    with pytest.raises(PermissionDenied):
        workflow.assign_goal(
            actor=org["employee"].user, cycle=cycle, owner=org["peer"], data=data()
        )


# --- Editing and deleting -----------------------------------------------------------------


def test_owner_edits_a_draft_and_the_version_goes_up(org, cycle):
    """Only changed fields are saved and audited; the version is bumped."""
    goal = make_goal(org["employee"], cycle=cycle, title="Old", weight=30)
    workflow.update_goal(
        actor=org["employee"].user,
        goal=goal,
        data=data(title="New", weight=Decimal("30")),
        expected_version=1,
    )
    goal.refresh_from_db()
    assert (goal.title, goal.version) == ("New", 2)
    event = AuditEvent.objects.get(verb="goal.updated")
    assert (event.before, event.after) == ({"title": "Old"}, {"title": "New"})


def test_stale_edit_is_refused(org, cycle):
    """Two tabs: the second save, based on an old version, is refused and changes nothing."""
    goal = make_goal(org["employee"], cycle=cycle, title="Mine")
    workflow.update_goal(
        actor=org["employee"].user, goal=goal, data=data(title="First"), expected_version=1
    )
    with pytest.raises(ConcurrentEditError):
        workflow.update_goal(
            actor=org["employee"].user, goal=goal, data=data(title="Second"), expected_version=1
        )
    goal.refresh_from_db()
    assert goal.title == "First"


def test_only_the_owner_edits_an_individual_goal(org, cycle):
    """Not even the manager edits an employee's goal (they return it with a comment)."""
    goal = make_goal(org["employee"], cycle=cycle)
    with pytest.raises(PermissionDenied):
        workflow.update_goal(
            actor=org["manager"].user, goal=goal, data=data(), expected_version=goal.version
        )


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_submitted_or_approved_goal_cannot_be_edited(org, cycle, status):
    """Editing is for drafts and returned goals."""
    goal = make_goal(org["employee"], cycle=cycle, status=status)
    with pytest.raises(GoalWorkflowError):
        workflow.update_goal(
            actor=org["employee"].user, goal=goal, data=data(), expected_version=goal.version
        )


def test_returned_goal_can_be_edited(org, cycle):
    """A returned goal is the owner's again to change."""
    goal = make_goal(org["employee"], cycle=cycle, status="returned")
    workflow.update_goal(
        actor=org["employee"].user, goal=goal, data=data(title="Better"), expected_version=1
    )
    goal.refresh_from_db()
    assert (goal.title, goal.status) == ("Better", "returned")


def test_locked_goal_cannot_be_edited(org, cycle):
    """Once planning ends an approved goal is locked; the refusal points to adjustments."""
    goal = make_goal(cycle=cycle, status="approved")
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.IMPLEMENTATION)
    goal.refresh_from_db()
    assert goal.is_locked
    with pytest.raises(GoalWorkflowError) as excinfo:
        workflow.update_goal(
            actor=org["hr"].user, goal=goal, data=data(), expected_version=goal.version
        )
    assert "adjustment" in excinfo.value.messages[0]


def test_hr_edits_an_approved_company_goal_during_planning_with_a_new_version(org, cycle):
    """Company goals stay editable by HR in planning; each change keeps a version."""
    goal = workflow.create_goal(actor=org["hr"].user, cycle=cycle, level="company", data=data())
    workflow.update_goal(
        actor=org["hr"].user, goal=goal, data=data(weight=Decimal("50")), expected_version=1
    )
    assert list(goal.versions.values_list("number", "weight")) == [
        (1, Decimal("40.00")),
        (2, Decimal("50.00")),
    ]


def test_owner_deletes_a_draft_only(org, cycle):
    """A draft goes; a submitted goal stays; the deletion is audited."""
    draft = make_goal(org["employee"], cycle=cycle)
    submitted = submitted_goal(org, cycle)
    workflow.delete_goal(actor=org["employee"].user, goal=draft)
    assert not Goal.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.get(verb="goal.deleted").before["title"] == draft.title
    with pytest.raises(GoalWorkflowError):
        workflow.delete_goal(actor=org["employee"].user, goal=submitted)
    with pytest.raises(PermissionDenied):
        workflow.delete_goal(actor=org["peer"].user, goal=make_goal(org["employee"], cycle=cycle))


def test_goal_with_goals_aligned_to_it_is_not_deleted(org, cycle):
    """Deleting would orphan the goals aligned below it."""
    parent = make_goal(org["employee"], cycle=cycle)
    make_goal(org["employee"], cycle=cycle, parent=parent)
    with pytest.raises(GoalWorkflowError):
        workflow.delete_goal(actor=org["employee"].user, goal=parent)


# --- Submit, approve, return --------------------------------------------------------------


def test_owner_submits_and_the_reviewer_is_notified(org, cycle):
    """Submitting moves draft → submitted, bumps the version and tells the reviewer."""
    goal = make_goal(org["employee"], cycle=cycle)
    workflow.submit_goal(actor=org["employee"].user, goal=goal)
    goal.refresh_from_db()
    assert (goal.status, goal.version) == ("submitted", 2)
    event = AuditEvent.objects.get(verb="goal.submitted")
    assert (event.before, event.after) == ({"status": "draft"}, {"status": "submitted"})
    [note] = Notification.objects.filter(recipient=org["manager"].user)
    assert goal.title in note.title
    assert note.url == goal.get_absolute_url()


def test_only_the_owner_submits(org, cycle):
    """The manager cannot submit on an employee's behalf."""
    goal = make_goal(org["employee"], cycle=cycle)
    with pytest.raises(PermissionDenied):
        workflow.submit_goal(actor=org["manager"].user, goal=goal)


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_submit_from_the_wrong_state_is_refused(org, cycle, status):
    """Only drafts and returned goals are submitted; the move is refused, not ignored."""
    goal = make_goal(org["employee"], cycle=cycle, status=status)
    with pytest.raises(GoalWorkflowError):
        workflow.submit_goal(actor=org["employee"].user, goal=goal)


def test_zero_weight_goal_is_not_submitted(org, cycle):
    """A goal that weighs nothing would count for nothing."""
    goal = make_goal(org["employee"], cycle=cycle, weight=0)
    with pytest.raises(GoalWorkflowError):
        workflow.submit_goal(actor=org["employee"].user, goal=goal)


def test_reviewer_approves_with_a_version_snapshot_and_the_owner_is_notified(org, cycle):
    """Approval keeps the agreed content as a version and tells the owner."""
    goal = submitted_goal(org, cycle, target=Decimal("12"))
    workflow.approve_goal(actor=org["manager"].user, goal=goal)
    goal.refresh_from_db()
    assert goal.status == "approved"
    version = goal.versions.get()
    assert (version.number, version.target, version.status) == (1, Decimal("12.00"), "approved")
    assert AuditEvent.objects.filter(verb="goal.approved", object_id=str(goal.pk)).exists()
    assert any("approved" in title for title in notes_to(org["employee"]))


def test_manager_of_another_team_cannot_approve(org, cycle):
    """manager2 does not review the employee."""
    goal = submitted_goal(org, cycle)
    with pytest.raises(PermissionDenied):
        workflow.approve_goal(actor=org["manager2"].user, goal=goal)
    goal.refresh_from_db()
    assert goal.status == "submitted"


def test_owner_cannot_approve_own_goal(org, cycle):
    """Not even an HR admin approves their own goal."""
    goal = make_goal(org["hr"], cycle=cycle, status="submitted")
    with pytest.raises(PermissionDenied):
        workflow.approve_goal(actor=org["hr"].user, goal=goal)
    with pytest.raises(PermissionDenied):
        workflow.approve_goal(actor=org["employee"].user, goal=submitted_goal(org, cycle))


def test_hr_may_approve_anyones_goal(org, cycle):
    """HR stands in for an absent reviewer."""
    goal = submitted_goal(org, cycle)
    workflow.approve_goal(actor=org["hr"].user, goal=goal)
    goal.refresh_from_db()
    assert goal.status == "approved"


@pytest.mark.parametrize("status", ["draft", "returned", "approved"])
def test_approve_from_the_wrong_state_is_refused(org, cycle, status):
    """Only submitted goals are approved."""
    goal = make_goal(org["employee"], cycle=cycle, status=status)
    with pytest.raises(GoalWorkflowError):
        workflow.approve_goal(actor=org["manager"].user, goal=goal)


def test_approval_only_during_planning(org, cycle):
    """A goal left submitted when planning ended is no longer approved this way."""
    goal = submitted_goal(org, cycle)
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.IMPLEMENTATION)
    with pytest.raises(GoalWorkflowError):
        workflow.approve_goal(actor=org["manager"].user, goal=goal)


def test_return_needs_a_comment_that_the_employee_sees(org, cycle):
    """An empty comment is refused on the comment field; a real one is stored and sent."""
    goal = submitted_goal(org, cycle)
    with pytest.raises(ValidationError) as excinfo:
        workflow.return_goal(actor=org["manager"].user, goal=goal, comment="   ")
    assert "comment" in excinfo.value.error_dict
    workflow.return_goal(actor=org["manager"].user, goal=goal, comment="Make it measurable")
    goal.refresh_from_db()
    assert goal.status == "returned"
    assert GoalComment.objects.get(goal=goal).body == "Make it measurable"
    note = Notification.objects.get(recipient=org["employee"].user)
    assert note.body == "Make it measurable"
    assert AuditEvent.objects.get(verb="goal.returned").after["comment"] == "Make it measurable"


def test_return_by_another_team_or_from_draft_is_refused(org, cycle):
    """Wrong team: PermissionDenied; wrong state: a workflow error."""
    with pytest.raises(PermissionDenied):
        workflow.return_goal(
            actor=org["manager2"].user, goal=submitted_goal(org, cycle), comment="No"
        )
    with pytest.raises(GoalWorkflowError):
        workflow.return_goal(
            actor=org["manager"].user, goal=make_goal(org["employee"], cycle=cycle), comment="No"
        )


def test_returned_goal_is_resubmitted(org, cycle):
    """returned → submitted is allowed, like draft → submitted."""
    goal = make_goal(org["employee"], cycle=cycle, status="returned")
    workflow.submit_goal(actor=org["employee"].user, goal=goal)
    goal.refresh_from_db()
    assert goal.status == "submitted"


# --- Bulk review --------------------------------------------------------------------------


def test_bulk_approve_skips_foreign_and_unsubmitted_goals_with_reasons(org, cycle):
    """Each goal is checked: the team's submitted goals are approved, the rest reported."""
    mine = [submitted_goal(org, cycle), submitted_goal(org, cycle)]
    peers = make_goal(org["peer"], cycle=cycle, status="submitted")
    draft = make_goal(org["employee"], cycle=cycle)
    foreign = make_goal(org["employee2"], cycle=cycle, status="submitted")
    outcome = workflow.bulk_approve_goals(
        actor=org["manager"].user,
        goal_ids=[g.pk for g in [*mine, peers, draft, foreign]] + [999999],
    )
    assert {g.pk for g in outcome.done} == {mine[0].pk, mine[1].pk, peers.pk}
    skipped = {s.goal_id: s.reason for s in outcome.skipped}
    assert set(skipped) == {draft.pk, foreign.pk, 999999}
    assert "cannot be approved" in skipped[draft.pk]
    foreign.refresh_from_db()
    assert foreign.status == "submitted"
    assert GoalVersion.objects.count() == 3
    # One notification per owner, however many of their goals were approved.
    assert notes_to(org["employee"]) == ["2 of your goals were approved"]
    assert len(notes_to(org["peer"])) == 1
    assert notes_to(org["employee2"]) == []


def test_bulk_return_needs_a_comment_and_stores_it_on_each_goal(org, cycle):
    """The one comment is kept on every returned goal."""
    goals = [submitted_goal(org, cycle), make_goal(org["peer"], cycle=cycle, status="submitted")]
    with pytest.raises(ValidationError):
        workflow.bulk_return_goals(
            actor=org["manager"].user, goal_ids=[g.pk for g in goals], comment=""
        )
    outcome = workflow.bulk_return_goals(
        actor=org["manager"].user, goal_ids=[g.pk for g in goals], comment="Add targets"
    )
    assert len(outcome.done) == 2
    assert list(GoalComment.objects.values_list("body", flat=True)) == ["Add targets"] * 2
    assert set(Goal.objects.values_list("status", flat=True)) == {"returned"}


# --- Comments ------------------------------------------------------------------------------


def test_comment_notifies_the_other_party(org, cycle):
    """The owner's comment goes to the reviewer, the reviewer's to the owner."""
    goal = submitted_goal(org, cycle)
    workflow.add_comment(actor=org["employee"].user, goal=goal, body="Is 40 % right?")
    workflow.add_comment(actor=org["manager"].user, goal=goal, body="Yes")
    assert len(notes_to(org["manager"])) == 1
    assert len(notes_to(org["employee"])) == 1
    assert AuditEvent.objects.filter(verb="goal.commented").count() == 2
    with pytest.raises(PermissionDenied):
        workflow.add_comment(actor=org["employee2"].user, goal=goal, body="Peek")
    with pytest.raises(ValidationError):
        workflow.add_comment(actor=org["employee"].user, goal=goal, body=" ")


# --- Adjustments ----------------------------------------------------------------------------


@pytest.fixture
def locked(org, cycle):
    """An approved goal of the employee in a cycle that has left planning."""
    goal = make_goal(
        org["employee"], cycle=cycle, status="approved", weight=40, target=Decimal("10")
    )
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.IMPLEMENTATION)
    goal.refresh_from_db()
    return goal


def test_adjustment_flow_applies_the_new_values_with_the_reason_kept(org, locked):
    """Owner asks, reviewer approves: the goal changes, a version keeps the reason,
    both steps are audited and each other party is told."""
    request = adjustments.request_adjustment(
        actor=org["employee"].user,
        goal=locked,
        data={"new_target": Decimal("8"), "new_weight": None, "reason": "Market shrank"},
    )
    assert request.status == "pending"
    assert any("asks to adjust" in t for t in notes_to(org["manager"]))
    adjustments.approve_adjustment(actor=org["manager"].user, adjustment=request)
    locked.refresh_from_db()
    request.refresh_from_db()
    assert (locked.target, locked.weight, locked.version) == (Decimal("8.00"), Decimal("40.00"), 2)
    assert (request.status, request.decided_by) == ("approved", org["manager"].user)
    version = locked.versions.get()
    assert (version.target, version.reason) == (Decimal("8.00"), "Market shrank")
    goal_event = AuditEvent.objects.get(verb="goal.adjusted")
    assert (goal_event.before, goal_event.after["target"]) == ({"target": "10.00"}, "8.00")
    assert goal_event.after["reason"] == "Market shrank"
    assert AuditEvent.objects.filter(verb="adjustment.requested").exists()
    assert AuditEvent.objects.filter(verb="adjustment.approved").exists()
    assert any("was approved" in t for t in notes_to(org["employee"]))


def test_manager_may_ask_for_an_adjustment_and_the_owner_is_told(org, locked):
    """The reviewer can start the request too; the owner hears about it."""
    adjustments.request_adjustment(
        actor=org["manager"].user,
        goal=locked,
        data={"new_weight": Decimal("50"), "reason": "More focus"},
    )
    assert any("asks to adjust" in t for t in notes_to(org["employee"]))


def test_only_one_adjustment_may_be_pending(org, locked):
    """A second request waits until the first is decided."""
    values = {"new_target": Decimal("9"), "reason": "Because"}
    adjustments.request_adjustment(actor=org["employee"].user, goal=locked, data=values)
    with pytest.raises(GoalWorkflowError):
        adjustments.request_adjustment(actor=org["manager"].user, goal=locked, data=values)
    assert AdjustmentRequest.objects.count() == 1


def test_adjustment_needs_a_reason_and_a_change(org, locked):
    """No reason, or nothing different from the goal, is refused per field."""
    with pytest.raises(ValidationError) as excinfo:
        adjustments.request_adjustment(
            actor=org["employee"].user, goal=locked, data={"new_target": Decimal("9")}
        )
    assert "reason" in excinfo.value.error_dict
    with pytest.raises(ValidationError) as excinfo:
        adjustments.request_adjustment(
            actor=org["employee"].user,
            goal=locked,
            data={"new_target": Decimal("10"), "reason": "Same"},
        )
    assert "__all__" in excinfo.value.error_dict
    with pytest.raises(ValidationError) as excinfo:
        adjustments.request_adjustment(
            actor=org["employee"].user,
            goal=locked,
            data={"new_weight": Decimal("120"), "reason": "Much more"},
        )
    assert "new_weight" in excinfo.value.error_dict


def test_adjustment_is_for_approved_goals_of_ones_own_or_team(org, cycle, locked):
    """A draft is edited instead; another team's goal is out of reach."""
    draft = make_goal(org["employee"], cycle=cycle)
    with pytest.raises(GoalWorkflowError):
        adjustments.request_adjustment(
            actor=org["employee"].user, goal=draft, data={"new_weight": 5, "reason": "x"}
        )
    with pytest.raises(PermissionDenied):
        adjustments.request_adjustment(
            actor=org["manager2"].user, goal=locked, data={"new_weight": 5, "reason": "x"}
        )


def test_reject_adjustment_needs_a_reason_and_leaves_the_goal(org, locked):
    """The goal stays as agreed; the requester hears why."""
    request = make_adjustment(locked, by=org["employee"], new_weight=Decimal("60"))
    with pytest.raises(ValidationError):
        adjustments.reject_adjustment(actor=org["manager"].user, adjustment=request, comment="")
    adjustments.reject_adjustment(actor=org["manager"].user, adjustment=request, comment="Not now")
    locked.refresh_from_db()
    request.refresh_from_db()
    assert locked.weight == Decimal("40.00")
    assert (request.status, request.decision_comment) == ("rejected", "Not now")
    assert any("declined" in t for t in notes_to(org["employee"]))
    with pytest.raises(GoalWorkflowError):
        adjustments.approve_adjustment(actor=org["manager"].user, adjustment=request)


def test_adjustment_decisions_are_the_reviewers(org, locked):
    """The owner cannot approve their own request; another manager cannot either."""
    request = make_adjustment(locked, by=org["employee"], new_weight=Decimal("60"))
    for person in ("employee", "manager2", "peer"):
        with pytest.raises(PermissionDenied):
            adjustments.approve_adjustment(actor=org[person].user, adjustment=request)
    adjustments.approve_adjustment(actor=org["hr"].user, adjustment=request)
    locked.refresh_from_db()
    assert locked.weight == Decimal("60.00")


# --- Planning guard, readiness, to-dos ------------------------------------------------------


def test_planning_guard_names_people_whose_weights_are_off_and_counts_pending(org, cycle):
    """The cycle cannot leave planning until approved weights total 100 % and nothing
    waits for approval; people without any goals do not block."""
    make_goals(org["employee"], cycle=cycle, weights=[60, 30])
    make_goals(org["peer"], cycle=cycle, weights=[100])
    make_goal(org["employee2"], cycle=cycle, status="submitted", weight=100)
    problems = selectors.planning_blockers(cycle)
    assert len(problems) == 2
    assert problems[0].startswith("2 people have approved goal weights that do not total 100 %")
    assert f"{org['employee'].full_name} 90 %" in problems[0]
    assert f"{org['employee2'].full_name} 0 %" in problems[0]
    assert problems[1] == "1 goal is still awaiting approval."
    with pytest.raises(ValidationError) as excinfo:
        phases.advance_cycle_phase(
            actor=org["hr"].user, cycle_id=cycle.pk, to_phase=Cycle.Phase.IMPLEMENTATION
        )
    assert excinfo.value.messages == problems


def test_planning_guard_lets_a_ready_cycle_move_on(org, cycle, django_assert_max_num_queries):
    """With every plan at 100 % and nothing pending, planning ends; a few queries decide."""
    for person in ("employee", "peer", "employee2"):
        make_goals(org[person], cycle=cycle, weights=[70, 30])
    with django_assert_max_num_queries(3):
        assert selectors.planning_blockers(cycle) == []
    phases.advance_cycle_phase(
        actor=org["hr"].user, cycle_id=cycle.pk, to_phase=Cycle.Phase.IMPLEMENTATION
    )


def test_planning_readiness_gives_each_participant_a_status(org, cycle):
    """no goals / weights off / pending / ready, with counts and approved weight."""
    make_goals(org["employee"], cycle=cycle, weights=[60, 40])
    make_goals(org["peer"], cycle=cycle, weights=[50])
    make_goal(org["peer"], cycle=cycle, weight=50)
    make_goal(org["employee2"], cycle=cycle, status="submitted", weight=100)
    rows = {p.employee_id: p for p in selectors.planning_readiness(cycle)}
    assert rows[org["employee"].pk].readiness == "ready"
    assert rows[org["peer"].pk].readiness == "weights_off"
    assert (rows[org["peer"].pk].goal_count, rows[org["peer"].pk].draft_count) == (2, 1)
    assert rows[org["peer"].pk].approved_weight == Decimal("50")
    assert rows[org["employee2"].pk].readiness == "pending"
    assert rows[org["manager"].pk].readiness == "no_goals"
    assert selectors.readiness_counts(cycle) == {
        "no_goals": 1,
        "weights_off": 1,
        "pending": 1,
        "ready": 1,
        "total": 4,
    }


def test_todos_for_the_owner(org, cycle):
    """Drafts to submit, returned goals to revise, weights to fix, each due at the deadline."""
    make_goal(org["employee"], cycle=cycle, weight=30)
    make_goal(org["employee"], cycle=cycle, status="returned", weight=30)
    titles = [t.title for t in selectors.todos_for(Viewer.of(org["employee"].user))]
    assert titles == [
        "1 goal was returned to you: revise and resubmit it",
        "1 draft goal to submit for approval",
        "Your goal weights total 60 %; they must total 100 %",
    ]
    assert {t.due for t in selectors.todos_for(Viewer.of(org["employee"].user))} == {
        cycle.planning_deadline
    }
    empty = selectors.todos_for(Viewer.of(org["peer"].user))
    assert [t.action for t in empty] == ["Draft a goal"]


def test_todos_for_the_reviewer(org, cycle, locked):
    """Goals awaiting my approval and adjustment requests awaiting my decision."""
    make_adjustment(locked, by=org["employee"], new_weight=Decimal("50"))
    planning = make_cycle("FY2027", start=dt.date(2027, 1, 1))
    enrol(planning, org["employee"], org["peer"])
    make_goal(org["employee"], cycle=planning, status="submitted")
    make_goal(org["peer"], cycle=planning, status="submitted")
    todos = selectors.todos_for(Viewer.of(org["manager"].user))
    assert [t.title for t in todos][-2:] == [
        "2 goals of your team await your approval",
        "1 goal adjustment request awaits your decision",
    ]
    assert not any(
        "approval" in t.title for t in selectors.todos_for(Viewer.of(org["manager2"].user))
    )
