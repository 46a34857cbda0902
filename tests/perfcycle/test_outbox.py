"""The email outbox: one bad row never blocks the others, failures are retried with
backoff and then shown to HR, and a page enqueues at most once per transaction."""

import base64
import datetime as dt
import json
import re
from pathlib import Path

import pytest
import redis
import time_machine
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from perfcycle import notifications, services, tasks
from perfcycle.celery import app
from perfcycle.models import AuditEvent, Notification
from perfcycle.notifications import Message


class Clock:
    """Moves the clock forward for the test (through backoffs); put back afterwards."""

    def __init__(self):
        self.traveller = None

    def move_to(self, when: dt.datetime) -> None:
        self.stop()
        self.traveller = time_machine.travel(when, tick=True)
        self.traveller.start()

    def stop(self) -> None:
        if self.traveller is not None:
            self.traveller.stop()
            self.traveller = None


@pytest.fixture
def clock():
    clock = Clock()
    yield clock
    clock.stop()


def sweep_until_quiet(clock: Clock, max_sweeps: int = 20) -> None:
    """What beat does every minute, with the clock moved past each backoff."""
    for _ in range(max_sweeps):
        tasks.deliver_pending_emails()
        pending = Notification.objects.filter(send_email=True, email_status="pending")
        if not pending.exists():
            return
        due = min(pending.values_list("next_attempt_at", flat=True))
        if due > timezone.now():
            clock.move_to(due + dt.timedelta(seconds=1))


@pytest.mark.django_db(transaction=True)
def test_a_title_with_a_line_break_does_not_block_the_outbox(employee, peer):
    """Defect 5: a notification whose title holds a line break (written as the old code
    did) sits first in the outbox; one sweep still delivers it, with a one-line subject,
    and everything behind it."""
    first = Notification.objects.create(
        recipient=employee.user,
        title="Evidence “Q3 report\nBcc: everyone@example.com”",
        send_email=True,
        created_at=timezone.now() - dt.timedelta(hours=1),
        next_attempt_at=timezone.now() - dt.timedelta(hours=1),
    )
    for n in range(3):
        notifications.notify(recipient=peer.user, title=f"Weekly digest {n}")
    assert tasks.deliver_pending_emails() == 4
    subjects = [m.subject for m in mail.outbox]
    assert subjects[0] == "Evidence “Q3 report Bcc: everyone@example.com”"
    assert sorted(subjects[1:]) == ["Weekly digest 0", "Weekly digest 1", "Weekly digest 2"]
    assert all(m.to == [peer.user.email] for m in mail.outbox[1:])
    first.refresh_from_db()
    assert (first.email_status, first.email_attempts) == ("sent", 1)
    assert tasks.deliver_pending_emails() == 0


@pytest.mark.django_db(transaction=True)
def test_an_email_that_cannot_be_sent_is_retried_then_failed_with_its_reason(employee, peer, clock):
    """A message that fails is retried after 1, 5, 15 and 60 minutes while the others
    go out; after the last attempt it is failed with its reason: never "0 attempts
    forever". Each attempt and the reason are committed, whatever the send did."""
    bad = notifications.notify(recipient=employee.user, title="Your goal was approved")
    type(employee.user).objects.filter(pk=employee.user.pk).update(email="")  # address gone
    later = [notifications.notify(recipient=peer.user, title=f"Later {n}") for n in range(2)]

    assert tasks.deliver_pending_emails() == 2
    bad.refresh_from_db()
    assert bad.email_attempts == 1
    assert bad.email_status == "pending"
    assert "no email address" in bad.last_error
    assert bad.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)
    assert tasks.deliver_pending_emails() == 0  # not due yet: skipped
    bad.refresh_from_db()
    assert bad.email_attempts == 1

    sweep_until_quiet(clock)
    bad.refresh_from_db()
    assert (bad.email_status, bad.email_attempts) == ("failed", services.MAX_EMAIL_ATTEMPTS)
    assert "no email address" in bad.last_error
    assert bad.last_attempt_at - bad.created_at > dt.timedelta(minutes=80)  # 1+5+15+60
    assert sorted(m.subject for m in mail.outbox) == ["Later 0", "Later 1"]
    assert all(Notification.objects.get(pk=n.pk).email_status == "sent" for n in later)
    assert tasks.deliver_pending_emails() == 0  # failed rows are not swept again


def test_headers_are_single_line_from_every_writer(employee, peer):
    """Titles are stored as one trimmed line however they were typed (notify,
    notify_many, send_once), and the subject is built from one line again when sent."""
    note = notifications.notify(recipient=employee.user, title="  Goal\r\n“Cut\tchurn”\n ")
    many = notifications.notify_many(recipients=[peer.user], title="A\nB", email=True)
    notifications.send_once("test.kind", {"k1": [Message(peer.user.pk, "x@y.z", "C\r\nD")]})
    assert note.title == "Goal “Cut churn”"
    assert many[0].title == "A B"
    assert Notification.objects.filter(title="C D").exists()
    assert len(notifications.single_line("x" * 500)) == notifications.TITLE_MAX
    raw = Notification(recipient=employee.user, title="E\nF", message_id="<m@x>")
    assert services.notification_email(raw).subject == "E F"


def failed(recipient, title="Your goal was approved"):
    return Notification.objects.create(
        recipient=recipient,
        title=title,
        send_email=True,
        email_status="failed",
        email_attempts=services.MAX_EMAIL_ATTEMPTS,
        last_error="SMTPRecipientsRefused: 550 mailbox unavailable",
        last_attempt_at=timezone.now(),
    )


def test_hr_sees_failed_deliveries_and_sends_one_again(org, login):
    """HR's home counts the failed emails and links to a page listing each with its
    recipient, title, attempts and reason; "Send again" puts it back in the outbox and is
    audited. Anyone else gets 404."""
    note = failed(org["employee"].user)
    client = login(org["hr"])
    home = client.get(reverse("hr-home")).content.decode()
    assert "1 email could not be delivered" in home
    assert reverse("email-failures") in home

    page = client.get(reverse("email-failures")).content.decode()
    assert org["employee"].user.get_full_name() in page
    assert "Your goal was approved" in page
    assert "550 mailbox unavailable" in page
    assert f"<td>{services.MAX_EMAIL_ATTEMPTS}</td>" in page

    response = client.post(reverse("email-failure-retry", args=[note.pk]))
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.email_status, note.email_attempts) == ("pending", 0)
    event = AuditEvent.objects.get(verb="notification.email_retried")
    assert event.before["email_status"] == "failed" and event.after["email_status"] == "pending"
    assert tasks.deliver_pending_emails() == 1
    assert "Every email was delivered" in client.get(reverse("hr-home")).content.decode()
    # Retrying a row that is not failed (any more) is a message, not a 500.
    again = client.post(reverse("email-failure-retry", args=[note.pk]), follow=True)
    assert again.status_code == 200
    assert "no longer waiting" in again.content.decode()


@pytest.mark.parametrize("role", ["employee", "manager", "director"])
def test_failed_deliveries_are_not_found_for_anyone_but_hr(org, login, role):
    """The page and its action are 404 for everyone but HR."""
    note = failed(org["employee"].user)
    client = login(org[role])
    assert client.get(reverse("email-failures")).status_code == 404
    assert client.post(reverse("email-failure-retry", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.email_status == "failed"


def test_the_failed_list_is_paginated(org, login):
    """Thousands of failures (a mail server gone for a day) stay one page at a time."""
    for n in range(55):
        failed(org["employee"].user, title=f"Reminder {n}")
    client = login(org["hr"])
    first = client.get(reverse("email-failures")).content.decode()
    assert first.count("Send again") == 50
    assert "Page 1 of 2" in first
    second = client.get(reverse("email-failures") + "?page=2").content.decode()
    assert second.count("Send again") == 5


def queued_messages(queue: str) -> list[list[int]]:
    """The id lists of the send_notification_emails messages waiting in a Redis queue."""
    client = redis.Redis(host="127.0.0.1", port=6379, db=14)
    out = []
    for raw in client.lrange(queue, 0, -1):
        message = json.loads(raw)
        if message["headers"]["task"] == "perfcycle.tasks.send_notification_emails":
            out.append(json.loads(base64.b64decode(message["body"]))[0][0])
    return out


@pytest.fixture
def own_queue(transactional_db):
    """Publish to a queue nobody consumes, to count what a request enqueued."""
    queue = f"{app.conf.task_default_queue}-count"
    client = redis.Redis(host="127.0.0.1", port=6379, db=14)
    client.delete(queue)
    old = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    app.amqp.queues = app.amqp.Queues(app.conf.task_queues)
    try:
        yield queue
    finally:
        app.conf.task_default_queue = old
        app.amqp.queues = app.amqp.Queues(app.conf.task_queues)
        client.delete(queue)


@pytest.mark.worker
def test_one_enqueue_per_transaction_however_many_are_notified(own_queue, org):
    """Notifying everyone in one transaction publishes one task with all their ids; the
    notification of a rolled-back savepoint is not in it."""
    users = [make.user for make in org.values()]
    with transaction.atomic():
        kept = [notifications.notify(recipient=u, title="Approved") for u in users]
        try:
            with transaction.atomic():
                dropped = notifications.notify(recipient=users[0], title="Rolled back")
                raise RuntimeError
        except RuntimeError:
            pass
        kept.append(notifications.notify(recipient=users[1], title="After the savepoint"))
    assert queued_messages(own_queue) == [[n.pk for n in kept]]
    assert dropped.pk not in queued_messages(own_queue)[0]
    # Outside a transaction each notify is its own transaction, hence its own enqueue.
    notifications.notify(recipient=users[0], title="Alone")
    assert len(queued_messages(own_queue)) == 2


def test_only_the_notifications_module_writes_notification_rows():
    """No stage builds Notification rows itself: every one goes through
    perfcycle.notifications (sanitised titles, one enqueue per transaction)."""
    root = Path(__file__).resolve().parents[2]
    writes = re.compile(
        r"(?<!class )\bNotification\(|Notification\.objects\.(create|bulk_create|get_or_create)\b"
    )
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if not {".venv", "tests", "migrations", "node_modules"} & set(path.parts)
        and path.relative_to(root).as_posix() != "perfcycle/notifications.py"
        and writes.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
