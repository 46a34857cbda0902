"""PRIVACY: the manager's private preparation notes never reach the employee — not in
a page, a file, an email (or its attachment), a notification or an error message —
through the whole life of an interview; HR's audit log does not hold them either."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from feedback.services import interviews as services
from perfcycle import tasks
from perfcycle.models import AuditEvent, Notification, NotificationAttachment
from tests.appraisal.factories import appraisal_of
from tests.feedback.factories import released_org
from tests.feedback.interview_factories import record, schedule, slot

pytestmark = pytest.mark.django_db

SECRET = "MGR-PRIVATE-7f3a9c: thinks the promotion case is weak"


def _client(person):
    client = Client()
    client.force_login(person.user)
    return client


def _employee_pages(client, interview, appraisal) -> list[bytes]:
    urls = [
        reverse("my-home"),
        reverse("notification-list"),
        reverse("feedback:interview-mine"),
        reverse("feedback:interview-detail", args=[interview.pk]),
        reverse("feedback:interview-calendar", args=[interview.pk]),
        reverse("appraisal:my-appraisal"),
        reverse("appraisal:appraisal-breakdown", args=[appraisal.pk]),
    ]
    bodies = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        bodies.append(response.content)
    return bodies


def test_the_private_notes_never_reach_the_employee():
    org = released_org()
    appraisal = appraisal_of(org, org.employee)
    interview = schedule(org)
    services.save_note(actor=org.manager.user, interview=interview, text=SECRET, expected_version=0)
    employee = _client(org.employee)
    seen = _employee_pages(employee, interview, appraisal)
    # The employee's own attempts, refused or stale, show no note but theirs.
    notes_url = reverse("feedback:interview-notes", args=[interview.pk])
    seen.append(employee.post(notes_url, {"notes-version": 7, "notes-text": "mine"}).content)
    for action in ("reschedule", "cancel", "record"):
        url = reverse(f"feedback:interview-{action}", args=[interview.pk])
        seen.append(employee.post(url, {}).content)
    # Through every move: reschedule, cancel, schedule again, record.
    moved = services.reschedule_interview(
        actor=org.manager.user, interview=interview, slot=slot(days=4), expected_version=1
    )
    cancelled = services.cancel_interview(
        actor=org.manager.user, interview=moved, reason="Clash", expected_version=moved.version
    )
    again = services.schedule_interview(
        actor=org.manager.user,
        appraisal=appraisal,
        slot=slot(days=1),
        expected_version=cancelled.version,
    )
    seen += _employee_pages(employee, again, appraisal)
    with time_machine.travel(again.starts_at + dt.timedelta(hours=1), tick=False):
        services.send_interview_reminders(today=again.starts_at.date() - dt.timedelta(days=1))
        held = services.record_interview(
            actor=org.manager.user, interview=again, record=record(), expected_version=again.version
        )
        seen += _employee_pages(employee, held, appraisal)
    tasks.deliver_pending_emails()

    secret = SECRET.encode()
    for body in seen:
        assert secret not in body
    mine = Notification.objects.filter(recipient=org.employee.user)
    assert mine.count() >= 5
    for note in mine:
        assert SECRET not in note.title and SECRET not in note.body
    for attachment in NotificationAttachment.objects.all():
        assert secret not in bytes(attachment.content)
    to_employee = [m for m in mail.outbox if org.employee.user.email in m.to]
    assert len(to_employee) >= 5
    for message in to_employee:
        assert secret not in message.message().as_bytes()
    for event in AuditEvent.objects.all():
        assert SECRET not in f"{event.before}{event.after}{event.object_repr}"
    hr_log = _client(org.hr).get(reverse("audit-list"))
    assert secret not in hr_log.content
    # The manager, and only the manager, reads it.
    assert (
        secret
        in _client(org.manager).get(reverse("feedback:interview-detail", args=[held.pk])).content
    )
    for who in (org.skip, org.hr):
        page = _client(who).get(reverse("feedback:interview-detail", args=[held.pk]))
        assert secret not in page.content
