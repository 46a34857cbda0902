"""Improvement-plan factories: a held interview made directly (the interview part records
it through its own service; here only the record the plan reads is needed), the
``interview_recorded`` event that starts the required plan, and plans taken through the
plan services to each state."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from feedback.models import ActionOwner, ImprovementPlan, Interview, InterviewStatus, RootCause
from feedback.services import events
from feedback.services import plans as services
from tests.appraisal.factories import appraisal_of

DEFICIENCIES = "Releases slipped twice; code reviews waited for days."


def held_interview(org, person, *, deficiencies=DEFICIENCIES, causes=("Skills", "Workload")):
    appraisal = appraisal_of(org, person)
    now = timezone.now()
    interview = Interview.objects.create(
        appraisal=appraisal,
        participation=appraisal.participation,
        manager=org.manager,
        status=InterviewStatus.HELD,
        starts_at=now - dt.timedelta(hours=1),
        held_at=now,
        scheduled_by=org.manager.user,
        recorded_by=org.manager.user,
        achievements="Shipped the roadmap.",
        deficiencies=deficiencies,
        expectations="Steady delivery.",
    )
    # A transactional test (browser, worker) flushes the migration's list: make sure.
    interview.root_causes.set([RootCause.objects.get_or_create(name=name)[0] for name in causes])
    return interview


def record(interview, actor=None):
    """What the interview part does when it records the interview: the listeners run in
    its transaction."""
    with transaction.atomic():
        events.interview_recorded(interview=interview, actor=actor or interview.manager.user)


def required_plan(org, person=None) -> ImprovementPlan:
    person = person or org.employee
    record(held_interview(org, person))
    return ImprovementPlan.objects.get(participation__employee=person, required=True)


def complete_input(plan, *, today=None, **changes) -> services.PlanInput:
    today = today or timezone.localdate()
    values = {
        "gap": plan.gap or "Delivery slips.",
        "cause_ids": list(plan.causes.values_list("pk", flat=True)),
        "success_criteria": "Two releases on time in a row.",
        "starts_on": today + dt.timedelta(days=1),
        "ends_on": today + dt.timedelta(days=90),
        "actions": [
            services.ActionInput(
                "Plan each release with the team", ActionOwner.EMPLOYEE, today + dt.timedelta(30)
            ),
            services.ActionInput(
                "Weekly one-to-one on delivery", ActionOwner.MANAGER, today + dt.timedelta(14)
            ),
        ],
        "checkpoints": [
            services.CheckpointInput(today + dt.timedelta(days=30)),
            services.CheckpointInput(today + dt.timedelta(days=60)),
        ],
    }
    values.update(changes)
    return services.PlanInput(**values)


def written(plan, org, **changes) -> ImprovementPlan:
    plan.refresh_from_db()
    return services.save_plan(
        plan=plan,
        data=complete_input(plan, **changes),
        actor=org.manager.user,
        expected_version=plan.version,
    )


def agreed(plan, org, **changes) -> ImprovementPlan:
    """Both signed; it starts tomorrow unless told (a start day that has come makes it
    active at once)."""
    plan = written(plan, org, **changes)
    services.sign_plan(plan=plan, actor=org.employee.user, expected_version=plan.version)
    plan.refresh_from_db()
    return services.sign_plan(plan=plan, actor=org.manager.user, expected_version=plan.version)


def active(plan, org, **changes) -> ImprovementPlan:
    plan = agreed(plan, org, **changes)
    return services.start_plan_now(plan=plan, actor=org.manager.user, expected_version=plan.version)
