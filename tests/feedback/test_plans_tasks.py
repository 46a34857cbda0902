"""The daily plan task on a real Celery worker over Redis: an agreed plan starts on its
day, each check-point is reminded to both once, then marked missed a week after; run
twice, nothing more happens."""

import datetime as dt

import pytest

from feedback import tasks_plans
from feedback.models import CheckpointStatus, PlanCheckpoint, PlanStatus
from perfcycle.models import Notification, User
from tests.feedback.factories import released_org
from tests.feedback.plan_factories import agreed, required_plan
from tests.workers import worker_on_queue

QUEUE = "perfcycle-tests-feedback-plans"


@pytest.fixture
def plans_worker(transactional_db):
    with worker_on_queue(QUEUE) as worker:
        yield worker


def _run(today: dt.date) -> dict:
    result = tasks_plans.plan_schedule_task.apply_async(
        kwargs={"today": today.isoformat()}, queue=QUEUE
    )
    return result.get(timeout=30)


@pytest.mark.worker
def test_the_plan_schedule_on_a_real_worker(plans_worker):
    org = released_org()
    User.objects.update(email="")  # the outbox has nothing to send: only our task runs
    plan = agreed(required_plan(org), org)
    first = plan.checkpoints.order_by("due_date").first()
    second = plan.checkpoints.order_by("due_date").last()
    reminder_day = first.due_date - dt.timedelta(days=1)
    missed_day = first.due_date + dt.timedelta(days=8)
    assert _run(plan.starts_on) == {"activated": 1, "reminded": 0, "missed": 0}
    assert _run(reminder_day) == {"activated": 0, "reminded": 1, "missed": 0}
    assert _run(reminder_day) == {"activated": 0, "reminded": 0, "missed": 0}
    assert _run(missed_day) == {"activated": 0, "reminded": 0, "missed": 1}
    assert _run(missed_day) == {"activated": 0, "reminded": 0, "missed": 0}
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    assert PlanCheckpoint.objects.get(pk=first.pk).status == CheckpointStatus.MISSED
    assert PlanCheckpoint.objects.get(pk=second.pk).status == CheckpointStatus.UPCOMING
    reminders = Notification.objects.filter(title__startswith="Reminder")
    assert reminders.filter(recipient=org.employee.user).count() == 1
    assert reminders.filter(recipient=org.manager.user).count() == 1
