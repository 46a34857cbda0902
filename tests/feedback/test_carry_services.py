"""Next-cycle goals: the reviewer writes them with the interview; each becomes a draft goal
of the person's next cycle when it opens, exactly once, through goals' own services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from feedback.models import GoalProposal, InterviewStatus
from feedback.services import carry as services
from feedback.services.events import interview_recorded
from goals.models import Goal, GoalStatus
from perfcycle.models import AuditEvent, Cycle, Employee, Notification, Participation
from perfcycle.services import enrol_employees
from perfcycle.workflow import SYSTEM, ConcurrentEditError
from tests.feedback.carry_factories import ensure_root_causes, interview_for, next_cycle, propose
from tests.feedback.factories import released_org
from tests.workers import run_at_once

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _root_causes(db):
    ensure_root_causes()


@pytest.fixture
def org():
    return released_org()


def enrol(cycle, *people, actor):
    return enrol_employees(
        actor=actor, cycle=cycle, employees=Employee.objects.filter(pk__in=[p.pk for p in people])
    )


def carried_goals(employee, cycle):
    return Goal.objects.filter(owner=employee, cycle=cycle)


# --- Writing proposals -------------------------------------------------------------------------


def test_the_reviewer_adds_a_proposal_audited_and_the_employee_told(org):
    interview = interview_for(org, org.employee)
    proposal = propose(interview, org.manager.user, title="  Ship the mobile app  ")
    assert proposal.title == "Ship the mobile app"
    assert proposal.participation_id == interview.participation_id
    assert proposal.position == 0
    assert propose(interview, org.manager.user).position == 1
    event = AuditEvent.objects.filter(verb="feedback.proposal_added").order_by("pk").first()
    assert event.actor_id == org.manager.user_id
    assert event.after["title"] == "Ship the mobile app"
    assert Notification.objects.filter(
        recipient=org.employee.user, title__contains="Ship the mobile app"
    ).exists()


@pytest.mark.parametrize("who", ["employee", "skip", "hr", "colleague", "outsider"])
def test_only_the_reviewer_writes_proposals(org, who):
    interview = interview_for(org, org.employee)
    with pytest.raises(PermissionDenied):
        propose(interview, getattr(org, who).user)
    assert not GoalProposal.objects.exists()


def test_proposals_may_be_written_before_the_interview_but_not_after_a_cancel(org):
    interview = interview_for(org, org.employee, status=InterviewStatus.SCHEDULED)
    proposal = propose(interview, org.manager.user)
    interview.status = InterviewStatus.CANCELLED
    interview.save(update_fields=["status"])
    with pytest.raises(services.ProposalError, match="cancelled"):
        propose(interview, org.manager.user)
    with pytest.raises(services.ProposalError, match="cancelled"):
        services.update_proposal(
            actor=org.manager.user,
            proposal=proposal,
            data={"title": "Other"},
            expected_version=proposal.version,
        )


def test_bad_input_is_refused_at_its_field(org):
    interview = interview_for(org, org.employee)
    with pytest.raises(services.ProposalError) as error:
        services.add_proposal(
            actor=org.manager.user,
            interview=interview,
            data={"title": " ", "weight": Decimal("120")},
        )
    assert set(error.value.message_dict) == {"title", "weight"}


def test_an_edit_needs_the_version_it_was_made_on(org):
    interview = interview_for(org, org.employee)
    proposal = propose(interview, org.manager.user, title="First")
    services.update_proposal(
        actor=org.manager.user,
        proposal=proposal,
        data={"title": "Second", "weight": Decimal("40")},
        expected_version=proposal.version,
    )
    with pytest.raises(ConcurrentEditError):
        services.update_proposal(
            actor=org.manager.user,
            proposal=proposal,
            data={"title": "Third"},
            expected_version=proposal.version,  # the stale one
        )
    proposal.refresh_from_db()
    assert (proposal.title, proposal.weight, proposal.version) == ("Second", Decimal("40"), 2)
    event = AuditEvent.objects.get(verb="feedback.proposal_changed")
    assert event.before == {
        "title": "First",
        "description": "What we agreed.",
        "target": "10.00",
        "unit": "releases",
        "weight": "30.00",
    }
    assert event.after["title"] == "Second" and event.after["target"] is None


def test_removing_a_proposal_keeps_its_content_in_the_audit_log(org):
    interview = interview_for(org, org.employee)
    proposal = propose(interview, org.manager.user, title="Drop me")
    services.remove_proposal(
        actor=org.manager.user, proposal=proposal, expected_version=proposal.version
    )
    assert not GoalProposal.objects.exists()
    event = AuditEvent.objects.get(verb="feedback.proposal_removed")
    assert event.before["title"] == "Drop me"


# --- Carrying them over ------------------------------------------------------------------------


def test_enrolling_in_the_next_cycle_makes_draft_goals_exactly_once(org):
    """The next cycle opening twice (enrolled twice, the sweep twice) creates them once."""
    interview = interview_for(org, org.employee)
    first = propose(interview, org.manager.user, title="Ship the mobile app", weight=None)
    second = propose(interview, org.manager.user, title="Mentor two joiners")
    later = next_cycle()
    assert enrol(later, org.employee, org.colleague, actor=org.hr.user) == 2
    goals = carried_goals(org.employee, later)
    assert sorted(goals.values_list("title", flat=True)) == [
        "Mentor two joiners",
        "Ship the mobile app",
    ]
    assert set(goals.values_list("status", flat=True)) == {GoalStatus.DRAFT}
    goal = goals.get(title="Mentor two joiners")
    assert (goal.target, goal.unit, goal.weight) == (Decimal("10"), "releases", Decimal("30"))
    assert goals.get(title="Ship the mobile app").weight == Decimal("0")
    first.refresh_from_db()
    second.refresh_from_db()
    target = Participation.objects.get(cycle=later, employee=org.employee)
    assert first.carried_into == second.carried_into == target
    assert first.carried_goal.title == "Ship the mobile app"
    assert first.carried_at is not None
    # Again: enrolment of people already in, the sweep, twice each.
    assert enrol(later, org.employee, actor=org.hr.user) == 0
    assert services.sweep_carry_over() == 0
    assert services.sweep_carry_over() == 0
    assert services.carry_proposals(participation_ids=[target.pk], actor=SYSTEM) == 0
    assert carried_goals(org.employee, later).count() == 2
    assert not carried_goals(org.colleague, later).exists()
    # Audited through goals' own service and as the proposal's carry; told once.
    assert AuditEvent.objects.filter(verb="goal.drafted_for").count() == 2
    origin = AuditEvent.objects.filter(verb="goal.drafted_for").first().after["origin"]
    assert origin == f"Agreed in the feedback interview of {org.cycle.name}"
    assert AuditEvent.objects.filter(verb="feedback.proposal_carried").count() == 2
    told = Notification.objects.filter(recipient=org.employee.user, title__contains="are drafts in")
    assert told.count() == 1
    assert Notification.objects.filter(
        recipient=org.manager.user, title__contains="2 draft goals"
    ).exists()


def test_goals_go_only_into_a_later_cycle_and_the_first_one_after(org):
    interview = interview_for(org, org.employee)
    propose(interview, org.manager.user, title="Later goal")
    earlier = next_cycle(start=dt.date(2025, 1, 1), name="Earlier cycle")
    enrol(earlier, org.employee, actor=org.hr.user)
    assert not carried_goals(org.employee, earlier).exists()
    following = next_cycle(start=dt.date(2027, 1, 1), name="Next cycle")
    after_next = next_cycle(start=dt.date(2028, 1, 1), name="Cycle after next")
    enrol(following, org.employee, actor=org.hr.user)
    enrol(after_next, org.employee, actor=org.hr.user)
    assert list(carried_goals(org.employee, following).values_list("title", flat=True)) == [
        "Later goal"
    ]
    assert not carried_goals(org.employee, after_next).exists()


def test_the_cycle_after_next_waits_while_the_next_one_is_joined(org):
    """Both later cycles in planning: the goals belong to the first one after."""
    interview = interview_for(org, org.employee)
    propose(interview, org.manager.user, title="Later goal")
    following = next_cycle(start=dt.date(2027, 1, 1), name="Next cycle")
    after_next = next_cycle(start=dt.date(2028, 1, 1), name="Cycle after next")
    both = [
        Participation.objects.create(cycle=c, employee=org.employee, reviewer=org.manager)
        for c in (after_next, following)
    ]
    assert services.carry_proposals(participation_ids=[both[0].pk], actor=SYSTEM) == 0
    assert services.sweep_carry_over() == 1
    assert carried_goals(org.employee, following).count() == 1
    assert not carried_goals(org.employee, after_next).exists()


def test_a_next_cycle_past_planning_gets_nothing(org):
    interview = interview_for(org, org.employee)
    propose(interview, org.manager.user)
    later = next_cycle(phase=Cycle.Phase.IMPLEMENTATION)
    enrol(later, org.employee, actor=org.hr.user)
    assert services.sweep_carry_over() == 0
    assert not carried_goals(org.employee, later).exists()
    assert GoalProposal.objects.filter(carried_at__isnull=True).count() == 1


def test_goals_of_an_interview_not_yet_held_wait_then_go_when_it_is_recorded(org):
    interview = interview_for(org, org.employee, status=InterviewStatus.SCHEDULED)
    propose(interview, org.manager.user, title="Agreed later")
    later = next_cycle()
    enrol(later, org.employee, actor=org.hr.user)
    assert not carried_goals(org.employee, later).exists()
    # The interview part records it and calls the listeners.
    interview.status = InterviewStatus.HELD
    interview.held_at = interview.starts_at
    interview.save(update_fields=["status", "held_at"])
    interview_recorded(interview=interview, actor=org.manager.user)
    assert carried_goals(org.employee, later).count() == 1
    assert services.sweep_carry_over() == 0


def test_the_sweep_carries_what_enrolment_could_not(org):
    interview = interview_for(org, org.employee)
    propose(interview, org.manager.user)
    later = next_cycle()
    Participation.objects.create(cycle=later, employee=org.employee, reviewer=org.manager)
    assert services.sweep_carry_over() == 1
    assert services.sweep_carry_over() == 0
    assert carried_goals(org.employee, later).count() == 1


def test_a_carried_proposal_no_longer_changes(org):
    interview = interview_for(org, org.employee)
    proposal = propose(interview, org.manager.user)
    enrol(next_cycle(), org.employee, actor=org.hr.user)
    proposal.refresh_from_db()
    with pytest.raises(services.ProposalError, match="already a draft goal"):
        services.update_proposal(
            actor=org.manager.user,
            proposal=proposal,
            data={"title": "Changed"},
            expected_version=proposal.version,
        )
    with pytest.raises(services.ProposalError, match="already a draft goal"):
        services.remove_proposal(
            actor=org.manager.user, proposal=proposal, expected_version=proposal.version
        )


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_carry_once():
    org = released_org()
    interview = interview_for(org, org.employee)
    propose(interview, org.manager.user)
    propose(interview, org.manager.user)
    later = next_cycle()
    target = Participation.objects.create(cycle=later, employee=org.employee, reviewer=org.manager)
    results = run_at_once(
        lambda: services.carry_proposals(participation_ids=[target.pk], actor=SYSTEM)
    )
    assert sorted(results) == [0, 2]
    assert carried_goals(org.employee, later).count() == 2


def test_the_owner_may_delete_a_carried_draft_and_it_is_not_carried_again(org):
    from goals.services.workflow import delete_goal

    interview = interview_for(org, org.employee)
    proposal = propose(interview, org.manager.user, title="No longer needed")
    later = next_cycle()
    enrol(later, org.employee, actor=org.hr.user)
    goal = carried_goals(org.employee, later).get()
    delete_goal(actor=org.employee.user, goal=goal)
    assert not carried_goals(org.employee, later).exists()
    proposal.refresh_from_db()
    assert proposal.carried_goal is None
    assert proposal.carried_at is not None and proposal.carried_into.cycle == later
    assert services.sweep_carry_over() == 0
    assert not carried_goals(org.employee, later).exists()
    event = AuditEvent.objects.get(verb="feedback.proposal_goal_deleted")
    assert event.before == {"goal": goal.pk} and event.actor_id == org.employee.user_id


def test_a_goal_the_goals_stage_refuses_does_not_undo_the_enrolment(org, monkeypatch):
    """One person's carry failing leaves the enrolment of everyone; the sweep retries."""
    from goals.services import workflow

    interview = interview_for(org, org.employee)
    propose(interview, org.manager.user)
    real = workflow.draft_goal_for

    def refuse(**kwargs):
        raise workflow.GoalWorkflowError("Not now.")

    monkeypatch.setattr(services, "draft_goal_for", refuse)
    later = next_cycle()
    assert enrol(later, org.employee, org.colleague, actor=org.hr.user) == 2
    assert Participation.objects.filter(cycle=later).count() == 2
    assert not carried_goals(org.employee, later).exists()
    monkeypatch.setattr(services, "draft_goal_for", real)
    assert services.sweep_carry_over() == 1


def test_an_indicator_gives_its_unit_and_a_retired_one_is_refused(org):
    from tests.appraisal.factories import make_indicator

    indicator = make_indicator(org.scale, name="Release count")
    interview = interview_for(org, org.employee)
    proposal = propose(interview, org.manager.user, indicator=indicator, unit="")
    assert proposal.unit == indicator.unit
    indicator.is_active = False
    indicator.save(update_fields=["is_active"])
    with pytest.raises(services.ProposalError) as error:
        propose(interview, org.manager.user, indicator=indicator)
    assert "no longer in use" in error.value.message_dict["indicator"][0]
