"""Implementation factories shared by every stage's tests (no services, no magic: each
call makes exactly what it says, straight in the database)."""

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from goals.models import Goal
from implementation.models import (
    CheckIn,
    CheckinComment,
    CheckinQuestion,
    CheckinSettings,
    Deviation,
    ProgressUpdate,
)
from perfcycle.models import Cycle, Participation

_seq = itertools.count(1)


def make_checkin(
    participation: Participation,
    *,
    period_start: dt.date,
    period_end: dt.date | None = None,
    due_date: dt.date | None = None,
    status: str = CheckIn.Status.PENDING,
    **fields,
) -> CheckIn:
    """A check-in for one period (a month from ``period_start`` unless told). A submitted
    or reviewed one gets a submission time and a confidence unless given."""
    period_end = period_end or (period_start + dt.timedelta(days=30))
    if status in (CheckIn.Status.SUBMITTED, CheckIn.Status.REVIEWED):
        fields.setdefault("submitted_at", timezone.now())
        fields.setdefault("confidence", 3)
    if status == CheckIn.Status.REVIEWED:
        fields.setdefault("reviewed_at", timezone.now())
        reviewer = participation.reviewer
        if reviewer is not None:
            fields.setdefault("reviewed_by", reviewer.user)
    return CheckIn.objects.create(
        participation=participation,
        period_start=period_start,
        period_end=period_end,
        due_date=due_date or period_end,
        status=status,
        **fields,
    )


def make_checkins(
    participation: Participation, *, first: dt.date, count: int, days: int = 30, **fields
) -> list[CheckIn]:
    """``count`` consecutive check-ins of ``days`` days each, oldest first."""
    result = []
    for index in range(count):
        start = first + dt.timedelta(days=index * days)
        result.append(
            make_checkin(
                participation,
                period_start=start,
                period_end=start + dt.timedelta(days=days - 1),
                **fields,
            )
        )
    return result


def make_question(
    cycle: Cycle, text: str | None = None, *, position: int | None = None, is_active=True
) -> CheckinQuestion:
    n = next(_seq)
    return CheckinQuestion.objects.create(
        cycle=cycle,
        text=text or f"Question {n}?",
        position=n if position is None else position,
        is_active=is_active,
    )


def make_settings(cycle: Cycle, **fields) -> CheckinSettings:
    return CheckinSettings.objects.create(cycle=cycle, **fields)


def make_comment(checkin: CheckIn, *, by, body: str = "A comment", **fields) -> CheckinComment:
    return CheckinComment.objects.create(checkin=checkin, author=by.user, body=body, **fields)


def make_progress(
    goal: Goal, value, *, by, recorded_on: dt.date, checkin: CheckIn | None = None, note=""
) -> ProgressUpdate:
    return ProgressUpdate.objects.create(
        goal=goal,
        value=Decimal(str(value)),
        recorded_on=recorded_on,
        recorded_by=by.user,
        checkin=checkin,
        note=note,
    )


def make_deviation(
    goal: Goal,
    *,
    participation: Participation,
    status: str = Deviation.Status.OPEN,
    severity: str = Deviation.Severity.MEDIUM,
    detected_on: dt.date | None = None,
    **fields,
) -> Deviation:
    """A deviation on ``goal``, owned by its owner unless told."""
    fields.setdefault("owner", goal.owner or participation.employee)
    return Deviation.objects.create(
        goal=goal,
        participation=participation,
        status=status,
        severity=severity,
        detected_on=detected_on or dt.date(2026, 3, 1),
        expected_percent=Decimal("50"),
        actual_percent=Decimal("20"),
        **fields,
    )
