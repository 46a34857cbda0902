"""Improvement plans through their services: the required plan starts once when the
interview is recorded (below the qualified level only), the manager may start one by
choice, both write and sign it (an edit clears the signatures), it starts on its day, its
check-points are recorded, reminded and missed, and the manager (or HR, when the manager
has left) records the outcome. Every refusal is a clear error, never a silent no-op."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from feedback.models import (
    CheckpointStatus,
    ImprovementPlan,
    PlanCheckpoint,
    PlanStatus,
    RootCause,
)
from feedback.services import plans as services
from feedback.services.settings import settings_for
from perfcycle.models import AuditEvent, Notification, SentReminder
from perfcycle.workflow import ConcurrentEditError
from tests.appraisal.factories import appraisal_of
from tests.feedback.factories import released_org
from tests.feedback.plan_factories import (
    DEFICIENCIES,
    active,
    agreed,
    complete_input,
    held_interview,
    record,
    required_plan,
    written,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def titles(person) -> list[str]:
    return list(Notification.objects.filter(recipient=person.user).values_list("title", flat=True))


# --- The required plan ------------------------------------------------------------------


def test_a_result_below_the_qualified_level_starts_the_required_plan_prefilled():
    """Recording the interview of a below-qualified result starts a required draft plan:
    the gap is the interview's deficiencies, the causes its root causes; both are told."""
    org = released_org()
    record(held_interview(org, org.employee))
    plan = ImprovementPlan.objects.get()
    assert plan.required and plan.status == PlanStatus.DRAFT
    assert plan.gap == DEFICIENCIES
    assert set(plan.causes.values_list("name", flat=True)) == {"Skills", "Workload"}
    assert plan.manager == org.manager
    assert any("improvement plan" in t for t in titles(org.employee))
    assert any("Improvement plan for" in t for t in titles(org.manager))
    assert AuditEvent.objects.filter(verb="feedback.plan_started").count() == 1


def test_the_required_plan_is_created_once():
    org = released_org()
    interview = held_interview(org, org.employee)
    record(interview)
    record(interview)
    assert ImprovementPlan.objects.count() == 1


def test_no_plan_for_a_qualified_result():
    org = released_org()
    record(held_interview(org, org.colleague))
    assert not ImprovementPlan.objects.exists()


def test_no_plan_when_the_cycle_does_not_require_one():
    org = released_org()
    rules = settings_for(org.cycle)
    rules.plan_required = False
    rules.save()
    record(held_interview(org, org.employee))
    assert not ImprovementPlan.objects.exists()


def test_a_plan_started_by_choice_becomes_the_required_one():
    org = released_org()
    by_choice = services.start_plan(
        appraisal=appraisal_of(org, org.employee), actor=org.manager.user
    )
    record(held_interview(org, org.employee))
    assert ImprovementPlan.objects.count() == 1
    by_choice.refresh_from_db()
    assert by_choice.required


# --- By choice ---------------------------------------------------------------------------


def test_the_reviewer_starts_a_plan_by_choice_on_a_released_appraisal():
    org = released_org()
    plan = services.start_plan(appraisal=appraisal_of(org, org.colleague), actor=org.manager.user)
    assert not plan.required and plan.status == PlanStatus.DRAFT
    assert any("started an improvement plan" in t for t in titles(org.colleague))


@pytest.mark.parametrize("who", ["employee", "skip", "hr", "outsider"])
def test_only_the_reviewer_starts_a_plan(who):
    org = released_org()
    with pytest.raises(services.PlanError, match="Only the reviewer"):
        services.start_plan(
            appraisal=appraisal_of(org, org.colleague), actor=getattr(org, who).user
        )


def test_no_plan_before_the_ratings_are_released():
    from perfcycle.models import Cycle

    org = released_org(phase=Cycle.Phase.APPRAISAL)
    appraisal = appraisal_of(org, org.colleague)
    appraisal.released_at = None
    appraisal.save(update_fields=["released_at"])
    with pytest.raises(services.PlanError, match="not released"):
        services.start_plan(appraisal=appraisal, actor=org.manager.user)


def test_a_second_running_plan_is_refused():
    org = released_org()
    appraisal = appraisal_of(org, org.colleague)
    services.start_plan(appraisal=appraisal, actor=org.manager.user)
    with pytest.raises(services.PlanError, match="already running"):
        services.start_plan(appraisal=appraisal, actor=org.manager.user)


# --- Writing and signing -------------------------------------------------------------------


def test_both_must_sign_before_it_is_agreed():
    org = released_org()
    plan = written(required_plan(org), org)
    plan = services.sign_plan(plan=plan, actor=org.employee.user, expected_version=plan.version)
    assert plan.status == PlanStatus.DRAFT and plan.employee_signed_at
    assert any("signed the improvement plan" in t for t in titles(org.manager))
    plan = services.sign_plan(plan=plan, actor=org.manager.user, expected_version=plan.version)
    assert plan.status == PlanStatus.AGREED
    assert AuditEvent.objects.filter(verb="feedback.plan_agreed").count() == 1
    assert any("agreed" in t for t in titles(org.employee))


def test_agreeing_on_or_after_the_start_day_starts_the_plan_at_once():
    org = released_org()
    plan = written(required_plan(org), org, starts_on=TODAY())
    services.sign_plan(plan=plan, actor=org.employee.user, expected_version=plan.version)
    plan.refresh_from_db()
    plan = services.sign_plan(plan=plan, actor=org.manager.user, expected_version=plan.version)
    assert plan.status == PlanStatus.ACTIVE
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="feedback.plan_a")
        .order_by("pk")
        .values_list("verb", flat=True)
    )
    assert verbs == ["feedback.plan_agreed", "feedback.plan_activated"]


def test_a_signature_keeps_the_other_sides_page_signable():
    """Signing does not change the content: the manager's page, loaded before the
    employee signed, still signs that version."""
    org = released_org()
    plan = written(required_plan(org), org)
    shown = plan.version
    services.sign_plan(plan=plan, actor=org.employee.user, expected_version=shown)
    plan.refresh_from_db()
    plan = services.sign_plan(plan=plan, actor=org.manager.user, expected_version=shown)
    assert plan.status == PlanStatus.AGREED


def test_an_edit_after_a_signature_clears_the_signatures():
    org = released_org()
    plan = written(required_plan(org), org)
    services.sign_plan(plan=plan, actor=org.employee.user, expected_version=plan.version)
    plan.refresh_from_db()
    plan = services.save_plan(
        plan=plan,
        data=complete_input(plan, success_criteria="Three releases on time."),
        actor=org.manager.user,
        expected_version=plan.version,
    )
    assert plan.signatures_cleared
    plan.refresh_from_db()
    assert plan.employee_signed_at is None and plan.manager_signed_at is None
    assert any("sign again" in t for t in titles(org.employee))


def test_signing_an_out_of_date_version_is_refused():
    """The employee signs what the page showed: after the manager's change it is refused."""
    org = released_org()
    plan = written(required_plan(org), org)
    shown = plan.version
    written(plan, org, success_criteria="Changed meanwhile.")
    plan.refresh_from_db()
    with pytest.raises(ConcurrentEditError):
        services.sign_plan(plan=plan, actor=org.employee.user, expected_version=shown)
    plan.refresh_from_db()
    assert plan.employee_signed_at is None


def test_an_agreed_plan_edited_goes_back_to_draft():
    org = released_org()
    plan = agreed(required_plan(org), org, starts_on=TODAY() + dt.timedelta(days=5))
    plan = written(plan, org, starts_on=TODAY() + dt.timedelta(days=5), gap="A sharper gap.")
    assert plan.status == PlanStatus.DRAFT
    assert plan.employee_signed_at is None and plan.manager_signed_at is None


def test_an_incomplete_plan_cannot_be_signed():
    org = released_org()
    plan = required_plan(org)
    with pytest.raises(services.PlanError) as refused:
        services.sign_plan(plan=plan, actor=org.employee.user, expected_version=plan.version)
    messages = refused.value.messages
    assert "Write the success criteria." in messages
    assert "Add at least one action." in messages
    assert "Add at least one check-point." in messages


def test_signing_twice_is_refused():
    org = released_org()
    plan = written(required_plan(org), org)
    services.sign_plan(plan=plan, actor=org.employee.user, expected_version=plan.version)
    plan.refresh_from_db()
    with pytest.raises(services.PlanError, match="already signed"):
        services.sign_plan(plan=plan, actor=org.employee.user, expected_version=plan.version)


@pytest.mark.parametrize("who", ["skip", "hr", "outsider", "colleague"])
def test_only_the_employee_and_the_manager_write_and_sign(who):
    org = released_org()
    plan = written(required_plan(org), org)
    actor = getattr(org, who).user
    with pytest.raises(PermissionDenied):
        services.sign_plan(plan=plan, actor=actor, expected_version=plan.version)
    with pytest.raises(PermissionDenied):
        services.save_plan(
            plan=plan, data=complete_input(plan), actor=actor, expected_version=plan.version
        )


def test_dates_outside_the_plan_are_refused_at_their_rows():
    org = released_org()
    plan = required_plan(org)
    today = TODAY()
    bad = complete_input(
        plan,
        checkpoints=[
            services.CheckpointInput(today + dt.timedelta(days=200)),
        ],
    )
    with pytest.raises(ValidationError) as refused:
        services.save_plan(
            plan=plan, data=bad, actor=org.employee.user, expected_version=plan.version
        )
    assert "checkpoints" in refused.value.error_dict
    bad = complete_input(plan, ends_on=today - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        services.save_plan(
            plan=plan, data=bad, actor=org.employee.user, expected_version=plan.version
        )
    assert "ends_on" in refused.value.error_dict


def test_a_retired_cause_cannot_be_added_but_one_already_named_stays():
    org = released_org()
    plan = required_plan(org)
    skills = RootCause.objects.get_or_create(name="Skills")[0]
    process = RootCause.objects.get_or_create(name="Process")[0]
    RootCause.objects.filter(pk__in=[skills.pk, process.pk]).update(is_active=False)
    kept = complete_input(plan, cause_ids=[skills.pk])
    services.save_plan(plan=plan, data=kept, actor=org.employee.user, expected_version=plan.version)
    plan.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.save_plan(
            plan=plan,
            data=complete_input(plan, cause_ids=[skills.pk, process.pk]),
            actor=org.employee.user,
            expected_version=plan.version,
        )
    assert "causes" in refused.value.error_dict


def test_removed_rows_go_and_kept_rows_are_updated():
    org = released_org()
    plan = written(required_plan(org), org)
    first, _second = plan.actions.order_by("position")
    data = complete_input(
        plan,
        actions=[services.ActionInput("Renamed", first.owner, first.due_date, first.pk)],
    )
    services.save_plan(plan=plan, data=data, actor=org.employee.user, expected_version=plan.version)
    assert list(plan.actions.values_list("pk", "description")) == [(first.pk, "Renamed")]


# --- Running the plan ---------------------------------------------------------------------


def test_an_agreed_plan_starts_on_its_day():
    org = released_org()
    start = TODAY() + dt.timedelta(days=3)
    plan = agreed(required_plan(org), org, starts_on=start)
    assert services.run_plan_schedule(today=start - dt.timedelta(days=1))["activated"] == 0
    assert services.run_plan_schedule(today=start)["activated"] == 1
    assert services.run_plan_schedule(today=start)["activated"] == 0
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE


def test_start_now_is_the_managers_and_only_for_an_agreed_plan():
    org = released_org()
    plan = written(required_plan(org), org)
    with pytest.raises(PermissionDenied):
        services.start_plan_now(plan=plan, actor=org.employee.user, expected_version=plan.version)
    with pytest.raises(services.PlanError, match="agreed"):
        services.start_plan_now(plan=plan, actor=org.manager.user, expected_version=plan.version)


def test_the_manager_records_a_checkpoint_and_the_employee_is_told():
    org = released_org()
    plan = active(required_plan(org), org)
    point = plan.checkpoints.order_by("due_date").first()
    point = services.record_checkpoint(
        checkpoint=point,
        status=CheckpointStatus.BEHIND,
        note="One release slipped.",
        actor=org.manager.user,
        expected_version=point.version,
        today=point.due_date,
    )
    assert point.status == CheckpointStatus.BEHIND and point.recorded_at
    assert any("recorded: behind" in t for t in titles(org.employee))


def test_a_checkpoint_record_is_refused_to_the_employee_too_early_and_without_a_note():
    org = released_org()
    plan = active(required_plan(org), org)
    point = plan.checkpoints.order_by("due_date").first()
    args = {"checkpoint": point, "expected_version": point.version}
    with pytest.raises(PermissionDenied):
        services.record_checkpoint(
            **args, status="on_track", note="Fine.", actor=org.employee.user, today=point.due_date
        )
    with pytest.raises(services.PlanError, match="you can record it from"):
        services.record_checkpoint(
            **args,
            status="on_track",
            note="Fine.",
            actor=org.manager.user,
            today=point.due_date - dt.timedelta(days=8),
        )
    with pytest.raises(ValidationError) as refused:
        services.record_checkpoint(
            **args, status="on_track", note="  ", actor=org.manager.user, today=point.due_date
        )
    assert "note" in refused.value.error_dict


def test_checkpoints_are_reminded_once_and_missed_a_week_after():
    org = released_org()
    plan = active(required_plan(org), org)
    point = plan.checkpoints.order_by("due_date").first()
    before = point.due_date - dt.timedelta(days=2)
    assert services.run_plan_schedule(today=before)["reminded"] == 1
    assert services.run_plan_schedule(today=before)["reminded"] == 0
    assert SentReminder.objects.filter(kind=services.REMINDER_KIND).count() == 1
    assert sum("Reminder" in t for t in titles(org.employee)) == 1
    assert sum("Reminder" in t for t in titles(org.manager)) == 1
    week_after = point.due_date + dt.timedelta(days=services.MISSED_AFTER_DAYS)
    assert services.run_plan_schedule(today=week_after)["missed"] == 0
    assert services.run_plan_schedule(today=week_after + dt.timedelta(days=1))["missed"] == 1
    assert services.run_plan_schedule(today=week_after + dt.timedelta(days=1))["missed"] == 0
    point.refresh_from_db()
    assert point.status == CheckpointStatus.MISSED
    assert AuditEvent.objects.filter(verb="feedback.checkpoint_missed").count() == 1


def test_the_owner_ticks_off_an_action():
    org = released_org()
    plan = active(required_plan(org), org)
    mine = plan.actions.get(owner="employee")
    theirs = plan.actions.get(owner="manager")
    services.mark_action_done(action=mine, done=True, actor=org.employee.user)
    mine.refresh_from_db()
    assert mine.done_at is not None
    with pytest.raises(PermissionDenied):
        services.mark_action_done(action=theirs, done=True, actor=org.employee.user)


# --- The outcome ----------------------------------------------------------------------------


def test_the_manager_completes_a_plan_with_a_note():
    org = released_org()
    plan = active(required_plan(org), org)
    plan = services.close_plan(
        plan=plan,
        outcome=PlanStatus.COMPLETED,
        note="Both releases shipped on time.",
        actor=org.manager.user,
        expected_version=plan.version,
    )
    assert plan.status == PlanStatus.COMPLETED and plan.closed_at
    assert any("completed" in t for t in titles(org.employee))
    with pytest.raises(services.PlanError, match="Only an active plan"):
        services.close_plan(
            plan=plan,
            outcome=PlanStatus.NOT_MET,
            note="Again.",
            actor=org.manager.user,
            expected_version=plan.version,
        )


def test_extending_needs_a_later_end_and_adds_a_final_checkpoint():
    org = released_org()
    plan = active(required_plan(org), org)
    common = {"plan": plan, "outcome": PlanStatus.EXTENDED, "actor": org.manager.user}
    with pytest.raises(ValidationError) as refused:
        services.close_plan(**common, note="More time.", expected_version=plan.version)
    assert "new_end" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        services.close_plan(**common, note="", new_end=plan.ends_on, expected_version=plan.version)
    assert {"new_end", "note"} <= set(refused.value.error_dict)
    new_end = plan.ends_on + dt.timedelta(days=30)
    plan = services.close_plan(
        **common, note="Close: a month more.", new_end=new_end, expected_version=plan.version
    )
    assert plan.status == PlanStatus.EXTENDED and plan.ends_on == new_end
    assert PlanCheckpoint.objects.filter(plan=plan, due_date=new_end).exists()
    plan = services.close_plan(
        plan=plan,
        outcome=PlanStatus.NOT_MET,
        note="Still slipping.",
        actor=org.manager.user,
        expected_version=plan.version,
    )
    assert plan.status == PlanStatus.NOT_MET


def test_hr_closes_a_plan_only_when_the_manager_has_left():
    org = released_org()
    plan = active(required_plan(org), org)
    close = {"outcome": PlanStatus.NOT_MET, "note": "Manager left.", "actor": org.hr.user}
    with pytest.raises(PermissionDenied):
        services.close_plan(plan=plan, expected_version=plan.version, **close)
    org.manager.is_active = False
    org.manager.save(update_fields=["is_active"])
    plan = services.close_plan(plan=plan, expected_version=plan.version, **close)
    assert plan.status == PlanStatus.NOT_MET


@pytest.mark.parametrize("who", ["employee", "skip", "outsider"])
def test_nobody_else_closes_a_plan(who):
    org = released_org()
    plan = active(required_plan(org), org)
    with pytest.raises(PermissionDenied):
        services.close_plan(
            plan=plan,
            outcome=PlanStatus.COMPLETED,
            note="Done.",
            actor=getattr(org, who).user,
            expected_version=plan.version,
        )
