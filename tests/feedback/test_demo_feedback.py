"""Last year's feedback phase in the demo (feedback/demo.py through ``manage.py
seed_demo``): every released appraisal interviewed and recorded, the answers (agreed, no
response, disputed and decided), the required improvement plans running into this year,
and the pages each login reads them on."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from appraisal.models import Appraisal
from feedback.demo import BY_CHOICE, DISPUTES, PROPOSALS, SILENT
from feedback.models import (
    Acknowledgement,
    AcknowledgementStatus,
    CheckpointStatus,
    Dispute,
    DisputeStatus,
    GoalProposal,
    ImprovementPlan,
    Interview,
    InterviewStatus,
    PlanStatus,
)
from feedback.services.settings import below_qualified, settings_for
from goals.models import Goal, GoalStatus
from implementation.models import CheckIn
from perfcycle.models import AuditEvent, Cycle
from tests.demo_pages import page

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=io.StringIO())
    return Cycle.objects.get(phase=Cycle.Phase.CLOSED)


def test_every_released_appraisal_of_last_year_was_interviewed_and_recorded(demo):
    """One held interview per released appraisal, held in the feedback phase after the
    release, with achievements, expectations and (for the weaker results) root causes."""
    released = Appraisal.objects.filter(participation__cycle=demo, released_at__isnull=False)
    interviews = Interview.objects.filter(participation__cycle=demo)
    assert interviews.count() == released.count() >= 40
    assert not interviews.exclude(status=InterviewStatus.HELD).exists()
    for interview in interviews.select_related("appraisal"):
        held_on = timezone.localdate(interview.held_at)
        assert timezone.localdate(interview.appraisal.released_at) <= held_on
        assert demo.appraisal_deadline < held_on <= demo.feedback_deadline
        assert interview.achievements and interview.expectations
    with_causes = interviews.filter(root_causes__isnull=False).distinct()
    assert with_causes.count() >= 10
    assert AuditEvent.objects.filter(verb="interview.recorded").count() == interviews.count()


def test_last_years_answers_agreed_no_response_and_decided_disputes(demo):
    """Most agree; the silent ones are recorded as no response by the deadline task;
    the disputes are decided by the skip-level manager, one upheld and one changed."""
    answers = Acknowledgement.objects.filter(participation__cycle=demo)
    by_status = {a.participation.employee.user.username: a.status for a in answers}
    assert {by_status[u] for u in SILENT} == {AcknowledgementStatus.NO_RESPONSE}
    assert {by_status[u] for u in DISPUTES} == {AcknowledgementStatus.DISAGREED}
    agreed = [u for u, s in by_status.items() if s == AcknowledgementStatus.AGREED]
    assert len(agreed) == len(by_status) - len(SILENT) - len(DISPUTES) >= 35
    disputes = {
        d.participation.employee.user.username: d
        for d in Dispute.objects.filter(participation__cycle=demo).select_related(
            "participation__employee__user", "participation__reviewer", "resolved_by"
        )
    }
    assert set(disputes) == set(DISPUTES)
    changed, upheld = disputes["employee2"], disputes["employee"]
    assert changed.status == DisputeStatus.CHANGED
    assert changed.rating_after == changed.rating_before + 1
    assert upheld.status == DisputeStatus.UPHELD
    for dispute in (changed, upheld):
        skip_level = dispute.participation.reviewer.manager
        assert dispute.resolved_by_id == skip_level.user_id


def test_the_people_below_the_qualified_level_have_a_signed_plan_running_into_this_year(demo):
    """Each required plan is agreed by both and active; its check-points up to today are
    recorded on their days, the next ones are upcoming this year."""
    today = timezone.localdate()
    plans = ImprovementPlan.objects.filter(participation__cycle=demo)
    assert plans.count() >= 2
    assert plans.filter(required=True).count() >= 1
    rules = settings_for(demo)
    for appraisal in Appraisal.objects.filter(participation__cycle=demo):
        if below_qualified(appraisal, rules):
            assert plans.filter(appraisal=appraisal, required=True).exists()
    assert plans.filter(participation__employee__user__username=BY_CHOICE).exists()
    left = plans.filter(participation__employee__user__is_active=False)
    assert [p.status for p in left] == [PlanStatus.NOT_MET]  # peter.hall, the leaver
    assert left[0].checkpoints.filter(status__in=["on_track", "behind"]).exists()
    assert plans.exclude(pk__in=left).exists()
    for plan in plans.exclude(pk__in=left):
        assert plan.status == PlanStatus.ACTIVE
        assert plan.employee_signed_at and plan.manager_signed_at
        assert plan.ends_on > today
        points = list(plan.checkpoints.order_by("due_date"))
        past = [p for p in points if p.due_date <= today]
        later = [p for p in points if p.due_date > today]
        assert past and later
        assert all(p.status != CheckpointStatus.UPCOMING for p in past)
        assert all(p.status == CheckpointStatus.UPCOMING for p in later)
        assert not plan.actions.filter(due_date__lte=today, done_at__isnull=True).exists()
        assert any(p.due_date <= demo.end_date for p in past)


def test_the_goals_agreed_in_the_interviews_open_this_years_cycle(demo):
    """The proposals on last year's held interviews became this year's goals, each once,
    linked back to its interview: carried as drafts while this year's cycle was in
    planning, then submitted with the person's other goals and approved, weights 100 %."""
    proposals = GoalProposal.objects.filter(participation__cycle=demo).select_related(
        "carried_goal", "carried_into__cycle", "interview"
    )
    assert proposals.count() == sum(len(v) for v in PROPOSALS.values())
    current = Cycle.objects.get(phase=Cycle.Phase.IMPLEMENTATION)
    for proposal in proposals:
        goal = proposal.carried_goal
        assert proposal.carried_into.cycle == current
        assert proposal.interview.status == InterviewStatus.HELD
        assert goal.title == proposal.title and goal.weight == proposal.weight
        assert goal.owner_id == proposal.participation.employee_id
        assert goal.status == GoalStatus.APPROVED
        verbs = list(
            AuditEvent.objects.filter(object_type="goals.goal", object_id=str(goal.pk))
            .order_by("created_at", "pk")
            .values_list("verb", "created_at")
        )
        assert [v for v, _ in verbs] == ["goal.drafted_for", "goal.submitted", "goal.approved"]
        # Drafted on the interview's day, before this year's planning approved it.
        assert timezone.localdate(verbs[0][1]) < current.start_date
        assert goal.created_at == verbs[0][1]
    carried = AuditEvent.objects.filter(verb="feedback.proposal_carried")
    assert carried.count() == proposals.count()
    for username in PROPOSALS:
        weights = Goal.objects.filter(
            cycle=current, owner__user__username=username, status=GoalStatus.APPROVED
        ).values_list("weight", flat=True)
        assert sum(weights) == 100
        assert len(weights) >= 3


def test_the_employee_reads_last_years_interview_result_and_next_goals(client, demo):
    """employee2: My interview, My result (the changed dispute), My next-cycle goals."""
    query = f"?cycle={demo.pk}"
    interview = Interview.objects.get(
        participation__cycle=demo, participation__employee__user__username="employee2"
    )
    html = page(client, "employee2", reverse("feedback:interview-mine") + query)
    assert escape(interview.expectations) in html
    html = page(client, "employee2", reverse("feedback:consensus-mine") + query)
    dispute = Dispute.objects.get(participation=interview.participation)
    assert escape(dispute.resolution) in html
    html = page(client, "employee2", reverse("feedback:carry-mine"))
    assert escape(PROPOSALS["employee2"][0][0]) in html
    assert "(approved)" in html  # carried in planning, approved with the rest


def test_the_person_with_a_plan_reads_it_and_sees_it_in_this_years_check_in(client, demo):
    """My plan shows the plan; this year's check-in page shows the plan's panel with the
    next check-point."""
    plan = (
        ImprovementPlan.objects.select_related("participation__employee__user")
        .filter(participation__cycle=demo, status=PlanStatus.ACTIVE)
        .order_by("pk")
        .first()
    )
    username = plan.participation.employee.user.username
    html = page(client, username, reverse("feedback:plan-mine"))
    assert 'data-testid="current-plan"' in html and demo.name in html
    html = page(client, username, plan.get_absolute_url())
    assert escape(plan.success_criteria) in html
    checkin = (
        CheckIn.objects.filter(
            participation__employee=plan.participation.employee,
            participation__cycle__phase=Cycle.Phase.IMPLEMENTATION,
        )
        .order_by("-period_start")
        .first()
    )
    assert checkin is not None
    html = page(client, username, checkin.get_absolute_url())
    assert "Improvement plan" in html
    upcoming = plan.checkpoints.filter(status=CheckpointStatus.UPCOMING).order_by("due_date")[0]
    assert upcoming.due_date > timezone.localdate()
    manager_html = page(client, plan.manager.user.username, checkin.get_absolute_url())
    assert "Improvement plan" in manager_html


def test_hr_reads_last_years_interview_completion_and_root_causes(client, demo):
    """HR: every interview held in last year's completion page; the root-cause report
    shows departments' groups (none smaller than three)."""
    query = f"?cycle={demo.pk}"
    html = page(client, "hr", reverse("feedback:interview-completion") + query)
    assert demo.name in html
    html = page(client, "hr", reverse("feedback:carry-root-cause-report") + query)
    assert "Workload" in html and "Goal clarity" in html
    assert "All departments shown" in html


def test_seeding_again_adds_no_feedback(demo):
    before = (Interview.objects.count(), ImprovementPlan.objects.count(), Dispute.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    after = (Interview.objects.count(), ImprovementPlan.objects.count(), Dispute.objects.count())
    assert after == before


def test_feedback_follows_the_day_the_demo_is_seeded():
    """--today: the plans still run into "this year" of that day."""
    day = dt.date(2025, 4, 30)
    call_command("seed_demo", "--today", day.isoformat(), stdout=io.StringIO())
    plan = ImprovementPlan.objects.filter(status=PlanStatus.ACTIVE).first()
    assert plan is not None and plan.ends_on > day
    assert plan.checkpoints.filter(due_date__gt=day, status=CheckpointStatus.UPCOMING).exists()


def test_last_years_feedback_is_dated_last_year(demo):
    """No row of last year's feedback reads as written today (the Changed-after-a-dispute
    table shows the day the dispute was decided)."""
    from appraisal.models import RatingRevision

    def days(model, field):
        rows = model.objects.filter(participation__cycle=demo).values_list(field, flat=True)
        return {timezone.localdate(value) for value in rows}

    end = demo.end_date
    for model, field in [
        (Interview, "created_at"),
        (Acknowledgement, "created_at"),
        (Dispute, "opened_at"),
        (ImprovementPlan, "created_at"),
        (GoalProposal, "created_at"),
    ]:
        assert max(days(model, field)) <= end, model.__name__
    revised = RatingRevision.objects.filter(appraisal__participation__cycle=demo)
    assert revised.exists()
    assert all(demo.appraisal_deadline < timezone.localdate(r.revised_at) <= end for r in revised)
