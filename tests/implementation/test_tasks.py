"""Implementation reminders, digests and tasks: who hears what, at most once per key and
kind (twice in a row, or two workers at once), with the emails left in the outbox; and
the tasks on a real Celery worker over Redis."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection

from implementation import tasks
from implementation.models import (
    CheckIn,
    CheckinSettings,
    CheckinStatus,
    Deviation,
    DeviationStatus,
    ReminderKind,
)
from implementation.services import reminders
from perfcycle import tasks as core_tasks
from perfcycle.celery import app
from perfcycle.models import AuditEvent, Cycle, Notification, SentReminder, User
from tests.factories import enrol, make_cycle
from tests.goals.factories import make_goal
from tests.workers import worker_on_queue

START = dt.date(2026, 1, 1)
TODAY = dt.date(2026, 6, 10)  # a Wednesday, ISO week 24
D = Decimal
# A queue of our own: other test runs share this Redis, and their workers must not take
# our messages (nor ours theirs).
QUEUE = "perfcycle-tests-implementation"


@pytest.fixture
def cycle(org):
    """In implementation: the manager reviews employee and peer; manager2 reviews employee2."""
    cycle = make_cycle("FY2026", start=START, phase=Cycle.Phase.IMPLEMENTATION)
    enrol(cycle, org["employee"], org["peer"], org["employee2"])
    return cycle


def participation(cycle, person):
    return cycle.participations.get(employee=person)


def checkin(cycle, person, *, due, status=CheckinStatus.PENDING, start=None):
    start = start or due - dt.timedelta(days=29)
    return CheckIn.objects.create(
        participation=participation(cycle, person),
        period_start=start,
        period_end=due,
        due_date=due,
        status=status,
    )


def titles(person):
    return list(Notification.objects.filter(recipient=person.user).values_list("title", flat=True))


def behind(cycle, person, *, title="Ship billing", **fields):
    goal = make_goal(person, cycle=cycle, status="approved", title=title, target=D("100"))
    values = {
        "goal": goal,
        "participation": participation(cycle, person),
        "owner": person,
        "detected_on": TODAY - dt.timedelta(days=7),
        "expected_percent": D("50"),
        "actual_percent": D("10"),
        "severity": "high",
    }
    values.update(fields)
    return Deviation.objects.create(**values)


# --- Check-in due ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_pending_checkins_due_soon_are_reminded_once(org, cycle):
    """Due today or within 2 days and pending: reminded. Later, submitted, or in a cycle
    not in implementation: not. A second run sends nothing."""
    soon = checkin(cycle, org["employee"], due=TODAY + dt.timedelta(days=2))
    checkin(cycle, org["peer"], due=TODAY + dt.timedelta(days=3))
    checkin(cycle, org["employee2"], due=TODAY, status=CheckinStatus.SUBMITTED)
    other = make_cycle("Planning", start=START)
    enrol(other, org["manager"])
    checkin(other, org["manager"], due=TODAY)
    assert reminders.send_checkin_reminders(today=TODAY) == 1
    assert reminders.send_checkin_reminders(today=TODAY) == 0
    assert titles(org["employee"]) == ["FY2026: your check-in is due on 12 Jun 2026"]
    assert Notification.objects.count() == 1
    assert list(SentReminder.objects.values_list("kind", "key")) == [
        (ReminderKind.CHECKIN_DUE, str(soon.pk))
    ]
    event = AuditEvent.objects.get(verb="reminders.sent")
    assert event.after == {"kind": ReminderKind.CHECKIN_DUE, "sent": 1, "skipped": 0}


@pytest.mark.django_db
def test_the_reminder_names_the_goals_with_no_update_yet(org, cycle):
    """The check-in reminder nudges the goals nothing was reported on yet (this cycle's,
    approved, of that person), not those with a value, nor a colleague's."""
    make_goal(org["employee"], cycle=cycle, status="approved", title="Hire two engineers")
    make_goal(org["employee"], cycle=cycle, status="approved", title="Cut churn", target=D("5"))
    make_goal(
        org["employee"], cycle=cycle, status="approved", title="Ship billing", current_value=D("3")
    )
    make_goal(org["employee"], cycle=cycle, status="draft", title="Draft idea")
    make_goal(org["peer"], cycle=cycle, status="approved", title="Peer goal")
    checkin(cycle, org["employee"], due=TODAY)
    checkin(cycle, org["peer"], due=TODAY + dt.timedelta(days=5))  # not due: no reminder
    assert reminders.send_checkin_reminders(today=TODAY) == 1
    note = Notification.objects.get(recipient=org["employee"].user)
    assert note.body.endswith(
        "No update yet on “Cut churn”, “Hire two engineers”: record their progress in this "
        "check-in."
    )


@pytest.mark.django_db
def test_a_reminder_without_goals_lacking_updates_says_nothing_of_them(org, cycle):
    """Everything reported: the plain reminder."""
    make_goal(org["employee"], cycle=cycle, status="approved", current_value=D("3"))
    checkin(cycle, org["employee"], due=TODAY)
    reminders.send_checkin_reminders(today=TODAY)
    assert "No update yet" not in Notification.objects.get().body


@pytest.mark.django_db
def test_the_cycle_sets_how_early_reminders_go(org, cycle):
    """With reminder_days_before = 5, a check-in due in 4 days is reminded."""
    CheckinSettings.objects.create(cycle=cycle, reminder_days_before=5)
    checkin(cycle, org["employee"], due=TODAY + dt.timedelta(days=4))
    assert reminders.send_checkin_reminders(today=TODAY) == 1


@pytest.mark.django_db
def test_reminders_leave_their_emails_in_the_outbox(org, cycle):
    """In-app now; the email goes out with the outbox sweep, exactly once."""
    due_today = checkin(cycle, org["employee"], due=TODAY)
    reminders.send_checkin_reminders(today=TODAY)
    note = Notification.objects.get()
    assert note.title == "FY2026: your check-in is due today"
    assert note.url == due_today.get_absolute_url()
    assert (note.send_email, note.emailed_at) == (True, None)
    assert core_tasks.deliver_pending_emails() == 1
    assert core_tasks.deliver_pending_emails() == 0
    assert [m.to for m in mail.outbox] == [[org["employee"].user.email]]


@pytest.mark.django_db
def test_a_crash_before_commit_loses_no_reminder(org, cycle, monkeypatch):
    """If writing the notifications fails, the claims roll back with them: the next run
    sends the reminder."""
    checkin(cycle, org["employee"], due=TODAY)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(Notification.objects, "bulk_create", broken)
        with pytest.raises(RuntimeError):
            reminders.send_checkin_reminders(today=TODAY)
    assert not SentReminder.objects.exists()
    assert reminders.send_checkin_reminders(today=TODAY) == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_remind_each_person_once(org, cycle):
    """Two workers at the same moment: each check-in is claimed by one of them."""
    for person in ("employee", "peer", "employee2"):
        checkin(cycle, org[person], due=TODAY + dt.timedelta(days=1))
    barrier = threading.Barrier(2)
    sent = []

    def run():
        try:
            barrier.wait(timeout=10)
            sent.append(reminders.send_checkin_reminders(today=TODAY))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(sent) == 3
    assert Notification.objects.count() == 3
    for person in ("employee", "peer", "employee2"):
        assert len(titles(org[person])) == 1


# --- Overdue --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_overdue_checkins_are_nudged_once(org, cycle):
    """Pending or missed after the due date: one nudge each; due today: not yet."""
    checkin(cycle, org["employee"], due=TODAY - dt.timedelta(days=1))
    checkin(cycle, org["peer"], due=TODAY - dt.timedelta(days=9), status=CheckinStatus.MISSED)
    checkin(cycle, org["employee2"], due=TODAY)
    assert reminders.send_overdue_nudges(today=TODAY) == 2
    assert reminders.send_overdue_nudges(today=TODAY + dt.timedelta(days=1)) == 1  # employee2
    assert titles(org["employee"]) == ["FY2026: your check-in was due on 9 Jun 2026"]
    assert len(titles(org["peer"])) == 1


# --- Follow-ups -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_follow_up_reminds_owner_and_reviewer_on_the_date(org, cycle):
    """On (or after) the follow-up date, owner and reviewer each hear once; a revised date
    brings a new reminder; open or resolved deviations none."""
    deviation = behind(
        cycle, org["employee"], status=DeviationStatus.ACTION_AGREED, follow_up_date=TODAY
    )
    behind(
        cycle,
        org["peer"],
        title="Later",
        status=DeviationStatus.ACTION_AGREED,
        follow_up_date=TODAY + dt.timedelta(days=1),
    )
    behind(cycle, org["employee2"], title="Open one")
    assert reminders.send_follow_up_reminders(today=TODAY) == 1
    assert reminders.send_follow_up_reminders(today=TODAY) == 0
    assert titles(org["employee"]) == [
        "Follow up on your corrective action for “Ship billing” (due 10 Jun 2026)"
    ]
    name = org["employee"].user.get_full_name()
    assert titles(org["manager"]) == [f"Follow up with {name} on “Ship billing” (due 10 Jun 2026)"]
    Deviation.objects.filter(pk=deviation.pk).update(follow_up_date=TODAY + dt.timedelta(days=7))
    assert reminders.send_follow_up_reminders(today=TODAY + dt.timedelta(days=7)) == 2
    assert len(titles(org["manager"])) == 3  # the revised one and the peer's


# --- The manager's digest ---------------------------------------------------------------------


@pytest.mark.django_db
def test_each_reviewer_gets_one_digest_a_week(org, cycle):
    """Who checked in this period, who has not, who is overdue or behind, what waits for
    review; once per reviewer and ISO week."""
    period = {"start": dt.date(2026, 6, 1), "due": dt.date(2026, 6, 30)}
    checkin(cycle, org["employee"], status=CheckinStatus.SUBMITTED, **period)
    checkin(cycle, org["peer"], **period)
    checkin(cycle, org["peer"], due=dt.date(2026, 5, 31), start=dt.date(2026, 5, 1))
    behind(cycle, org["peer"], title="Cut costs")
    assert reminders.send_manager_digests(today=TODAY) == 2  # manager and manager2
    assert reminders.send_manager_digests(today=TODAY + dt.timedelta(days=4)) == 0  # Sunday
    note = Notification.objects.get(recipient=org["manager"].user)
    assert note.title == "Your team this week: 1 of 2 checked in, 1 behind, 1 to review"
    employee, peer = org["employee"].user.get_full_name(), org["peer"].user.get_full_name()
    assert f"Checked in this period (1): {employee}" in note.body
    assert f"Not checked in yet this period (1): {peer}" in note.body
    assert f"Overdue check-ins (1): {peer}" in note.body
    assert f"Check-ins waiting for your review (1): {employee}" in note.body
    assert f"- Cut costs ({peer}, high)" in note.body
    quiet = Notification.objects.get(recipient=org["manager2"].user)
    assert "No open deviations" in quiet.body
    assert SentReminder.objects.filter(kind=ReminderKind.MANAGER_DIGEST, key__endswith="2026-W24")
    assert reminders.send_manager_digests(today=TODAY + dt.timedelta(days=5)) == 2  # Monday


# --- Tasks ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tasks_default_to_today(org, cycle):
    """Called by beat without arguments, each task works on the local date."""
    checkin(cycle, org["employee"], due=TODAY + dt.timedelta(days=1))
    checkin(cycle, org["peer"], due=TODAY - dt.timedelta(days=1))
    with time_machine.travel(dt.datetime(2026, 6, 10, 8, tzinfo=dt.UTC), tick=False):
        assert tasks.send_checkin_reminders_task() == 1
        assert tasks.send_overdue_nudges_task() == 1
        assert tasks.send_follow_up_reminders_task() == 0
        assert tasks.send_manager_digests_task() == 2
        assert tasks.detect_deviations_task()["checked"] == 0


@pytest.mark.django_db
def test_open_and_missed_tasks_run_the_checkin_services(org, cycle):
    """The scheduled check-in work: open this period's check-ins, then mark missed ones."""
    assert tasks.open_checkins_task(today=TODAY.isoformat()) == 3
    assert tasks.open_checkins_task(today=TODAY.isoformat()) == 0
    assert tasks.open_checkins_task(cycle_id=cycle.pk, today=TODAY.isoformat()) == 0
    later = CheckIn.objects.order_by("due_date").first().due_date + dt.timedelta(days=30)
    assert tasks.mark_missed_task(today=later.isoformat()) == 3


def test_every_task_has_a_beat_entry():
    """The schedules live in settings, each naming a registered task."""
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in (
        "open_checkins_task",
        "mark_missed_task",
        "detect_deviations_task",
        "send_checkin_reminders_task",
        "send_overdue_nudges_task",
        "send_manager_digests_task",
        "send_follow_up_reminders_task",
    ):
        assert f"implementation.tasks.{name}" in scheduled
        assert f"implementation.tasks.{name}" in app.tasks


@pytest.fixture
def implementation_worker(transactional_db):
    with worker_on_queue(QUEUE) as worker:
        yield worker


@pytest.mark.worker
def test_detection_and_reminders_on_a_real_worker(implementation_worker, org, cycle):
    """Through Redis to a worker: detection raises one deviation, then nothing; the
    reminder task reminds once, then nobody."""
    User.objects.update(email="")
    make_goal(
        org["employee"], cycle=cycle, status="approved", target=D("100"), current_value=D("5")
    )
    checkin(cycle, org["peer"], due=TODAY + dt.timedelta(days=1))
    day = TODAY.isoformat()
    first = tasks.detect_deviations_task.apply_async(kwargs={"today": day}, queue=QUEUE)
    assert first.get(timeout=30)["raised"] == 1
    second = tasks.detect_deviations_task.apply_async(kwargs={"today": day}, queue=QUEUE)
    assert second.get(timeout=30) == {
        "checked": 1,
        "raised": 0,
        "still_behind": 1,
        "back_on_track": 0,
        "skipped": 0,
        "not_assessed": 0,
        "kept_closed": 0,
    }
    for expected in (1, 0):
        sent = tasks.send_checkin_reminders_task.apply_async(kwargs={"today": day}, queue=QUEUE)
        assert sent.get(timeout=30) == expected
    assert Deviation.objects.count() == 1
    assert len(titles(org["peer"])) == 1
    assert len(titles(org["employee"])) == 1
