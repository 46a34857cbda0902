"""The one query behind the feedback stage's to-dos on the home pages.

Three parts of the stage put to-dos there — the interview to prepare, schedule or record,
the result to agree with, the improvement plan to sign or whose check-points to record —
and all three are about the released appraisals of the person and of the people they
review. They read one row per such appraisal, fetched once per request and kept on the
viewer, so the stage costs the home pages one query, not one per part (the daily-page
budget of 12 holds when a cycle's feedback overlaps the next cycle's check-ins)."""

from __future__ import annotations

import datetime as dt
import json

from django.db.models import BooleanField, Count, DateField, F, Min, OuterRef, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, JSONObject
from django.utils import timezone

from appraisal.models import Appraisal
from feedback.models import CheckpointStatus, ImprovementPlan, PlanCheckpoint, PlanStatus
from perfcycle.compiled import CompiledQuery
from perfcycle.lookups import in_id_list
from perfcycle.models import Cycle

# The phases in which the parts put to-dos on the home pages. Not appraisal: a plan started
# by choice right after HR's release waits for the feedback phase to show there (its page,
# reminders and check-in panel work at once); the appraisal's own to-dos fill those pages.
PHASES = (Cycle.Phase.FEEDBACK, Cycle.Phase.APPLICATION)
# The plans that ask something of someone (an agreed plan waits for its start day).
ASKING = (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.EXTENDED)
_KEY = "_feedback_todo_rows"


def _plan():
    """The appraisal's plan that asks something (at most one runs): its id, status and
    signatures in one subquery (a JSON object), not one subquery each."""
    return Subquery(
        ImprovementPlan.objects.filter(appraisal=OuterRef("pk"), status__in=ASKING)
        .order_by("-pk")
        .values(
            json=JSONObject(
                pk="pk",
                status="status",
                employee_signed="employee_signed_at",
                manager_signed="manager_signed_at",
            )
        )[:1]
    )


def _points(record_by):
    """How many check-points of that plan are due to be recorded (due by ``record_by``:
    ``RECORD_EARLY_DAYS`` after today) and the first one's day, in one subquery. The day
    is a parameter of the SQL (cast to a date there), so the SQL is the same every day."""
    points = (
        PlanCheckpoint.objects.filter(
            plan__appraisal=OuterRef("pk"),
            plan__status__in=ASKING,
            status=CheckpointStatus.UPCOMING,
            due_date__lte=Cast(Value(record_by), DateField()),
        )
        .order_by()
        .values("plan__appraisal")
        .annotate(value=JSONObject(count=Count("pk"), first=Min("due_date")))
        .values("value")
    )
    return Subquery(points)


def _unpack(row: dict) -> dict:
    """The plan's and the check-points' fields as the parts read them."""
    plan = _decoded(row.pop("plan")) or {}
    points = _decoded(row.pop("points")) or {}
    row["plan_pk"] = plan.get("pk")
    row["plan_status"] = plan.get("status")
    row["plan_employee_signed"] = plan.get("employee_signed")
    row["plan_manager_signed"] = plan.get("manager_signed")
    row["points_due"] = points.get("count")
    first = points.get("first")
    row["first_due"] = dt.date.fromisoformat(first) if isinstance(first, str) else first
    return row


def _decoded(value):
    return json.loads(value) if isinstance(value, str) else value


def _todo_rows_queryset(participation_ids, record_by):
    """The rows ``todo_rows`` reads. The participations go to PostgreSQL as an array and
    the check-points' day as a parameter, so the SQL is the same for every viewer and day
    and is built once per process (``_todo_rows``, perfcycle/compiled.py): building it
    (two subqueries, three JSON objects, seven joins) cost ~3 ms of CPU on every home page."""
    table = Appraisal._meta.db_table
    among = RawSQL(in_id_list(f'"{table}"."participation_id"'), [participation_ids], BooleanField())
    return (
        Appraisal.objects.filter(among, released_at__isnull=False)
        .annotate(plan=_plan(), points=_points(record_by))
        .values(
            "participation_id",
            "plan",
            "points",
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


_todo_rows = CompiledQuery(_todo_rows_queryset, arguments=2)


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
        record_by = timezone.localdate() + dt.timedelta(days=RECORD_EARLY_DAYS)
        rows = [_unpack(row) for row in _todo_rows(ids, record_by)]
    viewer.__dict__[_KEY] = rows
    return rows


def rows_for(viewer, participation_ids) -> list[dict]:
    """``todo_rows`` of these participations only."""
    wanted = set(participation_ids)
    return [row for row in todo_rows(viewer) if row["participation_id"] in wanted]
