"""Consensus factories: a held interview made directly (the interview lane's
record_interview is built in parallel) and announced through the stage's own
``interview_recorded``, so the consensus listener asks for the employee's answer."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from appraisal.services.assessment import rated_items
from feedback.models import Acknowledgement, Interview, InterviewStatus, NoteRole, PreparationNote
from feedback.services.events import interview_recorded
from tests.appraisal.factories import appraisal_of

PRIVATE_NOTE = "PRIVATE-MANAGER-NOTE-7f3a: thinks the employee is looking for another job"


def hold_interview(org, employee=None, *, held_at=None, private_note: str = PRIVATE_NOTE):
    """The employee's interview, held (by default an hour ago, or at midnight if that was yesterday) and recorded by the
    manager, with the manager's private preparation note; returns the Acknowledgement."""
    employee = employee or org.employee
    appraisal = appraisal_of(org, employee)
    if held_at is None:  # an hour ago, but today: the answer is due days after the held day
        now = timezone.localtime()
        held_at = max(now - dt.timedelta(hours=1), now.replace(hour=0, minute=0, second=0))
    with transaction.atomic():
        interview = Interview.objects.create(
            appraisal=appraisal,
            participation=appraisal.participation,
            manager=org.manager,
            status=InterviewStatus.HELD,
            starts_at=held_at,
            held_at=held_at,
            location="Room 4",
            scheduled_by=org.manager.user,
            recorded_by=org.manager.user,
            achievements="Shipped the roadmap on time.",
            deficiencies="Mentoring started late.",
            expectations="Lead one project end to end.",
            agreed_actions="Pair with a new joiner every week.",
        )
        if private_note:
            PreparationNote.objects.create(
                interview=interview, role=NoteRole.MANAGER, author=org.manager, text=private_note
            )
        interview_recorded(interview=interview, actor=org.manager.user)
    return Acknowledgement.objects.get(appraisal=appraisal)


def items_of(org, employee=None):
    return list(rated_items(appraisal_of(org, employee or org.employee)))
