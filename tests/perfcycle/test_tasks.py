"""Core Celery tasks, run by a real worker over the real Redis on 127.0.0.1."""

import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.core import mail

from perfcycle import services, tasks
from perfcycle.celery import app
from perfcycle.models import Notification
from tests.workers import fresh_connections

pytestmark = [pytest.mark.worker]


@pytest.fixture
def celery_worker(transactional_db):
    """A worker thread consuming from Redis, as in production (no eager mode)."""
    app.conf.broker_url = "redis://127.0.0.1:6379/14"
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


def test_health_check_runs_on_a_real_worker(celery_worker):
    """The health-check task goes through Redis to a worker, which reaches the database."""
    result = tasks.health_check.delay().get(timeout=20)
    assert result["database"] is True


def test_notification_email_goes_out_through_the_worker(celery_worker, employee):
    """After commit, a notification's email is sent by the worker exactly once."""
    note = services.notify(recipient=employee.user, title="Check-in due Friday")
    tasks.send_notification_email.delay(note.pk).get(timeout=20)
    assert tasks.send_notification_email.delay(note.pk).get(timeout=20) is False
    assert [m.subject for m in mail.outbox].count("Check-in due Friday") == 1
    note.refresh_from_db()
    assert note.emailed_at is not None


@pytest.mark.django_db
def test_outbox_sweep_sends_what_the_broker_missed(employee):
    """Emails left in the outbox (broker down at the time) are sent by the sweep, once."""
    Notification.objects.create(recipient=employee.user, title="Left behind", send_email=True)
    assert tasks.deliver_pending_emails() == 1
    assert tasks.deliver_pending_emails() == 0
    assert [m.subject for m in mail.outbox] == ["Left behind"]


@pytest.mark.django_db(transaction=True)
def test_broker_outage_does_not_break_the_page_action(employee):
    """With the broker unreachable, notify() still succeeds and leaves the email queued."""
    queue = redis.Redis(host="127.0.0.1", port=6379, db=14)
    queued_before = queue.llen(app.conf.task_default_queue)
    old = (app.conf.broker_url, app.conf.broker_write_url)
    app.conf.broker_url = app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    fresh_connections()
    try:
        services.notify(recipient=employee.user, title="Queued while down")
    finally:
        app.conf.broker_url, app.conf.broker_write_url = old
        fresh_connections()
    note = Notification.objects.get(title="Queued while down")
    assert note.emailed_at is None
    assert (
        queue.llen(app.conf.task_default_queue) == queued_before
    )  # it really did not reach a broker
    assert tasks.deliver_pending_emails() == 1


def test_large_outbox_is_fanned_out_to_workers(celery_worker, employee):
    """A sweep sends the oldest chunk itself and hands the next chunks to the workers:
    every email leaves once, in one sweep."""
    Notification.objects.bulk_create(
        [
            Notification(recipient=employee.user, title=f"Reminder {n}", send_email=True)
            for n in range(tasks.OUTBOX_CHUNK + 30)
        ]
    )
    # (A stale message from another test may deliver a few of the first chunk first.)
    assert 0 < tasks.deliver_pending_emails() <= tasks.OUTBOX_CHUNK
    deadline = time.monotonic() + 30
    while Notification.objects.filter(emailed_at__isnull=True).exists():
        assert time.monotonic() < deadline, "the fanned-out chunk was not delivered"
        time.sleep(0.2)
    subjects = [m.subject for m in mail.outbox if m.subject.startswith("Reminder ")]
    assert sorted(subjects) == sorted(f"Reminder {n}" for n in range(tasks.OUTBOX_CHUNK + 30))
