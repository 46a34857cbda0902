"""Planning reminders: who is reminded of what, at most once per person per day, also
when the task runs on a real Celery worker over Redis."""

import datetime as dt

import pytest
from celery.contrib.testing.worker import start_worker

from goals import tasks
from goals.services import reminders
from perfcycle.celery import app
from perfcycle.models import AuditEvent, Cycle, Notification, SentReminder, User
from perfcycle.workflow import SYSTEM
from tests.factories import enrol, make_cycle
from tests.goals.factories import make_goal, make_goals

START = dt.date(2026, 1, 1)
# A queue of our own: other test runs share this Redis, and their workers must not take
# our messages (nor ours theirs).
QUEUE = "perfcycle-tests-goal-reminders"


@pytest.fixture
def cycle(org):
    """employee: no goals; peer: weights off; employee2: a goal awaiting manager2; manager: ready."""
    cycle = make_cycle("FY2026", start=START)
    enrol(cycle, org["employee"], org["peer"], org["manager"], org["employee2"])
    make_goals(org["peer"], cycle=cycle, weights=[60])
    make_goal(org["employee2"], cycle=cycle, status="submitted", weight=100)
    make_goals(org["manager"], cycle=cycle, weights=[100])
    return cycle


def titles(person):
    return list(Notification.objects.filter(recipient=person.user).values_list("title", flat=True))


@pytest.mark.django_db
def test_everyone_not_ready_is_reminded_of_their_own_next_step(org, cycle):
    """No goals → draft them; weights off → fix them; pending → the reviewer hears."""
    sent = tasks.send_planning_reminders(cycle.pk)
    assert sent == 3
    assert titles(org["employee"]) == ["FY2026: draft your goals and submit them by 31 Jan 2026."]
    assert "total 60 %" in titles(org["peer"])[0]
    assert titles(org["manager2"]) == ["FY2026: 1 person waits for you to approve their goals."]
    assert titles(org["manager"]) == []  # ready, and reviews nobody who is pending
    assert titles(org["employee2"]) == []  # their next step is their reviewer's
    event = AuditEvent.objects.get(verb="planning.reminders_sent")
    assert (event.after["sent"], event.after["skipped"]) == (3, 0)


@pytest.mark.django_db
def test_running_twice_reminds_each_person_once(org, cycle):
    """The second run on the same day sends nothing."""
    assert tasks.send_planning_reminders(cycle.pk) == 3
    assert tasks.send_planning_reminders(cycle.pk) == 0
    assert Notification.objects.count() == 3
    assert SentReminder.objects.filter(kind="planning_reminder").count() == 3


@pytest.mark.django_db
def test_a_new_day_brings_a_new_reminder(org, cycle):
    """Once per person per day, not once ever."""
    today = dt.date(2026, 1, 10)
    reminders.send_planning_reminders(cycle=cycle, actor=SYSTEM, today=today)
    assert reminders.send_planning_reminders(cycle=cycle, actor=SYSTEM, today=today) == 0
    assert (
        reminders.send_planning_reminders(
            cycle=cycle, actor=SYSTEM, today=today + dt.timedelta(days=1)
        )
        == 3
    )
    assert len(titles(org["employee"])) == 2


@pytest.mark.django_db
def test_no_reminders_outside_planning_or_for_a_missing_cycle(org, cycle):
    """After planning the task does nothing; a deleted cycle is not an error."""
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.IMPLEMENTATION)
    assert tasks.send_planning_reminders(cycle.pk) == 0
    assert tasks.send_planning_reminders(999999) == 0
    assert not Notification.objects.exists()


@pytest.fixture
def reminder_worker(transactional_db):
    """A real worker thread consuming our own queue from Redis (no eager mode)."""
    app.conf.broker_url = "redis://127.0.0.1:6379/14"
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[QUEUE]
        ) as worker:
            yield worker
    finally:
        # The queue selection is global to the app: leave it as found for other workers.
        app.amqp.queues._consume_from = None
        app.amqp.queues.pop(QUEUE, None)


@pytest.mark.worker
def test_reminders_on_a_real_worker_are_sent_once(reminder_worker, org, cycle):
    """Twice through Redis to a worker: the first run reminds three people, the second
    nobody; each person has exactly one notification."""
    # No email addresses, so no email tasks leave for the shared default queue.
    User.objects.update(email="")
    first = tasks.send_planning_reminders.apply_async(args=[cycle.pk], queue=QUEUE)
    assert first.get(timeout=30) == 3
    second = tasks.send_planning_reminders.apply_async(
        args=[cycle.pk], kwargs={"actor_id": org["hr"].user.pk}, queue=QUEUE
    )
    assert second.get(timeout=30) == 0
    for person in ("employee", "peer", "manager2"):
        assert len(titles(org[person])) == 1
    assert SentReminder.objects.filter(kind="planning_reminder").count() == 3
    assert AuditEvent.objects.filter(verb="planning.reminders_sent", actor=org["hr"].user).exists()
