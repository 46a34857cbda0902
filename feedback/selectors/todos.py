"""The one query behind the feedback stage's to-dos on the home pages.

Three parts of the stage put to-dos there — the interview to prepare, schedule or record,
the result to agree with, the improvement plan to sign or whose check-points to record —
and all three are about the released appraisals of the person and of the people they
review. They read one row per such appraisal, fetched once per request and kept on the
viewer, so the stage costs the home pages one query, not one per part (the daily-page
budget of 12 holds when a cycle's feedback overlaps the next cycle's check-ins)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Min, OuterRef, Subquery
from django.utils import timezone

from appraisal.models import Appraisal
from feedback.models import CheckpointStatus, ImprovementPlan, PlanCheckpoint, PlanStatus
from perfcycle.models import Cycle

# The phases in which the parts put to-dos on the home pages. Not appraisal: a plan started
# by choice right after HR's release waits for the feedback phase to show there (its page,
# reminders and check-in panel work at once); the appraisal's own to-dos fill those pages.
PHASES = (Cycle.Phase.FEEDBACK, Cycle.Phase.APPLICATION)
# The plans that ask something of someone (an agreed plan waits for its start day).
ASKING = (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.EXTENDED)
_KEY = "_feedback_todo_rows"


def _plan(field: str):
    """One field of the appraisal's plan that asks something (at most one runs)."""
    return Subquery(
        ImprovementPlan.objects.filter(appraisal=OuterRef("pk"), status__in=ASKING)
        .order_by("-pk")
        .values(field)[:1]
    )


def _points(aggregate, *, record_early_days: int):
    """Check-points of that plan due to be recorded (from ``record_early_days`` before)."""
    today = timezone.localdate()
    points = (
        PlanCheckpoint.objects.filter(
            plan__appraisal=OuterRef("pk"),
            plan__status__in=ASKING,
            status=CheckpointStatus.UPCOMING,
            due_date__lte=today + dt.timedelta(days=record_early_days),
        )
        .order_by()
        .values("plan__appraisal")
        .annotate(value=aggregate)
        .values("value")
    )
    return Subquery(points)


def todo_rows(viewer) -> list[dict]:
    """The released appraisals of the viewer and of the people they review, in cycles in
    ``PHASES``, with their interview, the employee's answer and the plan that asks
    something. No query for someone with none of those participations."""
    cached = viewer.__dict__.get(_KEY)
    if cached is not None:
        return cached
    from feedback.services.plans import RECORD_EARLY_DAYS

    ids = [*viewer.own_participation_ids(*PHASES), *viewer.reviewed_ids(*PHASES)]
    rows: list[dict] = []
    if ids:
        rows = list(
            Appraisal.objects.filter(participation_id__in=ids, released_at__isnull=False)
            .annotate(
                plan_pk=_plan("pk"),
                plan_status=_plan("status"),
                plan_employee_signed=_plan("employee_signed_at"),
                plan_manager_signed=_plan("manager_signed_at"),
                points_due=_points(Count("pk"), record_early_days=RECORD_EARLY_DAYS),
                first_due=_points(Min("due_date"), record_early_days=RECORD_EARLY_DAYS),
            )
            .values(
                "participation_id",
                "plan_pk",
                "plan_status",
                "plan_employee_signed",
                "plan_manager_signed",
                "points_due",
                "first_due",
                cycle_id=F("participation__cycle_id"),
                phase=F("participation__cycle__phase"),
                deadline=F("participation__cycle__feedback_deadline"),
                rule_due=F("participation__cycle__feedback_settings__interviews_due"),
                interview_id=F("interview__pk"),
                interview_status=F("interview__status"),
                starts_at=F("interview__starts_at"),
                ack_status=F("acknowledgement__status"),
                ack_due=F("acknowledgement__due_date"),
                first_name=F("participation__employee__user__first_name"),
                last_name=F("participation__employee__user__last_name"),
            )
            .order_by("participation_id")
        )
    viewer.__dict__[_KEY] = rows
    return rows


def rows_for(viewer, participation_ids) -> list[dict]:
    """``todo_rows`` of these participations only."""
    wanted = set(participation_ids)
    return [row for row in todo_rows(viewer) if row["participation_id"] in wanted]
