"""The reminder the day before: both sides once per interview and day, whatever runs
twice; a moved interview is reminded of its new day; none for a cancelled one."""

import datetime as dt

import pytest
from django.utils import timezone

from feedback import tasks_interview as tasks
from feedback.services import interviews as services
from perfcycle.models import Notification, SentReminder
from tests.feedback.factories import released_org
from tests.feedback.interview_factories import schedule, slot
from tests.workers import worker_on_queue

QUEUE = "perfcycle-tests-feedback-interviews"


def reminders(user=None):
    qs = Notification.objects.filter(title__startswith="Tomorrow:")
    return qs.filter(recipient=user).count() if user else qs.count()


@pytest.mark.django_db
def test_both_sides_are_reminded_once_the_day_before():
    org = released_org()
    interview = schedule(org, days=2)
    day_before = (timezone.localdate(interview.starts_at) - dt.timedelta(days=1)).isoformat()
    too_early = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    assert tasks.interview_reminders_task.apply(kwargs={"today": too_early}).get() == 0
    assert tasks.interview_reminders_task.apply(kwargs={"today": day_before}).get() == 1
    assert tasks.interview_reminders_task.apply(kwargs={"today": day_before}).get() == 0
    assert reminders(org.employee.user) == reminders(org.manager.user) == 1
    # Moved to another day: reminded again, of the new day.
    moved = services.reschedule_interview(
        actor=org.manager.user, interview=interview, slot=slot(days=3), expected_version=1
    )
    new_day_before = (timezone.localdate(moved.starts_at) - dt.timedelta(days=1)).isoformat()
    assert tasks.interview_reminders_task.apply(kwargs={"today": new_day_before}).get() == 1
    assert reminders() == 4


@pytest.mark.django_db
def test_a_cancelled_interview_is_not_reminded():
    org = released_org()
    interview = schedule(org, days=2)
    services.cancel_interview(
        actor=org.manager.user, interview=interview, reason="x", expected_version=1
    )
    day_before = timezone.localdate(interview.starts_at) - dt.timedelta(days=1)
    assert services.send_interview_reminders(today=day_before) == 0
    assert reminders() == 0


@pytest.fixture
def feedback_worker(transactional_db):
    with worker_on_queue(QUEUE) as worker:
        yield worker


@pytest.mark.worker
def test_interview_reminders_on_a_real_worker(feedback_worker):
    """Through Redis to a worker, sent twice at once and once more: one reminder each."""
    org = released_org()
    interview = schedule(org, days=2)
    day_before = (timezone.localdate(interview.starts_at) - dt.timedelta(days=1)).isoformat()
    first, second = (
        tasks.interview_reminders_task.apply_async(kwargs={"today": day_before}, queue=QUEUE)
        for _ in range(2)
    )
    assert sorted([first.get(timeout=30), second.get(timeout=30)]) == [0, 1]
    again = tasks.interview_reminders_task.apply_async(kwargs={"today": day_before}, queue=QUEUE)
    assert again.get(timeout=30) == 0
    assert reminders(org.employee.user) == reminders(org.manager.user) == 1
    assert SentReminder.objects.filter(kind=services.REMINDER_KIND).count() == 1
