"""The same click from two places at once: one interview, one first save of notes,
one record; the other is refused with a message, nothing doubled or overwritten."""

import datetime as dt

import pytest
import time_machine

from feedback.models import Interview, PreparationNote
from feedback.services import interviews as services
from perfcycle.models import Notification
from perfcycle.workflow import DomainError
from tests.appraisal.factories import appraisal_of
from tests.feedback.factories import released_org
from tests.feedback.interview_factories import record, schedule, slot
from tests.workers import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def _outcome(call):
    def run():
        try:
            call()
        except DomainError as error:
            return f"refused: {error.messages[0]}"
        return "done"

    return run


def test_scheduling_twice_at_once_makes_one_interview():
    org = released_org()
    appraisal = appraisal_of(org, org.employee)
    results = run_at_once(
        _outcome(
            lambda: services.schedule_interview(
                actor=org.manager.user, appraisal=appraisal, slot=slot()
            )
        )
    )
    assert sorted(results)[0] == "done"
    assert sorted(results)[1].startswith("refused: This interview is already scheduled")
    assert Interview.objects.count() == 1
    assert Notification.objects.filter(title__startswith="Feedback interview on").count() == 1


def test_two_first_saves_of_notes_keep_one():
    org = released_org()
    interview = schedule(org)
    results = run_at_once(
        _outcome(
            lambda: services.save_note(
                actor=org.employee.user, interview=interview, text="mine", expected_version=0
            )
        )
    )
    assert sorted(results)[0] == "done" and sorted(results)[1].startswith("refused: Someone else")
    assert PreparationNote.objects.count() == 1


def test_recording_twice_at_once_records_once():
    org = released_org()
    interview = schedule(org)
    with time_machine.travel(interview.starts_at + dt.timedelta(hours=1), tick=False):
        results = run_at_once(
            _outcome(
                lambda: services.record_interview(
                    actor=org.manager.user,
                    interview=interview,
                    record=record(),
                    expected_version=1,
                )
            )
        )
    assert sorted(results)[0] == "done" and sorted(results)[1].startswith("refused:")
    assert Notification.objects.filter(title="Your feedback interview is recorded").count() == 1
